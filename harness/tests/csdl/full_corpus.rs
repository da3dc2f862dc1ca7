//! Every type of both full metadata files yields a schema that jsonschema compiles.

use std::time::Instant;

fn count_declarations(xml: &str) -> usize {
    ["<EntityType ", "<ComplexType ", "<EnumType "]
        .iter()
        .map(|tag| xml.matches(tag).count())
        .sum()
}

fn check_all(path: &str) {
    let Some(text) = crate::common::corpus_text(path) else {
        return;
    };
    let started = Instant::now();
    let meta = match conform::schema::csdl::Metadata::parse(&text) {
        Ok(m) => m,
        Err(e) => panic!("{path}: {e}"),
    };
    let names = meta.type_names();
    assert_eq!(names.len(), count_declarations(&text), "{path}: type count");
    let schemas = crate::common::schemas(&meta, &names);

    // Same input, same bytes: a second parse renders identical JSON.
    let again = match conform::schema::csdl::Metadata::parse(&text) {
        Ok(m) => m,
        Err(e) => panic!("{path}: {e}"),
    };
    for name in &names {
        assert_eq!(
            again.schema_for(name).ok().as_ref(),
            schemas.get(name),
            "{name} not deterministic"
        );
    }

    let registry = crate::common::registry(&schemas);
    let mut failures = Vec::new();
    for (name, schema) in &schemas {
        if let Err(e) = crate::common::validator(&registry, schema) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{path}: {failures:#?}");

    let counts = schemas.values().fold([0usize; 3], |mut acc, s| {
        match s["x-kind"].as_str() {
            Some("entity") => acc[0] += 1,
            Some("complex") => acc[1] += 1,
            Some("enum") => acc[2] += 1,
            other => panic!("unexpected x-kind {other:?}"),
        }
        acc
    });
    println!(
        "{path}: {} types ({} entity, {} complex, {} enum) compiled in {:?}",
        names.len(),
        counts[0],
        counts[1],
        counts[2],
        started.elapsed()
    );
}

#[test]
fn every_beta_type_compiles() {
    check_all(crate::common::BETA);
}

#[test]
fn every_v1_type_compiles() {
    check_all(crate::common::V1);
}
