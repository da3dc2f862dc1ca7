//! Shared helpers for the integration tests: corpus loading and validator building.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;

use conform::schema::csdl::Metadata;
use serde_json::Value;

/// The 2021-07-13 beta metadata snapshot.
pub const BETA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/graph-beta-metadata-2021-07-13.xml.gz"
);
/// The 2021-07-13 v1.0 metadata snapshot.
pub const V1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/graph-v1.0-metadata-2021-07-13.xml.gz"
);

/// Gunzipped metadata text, or `None` (with a message) when the corpus is not on this machine.
pub fn corpus_text(path: &str) -> Option<String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        // The corpus travels with the project's shared folder; without it these tests
        // would prove nothing, so its absence is a failure, not a skip.
        Err(e) => panic!("cannot open {path}: {e}"),
    };
    let mut text = String::new();
    if let Err(e) = flate2::read::GzDecoder::new(file).read_to_string(&mut text) {
        panic!("{path} is present but not readable gzip text: {e}");
    }
    Some(text)
}

/// Parsed metadata from a corpus file, or `None` when the file is absent.
pub fn corpus(path: &str) -> Option<Metadata> {
    let text = corpus_text(path)?;
    match Metadata::parse(&text) {
        Ok(m) => Some(m),
        Err(e) => panic!("{path}: {e}"),
    }
}

/// Schemas for the given types, keyed by their `$id`.
pub fn schemas(meta: &Metadata, names: &[String]) -> BTreeMap<String, Value> {
    names
        .iter()
        .map(|n| match meta.schema_for(n) {
            Ok(s) => (n.clone(), s),
            Err(e) => panic!("{n}: {e}"),
        })
        .collect()
}

/// A registry holding every schema under its `$id`, so `$ref`s resolve locally.
pub fn registry(schemas: &BTreeMap<String, Value>) -> jsonschema::Registry<'_> {
    let built = jsonschema::Registry::new()
        .extend(schemas.iter().map(|(id, schema)| (id.as_str(), schema)))
        .and_then(|builder| builder.prepare());
    match built {
        Ok(r) => r,
        Err(e) => panic!("registry: {e}"),
    }
}

/// A draft 2020-12 validator with format assertions on and retrieval off.
pub fn validator<'r>(
    registry: &'r jsonschema::Registry<'r>,
    schema: &Value,
) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_registry(registry)
        .should_validate_formats(true)
        .offline()
        .build(schema)
}
