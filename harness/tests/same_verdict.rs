//! The same verdict every run: one resource's cases in documented order however the path is
//! spelled (in `conform run` and in `cargo test`), a deterministic mock, and a run interrupted
//! by SIGINT or SIGTERM that still reports what finished.

mod common;
use common::{case, load, root};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use conform::mock::Mock as ConformMock;
use conform::model::case::Case;
use conform::model::result::Outcome;
use conform::replay::runner::{RunOptions, Runner, Target};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const HOST_CASE: &str = "003_e135c242e05b0c0b.update_hostsecurityprofile";

/// Answers 204 after a delay and records when each request arrived.
#[derive(Clone, Default)]
struct Clock {
    seen: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Respond for Clock {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((req.url.path().to_string(), Instant::now()));
        }
        ResponseTemplate::new(204).set_delay(Duration::from_millis(300))
    }
}

/// Three DELETEs on one mail folder, spelled three ways, documented in this order.
fn spellings(cases: &[Case]) -> Vec<Case> {
    let base = case(cases, HOST_CASE);
    [
        "/me/mailFolders/X/",
        "/ME/MailFolders/%58",
        "//me/mailFolders/X",
    ]
    .iter()
    .enumerate()
    .map(|(i, path)| {
        let mut c = base.clone();
        c.id = format!("folder.delete-{i}");
        c.source.line = 10 * (i + 1);
        c.request.method = conform::model::case::Method::Delete;
        c.request.path = (*path).into();
        c.request.params.clear();
        c.request.body = None;
        c.request.headers.clear();
        c.response.status = 204;
        c.response.body = None;
        c.response.odata_type = None;
        c.response.headers.clear();
        c
    })
    .collect()
}

fn opts(server: &MockServer) -> RunOptions {
    RunOptions {
        target: Target::Url(server.uri()),
        jobs: 8,
        ..RunOptions::default()
    }
}

/// The recorded arrivals are in documented order, each after the previous answer.
fn assert_sequential(seen: &[(String, Instant)]) {
    assert_eq!(seen.len(), 3, "{seen:?}");
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/me/mailFolders/X/",
            "/ME/MailFolders/%58",
            "//me/mailFolders/X"
        ]
    );
    for pair in seen.windows(2) {
        let gap = pair[1].1.duration_since(pair[0].1);
        assert!(
            gap >= Duration::from_millis(250),
            "{} started {gap:?} after {}, before its answer",
            pair[1].0,
            pair[0].0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_resource_however_spelled_runs_in_documented_order() {
    let (cases, schemas) = load();
    let mut folder = spellings(&cases);
    // Given in reverse: the documented order, not the given one, decides.
    folder.reverse();
    let clock = Clock::default();
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(clock.clone())
        .mount(&server)
        .await;
    let runner = Runner::start(&folder, &folder, schemas, opts(&server))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let results = runner.run_all(&folder).await;
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Passed),
        "{results:#?}"
    );
    let seen = clock.seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_sequential(&seen);
}

#[test]
fn cargo_test_trials_keep_the_same_order() {
    let (cases, _) = load();
    let mut folder = spellings(&cases);
    folder.reverse();
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let clock = Clock::default();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(clock.clone())
            .mount(&server)
            .await;
        server
    });
    // Runs the spellings as `cargo test` trials with these arguments, as a user's test would.
    let run = |folder: Vec<Case>, args: &libtest_mimic::Arguments| {
        let (_, schemas) = load();
        let trials = conform::Conformance::new()
            .cases(folder)
            .schemas(schemas)
            .target_url(server.uri())
            .options(|o| o.jobs = 8)
            .trials(args);
        libtest_mimic::run(args, trials.trials)
    };
    let args = libtest_mimic::Arguments {
        test_threads: Some(4),
        quiet: true,
        ..libtest_mimic::Arguments::default()
    };
    let conclusion = run(folder, &args);
    assert_eq!(conclusion.num_passed, 3, "{conclusion:?}");
    let seen = clock.seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_sequential(&seen);
    // A filter that leaves out the first case does not make the others wait for it.
    let filtered = libtest_mimic::Arguments {
        filter: Some("delete-2".into()),
        ..args
    };
    let conclusion = run(spellings(&cases), &filtered);
    assert_eq!(conclusion.num_passed, 1, "{conclusion:?}");
}

/// A create operation: POST to the host profiles collection, documented 201.
fn create_case(cases: &[Case]) -> Case {
    let mut c = case(cases, HOST_CASE);
    c.id = "hosts.create".into();
    c.request.method = conform::model::case::Method::Post;
    c.request.path = "/Security/hostSecurityProfiles".into();
    c.request.params.clear();
    c.response.status = 201;
    c
}

#[test]
fn the_mock_creates_the_same_ids_every_run() {
    let (cases, schemas) = load();
    let create = create_case(&cases);
    let body = serde_json::to_vec(&common::host_body(&create)).unwrap_or_default();
    let mut body_value: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"));
    if let Some(m) = body_value.as_object_mut() {
        m.remove("id");
    }
    let body = serde_json::to_vec(&body_value).unwrap_or_default();
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let run = || {
        let mock = ConformMock::new(std::slice::from_ref(&create), schemas.clone(), None);
        (0..3)
            .map(|_| {
                let r = mock.handle(
                    "POST",
                    "/beta/Security/hostSecurityProfiles",
                    &headers,
                    &body,
                );
                assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
                let v: serde_json::Value =
                    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}"));
                let request_id = r
                    .headers
                    .iter()
                    .find(|(k, _)| k == "request-id")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                (v["id"].as_str().unwrap_or_default().to_string(), request_id)
            })
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run());
    // Each create still gets its own id.
    assert_ne!(first[0].0, first[1].0);
    assert_ne!(first[1].0, first[2].0);
}

/// Runs `conform run` against a target that answers one case at once and stalls the other,
/// sends `signal` once the stalled request has arrived, and returns the exit code and report.
async fn interrupted_run(signal: &str) -> (Option<i32>, serde_json::Value, String) {
    let (cases, _) = load();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let case_dir = dir.path().join("cases");
    std::fs::create_dir_all(&case_dir).unwrap_or_else(|e| panic!("{e}"));
    let mut fast = spellings(&cases).remove(0);
    fast.id = "a.fast".into();
    fast.request.path = "/fast".into();
    let mut slow = fast.clone();
    slow.id = "b.slow".into();
    slow.request.path = "/slow".into();
    for c in [&fast, &slow] {
        std::fs::write(case_dir.join(c.file_name()), c.to_json()).unwrap_or_else(|e| panic!("{e}"));
    }
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::path("/fast"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::path("/slow"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    let reports = dir.path().join("reports");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root())
        .args([
            "run",
            "--cases",
            &case_dir.to_string_lossy(),
            "--target",
            &server.uri(),
            "--report-dir",
            &reports.to_string_lossy(),
            "--timeout",
            "120",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = server.received_requests().await.unwrap_or_default();
        if seen.iter().any(|r| r.url.path() == "/slow") && seen.len() >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached the slow case"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return child.wait_with_output();
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                return child.wait_with_output();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(reports.join("report.json")).unwrap_or_default();
    let report = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (
        out.status.code(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_write_the_reports_of_what_finished() {
    for (signal, name, code) in [("-INT", "SIGINT", 130), ("-TERM", "SIGTERM", 143)] {
        let (exit, report, stderr) = interrupted_run(signal).await;
        assert_eq!(exit, Some(code), "{signal}: {stderr}");
        let cases = report["cases"].as_array().cloned().unwrap_or_default();
        assert_eq!(cases.len(), 2, "{signal}: {report}");
        assert_eq!(cases[0]["id"], "a.fast");
        assert_eq!(cases[0]["outcome"], "passed", "{}", cases[0]);
        assert_eq!(cases[1]["id"], "b.slow");
        assert_eq!(cases[1]["outcome"], "errored", "{}", cases[1]);
        let message = cases[1]["checks"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("interrupted") && message.contains(name),
            "{message}"
        );
        assert_eq!(report["gate"]["passed"], false);
    }
}

#[test]
fn one_case_run_alone_gets_the_verdict_it_gets_among_all() {
    let root = root();
    // What each case gets in a run of all of them.
    let all_args = libtest_mimic::Arguments {
        quiet: true,
        ..libtest_mimic::Arguments::default()
    };
    let pipeline = || {
        conform::Conformance::new()
            .cases_dir(root.join("cases"))
            .schemas_dir(root.join("schemas"))
            .baseline(root.join("reports").join("baseline.json"))
    };
    let trials = pipeline().trials(&all_args);
    let ids: Vec<String> = trials.trials.iter().map(|t| t.name().to_string()).collect();
    let collected = trials.collected();
    let conclusion = libtest_mimic::run(&all_args, trials.trials);
    assert_eq!(conclusion.num_failed, 0, "{conclusion:?}");
    let all = collected();
    assert_eq!(all.len(), 6);
    for id in ids {
        // As nextest runs it: `--exact ID` in a process of its own.
        let args = libtest_mimic::Arguments {
            filter: Some(id.clone()),
            exact: true,
            quiet: true,
            ..libtest_mimic::Arguments::default()
        };
        let trials = pipeline().trials(&args);
        assert_eq!(trials.trials.len(), 1, "{id}: only its own case is loaded");
        let collected = trials.collected();
        let conclusion = libtest_mimic::run(&args, trials.trials);
        assert_eq!(conclusion.num_filtered_out, 0);
        let alone = collected();
        let among = all.iter().find(|r| r.id == id);
        let view = |r: &conform::model::result::CaseResult| {
            (
                r.outcome,
                r.status,
                r.checks
                    .iter()
                    .map(|c| (c.kind, c.outcome, c.message.clone()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            alone.first().map(view),
            among.map(view),
            "{id} alone and among all"
        );
    }
}
