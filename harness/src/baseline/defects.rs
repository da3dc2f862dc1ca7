//! Doc-defect baselines: the failures of a run that the docs' own examples explain.
//!
//! A failed case is waived only when every check that failed has, on the case's own lines, a
//! lint diagnostic of a kind that can make that check fail (an undeclared property in the
//! example for `unknown`, a method that contradicts the page's syntax for `status`, …). The
//! entry pins each failure as it was seen and names the defects; a failure nothing on its lines
//! explains stays unexplained, to be fixed in the checks or reported by a new lint.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::doc::{Code, Diagnostic};
use crate::extract::Extraction;
use crate::model::case::{Case, Source};
use crate::model::result::{CaseResult, CheckKind, CheckResult, Outcome};

use super::{Baseline, DocDefect, KnownFailure, Pin};

/// What [`doc_defects`] found: the entries the docs explain, and the failures they do not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generated {
    /// One entry per failed case whose every failure a doc defect on its lines explains.
    pub baseline: Baseline,
    /// The failed cases that are not explained, in id order.
    pub unexplained: Vec<Unexplained>,
}

/// A failed case no doc defect on its lines explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexplained {
    /// The case id.
    pub case: String,
    /// Where the case is documented.
    pub source: Source,
    /// The failures without an explanation: check kind and the first line of its message.
    pub failures: Vec<(CheckKind, String)>,
}

impl fmt::Display for Unexplained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}:",
            self.source.file, self.source.line, self.case
        )?;
        for (i, (kind, message)) in self.failures.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            write!(f, "{sep}{kind}: {message}")?;
        }
        Ok(())
    }
}

/// Whether a doc defect of this code, in a case's example, can make this check fail.
///
/// ```
/// use conform::baseline::explains;
/// use conform::doc::Code;
/// use conform::model::result::CheckKind;
/// assert!(explains(Code::UnknownProperty, CheckKind::Unknown));
/// assert!(!explains(Code::Todo, CheckKind::Status));
/// ```
pub fn explains(code: Code, kind: CheckKind) -> bool {
    use CheckKind as K;
    let body = matches!(
        kind,
        K::Schema | K::Key | K::Unknown | K::Coverage | K::Type | K::Echo
    );
    match code {
        // The example says one operation and the page (or another page) another: any verdict
        // about the answer may follow.
        Code::SyntaxMismatch
        | Code::ConflictingDocs
        | Code::MultipleRequests
        | Code::BadRequestLine
        // A refused write answers 400, and nothing of the documented answer follows.
        | Code::RejectedWrite
        | Code::MissingBody
        | Code::RepeatedDelete => !matches!(kind, K::Transport | K::Params),
        Code::BadStatusLine => body || matches!(kind, K::Status | K::Header),
        Code::BadHeader | Code::MissingHeader => matches!(kind, K::Header | K::Status | K::Prefer),
        Code::InvalidJson | Code::LenientJson => body || kind == K::Header,
        Code::UnknownProperty => matches!(
            kind,
            K::Unknown | K::Schema | K::Coverage | K::Echo | K::Type
        ),
        Code::EnumValue | Code::ExampleInvalid | Code::CollectionShape => body,
        // A type the metadata does not define cannot be judged, nor can what derives from it.
        Code::NoSchema => matches!(kind, K::Schema | K::Type),
        // Two answers to one request: whichever the server gives, the other example fails.
        Code::AmbiguousRequest => !matches!(kind, K::Transport | K::Params),
        // A body on a bodiless status: the status, the body's checks or its framing fail.
        Code::NoContentBody => body || matches!(kind, K::Status | K::Header),
        Code::MissingContentType => kind == K::Header,
        Code::EchoMismatch => kind == K::Echo,
        Code::MissingKey => kind == K::Key,
        // Defects of prose, tables, names or framing change no answer.
        Code::BadAnnotation
        | Code::UnterminatedComment
        | Code::UnterminatedFence
        | Code::OrphanAnnotation
        | Code::OrphanRequest
        | Code::OrphanResponse
        | Code::BrokenUrl
        | Code::ForeignHost
        | Code::MissingVersion
        | Code::ContentLength
        | Code::PlaceholderStyle
        | Code::DuplicateName
        | Code::MissingName
        | Code::TableMismatch
        | Code::EmptyTable
        | Code::Todo
        | Code::NotMarkdown
        | Code::Unreadable => false,
    }
}

/// Whether a defect of the request example's body can make this check fail: a service that
/// enforces the metadata refuses the write (an error status instead of the documented answer,
/// whose body and headers then follow from it).
fn refused_request(code: Code, kind: CheckKind) -> bool {
    matches!(
        code,
        Code::ExampleInvalid | Code::EnumValue | Code::UnknownProperty | Code::InvalidJson
    ) && !matches!(kind, CheckKind::Transport | CheckKind::Params)
}

/// The longest pinned message text: enough to tell failures apart, short enough to read.
const PIN_CHARS: usize = 160;

/// The doc-defect baseline of a run: an entry for each failed case whose every failure a lint
/// diagnostic on its own lines explains, and the failed cases left unexplained.
pub fn doc_defects(results: &[CaseResult], cases: &[Case], extraction: &Extraction) -> Generated {
    let spans = spans(cases);
    let mut by_page: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &extraction.diagnostics {
        if let Some(page) = extraction.page_of(d) {
            by_page.entry(page).or_default().push(d);
        }
    }
    let mut out = Generated::default();
    let mut sorted: Vec<&CaseResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed | Outcome::Errored))
        .collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for result in sorted {
        let failed: Vec<&CheckResult> = result
            .checks
            .iter()
            .filter(|c| c.is_error_failure())
            .collect();
        let on_lines: Vec<&Diagnostic> = match spans.get(result.id.as_str()) {
            Some(owned) => by_page
                .get(result.source.file.as_str())
                .into_iter()
                .flatten()
                .filter(|d| owned.iter().any(|(a, b)| (*a..=*b).contains(&d.line)))
                .copied()
                .collect(),
            None => Vec::new(),
        };
        let request_span = spans.get(result.id.as_str()).map(|[request, _]| *request);
        let mut defects = BTreeSet::new();
        let mut unexplained = Vec::new();
        for check in &failed {
            let why: Vec<&&Diagnostic> = on_lines
                .iter()
                .filter(|d| {
                    explains(d.code, check.kind)
                        || (request_span.is_some_and(|(a, b)| (a..=b).contains(&d.line))
                            && refused_request(d.code, check.kind))
                })
                .collect();
            if why.is_empty() {
                unexplained.push((check.kind, first_line(&check.message)));
            }
            defects.extend(
                why.into_iter()
                    .map(|d| (d.line, d.code.as_str(), d.message.clone())),
            );
        }
        if failed.is_empty() || !unexplained.is_empty() {
            if failed.is_empty() {
                unexplained.push((CheckKind::Transport, "failed with no failed check".into()));
            }
            out.unexplained.push(Unexplained {
                case: result.id.clone(),
                source: result.source.clone(),
                failures: unexplained,
            });
            continue;
        }
        let defects: Vec<DocDefect> = defects
            .into_iter()
            .map(|(line, code, message)| DocDefect {
                file: result.source.file.clone(),
                line,
                code: code.to_string(),
                message,
            })
            .collect();
        let reason = format!(
            "doc defect: {}",
            defects
                .iter()
                .map(|d| format!("{}:{} [{}] {}", d.file, d.line, d.code, d.message))
                .collect::<Vec<_>>()
                .join("; ")
        );
        out.baseline.known_failures.push(KnownFailure {
            case: result.id.clone(),
            reason,
            checks: Vec::new(),
            status: None,
            message: None,
            expires: None,
            failures: pins(result),
            defects,
        });
    }
    out
}

/// One pin per failure of a result, as it was seen: the status answered for a `status` check,
/// else the start of the check's message.
pub(super) fn pins(result: &CaseResult) -> Vec<Pin> {
    let mut failures: Vec<Pin> = Vec::new();
    for check in result.checks.iter().filter(|c| c.is_error_failure()) {
        let pin = match (check.kind, result.status) {
            (CheckKind::Status, Some(status)) => Pin {
                check: check.kind,
                status: Some(status),
                message: None,
            },
            _ => Pin {
                check: check.kind,
                status: None,
                message: Some(pinned_text(&check.message)),
            },
        };
        if !failures.contains(&pin) {
            failures.push(pin);
        }
    }
    failures
}

/// The lines each case owns on its page: its request block and its response block, each from
/// just above it (its annotation) to just before the next block of any case on the page.
fn spans(cases: &[Case]) -> BTreeMap<&str, [(usize, usize); 2]> {
    let mut starts: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for c in cases {
        let page = starts.entry(c.source.file.as_str()).or_default();
        page.insert(c.request.line);
        page.insert(c.response.line);
    }
    let span = |page: &BTreeSet<usize>, line: usize| {
        let last = page
            .range(line + 1..)
            .next()
            .map_or(usize::MAX, |next| next.saturating_sub(1));
        (line.saturating_sub(2), last)
    };
    cases
        .iter()
        .filter_map(|c| {
            let page = starts.get(c.source.file.as_str())?;
            Some((
                c.id.as_str(),
                [span(page, c.request.line), span(page, c.response.line)],
            ))
        })
        .collect()
}

/// The first line of a message.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().to_string()
}

/// The part of a failure's message a pin keeps: its first line, cut at a character boundary.
fn pinned_text(message: &str) -> String {
    let line = first_line(message);
    match line.char_indices().nth(PIN_CHARS) {
        Some((i, _)) => line[..i].to_string(),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::extract_texts;
    use crate::model::result::CheckResult;

    const PAGE: &str = "<!-- { \"blockType\": \"request\", \"name\": \"create_x\" } -->\n```http\nPOST https://graph.microsoft.com/v1.0/xs\nContent-Type: application/json\n\n{\"flag\": \"false\"}\n```\n\n<!-- { \"blockType\": \"response\" } -->\n```http\nHTTP/1.1 201 Created\nContent-Type: application/json\n\n{\"id\": \"1\"}\n```\n";

    /// The page's extraction with one diagnostic of `code` on `line`, and a result of its case
    /// that failed `kind`.
    fn world(code: Code, line: usize, kind: CheckKind) -> (Extraction, CaseResult) {
        world_in("p.md", code, line, kind)
    }

    /// As `world`, with the diagnostic in `file`.
    fn world_in(file: &str, code: Code, line: usize, kind: CheckKind) -> (Extraction, CaseResult) {
        let mut ex = extract_texts(&[("p.md", "p.md", PAGE)]);
        ex.diagnostics = vec![Diagnostic::new(
            file,
            line,
            crate::doc::Severity::Warning,
            code,
            "the doc is wrong here".into(),
        )];
        let mut r = CaseResult::unrun(&ex.cases[0]);
        r.outcome = Outcome::Failed;
        r.status = Some(400);
        r.checks = vec![CheckResult::fail(
            kind,
            "expected 201 Created, got 400 Bad Request",
        )];
        (ex, r)
    }

    #[test]
    fn a_defect_of_the_request_body_explains_a_refused_write() {
        // Line 6 is the request body: a service refuses it, so the status is explained.
        let (ex, r) = world(Code::ExampleInvalid, 6, CheckKind::Status);
        let g = doc_defects(std::slice::from_ref(&r), &ex.cases, &ex);
        assert!(g.unexplained.is_empty(), "{:?}", g.unexplained);
        let entry = &g.baseline.known_failures[0];
        assert_eq!(entry.failures[0].status, Some(400));
        assert!(
            entry
                .reason
                .starts_with("doc defect: p.md:6 [example-invalid]")
        );
        // The same defect in the answer's body does not explain a status.
        let (ex, r) = world(Code::ExampleInvalid, 14, CheckKind::Status);
        let g = doc_defects(std::slice::from_ref(&r), &ex.cases, &ex);
        assert!(g.baseline.known_failures.is_empty());
        assert_eq!(g.unexplained.len(), 1);
    }

    #[test]
    fn a_defect_off_the_case_s_lines_or_of_an_unrelated_kind_explains_nothing() {
        // The same line of another page.
        let (ex, r) = world_in("q.md", Code::UnknownProperty, 14, CheckKind::Unknown);
        assert_eq!(doc_defects(&[r], &ex.cases, &ex).unexplained.len(), 1);
        let (ex, r) = world(Code::Todo, 14, CheckKind::Schema);
        assert_eq!(doc_defects(&[r], &ex.cases, &ex).unexplained.len(), 1);
        let (ex, r) = world(Code::UnknownProperty, 14, CheckKind::Unknown);
        let g = doc_defects(&[r], &ex.cases, &ex);
        assert_eq!(g.baseline.known_failures.len(), 1);
        assert_eq!(g.baseline.known_failures[0].defects[0].line, 14);
    }
}
