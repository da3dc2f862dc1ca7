//! The whole corpus replayed against the embedded mock with no parameter given: most cases
//! pass, none lacks a parameter, every failure the docs explain is waived by a generated
//! doc-defect baseline, and a second run (with that baseline) gives every case the same verdict.

use std::collections::BTreeMap;

use conform::baseline;
use conform::model::result::{CheckKind, Outcome};

/// Least share of the cases that run (not skipped) that must pass against the mock.
const PASS_FLOOR: f64 = 0.95;

#[test]
fn the_whole_beta_corpus_passes_against_the_embedded_mock_and_the_rest_is_explained() {
    passes_against_the_embedded_mock_and_the_rest_is_explained("beta");
}

#[test]
fn the_whole_v1_corpus_passes_against_the_embedded_mock_and_the_rest_is_explained() {
    passes_against_the_embedded_mock_and_the_rest_is_explained("v1.0");
}

/// One version of the corpus, run twice against the mock: without and with its generated
/// doc-defect baseline.
fn passes_against_the_embedded_mock_and_the_rest_is_explained(version: &str) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let corpus = crate::common::corpus::loaded(version);
    let cases = corpus.extraction.cases.clone();
    let run = |baseline: Option<&std::path::Path>| {
        let mut pipeline = conform::Conformance::new()
            .cases(cases.clone())
            .schemas(corpus.schemas.clone());
        if let Some(b) = baseline {
            pipeline = pipeline.baseline(b);
        }
        rt.block_on(pipeline.run())
            .unwrap_or_else(|e| panic!("{version}: {e}"))
    };
    let first = run(None);
    let results = &first.report.cases;
    let ran = results
        .iter()
        .filter(|r| r.outcome != Outcome::Skipped)
        .count();
    let passed = results
        .iter()
        .filter(|r| r.outcome == Outcome::Passed)
        .count();
    let missing_params: Vec<&str> = results
        .iter()
        .filter(|r| r.checks.iter().any(|c| c.kind == CheckKind::Params))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        missing_params.is_empty(),
        "{version}: cases without a parameter value: {missing_params:?}"
    );

    let generated = baseline::doc_defects(results, &cases, &corpus.extraction);
    eprintln!(
        "{version}: {passed} of {ran} cases pass against the embedded mock ({:.1}%); of the \
             {} that fail, {} are explained by a doc defect",
        100.0 * passed as f64 / ran.max(1) as f64,
        ran - passed,
        generated.baseline.known_failures.len()
    );
    for u in &generated.unexplained {
        eprintln!("  unexplained: {u}");
    }
    assert!(
        passed as f64 >= PASS_FLOOR * ran as f64,
        "{version}: {passed} of {ran} pass, under {PASS_FLOOR}"
    );
    // Every failure names its doc defect (none unexplained on the 2021-07 corpus): one more
    // means a check or the mock got worse, or a defect went unnamed.
    assert!(
        generated.unexplained.is_empty(),
        "{version}: {} failures name no doc defect",
        generated.unexplained.len()
    );

    // The generated baseline, read back, waives exactly what it lists, in a second run
    // that gives every other case the verdict of the first.
    let file = tmp.path().join(format!("{version}-doc-defects.json"));
    let text = serde_json::to_string_pretty(&generated.baseline).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let second = run(Some(&file));
    let before: BTreeMap<&str, Outcome> =
        results.iter().map(|r| (r.id.as_str(), r.outcome)).collect();
    let listed: std::collections::BTreeSet<&str> = generated
        .baseline
        .known_failures
        .iter()
        .map(|k| k.case.as_str())
        .collect();
    let mut changed = Vec::new();
    for r in &second.report.cases {
        let want = if listed.contains(r.id.as_str()) {
            Outcome::Waived
        } else {
            before
                .get(r.id.as_str())
                .copied()
                .unwrap_or(Outcome::Skipped)
        };
        if r.outcome != want {
            changed.push(format!(
                "{}: {:?}, expected {want:?}; {:?}",
                r.id, r.outcome, r.notes
            ));
        }
    }
    assert!(
        changed.is_empty(),
        "{version}: {} cases changed verdict between two runs:\n{}",
        changed.len(),
        changed.join("\n")
    );
}
