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
    write(fresh.path(), &ex.cases);
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
    let json = |cases: &[conform::model::case::Case]| {
        cases.iter().map(|c| c.to_json()).collect::<Vec<_>>()
    };
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

/// A request/response pair named `name` on `path`.
fn pair(name: &str, path: &str) -> String {
    format!(
        "<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n```http\nGET https://graph.microsoft.com/v1.0/{path}\n```\n<!-- {{ \"blockType\": \"response\" }} -->\n```http\nHTTP/1.1 204 No Content\n```\n\n"
    )
}

fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{e}"))
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Writes cases, asserting nothing failed.
fn write(dir: &std::path::Path, cases: &[conform::model::case::Case]) -> extract::Written {
    let written = extract::write_cases(dir, cases).unwrap_or_else(|e| panic!("{e}"));
    assert!(written.failed.is_empty(), "{:?}", written.failed);
    written
}

#[test]
fn long_example_names_get_short_stable_file_names_and_go_when_stale() {
    let docs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let long = "a_very_long_example_name_".repeat(12);
    let page = docs.path().join("long.md");
    std::fs::write(&page, pair(&long, "x") + &pair("short", "y")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(docs.path().join("other.md"), pair("other", "z"))
        .unwrap_or_else(|e| panic!("{e}"));
    let ex = extract::extract_paths(&[docs.path().to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.cases.len(), 3);
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let written = write(out.path(), &ex.cases);
    assert_eq!(written.written.len(), 3);
    let names = file_names(out.path());
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.len() <= 200), "{names:?}");
    assert!(names.contains(&"long.short.json".to_string()), "{names:?}");
    // The id inside the file is the case's, whatever its file is called.
    let loaded = conform::model::case::load_dir(out.path()).unwrap_or_else(|e| panic!("{e}"));
    let ids = |cases: &[conform::model::case::Case]| {
        cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&loaded), ids(&ex.cases));
    assert!(ids(&loaded).contains(&format!("long.{long}")));

    // Again: the same names, nothing removed, and nothing written: every file already holds
    // its case (a file changed by hand is rewritten).
    let tampered = out.path().join("long.short.json");
    std::fs::write(&tampered, "{}").unwrap_or_else(|e| panic!("{e}"));
    let again = write(out.path(), &ex.cases);
    assert!(again.removed.is_empty(), "{again:?}");
    assert_eq!(again.written, vec![tampered]);
    assert_eq!(again.unchanged, 2);
    assert_eq!(file_names(out.path()), names);
    let third = write(out.path(), &ex.cases);
    assert!(third.written.is_empty(), "{third:?}");
    assert_eq!(third.unchanged, 3);

    // The long example gone from the page, its file goes too.
    std::fs::write(&page, pair("short", "y")).unwrap_or_else(|e| panic!("{e}"));
    let ex = extract::extract_paths(&[docs.path().to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    let written = write(out.path(), &ex.cases);
    assert_eq!(written.removed.len(), 1, "{written:?}");
    assert!(
        written.removed[0].to_string_lossy().contains("~"),
        "{written:?}"
    );
    assert_eq!(
        file_names(out.path()),
        vec![
            "long.short.json".to_string(),
            "other.other.json".to_string()
        ]
    );
}

#[test]
fn a_case_file_that_cannot_be_written_spares_the_others() {
    let ex = extract::extract_paths(&[seeds()]).unwrap_or_else(|e| panic!("{e}"));
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A folder where the first case's file belongs cannot be replaced by a file.
    let blocked = out.path().join(ex.cases[0].file_name());
    std::fs::create_dir(&blocked).unwrap_or_else(|e| panic!("{e}"));
    let written = extract::write_cases(out.path(), &ex.cases).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written.failed.len(), 1, "{written:?}");
    let message = written.failed[0].to_string();
    assert!(message.contains(&ex.cases[0].file_name()), "{message}");
    assert_eq!(written.written.len(), ex.cases.len() - 1);
    for case in &ex.cases[1..] {
        let text = std::fs::read_to_string(out.path().join(case.file_name()))
            .unwrap_or_else(|e| panic!("{}: {e}", case.id));
        assert_eq!(text, case.to_json());
    }
}

#[test]
fn two_cases_never_share_a_file() {
    let ex = extract::extract_paths(&[seeds()]).unwrap_or_else(|e| panic!("{e}"));
    let mut slashed = ex.cases[0].clone();
    slashed.id = "x/".into();
    // An id spelled like the hashed name of `x/` asks for the very same file.
    let mut lookalike = ex.cases[1].clone();
    lookalike.id = slashed.file_name().trim_end_matches(".json").to_string();
    assert_eq!(slashed.file_name(), lookalike.file_name());
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let written = extract::write_cases(out.path(), &[slashed.clone(), lookalike.clone()])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written.written.len(), 1);
    let message = written
        .failed
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>();
    assert_eq!(message.len(), 1);
    assert!(
        message[0].contains(&slashed.file_name()) && message[0].contains(&lookalike.id),
        "{message:?}"
    );
    let kept = conform::model::case::load_file(&out.path().join(slashed.file_name()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kept.id, "x/");
}

#[test]
fn a_folder_that_cannot_be_read_spares_the_other_pages() {
    let docs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(docs.path().join("a.md"), pair("first", "x")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(docs.path().join("z.md"), pair("last", "y")).unwrap_or_else(|e| panic!("{e}"));
    common::unreadable_folder(&docs.path().join("m"), &pair("deep", "z"));
    let ex = extract::extract_paths(&[docs.path().to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = ex.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["first", "last"]);
    let unreadable: Vec<_> = ex
        .diagnostics
        .iter()
        .filter(|d| d.code == conform::doc::Code::Unreadable)
        .collect();
    assert_eq!(unreadable.len(), 1, "{:?}", ex.diagnostics);
    assert_eq!(unreadable[0].severity, conform::doc::Severity::Error);
    assert!(unreadable[0].file.contains("/m/000"), "{}", unreadable[0]);
}

#[test]
fn pages_whose_urls_name_no_version_are_linted_against_their_folders_version() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let page = "<!-- { \"blockType\": \"request\", \"name\": \"get_profile\" } -->\n```http\nGET /security/userSecurityProfiles/{id}\n```\n<!-- { \"blockType\": \"response\", \"@odata.type\": \"microsoft.graph.userSecurityProfile\" } -->\n```http\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"id\": \"p1\", \"notDeclared\": 1}\n```\n";
    let dir = tmp.path().join("docs").join("beta").join("api");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("profile-get.md"), page).unwrap_or_else(|e| panic!("{e}"));
    let load = || {
        conform::schema::SchemaSet::load_dir(&root().join("schemas"))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let sets = [("v1.0".to_string(), load()), ("beta".to_string(), load())];
    let unknown = |docs: PathBuf, sets: &[(String, conform::schema::SchemaSet)]| {
        let ex = extract::extract_paths_with(
            &[docs],
            extract::LintSchemas {
                default: None,
                by_version: sets,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        ex.diagnostics
            .iter()
            .filter(|d| d.code == conform::doc::Code::UnknownProperty)
            .count()
    };
    // Both versions given: the `beta` folder in the page's path names its version.
    assert_eq!(unknown(tmp.path().join("docs"), &sets), 1);
    // DOCS is the version folder itself and one version is given: that is the version.
    assert_eq!(unknown(tmp.path().join("docs").join("beta"), &sets[1..]), 1);
    // A v1.0 page whose example calls beta, with only v1.0's metadata: the page's version.
    let v1 = tmp.path().join("v1docs").join("v1.0").join("api");
    std::fs::create_dir_all(&v1).unwrap_or_else(|e| panic!("{e}"));
    let calls_beta = page.replace(
        "GET /security/",
        "GET https://graph.microsoft.com/beta/security/",
    );
    std::fs::write(v1.join("profile-get.md"), calls_beta).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unknown(tmp.path().join("v1docs"), &sets[..1]), 1);
}
