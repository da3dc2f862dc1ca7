//! `report.json`: the result model itself, pretty JSON.

use std::path::Path;

use crate::model::result::RunReport;

use super::ReportError;

/// `report.json`: the result model itself.
pub fn render(report: &RunReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// Reads a `report.json` back (to build a baseline from a run, say).
pub fn read(path: &Path) -> Result<RunReport, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ReportError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}
