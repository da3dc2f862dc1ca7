//! `report.html` in a real browser: Debian's headless Chromium, driven through chromedriver over
//! 127.0.0.1, opens the page from disk, reads the verdict, expands the failing case, uses the
//! filters and takes a screenshot. `.ci/install-browser` installs Chromium when it is missing;
//! only when that fails too is the test skipped, saying so.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use conform::model::result::RunReport;
use fantoccini::{Client, ClientBuilder, Locator};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Flags that let Chromium run headless here, offline, as root, leaving nothing behind but its
/// profile folder (given separately).
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1100",
];

/// The browser and its driver, installed by `.ci/install-browser` when missing; `None` when they
/// still cannot be had.
fn browser() -> Option<()> {
    let present = || Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if present() {
        return Some(());
    }
    let script = common::root().join(".ci").join("install-browser");
    eprintln!(
        "html_browser: Chromium is missing; running {}",
        script.display()
    );
    match Command::new("bash").arg(&script).status() {
        Ok(s) if s.success() => {}
        Ok(s) => eprintln!("html_browser: {} exited with {s}", script.display()),
        Err(e) => eprintln!("html_browser: cannot run {}: {e}", script.display()),
    }
    present().then_some(())
}

/// chromedriver on a port of 127.0.0.1, killed with the Chromium it started when dropped, even
/// when the test fails half-way.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it listens.
    fn start(log: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let log = std::fs::File::create(log).unwrap();
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                // Its own process group, so that Drop ends the Chromium it starts too.
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let until = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < until,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (process_group(0)).
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A run with a failing case that has a diff, a waived case and a passing one.
fn report() -> RunReport {
    let diff = "--- expected\n+++ actual\n@@ -1,4 +1,4 @@\n {\n-  \"displayName\": \"Megan Bowen\",\n+  \"displayName\": \"Adele Vance\",\n   \"id\": \"‹annotation›\"\n }\n";
    let case = |id: &str, outcome: &str, checks: serde_json::Value| {
        serde_json::json!({
            "id": id,
            "source": {"file": "api-reference/v1.0/api/user-get.md", "line": 51},
            "method": "GET",
            "path": "/users/{id}",
            "outcome": outcome,
            "status": 200,
            "duration_ms": 7,
            "checks": checks,
        })
    };
    let mut waived = case(
        "group-list",
        "waived",
        serde_json::json!([{"kind": "status", "outcome": "failed", "severity": "error",
            "message": "answered 404, documented 200"}]),
    );
    waived["waiver"] = serde_json::json!("the docs disagree with the service");
    let cases = serde_json::json!([
        case(
            "user-get",
            "failed",
            serde_json::json!([
                {"kind": "status", "outcome": "passed", "severity": "error", "message": "200 as documented"},
                {"kind": "echo", "outcome": "failed", "severity": "error",
                 "message": "the answer differs from the documented example", "diff": diff},
            ])
        ),
        waived,
        case(
            "me-get",
            "passed",
            serde_json::json!([
                {"kind": "status", "outcome": "passed", "severity": "error", "message": "200 as documented"},
            ])
        ),
    ]);
    serde_json::from_value(serde_json::json!({
        "tool": "conform 0.1.0",
        "target": "embedded mock",
        "started_at": "2024-05-01T10:00:00Z",
        "duration_ms": 1234,
        "summary": {"total": 3, "passed": 1, "failed": 1, "errored": 0, "skipped": 0, "waived": 1},
        "gate": {"passed": false, "stale_baseline": [], "expired_baseline": []},
        "cases": cases,
    }))
    .unwrap()
}

/// The visible text of the first element a CSS selector finds ("" when hidden).
async fn shown_text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The computed colour of the first element a CSS selector finds.
async fn colour(client: &Client, css: &str) -> String {
    let el = client.find(Locator::Css(css)).await.unwrap();
    el.css_value("color").await.unwrap()
}

/// Opens the page, checks what a person sees and does, and saves a screenshot; returns its path.
async fn look_at(page: &Path, driver: &Driver, profile: &Path, out: &Path) -> PathBuf {
    let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        serde_json::json!({"binary": CHROMIUM, "args": args}),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap();
    client
        .goto(&format!("file://{}", page.display()))
        .await
        .unwrap();

    // The verdict is the first thing shown.
    let verdict = client.find(Locator::Id("verdict")).await.unwrap();
    assert!(verdict.is_displayed().await.unwrap());
    assert_eq!(verdict.text().await.unwrap(), "Gate FAILED");

    // The failing case comes first, closed: its diff is not visible until its summary is clicked.
    let first = client.find(Locator::Css("details.case")).await.unwrap();
    assert_eq!(
        first.attr("data-outcome").await.unwrap().as_deref(),
        Some("failed")
    );
    let diff = first.find(Locator::Css("pre.diff")).await.unwrap();
    assert!(!diff.is_displayed().await.unwrap());
    first
        .find(Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(diff.is_displayed().await.unwrap());
    let text = diff.text().await.unwrap();
    assert!(
        text.contains("-  \"displayName\": \"Megan Bowen\",")
            && text.contains("+  \"displayName\": \"Adele Vance\","),
        "{text}"
    );
    // Removed lines are red, added green, by the page's style.
    assert_eq!(
        colour(&client, "pre.diff .del").await,
        "rgba(164, 14, 38, 1)"
    );
    assert_eq!(
        colour(&client, "pre.diff .add").await,
        "rgba(17, 99, 41, 1)"
    );

    // The outcome filter hides the failing case; the text filter finds by id.
    let waived = client
        .find(Locator::Css("details.case[data-outcome=waived]"))
        .await
        .unwrap();
    let outcome = client.find(Locator::Id("outcome")).await.unwrap();
    outcome.select_by_value("passed").await.unwrap();
    assert!(!first.is_displayed().await.unwrap());
    assert!(!waived.is_displayed().await.unwrap());
    assert_eq!(shown_text(&client, "#shown").await, "1 of 3 cases shown");
    outcome.select_by_value("all").await.unwrap();
    let q = client.find(Locator::Id("q")).await.unwrap();
    q.send_keys("GROUP-").await.unwrap();
    assert!(waived.is_displayed().await.unwrap());
    assert!(!first.is_displayed().await.unwrap());
    assert_eq!(shown_text(&client, "#shown").await, "1 of 3 cases shown");
    // Backspace (WebDriver's key U+E003) six times: typed away as a person would.
    q.send_keys(&"\u{e003}".repeat(6)).await.unwrap();
    assert!(first.is_displayed().await.unwrap());
    assert_eq!(shown_text(&client, "#shown").await, "3 of 3 cases shown");

    let png = client.screenshot().await.unwrap();
    let shot = out.join("report.png");
    std::fs::write(&shot, png).unwrap();
    client.close().await.unwrap();
    shot
}

#[tokio::test]
async fn the_report_opens_in_chromium_and_its_failing_case_expands_to_its_diff() {
    if browser().is_none() {
        eprintln!(
            "SKIPPED html_browser: {CHROMIUM} and {CHROMEDRIVER} are missing and .ci/install-browser \
             could not install them (apt-get install chromium chromium-driver)"
        );
        return;
    }
    // Kept after the test (cargo's folder for integration tests' files) to look at.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_browser");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let written = conform::report::write_reports(&report(), &out).unwrap();
    let page = out.join("report.html");
    assert!(written.contains(&page), "{written:?}");

    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&out.join("chromedriver.log"));
    let shot = tokio::time::timeout(
        Duration::from_secs(120),
        look_at(&page, &driver, profile.path(), &out),
    )
    .await
    .expect("the browser did not finish within 2 minutes");
    drop(driver);

    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is no PNG",
        shot.display()
    );
    assert!(
        png.len() > 20_000,
        "{} is only {} bytes",
        shot.display(),
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
}
