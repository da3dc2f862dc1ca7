//! `report.md`: the run for a pull-request comment or `$GITHUB_STEP_SUMMARY`. The gate verdict
//! comes first, then the counts, baseline trouble, failures grouped by reason, and each failing
//! case in a collapsible `<details>` with its source, failed checks and a short diff. The file
//! stays under [`LIMIT`] bytes however many cases fail: what does not fit is counted, not shown.

use super::{printable, reasons};
use crate::model::result::{CaseResult, CheckOutcome, Outcome, RunReport, StaleEntry};

/// Most bytes `report.md` takes (GitHub's limit for a step summary is 1 MiB, for a comment
/// 65,536 characters).
pub const LIMIT: usize = 64 * 1024;

/// Room kept at the end for the line that says what was left out.
const TRAILER: usize = 256;

/// Most lines of message detail and diff shown per failed check.
const DIFF_LINES: usize = 30;

/// Most characters of a message's first line shown.
const MESSAGE_CHARS: usize = 300;

/// Most rows of the reasons table.
const REASON_ROWS: usize = 25;

/// Most baseline entries listed per kind (expired, stale).
const BASELINE_ROWS: usize = 20;

/// `report.md` of a run.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    verdict(report, &mut out);
    summary_table(report, &mut out);
    coverage_table(report, &mut out);
    baseline_trouble(
        "Expired baseline entries (they waive nothing)",
        &report.gate.expired_baseline,
        &mut out,
    );
    baseline_trouble(
        "Stale baseline entries",
        &report.gate.stale_baseline,
        &mut out,
    );
    reasons_table(report, &mut out);

    let failing: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed | Outcome::Errored))
        .collect();
    if !failing.is_empty() {
        out.push_str("\n### Failing cases\n\n");
    }
    let mut left_out = 0usize;
    for case in &failing {
        let piece = case_details(case);
        if left_out == 0 && out.len() + piece.len() + TRAILER <= LIMIT {
            out.push_str(&piece);
        } else {
            left_out += 1;
        }
    }
    if left_out > 0 {
        out.push_str(&format!(
            "\n_{left_out} more failing case{} not shown here (this report stays under {} KiB); \
             every case is in report.json and report.html._\n",
            plural(left_out),
            LIMIT / 1024
        ));
    }
    out
}

/// The heading that gives the gate's verdict and, when it failed, why.
fn verdict(report: &RunReport, out: &mut String) {
    let s = &report.summary;
    if report.gate.passed {
        out.push_str("## ✅ conform: gate passed\n\n");
    } else {
        let mut why = Vec::new();
        if s.failed > 0 {
            why.push(format!("{} failed", s.failed));
        }
        if s.errored > 0 {
            why.push(format!("{} errored", s.errored));
        }
        if !report.gate.expired_baseline.is_empty() {
            let n = report.gate.expired_baseline.len();
            why.push(format!(
                "{n} expired baseline entr{}",
                if n == 1 { "y" } else { "ies" }
            ));
        }
        out.push_str(&format!(
            "## ❌ conform: gate failed ({})\n\n",
            why.join(", ")
        ));
    }
    out.push_str(&format!(
        "{} against {}, started {}, took {:.1} s.\n",
        md_text(&report.tool),
        md_text(&report.target),
        md_text(&report.started_at),
        report.duration_ms as f64 / 1000.0
    ));
}

/// The counts by outcome.
fn summary_table(report: &RunReport, out: &mut String) {
    let s = &report.summary;
    out.push_str("\n| Cases | Passed | Failed | Errored | Waived | Skipped |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} |\n",
        s.total, s.passed, s.failed, s.errored, s.waived, s.skipped
    ));
}

/// Most pages listed in the coverage section (those with something not passed).
const COVERAGE_PAGES: usize = 20;

/// Coverage totals, and the pages where a documented operation did not pass, capped.
fn coverage_table(report: &RunReport, out: &mut String) {
    let Some(c) = &report.coverage else {
        return;
    };
    out.push_str(
        "
| Coverage | Documented | Exercised | Passed |
|---|---:|---:|---:|
",
    );
    for (name, t) in [
        ("Operations", &c.operations),
        ("Pages", &c.pages),
        ("Response properties", &c.properties),
    ] {
        out.push_str(&format!(
            "| {name} | {} | {} | {} |
",
            t.documented, t.exercised, t.passed
        ));
    }
    let short: Vec<_> = c
        .per_page
        .iter()
        .filter(|p| p.operations.passed < p.operations.documented)
        .collect();
    if short.is_empty() {
        return;
    }
    out.push_str(&format!(
        "
<details><summary>{} page{} with operations not passed</summary>

",
        short.len(),
        plural(short.len())
    ));
    out.push_str(
        "| Page | Operations | Exercised | Passed |
|---|---:|---:|---:|
",
    );
    for p in short.iter().take(COVERAGE_PAGES) {
        out.push_str(&format!(
            "| {} | {} | {} | {} |
",
            md_text(&p.page),
            p.operations.documented,
            p.operations.exercised,
            p.operations.passed
        ));
    }
    if short.len() > COVERAGE_PAGES {
        out.push_str(&format!(
            "
… and {} more in report.json and report.html
",
            short.len() - COVERAGE_PAGES
        ));
    }
    out.push_str(
        "
</details>
",
    );
}

/// A list of baseline entries that need attention, capped.
fn baseline_trouble(title: &str, entries: &[StaleEntry], out: &mut String) {
    if entries.is_empty() {
        return;
    }
    out.push_str(&format!("\n### {title}: {}\n\n", entries.len()));
    for e in entries.iter().take(BASELINE_ROWS) {
        out.push_str(&format!("- {}: {}\n", md_text(&e.case), md_text(&e.why)));
    }
    if entries.len() > BASELINE_ROWS {
        out.push_str(&format!("- … and {} more\n", entries.len() - BASELINE_ROWS));
    }
}

/// The failures grouped by reason, largest group first.
fn reasons_table(report: &RunReport, out: &mut String) {
    let groups = reasons::group(report);
    if groups.is_empty() {
        return;
    }
    out.push_str("\n### Failures by reason\n\n| Cases | Check | Reason | First cases |\n");
    out.push_str("|---:|---|---|---|\n");
    for g in groups.iter().take(REASON_ROWS) {
        let mut first = g
            .examples
            .iter()
            .map(|id| md_text(id))
            .collect::<Vec<_>>()
            .join(", ");
        if g.cases > g.examples.len() {
            first.push_str(&format!(" and {} more", g.cases - g.examples.len()));
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            g.cases,
            g.kind,
            md_text(&g.reason),
            first
        ));
    }
    if groups.len() > REASON_ROWS {
        let rest: usize = groups[REASON_ROWS..].iter().map(|g| g.cases).sum();
        out.push_str(&format!(
            "\n{} more reasons, {} case failures in all, not shown.\n",
            groups.len() - REASON_ROWS,
            rest
        ));
    }
}

/// One failing case: a `<details>` whose summary names it, with each failed check inside.
fn case_details(case: &CaseResult) -> String {
    let label = match case.outcome {
        Outcome::Errored => "ERRORED",
        _ => "FAILED",
    };
    let kinds: Vec<&str> = case.failing_kinds().iter().map(|k| k.as_str()).collect();
    let mut s = format!(
        "<details><summary>{label} <code>{}</code> ({}:{}): {}</summary>\n\n",
        html_text(&case.id),
        html_text(&case.source.file),
        case.source.line,
        html_text(&kinds.join(", ")),
    );
    s.push_str(&format!(
        "{} {}{}\n\n",
        case.method.as_str(),
        md_text(&case.path),
        case.status
            .map(|st| format!(", answered {st}"))
            .unwrap_or_default()
    ));
    for check in case
        .checks
        .iter()
        .filter(|c| c.outcome == CheckOutcome::Failed && c.is_error_failure())
    {
        let mut lines = check.message.lines();
        let first = lines.next().unwrap_or_default();
        s.push_str(&format!(
            "- **{}**: {}\n",
            check.kind,
            md_text(&cut(first, MESSAGE_CHARS))
        ));
        let mut detail: Vec<&str> = lines.collect();
        if let Some(diff) = &check.diff {
            detail.extend(diff.lines());
        }
        if !detail.is_empty() {
            s.push_str(&code_block(&detail));
        }
    }
    s.push_str("\n</details>\n");
    s
}

/// Lines in a fenced `diff` block (so GitHub colours `+` and `-`), at most [`DIFF_LINES`], with a
/// fence longer than any run of backticks inside.
fn code_block(lines: &[&str]) -> String {
    let longest_run = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat((longest_run + 1).max(3));
    let mut s = format!("\n  {fence}diff\n");
    for line in lines.iter().take(DIFF_LINES) {
        s.push_str("  ");
        s.push_str(&printable(&cut(line, MESSAGE_CHARS)));
        s.push('\n');
    }
    if lines.len() > DIFF_LINES {
        s.push_str(&format!(
            "  … {} more lines in report.json\n",
            lines.len() - DIFF_LINES
        ));
    }
    s.push_str(&format!("  {fence}\n"));
    s
}

/// Text cut to `max` characters, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Text safe in Markdown's inline content (a paragraph, a table cell, never the start of a
/// line): the characters that can open emphasis, a code span, a link or image, HTML, an entity,
/// strikethrough or a table column are backslash-escaped (CommonMark allows it for any ASCII
/// punctuation; the others are left alone so the file reads well as plain text); line breaks
/// become spaces. Hand-written because no crate escapes for CommonMark inline text, and the rule
/// is one match.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(text).chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text safe inside an HTML element (`<summary>` is raw HTML, where Markdown's escapes do not
/// apply).
fn html_text(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    // Writing to a String cannot fail; maud's escaper is the one report.html uses.
    let _ = maud::Escaper::new(&mut out).write_str(&printable(text).replace(['\n', '\r'], " "));
    out
}

/// `s` for a count other than one.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
