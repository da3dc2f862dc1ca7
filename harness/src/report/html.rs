//! `report.html`: one self-contained page a person opens in a browser: the gate first, the
//! summary, a filter by outcome and text, then every case (failing ones first) expandable.
//!
//! maud builds the page and escapes every value put in it (doc text, messages, bodies, ids);
//! the style and script are constants of this module, so the page loads nothing from anywhere.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::DiffLine;
use crate::model::result::{CaseResult, CheckOutcome, CheckResult, Outcome, RunReport, StaleEntry};

/// Lines of one diff shown at most; `report.json` keeps the whole of it.
const MAX_DIFF_LINES: usize = 200;

/// Bytes of one diff shown at most, so thousands of failing cases still make a page a browser opens.
const MAX_DIFF_BYTES: usize = 16 * 1024;

/// The outcomes in the order the page lists cases and offers them in its filter: what needs a
/// look first.
const ORDER: [Outcome; 5] = [
    Outcome::Failed,
    Outcome::Errored,
    Outcome::Waived,
    Outcome::Passed,
    Outcome::Skipped,
];

/// The page's whole style, inline: nothing is fetched.
const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:16px}
[hidden]{display:none !important}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
header.gate{border-radius:6px;padding:12px 16px;margin-bottom:12px;color:#fff}
header.gate.passed{background:#1a7f37}
header.gate.failed{background:#cf222e}
header.gate h1{margin:0;font-size:26px}
header.gate p{margin:4px 0 0}
table{border-collapse:collapse}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}
#summary{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start;margin-bottom:12px}
#summary td{text-align:right;font-variant-numeric:tabular-nums}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
#baseline{border:1px solid #d4a72c;background:#fff8c5;border-radius:6px;padding:8px 16px;margin-bottom:12px}
#baseline h2{font-size:16px;margin:4px 0}
#filters{position:sticky;top:0;background:var(--bg);padding:8px 0;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:12px;align-items:center;z-index:1}
#filters input{min-width:280px;padding:3px 6px}
#shown{color:var(--muted)}
details.case{border:1px solid var(--line);border-radius:6px;margin:6px 0}
details.case>summary{cursor:pointer;padding:6px 10px;display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
details.case[open]>summary{border-bottom:1px solid var(--line);background:var(--soft)}
details.case .where{color:var(--muted)}
.detail{padding:8px 12px}
.detail table{width:100%;margin:8px 0}
.badge{display:inline-block;min-width:64px;text-align:center;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;text-transform:uppercase}
.badge.failed{background:#cf222e}
.badge.errored{background:#8250df}
.badge.waived{background:#9a6700}
.badge.passed{background:#1a7f37}
.badge.skipped{background:#6e7781}
.warned{color:#9a6700;font-size:12px}
.kinds{color:#cf222e;font-size:12px}
tr.check.failed td:nth-child(3){color:#cf222e;font-weight:600}
tr.check.passed td:nth-child(3){color:#1a7f37}
td.message{overflow-wrap:anywhere;white-space:pre-wrap}
pre.diff{margin:0;padding:6px;background:var(--soft);white-space:pre-wrap;overflow-wrap:anywhere;max-height:480px;overflow:auto}
pre.diff .del{color:#a40e26;background:#ffebe9}
pre.diff .add{color:#116329;background:#dafbe1}
pre.diff .hunk{color:#0a7c86}
pre.diff .files{font-weight:700}
.cut{color:var(--muted);font-style:italic;margin:4px 0 0}
ul.notes{margin:4px 0;padding-left:20px}
"#;

/// Filters the cases in place; the page is complete without it (every case listed).
const SCRIPT: &str = r#"
(function () {
  var outcome = document.getElementById('outcome');
  var text = document.getElementById('q');
  var shown = document.getElementById('shown');
  var none = document.getElementById('none');
  var cases = document.querySelectorAll('details.case');
  function apply() {
    var o = outcome.value, q = text.value.trim().toLowerCase(), n = 0;
    for (var i = 0; i < cases.length; i++) {
      var c = cases[i];
      var ok = (o === 'all' || c.dataset.outcome === o) &&
        (q === '' || c.dataset.search.indexOf(q) !== -1);
      c.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = n + ' of ' + cases.length + ' cases shown';
    none.hidden = n !== 0;
  }
  outcome.addEventListener('change', apply);
  text.addEventListener('input', apply);
  apply();
})();
"#;

/// `report.html`: the gate, the summary, the baseline's stale and expired entries, a filter and
/// every case; the same report gives the same bytes.
pub fn render(report: &RunReport) -> String {
    let mut cases: Vec<&CaseResult> = report.cases.iter().collect();
    // Stable: within an outcome the report's own (id) order stays.
    cases.sort_by_key(|c| rank(c.outcome));
    let verdict = if report.gate.passed {
        "PASSED"
    } else {
        "FAILED"
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "conform: gate " (verdict) " (" (report.target) ")" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (gate(report, verdict))
                (summary(report))
                (baseline(&report.gate.stale_baseline, &report.gate.expired_baseline))
                (filters(report))
                "\n"
                main #cases {
                    @for c in &cases {
                        (case(c))
                        "\n"
                    }
                }
                p #none hidden { "No case matches the filter." }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    // The page itself writes no control character, so whatever is one came from a target.
    let mut s = super::printable(&page.into_string());
    s.push('\n');
    s
}

/// Where an outcome's cases stand on the page.
fn rank(outcome: Outcome) -> usize {
    ORDER
        .iter()
        .position(|o| *o == outcome)
        .unwrap_or(ORDER.len())
}

/// The verdict, first thing on the page, with why.
fn gate(report: &RunReport, verdict: &str) -> Markup {
    let s = &report.summary;
    let why = if report.gate.passed {
        "No case failed or errored outside the baseline.".to_string()
    } else {
        let mut parts = Vec::new();
        if s.failed > 0 {
            parts.push(format!("{} failed", count(s.failed, "case")));
        }
        if s.errored > 0 {
            parts.push(format!("{} errored", count(s.errored, "case")));
        }
        format!("{} outside the baseline.", parts.join(" and "))
    };
    let class = if report.gate.passed {
        "passed"
    } else {
        "failed"
    };
    html! {
        header.gate.(class) {
            h1 #verdict { "Gate " (verdict) }
            p { (why) }
        }
    }
}

/// Counts by outcome, then what ran against what and when.
fn summary(report: &RunReport) -> Markup {
    let s = &report.summary;
    let counts = [
        ("passed", s.passed),
        ("failed", s.failed),
        ("errored", s.errored),
        ("skipped", s.skipped),
        ("waived", s.waived),
        ("total", s.total),
    ];
    html! {
        section #summary {
            table {
                tr { @for (name, _) in counts { th { (name) } } }
                tr { @for (_, n) in counts { td { (n) } } }
            }
            dl.facts {
                dt { "target" } dd { (report.target) }
                dt { "started at" } dd { (report.started_at) }
                dt { "duration" } dd { (duration(report.duration_ms)) }
                dt { "tool" } dd { (report.tool) }
            }
            @if let Some(c) = &report.coverage {
                (coverage(c))
            }
        }
    }
}

/// Coverage: the totals, and per page what was documented, exercised and passed (collapsed).
fn coverage(c: &crate::model::coverage::Coverage) -> Markup {
    use crate::model::coverage::Tally;
    let row = |name: &str, t: &Tally| {
        html! { tr { th { (name) } td { (t.documented) } td { (t.exercised) } td { (t.passed) } } }
    };
    html! {
        h2 { "Coverage" }
        table.coverage {
            tr { th { } th { "documented" } th { "exercised" } th { "passed" } }
            (row("operations", &c.operations))
            (row("pages", &c.pages))
            (row("response properties", &c.properties))
        }
        details.per-page {
            summary { "per page (" (c.per_page.len()) ")" }
            table.coverage {
                tr {
                    th { "page" } th { "operations documented" } th { "exercised" } th { "passed" }
                    th { "properties documented" } th { "exercised" } th { "passed" }
                }
                @for p in &c.per_page {
                    tr {
                        td { code { (p.page) } }
                        td { (p.operations.documented) } td { (p.operations.exercised) }
                        td { (p.operations.passed) }
                        td { (p.properties.documented) } td { (p.properties.exercised) }
                        td { (p.properties.passed) }
                    }
                }
            }
        }
    }
}

/// Baseline entries that waived nothing: stale (the case passes or is gone) and expired.
fn baseline(stale: &[StaleEntry], expired: &[StaleEntry]) -> Markup {
    let entries = |title: &str, list: &[StaleEntry]| {
        html! {
            @if !list.is_empty() {
                h2 { (title) " (" (list.len()) ")" }
                ul {
                    @for e in list {
                        li { code { (e.case) } ": " (e.why) }
                    }
                }
            }
        }
    };
    html! {
        @if !stale.is_empty() || !expired.is_empty() {
            section #baseline {
                (entries("Stale baseline entries", stale))
                (entries("Expired baseline entries", expired))
            }
        }
    }
}

/// The outcome and text filters, with how many cases each outcome has.
fn filters(report: &RunReport) -> Markup {
    let total = report.cases.len();
    html! {
        section #filters {
            label {
                "Outcome "
                select #outcome {
                    option value="all" selected { "all (" (total) ")" }
                    @for o in ORDER {
                        option value=(o.as_str()) {
                            (o.as_str()) " (" (report.cases.iter().filter(|c| c.outcome == o).count()) ")"
                        }
                    }
                }
            }
            label {
                "Text "
                input #q type="search" placeholder="case id, file or message" autocomplete="off";
            }
            output #shown { (total) " of " (total) " cases shown" }
        }
    }
}

/// One case: a summary line that opens on its request, answer, checks, diffs, notes and waiver.
fn case(c: &CaseResult) -> Markup {
    let outcome = c.outcome.as_str();
    let source = format!("{}:{}", c.source.file, c.source.line);
    let failing = c.failing_kinds();
    let warned =
        c.outcome == Outcome::Passed && c.checks.iter().any(|k| k.outcome == CheckOutcome::Failed);
    html! {
        details.case data-outcome=(outcome) data-search=(search_text(c, &source)) {
            summary {
                span.badge.(outcome) { (outcome) }
                code.id { (c.id) }
                span.where { (source) }
                @if !failing.is_empty() {
                    span.kinds {
                        @for (i, k) in failing.iter().enumerate() {
                            @if i > 0 { ", " }
                            (k.as_str())
                        }
                    }
                }
                @if warned { span.warned { "warnings failed" } }
            }
            div.detail {
                dl.facts {
                    dt { "request" } dd { code { (c.method.as_str()) " " (c.path) } }
                    dt { "response status" }
                    dd {
                        @match c.status {
                            Some(s) => (s),
                            None => "no answer",
                        }
                    }
                    dt { "documented at" } dd { code { (source) } }
                    dt { "duration" } dd { (duration(c.duration_ms)) }
                    @if let Some(id) = &c.client_request_id {
                        dt { "client-request-id" } dd { code { (id) } }
                    }
                    @if !c.retries.is_empty() {
                        dt { "retried" }
                        dd {
                            @for (i, r) in c.retries.iter().enumerate() {
                                @if i > 0 { "; " }
                                (r.status) " (waited " (duration(r.waited_ms)) ")"
                            }
                        }
                    }
                    @if let Some(w) = &c.waiver {
                        dt { "waived" } dd.waiver { (w) }
                    }
                }
                @if c.checks.is_empty() {
                    p { "No checks were made." }
                } @else {
                    table.checks {
                        tr { th { "kind" } th { "severity" } th { "outcome" } th { "message" } }
                        @for k in &c.checks { (check(k)) }
                    }
                }
                @if !c.notes.is_empty() {
                    h4 { "Notes" }
                    ul.notes { @for n in &c.notes { li { (n) } } }
                }
            }
        }
    }
}

/// A check's row, and its diff under it when it has one.
fn check(k: &CheckResult) -> Markup {
    html! {
        tr.check.(k.outcome.as_str()) {
            td { (k.kind.as_str()) }
            td { (k.severity.as_str()) }
            td { (k.outcome.as_str()) }
            td.message { (k.message) }
        }
        @if let Some(d) = &k.diff {
            tr { td colspan="4" { (diff(d)) } }
        }
    }
}

/// A diff coloured by line (CSS classes), cut to `MAX_DIFF_LINES` lines and `MAX_DIFF_BYTES`
/// bytes with a note of what was cut.
fn diff(text: &str) -> Markup {
    let total_lines = text.lines().count();
    let mut shown: Vec<&str> = Vec::new();
    let mut budget = MAX_DIFF_BYTES;
    let mut partial = false;
    for line in text.lines() {
        if shown.len() == MAX_DIFF_LINES || budget == 0 {
            break;
        }
        if line.len() <= budget {
            budget -= line.len();
            shown.push(line);
        } else {
            let mut end = budget;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            shown.push(&line[..end]);
            budget = 0;
            partial = true;
        }
    }
    let whole = shown.len() - usize::from(partial);
    let cut = whole < total_lines;
    html! {
        pre.diff {
            @for line in &shown {
                @match class(line) {
                    Some(cls) => span.(cls) { (line) },
                    None => (line),
                }
                "\n"
            }
        }
        @if cut {
            p.cut {
                "Diff cut: " (whole) " of " (total_lines) " lines shown"
                @if partial { ", then the start of line " (whole + 1) }
                " (at most " (MAX_DIFF_LINES) " lines, " (MAX_DIFF_BYTES / 1024)
                " KiB); report.json has it whole."
            }
        }
    }
}

/// The CSS class of a diff line.
fn class(line: &str) -> Option<&'static str> {
    match DiffLine::of(line) {
        DiffLine::Files => Some("files"),
        DiffLine::Removed => Some("del"),
        DiffLine::Added => Some("add"),
        DiffLine::Hunk => Some("hunk"),
        DiffLine::Context => None,
    }
}

/// What the text filter matches a case on, lower case: id, file:line, path, messages, waiver, notes.
fn search_text(c: &CaseResult, source: &str) -> String {
    let mut parts: Vec<&str> = vec![&c.id, source, &c.path];
    parts.extend(c.checks.iter().map(|k| k.message.as_str()));
    parts.extend(c.waiver.as_deref());
    parts.extend(c.notes.iter().map(String::as_str));
    parts.join(" ").to_lowercase()
}

/// A duration for people: milliseconds below a second, else seconds.
fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{}.{:03} s", ms / 1000, ms % 1000)
    }
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::{Method, Source};
    use crate::model::result::{CheckKind, Gate, Retry, Severity, Summary};

    const HOSTILE: &str = "<script>alert(1)</script>";

    fn case(id: &str, outcome: Outcome, checks: Vec<CheckResult>) -> CaseResult {
        CaseResult {
            id: id.to_string(),
            source: Source {
                file: "api/user-get.md".to_string(),
                line: 42,
            },
            method: Method::Get,
            path: "/users/{id}".to_string(),
            outcome,
            status: Some(200),
            duration_ms: 12,
            client_request_id: None,
            retries: Vec::new(),
            checks,
            notes: Vec::new(),
            waiver: None,
            has_body: true,
        }
    }

    /// A small run with one case of each outcome, hostile text in every free-text field.
    fn fixture() -> RunReport {
        let diff = format!(
            "--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n {{\n-  \"displayName\": \"{HOSTILE}\"\n+  \"displayName\": \"Adele\"\n }}\n"
        );
        let mut failed = case(
            &format!("user-get-{HOSTILE}"),
            Outcome::Failed,
            vec![
                CheckResult::pass(CheckKind::Status, "200 as documented"),
                CheckResult::fail(CheckKind::Schema, format!("body differs: {HOSTILE}"))
                    .with_diff(Some(diff)),
            ],
        );
        failed.notes = vec![format!("placeholder {HOSTILE} replaced")];
        failed.retries = vec![Retry {
            status: 429,
            waited_ms: 1500,
        }];
        failed.client_request_id = Some("0d1f-fixed".to_string());
        let mut errored = case(
            "user-delete",
            Outcome::Errored,
            vec![CheckResult::fail(
                CheckKind::Transport,
                "connection refused",
            )],
        );
        errored.method = Method::Delete;
        errored.status = None;
        let mut waived = case(
            "group-list",
            Outcome::Waived,
            vec![CheckResult::fail(
                CheckKind::Status,
                "answered 404, documented 200",
            )],
        );
        waived.waiver = Some("docs disagree with the service".to_string());
        let warned = case(
            "a-passed-with-warning",
            Outcome::Passed,
            vec![
                CheckResult::warn(CheckKind::Unknown, "property `extra` is not declared")
                    .with_severity(Severity::Warning),
            ],
        );
        let mut skipped = case("b-skipped", Outcome::Skipped, Vec::new());
        skipped.status = None;
        skipped.duration_ms = 0;
        let mut cases = vec![failed, errored, waived, warned, skipped];
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        RunReport {
            tool: "conform 0.1.0".to_string(),
            target: "http://127.0.0.1:9/v1.0".to_string(),
            started_at: "2024-05-01T10:00:00Z".to_string(),
            duration_ms: 2345,
            shard: None,
            coverage: None,
            summary: Summary::of(&cases),
            gate: Gate {
                passed: false,
                stale_baseline: vec![StaleEntry {
                    case: "old-case".to_string(),
                    why: "the case passes now".to_string(),
                }],
                expired_baseline: vec![StaleEntry {
                    case: "team-get".to_string(),
                    why: "expired on 2024-01-01".to_string(),
                }],
            },
            cases,
        }
    }

    /// The page's text as a reader sees it: style and script dropped, each tag a line break,
    /// entities left as they are (so escaping shows).
    fn text_of(html: &str) -> String {
        let mut rest = html;
        let mut out = String::new();
        while let Some(start) = rest.find('<') {
            out.push_str(&rest[..start]);
            out.push('\n');
            let tag = &rest[start..];
            let skip_to = ["<style", "<script"]
                .iter()
                .find(|t| tag.starts_with(*t))
                .map(|t| format!("</{}>", &t[1..]));
            let end = match skip_to {
                Some(close) => tag.find(&close).map(|i| i + close.len()),
                None => tag.find('>').map(|i| i + 1),
            };
            rest = &tag[end.unwrap_or(tag.len())..];
        }
        out.push_str(rest);
        out.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_page_reads_gate_summary_baseline_filter_then_cases_failing_first() {
        insta::assert_snapshot!(text_of(&render(&fixture())));
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let html = render(&fixture());
        assert!(!html.contains(HOSTILE));
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
        for place in [
            format!("<code class=\"id\">user-get-{escaped}</code>"),
            format!("<td class=\"message\">body differs: {escaped}</td>"),
            format!("&quot;displayName&quot;: &quot;{escaped}&quot;</span>"),
            format!("<li>placeholder {escaped} replaced</li>"),
            format!("data-search=\"user-get-{escaped} "),
        ] {
            assert!(html.contains(&place), "not escaped: {place}");
        }
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert_eq!(html.matches("</script>").count(), 1);
    }

    #[test]
    fn nothing_is_loaded_from_the_network() {
        let html = render(&fixture());
        for loads in [
            "<link", " src=", " href=", "url(", "@import", "<iframe", "<img",
        ] {
            assert!(!html.contains(loads), "{loads}");
        }
        // The target's URL is shown as text, never fetched.
        assert!(html.contains("http://127.0.0.1:9/v1.0"));
        assert!(!STYLE.contains("http") && !SCRIPT.contains("http"));
    }

    #[test]
    fn diff_lines_are_coloured_by_class() {
        let html = render(&fixture());
        assert!(html.contains(r#"<span class="files">--- expected</span>"#));
        assert!(html.contains(r#"<span class="del">-  &quot;displayName&quot;"#));
        assert!(
            html.contains(
                r#"<span class="add">+  &quot;displayName&quot;: &quot;Adele&quot;</span>"#
            )
        );
        assert!(html.contains(r#"<span class="hunk">@@ -1,3 +1,3 @@</span>"#));
        // Context lines carry no class.
        assert!(html.contains("</span>\n {\n<span"));
    }

    #[test]
    fn failing_cases_come_before_passing_ones_whatever_their_ids() {
        let html = render(&fixture());
        let at = |id: &str| {
            html.find(&format!("<code class=\"id\">{id}</code>"))
                .unwrap_or_else(|| panic!("{id} not shown"))
        };
        let failed = at("user-get-&lt;script&gt;alert(1)&lt;/script&gt;");
        let errored = at("user-delete");
        let waived = at("group-list");
        let passed = at("a-passed-with-warning");
        let skipped = at("b-skipped");
        assert!(failed < errored && errored < waived && waived < passed && passed < skipped);
    }

    #[test]
    fn a_long_diff_is_cut_with_a_note() {
        let mut report = fixture();
        let many: String = (0..1000)
            .map(|i| format!("+  \"line {i}\": {}\n", "x".repeat(80)))
            .collect();
        // One line of 1 MB of multi-byte characters: cut inside it, on a character boundary.
        let huge = format!("-{}\n", "é".repeat(500_000));
        report.cases[0].checks = vec![
            CheckResult::fail(CheckKind::Schema, "many lines").with_diff(Some(many)),
            CheckResult::fail(CheckKind::Echo, "one huge line").with_diff(Some(huge)),
        ];
        let html = render(&report);
        assert!(
            html.len() < 3 * MAX_DIFF_BYTES + 20_000,
            "{} bytes",
            html.len()
        );
        // 10 lines of 93 bytes, 90 of 94, then 95 each: 173 fit in 16 KiB, and the start of one more.
        assert!(html.contains("Diff cut: 173 of 1000 lines shown, then the start of line 174"));
        assert!(html.contains("line 172&quot;: xxx") && html.contains("line 173&quot;: xxx"));
        assert!(!html.contains("line 174&quot;"));
        assert!(html.contains("Diff cut: 0 of 1 lines shown, then the start of line 1"));
        assert!(html.contains(&"é".repeat(MAX_DIFF_BYTES / 2 - 1)));
    }

    #[test]
    fn a_short_diff_is_whole_and_has_no_note() {
        let html = render(&fixture());
        assert!(!html.contains("Diff cut"));
        assert!(html.contains("&quot;Adele&quot;"));
    }

    #[test]
    fn the_page_shows_a_passed_gate_in_its_verdict() {
        let mut report = fixture();
        report.gate.passed = true;
        let text = text_of(&render(&report));
        assert!(text.starts_with("conform: gate PASSED"), "{text}");
        assert!(text.contains("Gate PASSED\nNo case failed or errored outside the baseline."));
    }

    #[test]
    fn names_are_the_serialized_ones() {
        let name = |v: serde_json::Value| v.as_str().map(str::to_string);
        for o in ORDER {
            assert_eq!(name(serde_json::json!(o)).as_deref(), Some(o.as_str()));
        }
        for s in [Severity::Error, Severity::Warning] {
            assert_eq!(name(serde_json::json!(s)).as_deref(), Some(s.as_str()));
        }
        for c in [CheckOutcome::Passed, CheckOutcome::Failed] {
            assert_eq!(name(serde_json::json!(c)).as_deref(), Some(c.as_str()));
        }
    }
}
