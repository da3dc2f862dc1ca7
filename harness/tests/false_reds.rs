//! False reds: a legal answer must pass. Each test is a target that answers legally in a way an
//! earlier version failed (wiremock on 127.0.0.1).

mod common;
use common::{HOST_ID, case, host_body, load, run_one};

use std::sync::Arc;
use std::time::Duration;

use conform::model::case::{Body, Case, Header};
use conform::model::result::{CaseResult, CheckKind, CheckOutcome, Outcome, Severity};
use conform::replay::runner::{RunOptions, Target};
use conform::schema::SchemaSet;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER_ID: &str = "e9107a0b-7a0b-e910-0b7a-10e90b7a10e9";
const PREFER_CASE: &str = "000_6e3310d0f32980d1.update_usersecurityprofile-2";
const NO_CONTENT_CASE: &str = "000_6e3310d0f32980d1.update_usersecurityprofile";
const HOST_CASE: &str = "003_e135c242e05b0c0b.update_hostsecurityprofile";

fn opts(server: &MockServer) -> RunOptions {
    RunOptions {
        target: Target::Url(format!("{}/beta", server.uri())),
        params: [
            ("userSecurityProfile_Id".to_string(), USER_ID.to_string()),
            ("hostSecurityProfileId".to_string(), HOST_ID.to_string()),
            ("id".to_string(), "x1".to_string()),
        ]
        .into(),
        timeout: Duration::from_secs(5),
        retries: 0,
        ..RunOptions::default()
    }
}

async fn against_with(case: &Case, resp: ResponseTemplate, schemas: Arc<SchemaSet>) -> CaseResult {
    let server = MockServer::start().await;
    Mock::given(method(case.request.method.as_str()))
        .respond_with(resp)
        .mount(&server)
        .await;
    run_one(case, schemas, opts(&server)).await
}

async fn against(case: &Case, resp: ResponseTemplate) -> CaseResult {
    let (_, schemas) = load();
    against_with(case, resp, schemas).await
}

fn json_answer(status: u16, body: &Value, content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(serde_json::to_vec(body).unwrap_or_default(), content_type)
}

fn profile() -> Value {
    json!({"@odata.type": "#microsoft.graph.userSecurityProfile", "id": USER_ID, "tags": ["String"]})
}

fn assert_passed(r: &CaseResult) {
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
}

#[tokio::test]
async fn media_types_are_read_by_the_rfc_grammar() {
    let (cases, _) = load();
    let prefer = case(&cases, PREFER_CASE);
    for ct in [
        "application/json ; charset=utf-8",
        "application/json\t;\todata.metadata=minimal ;charset=UTF-8",
        "Application/JSON; Charset=\"utf-8\"",
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        // Empty parameters are legal (RFC 9110 §5.6.6: `*( OWS ";" OWS [ parameter ] )`).
        "application/json;",
        "application/json;;charset=utf-8",
        "application/json; ; odata.metadata=minimal ;",
    ] {
        let r = against(
            &prefer,
            json_answer(200, &profile(), ct)
                .insert_header("Preference-Applied", "return=representation"),
        )
        .await;
        assert_passed(&r);
    }
    // A charset that is not UTF-8 is still refused for JSON, however it is spelled.
    for ct in [
        "application/json ; charset=\"ISO-8859-1\"",
        "application/json;; charset=iso-8859-1;",
    ] {
        let r = against(&prefer, json_answer(200, &profile(), ct)).await;
        assert_eq!(r.outcome, Outcome::Failed, "{ct}");
    }
}

#[tokio::test]
async fn preferences_are_read_by_rfc_7240() {
    let (cases, _) = load();
    let prefer = case(&cases, PREFER_CASE);
    for applied in [
        "return=\"representation\"",
        "Return=representation",
        "return = representation",
        "odata.maxpagesize=10, return=representation",
        "respond-async; x=1,return=representation",
    ] {
        let r = against(
            &prefer,
            json_answer(200, &profile(), "application/json")
                .insert_header("Preference-Applied", applied),
        )
        .await;
        let check = r.checks.iter().find(|c| c.kind == CheckKind::Prefer);
        assert!(
            check.is_some_and(|c| c.outcome == CheckOutcome::Passed),
            "{applied}: {:#?}",
            r.checks
        );
    }
    // A request with several preferences in one header is still judged on `return`.
    let mut several = prefer.clone();
    for h in &mut several.request.headers {
        if h.name.eq_ignore_ascii_case("prefer") {
            h.value = "odata.include-annotations=\"*\", return=representation".into();
        }
    }
    let r = against(
        &several,
        ResponseTemplate::new(204).insert_header("Preference-Applied", "return=minimal"),
    )
    .await;
    assert!(
        r.checks
            .iter()
            .any(|c| c.kind == CheckKind::Prefer && c.is_error_failure()),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn date_times_are_compared_at_the_precision_the_service_keeps() {
    let (cases, _) = load();
    let host = case(&cases, HOST_CASE);
    let mut body = host_body(&host);
    // Sent 2016-12-31T23:56:26.9196629+00:00; an OData V4 server keeps milliseconds.
    body["firstSeenDateTime"] = json!("2016-12-31T23:56:26.919Z");
    body["lastSeenDateTime"] = json!("2017-01-01T00:01:38Z");
    let r = against(&host, json_answer(200, &body, "application/json")).await;
    assert_passed(&r);
    // Another instant at that precision is still a difference.
    body["firstSeenDateTime"] = json!("2016-12-31T23:56:26.920Z");
    let r = against(&host, json_answer(200, &body, "application/json")).await;
    let echo = r.checks.iter().find(|c| c.kind == CheckKind::Echo);
    assert!(
        echo.is_some_and(|c| c.is_error_failure() && c.message.contains("/firstSeenDateTime")),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn a_write_may_leave_out_of_its_answer_what_the_docs_answer_leaves_out() {
    let (cases, _) = load();
    let mut host = case(&cases, HOST_CASE);
    let mut body = host_body(&host);
    if let Some(m) = body.as_object_mut() {
        m.remove("netBiosName");
    }
    // The doc's own answer leaves `netBiosName` out: a service that does the same is legal.
    if let Some(Body::Json(Value::Object(doc))) = &mut host.response.body {
        doc.remove("netBiosName");
    }
    let r = against(&host, json_answer(200, &body, "application/json")).await;
    assert_passed(&r);
    let echo = r.checks.iter().find(|c| c.kind == CheckKind::Echo);
    assert!(
        echo.is_some_and(|c| c.message.contains("1 not in the answer")),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn a_documented_204_that_lists_content_type_demands_no_body() {
    let (cases, _) = load();
    let mut no_content = case(&cases, NO_CONTENT_CASE);
    no_content.response.headers.push(Header {
        name: "Content-Type".into(),
        value: "application/json".into(),
    });
    let r = against(&no_content, ResponseTemplate::new(204)).await;
    assert_passed(&r);
}

/// A case for `POST /things/{id}/getNames` answered with a primitive type.
fn primitive_case(cases: &[Case], odata_type: &str, collection: bool) -> Case {
    let mut c = case(cases, HOST_CASE);
    c.request.method = conform::model::case::Method::Post;
    c.request.path = "/things/{id}/getNames".into();
    c.request.params = vec!["id".into()];
    c.request.body = Some(Body::Json(json!({"securityEnabledOnly": true})));
    c.response.odata_type = Some(odata_type.into());
    c.response.is_collection = collection;
    c.response.body = None;
    c.response.truncated = true;
    c.response.headers.clear();
    c
}

#[tokio::test]
async fn primitive_response_types_are_validated_as_primitives() {
    let (cases, _) = load();
    for (ty, collection, good, bad, at) in [
        (
            "Edm.String",
            false,
            json!({"value": "https://x"}),
            json!({"value": 5}),
            "/value",
        ),
        (
            "String",
            true,
            json!({"value": ["a", "b"]}),
            json!({"value": ["a", 1]}),
            "/value/1",
        ),
        (
            "Edm.Int32",
            false,
            json!({"value": 7}),
            json!({"value": 7.5}),
            "/value",
        ),
        (
            "Edm.Boolean",
            false,
            json!({"value": true}),
            json!({"value": "true"}),
            "/value",
        ),
    ] {
        let c = primitive_case(&cases, ty, collection);
        let r = against(&c, json_answer(200, &good, "application/json")).await;
        assert_passed(&r);
        let schema = r.checks.iter().find(|c| c.kind == CheckKind::Schema);
        assert!(
            schema.is_some_and(|c| c.message.starts_with("body is a valid")),
            "{ty}: {:#?}",
            r.checks
        );
        let r = against(&c, json_answer(200, &bad, "application/json")).await;
        let schema = r.checks.iter().find(|c| c.kind == CheckKind::Schema);
        assert!(
            schema.is_some_and(|c| c.is_error_failure() && c.message.contains(at)),
            "{ty}: {:#?}",
            r.checks
        );
    }
}

#[tokio::test]
async fn a_type_derived_from_one_the_schemas_lack_is_not_judged() {
    let (cases, _) = load();
    // The doc names a base type the metadata does not define; the answer a type derived from
    // it (as the docs' authenticationListener and invokeUserFlowListener are).
    let c = primitive_case(&cases, "microsoft.graph.undefinedListener", false);
    let body = json!({"@odata.type": "#microsoft.graph.invokeUserFlowListener", "id": "l1"});
    let r = against(&c, json_answer(200, &body, "application/json")).await;
    assert_passed(&r);
    let ty = r.checks.iter().find(|c| c.kind == CheckKind::Type);
    assert!(
        ty.is_some_and(|c| c.severity == Severity::Warning
            && c.message.contains("no schema for the expected type")),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn a_missing_schema_names_the_folder_actually_used() {
    let (cases, _) = load();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("x.json"),
        r#"{"$id": "microsoft.graph.other", "type": "object"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let schemas = Arc::new(SchemaSet::load_dir(dir.path()).unwrap_or_else(|e| panic!("{e}")));
    let host = case(&cases, HOST_CASE);
    let r = against_with(
        &host,
        json_answer(200, &host_body(&host), "application/json"),
        schemas,
    )
    .await;
    let schema = r.checks.iter().find(|c| c.kind == CheckKind::Schema);
    let folder = dir.path().display().to_string();
    assert!(
        schema.is_some_and(|c| c.message.contains(&folder) && !c.message.contains(" schemas/")),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn failed_warnings_show_and_severities_are_the_ones_that_applied() {
    let (cases, _) = load();
    let host = case(&cases, HOST_CASE);
    let mut body = host_body(&host);
    body["undeclaredThing"] = json!(1);
    let r = against(&host, json_answer(200, &body, "application/json")).await;
    assert_passed(&r);
    let unknown = r.checks.iter().find(|c| c.kind == CheckKind::Unknown);
    assert!(
        unknown
            .is_some_and(|c| c.severity == Severity::Warning && c.outcome == CheckOutcome::Failed)
    );
    let report = conform::report::build_report(
        "t",
        chrono::Utc::now(),
        Duration::ZERO,
        vec![r],
        Default::default(),
    );
    let console = conform::report::console::render(&report, false);
    assert!(
        console.contains(HOST_CASE) && console.contains("undeclaredThing"),
        "{console}"
    );
    let junit = conform::report::junit::render(&report).unwrap_or_default();
    assert!(junit.contains("<system-out>"), "{junit}");
    assert!(junit.contains("undeclaredThing"), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    // A passing warning-level check is recorded with the warning severity it had.
    let r = against(
        &host,
        json_answer(200, &host_body(&host), "application/json"),
    )
    .await;
    let unknown = r.checks.iter().find(|c| c.kind == CheckKind::Unknown);
    assert!(
        unknown
            .is_some_and(|c| c.severity == Severity::Warning && c.outcome == CheckOutcome::Passed),
        "{:#?}",
        r.checks
    );
}
