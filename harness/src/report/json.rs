//! `report.json`: the result model itself, pretty JSON.

use crate::model::result::RunReport;

/// `report.json`: the result model itself.
pub fn render(report: &RunReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}
