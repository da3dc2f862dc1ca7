//! Reports: decides the gate and writes JSON, JUnit XML and console text, all from the result model.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::baseline::Applied;
use crate::result::{CaseResult, CheckOutcome, Gate, Outcome, RunReport, Severity, Summary};

/// Errors writing reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// JUnit XML could not be produced.
    #[error("cannot write JUnit XML: {0}")]
    Junit(String),
}

/// Assembles the report of a run.
pub fn build_report(
    target: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    duration: Duration,
    mut cases: Vec<CaseResult>,
    baseline: Applied,
) -> RunReport {
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let summary = Summary::of(&cases);
    RunReport {
        tool: format!("conform {}", env!("CARGO_PKG_VERSION")),
        target: target.to_string(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_ms: duration.as_millis() as u64,
        gate: Gate {
            passed: summary.failed == 0 && summary.errored == 0,
            stale_baseline: baseline.stale,
            expired_baseline: baseline.expired,
        },
        summary,
        cases,
    }
}

/// `report.json`: the result model itself.
pub fn to_json(report: &RunReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// The failing checks of a case as text, for JUnit and the console.
fn failure_text(case: &CaseResult) -> String {
    let mut out = String::new();
    for c in &case.checks {
        if c.outcome == CheckOutcome::Failed {
            let sev = match c.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out.push_str(&format!("[{}] {}: {}\n", sev, c.kind, c.message));
            if let Some(d) = &c.diff {
                out.push_str(d);
                if !d.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// `junit.xml`, derived from the report: one testcase per case; waived cases are skipped with the reason.
pub fn to_junit(report: &RunReport) -> Result<String, ReportError> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("conform");
    for case in &report.cases {
        let mut status = match case.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(
                    case.failing_kinds()
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                        + " check failed",
                );
                s
            }
            Outcome::Errored => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message("no verdict: the exchange did not complete");
                s
            }
            Outcome::Skipped => TestCaseStatus::skipped(),
            Outcome::Waived => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!(
                    "waived by baseline: {}",
                    case.waiver.as_deref().unwrap_or("")
                ));
                s
            }
        };
        let text = failure_text(case);
        let passed = case.outcome == Outcome::Passed;
        if !text.is_empty() && !passed {
            status.set_description(text.clone());
        }
        let mut tc = TestCase::new(case.id.clone(), status);
        // A passing case's failed warnings are output of the test, not a failure.
        if !text.is_empty() && passed {
            tc.set_system_out(text);
        }
        tc.set_classname(format!("{}:{}", case.source.file, case.source.line));
        tc.set_time(Duration::from_millis(case.duration_ms));
        suite.add_test_case(tc);
    }
    let mut report_xml = quick_junit::Report::new("conform");
    report_xml.set_time(Duration::from_millis(report.duration_ms));
    report_xml.add_test_suite(suite);
    report_xml
        .to_string()
        .map_err(|e| ReportError::Junit(e.to_string()))
}

/// Colours a diff line for a terminal: removals red, additions green, hunk headers cyan.
fn paint(line: &str) -> String {
    let code = if line.starts_with("---") || line.starts_with("+++") {
        "1"
    } else if line.starts_with('-') {
        "31"
    } else if line.starts_with('+') {
        "32"
    } else if line.starts_with("@@") {
        "36"
    } else {
        return line.to_string();
    };
    format!("\x1b[{code}m{line}\x1b[0m")
}

/// The console summary: one line per case that did not pass, then the totals and the gate.
/// `colour` paints diffs for a terminal; files always get plain text.
pub fn to_console(report: &RunReport, colour: bool) -> String {
    let mut out = String::new();
    for case in &report.cases {
        let warned = case
            .checks
            .iter()
            .any(|c| c.outcome == CheckOutcome::Failed);
        let label = match case.outcome {
            // A passing case shows only when a warning failed.
            Outcome::Passed if !warned => continue,
            Outcome::Passed => "PASSED ",
            Outcome::Failed => "FAILED ",
            Outcome::Errored => "ERRORED",
            Outcome::Skipped => "SKIPPED",
            Outcome::Waived => "WAIVED ",
        };
        out.push_str(&format!(
            "{label} {} ({}:{})\n",
            case.id, case.source.file, case.source.line
        ));
        if let Some(w) = &case.waiver {
            out.push_str(&format!("        waived: {w}\n"));
        }
        for n in case
            .notes
            .iter()
            .filter(|n| n.starts_with("baseline entry"))
        {
            out.push_str(&format!("        {n}\n"));
        }
        for line in failure_text(case).lines() {
            let line = if colour {
                paint(line)
            } else {
                line.to_string()
            };
            out.push_str(&format!("        {line}\n"));
        }
    }
    for s in &report.gate.stale_baseline {
        out.push_str(&format!("STALE   baseline entry `{}`: {}\n", s.case, s.why));
    }
    for s in &report.gate.expired_baseline {
        out.push_str(&format!("EXPIRED baseline entry `{}`: {}\n", s.case, s.why));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "{} passed, {} failed, {} errored, {} skipped, {} waived ({} cases against {})\n",
        s.passed, s.failed, s.errored, s.skipped, s.waived, s.total, report.target
    ));
    out.push_str(if report.gate.passed {
        "gate: PASSED\n"
    } else {
        "gate: FAILED\n"
    });
    out
}

/// Writes `report.json` and `junit.xml` into a folder; returns the files written.
pub fn write_reports(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json = dir.join("report.json");
    std::fs::write(&json, to_json(report)).map_err(io(&json))?;
    let junit = dir.join("junit.xml");
    std::fs::write(&junit, to_junit(report)?).map_err(io(&junit))?;
    Ok(vec![json, junit])
}
