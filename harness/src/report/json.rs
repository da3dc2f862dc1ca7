//! `report.json`: the result model itself, pretty JSON.

use std::path::Path;

use crate::model::result::RunReport;

use super::ReportError;

/// `report.json`: the result model itself.
pub fn render(report: &RunReport) -> String {
    let mut out = Vec::new();
    // Writing to memory fails only if serializing does, and the model holds only strings,
    // numbers and maps with string keys.
    let _ = write(report, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes [`render`]'s `report.json` to `out` as it is serialized: a run of many cases makes
/// tens of megabytes, which need not be held at once.
pub fn write(report: &RunReport, mut out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    out.write_all(b"\n")
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
