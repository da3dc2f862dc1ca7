//! Helpers shared by the integration tests: where things are, and the committed cases and schemas.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use conform::model::case::{self, Body, Case};
use conform::model::result::CaseResult;
use conform::replay::runner::{RunOptions, Runner};
use conform::schema::SchemaSet;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The seed pages beside the checkout.
pub fn seeds() -> PathBuf {
    root().join("..").join("shared").join("seeds")
}

/// The beta CSDL metadata of the corpus.
pub fn beta_metadata() -> PathBuf {
    root()
        .join("..")
        .join("shared")
        .join("corpus")
        .join("graph-beta-metadata-2021-07-13.xml.gz")
}

/// The committed cases and schemas.
pub fn load() -> (Vec<Case>, Arc<SchemaSet>) {
    let cases = case::load_dir(&root().join("cases")).unwrap_or_else(|e| panic!("{e}"));
    let schemas = SchemaSet::load_dir(&root().join("schemas")).unwrap_or_else(|e| panic!("{e}"));
    (cases, Arc::new(schemas))
}

/// The committed case with this id.
pub fn case(cases: &[Case], id: &str) -> Case {
    cases
        .iter()
        .find(|c| c.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// Runs one case against the options' target and returns its result.
pub async fn run_one(case: &Case, schemas: Arc<SchemaSet>, opts: RunOptions) -> CaseResult {
    let one = vec![case.clone()];
    let runner = Runner::start(&one, &one, schemas, opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    runner.run_case(case).await
}

/// The hostSecurityProfile id the tests address.
pub const HOST_ID: &str = "753b6489-6489-753b-8964-3b7589643b75";

/// What a conformant service answers to the documented hostSecurityProfile PATCH: the body sent,
/// with the valid enum members the runner sends for the doc's placeholders, and the key.
pub fn host_body(case: &Case) -> serde_json::Value {
    let mut body = match &case.request.body {
        Some(Body::Json(v)) => v.clone(),
        _ => panic!("case {} has no JSON body", case.id),
    };
    body["logonUsers"][0]["accountType"] = serde_json::json!("unknown");
    body["logonUsers"][0]["logonTypes"] = serde_json::json!(["unknown"]);
    body["id"] = serde_json::json!(HOST_ID);
    body
}

/// Makes under `at` a folder that cannot be read, even by root, holding a page of `text`:
/// folders nested past PATH_MAX (4096 bytes) cannot be opened by their full path. Each of two
/// chains of 2,500 bytes can be made; moving one into the other (a rename of short enough
/// paths) nests the page past the limit.
pub fn unreadable_folder(at: &std::path::Path, text: &str) {
    let segment = "0".repeat(250);
    let chain = |root: PathBuf| (0..10).fold(root, |p, _| p.join(&segment));
    let deep = chain(at.to_path_buf());
    std::fs::create_dir_all(&deep).unwrap_or_else(|e| panic!("{e}"));
    let moved = at.with_extension("moved");
    let other = chain(moved.clone());
    std::fs::create_dir_all(&other).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(other.join("page.md"), text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&moved, deep.join("t")).unwrap_or_else(|e| panic!("{e}"));
}
pub mod corpus;
