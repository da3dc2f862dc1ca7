//! False greens: a broken target must not pass. Each test is a target that is wrong in one way
//! that an earlier version let through (wiremock on 127.0.0.1).

mod common;
use common::{HOST_ID, case, host_body, load, run_one};

use std::path::Path;
use std::time::Duration;

use conform::baseline::Baseline;
use conform::model::case::{Case, Header};
use conform::model::result::{CaseResult, CheckKind, CheckOutcome, Outcome};
use conform::replay::checks::{CheckOptions, StatusMatch};
use conform::replay::runner::{RunOptions, Target};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER_ID: &str = "e9107a0b-7a0b-e910-0b7a-10e90b7a10e9";
/// PATCH userSecurityProfile with `Prefer: return=representation`, documented 200 with the entity.
const PREFER_CASE: &str = "000_6e3310d0f32980d1.update_usersecurityprofile-2";
/// PATCH userSecurityProfile without Prefer, documented 204.
const NO_CONTENT_CASE: &str = "000_6e3310d0f32980d1.update_usersecurityprofile";
/// PATCH hostSecurityProfile, documented 200 with the entity.
const HOST_CASE: &str = "003_e135c242e05b0c0b.update_hostsecurityprofile";

fn opts(server: &MockServer, status: StatusMatch) -> RunOptions {
    RunOptions {
        target: Target::Url(format!("{}/beta", server.uri())),
        params: [
            ("userSecurityProfile_Id".to_string(), USER_ID.to_string()),
            ("hostSecurityProfileId".to_string(), HOST_ID.to_string()),
        ]
        .into(),
        timeout: Duration::from_secs(5),
        // A 429 here is judged, not waited out.
        retries: 0,
        checks: CheckOptions {
            status,
            ..CheckOptions::default()
        },
        ..RunOptions::default()
    }
}

/// Runs one case against a target that answers every request with `resp`.
async fn against(case: &Case, resp: ResponseTemplate, status: StatusMatch) -> CaseResult {
    let (_, schemas) = load();
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(resp)
        .mount(&server)
        .await;
    run_one(case, schemas, opts(&server, status)).await
}

fn raw(status: u16, body: &str, content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), content_type)
}

fn json_answer(status: u16, body: &Value) -> ResponseTemplate {
    raw(
        status,
        &serde_json::to_string(body).unwrap_or_default(),
        "application/json",
    )
    .insert_header("Preference-Applied", "return=representation")
}

fn failed(r: &CaseResult) -> Vec<(CheckKind, String)> {
    r.checks
        .iter()
        .filter(|c| c.is_error_failure())
        .map(|c| (c.kind, c.message.clone()))
        .collect()
}

fn profile(id: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.userSecurityProfile", "id": id, "tags": ["String"]})
}

#[tokio::test]
async fn status_class_relaxes_the_status_only_never_the_body() {
    let (cases, _) = load();
    let prefer = case(&cases, PREFER_CASE);
    // A 202 whose body is not JSON: every body check still runs against the documented answer.
    let r = against(
        &prefer,
        raw(202, "<html>queued</html>", "text/html"),
        StatusMatch::Class,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{:#?}", r.checks);
    let status = r.checks.iter().find(|c| c.kind == CheckKind::Status);
    assert!(status.is_some_and(|c| c.outcome == CheckOutcome::Failed && !c.is_error_failure()));
    assert!(
        failed(&r)
            .iter()
            .any(|(k, m)| *k == CheckKind::Header && m.contains("text/html")),
        "{:#?}",
        r.checks
    );
    // Labelled JSON but not JSON: the status warning must not hide it.
    let r = against(
        &prefer,
        raw(202, "queued", "application/json"),
        StatusMatch::Class,
    )
    .await;
    assert!(
        failed(&r)
            .iter()
            .any(|(k, m)| *k == CheckKind::Schema && m.contains("not JSON")),
        "{:#?}",
        r.checks
    );
    // JSON of the wrong shape under another 2xx is judged by the schema.
    let r = against(
        &prefer,
        json_answer(202, &json!({"id": USER_ID, "tags": "not a list"})),
        StatusMatch::Class,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(
        failed(&r)
            .iter()
            .any(|(k, m)| *k == CheckKind::Schema && m.contains("/tags")),
        "{:#?}",
        r.checks
    );
    // The same answer with a conformant body passes with the status warning.
    let r = against(
        &prefer,
        json_answer(202, &profile(USER_ID)),
        StatusMatch::Class,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
}

#[tokio::test]
async fn a_204_documented_and_200_served_still_has_its_body_judged() {
    let (cases, _) = load();
    let no_content = case(&cases, NO_CONTENT_CASE);
    let r = against(
        &no_content,
        raw(200, "{\"id\": 1,", "application/json"),
        StatusMatch::Class,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{:#?}", r.checks);
    assert!(
        failed(&r)
            .iter()
            .any(|(k, m)| *k == CheckKind::Schema && m.contains("not JSON"))
    );
    // What was written must come back in the representation served instead.
    let r = against(
        &no_content,
        json_answer(200, &json!({"id": USER_ID, "tags": ["other"]})),
        StatusMatch::Class,
    )
    .await;
    assert!(
        failed(&r).iter().any(|(k, _)| *k == CheckKind::Echo),
        "{:#?}",
        r.checks
    );
}

/// A baseline entry written for "204 documented, 200 served".
const PINNED_200: &str = r#"{"known_failures": [{"case": "000_6e3310d0f32980d1.update_usersecurityprofile", "reason": "docs disagree", "checks": ["status"], "status": 200}]}"#;

#[tokio::test]
async fn a_baseline_entry_waives_the_pinned_disagreement_and_nothing_else() {
    let (cases, _) = load();
    let no_content = case(&cases, NO_CONTENT_CASE);
    let baseline =
        Baseline::parse(PINNED_200, Path::new("baseline.json")).unwrap_or_else(|e| panic!("{e}"));
    let today = chrono::Utc::now().date_naive();
    let pinned = against(
        &no_content,
        json_answer(200, &profile(USER_ID)),
        StatusMatch::Exact,
    )
    .await;
    let mut results = vec![pinned];
    baseline.apply(&mut results, false, today);
    assert_eq!(results[0].outcome, Outcome::Waived, "{:#?}", results[0]);
    for status in [500, 429, 201] {
        let r = against(
            &no_content,
            raw(status, "", "text/plain"),
            StatusMatch::Exact,
        )
        .await;
        let mut results = vec![r];
        baseline.apply(&mut results, false, today);
        assert_eq!(results[0].outcome, Outcome::Failed, "{status}");
        assert!(
            results[0]
                .notes
                .iter()
                .any(|n| n.contains("accepts only 200")),
            "{:?}",
            results[0].notes
        );
    }
    // The pinned status with a broken body is not the documented disagreement either.
    let r = against(
        &no_content,
        raw(200, "oops", "application/json"),
        StatusMatch::Exact,
    )
    .await;
    let mut results = vec![r];
    baseline.apply(&mut results, false, today);
    assert_eq!(results[0].outcome, Outcome::Failed, "{:#?}", results[0]);
}

#[tokio::test]
async fn a_write_must_answer_what_the_docs_answer_shows() {
    let (cases, _) = load();
    let host = case(&cases, HOST_CASE);
    // The doc's answer shows `netBiosName`; an answer without it did not keep what was sent.
    let mut body = host_body(&host);
    if let Some(m) = body.as_object_mut() {
        m.remove("netBiosName");
    }
    let r = against(&host, json_answer(200, &body), StatusMatch::Exact).await;
    assert_eq!(r.outcome, Outcome::Failed, "{:#?}", r.checks);
    assert!(
        failed(&r)
            .iter()
            .any(|(k, m)| *k == CheckKind::Echo && m.contains("/netBiosName: sent")),
        "{:#?}",
        failed(&r)
    );
}

#[tokio::test]
async fn the_entity_answered_must_be_the_one_asked_for() {
    let (cases, _) = load();
    let prefer = case(&cases, PREFER_CASE);
    let other = "0b7a10e9-0000-4000-8000-000000000001";
    let r = against(
        &prefer,
        json_answer(200, &profile(other)),
        StatusMatch::Exact,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{:#?}", r.checks);
    assert!(
        failed(&r)
            .iter()
            .any(|(k, m)| *k == CheckKind::Key && m.contains(USER_ID) && m.contains(other)),
        "{:#?}",
        r.checks
    );
    // The same key in another case passes.
    let upper = USER_ID.to_ascii_uppercase();
    let r = against(
        &prefer,
        json_answer(200, &profile(&upper)),
        StatusMatch::Exact,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
}

#[tokio::test]
async fn a_repeated_key_is_an_error_naming_its_pointer() {
    let (cases, _) = load();
    let prefer = case(&cases, PREFER_CASE);
    // The last `id` is the one asked for, so a last-wins reader would see a good entity.
    let body =
        format!(r#"{{"id":"a","tags":["String"],"nested":{{"x":1,"x":2}},"id":"{USER_ID}"}}"#);
    let r = against(
        &prefer,
        raw(200, &body, "application/json")
            .insert_header("Preference-Applied", "return=representation"),
        StatusMatch::Exact,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{:#?}", r.checks);
    let repeated = failed(&r)
        .into_iter()
        .find(|(_, m)| m.contains("repeats"))
        .map(|(_, m)| m)
        .unwrap_or_default();
    assert!(
        repeated.contains("/id:") && repeated.contains("/nested/x:"),
        "{repeated}"
    );
}

#[tokio::test]
async fn a_path_key_checks_alternate_keys_by_their_own_property() {
    let (cases, _) = load();
    let mut by_upn = case(&cases, HOST_CASE);
    by_upn.request.path = "/users/{id | userPrincipalName}".into();
    by_upn.request.params = vec!["id | userPrincipalName".into()];
    by_upn.request.headers.push(Header {
        name: "Prefer".into(),
        value: "return=representation".into(),
    });
    let (_, schemas) = load();
    let server = MockServer::start().await;
    let mut body = host_body(&by_upn);
    body["userPrincipalName"] = json!("adele@contoso.com");
    Mock::given(method("PATCH"))
        .respond_with(json_answer(200, &body))
        .mount(&server)
        .await;
    let mut o = opts(&server, StatusMatch::Exact);
    o.params
        .insert("id | userPrincipalName".into(), "adele@contoso.com".into());
    let r = run_one(&by_upn, schemas.clone(), o.clone()).await;
    let key = r.checks.iter().find(|c| c.kind == CheckKind::Key);
    assert!(
        key.is_some_and(|c| c.outcome == CheckOutcome::Passed),
        "{:#?}",
        r.checks
    );
    o.params
        .insert("id | userPrincipalName".into(), "megan@contoso.com".into());
    let r = run_one(&by_upn, schemas, o).await;
    assert!(
        failed(&r).iter().any(|(k, _)| *k == CheckKind::Key),
        "{:#?}",
        r.checks
    );
}

/// The host PATCH plus a documented GET of the same resource, spelled differently.
fn with_documented_get(cases: &[Case]) -> (Case, Vec<Case>) {
    let patch = case(cases, HOST_CASE);
    let mut get = patch.clone();
    get.id = "get_hostsecurityprofile".into();
    get.request.method = conform::model::case::Method::Get;
    get.request.path = "/security/hostSecurityProfiles/{id}/".into();
    get.request.params = vec!["id".into()];
    get.request.body = None;
    (patch.clone(), vec![patch, get])
}

async fn readback_run(server: &MockServer, all: &[Case], patch: &Case) -> CaseResult {
    let (_, schemas) = load();
    let runner = conform::replay::runner::Runner::start(
        all,
        std::slice::from_ref(patch),
        schemas,
        opts(server, StatusMatch::Exact),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    runner.run_case(patch).await
}

#[tokio::test]
async fn a_write_is_read_back_where_a_get_is_documented() {
    let (cases, _) = load();
    let (patch, all) = with_documented_get(&cases);
    let written = host_body(&patch);
    // A service that echoes the request but stores nothing.
    let forgetful = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(json_answer(200, &written))
        .mount(&forgetful)
        .await;
    let mut stored_before = written.clone();
    stored_before["fqdn"] = json!("old.contoso.com");
    stored_before["tags"] = json!([]);
    Mock::given(method("GET"))
        .respond_with(json_answer(200, &stored_before))
        .mount(&forgetful)
        .await;
    let r = readback_run(&forgetful, &all, &patch).await;
    assert_eq!(r.outcome, Outcome::Failed, "{:#?}", r.checks);
    let readback = r.checks.iter().find(|c| c.kind == CheckKind::Readback);
    assert!(
        readback.is_some_and(|c| c.is_error_failure()
            && c.message.contains("/fqdn")
            && c.message.contains("/tags")
            && c.diff.is_some()),
        "{:#?}",
        r.checks
    );
    // A service that stores what it echoes passes; the GET went to the written path.
    let faithful = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(json_answer(200, &written))
        .mount(&faithful)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path(format!(
            "/beta/Security/hostSecurityProfiles/{HOST_ID}"
        )))
        .respond_with(json_answer(200, &written))
        .expect(1)
        .mount(&faithful)
        .await;
    let r = readback_run(&faithful, &all, &patch).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    assert!(
        r.checks
            .iter()
            .any(|c| c.kind == CheckKind::Readback && c.outcome == CheckOutcome::Passed)
    );
    // A read-back that is not found fails the same way.
    let lost = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(json_answer(200, &written))
        .mount(&lost)
        .await;
    let r = readback_run(&lost, &all, &patch).await;
    assert!(
        failed(&r)
            .iter()
            .any(|(k, m)| *k == CheckKind::Readback && m.contains("404")),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn readback_is_skipped_with_a_note_where_no_get_is_documented() {
    let (cases, _) = load();
    let patch = case(&cases, HOST_CASE);
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(json_answer(200, &host_body(&patch)))
        .mount(&server)
        .await;
    let r = readback_run(&server, std::slice::from_ref(&patch), &patch).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    assert!(r.checks.iter().all(|c| c.kind != CheckKind::Readback));
    assert!(
        r.notes.iter().any(|n| n.starts_with(
            "readback skipped: no GET is documented for /Security/hostSecurityProfiles/"
        )),
        "{:?}",
        r.notes
    );
}
