//! Extraction: turns doc pages into cases and diagnostics, and lints across pages.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::case::{self, Body, Case, Request, Response, Source};
use crate::doc::http::{self, split_message, split_url};
use crate::doc::{self, Annotation, Block, Code, Diagnostic, Page, Severity};
use crate::placeholder;
use crate::schema::SchemaSet;

/// Errors that stop an extraction (a missing DOCS argument, an unwritable output folder).
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A DOCS path or the output folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Walking a DOCS folder failed.
    #[error("{0}")]
    Walk(#[from] walkdir::Error),
}

/// The result of extracting a set of pages.
#[derive(Debug, Default)]
pub struct Extraction {
    /// Cases, sorted by id.
    pub cases: Vec<Case>,
    /// Diagnostics, sorted by file, line and code.
    pub diagnostics: Vec<Diagnostic>,
    /// How many pages were read.
    pub pages: usize,
    /// How many example bodies were validated against a schema.
    pub examples_validated: usize,
}

/// A page found under a DOCS argument.
struct PageFile {
    path: PathBuf,
    rel: String,
}

/// Lists the files named by the DOCS arguments, each with its path relative to the argument.
fn page_files(docs: &[PathBuf]) -> Result<Vec<PageFile>, ExtractError> {
    let mut files = Vec::new();
    for root in docs {
        let meta = std::fs::metadata(root).map_err(|source| ExtractError::Io {
            path: root.clone(),
            source,
        })?;
        if meta.is_file() {
            let rel = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(PageFile {
                path: root.clone(),
                rel,
            });
            continue;
        }
        let walker = walkdir::WalkDir::new(root).sort_by_file_name();
        for entry in walker {
            let entry = entry?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push(PageFile {
                path: entry.path().to_path_buf(),
                rel,
            });
        }
    }
    Ok(files)
}

/// Extracts every page under the DOCS arguments.
pub fn extract_paths(docs: &[PathBuf]) -> Result<Extraction, ExtractError> {
    extract_paths_with(docs, None)
}

/// The schemas examples are linted against: one set for every page, or one per API version.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintSchemas<'a> {
    /// Used for pages whose version has no set of its own.
    pub default: Option<&'a SchemaSet>,
    /// Sets by version segment (`beta`, `v1.0`).
    pub by_version: &'a [(String, SchemaSet)],
}

impl<'a> From<Option<&'a SchemaSet>> for LintSchemas<'a> {
    fn from(default: Option<&'a SchemaSet>) -> Self {
        LintSchemas {
            default,
            by_version: &[],
        }
    }
}

impl<'a> LintSchemas<'a> {
    /// The set for a case's version, else the default.
    pub fn for_case(&self, case: &Case) -> Option<&'a SchemaSet> {
        let sc = scope(case);
        self.by_version
            .iter()
            .find(|(v, _)| Some(v) == sc.as_ref())
            .map(|(_, s)| s)
            .or(self.default)
    }
}

/// Extracts every page under the DOCS arguments; with schemas, also lints example bodies and property tables against them.
pub fn extract_paths_with<'a>(
    docs: &[PathBuf],
    schemas: impl Into<LintSchemas<'a>>,
) -> Result<Extraction, ExtractError> {
    let schemas = schemas.into();
    let mut out = Extraction::default();
    let mut pages = Vec::new();
    for file in page_files(docs)? {
        let display = file.path.display().to_string();
        out.pages += 1;
        let bytes = std::fs::read(&file.path).map_err(|source| ExtractError::Io {
            path: file.path.clone(),
            source,
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => pages.push((file.rel, display, text)),
            Err(e) => out.diagnostics.push(Diagnostic {
                file: display,
                line: 1,
                severity: Severity::Error,
                code: Code::NotMarkdown,
                message: format!(
                    "not UTF-8 text (invalid byte at offset {}); page skipped",
                    e.utf8_error().valid_up_to()
                ),
            }),
        }
    }
    let texts: Vec<(&str, &str, &str)> = pages
        .iter()
        .map(|(r, d, t)| (r.as_str(), d.as_str(), t.as_str()))
        .collect();
    let more = extract_texts_with(&texts, schemas);
    out.cases = more.cases;
    out.examples_validated = more.examples_validated;
    out.diagnostics.extend(more.diagnostics);
    out.diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.code, &a.message).cmp(&(&b.file, b.line, b.code, &b.message))
    });
    Ok(out)
}

/// Extracts pages given as (relative path, display path, text), then lints across them.
pub fn extract_texts(pages: &[(&str, &str, &str)]) -> Extraction {
    extract_texts_with(pages, None)
}

/// Like [`extract_texts`], linting bodies and property tables against schemas when given.
pub fn extract_texts_with<'a>(
    pages: &[(&str, &str, &str)],
    schemas: impl Into<LintSchemas<'a>>,
) -> Extraction {
    let schemas = schemas.into();
    let mut out = Extraction {
        pages: pages.len(),
        ..Extraction::default()
    };
    let mut displays: HashMap<String, String> = HashMap::new();
    for (rel, display, text) in pages {
        displays.insert(rel.to_string(), display.to_string());
        let (cases, diags, validated) = extract_page_counted(rel, display, text, schemas);
        out.examples_validated += validated;
        out.cases.extend(cases);
        out.diagnostics.extend(diags);
    }
    collapse_no_schema(&mut out.diagnostics);
    make_ids_unique(&mut out.cases, &displays, &mut out.diagnostics);
    out.diagnostics
        .extend(cross_page_lint(&out.cases, &displays));
    out.cases.sort_by(|a, b| a.id.cmp(&b.id));
    out.diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.code, &a.message).cmp(&(&b.file, b.line, b.code, &b.message))
    });
    out
}

/// The id prefix of a page: its relative path without extension, `/` as `.`.
fn page_id(rel: &str) -> String {
    let stem = match rel.rfind('.') {
        Some(i) if !rel[i..].contains('/') => &rel[..i],
        _ => rel,
    };
    sanitize(&stem.replace('/', "."))
}

/// Keeps ids to characters that are safe in file names and test filters.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Extracts the cases of one page and its page-local diagnostics.
pub fn extract_page(rel: &str, display: &str, text: &str) -> (Vec<Case>, Vec<Diagnostic>) {
    extract_page_with(rel, display, text, None)
}

/// Like [`extract_page`], linting bodies and property tables against schemas when given.
pub fn extract_page_with<'a>(
    rel: &str,
    display: &str,
    text: &str,
    schemas: impl Into<LintSchemas<'a>>,
) -> (Vec<Case>, Vec<Diagnostic>) {
    let (cases, diags, _) = extract_page_counted(rel, display, text, schemas.into());
    (cases, diags)
}

/// Extracts one page; also says how many example bodies were validated against a schema.
fn extract_page_counted(
    rel: &str,
    display: &str,
    text: &str,
    schemas: LintSchemas<'_>,
) -> (Vec<Case>, Vec<Diagnostic>, usize) {
    let mut validated = 0;
    let page = doc::read_page(display, text);
    let mut diags = page.diagnostics.clone();
    let diag = |line, severity, code, message: String| Diagnostic {
        file: display.to_string(),
        line,
        severity,
        code,
        message,
    };
    for line in doc::todo_lines(text) {
        diags.push(diag(
            line,
            Severity::Warning,
            Code::Todo,
            "page still contains TODO text".into(),
        ));
    }
    for t in &page.tables {
        let is_property_table = t
            .header
            .first()
            .is_some_and(|h| h.eq_ignore_ascii_case("property"));
        if is_property_table && t.rows.is_empty() {
            diags.push(diag(
                t.line,
                Severity::Warning,
                Code::EmptyTable,
                "property table has a header but no rows".into(),
            ));
        }
    }

    let mut cases = Vec::new();
    let mut pending: Option<(Request, String, Option<String>)> = None;
    let mut request_index = 0;
    let mut names: HashMap<String, usize> = HashMap::new();
    // A request the page marks `ignored` takes its response with it: that pair is
    // deliberately not replayable, so the response is no orphan.
    let mut ignored_request = false;
    for block in &page.blocks {
        let Some(annotation) = &block.annotation else {
            continue;
        };
        let kind = annotation.block_type();
        if kind.as_deref() == Some("response") && pending.is_none() && ignored_request {
            continue;
        }
        match kind.as_deref() {
            Some("request") => ignored_request = false,
            Some("ignored")
                if split_message(&block.text, block.content_line())
                    .is_some_and(|m| http::parse_request_line(&m.start).is_some()) =>
            {
                ignored_request = true
            }
            _ => {}
        }
        match kind.as_deref() {
            Some("request") => {
                request_index += 1;
                if let Some((req, _, _)) = pending.take() {
                    diags.push(diag(
                        req.line,
                        Severity::Error,
                        Code::OrphanRequest,
                        "request example has no response example after it; no case made".into(),
                    ));
                }
                let name = match annotation.str("name") {
                    Some(n) if !n.trim().is_empty() => n.trim().to_string(),
                    _ => {
                        diags.push(diag(
                            annotation.line,
                            Severity::Warning,
                            Code::MissingName,
                            format!(
                                "request example has no name; called `request-{request_index}`"
                            ),
                        ));
                        format!("request-{request_index}")
                    }
                };
                if let Some((req, version)) = read_request(block, annotation, display, &mut diags) {
                    pending = Some((req, name, version));
                }
            }
            Some("response") => {
                let Some((req, name, version)) = pending.take() else {
                    diags.push(diag(
                        block.line,
                        Severity::Error,
                        Code::OrphanResponse,
                        "response example has no request example before it; no case made".into(),
                    ));
                    continue;
                };
                let Some(resp) = read_response(block, annotation, display, &mut diags) else {
                    continue;
                };
                let count = names.entry(name.to_ascii_lowercase()).or_insert(0);
                *count += 1;
                let mut id = format!("{}.{}", page_id(rel), sanitize(&name));
                if *count > 1 {
                    id = format!("{id}-{count}");
                    diags.push(diag(
                        req.line,
                        Severity::Warning,
                        Code::DuplicateName,
                        format!("example name `{name}` is used more than once on this page; this case is `{id}`"),
                    ));
                }
                cases.push(Case {
                    id,
                    name,
                    source: Source {
                        file: rel.to_string(),
                        line: req.line,
                    },
                    version,
                    request: req,
                    response: resp,
                });
            }
            _ => {}
        }
    }
    if let Some((req, _, _)) = pending {
        diags.push(diag(
            req.line,
            Severity::Error,
            Code::OrphanRequest,
            "request example has no response example after it; no case made".into(),
        ));
    }
    diags.extend(lint_page(&page, &cases, display));
    diags.extend(lint_required_headers(&page, &cases, display));
    for case in &cases {
        if let Some(set) = schemas.for_case(case) {
            let (found, count) = lint_bodies(&page, case, set, display);
            diags.extend(found);
            validated += count;
        }
    }
    if let Some(set) = cases.first().and_then(|c| schemas.for_case(c)) {
        diags.extend(lint_tables(&page, &cases, set, display));
    }
    (cases, diags, validated)
}

/// Reads a request block; `None` (with a diagnostic) when it has no request line.
fn read_request(
    block: &Block,
    annotation: &Annotation,
    display: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Request, Option<String>)> {
    let diag = |line, severity, code, message: String| Diagnostic {
        file: display.to_string(),
        line,
        severity,
        code,
        message,
    };
    let Some(msg) = split_message(&block.text, block.content_line()) else {
        diags.push(diag(
            block.line,
            Severity::Error,
            Code::BadRequestLine,
            "request block is empty; no case made".into(),
        ));
        return None;
    };
    push_problems(&msg, display, diags);
    let Some(line) = http::parse_request_line(&msg.start) else {
        diags.push(diag(
            msg.start_line,
            Severity::Error,
            Code::BadRequestLine,
            format!("`{}` is not `METHOD URL [HTTP/x]`; no case made", msg.start),
        ));
        return None;
    };
    let url = split_url(&line.url);
    if let Some(host) = &url.foreign_host {
        diags.push(diag(
            msg.start_line,
            Severity::Warning,
            Code::ForeignHost,
            format!(
                "request goes to `{host}`, not the service; the case is kept but skipped at replay"
            ),
        ));
    }
    if let Some(what) = &url.repaired {
        diags.push(diag(
            msg.start_line,
            Severity::Warning,
            Code::BrokenUrl,
            what.clone(),
        ));
    } else if url.absolute && url.version.is_none() {
        diags.push(diag(
            msg.start_line,
            Severity::Warning,
            Code::MissingVersion,
            format!("`{}` names no API version (beta or v1.0)", line.url),
        ));
    }
    let body = read_body(&msg, display, diags);
    Some((
        Request {
            method: line.method,
            path: url.path,
            params: url.params,
            host: url.foreign_host,
            headers: msg.headers,
            body,
            line: block.line,
            annotation: annotation.map.clone(),
        },
        url.version,
    ))
}

/// Reads a response block; `None` (with a diagnostic) when it has no status line.
fn read_response(
    block: &Block,
    annotation: &Annotation,
    display: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Response> {
    let diag = |line, severity, code, message: String| Diagnostic {
        file: display.to_string(),
        line,
        severity,
        code,
        message,
    };
    let Some(msg) = split_message(&block.text, block.content_line()) else {
        diags.push(diag(
            block.line,
            Severity::Error,
            Code::BadStatusLine,
            "response block is empty; no case made".into(),
        ));
        return None;
    };
    push_problems(&msg, display, diags);
    let Some((status, reason)) = http::parse_status_line(&msg.start) else {
        diags.push(diag(
            msg.start_line,
            Severity::Error,
            Code::BadStatusLine,
            format!(
                "`{}` is not `HTTP/x CODE [reason]`; no case made",
                msg.start
            ),
        ));
        return None;
    };
    let body = read_body(&msg, display, diags);
    let odata_type = annotation
        .str("@odata.type")
        .map(|t| t.trim_start_matches('#').to_string())
        .or_else(|| match &body {
            Some(Body::Json(Value::Object(m))) => m
                .get("@odata.type")
                .and_then(Value::as_str)
                .map(|t| t.trim_start_matches('#').to_string()),
            _ => None,
        })
        .filter(|t| !t.is_empty());
    // `"@odata.type": "Collection(microsoft.graph.x)"` says in one key what isCollection says in two.
    let (odata_type, in_collection) = match odata_type {
        Some(t) if t.starts_with("Collection(") && t.ends_with(')') => (
            Some(
                t["Collection(".len()..t.len() - 1]
                    .trim_start_matches('#')
                    .to_string(),
            ),
            true,
        ),
        other => (other, false),
    };
    Some(Response {
        status,
        reason,
        headers: msg.headers,
        body,
        odata_type,
        is_collection: in_collection || annotation.flag("isCollection"),
        truncated: annotation.flag("truncated"),
        line: block.line,
        annotation: annotation.map.clone(),
    })
}

fn push_problems(msg: &http::RawMessage, display: &str, diags: &mut Vec<Diagnostic>) {
    diags.extend(msg.problems.iter().map(|p| Diagnostic {
        file: display.to_string(),
        line: p.line,
        severity: Severity::Warning,
        code: p.code,
        message: p.message.clone(),
    }));
}

/// Reads a message body: JSON when the content type or the text says so, else text.
fn read_body(msg: &http::RawMessage, display: &str, diags: &mut Vec<Diagnostic>) -> Option<Body> {
    let text = msg.body.as_ref()?;
    let diag = |line, severity, code, message: String| Diagnostic {
        file: display.to_string(),
        line,
        severity,
        code,
        message,
    };
    if let Some(claimed) = case::find_header(&msg.headers, "content-length") {
        if let Ok(n) = claimed.trim().parse::<usize>() {
            // HTTP/1.1 examples are framed with CRLF, so a body of k lines is k-1 bytes
            // longer on the wire than in the page; either count is a correct label.
            let lf = text.len();
            let crlf = lf + text.matches('\n').count();
            if n != lf && n != crlf {
                diags.push(diag(
                    msg.start_line,
                    Severity::Warning,
                    Code::ContentLength,
                    format!(
                        "Content-Length says {n} but the body shown is {lf} bytes ({crlf} with CRLF line ends)"
                    ),
                ));
            }
        }
    }
    let content_type = case::find_header(&msg.headers, "content-type").unwrap_or("");
    let looks_json = content_type.to_ascii_lowercase().contains("json")
        || (content_type.is_empty() && (text.starts_with('{') || text.starts_with('[')));
    if !looks_json {
        return Some(Body::Text(text.clone()));
    }
    match doc::json::parse(text) {
        doc::json::Parsed::Strict(v) => Some(Body::Json(v)),
        doc::json::Parsed::Relaxed(v, fixes) => {
            diags.push(diag(
                msg.body_line,
                Severity::Warning,
                Code::LenientJson,
                format!(
                    "body is not strict JSON ({}); read leniently",
                    fixes.join(", ")
                ),
            ));
            Some(Body::Json(v))
        }
        doc::json::Parsed::Invalid {
            line,
            column,
            message,
        } => {
            diags.push(diag(
                msg.body_line + line.saturating_sub(1),
                Severity::Error,
                Code::InvalidJson,
                format!(
                    "body is not JSON: {message} (body line {line}, column {column}); kept as text"
                ),
            ));
            Some(Body::Text(text.clone()))
        }
    }
}

/// Lints that need the whole page: syntax agreement and placeholder spelling.
fn lint_page(page: &Page, cases: &[Case], display: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let diag = |line, code, message: String| Diagnostic {
        file: display.to_string(),
        line,
        severity: Severity::Warning,
        code,
        message,
    };
    let syntax: Vec<(usize, String, String)> = page
        .syntax
        .iter()
        .map(|s| (s.line, s.method.clone(), split_url(&s.path).path))
        .collect();
    if !syntax.is_empty() {
        for case in cases {
            let same_path: Vec<_> = syntax
                .iter()
                .filter(|(_, _, p)| http::paths_match(p, &case.request.path))
                .collect();
            let lines = || {
                syntax
                    .iter()
                    .map(|(l, m, p)| format!("{m} {p} (line {l})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if same_path.is_empty() {
                diags.push(diag(
                    case.request.line,
                    Code::SyntaxMismatch,
                    format!(
                        "example `{} {}` matches no path of the HTTP request section: {}",
                        case.request.method,
                        case.request.path,
                        lines()
                    ),
                ));
            } else if !same_path.iter().any(|(_, m, _)| *m == case.request.method) {
                diags.push(diag(
                    case.request.line,
                    Code::SyntaxMismatch,
                    format!(
                        "example uses {} but the HTTP request section documents {} for this path",
                        case.request.method,
                        lines()
                    ),
                ));
            }
        }
    }

    // Placeholders as written, in page order, from syntax lines and examples alike.
    let mut written: Vec<(usize, String)> = Vec::new();
    for s in &page.syntax {
        written.extend(split_url(&s.path).written.into_iter().map(|w| (s.line, w)));
    }
    let request_blocks = page.blocks.iter().filter(|b| {
        b.annotation
            .as_ref()
            .is_some_and(|a| a.block_type().as_deref() == Some("request"))
    });
    for block in request_blocks {
        if let Some(msg) = split_message(&block.text, block.content_line()) {
            if let Some(l) = http::parse_request_line(&msg.start) {
                written.extend(
                    split_url(&l.url)
                        .written
                        .into_iter()
                        .map(|w| (block.line, w)),
                );
            }
        }
    }
    written.sort();
    let mut first_seen: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut reported = std::collections::HashSet::new();
    for (line, w) in written {
        let key: String = w
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match first_seen.get(&key) {
            None => {
                first_seen.insert(key, (line, w));
            }
            Some((l0, w0)) if *w0 != w && reported.insert((key.clone(), w.clone())) => {
                diags.push(diag(
                    line,
                    Code::PlaceholderStyle,
                    format!("parameter written `{w}` here and `{w0}` on line {l0}"),
                ));
            }
            _ => {}
        }
    }
    diags
}

/// Keeps one `no-schema` diagnostic per type, counting the rest: a schema set that does not
/// cover the docs would otherwise bury every other diagnostic.
fn collapse_no_schema(diags: &mut Vec<Diagnostic>) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in diags.iter().filter(|d| d.code == Code::NoSchema) {
        *counts.entry(d.message.clone()).or_insert(0) += 1;
    }
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| d.code != Code::NoSchema || seen.insert(d.message.clone()));
    for d in diags.iter_mut().filter(|d| d.code == Code::NoSchema) {
        if let Some(n) = counts.get(&d.message).filter(|n| **n > 1) {
            d.message = format!("{} (and {} more examples of this type)", d.message, n - 1);
        }
    }
}

/// The 0-based line within a JSON text where a pointer's last named key appears (best effort).
fn locate(text: &str, pointer: &str) -> usize {
    let mut pos = 0;
    for seg in pointer.split('/').skip(1) {
        if seg.parse::<usize>().is_ok() {
            continue;
        }
        let key = seg.replace("~1", "/").replace("~0", "~");
        if let Some(i) = text[pos..].find(&format!("\"{key}\"")) {
            pos += i;
        }
    }
    text[..pos].matches('\n').count()
}

/// One example body to lint: which side, its type, its instances by pointer prefix, its block's line.
type BodyTarget<'a> = (&'static str, String, Vec<(String, &'a Value)>, usize);

/// Lints a case's example bodies against the schemas of their types.
/// Returns the diagnostics and how many bodies were validated.
fn lint_bodies(
    page: &Page,
    case: &Case,
    schemas: &SchemaSet,
    display: &str,
) -> (Vec<Diagnostic>, usize) {
    let mut validated = 0;
    let mut diags = Vec::new();
    let body_of = |line: usize| {
        page.blocks
            .iter()
            .find(|b| b.line == line)
            .and_then(|b| split_message(&b.text, b.content_line()))
            .and_then(|m| m.body.map(|t| (m.body_line, t)))
    };
    let request_type = case::request_type(case).filter(|t| {
        case.request.method != "POST"
            || matches!(&case.request.body, Some(Body::Json(v)) if v.get("@odata.type").is_some() || schemas.fits(t, v))
    });
    let mut targets: Vec<BodyTarget> = Vec::new();
    if let (Some(t), Some(Body::Json(v))) = (request_type, &case.request.body) {
        targets.push(("request", t, vec![(String::new(), v)], case.request.line));
    }
    if let (Some(t), Some(Body::Json(v))) = (&case.response.odata_type, &case.response.body) {
        let instances = if case.response.is_collection {
            v.get("value")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (format!("/value/{i}"), item))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            vec![(String::new(), v)]
        };
        targets.push(("response", t.clone(), instances, case.response.line));
    }
    for (which, type_name, instances, block_line) in targets {
        // Types such as `stream` or `Collection(...)` name no schema, which is no fault of the page.
        if !type_name.contains('.') {
            continue;
        }
        let Some((body_line, text)) = body_of(block_line) else {
            continue;
        };
        if !schemas.has(&type_name) {
            diags.push(Diagnostic {
                file: display.to_string(),
                line: body_line,
                severity: Severity::Warning,
                code: Code::NoSchema,
                message: format!("no schema for `{type_name}`; its examples were not validated"),
            });
            continue;
        }
        validated += 1;
        for (prefix, instance) in instances {
            let at = |pointer: &str| body_line + locate(&text, pointer);
            for u in schemas.undeclared(&type_name, instance) {
                let pointer = format!("{prefix}{}", u.pointer);
                let derived = schemas.derived_declaring(&u.type_name, &u.property);
                let hint = match derived.first() {
                    Some(d) => format!(
                        "; the derived type {d} declares it, but the example names no @odata.type"
                    ),
                    None => String::new(),
                };
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line: at(&pointer),
                    severity: Severity::Warning,
                    code: Code::UnknownProperty,
                    message: format!(
                        "{which} example property `{}` ({pointer}) is not declared by {} in the metadata{hint}",
                        u.property, u.type_name
                    ),
                });
            }
            let findings = schemas.validate(&type_name, instance).unwrap_or_default();
            for f in findings {
                if f.message.contains("Additional properties are not allowed") {
                    continue;
                }
                let pointer = format!("{prefix}{}", f.pointer);
                let value = instance.pointer(&f.pointer);
                let hint = if value.is_some_and(placeholder::is_placeholder) {
                    " (a doc placeholder)"
                } else {
                    ""
                };
                let code = if f.message.contains("is not one of") {
                    Code::EnumValue
                } else {
                    Code::ExampleInvalid
                };
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line: at(&pointer),
                    severity: Severity::Warning,
                    code,
                    message: format!(
                        "{which} example {}: {}{hint}",
                        crate::schema::display_pointer(&pointer),
                        f.message
                    ),
                });
            }
        }
    }
    (diags, validated)
}

/// Plain text of a table cell: markdown links as their text, emphasis and code marks dropped.
fn cell_text(cell: &str) -> String {
    cell.replace(['*', '`'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lints the page's property tables against the metadata of the page's one resource type.
fn lint_tables(page: &Page, cases: &[Case], schemas: &SchemaSet, display: &str) -> Vec<Diagnostic> {
    let mut types: Vec<&str> = cases
        .iter()
        .filter_map(|c| c.response.odata_type.as_deref())
        .collect();
    types.sort();
    types.dedup();
    let [type_name] = types[..] else {
        return Vec::new();
    };
    let Some(props) = schemas.properties(type_name) else {
        return Vec::new();
    };
    let mut diags = Vec::new();
    for table in &page.tables {
        let header: Vec<String> = table
            .header
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        if header.first().map(String::as_str) != Some("property")
            || header.get(1).map(String::as_str) != Some("type")
        {
            continue;
        }
        for (i, row) in table.rows.iter().enumerate() {
            // Rows follow the header and its delimiter line, one line each.
            let line = table.line + 2 + i;
            let name = cell_text(row.first().map(String::as_str).unwrap_or(""));
            let documented = cell_text(row.get(1).map(String::as_str).unwrap_or(""));
            // `files/isDefault` describes a nested property, not one of the type's own.
            if name.is_empty() || name.contains(['/', '.']) {
                continue;
            }
            let Some(prop) = props.get(&name) else {
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line,
                    severity: Severity::Warning,
                    code: Code::TableMismatch,
                    message: format!("property table lists `{name}`, which {type_name} does not declare in the metadata"),
                });
                continue;
            };
            let expected = schemas.describe(prop);
            // Tables write `alertStatus enum`, `Edm.String` or the namespaced name; all mean the same.
            let norm = |s: &str| {
                let s = s
                    .to_ascii_lowercase()
                    .replace("edm.", "")
                    .replace(" enum", "");
                // Informal names (`Float`, `Integer`, `Bool`, `DateTime`) mean the EDM types they name.
                s.split(' ')
                    .map(|w| match w.rsplit('.').next().unwrap_or(w) {
                        "float" | "single" => "double",
                        "int" | "integer" => "int32",
                        "long" => "int64",
                        "bool" => "boolean",
                        "datetime" => "datetimeoffset",
                        other => other,
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if !documented.is_empty() && norm(&documented) != norm(&expected) {
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line,
                    severity: Severity::Warning,
                    code: Code::TableMismatch,
                    message: format!(
                        "property table gives `{name}` the type `{documented}`; the metadata says `{expected}`"
                    ),
                });
            }
        }
    }
    diags
}

/// Headers the page's request-header table marks required (Authorization aside, which the
/// harness supplies) must appear on every request example that has a body.
fn lint_required_headers(page: &Page, cases: &[Case], display: &str) -> Vec<Diagnostic> {
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
            if says_required && name.eq_ignore_ascii_case("content-type") {
                required.push(name);
            }
        }
    }
    let mut diags = Vec::new();
    for case in cases.iter().filter(|c| c.request.body.is_some()) {
        for name in &required {
            if case.request_header(name).is_none() {
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line: case.request.line,
                    severity: Severity::Warning,
                    code: Code::MissingHeader,
                    message: format!(
                        "the request-header table marks `{name}` required, but this example sends a body without it"
                    ),
                });
            }
        }
    }
    diags
}

/// Gives every case a unique id; a clash (two DOCS folders with the same page path) gets a suffix.
fn make_ids_unique(
    cases: &mut [Case],
    displays: &HashMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for case in cases.iter_mut() {
        let n = seen.entry(case.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let new = format!("{}~{}", case.id, n);
            diags.push(Diagnostic {
                file: displays.get(&case.source.file).cloned().unwrap_or_default(),
                line: case.source.line,
                severity: Severity::Warning,
                code: Code::DuplicateName,
                message: format!(
                    "case id `{}` is already taken by another page with the same relative path; this case is `{new}`",
                    case.id
                ),
            });
            case.id = new;
        }
    }
}

/// The API version a case belongs to: its URL's, else a `beta` or `v1.0` folder in its page's path.
fn scope(c: &Case) -> Option<String> {
    c.version.clone().or_else(|| {
        c.source
            .file
            .split('/')
            .find(|part| http::VERSIONS.contains(part))
            .map(str::to_string)
    })
}

/// Whether two cases may document the same thing: same version, or one version unknown.
fn same_scope(a: &Option<String>, b: &Option<String>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Lints across pages: shared example names and pages that disagree about one operation.
/// beta and v1.0 pages document the same operations with the same example names on purpose,
/// so cases are compared within one version, or when a version is unknown.
fn cross_page_lint(cases: &[Case], displays: &HashMap<String, String>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let display = |c: &Case| {
        displays
            .get(&c.source.file)
            .cloned()
            .unwrap_or_else(|| c.source.file.clone())
    };
    let mut by_name: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for c in cases {
        by_name
            .entry(c.name.to_ascii_lowercase())
            .or_default()
            .push(c);
    }
    for group in by_name.values() {
        // The first case of each version stands for it, which keeps this linear.
        let mut firsts: Vec<(Option<String>, &Case)> = Vec::new();
        for c in group {
            let sc = scope(c);
            let earlier = firsts
                .iter()
                .find(|(s, f)| same_scope(s, &sc) && f.source.file != c.source.file);
            if let Some((_, first)) = earlier {
                diags.push(Diagnostic {
                    file: display(c),
                    line: c.source.line,
                    severity: Severity::Warning,
                    code: Code::DuplicateName,
                    message: format!(
                        "example name `{}` is also used by {}:{}",
                        c.name,
                        display(first),
                        first.source.line
                    ),
                });
            }
            if !firsts.iter().any(|(s, _)| *s == sc) {
                firsts.push((sc, c));
            }
        }
    }

    let mut by_op: BTreeMap<(String, String), Vec<&Case>> = BTreeMap::new();
    for c in cases {
        let prefer = c
            .request_header("prefer")
            .map(|p| p.to_ascii_lowercase().replace(' ', ""))
            .unwrap_or_default();
        let key = http::operation_key(&c.request.method, &c.request.path);
        by_op.entry((key, prefer)).or_default().push(c);
    }
    for ((op, prefer), group) in &by_op {
        // One representative per version and answer keeps this linear in the group's size.
        let mut answers: Vec<(Option<String>, u16, Shape, &Case)> = Vec::new();
        for c in group {
            let (sc, st, sh) = (scope(c), c.response.status, Shape::of(c));
            if !answers
                .iter()
                .any(|(s, t, h, _)| *s == sc && *t == st && *h == sh)
            {
                answers.push((sc, st, sh, c));
            }
        }
        if answers.len() < 2 {
            continue;
        }
        let prefer = if prefer.is_empty() {
            "no Prefer header".to_string()
        } else {
            format!("Prefer: {prefer}")
        };
        for a in group {
            let (sc, shape) = (scope(a), Shape::of(a));
            let other = answers.iter().find(|(s, t, h, o)| {
                same_scope(s, &sc)
                    && (*t != a.response.status || h.conflicts(&shape))
                    && o.source.file != a.source.file
            });
            if let Some((_, status, body, b)) = other {
                diags.push(Diagnostic {
                    file: display(a),
                    line: a.response.line,
                    severity: Severity::Warning,
                    code: Code::ConflictingDocs,
                    message: format!(
                        "`{op}` with {prefer} answers {} with {shape} here, but {}:{} documents {status} with {body}",
                        a.response.status,
                        display(b),
                        b.response.line,
                    ),
                });
            }
        }
    }
    diags
}

/// What a documented answer shows of its body: whether there is one and, when the example is
/// complete (not truncated), its top-level properties.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    body: bool,
    keys: Option<Vec<String>>,
}

impl Shape {
    fn of(c: &Case) -> Shape {
        let keys = match &c.response.body {
            Some(Body::Json(Value::Object(m))) if !c.response.truncated => {
                let mut k: Vec<String> = m
                    .keys()
                    .filter(|k| !placeholder::is_annotation(k))
                    .cloned()
                    .collect();
                k.sort();
                Some(k)
            }
            _ => None,
        };
        Shape {
            body: c.response.body.is_some(),
            keys,
        }
    }

    /// Whether two answers cannot both be right: one has a body and the other none, or both
    /// are complete and show different properties.
    fn conflicts(&self, other: &Shape) -> bool {
        self.body != other.body || matches!((&self.keys, &other.keys), (Some(a), Some(b)) if a != b)
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.body, &self.keys) {
            (false, _) => f.write_str("no body"),
            (true, Some(k)) => write!(f, "a body of properties {}", k.join(", ")),
            (true, None) => f.write_str("a body"),
        }
    }
}

/// Writes cases to a folder, one file each, and removes case files no longer produced.
pub fn write_cases(dir: &Path, cases: &[Case]) -> Result<Vec<PathBuf>, ExtractError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtractError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let keep: std::collections::HashSet<String> = cases.iter().map(Case::file_name).collect();
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Only files that are cases are removed, so pointing --out at a folder with other
        // JSON in it loses nothing but stale cases.
        if name.ends_with(".json") && !keep.contains(&name) && case::load_file(&path).is_ok() {
            std::fs::remove_file(&path).map_err(io(&path))?;
            removed.push(path);
        }
    }
    for c in cases {
        let path = dir.join(c.file_name());
        std::fs::write(&path, c.to_json()).map_err(io(&path))?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "## HTTP request\n<!-- { \"blockType\": \"ignored\" } -->\n```http\nPOST /things/{id}\n```\n\n<!-- { \"blockType\": \"request\", \"name\": \"upd\" } -->\n```http\nPATCH https://graph.microsoft.com/beta/things/{id}\nContent-Type: application/json\nContent-Length: 3\n\n{\"a\": 1}\n```\n<!-- { \"blockType\": \"response\", \"@odata.type\": \"microsoft.graph.thing\" } -->\n```http\nHTTP/1.1 204 No Content\n```\n<!-- { \"blockType\": \"request\", \"name\": \"upd\" } -->\n```http\nPATCH https://graph.microsoft.com/beta/things/<id>\n```\n";

    #[test]
    fn extracts_pairs_and_reports_problems() {
        let (cases, diags) = extract_page("dir/page.md", "docs/dir/page.md", PAGE);
        assert_eq!(cases.len(), 1);
        let c = &cases[0];
        assert_eq!(c.id, "dir.page.upd");
        assert_eq!(c.request.path, "/things/{id}");
        assert_eq!(c.version.as_deref(), Some("beta"));
        assert_eq!(c.response.status, 204);
        assert_eq!(
            c.response.odata_type.as_deref(),
            Some("microsoft.graph.thing")
        );
        let codes: Vec<_> = diags.iter().map(|d| (d.code, d.line)).collect();
        assert!(codes.contains(&(Code::ContentLength, 9)), "{codes:?}");
        assert!(codes.contains(&(Code::SyntaxMismatch, 8)), "{codes:?}");
        assert!(codes.contains(&(Code::OrphanRequest, 20)), "{codes:?}");
        assert!(codes.contains(&(Code::PlaceholderStyle, 20)), "{codes:?}");
    }

    #[test]
    fn duplicate_names_get_suffixes_and_conflicts_are_found() {
        let a = "<!-- { \"blockType\": \"request\", \"name\": \"n\" } -->\n```http\nPATCH /x/{id}\n```\n<!-- { \"blockType\": \"response\" } -->\n```http\nHTTP/1.1 204 No Content\n```\n<!-- { \"blockType\": \"request\", \"name\": \"n\" } -->\n```http\nPATCH /x/{id}\nPrefer: return=representation\n```\n<!-- { \"blockType\": \"response\" } -->\n```http\nHTTP/1.1 200 OK\n```\n";
        let b = "<!-- { \"blockType\": \"request\", \"name\": \"n\" } -->\n```http\nPATCH /X/{xId}\n```\n<!-- { \"blockType\": \"response\" } -->\n```http\nHTTP/1.1 200 OK\n\n{}\n```\n";
        let out = extract_texts(&[("a.md", "a.md", a), ("b.md", "b.md", b)]);
        let ids: Vec<_> = out.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["a.n", "a.n-2", "b.n"]);
        let conflicts: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ConflictingDocs)
            .map(|d| d.file.as_str())
            .collect();
        assert_eq!(conflicts, vec!["a.md", "b.md"]);
        assert!(out
            .diagnostics
            .iter()
            .any(|d| d.code == Code::DuplicateName && d.file == "b.md"));
    }

    #[test]
    fn complete_examples_that_show_other_properties_conflict() {
        let page = |body: &str, truncated: bool| {
            format!("<!-- {{ \"blockType\": \"request\", \"name\": \"g\" }} -->\n```http\nGET /beta/x/{{id}}\n```\n<!-- {{ \"blockType\": \"response\", \"truncated\": {truncated} }} -->\n```http\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{body}\n```\n")
        };
        let a = page("{\"id\": \"1\", \"name\": \"n\"}", false);
        let b = page("{\"id\": \"1\", \"title\": \"t\"}", false);
        let c = page("{\"id\": \"1\"}", true);
        let out = extract_texts(&[("a.md", "a.md", &a), ("b.md", "b.md", &b)]);
        let conflicts: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ConflictingDocs)
            .collect();
        assert_eq!(conflicts.len(), 2, "{conflicts:?}");
        assert!(
            conflicts[0]
                .message
                .contains("a body of properties id, name"),
            "{}",
            conflicts[0].message
        );
        // A truncated example shows only part of the shape, so it contradicts neither.
        let out = extract_texts(&[("a.md", "a.md", &a), ("c.md", "c.md", &c)]);
        assert!(!out
            .diagnostics
            .iter()
            .any(|d| d.code == Code::ConflictingDocs));
    }

    #[test]
    fn invalid_json_is_located_and_kept_as_text() {
        let p = "<!-- { \"blockType\": \"request\", \"name\": \"n\" } -->\n```http\nPOST /x\nContent-Type: application/json\n\n{\n  \"a\": ,\n}\n```\n<!-- { \"blockType\": \"response\" } -->\n```http\nHTTP/1.1 204 No Content\n```\n";
        let (cases, diags) = extract_page("p.md", "p.md", p);
        assert!(matches!(cases[0].request.body, Some(Body::Text(_))));
        let d = diags.iter().find(|d| d.code == Code::InvalidJson);
        assert_eq!(d.map(|d| d.line), Some(7));
    }
}
