//! Nothing leaks: the bearer token never appears in output or reports, whatever the target
//! sends back, and it only ever goes to the target's origin.

mod common;
use common::{case, load, root};

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

use conform::model::case::{Case, Header};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "eyJhbGciOi.Sup3r-Secret_token/with+chars";
const HOST_CASE: &str = "003_e135c242e05b0c0b.update_hostsecurityprofile";

/// A target that puts the Authorization header it got everywhere it can: a body property,
/// a documented header, an error status with the token in the error message.
struct Echoer;

impl Respond for Echoer {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = serde_json::json!({
            "id": "x",
            "fqdn": auth,
            "tags": [auth.to_uppercase()],
            "error": {"message": format!("token {auth} rejected")},
        });
        let status = if req.url.path().ends_with("/fail") {
            400
        } else {
            200
        };
        ResponseTemplate::new(status)
            .set_body_raw(
                serde_json::to_vec(&body).unwrap_or_default(),
                "application/json",
            )
            .insert_header("ETag", auth.to_lowercase().as_str())
            .insert_header(
                "Location",
                format!("https://evil.example/?t={auth}").as_str(),
            )
    }
}

fn write_case(dir: &Path, c: &Case) {
    std::fs::write(dir.join(c.file_name()), c.to_json()).unwrap_or_else(|e| panic!("{e}"));
}

fn conform(args: &[&str], token: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root())
        .args(args)
        .env("CONFORM_TOKEN", token)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run conform: {e}"))
}

fn all_files(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&path) {
            let _ = f.read_to_string(&mut text);
        }
        out.push_str(&text);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_echoes_the_token_everywhere_gets_it_redacted() {
    let (cases, _) = load();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let case_dir = dir.path().join("cases");
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&case_dir).unwrap_or_else(|e| panic!("{e}"));
    let mut host = case(&cases, HOST_CASE);
    host.response.headers.push(Header {
        name: "ETag".into(),
        value: "W/1".into(),
    });
    write_case(&case_dir, &host);
    let mut failing = host.clone();
    failing.id = "x.fail".into();
    failing.request.path = "/fail".into();
    failing.request.params.clear();
    write_case(&case_dir, &failing);
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Echoer)
        .mount(&server)
        .await;
    let target = format!("{}/beta", server.uri());
    let args: Vec<String> = [
        "run",
        "--cases",
        &case_dir.to_string_lossy(),
        "--target",
        &target,
        "--param",
        "hostSecurityProfileId=x",
        "--report-dir",
        &reports.to_string_lossy(),
        "--baseline",
        &root()
            .join("reports")
            .join("baseline.json")
            .to_string_lossy(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        conform(&args, TOKEN)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // The target saw the token: the test is real.
    let seen = server.received_requests().await.unwrap_or_default();
    assert!(seen.iter().any(|r| {
        r.headers
            .get("authorization")
            .is_some_and(|v| v.as_bytes() == format!("Bearer {TOKEN}").as_bytes())
    }));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let reports_text = all_files(&reports);
    assert!(reports_text.contains("report.json") || reports.join("report.json").exists());
    for (what, text) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("reports", &reports_text),
    ] {
        let lower = text.to_lowercase();
        assert!(
            !lower.contains(&TOKEN.to_lowercase()),
            "{what} leaks the token:\n{text}"
        );
        assert!(
            !lower.contains("sup3r-secret"),
            "{what} leaks part of the token:\n{text}"
        );
    }
    assert!(
        reports_text.contains("‹redacted›"),
        "the echoed token should show as redacted:\n{reports_text}"
    );
    assert!(stdout.contains("‹redacted›"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_path_that_names_another_origin_is_an_input_error() {
    let (cases, _) = load();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let evil = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    listener
        .set_nonblocking(true)
        .unwrap_or_else(|e| panic!("{e}"));
    let server = MockServer::start().await;
    for path in [
        format!("@{evil}/x"),
        format!(".{evil}/x"),
        "x/y".to_string(),
    ] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut c = case(&cases, HOST_CASE);
        c.request.path = path.clone();
        c.request.params.clear();
        write_case(dir.path(), &c);
        let target = server.uri();
        let cases_dir = dir.path().to_string_lossy().into_owned();
        let reports = dir.path().join("r").to_string_lossy().into_owned();
        let out = tokio::task::spawn_blocking(move || {
            conform(
                &[
                    "run",
                    "--cases",
                    &cases_dir,
                    "--target",
                    &target,
                    "--report-dir",
                    &reports,
                ],
                TOKEN,
            )
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains("request path"), "{stderr}");
        assert!(
            listener.accept().is_err(),
            "{path}: the other origin was contacted"
        );
    }
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
