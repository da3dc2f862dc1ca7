//! Every case in `cases/` as its own test, replayed against the embedded mock or `CONFORM_TARGET`.
//!
//! `CONFORM_TARGET` is a service root including the version; `CONFORM_PARAMS` gives path
//! parameters as `name=value;name=value`; `CONFORM_TOKEN` is the bearer token. Known failures
//! in `reports/baseline.json` pass as `[waived]`; a baseline entry whose case passes shows `[stale]`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use conform::baseline::Baseline;
use conform::case::{self, Case};
use conform::runner::{RunOptions, Runner, Target};
use conform::schema::SchemaSet;
use libtest_mimic::{Arguments, Failed, Trial};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A single failing test that explains why no case could be run.
fn setup_failure(why: String) -> Vec<Trial> {
    vec![Trial::test("setup", move || Err(Failed::from(why)))]
}

fn params_from_env() -> BTreeMap<String, String> {
    std::env::var("CONFORM_PARAMS")
        .unwrap_or_default()
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .collect()
}

fn trials(args: &Arguments) -> Vec<Trial> {
    let root = root();
    let cases: Vec<Case> = match case::load_dir(&root.join("cases")) {
        Ok(c) => c,
        Err(e) => return setup_failure(e.to_string()),
    };
    let schemas = match SchemaSet::load_dir(&root.join("schemas")) {
        Ok(s) => Arc::new(s),
        Err(e) => return setup_failure(e.to_string()),
    };
    let baseline_path = root.join("reports").join("baseline.json");
    let baseline = if baseline_path.exists() {
        match Baseline::load(&baseline_path) {
            Ok(b) => Arc::new(b),
            Err(e) => return setup_failure(e.to_string()),
        }
    } else {
        Arc::new(Baseline::default())
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => Arc::new(rt),
        Err(e) => return setup_failure(format!("cannot start the async runtime: {e}")),
    };
    let target = std::env::var("CONFORM_TARGET")
        .ok()
        .filter(|t| !t.is_empty())
        .map_or(Target::Mock, Target::Url);
    let opts = RunOptions {
        target,
        params: params_from_env(),
        token: std::env::var("CONFORM_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        ..RunOptions::default()
    };
    let runner = match rt.block_on(Runner::start(&cases, &cases, schemas, opts)) {
        Ok(r) => Arc::new(r),
        Err(e) => return setup_failure(e.to_string()),
    };
    conform::testing::case_trials(cases, runner, rt, baseline, args)
}

fn main() {
    let args = Arguments::from_args();
    let trials = trials(&args);
    libtest_mimic::run(&args, trials).exit();
}
