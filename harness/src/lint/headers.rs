//! Request-header tables against the examples that should send them.

use crate::doc::{Code, Diagnostic, Page, Severity};
use crate::model::case::Case;

use super::tables::cell_text;

/// Headers the page's request-header table marks required (Authorization aside, which the
/// harness supplies) must appear on every request example that has a body.
pub(crate) fn lint_required_headers(page: &Page, cases: &[Case], display: &str) -> Vec<Diagnostic> {
    let mut required = Vec::new();
    for table in &page.tables {
        let first = table.header.first().map(|h| h.to_ascii_lowercase());
        if !matches!(first.as_deref(), Some("name" | "header")) {
            continue;
        }
        for row in &table.rows {
            let name = cell_text(row.first().map(String::as_str).unwrap_or(""));
            let says_required = row
                .iter()
                .skip(1)
                .any(|c| c.to_ascii_lowercase().contains("required"));
            // Only headers that label a body are checked: the others (Prefer, ConsistencyLevel)
            // often differ between examples on purpose.
            // Once, however many tables say it: a page of many operations repeats its table.
            let known = required
                .iter()
                .any(|r: &String| r.eq_ignore_ascii_case(&name));
            if says_required && name.eq_ignore_ascii_case("content-type") && !known {
                required.push(name);
            }
        }
    }
    let mut diags = Vec::new();
    for case in cases.iter().filter(|c| c.request.body.is_some()) {
        for name in &required {
            if case.request_header(name).is_none() {
                diags.push(Diagnostic::new(
                    display,
                    case.request.line,
                    Severity::Warning,
                    Code::MissingHeader,
                    format!(
                        "the request-header table marks `{name}` required, but this example sends a body without it"
                    ),
                ));
            }
        }
    }
    diags
}
