//! The same cases against the service broken on purpose: each flaw is caught by the check
//! that names it.

use axum_service::{Flaw, SEEDED_IDS, app_with};
use conform::model::result::{CheckKind, Outcome};

async fn failing_kinds(flaw: Flaw) -> Vec<(String, CheckKind)> {
    let run = conform::Conformance::new()
        .cases_dir("../../cases")
        .schemas_dir("../../schemas")
        .service(app_with(flaw))
        .params(SEEDED_IDS)
        .run()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!run.report.gate.passed);
    run.report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .flat_map(|c| c.failing_kinds().into_iter().map(|k| (c.id.clone(), k)))
        .collect()
}

#[tokio::test]
async fn a_service_that_ignores_return_representation_fails_the_prefer_check() {
    let failing = failing_kinds(Flaw::IgnoresReturnRepresentation).await;
    assert!(
        failing.iter().any(|(_, k)| *k == CheckKind::Prefer),
        "{failing:?}"
    );
}

#[tokio::test]
async fn a_service_that_forgets_writes_fails_when_it_is_read_back() {
    // The seed pages document no GET, so this flaw shows only in the cases that read back:
    // the patch of a host profile followed by a documented GET of it.
    let cases = conform::model::case::load_dir(std::path::Path::new("../../cases"))
        .unwrap_or_else(|e| panic!("{e}"));
    let host = cases
        .into_iter()
        .find(|c| c.id == "003_e135c242e05b0c0b.update_hostsecurityprofile")
        .unwrap_or_else(|| panic!("no host case"));
    let mut get = host.clone();
    get.id = "get_hostsecurityprofile".into();
    get.request.method = conform::model::case::Method::Get;
    get.request.body = None;
    get.request.headers.clear();
    let run = conform::Conformance::new()
        .cases(vec![host, get])
        .schemas_dir("../../schemas")
        .service(app_with(Flaw::ForgetsWrites))
        .params(SEEDED_IDS)
        .filter("update_hostsecurityprofile")
        .run()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let kinds = run.report.cases[0].failing_kinds();
    assert_eq!(
        kinds,
        vec![CheckKind::Readback],
        "{:#?}",
        run.report.cases[0]
    );
}
