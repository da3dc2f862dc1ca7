//! The console summary: cases that did not pass (and passing ones whose warnings failed),
//! stale and expired baseline entries, totals and the gate.

use super::{DiffLine, failure_text, printable, reasons};
use crate::model::coverage::{Coverage, Tally};
use crate::model::result::{CheckOutcome, Outcome, RunReport};

/// Colours a diff line for a terminal: removals red, additions green, hunk headers cyan.
fn paint(line: &str) -> String {
    let code = match DiffLine::of(line) {
        DiffLine::Files => "1",
        DiffLine::Removed => "31",
        DiffLine::Added => "32",
        DiffLine::Hunk => "36",
        DiffLine::Context => return line.to_string(),
    };
    format!("\x1b[{code}m{line}\x1b[0m")
}

/// The console summary: one line per case that did not pass, then the totals and the gate.
/// `colour` paints diffs for a terminal; files always get plain text.
pub fn render(report: &RunReport, colour: bool) -> String {
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
        // A target's escape sequences must not reach the terminal.
        for line in printable(&failure_text(case)).lines() {
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
    out.push_str(&reasons_text(report));
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
    if let Some(c) = &report.coverage {
        let part = |t: &Tally, what: &str| {
            format!(
                "{} of {} {what} exercised, {} passed",
                t.exercised, t.documented, t.passed
            )
        };
        out.push_str(&format!(
            "coverage: {}; {}; {}\n",
            part(&c.operations, "operations"),
            part(&c.pages, "pages"),
            part(&c.properties, "response properties")
        ));
    }
    out
}

/// What a set of cases documents, for `conform coverage`: one line per page (operations and
/// response properties), then the totals.
pub fn coverage(c: &Coverage) -> String {
    let width = c
        .per_page
        .iter()
        .map(|p| p.page.chars().count())
        .chain(["page".len()])
        .max()
        .unwrap_or(0);
    let mut out = format!("{:<width$}  operations  properties\n", "page");
    for p in &c.per_page {
        out.push_str(&format!(
            "{:<width$}  {:>10}  {:>10}\n",
            p.page, p.operations.documented, p.properties.documented
        ));
    }
    out.push_str(&format!(
        "{} pages, {} operations, {} response properties documented\n",
        c.pages.documented, c.operations.documented, c.properties.documented
    ));
    out
}

/// The failures grouped by reason, one line per reason with its first cases: the same groups as
/// `report.md`'s table. Empty when nothing failed.
pub fn reasons_text(report: &RunReport) -> String {
    let groups = reasons::group(report);
    if groups.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "failures by reason:
",
    );
    for g in &groups {
        let more = g.cases - g.examples.len();
        out.push_str(&format!(
            "{:>6} × {}: {}
         e.g. {}{}\n",
            g.cases,
            g.kind,
            g.reason,
            g.examples.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    out
}
