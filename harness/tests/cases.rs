//! Every case in `cases/` as its own test, replayed against the embedded mock or `CONFORM_TARGET`,
//! through the public testing API exactly as a user's crate would use it.
//!
//! `CONFORM_TARGET` is a service root including the version; `CONFORM_PARAMS` gives path
//! parameters as `name=value;name=value`; `CONFORM_TOKEN` is the bearer token;
//! `CONFORM_CASES` and `CONFORM_SCHEMAS` name other cases and schemas folders. Known failures
//! in `reports/baseline.json` pass, and their output says "waived" with the reason.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let folder = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(default))
    };
    let mut conformance = conform::Conformance::new()
        .cases_dir(folder("CONFORM_CASES", "cases"))
        .schemas_dir(folder("CONFORM_SCHEMAS", "schemas"))
        .baseline(root.join("reports").join("baseline.json"))
        .params(conform::pipeline::params_from_list(
            &std::env::var("CONFORM_PARAMS").unwrap_or_default(),
        ));
    if let Ok(target) = std::env::var("CONFORM_TARGET")
        && !target.is_empty()
    {
        conformance = conformance.target_url(target);
    }
    if let Ok(token) = std::env::var("CONFORM_TOKEN") {
        conformance = conformance.token(token);
    }
    conformance.run_tests()
}
