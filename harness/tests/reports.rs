//! Report formats, each from one fixed result model: report.md (snapshot, size cap, escaping),
//! junit.xml (the schema's attribute and element rules), the console's grouped summary, and
//! `--report` choosing the files.

use std::collections::BTreeSet;
use std::process::Command;

use conform::model::case::{Method, Source};
use conform::model::coverage::{Coverage, PageCoverage, Tally};
use conform::model::result::{
    CaseResult, CheckKind, CheckResult, Gate, Outcome, RunReport, StaleEntry, Summary,
};
use conform::report::{ReportFormat, console, html, junit, markdown, reasons};

/// A case result with the given outcome and checks.
fn case(id: &str, outcome: Outcome, checks: Vec<CheckResult>) -> CaseResult {
    CaseResult {
        id: id.to_string(),
        source: Source {
            file: format!("api/{}.md", id.split('.').next().unwrap_or(id)),
            line: 42,
        },
        method: Method::Patch,
        path: "/users/{id}".to_string(),
        outcome,
        status: Some(200),
        duration_ms: 1234,
        client_request_id: None,
        retries: Vec::new(),
        checks,
        notes: Vec::new(),
        waiver: None,
        has_body: true,
    }
}

/// A report of the given cases, in id order, with its summary and gate.
fn report(mut cases: Vec<CaseResult>, expired: Vec<StaleEntry>) -> RunReport {
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let summary = Summary::of(&cases);
    RunReport {
        tool: "conform 0.1.0".to_string(),
        target: "http://127.0.0.1:8080/beta".to_string(),
        started_at: "2026-11-24T10:00:00Z".to_string(),
        duration_ms: 2500,
        gate: Gate {
            passed: summary.failed == 0 && summary.errored == 0,
            stale_baseline: vec![StaleEntry {
                case: "page.gone".to_string(),
                why: "no such case".to_string(),
            }],
            expired_baseline: expired,
        },
        summary,
        cases,
        shard: None,
        coverage: None,
    }
}

/// One of every outcome, two cases failing for the same reason with different numbers, and
/// hostile text in a message and a diff.
fn mixed() -> RunReport {
    let mut r = mixed_cases();
    let tally = |documented, exercised, passed| Tally {
        documented,
        exercised,
        passed,
    };
    r.coverage = Some(Coverage {
        operations: tally(6, 5, 2),
        pages: tally(5, 5, 1),
        properties: tally(40, 30, 12),
        per_page: vec![
            PageCoverage {
                page: "api/user-list.md".to_string(),
                operations: tally(1, 1, 1),
                properties: tally(10, 10, 10),
            },
            PageCoverage {
                page: "api/user-update.md".to_string(),
                operations: tally(2, 2, 0),
                properties: tally(12, 12, 0),
            },
        ],
    });
    r
}

/// The cases of [`mixed`].
fn mixed_cases() -> RunReport {
    let schema_fail = |n: usize| {
        CheckResult::fail(
            CheckKind::Schema,
            format!("body is not a valid microsoft.graph.user:\n/value/{n}: `x` is not allowed"),
        )
        .with_diff(Some(format!(
            "--- expected\n+++ actual\n-  \"n\": {n}\n+  \"n\": \"{n}\"\n"
        )))
    };
    let mut waived = case(
        "user-update.update_waived",
        Outcome::Waived,
        vec![CheckResult::fail(
            CheckKind::Status,
            "expected 204 No Content, got 200 OK",
        )],
    );
    waived.waiver = Some("the docs disagree".to_string());
    let mut skipped = case("user-get.not_run", Outcome::Skipped, Vec::new());
    skipped.status = None;
    let mut errored = case(
        "user-delete.delete_user",
        Outcome::Errored,
        vec![CheckResult::fail(
            CheckKind::Transport,
            "connection refused (127.0.0.1:9)",
        )],
    );
    errored.status = None;
    report(
        vec![
            case(
                "user-list.list_users",
                Outcome::Passed,
                vec![
                    CheckResult::pass(CheckKind::Status, "200 OK"),
                    CheckResult::warn(CheckKind::Unknown, "`nickname` is not declared"),
                ],
            ),
            case(
                "user-update.update_a",
                Outcome::Failed,
                vec![schema_fail(1)],
            ),
            case(
                "user-update.update_b",
                Outcome::Failed,
                vec![schema_fail(27)],
            ),
            case(
                "user-post.create_<script>",
                Outcome::Failed,
                vec![
                    CheckResult::fail(
                        CheckKind::Echo,
                        "`displayName` came back as <script>alert(1)</script> | not | a | table",
                    )
                    .with_diff(Some("-a ``` b\n+\u{1b}[31m c\u{0}\n".to_string())),
                ],
            ),
            waived,
            skipped,
            errored,
        ],
        vec![StaleEntry {
            case: "user-update.update_old".to_string(),
            why: "expired on 2026-01-01".to_string(),
        }],
    )
}

#[test]
fn failures_are_grouped_by_reason_with_numbers_normalised() {
    let groups = reasons::group(&mixed());
    let first = &groups[0];
    assert_eq!(first.kind, CheckKind::Schema);
    assert_eq!(first.cases, 2);
    assert_eq!(first.reason, "body is not a valid microsoft.graph.user:");
    assert_eq!(
        first.examples,
        vec!["user-update.update_a", "user-update.update_b"]
    );
    // The errored case's transport failure is a reason too; a waived or passing case is not.
    let kinds: Vec<CheckKind> = groups.iter().map(|g| g.kind).collect();
    assert_eq!(
        kinds,
        vec![CheckKind::Schema, CheckKind::Echo, CheckKind::Transport]
    );
    assert_eq!(groups[2].reason, "connection refused (N:N)");
}

#[test]
fn the_markdown_report_reads_as_the_snapshot_says() {
    let md = markdown::render(&mixed());
    insta::assert_snapshot!("report_md", md);
}

#[test]
fn the_markdown_report_escapes_what_a_target_sends() {
    let md = markdown::render(&mixed());
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("&lt;script&gt;"), "{md}");
    // No control character reaches the file raw except inside the diff's code block, where it
    // is shown as text; a table row keeps its four columns whatever the message holds.
    for line in md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Cases"))
    {
        let unescaped = line.replace("\\|", "");
        assert!(
            unescaped.matches('|').count() == 5 || unescaped.matches('|').count() == 7,
            "{line}"
        );
    }
    assert!(!md.contains('\u{1b}') && !md.contains('\u{0}'), "{md}");
    let text = console::render(&mixed(), false);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{0}'),
        "{text}"
    );
    let page = html::render(&mixed());
    assert!(!page.contains('\u{1b}') && !page.contains('\u{0}'));
    assert!(!page.contains("<script>alert"));
    // Coverage: the totals, and each page's in a collapsed table.
    assert!(page.contains("<h2>Coverage</h2>"), "{page}");
    assert!(page.contains("<code>api/user-update.md</code>"));
    assert!(md.contains("| Operations | 6 | 5 | 2 |"), "{md}");
    assert!(md.contains("1 page with operations not passed"), "{md}");
    // The diff's fence is longer than the backticks inside it.
    assert!(md.contains("````diff"), "{md}");
}

#[test]
fn the_markdown_report_stays_under_its_limit_however_many_cases_fail() {
    let cases: Vec<CaseResult> = (0..5000)
        .map(|i| {
            case(
                &format!("page{i:05}.case"),
                Outcome::Failed,
                vec![
                    CheckResult::fail(CheckKind::Schema, format!("bad body {i}"))
                        .with_diff(Some("-x\n+y\n".repeat(50))),
                ],
            )
        })
        .collect();
    let md = markdown::render(&report(cases, Vec::new()));
    assert!(md.len() <= markdown::LIMIT, "{} bytes", md.len());
    assert!(md.contains("## ❌ conform: gate failed (5000 failed)"));
    // One reason for all of them, and the cases left out are counted.
    assert!(
        md.contains("| 5000 | schema | bad body N |"),
        "{}",
        &md[..2000]
    );
    let shown = md.matches("<details>").count();
    assert!(shown > 10, "{shown}");
    assert!(
        md.contains(&format!("_{} more failing cases not shown", 5000 - shown)),
        "{}",
        &md[md.len() - 500..]
    );
}

#[test]
fn the_console_ends_with_the_same_groups_as_the_markdown() {
    let r = mixed();
    let text = console::render(&r, false);
    let summary_at = text.find("failures by reason:").unwrap_or(usize::MAX);
    let totals_at = text.find(" passed, ").unwrap_or(0);
    assert!(summary_at < totals_at, "{text}");
    assert!(text.contains(
        "     2 × schema: body is not a valid microsoft.graph.user:\n         e.g. user-update.update_a, user-update.update_b\n"
    ), "{text}");
    let md = markdown::render(&r);
    for g in reasons::group(&r) {
        assert!(
            md.contains(&format!("| {} | {} |", g.cases, g.kind)),
            "{md}"
        );
    }
}

/// The attributes `junit-10.xsd` (the Jenkins/Surefire JUnit schema) allows on each element we
/// write, and the ones it requires.
fn allowed(element: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match element {
        "testsuites" => (&["name", "time", "tests", "failures", "errors"], &[]),
        "testsuite" => (
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "group",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
                "version",
            ],
            &["name", "tests", "failures", "errors"],
        ),
        "testcase" => (&["name", "time", "classname", "group"], &["name"]),
        "failure" | "error" | "skipped" => (&["type", "message"], &[]),
        "system-out" | "system-err" | "properties" => (&[], &[]),
        "property" => (&["name", "value"], &["name", "value"]),
        _ => return None,
    })
}

/// The schema's time pattern: digits, optionally with a dot and at most three decimals.
fn is_time(v: &str) -> bool {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    whole.chars().all(|c| c.is_ascii_digit())
        && frac.len() <= 3
        && frac.chars().all(|c| c.is_ascii_digit())
}

#[test]
fn junit_follows_the_schema_and_names_cases_by_page_and_id() {
    let xml = junit::render(&mixed()).unwrap_or_default();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    for node in root.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        let (ok, required) =
            allowed(name).unwrap_or_else(|| panic!("<{name}> is not in the schema"));
        for a in node.attributes() {
            assert!(
                ok.contains(&a.name()),
                "<{name} {}> is not allowed",
                a.name()
            );
            if a.name() == "time" {
                assert!(is_time(a.value()), "time={}", a.value());
            }
        }
        for r in required {
            assert!(node.attribute(*r).is_some(), "<{name}> lacks {r}");
        }
        let parent = node.parent_element().map(|p| p.tag_name().name());
        let parent_ok = match name {
            "testsuites" => parent.is_none(),
            "testsuite" => matches!(parent, Some("testsuites" | "testsuite")),
            "testcase" | "properties" => parent == Some("testsuite"),
            "failure" | "error" | "skipped" => parent == Some("testcase"),
            "system-out" | "system-err" => matches!(parent, Some("testcase" | "testsuite")),
            "property" => parent == Some("properties"),
            _ => false,
        };
        assert!(parent_ok, "<{name}> inside <{parent:?}>");
    }
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 7);
    let update_a = cases
        .iter()
        .find(|n| n.attribute("name") == Some("user-update.update_a"));
    assert_eq!(
        update_a.and_then(|n| n.attribute("classname")),
        Some("api/user-update.md")
    );
    let child = |id: &str| -> BTreeSet<String> {
        cases
            .iter()
            .filter(|n| n.attribute("name") == Some(id))
            .flat_map(|n| n.children().filter(|c| c.is_element()))
            .map(|c| c.tag_name().name().to_string())
            .collect()
    };
    assert_eq!(
        child("user-update.update_a"),
        ["failure".to_string()].into()
    );
    assert_eq!(
        child("user-delete.delete_user"),
        ["error".to_string()].into()
    );
    assert_eq!(
        child("user-update.update_waived"),
        ["skipped".to_string()].into()
    );
    assert_eq!(child("user-get.not_run"), ["skipped".to_string()].into());
    // A passing case's failed warning is its output, not a failure.
    assert_eq!(
        child("user-list.list_users"),
        ["system-out".to_string()].into()
    );
    // The control characters a target sent are gone; its markup is text.
    assert!(!xml.contains('\u{1b}') && !xml.contains('\u{0}'));
    assert!(xml.contains("&lt;script&gt;"));
    let suite = root.first_element_child();
    assert_eq!(suite.and_then(|s| s.attribute("skipped")), Some("2"));
    assert_eq!(suite.and_then(|s| s.attribute("failures")), Some("3"));
    assert_eq!(suite.and_then(|s| s.attribute("errors")), Some("1"));
}

#[test]
fn report_formats_read_from_the_command_line_names() {
    assert_eq!("md".parse::<ReportFormat>(), Ok(ReportFormat::Markdown));
    assert_eq!(
        "Markdown".parse::<ReportFormat>(),
        Ok(ReportFormat::Markdown)
    );
    assert_eq!(" junit".parse::<ReportFormat>(), Ok(ReportFormat::Junit));
    let err = "pdf".parse::<ReportFormat>().err().unwrap_or_default();
    assert!(err.contains("pdf") && err.contains("json"), "{err}");
}

#[test]
fn report_chooses_the_files_written() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_conform");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(bin)
        .current_dir(root)
        .args(["run", "--report", "md,junit", "--report-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, vec!["junit.xml", "report.md"]);
    // Without --report every format is written.
    let all = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .current_dir(root)
        .args(["run", "--report-dir"])
        .arg(all.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    for f in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(all.path().join(f).is_file(), "{f}");
    }
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.starts_with("## ✅ conform: gate passed\n"), "{md}");
    let bad = Command::new(bin)
        .current_dir(root)
        .args(["run", "--report", "md,pdf"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown report format `pdf`"));
}
