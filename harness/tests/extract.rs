//! Keeps `cases/` honest: extracting the seed pages again gives exactly the committed files,
//! and the seed diagnostics are pinned by a reviewed snapshot.

mod common;
use common::{root, seeds};

use std::collections::BTreeMap;
use std::path::PathBuf;

use conform::extract;

fn read_dir_json(dir: &PathBuf) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.insert(
                name,
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}")),
            );
        }
    }
    out
}

#[test]
fn committed_cases_are_exactly_what_the_seeds_give() {
    let seeds = seeds();
    assert!(
        seeds.is_dir(),
        "the seed pages are expected at {}",
        seeds.display()
    );
    let ex = extract::extract_paths(std::slice::from_ref(&seeds)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.pages, 5);
    assert_eq!(ex.cases.len(), 6);
    let fresh = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    extract::write_cases(fresh.path(), &ex.cases).unwrap_or_else(|e| panic!("{e}"));
    let want = read_dir_json(&fresh.path().to_path_buf());
    let have = read_dir_json(&root().join("cases"));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        have.keys().collect::<Vec<_>>(),
        "run `cargo run -- extract ../shared/seeds --out cases`"
    );
    for (name, text) in &want {
        assert_eq!(
            Some(text),
            have.get(name),
            "cases/{name} differs from a fresh extraction"
        );
    }
}

#[test]
fn extraction_does_not_depend_on_where_the_pages_lie() {
    let seeds = seeds();
    let copy = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let nested = copy.path().join("some").join("where");
    std::fs::create_dir_all(&nested).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(&seeds).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, nested.join(name)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let a = extract::extract_paths(&[seeds]).unwrap_or_else(|e| panic!("{e}"));
    let b = extract::extract_paths(&[nested]).unwrap_or_else(|e| panic!("{e}"));
    let json =
        |cases: &[conform::case::Case]| cases.iter().map(|c| c.to_json()).collect::<Vec<_>>();
    assert_eq!(json(&a.cases), json(&b.cases));
}

#[test]
fn seed_pages_snapshot() {
    let seeds = seeds();
    let schemas = conform::schema::SchemaSet::load_dir(&root().join("schemas"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&seeds).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        pages.push((
            name,
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}")),
        ));
    }
    pages.sort();
    assert_eq!(pages.len(), 5);
    let refs: Vec<(&str, &str, &str)> = pages
        .iter()
        .map(|(n, t)| (n.as_str(), n.as_str(), t.as_str()))
        .collect();
    // Cross-page diagnostics need all pages at once; each page's snapshot then shows its share.
    let ex = extract::extract_texts_with(&refs, Some(&schemas));
    for (name, _) in &pages {
        let mut text = String::from("## diagnostics\n");
        for d in ex.diagnostics.iter().filter(|d| &d.file == name) {
            text.push_str(&format!("{d}\n"));
        }
        text.push_str("## cases\n");
        for c in ex.cases.iter().filter(|c| &c.source.file == name) {
            text.push_str(&c.to_json());
        }
        insta::assert_snapshot!(name.replace('.', "_"), text);
    }
}
