//! The embedded mock: the seed cases pass against it (but the baseline's), and it behaves like a careful service.

mod common;
use common::{load, root};

use std::sync::Arc;

use conform::baseline::Baseline;
use conform::mock::{Mock, MockResponse, PatchDefault};
use conform::model::result::{CheckKind, Outcome};
use conform::replay::runner::{RunOptions, Runner, Target};
use serde_json::{Value, json};

const HOST: &str = "/beta/Security/hostSecurityProfiles/753b6489-6489-753b-8964-3b7589643b75";

fn mock() -> Mock {
    let (cases, schemas) = load();
    Mock::new(&cases, schemas, None)
}

fn json_headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut h = vec![("Content-Type".to_string(), "application/json".to_string())];
    h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    h
}

fn header<'a>(r: &'a MockResponse, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn body(r: &MockResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn assert_odata_error(r: &MockResponse, status: u16) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let b = body(r);
    assert!(b["error"]["code"].is_string(), "{b}");
    assert!(b["error"]["message"].is_string(), "{b}");
    assert!(b["error"]["innerError"]["request-id"].is_string(), "{b}");
    assert!(b["error"]["innerError"]["date"].is_string(), "{b}");
    assert!(header(r, "content-type").is_some_and(|c| c.starts_with("application/json")));
}

#[tokio::test]
async fn every_case_passes_against_the_mock_but_the_baselines() {
    let (cases, schemas) = load();
    let runner = Runner::start(
        &cases,
        &cases,
        schemas,
        RunOptions {
            target: Target::Mock,
            jobs: 3,
            ..RunOptions::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let mut results = runner.run_all(&cases).await;
    let baseline = Baseline::load(&root().join("reports").join("baseline.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let applied = baseline.apply(&mut results, true, chrono::Utc::now().date_naive());
    assert_eq!(applied, conform::baseline::Applied::default());
    for r in &results {
        let listed = baseline.known_failures.iter().any(|k| k.case == r.id);
        let want = if listed {
            Outcome::Waived
        } else {
            Outcome::Passed
        };
        assert_eq!(r.outcome, want, "{}: {:#?}", r.id, r.checks);
    }
    assert_eq!(
        results
            .iter()
            .filter(|r| r.outcome == Outcome::Waived)
            .count(),
        1
    );
}

#[test]
fn seeds_documented_ids_and_repairs_placeholders() {
    let m = mock();
    let paths: Vec<&str> = m.seeded().iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            // The id the doc's own example shows, placeholder or not: the case that documents
            // it is sent to it, and its answer carries it.
            "/security/usersecurityprofiles/id-value",
            "/security/usersecurityprofiles/e9107a0b-7a0b-e910-0b7a-10e90b7a10e9",
            "/me/security",
            "/security/hostsecurityprofiles/753b6489-6489-753b-8964-3b7589643b75",
            "/security/ipsecurityprofiles/a5c97fce-7fce-a5c9-ce7f-c9a5ce7fc9a5",
        ]
    );
    let r = m.handle(
        "PATCH",
        HOST,
        &json_headers(&[("Prefer", "return=representation")]),
        b"{}",
    );
    assert_eq!(r.status, 200);
    let b = body(&r);
    assert_eq!(b["logonUsers"][0]["accountType"], json!("unknown"), "{b}");
    assert_eq!(
        b["@odata.type"],
        json!("#microsoft.graph.hostSecurityProfile")
    );
}

#[test]
fn prefer_decides_the_answer() {
    let m = mock();
    assert_eq!(m.patch_default(), PatchDefault::Representation);
    let minimal = m.handle(
        "PATCH",
        HOST,
        &json_headers(&[("Prefer", "return=minimal")]),
        br#"{"fqdn": "a"}"#,
    );
    assert_eq!(minimal.status, 204);
    assert!(minimal.body.is_empty());
    assert_eq!(
        header(&minimal, "preference-applied"),
        Some("return=minimal")
    );
    let plain = m.handle("PATCH", HOST, &json_headers(&[]), br#"{"fqdn": "b"}"#);
    assert_eq!(plain.status, 200);
    assert_eq!(body(&plain)["fqdn"], json!("b"));
    assert_eq!(header(&plain, "preference-applied"), None);
    let (cases, schemas) = load();
    let m = Mock::new(&cases, schemas, Some(PatchDefault::Minimal));
    assert_eq!(
        m.handle("PATCH", HOST, &json_headers(&[]), b"{}").status,
        204
    );
}

#[test]
fn routes_ignore_case_and_version_and_refuse_the_undocumented() {
    let m = mock();
    let lower = HOST.replace(
        "Security/hostSecurityProfiles",
        "SECURITY/hostsecurityprofiles",
    );
    assert_eq!(
        m.handle("PATCH", &lower, &json_headers(&[]), b"{}").status,
        200
    );
    assert_eq!(
        m.handle(
            "PATCH",
            &HOST.replace("/beta", ""),
            &json_headers(&[]),
            b"{}"
        )
        .status,
        200
    );
    let get = m.handle("GET", HOST, &[], b"");
    assert_odata_error(&get, 405);
    assert_eq!(header(&get, "allow"), Some("PATCH"));
    assert_odata_error(&m.handle("GET", "/beta/nothing/here", &[], b""), 404);
    assert_odata_error(
        &m.handle(
            "PATCH",
            "/beta/Security/hostSecurityProfiles/nope",
            &json_headers(&[]),
            b"{}",
        ),
        404,
    );
}

#[test]
fn bad_bodies_are_refused_with_odata_errors() {
    let m = mock();
    let h = json_headers(&[]);
    assert_odata_error(&m.handle("PATCH", HOST, &h, b"{not json"), 400);
    assert_odata_error(&m.handle("PATCH", HOST, &h, b"[1, 2]"), 400);
    assert_odata_error(
        &m.handle("PATCH", HOST, &h, br#"{"isAzureAdJoined": "yes"}"#),
        400,
    );
    // hostSecurityProfile is an open type: a property it does not declare is a dynamic one.
    assert_eq!(
        m.handle("PATCH", HOST, &h, br#"{"dynamicThing": 3}"#)
            .status,
        200
    );
    assert_odata_error(
        &m.handle(
            "PATCH",
            HOST,
            &h,
            br#"{"firstSeenDateTime": "datetime-value"}"#,
        ),
        400,
    );
    assert_odata_error(
        &m.handle(
            "PATCH",
            HOST,
            &h,
            br##"{"@odata.type": "#microsoft.graph.ipSecurityProfile"}"##,
        ),
        400,
    );
    assert_odata_error(&m.handle("PATCH", HOST, &h, br#"{"id": "other"}"#), 400);
    assert_odata_error(
        &m.handle(
            "PATCH",
            HOST,
            &[("Content-Type".into(), "text/plain".into())],
            b"{}",
        ),
        415,
    );
    // Nothing of the refused bodies was applied.
    let after = body(&m.handle("PATCH", HOST, &h, b"{}"));
    assert_eq!(after["isAzureAdJoined"], json!(true));
}

#[test]
fn every_answer_carries_request_ids() {
    let m = mock();
    let r = m.handle(
        "PATCH",
        HOST,
        &json_headers(&[("client-request-id", "abc-123")]),
        b"{}",
    );
    assert_eq!(header(&r, "client-request-id"), Some("abc-123"));
    assert!(header(&r, "request-id").is_some_and(|v| v.len() == 36));
    let e = m.handle("GET", "/nowhere", &[], b"");
    assert!(header(&e, "request-id").is_some());
}

#[test]
fn patch_updates_last_modified() {
    let m = mock();
    let before = chrono::Utc::now();
    let b = body(&m.handle(
        "PATCH",
        "/beta/security/userSecurityProfiles/e9107a0b-7a0b-e910-0b7a-10e90b7a10e9",
        &json_headers(&[]),
        br#"{"tags": ["HVA"]}"#,
    ));
    let modified = b["lastModifiedDateTime"].as_str().unwrap_or_default();
    let at = chrono::DateTime::parse_from_rfc3339(modified)
        .unwrap_or_else(|e| panic!("{modified}: {e}"));
    assert!(at >= before - chrono::Duration::seconds(1));
    assert_eq!(b["tags"], json!(["HVA"]));
}

#[tokio::test]
async fn concurrent_patches_lose_no_update() {
    let (cases, schemas) = load();
    let m = Arc::new(Mock::new(&cases, schemas, None));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let server = m.clone().serve(listener).unwrap_or_else(|e| panic!("{e}"));
    let client = reqwest::Client::new();
    let props = [
        "fqdn",
        "netBiosName",
        "os",
        "osVersion",
        "parentHost",
        "riskScore",
        "azureSubscriptionId",
        "azureTenantId",
    ];
    let mut tasks = Vec::new();
    for i in 0..32 {
        let client = client.clone();
        let url = format!("{}{HOST}", server.url());
        let prop = props[i % props.len()];
        tasks.push(tokio::spawn(async move {
            let resp = client
                .patch(url)
                .header("Content-Type", "application/json")
                .body(json!({ prop: format!("v{i}"), "tags": [format!("t{i}")] }).to_string())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let b: Value = resp.json().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((i, status, b))
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(
            t.await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    for (i, status, b) in &answers {
        assert_eq!(*status, 200);
        // Each answer shows its own write applied.
        assert_eq!(b[props[i % props.len()]], json!(format!("v{i}")));
        assert_eq!(b["tags"], json!([format!("t{i}")]));
    }
    let last = body(&m.handle("PATCH", HOST, &json_headers(&[]), b"{}"));
    for (k, prop) in props.iter().enumerate() {
        let written: Vec<String> = (0..32)
            .filter(|i| i % props.len() == k)
            .map(|i| format!("v{i}"))
            .collect();
        let got = last[*prop].as_str().unwrap_or_default().to_string();
        assert!(
            written.contains(&got),
            "{prop} is {got}, none of {written:?}"
        );
    }
    // The final tags come from the PATCH whose answer was the last to see its own tags and
    // everyone else's property writes: some answer must equal the final state exactly.
    let final_props: Vec<&Value> = props.iter().map(|p| &last[*p]).collect();
    assert!(answers.iter().any(|(_, _, b)| b["tags"] == last["tags"]
        && props.iter().map(|p| &b[*p]).collect::<Vec<_>>() == final_props));
}

/// A one-type world: `t.thing` with a read-only `computed` property, and one documented PATCH.
fn read_only_world() -> (
    Vec<conform::model::case::Case>,
    Arc<conform::schema::SchemaSet>,
) {
    let thing = json!({"$id": "t.thing", "x-kind": "entity", "type": "object",
        "properties": {"id": {"type": "string"}, "name": {"type": ["string", "null"]},
            "computed": {"type": ["string", "null"], "readOnly": true}},
        "patternProperties": {"@": {}}, "additionalProperties": false});
    let schemas =
        Arc::new(conform::schema::SchemaSet::new(vec![thing]).unwrap_or_else(|e| panic!("{e}")));
    let page = "<!-- { \"blockType\": \"request\", \"name\": \"upd\" } -->\n```http\nPATCH https://graph.microsoft.com/v1.0/things/{id}\nContent-Type: application/json\n\n{\"name\": \"n\", \"computed\": \"c\"}\n```\n<!-- { \"blockType\": \"response\", \"@odata.type\": \"t.thing\" } -->\n```http\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"id\": \"t1\", \"name\": \"n\", \"computed\": \"server\"}\n```\n";
    let (cases, _) = conform::extract::extract_page("p.md", "p.md", page);
    (cases, schemas)
}

#[test]
fn read_only_properties_are_not_writable() {
    let (cases, schemas) = read_only_world();
    let m = Mock::new(&cases, schemas, None);
    let r = m.handle(
        "PATCH",
        "/v1.0/things/t1",
        &json_headers(&[]),
        br#"{"computed": "mine"}"#,
    );
    assert_odata_error(&r, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("`computed` is read-only"));
    let ok = m.handle(
        "PATCH",
        "/v1.0/things/t1",
        &json_headers(&[]),
        br#"{"name": "x"}"#,
    );
    assert_eq!(body(&ok)["computed"], json!("server"));
}

#[tokio::test]
async fn a_service_that_ignores_read_only_writes_passes_echo() {
    use wiremock::matchers::method;
    let (cases, schemas) = read_only_world();
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("PATCH"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(
            r#"{"id": "t1", "name": "n", "computed": "server"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let opts = RunOptions {
        target: Target::Url(server.uri()),
        params: [("id".to_string(), "t1".to_string())].into(),
        ..RunOptions::default()
    };
    let runner = Runner::start(&cases, &cases, schemas, opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = runner.run_case(&cases[0]).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:#?}", r.checks);
    let echo = r
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Echo)
        .map(|c| c.message.clone())
        .unwrap_or_default();
    assert_eq!(echo, "1 property sent came back equal");
}

/// A request/response pair of a page, as the docs write it.
fn example(name: &str, request: &str, response: &str) -> String {
    format!(
        "<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n```http\n{request}\n```\n<!-- {{ \"blockType\": \"response\" }} -->\n```http\n{response}\n```\n"
    )
}

#[test]
fn the_example_whose_request_this_is_gives_the_answer() {
    // One operation documented three ways: two bodies that answer 201 and one that answers
    // 202 (the docs' chat-with-apps), and a language that has no banner (204).
    let page = [
        example(
            "create_a",
            "POST https://graph.microsoft.com/v1.0/chats\nContent-Type: application/json\n\n{\"topic\": \"a\"}",
            "HTTP/1.1 201 Created\nContent-Type: application/json\n\n{\"id\": \"c1\", \"topic\": \"a\"}",
        ),
        example(
            "create_b",
            "POST https://graph.microsoft.com/v1.0/chats\nContent-Type: application/json\n\n{\"topic\": \"b\"}",
            "HTTP/1.1 201 Created\nContent-Type: application/json\n\n{\"id\": \"c2\", \"topic\": \"b\"}",
        ),
        example(
            "create_with_apps",
            "POST https://graph.microsoft.com/v1.0/chats\nContent-Type: application/json\n\n{\"topic\": \"apps\", \"installedApps\": []}",
            "HTTP/1.1 202 Accepted",
        ),
        example(
            "banner",
            "GET https://graph.microsoft.com/v1.0/organization/o1/branding/bannerLogo",
            "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"x\": 1}",
        ),
        example(
            "banner_de",
            "GET https://graph.microsoft.com/v1.0/organization/o1/branding/bannerLogo\nAccept-Language: de",
            "HTTP/1.1 204 No Content",
        ),
    ]
    .concat();
    let ex = conform::extract::extract_texts(&[("p.md", "p.md", page.as_str())]);
    let (_, schemas) = load();
    let mock = Mock::new(&ex.cases, schemas, None);
    let post = |body: &str| mock.handle("POST", "/v1.0/chats", &json_headers(&[]), body.as_bytes());
    assert_eq!(
        post("{\"topic\": \"apps\", \"installedApps\": []}").status,
        202
    );
    // Any other body is a create, as most examples document.
    assert_eq!(post("{\"topic\": \"mine\"}").status, 201);
    let get = |extra: &[(&str, &str)]| {
        mock.handle(
            "GET",
            "/v1.0/organization/o1/branding/bannerLogo",
            &json_headers(extra),
            b"",
        )
        .status
    };
    assert_eq!(get(&[("Accept-Language", "de")]), 204);
    assert_eq!(get(&[]), 200);
}

#[test]
fn a_write_is_answered_for_the_entity_its_path_and_body_name() {
    let page = [
        // A PUT whose doc answer shows an id other than any the path could carry.
        example(
            "put_reason",
            "PUT https://graph.microsoft.com/v1.0/teams/{teamId}/schedule/timeOffReasons/{timeOffReasonId}\nContent-Type: application/json\n\n{\"displayName\": \"Vacation\"}",
            "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"id\": \"TOR_1\", \"displayName\": \"Vacation\"}",
        ),
        // A PATCH whose body names the entity it writes.
        example(
            "patch_template",
            "PATCH https://graph.microsoft.com/v1.0/templates/{templateId}\nContent-Type: application/json\n\n{\"id\": \"Slack\", \"description\": \"new\"}",
            "HTTP/1.1 204 No Content",
        ),
    ]
    .concat();
    let ex = conform::extract::extract_texts(&[("p.md", "p.md", page.as_str())]);
    let (_, schemas) = load();
    let mock = Mock::new(&ex.cases, schemas, None);
    let case = |name: &str| {
        ex.cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case {name}"))
    };
    let put = case("put_reason");
    let key = mock.params_for(put)["timeOffReasonId"].clone();
    let path = format!(
        "/v1.0/teams/{}/schedule/timeOffReasons/{key}",
        mock.params_for(put)["teamId"]
    );
    let r = mock.handle(
        "PUT",
        &path,
        &json_headers(&[]),
        br#"{"displayName": "Vacation"}"#,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(body(&r)["id"], json!(key));
    let patch = case("patch_template");
    assert_eq!(mock.params_for(patch)["templateId"], "Slack");
    let r = mock.handle(
        "PATCH",
        "/v1.0/templates/Slack",
        &json_headers(&[]),
        br#"{"id": "Slack", "description": "new"}"#,
    );
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn me_is_the_signed_in_user_under_users() {
    let page = [
        example(
            "get_me",
            "GET https://graph.microsoft.com/v1.0/me",
            "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"id\": \"u1\", \"displayName\": \"Adele\"}",
        ),
        example(
            "update_user",
            "PATCH https://graph.microsoft.com/v1.0/users/{id}\nContent-Type: application/json\n\n{\"displayName\": \"Alex\"}",
            "HTTP/1.1 204 No Content",
        ),
        example(
            "list_messages",
            "GET https://graph.microsoft.com/v1.0/users/{id}/messages",
            "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"value\": [{\"id\": \"m1\"}]}",
        ),
    ]
    .concat();
    let ex = conform::extract::extract_texts(&[("p.md", "p.md", page.as_str())]);
    let (_, schemas) = load();
    let mock = Mock::new(&ex.cases, schemas, None);
    let send =
        |method: &str, path: &str, body: &[u8]| mock.handle(method, path, &json_headers(&[]), body);
    // A write through /users/{id} of the signed-in user shows through /me.
    let r = send("PATCH", "/v1.0/users/u1", br#"{"displayName": "Alex"}"#);
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let r = send("GET", "/v1.0/me", b"");
    assert_eq!(
        body(&r)["displayName"],
        "Alex",
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // What is documented only under /users/{id} answers under /me.
    let r = send("GET", "/v1.0/me/messages", b"");
    assert_eq!(
        body(&r)["value"][0]["id"],
        "m1",
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // The signed-in user is among the users, so the example's `{id}` was theirs.
    assert_eq!(mock.params_for(&ex.cases[1])["id"], "u1");
    // And PATCH /me, documented only as /users/{id}, writes the same user.
    let r = send("PATCH", "/v1.0/me", br#"{"displayName": "Megan"}"#);
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(body(&send("GET", "/v1.0/me", b""))["displayName"], "Megan");
}

#[test]
fn expand_shows_the_navigation_the_store_holds() {
    let page = [
        example(
            "get_group",
            "GET https://graph.microsoft.com/v1.0/groups/{id}",
            "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"id\": \"g1\", \"displayName\": \"G\"}",
        ),
        example(
            "list_members",
            "GET https://graph.microsoft.com/v1.0/groups/{id}/members",
            "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"value\": [{\"id\": \"u1\"}, {\"id\": \"u2\"}]}",
        ),
    ]
    .concat();
    let ex = conform::extract::extract_texts(&[("p.md", "p.md", page.as_str())]);
    let (_, schemas) = load();
    let mock = Mock::new(&ex.cases, schemas, None);
    let r = mock.handle(
        "GET",
        "/v1.0/groups/g1?$expand=members($select=id)",
        &json_headers(&[]),
        b"",
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let b = body(&r);
    assert_eq!(b["members"], json!([{"id": "u1"}, {"id": "u2"}]), "{b}");
    // Without $expand the navigation is not shown.
    let r = mock.handle("GET", "/v1.0/groups/g1", &json_headers(&[]), b"");
    assert!(body(&r).get("members").is_none());
}
