//! Status, header semantics, Prefer, retries, redirects and transport limits against wiremock
//! targets (and a raw TCP listener): each deviation caught by the right check, each legal variation passing.

mod common;
use common::{load, run_one};

use std::time::Duration;

use conform::model::case::{self, Case, Header};
use conform::model::result::{CaseResult, CheckKind, CheckOutcome, Outcome, Severity};
use conform::replay::checks::{CheckOptions, StatusMatch};
use conform::replay::runner::{RunOptions, Runner, Target};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER_ID: &str = "e9107a0b-7a0b-e910-0b7a-10e90b7a10e9";

/// The documented PATCH with `Prefer: return=representation`, answered 200 with the profile.
fn prefer_case(cases: &[Case]) -> Case {
    cases
        .iter()
        .find(|c| c.id == "000_6e3310d0f32980d1.update_usersecurityprofile-2")
        .cloned()
        .unwrap_or_else(|| panic!("no prefer case"))
}

fn profile() -> Value {
    json!({"@odata.type": "#microsoft.graph.userSecurityProfile", "id": USER_ID, "azureTenantId": "t", "tags": ["String"]})
}

fn ok_json(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        serde_json::to_vec(body).unwrap_or_default(),
        "application/json",
    )
}

fn opts(base: String) -> RunOptions {
    RunOptions {
        target: Target::Url(base),
        params: [("userSecurityProfile_Id".to_string(), USER_ID.to_string())].into(),
        timeout: Duration::from_secs(5),
        max_retry_wait: Duration::from_millis(50),
        ..RunOptions::default()
    }
}

async fn serve(resp: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(resp)
        .mount(&server)
        .await;
    server
}

fn check<'a>(r: &'a CaseResult, kind: &str) -> Vec<&'a conform::model::result::CheckResult> {
    r.checks
        .iter()
        .filter(|c| c.kind.as_str() == kind)
        .collect()
}

#[tokio::test]
async fn status_of_the_same_class_warns_only_when_asked() {
    let (cases, schemas) = load();
    let case = prefer_case(&cases);
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(
                    serde_json::to_vec(&profile()).unwrap_or_default(),
                    "application/json",
                )
                .insert_header("Preference-Applied", "return=representation"),
        )
        .mount(&server)
        .await;
    let exact = run_one(&case, schemas.clone(), opts(server.uri())).await;
    assert_eq!(exact.outcome, Outcome::Failed);
    assert!(
        check(&exact, "status")[0]
            .message
            .contains("expected 200 OK, got 201 Created")
    );
    let class = run_one(
        &case,
        schemas,
        RunOptions {
            checks: CheckOptions {
                status: StatusMatch::Class,
                ..CheckOptions::default()
            },
            ..opts(server.uri())
        },
    )
    .await;
    assert_eq!(class.outcome, Outcome::Passed, "{:#?}", class.checks);
    let status = check(&class, "status")[0];
    assert_eq!(
        (status.outcome, status.severity),
        (CheckOutcome::Failed, Severity::Warning)
    );
}

#[tokio::test]
async fn prefer_is_judged_by_shape_and_preference_applied() {
    let (cases, schemas) = load();
    let case = prefer_case(&cases);
    let honoured =
        serve(ok_json(&profile()).insert_header("Preference-Applied", "return=representation"))
            .await;
    let r = run_one(&case, schemas.clone(), opts(honoured.uri())).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    assert_eq!(check(&r, "prefer")[0].outcome, CheckOutcome::Passed);

    let silent = serve(ok_json(&profile())).await;
    let r = run_one(&case, schemas.clone(), opts(silent.uri())).await;
    assert_eq!(r.outcome, Outcome::Passed);
    let p = check(&r, "prefer")[0];
    assert_eq!(
        (p.outcome, p.severity),
        (CheckOutcome::Failed, Severity::Warning),
        "{}",
        p.message
    );

    let wrong =
        serve(ok_json(&profile()).insert_header("Preference-Applied", "return=minimal")).await;
    let r = run_one(&case, schemas.clone(), opts(wrong.uri())).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(
        check(&r, "prefer")[0]
            .message
            .contains("Preference-Applied says `return=minimal`")
    );

    let empty = serve(ResponseTemplate::new(200)).await;
    let r = run_one(&case, schemas, opts(empty.uri())).await;
    assert!(
        check(&r, "prefer")
            .iter()
            .any(|c| c.is_error_failure() && c.message.contains("has no representation")),
        "{:#?}",
        r.checks
    );
}

#[tokio::test]
async fn documented_headers_must_be_present_with_their_values() {
    let (cases, schemas) = load();
    let mut case = prefer_case(&cases);
    case.response.headers.push(Header {
        name: "OData-Version".into(),
        value: "4.0".into(),
    });
    case.response.headers.push(Header {
        name: "Vary".into(),
        value: "Accept, Prefer".into(),
    });
    case.response.headers.push(Header {
        name: "Location".into(),
        value: "https://graph.microsoft.com/beta/x/{id}".into(),
    });
    case.response.headers.push(Header {
        name: "Content-Length".into(),
        value: "924".into(),
    });

    let missing =
        serve(ok_json(&profile()).insert_header("Preference-Applied", "return=representation"))
            .await;
    let r = run_one(&case, schemas.clone(), opts(missing.uri())).await;
    let failed: Vec<&str> = check(&r, "header")
        .iter()
        .filter(|c| c.is_error_failure())
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed.iter().all(|m| m.contains("is missing")));

    // Repeated headers and comma lists are equivalent; names are case-insensitive; a placeholder
    // value is only required to be present; Content-Length is never compared.
    let good = serve(
        ok_json(&profile())
            .insert_header("Preference-Applied", "return=representation")
            .insert_header("odata-version", "4.0")
            .append_header("vary", "prefer")
            .append_header("vary", "accept")
            .insert_header("location", "https://graph.microsoft.com/beta/x/42"),
    )
    .await;
    let r = run_one(&case, schemas.clone(), opts(good.uri())).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);

    let off = serve(
        ok_json(&profile())
            .insert_header("Preference-Applied", "return=representation")
            .insert_header("OData-Version", "4.01")
            .insert_header("Vary", "Accept, Prefer")
            .insert_header("Location", "x"),
    )
    .await;
    let r = run_one(&case, schemas, opts(off.uri())).await;
    let failed: Vec<&str> = check(&r, "header")
        .iter()
        .filter(|c| c.is_error_failure())
        .map(|c| c.message.as_str())
        .collect();
    assert_eq!(failed, vec!["`OData-Version` is `4.01`, documented `4.0`"]);
}

#[tokio::test]
async fn throttling_is_retried_and_recorded() {
    let (cases, schemas) = load();
    let case = prefer_case(&cases);
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(
            ok_json(&profile()).insert_header("Preference-Applied", "return=representation"),
        )
        .mount(&server)
        .await;
    let r = run_one(&case, schemas.clone(), opts(server.uri())).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    let statuses: Vec<u16> = r.retries.iter().map(|x| x.status).collect();
    assert_eq!(statuses, vec![429, 503]);

    // Past the cap, the last answer is judged as it is.
    let always = serve(ResponseTemplate::new(503)).await;
    let r = run_one(
        &case,
        schemas,
        RunOptions {
            retries: 2,
            ..opts(always.uri())
        },
    )
    .await;
    assert_eq!(r.retries.len(), 2);
    assert!(
        r.retries.iter().all(|x| x.waited_ms <= 50),
        "{:?}",
        r.retries
    );
    assert_eq!(always.received_requests().await.map(|v| v.len()), Some(3));
    assert!(
        check(&r, "status")[0]
            .message
            .contains("got 503 Service Unavailable")
    );
}

#[tokio::test]
async fn redirects_are_judged_not_followed_and_never_leave_the_origin() {
    let (cases, schemas) = load();
    let case = prefer_case(&cases);
    let elsewhere = serve(ok_json(&profile())).await;
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/security/userSecurityProfiles/{USER_ID}")))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", "/moved"))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/moved"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/stolen", elsewhere.uri()).as_str()),
        )
        .mount(&server)
        .await;
    let r = run_one(&case, schemas.clone(), opts(server.uri())).await;
    assert!(
        check(&r, "status")[0].message.contains("got 307"),
        "{:#?}",
        r.checks
    );

    let following = RunOptions {
        follow_redirects: true,
        token: Some("tok-redirect-secret".into()),
        ..opts(server.uri())
    };
    let r = run_one(&case, schemas, following).await;
    // The same-origin hop is followed; the hop to another origin is not, token or not.
    assert!(
        check(&r, "status")[0].message.contains("got 307"),
        "{:#?}",
        r.checks
    );
    assert_eq!(
        server
            .received_requests()
            .await
            .map(|v| v.iter().filter(|q| q.url.path() == "/moved").count()),
        Some(1)
    );
    assert_eq!(
        elsewhere.received_requests().await.map(|v| v.len()),
        Some(0)
    );
}

#[tokio::test]
async fn each_case_sends_a_fresh_client_request_id_that_the_report_records() {
    let (cases, schemas) = load();
    let case = prefer_case(&cases);
    let server =
        serve(ok_json(&profile()).insert_header("Preference-Applied", "return=representation"))
            .await;
    let a = run_one(&case, schemas.clone(), opts(server.uri())).await;
    let b = run_one(&case, schemas, opts(server.uri())).await;
    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|q| {
            q.headers
                .get("client-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(Some(&sent[0]), a.client_request_id.as_ref());
    assert_eq!(Some(&sent[1]), b.client_request_id.as_ref());
    assert_ne!(sent[0], sent[1]);
}

#[tokio::test]
async fn oversized_bodies_and_reset_connections_are_errored() {
    let (cases, schemas) = load();
    let case = prefer_case(&cases);
    let big =
        serve(ResponseTemplate::new(200).set_body_raw(vec![b'x'; 4096], "application/json")).await;
    let r = run_one(
        &case,
        schemas.clone(),
        RunOptions {
            max_body: 1024,
            ..opts(big.uri())
        },
    )
    .await;
    assert_eq!(r.outcome, Outcome::Errored);
    assert!(
        r.checks[0]
            .message
            .contains("exceeds the limit of 1024 bytes"),
        "{}",
        r.checks[0].message
    );

    // A listener that accepts and hangs up at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    let r = run_one(&case, schemas, opts(format!("http://{addr}"))).await;
    assert_eq!(r.outcome, Outcome::Errored, "{:#?}", r.checks);
    assert_eq!(r.checks[0].kind, CheckKind::Transport);
}

#[tokio::test]
async fn cases_on_one_resource_run_one_at_a_time_in_source_order() {
    let (cases, schemas) = load();
    let base = prefer_case(&cases);
    let many: Vec<Case> = (0..4)
        .map(|i| {
            let mut c = base.clone();
            c.id = format!("order.{i}");
            c.source.line = 100 - i;
            c.request.body = Some(case::Body::Json(json!({"tags": [format!("t{i}")]})));
            c
        })
        .collect();
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ok_json(&profile())
                .insert_header("Preference-Applied", "return=representation")
                .set_delay(Duration::from_millis(100)),
        )
        .mount(&server)
        .await;
    let runner = Runner::start(
        &many,
        &many,
        schemas,
        RunOptions {
            jobs: 4,
            ..opts(server.uri())
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let results = runner.run_all(&many).await;
    // Results come back in the given order whatever ran first.
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["order.0", "order.1", "order.2", "order.3"]);
    // The requests arrived in source order (line 97 first), one after another.
    let bodies: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|q| String::from_utf8_lossy(&q.body).into_owned())
        .collect();
    assert_eq!(
        bodies,
        vec![
            "{\"tags\":[\"t3\"]}",
            "{\"tags\":[\"t2\"]}",
            "{\"tags\":[\"t1\"]}",
            "{\"tags\":[\"t0\"]}"
        ]
    );
}
