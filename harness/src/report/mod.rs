//! Reports: decides the gate and writes every format from the one result model, a module per
//! format (`json`, `junit`, `console`).

pub mod console;
pub mod json;
pub mod junit;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::baseline::Applied;
use crate::model::result::{CaseResult, CheckOutcome, Gate, RunReport, Severity, Summary};

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
        shard: None,
        coverage: None,
    }
}

/// The failing checks of a case as text, for JUnit and the console.
pub(crate) fn failure_text(case: &CaseResult) -> String {
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

/// Writes `report.json` and `junit.xml` into a folder; returns the files written.
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
    Ok(vec![json, junit])
}
