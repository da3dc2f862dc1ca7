//! Parameters at scale against a target: a parameters file with values per name, path and case,
//! setup steps whose answers give values, and teardown after the cases.

mod common;
use common::root;

use std::process::Command;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread")]
async fn a_params_file_gives_values_runs_setup_and_teardown_and_names_unused_entries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/beta/Security/setup"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "id": "753b6489-6489-753b-8964-3b7589643b75", "value": [{"name": "ip"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(
            "/beta/Security/hostSecurityProfiles/753b6489-6489-753b-8964-3b7589643b75",
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // Every case's PATCH is answered 500: this test is about where the requests go.
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("params.toml");
    std::fs::write(
        &file,
        r#"
[params]
userSecurityProfile_Id = "user-global"
userSecurityProfileId = "user-global"
unusedName = "x"

[paths."/Security/ipSecurityProfiles/{ipSecurityProfileId}"]
ipSecurityProfileId = "ip-by-path"

[cases."000_6e3310d0f32980d1.update_usersecurityprofile-2"]
userSecurityProfile_Id = "user-by-case"

[[setup]]
name = "make a host profile"
method = "POST"
path = "/Security/setup"
body = { displayName = "conform" }
capture = { hostSecurityProfileId = "$.id" }

[[teardown]]
method = "DELETE"
path = "/Security/hostSecurityProfiles/{hostSecurityProfileId}"
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let target = format!("{}/beta", server.uri());
    let reports = dir.path().join("reports").to_string_lossy().into_owned();
    let file = file.to_string_lossy().into_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(root())
            .args([
                "run",
                "--target",
                &target,
                "--params",
                &file,
                "--report-dir",
                &reports,
                "--retries",
                "0",
            ])
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("warning: [params] `unusedName`: no case has a parameter of that name"),
        "{stderr}"
    );
    let seen: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    for want in [
        "POST /beta/Security/setup",
        "PATCH /beta/security/userSecurityProfiles/user-global",
        "PATCH /beta/security/userSecurityProfiles/user-by-case",
        "PATCH /beta/Security/userSecurityProfiles/user-global",
        "PATCH /beta/Security/ipSecurityProfiles/ip-by-path",
        "PATCH /beta/Security/hostSecurityProfiles/753b6489-6489-753b-8964-3b7589643b75",
        "DELETE /beta/Security/hostSecurityProfiles/753b6489-6489-753b-8964-3b7589643b75",
    ] {
        assert!(seen.iter().any(|s| s == want), "{want} not in {seen:#?}");
    }
    // Setup first, teardown last.
    assert_eq!(
        seen.first().map(String::as_str),
        Some("POST /beta/Security/setup")
    );
    assert!(seen.last().is_some_and(|s| s.starts_with("DELETE")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_setup_step_stops_the_run_before_any_case() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("params.toml");
    std::fs::write(
        &file,
        "[[setup]]\nmethod = \"POST\"\npath = \"/users\"\ncapture = { id = \"$.id\" }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let target = server.uri();
    let file = file.to_string_lossy().into_owned();
    let reports = dir.path().join("r").to_string_lossy().into_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(root())
            .args([
                "run",
                "--target",
                &target,
                "--params",
                &file,
                "--report-dir",
                &reports,
            ])
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("setup step `POST /users`: answered 403 Forbidden"),
        "{stderr}"
    );
    let seen = server.received_requests().await.unwrap_or_default();
    assert_eq!(seen.len(), 1, "no case ran after the failed setup");
}
