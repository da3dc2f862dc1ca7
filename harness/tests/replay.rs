//! Each check against wiremock targets: a deviation must be caught by the right check, a conformant answer must pass.

mod common;
use common::{HOST_ID, load, run_one};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use conform::model::case::{self, Case};
use conform::model::result::{CaseResult, CheckKind, CheckOutcome, Outcome};
use conform::replay::runner::{RunError, RunOptions, Runner, Target};
use conform::schema::SchemaSet;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOST_CASE: &str = "003_e135c242e05b0c0b.update_hostsecurityprofile";

fn host_case(cases: &[Case]) -> Case {
    cases
        .iter()
        .find(|c| c.id == HOST_CASE)
        .cloned()
        .unwrap_or_else(|| panic!("no case {HOST_CASE}"))
}

/// What a conformant service answers to the documented hostSecurityProfile PATCH.
fn conformant_body(case: &Case) -> Value {
    common::host_body(case)
}

async fn run_against(
    server: &MockServer,
    case: &Case,
    schemas: Arc<SchemaSet>,
    timeout: Duration,
) -> CaseResult {
    let mut params = BTreeMap::new();
    params.insert("hostSecurityProfileId".to_string(), HOST_ID.to_string());
    let opts = RunOptions {
        target: Target::Url(format!("{}/beta", server.uri())),
        params,
        timeout,
        ..RunOptions::default()
    };
    let cases = vec![case.clone()];
    let runner = Runner::start(&cases, &cases, schemas, opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    runner.run_case(case).await
}

async fn answer(case: &Case, schemas: Arc<SchemaSet>, resp: ResponseTemplate) -> CaseResult {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!(
            "/beta/Security/hostSecurityProfiles/{HOST_ID}"
        )))
        .respond_with(resp)
        .mount(&server)
        .await;
    run_against(&server, case, schemas, Duration::from_secs(5)).await
}

fn failed_kinds(r: &CaseResult) -> Vec<String> {
    r.checks
        .iter()
        .filter(|c| c.outcome == CheckOutcome::Failed)
        .map(|c| c.kind.as_str().to_string())
        .collect()
}

fn json_response(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        serde_json::to_vec(body).unwrap_or_default(),
        "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8",
    )
}

#[tokio::test]
async fn conformant_answer_passes_every_check() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let mut body = conformant_body(&case);
    // Legal variations: reordered keys, annotations, nulls for unset nullable properties,
    // another offset for the same instant.
    body["@odata.context"] =
        json!("https://graph.microsoft.com/beta/$metadata#Security/hostSecurityProfiles/$entity");
    body["parentHost"] = json!("Parent Host value");
    body["os"] = json!("Os value");
    body["osVersion"] = json!("Os Version value");
    body["firstSeenDateTime"] = json!("2016-12-31T23:56:26.9196629Z");
    let r = answer(&case, schemas, json_response(200, &body)).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    let kinds: Vec<_> = r.checks.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "status", "header", "schema", "key", "type", "unknown", "echo"
        ]
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("/logonUsers/0/accountType")),
        "{:?}",
        r.notes
    );
}

#[tokio::test]
async fn wrong_status_is_caught() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let r = answer(&case, schemas, ResponseTemplate::new(204)).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(failed_kinds(&r), vec!["status"]);
    assert!(
        r.checks[0]
            .message
            .contains("expected 200 OK, got 204 No Content")
    );
}

#[tokio::test]
async fn wrong_media_type_is_caught() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let body = serde_json::to_vec(&conformant_body(&case)).unwrap_or_default();
    let r = answer(
        &case,
        schemas,
        ResponseTemplate::new(200).set_body_raw(body, "text/plain"),
    )
    .await;
    assert!(
        failed_kinds(&r).contains(&"header".to_string()),
        "{:#?}",
        r.checks
    );
    assert_eq!(r.outcome, Outcome::Failed);
}

#[tokio::test]
async fn non_utf8_charset_on_json_is_caught() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let body = serde_json::to_vec(&conformant_body(&case)).unwrap_or_default();
    let r = answer(
        &case,
        schemas,
        ResponseTemplate::new(200).set_body_raw(body, "application/json; charset=iso-8859-1"),
    )
    .await;
    assert_eq!(failed_kinds(&r), vec!["header"]);
}

#[tokio::test]
async fn body_that_is_not_json_is_caught() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let r = answer(
        &case,
        schemas,
        ResponseTemplate::new(200).set_body_raw("{not json", "application/json"),
    )
    .await;
    assert_eq!(failed_kinds(&r), vec!["schema"]);
    assert!(
        r.checks
            .iter()
            .any(|c| c.message.contains("body is not JSON"))
    );
}

#[tokio::test]
async fn schema_deviations_are_caught_with_pointers() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let mut body = conformant_body(&case);
    body["isAzureAdJoined"] = json!("true");
    body["relatedHostIds"] = json!("Related Host Ids value");
    body["lastSeenDateTime"] = json!("yesterday");
    body["networkInterfaces"][0]["macAddress"] = json!(42);
    body["id"] = Value::Null;
    let r = answer(&case, schemas, json_response(200, &body)).await;
    assert_eq!(r.outcome, Outcome::Failed);
    let schema = r
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Schema)
        .unwrap_or_else(|| panic!("no schema check"));
    assert_eq!(schema.outcome, CheckOutcome::Failed);
    for pointer in [
        "/isAzureAdJoined",
        "/relatedHostIds",
        "/lastSeenDateTime",
        "/networkInterfaces/0/macAddress",
        "/id",
    ] {
        assert!(
            schema.message.contains(&format!("{pointer}:")),
            "{pointer} missing in {}",
            schema.message
        );
    }
}

#[tokio::test]
async fn wrong_odata_type_is_caught() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let mut body = conformant_body(&case);
    body["@odata.type"] = json!("#microsoft.graph.ipSecurityProfile");
    let r = answer(&case, schemas, json_response(200, &body)).await;
    assert_eq!(failed_kinds(&r), vec!["type"]);
}

#[tokio::test]
async fn update_not_applied_is_caught_with_a_diff() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let mut body = conformant_body(&case);
    body["fqdn"] = json!("old.example.com");
    body["tags"] = json!([]);
    let r = answer(&case, schemas, json_response(200, &body)).await;
    assert_eq!(failed_kinds(&r), vec!["echo"]);
    let echo = r
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Echo)
        .unwrap_or_else(|| panic!("no echo"));
    assert!(
        echo.message
            .contains("/fqdn: sent \"Fqdn value\", got \"old.example.com\""),
        "{}",
        echo.message
    );
    assert!(
        echo.message.contains("/tags: sent 1 items, got 0"),
        "{}",
        echo.message
    );
    let diff = echo.diff.as_deref().unwrap_or_default();
    assert!(
        diff.contains("-  \"fqdn\": \"Fqdn value\"")
            && diff.contains("+  \"fqdn\": \"old.example.com\""),
        "{diff}"
    );
}

/// A one-answer-per-connection HTTP server that writes raw bytes, for answers no HTTP library would send.
async fn raw_server(answer: &'static [u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            // Read the head and whatever body arrives with it; the test requests are small.
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&got[..i]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if got.len() >= i + 4 + len {
                        break;
                    }
                }
            }
            let _ = stream.write_all(answer).await;
            let _ = stream.shutdown().await;
        }
    });
    format!("http://{addr}")
}

fn case_204() -> (Case, Arc<SchemaSet>) {
    let (cases, schemas) = load();
    let case = cases
        .iter()
        .find(|c| c.id == "000_6e3310d0f32980d1.update_usersecurityprofile")
        .cloned()
        .unwrap_or_else(|| panic!("no 204 case"));
    (case, schemas)
}

async fn run_raw(answer: &'static [u8], case: &Case, schemas: Arc<SchemaSet>) -> CaseResult {
    let base = raw_server(answer).await;
    let opts = RunOptions {
        target: Target::Url(base),
        params: [
            ("userSecurityProfile_Id".to_string(), "x".to_string()),
            ("hostSecurityProfileId".to_string(), HOST_ID.to_string()),
        ]
        .into(),
        timeout: Duration::from_secs(5),
        ..RunOptions::default()
    };
    run_one(case, schemas, opts).await
}

#[tokio::test]
async fn body_on_204_is_caught() {
    let (case, schemas) = case_204();
    let r = run_raw(
        b"HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        &case,
        schemas.clone(),
    )
    .await;
    assert_eq!(failed_kinds(&r), vec!["header"], "{:#?}", r.checks);
    let clean = run_raw(b"HTTP/1.1 204 No Content\r\n\r\n", &case, schemas).await;
    assert_eq!(clean.outcome, Outcome::Passed, "{:#?}", clean.checks);
}

#[tokio::test]
async fn json_body_without_content_type_is_caught() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let r = run_raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        &case,
        schemas,
    )
    .await;
    assert!(
        failed_kinds(&r).contains(&"header".to_string()),
        "{:#?}",
        r.checks
    );
    assert!(
        r.checks
            .iter()
            .any(|c| c.message.contains("no Content-Type"))
    );
}

#[tokio::test]
async fn truncated_body_is_errored() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let r = run_raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\": ",
        &case,
        schemas,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Errored, "{:#?}", r.checks);
    assert_eq!(failed_kinds(&r), vec!["transport"]);
}

#[tokio::test]
async fn non_http_answer_is_errored() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let r = run_raw(b"SSH-2.0-OpenSSH_9.0\r\n", &case, schemas).await;
    assert_eq!(r.outcome, Outcome::Errored, "{:#?}", r.checks);
}

#[tokio::test]
async fn refused_connection_is_errored_not_failed_and_says_so_alike_on_any_target() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    // Bind two listeners, then drop them, so that both ports are very likely closed.
    let listeners: Vec<_> = (0..2)
        .filter_map(|_| std::net::TcpListener::bind("127.0.0.1:0").ok())
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.port())
        .collect();
    drop(listeners);
    assert_eq!(ports.len(), 2);
    let mut messages = Vec::new();
    for port in &ports {
        let opts = RunOptions {
            target: Target::Url(format!("http://127.0.0.1:{port}/beta")),
            params: [("hostSecurityProfileId".to_string(), HOST_ID.to_string())].into(),
            ..RunOptions::default()
        };
        let r = run_one(&case, schemas.clone(), opts).await;
        assert_eq!(r.outcome, Outcome::Errored);
        assert_eq!(failed_kinds(&r), vec!["transport"]);
        let message = r.checks[0].message.clone();
        assert!(message.contains("connection failed"), "{message}");
        // The target is the run's, named once in the report: the message leaves it out, so
        // that a baseline pin made from it waives the same failure against another target.
        assert!(
            !message.contains("127.0.0.1") && !message.contains(&port.to_string()),
            "{message}"
        );
        messages.push(message);
    }
    assert_eq!(messages[0], messages[1]);
}

#[tokio::test]
async fn stalled_target_is_errored_with_a_timeout_cause() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    // The target never answers in time: a short timeout, since all it proves is how one ends.
    let r = run_against(&server, &case, schemas, Duration::from_millis(200)).await;
    assert_eq!(r.outcome, Outcome::Errored);
    assert!(
        r.checks[0].message.contains("timeout"),
        "{}",
        r.checks[0].message
    );
}

#[tokio::test]
async fn token_is_sent_and_never_reported() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let token = "tok-3f9a1c-secret";
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(json_response(200, &conformant_body(&case)))
        .mount(&server)
        .await;
    let opts = RunOptions {
        target: Target::Url(format!("{}/beta", server.uri())),
        params: [("hostSecurityProfileId".to_string(), HOST_ID.to_string())].into(),
        token: Some(token.to_string()),
        ..RunOptions::default()
    };
    let r = run_one(&case, schemas, opts).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    let report = conform::report::build_report(
        "t",
        chrono::Utc::now(),
        Duration::ZERO,
        vec![r],
        Default::default(),
    );
    let json = conform::report::json::render(&report);
    let xml = conform::report::junit::render(&report).unwrap_or_default();
    assert!(!json.contains(token) && !xml.contains(token));
}

#[tokio::test]
async fn missing_parameter_stops_the_run_before_sending() {
    let (cases, schemas) = load();
    let server = MockServer::start().await;
    let opts = RunOptions {
        target: Target::Url(server.uri()),
        ..RunOptions::default()
    };
    let err = Runner::start(&cases, &cases, schemas, opts).await.err();
    let text = err.as_ref().map(RunError::to_string).unwrap_or_default();
    assert!(text.contains("path parameters have no value"), "{text}");
    assert!(matches!(err, Some(RunError::MissingParams(_))));
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(0));
}

fn ip_case(cases: &[Case]) -> Case {
    cases
        .iter()
        .find(|c| c.id == "004_f87374d5002d3c9f.update_ipsecurityprofile")
        .cloned()
        .unwrap_or_else(|| panic!("no ip case"))
}

const IP_ID: &str = "a5c97fce-7fce-a5c9-ce7f-c9a5ce7fc9a5";

async fn answer_ip_with(
    case: &Case,
    schemas: Arc<SchemaSet>,
    resp: ResponseTemplate,
    strict: bool,
) -> CaseResult {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/beta/Security/ipSecurityProfiles/{IP_ID}")))
        .respond_with(resp)
        .mount(&server)
        .await;
    let opts = RunOptions {
        target: Target::Url(format!("{}/beta", server.uri())),
        params: [("ipSecurityProfileId".to_string(), IP_ID.to_string())].into(),
        checks: conform::replay::checks::CheckOptions {
            strict,
            ..Default::default()
        },
        ..RunOptions::default()
    };
    run_one(case, schemas, opts).await
}

async fn answer_ip(case: &Case, schemas: Arc<SchemaSet>, body: &Value) -> CaseResult {
    answer_ip_with(case, schemas, json_response(200, body), false).await
}

fn ip_body(case: &Case) -> Value {
    let mut body = match &case.request.body {
        Some(case::Body::Json(v)) => v.clone(),
        _ => panic!("case has no JSON body"),
    };
    body["id"] = json!(IP_ID);
    body
}

#[tokio::test]
async fn integer_sent_as_string_is_caught() {
    let (cases, schemas) = load();
    let case = ip_case(&cases);
    let mut body = ip_body(&case);
    body["countHits"] = json!("9");
    let r = answer_ip(&case, schemas, &body).await;
    assert_eq!(failed_kinds(&r), vec!["schema", "echo"], "{:#?}", r.checks);
    let schema = r
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Schema)
        .unwrap_or_else(|| panic!("no schema check"));
    assert!(schema.message.contains("/countHits:"), "{}", schema.message);
    let diff = schema.diff.as_deref().unwrap_or_default();
    assert!(diff.contains("+  \"countHits\": \"9\""), "{diff}");
    assert!(diff.contains("‹annotation›"), "{diff}");
}

#[tokio::test]
async fn nested_shape_change_is_caught() {
    let (cases, schemas) = load();
    let case = ip_case(&cases);
    let mut body = ip_body(&case);
    body["vendorInformation"] = json!([body["vendorInformation"].clone()]);
    let r = answer_ip(&case, schemas, &body).await;
    assert!(
        failed_kinds(&r).contains(&"schema".to_string()),
        "{:#?}",
        r.checks
    );
    assert!(
        r.checks
            .iter()
            .any(|c| c.kind == CheckKind::Schema && c.message.contains("/vendorInformation:"))
    );
}

#[tokio::test]
async fn missing_key_is_caught() {
    let (cases, schemas) = load();
    let case = ip_case(&cases);
    let mut body = ip_body(&case);
    if let Some(m) = body.as_object_mut() {
        m.remove("id");
    }
    let r = answer_ip(&case, schemas, &body).await;
    assert_eq!(failed_kinds(&r), vec!["key"], "{:#?}", r.checks);
    assert!(
        r.checks
            .iter()
            .any(|c| c.message.contains("the entity's key `id` is missing"))
    );
}

#[tokio::test]
async fn undeclared_property_warns_and_fails_when_strict() {
    let (cases, schemas) = load();
    let case = ip_case(&cases);
    let mut body = ip_body(&case);
    body["threatLevel"] = json!("high");
    let r = answer_ip(&case, schemas.clone(), &body).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    let unknown = r
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Unknown)
        .unwrap_or_else(|| panic!("no unknown check"));
    assert_eq!(unknown.outcome, CheckOutcome::Failed);
    assert_eq!(unknown.severity, conform::model::result::Severity::Warning);
    assert!(
        unknown.message.contains("/threatLevel"),
        "{}",
        unknown.message
    );
    let strict = answer_ip_with(&case, schemas, json_response(200, &body), true).await;
    assert_eq!(strict.outcome, Outcome::Failed);
    assert_eq!(failed_kinds(&strict), vec!["unknown"]);
}

#[tokio::test]
async fn every_legal_variation_passes() {
    let (cases, schemas) = load();
    let case = ip_case(&cases);
    let body = ip_body(&case);
    // Keys in reverse order, OData annotations at every level, nulls for what was not set,
    // the same instants written with other offsets and precisions, and tab-indented JSON.
    let mut varied = serde_json::Map::new();
    varied.insert(
        "@odata.context".into(),
        json!("https://graph.microsoft.com/beta/$metadata#Security/ipSecurityProfiles/$entity"),
    );
    varied.insert("@odata.etag".into(), json!("W/\"1\""));
    if let Some(m) = body.as_object() {
        for (k, v) in m.iter().rev() {
            varied.insert(k.clone(), v.clone());
        }
    }
    varied.insert(
        "firstSeenDateTime".into(),
        json!("2016-12-31T20:57:27.0365895Z"),
    );
    varied.insert(
        "lastSeenDateTime".into(),
        json!("2016-12-31T20:58:05.5931807+00:00"),
    );
    varied.insert(
        "vendorInformation".into(),
        json!({"provider": "Provider value", "providerVersion": "Provider Version value", "subProvider": "Sub Provider value", "vendor": null}),
    );
    varied.insert(
        "ipReferenceData@odata.type".into(),
        json!("#Collection(microsoft.graph.ipReferenceData)"),
    );
    varied.insert(
        "ipReferenceData".into(),
        json!([{"asn": 3, "city": "City value", "countryOrRegionCode": "Country Or Region Code value", "organization": "Organization value", "state": "State value", "vendor": null}]),
    );
    let text = serde_json::to_string_pretty(&Value::Object(varied))
        .unwrap_or_default()
        .replace("  ", "\t");
    let resp = ResponseTemplate::new(200).set_body_raw(
        text,
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
    );
    let r = answer_ip_with(&case, schemas, resp, true).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    assert!(
        r.checks.iter().all(|c| c.outcome == CheckOutcome::Passed),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn coverage_of_an_untruncated_example_is_checked() {
    let (cases, schemas) = load();
    let mut case = cases
        .iter()
        .find(|c| c.id == "000_6e3310d0f32980d1.update_usersecurityprofile-2")
        .cloned()
        .unwrap_or_else(|| panic!("no case"));
    case.response.truncated = false;
    let server = MockServer::start().await;
    // The doc's example shows azureSubscriptionId and createdDateTime (declared by the type) and
    // accountName and domainName (which the metadata does not declare: drift).
    let partial = json!({"id": "u1", "azureTenantId": "t", "tags": ["String"],
        "lastModifiedDateTime": "2021-01-01T00:00:00Z"});
    Mock::given(method("PATCH"))
        .respond_with(
            json_response(200, &partial)
                .insert_header("Preference-Applied", "return=representation"),
        )
        .mount(&server)
        .await;
    let opts = RunOptions {
        target: Target::Url(server.uri()),
        params: [("userSecurityProfile_Id".to_string(), "u1".to_string())].into(),
        ..RunOptions::default()
    };
    let r = run_one(&case, schemas.clone(), opts.clone()).await;
    assert_eq!(failed_kinds(&r), vec!["coverage"], "{:#?}", r.checks);
    let coverage = r
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Coverage)
        .map(|c| c.message.clone())
        .unwrap_or_default();
    assert!(
        coverage.contains("/azureSubscriptionId") && coverage.contains("/createdDateTime"),
        "{coverage}"
    );
    // What the metadata does not declare may be left out.
    assert!(
        !coverage.contains("/accountName") && !coverage.contains("/domainName"),
        "{coverage}"
    );
    // Placeholders in the doc's example are marked in the diff, never compared as values.
    let diff = r
        .checks
        .iter()
        .find_map(|c| c.diff.clone())
        .unwrap_or_default();
    assert!(diff.contains("‹placeholder: accountName-value›"), "{diff}");

    let mut full = partial.clone();
    full["azureSubscriptionId"] = json!("s");
    full["createdDateTime"] = json!("2021-01-01T00:00:00Z");
    full["accountName"] = json!("alice");
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            json_response(200, &full).insert_header("Preference-Applied", "return=representation"),
        )
        .mount(&server)
        .await;
    let opts = RunOptions {
        target: Target::Url(server.uri()),
        ..opts
    };
    let r = run_one(&case, schemas, opts).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    assert!(
        r.checks
            .iter()
            .any(|c| c.kind == CheckKind::Coverage && c.outcome == CheckOutcome::Passed)
    );
    // accountName is not in the metadata: shown, but only as a warning.
    assert!(
        r.checks
            .iter()
            .any(|c| c.kind == CheckKind::Unknown && c.outcome == CheckOutcome::Failed)
    );
}

/// Judges `case` against `resp` twice: with the case in hand, and with the case read from a
/// folder lean (as `conform run` reads a folder for a target other than the embedded mock),
/// where the documented response body stays in the file until a check needs it.
/// Both verdicts must be the same, message and diff included; the one in hand is returned.
async fn judged_alike(case: &Case, schemas: Arc<SchemaSet>, resp: ResponseTemplate) -> CaseResult {
    let (whole, read) = judged_in_hand_and_lean(case, schemas, resp, |_| {}).await;
    let verdict = |r: &CaseResult| {
        let checks: Vec<_> = r
            .checks
            .iter()
            .map(|c| (c.kind, c.outcome, c.message.clone(), c.diff.clone()))
            .collect();
        (r.outcome, checks, r.notes.clone())
    };
    assert_eq!(verdict(&read), verdict(&whole));
    whole
}

/// Judges `case` against the PATCH answer `resp` with the case in hand, then with the case
/// loaded lean from a folder, its file passed to `change` after the load; returns both.
async fn judged_in_hand_and_lean(
    case: &Case,
    schemas: Arc<SchemaSet>,
    resp: ResponseTemplate,
    change: impl FnOnce(&std::path::Path),
) -> (CaseResult, CaseResult) {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(resp)
        .mount(&server)
        .await;
    let mut params = BTreeMap::new();
    params.insert("hostSecurityProfileId".to_string(), HOST_ID.to_string());
    let opts = || RunOptions {
        target: Target::Url(format!("{}/beta", server.uri())),
        params: params.clone(),
        ..RunOptions::default()
    };
    let in_hand = vec![case.clone()];
    let runner = Runner::start(&in_hand, &in_hand, schemas.clone(), opts())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let whole = runner.run_case(case).await;

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join(case.file_name());
    std::fs::write(&file, case.to_json()).unwrap_or_else(|e| panic!("{e}"));
    let lean = case::CaseFiles::load_lean::<serde::de::IgnoredAny>(&file)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(lean.case.response.body.is_none() && lean.case.request.body.is_none());
    let mut files = case::CaseFiles::default();
    files.note(&lean.case, lean.left);
    change(&file);
    let lean = vec![lean.case];
    let runner = Runner::start_reading(&lean, &lean, schemas, opts(), files)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let read = runner.run_case(&lean[0]).await;
    (whole, read)
}

#[tokio::test]
async fn a_lean_case_whose_file_changed_errors_only_when_a_check_needs_its_documented_body() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let body = conformant_body(&case);
    let gone =
        |file: &std::path::Path| std::fs::remove_file(file).unwrap_or_else(|e| panic!("{e}"));
    // A conformant answer needs no documented body: the case runs the request it was
    // loaded with and passes, though its file is gone.
    let (whole, read) =
        judged_in_hand_and_lean(&case, schemas.clone(), json_response(200, &body), gone).await;
    assert_eq!(whole.outcome, Outcome::Passed, "{:#?}", whole.checks);
    assert_eq!(read.outcome, Outcome::Passed, "{:#?}", read.checks);

    // An answer without its key asks whether the doc's example leaves it out too: with the
    // file gone or holding another case, that cannot be known, and the case errors naming
    // the file rather than judging without the example.
    let mut keyless = body.clone();
    keyless.as_object_mut().map(|m| m.remove("id"));
    let other = |file: &std::path::Path| {
        let mut c = case.clone();
        c.id = "another".into();
        std::fs::write(file, c.to_json()).unwrap_or_else(|e| panic!("{e}"))
    };
    let (whole, read) =
        judged_in_hand_and_lean(&case, schemas.clone(), json_response(200, &keyless), gone).await;
    assert_eq!(failed_kinds(&whole), vec!["key"], "{:#?}", whole.checks);
    assert_eq!(read.outcome, Outcome::Errored, "{:#?}", read.checks);
    let unread = read
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Transport)
        .unwrap_or_else(|| panic!("no transport check: {:#?}", read.checks));
    assert!(
        unread
            .message
            .starts_with("the documented response body could not be read to judge the answer: ")
            && unread.message.contains(&case.file_name()),
        "{}",
        unread.message
    );
    let (_, read) =
        judged_in_hand_and_lean(&case, schemas, json_response(200, &keyless), other).await;
    assert_eq!(read.outcome, Outcome::Errored, "{:#?}", read.checks);
    assert!(
        read.checks
            .iter()
            .any(|c| c.kind == CheckKind::Transport
                && c.message.contains("now holds case `another`")),
        "{:#?}",
        read.checks
    );
}

#[tokio::test]
async fn a_case_read_from_its_file_when_it_runs_is_judged_as_the_case_in_hand() {
    let (cases, schemas) = load();
    let case = host_case(&cases);
    let body = conformant_body(&case);
    // The case, its doc's example of the answer without the property `key`.
    let example_without = |key: &str| {
        let mut c = case.clone();
        if let Some(case::Body::Json(Value::Object(m))) = &mut c.response.body {
            m.shift_remove(key);
        }
        c
    };
    let check = |r: &CaseResult, kind: CheckKind| {
        r.checks
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| (c.outcome, c.message.clone(), c.diff.clone()))
            .unwrap_or_else(|| panic!("no {kind:?} check: {:#?}", r.checks))
    };

    // A conformant answer: the documented body is never needed.
    let r = judged_alike(&case, schemas.clone(), json_response(200, &body)).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);

    // The key left out: the doc's example shows it, so the answer fails; an example without
    // it allows the answer.
    let mut keyless = body.clone();
    keyless.as_object_mut().map(|m| m.remove("id"));
    let r = judged_alike(&case, schemas.clone(), json_response(200, &keyless)).await;
    assert_eq!(failed_kinds(&r), vec!["key"], "{:#?}", r.checks);
    let r = judged_alike(
        &example_without("id"),
        schemas.clone(),
        json_response(200, &keyless),
    )
    .await;
    assert!(failed_kinds(&r).is_empty(), "{:#?}", r.checks);

    // A written property missing from the answer: a failure, unless the doc's example of the
    // answer leaves it out too.
    let mut without_fqdn = body.clone();
    without_fqdn.as_object_mut().map(|m| m.remove("fqdn"));
    let r = judged_alike(&case, schemas.clone(), json_response(200, &without_fqdn)).await;
    assert_eq!(check(&r, CheckKind::Echo).0, CheckOutcome::Failed);
    let r = judged_alike(
        &example_without("fqdn"),
        schemas.clone(),
        json_response(200, &without_fqdn),
    )
    .await;
    let (outcome, message, _) = check(&r, CheckKind::Echo);
    assert_eq!(outcome, CheckOutcome::Passed);
    assert!(message.contains("1 not in the answer"), "{message}");

    // An invalid answer: its diff is drawn against the doc's example.
    let mut invalid = body.clone();
    invalid["riskScore"] = json!(7);
    let r = judged_alike(&case, schemas.clone(), json_response(200, &invalid)).await;
    let (outcome, _, diff) = check(&r, CheckKind::Schema);
    assert_eq!(outcome, CheckOutcome::Failed);
    assert!(
        diff.as_deref().is_some_and(|d| d.contains("riskScore")),
        "{diff:?}"
    );

    // An example not marked shortened: every property it shows must be answered.
    let mut whole_example = case.clone();
    whole_example.response.truncated = false;
    let r = judged_alike(
        &whole_example,
        schemas.clone(),
        json_response(200, &without_fqdn),
    )
    .await;
    let (outcome, message, _) = check(&r, CheckKind::Coverage);
    assert_eq!(outcome, CheckOutcome::Failed);
    assert!(message.contains("fqdn"), "{message}");

    // No documented Content-Type: the doc's JSON example is what says JSON is expected, and
    // that a body is promised.
    let mut no_content_type = case.clone();
    no_content_type
        .response
        .headers
        .retain(|h| !h.name.eq_ignore_ascii_case("content-type"));
    let r = judged_alike(
        &no_content_type,
        schemas.clone(),
        ResponseTemplate::new(200).set_body_raw("<p>hi</p>", "text/html"),
    )
    .await;
    let (outcome, message, _) = check(&r, CheckKind::Header);
    assert_eq!(outcome, CheckOutcome::Failed);
    assert!(message.contains("expected `application/json`"), "{message}");
    let r = judged_alike(&no_content_type, schemas, ResponseTemplate::new(200)).await;
    let (outcome, message, _) = check(&r, CheckKind::Schema);
    assert_eq!(outcome, CheckOutcome::Failed);
    assert!(message.contains("expected a JSON body"), "{message}");
}
