//! The seed cases, each as its own test, against this crate's service in process.

fn main() {
    conform::Conformance::new()
        .cases_dir("../../cases")
        .schemas_dir("../../schemas")
        .baseline("../../reports/baseline.json")
        .service(axum_service::app())
        .params(axum_service::SEEDED_IDS)
        .reports("../../target/axum-service-reports")
        .run_tests()
}
