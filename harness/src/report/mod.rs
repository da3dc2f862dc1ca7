//! Reports: decides the gate and writes every format from the one result model, a module per
//! format (`json`, `junit`, `html`, `console`).

pub mod console;
pub mod html;
pub mod json;
pub mod junit;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::baseline::Applied;
use crate::model::result::{CaseResult, CheckOutcome, Gate, RunReport, Summary};

/// Errors writing or reading reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A `report.json` read back is not one.
    #[error("{path}:{line}:{column}: not a conform report.json: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
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

/// The failing checks of a case as text, for JUnit and the console.
pub(crate) fn failure_text(case: &CaseResult) -> String {
    let mut out = String::new();
    for c in &case.checks {
        if c.outcome == CheckOutcome::Failed {
            out.push_str(&format!(
                "[{}] {}: {}\n",
                c.severity.as_str(),
                c.kind,
                c.message
            ));
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

/// What a line of a unified diff is, for colouring it (console and HTML alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffLine {
    /// `---` / `+++`: the names of the two sides.
    Files,
    /// `-`: only in the expected side.
    Removed,
    /// `+`: only in the actual side.
    Added,
    /// `@@`: where a hunk starts.
    Hunk,
    /// Anything else: context.
    Context,
}

impl DiffLine {
    /// Classifies one line of a unified diff.
    pub(crate) fn of(line: &str) -> DiffLine {
        if line.starts_with("---") || line.starts_with("+++") {
            DiffLine::Files
        } else if line.starts_with('-') {
            DiffLine::Removed
        } else if line.starts_with('+') {
            DiffLine::Added
        } else if line.starts_with("@@") {
            DiffLine::Hunk
        } else {
            DiffLine::Context
        }
    }
}

/// Writes `report.json`, `junit.xml` and `report.html` into a folder; returns the files written.
pub fn write_reports(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json = dir.join("report.json");
    std::fs::write(&json, json::render(report)).map_err(io(&json))?;
    let junit = dir.join("junit.xml");
    std::fs::write(&junit, junit::render(report)?).map_err(io(&junit))?;
    let html = dir.join("report.html");
    std::fs::write(&html, html::render(report)).map_err(io(&html))?;
    Ok(vec![json, junit, html])
}
