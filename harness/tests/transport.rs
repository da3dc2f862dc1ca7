//! What the transport does between a case and its judged answer: the keep-alive race (a pooled
//! connection the target closed without answering) and the `--max-retry-wait` budget shared by
//! every 429/503 retry of one case. Targets are a raw TCP server and wiremock on 127.0.0.1.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use conform::model::case::Case;
use conform::model::result::{CaseResult, Outcome};
use conform::replay::runner::{RunOptions, Runner, Target};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A case sending `method` to `/things/{n}` and documenting `204 No Content`.
fn case(method: &str, n: usize) -> Case {
    let value = json!({
        "id": format!("transport.{}-{n}", method.to_ascii_lowercase()),
        "name": format!("{method} {n}"),
        "source": {"file": "transport.md", "line": n},
        "request": {"method": method, "path": format!("/things/{n}"), "line": n},
        "response": {"status": 204, "line": n + 1}
    });
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn opts(base: String) -> RunOptions {
    RunOptions {
        target: Target::Url(base),
        timeout: Duration::from_secs(5),
        jobs: 1,
        ..RunOptions::default()
    }
}

/// Runs the cases one after another on one runner (so on one connection pool).
async fn run_in_order(cases: &[Case], opts: RunOptions) -> Vec<CaseResult> {
    let (_, schemas) = common::load();
    let runner = Runner::start(cases, cases, schemas, opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for c in cases {
        out.push(runner.run_case(c).await);
    }
    out
}

/// One request the raw server read: which connection, which request on it, the method.
type Seen = Arc<Mutex<Vec<(usize, usize, String)>>>;

/// Reads one request (head and `Content-Length` body); its method, or None at the end.
async fn read_request(reader: &mut BufReader<tokio::net::TcpStream>) -> Option<String> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let method = line.split(' ').next()?.to_string();
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(method)
}

/// A target losing the keep-alive race every time: it answers the first request on a
/// connection `204` and keeps the connection open, then reads the next request and closes the
/// connection without answering, as a server does whose idle timeout fires just as a request
/// arrives.
async fn keep_alive_race_target() -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        let mut conn = 0;
        while let Ok((stream, _)) = listener.accept().await {
            let log = log.clone();
            let this = conn;
            conn += 1;
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                let mut nth = 0;
                while let Some(method) = read_request(&mut reader).await {
                    if let Ok(mut seen) = log.lock() {
                        seen.push((this, nth, method));
                    }
                    if nth > 0 {
                        // Dropping the stream closes the connection, the request unanswered.
                        return;
                    }
                    nth += 1;
                    let answer = b"HTTP/1.1 204 No Content\r\n\r\n";
                    if reader.get_mut().write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

fn seen_of(seen: &Seen) -> Vec<(usize, usize, String)> {
    seen.lock().map(|s| s.clone()).unwrap_or_default()
}

#[tokio::test]
async fn idempotent_requests_are_retried_once_after_the_keep_alive_race() {
    for verb in ["GET", "PUT", "DELETE"] {
        let (base, seen) = keep_alive_race_target().await;
        let cases = [case("GET", 1), case(verb, 2)];
        let results = run_in_order(&cases, opts(base)).await;
        assert_eq!(results[0].outcome, Outcome::Passed, "{:#?}", results[0]);
        let r = &results[1];
        assert_eq!(r.outcome, Outcome::Passed, "{verb}: {r:#?}");
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("keep-alive race")
                    && n.contains("retried once on a new connection")),
            "{verb}: {:?}",
            r.notes
        );
        // The race really happened: the case went out on the pooled connection, which closed
        // without answering, then once more as the first request of a new connection.
        assert_eq!(
            seen_of(&seen),
            vec![
                (0, 0, "GET".to_string()),
                (0, 1, verb.to_string()),
                (1, 0, verb.to_string())
            ],
            "{verb}"
        );
    }
}

#[tokio::test]
async fn a_patch_sent_into_the_keep_alive_race_is_errored_not_resent() {
    let (base, seen) = keep_alive_race_target().await;
    let cases = [case("GET", 1), case("PATCH", 2)];
    let results = run_in_order(&cases, opts(base)).await;
    assert_eq!(results[0].outcome, Outcome::Passed, "{:#?}", results[0]);
    let r = &results[1];
    assert_eq!(r.outcome, Outcome::Errored, "{r:#?}");
    assert_eq!(
        r.checks[0].kind,
        conform::model::result::CheckKind::Transport
    );
    assert!(
        r.checks[0].message.contains("not retried"),
        "{}",
        r.checks[0].message
    );
    // The target may have acted on the PATCH: it was sent once, never again.
    assert_eq!(
        seen_of(&seen),
        vec![(0, 0, "GET".to_string()), (0, 1, "PATCH".to_string())]
    );
}

/// A wiremock target answering every GET with this status and `Retry-After`, if given.
async fn throttling(status: u16, retry_after: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    let mut answer = ResponseTemplate::new(status);
    if let Some(v) = retry_after {
        answer = answer.insert_header("Retry-After", v);
    }
    Mock::given(method("GET"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |v| v.len())
}

#[tokio::test]
async fn retry_after_waits_share_one_budget_per_case() {
    // Each `Retry-After: 1` is within the 1.5 s budget, but two are not: one wait, then stop.
    let server = throttling(429, Some("1")).await;
    let results = run_in_order(
        &[case("GET", 1)],
        RunOptions {
            retries: 5,
            max_retry_wait: Duration::from_millis(1500),
            ..opts(server.uri())
        },
    )
    .await;
    let r = &results[0];
    let waited: Vec<u64> = r.retries.iter().map(|x| x.waited_ms).collect();
    assert_eq!(waited, vec![1000], "{r:#?}");
    assert_eq!(requests(&server).await, 2);
    assert_eq!(
        r.notes,
        vec!["not retried: Retry-After asks 1 s, more than the 0.5 s left of --max-retry-wait"]
    );
    // The 429 itself is the answer judged.
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.checks[0].message.contains("got 429"), "{:#?}", r.checks);
}

#[tokio::test]
async fn retry_after_beyond_the_budget_is_not_waited() {
    let server = throttling(503, Some("120")).await;
    let started = Instant::now();
    // Before the fix the client slept 30 s here; the timeout only makes that fail sooner.
    let results = tokio::time::timeout(
        Duration::from_secs(10),
        run_in_order(&[case("GET", 1)], opts(server.uri())),
    )
    .await
    .unwrap_or_else(|_| panic!("waited on a Retry-After beyond --max-retry-wait"));
    assert!(started.elapsed() < Duration::from_secs(2));
    let r = &results[0];
    assert!(r.retries.is_empty(), "{:?}", r.retries);
    assert_eq!(requests(&server).await, 1);
    assert_eq!(
        r.notes,
        vec!["not retried: Retry-After asks 120 s, more than the 30 s left of --max-retry-wait"]
    );
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.checks[0].message.contains("got 503"), "{:#?}", r.checks);
}

#[tokio::test]
async fn backoff_without_retry_after_waits_at_most_what_is_left() {
    let server = throttling(503, None).await;
    let results = run_in_order(
        &[case("GET", 1)],
        RunOptions {
            retries: 3,
            max_retry_wait: Duration::from_millis(300),
            ..opts(server.uri())
        },
    )
    .await;
    let r = &results[0];
    let waited: Vec<u64> = r.retries.iter().map(|x| x.waited_ms).collect();
    // 1 s of backoff is cut to the 300 ms budget; nothing is left for the next ones.
    assert_eq!(waited, vec![300, 0, 0], "{r:#?}");
    assert_eq!(requests(&server).await, 4);
    assert!(r.checks[0].message.contains("got 503"), "{:#?}", r.checks);
}
