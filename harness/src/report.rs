//! Reports and the baseline: applies known failures, decides the gate, and writes JSON, JUnit XML and console text.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::result::{
    CaseResult, CheckOutcome, Gate, Outcome, RunReport, Severity, StaleEntry, Summary,
};

/// Errors reading the baseline or writing reports.
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
    /// The baseline is not valid.
    #[error("{path}:{line}:{column}: not a valid baseline: {message}")]
    Baseline {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// JUnit XML could not be produced.
    #[error("cannot write JUnit XML: {0}")]
    Junit(String),
}

/// A failure the project knows about and accepts for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFailure {
    /// The case id.
    pub case: String,
    /// Why it is accepted, in words.
    pub reason: String,
    /// The check kinds allowed to fail; empty allows any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
}

/// The baseline of known failures (`reports/baseline.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Accepted failures.
    #[serde(default)]
    pub known_failures: Vec<KnownFailure>,
}

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| ReportError::Baseline {
                path: path.to_path_buf(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        let mut seen = HashSet::new();
        for k in &baseline.known_failures {
            if !seen.insert(k.case.as_str()) {
                return Err(ReportError::Baseline {
                    path: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: format!("case `{}` is listed twice", k.case),
                });
            }
        }
        Ok(baseline)
    }

    /// Waives the known failures among the results; returns entries that no longer match.
    /// `complete` says whether every case ran (a filtered run cannot call an absent case stale).
    pub fn apply(&self, results: &mut [CaseResult], complete: bool) -> Vec<StaleEntry> {
        let entries: BTreeMap<&str, &KnownFailure> = self
            .known_failures
            .iter()
            .map(|k| (k.case.as_str(), k))
            .collect();
        let mut stale = Vec::new();
        let mut present = HashSet::new();
        for r in results.iter_mut() {
            present.insert(r.id.clone());
            let Some(entry) = entries.get(r.id.as_str()) else {
                continue;
            };
            match r.outcome {
                Outcome::Failed | Outcome::Errored => {
                    let failing = r.failing_kinds();
                    let covered = entry.checks.is_empty()
                        || failing.iter().all(|k| entry.checks.iter().any(|c| c == k));
                    if covered {
                        r.outcome = Outcome::Waived;
                        r.waiver = Some(entry.reason.clone());
                    }
                }
                Outcome::Passed => stale.push(StaleEntry {
                    case: r.id.clone(),
                    why: "the case passes now; remove it from the baseline".into(),
                }),
                Outcome::Skipped | Outcome::Waived => {}
            }
        }
        if complete {
            for k in &self.known_failures {
                if !present.contains(&k.case) {
                    stale.push(StaleEntry {
                        case: k.case.clone(),
                        why: "no case has this id".into(),
                    });
                }
            }
        }
        stale.sort_by(|a, b| a.case.cmp(&b.case));
        stale
    }
}

/// Assembles the report of a run.
pub fn build_report(
    target: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    duration: Duration,
    mut cases: Vec<CaseResult>,
    stale_baseline: Vec<StaleEntry>,
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
            stale_baseline,
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
                s.set_message(case.failing_kinds().join(", ") + " check failed");
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
        if !text.is_empty() {
            status.set_description(text);
        }
        let mut tc = TestCase::new(case.id.clone(), status);
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
        let label = match case.outcome {
            Outcome::Passed => continue,
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
