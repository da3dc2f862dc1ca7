//! Extraction: turns doc pages into cases and diagnostics, and lints across pages.
//!
//! Rooms: `pages` (finding and reading the pages), `pair` (request and response blocks into
//! cases), `write` (case files written); this module pairs the blocks of a page and gives ids.

mod pages;
mod pair;
mod write;

use pages::page_files;
use pair::{read_request, read_response};
pub use write::{Written, write_cases};

use std::collections::HashMap;
use std::path::PathBuf;

use crate::doc::http::{self, split_message};
use crate::doc::{self, BlockType, Code, Diagnostic, Severity};
pub use crate::lint::LintSchemas;
use crate::lint::{
    collapse_no_schema, cross_page_lint, lint_answer_bodies, lint_answers, lint_bodies,
    lint_missing_body, lint_page, lint_required_headers, lint_tables, lint_write, repeated_deletes,
};
use crate::model::case::{Case, Request, Source};

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
    /// The schemas or metadata to lint against could not be read.
    #[error(transparent)]
    Schemas(#[from] crate::schema::SchemaError),
    /// Two cases would be written to one file.
    #[error("{path}: case `{id}` would overwrite case `{other}`, whose file name is the same")]
    FileNameTaken {
        /// The file.
        path: PathBuf,
        /// The case not written.
        id: String,
        /// The case written there.
        other: String,
    },
}

/// What example bodies and tables are linted against, as the command line names it.
#[derive(Debug, Clone, Default)]
pub struct LintSources {
    /// A folder of JSON Schemas for every page.
    pub schemas: Option<PathBuf>,
    /// Whether an example whose type has no schema is worth a `no-schema` diagnostic (the
    /// schemas were named, not just found).
    pub report_no_schema: bool,
    /// CSDL metadata per API version (`beta`, `v1.0`), each page linted against its version's.
    pub metadata: Vec<(String, PathBuf)>,
}

/// Extracts and lints the pages under `docs` against the schemas and metadata named.
pub fn extract_linted(docs: &[PathBuf], sources: &LintSources) -> Result<Extraction, ExtractError> {
    let schemas = match &sources.schemas {
        Some(dir) => Some(crate::schema::SchemaSet::load_dir(dir)?),
        None => None,
    };
    // Reading the pages needs no schemas: it runs beside building each version's (each on a
    // core of its own), and only the schema lint of the pages waits for both. The order of the
    // list is kept.
    use rayon::prelude::*;
    let (by_version, read) = rayon::join(
        || {
            sources
                .metadata
                .par_iter()
                .map(|(version, file)| {
                    Ok((version.clone(), crate::schema::set_from_metadata(file)?))
                })
                .collect::<Result<Vec<_>, crate::schema::SchemaError>>()
        },
        || read_pages(docs),
    );
    let by_version = by_version?;
    let read = read?;
    let lint = LintSchemas {
        default: schemas.as_ref(),
        by_version: &by_version,
    };
    let read = lint_read_pages(read, lint);
    // The sets are large (every type of a version): freed beside the cross-page lint, not
    // after it on the one thread that finishes the extraction.
    let ((), mut ex) = rayon::join(move || drop(by_version), move || finish(read));
    let report_no_schema = sources.report_no_schema || !sources.metadata.is_empty();
    ex.diagnostics
        .retain(|d| report_no_schema || d.code != Code::NoSchema);
    Ok(ex)
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
    /// Each page read, by the name diagnostics give it, to its path relative to its DOCS
    /// argument (the name cases' `source.file` give it).
    pub page_paths: std::collections::BTreeMap<String, String>,
}

impl Extraction {
    /// Whether a page or folder could not be read (reported as `unreadable`).
    pub fn skipped_unreadable(&self) -> bool {
        self.diagnostics.iter().any(|d| d.code == Code::Unreadable)
    }

    /// The page a diagnostic is about, named as cases' `source.file` name it (`None` for a
    /// file that was not read as a page).
    pub fn page_of(&self, diagnostic: &Diagnostic) -> Option<&str> {
        self.page_paths.get(&diagnostic.file).map(String::as_str)
    }
}

/// Extracts every page under the DOCS arguments.
pub fn extract_paths(docs: &[PathBuf]) -> Result<Extraction, ExtractError> {
    extract_paths_with(docs, None)
}

/// Extracts every page under the DOCS arguments; with schemas, also lints example bodies and property tables against them.
pub fn extract_paths_with<'a>(
    docs: &[PathBuf],
    schemas: impl Into<LintSchemas<'a>>,
) -> Result<Extraction, ExtractError> {
    let read = read_pages(docs)?;
    Ok(finish(lint_read_pages(read, schemas.into())))
}

/// One page read and its cases extracted, before its bodies are linted against schemas.
struct PageRead {
    /// Its path relative to its DOCS argument.
    rel: String,
    /// Its name in diagnostics.
    display: String,
    /// The page, kept only while it has cases left to lint against schemas.
    page: Option<doc::Page>,
    cases: Vec<Case>,
    diagnostics: Vec<Diagnostic>,
    /// How many example bodies were validated against a schema.
    validated: usize,
}

/// The pages under the DOCS arguments, each read and extracted, before any schema lint.
struct PagesRead {
    /// How many files were found (read or not).
    files: usize,
    /// The pages read, in file order.
    pages: Vec<PageRead>,
    /// Files and folders that could not be read.
    diagnostics: Vec<Diagnostic>,
}

/// Finds, reads and extracts every page under the DOCS arguments.
fn read_pages(docs: &[PathBuf]) -> Result<PagesRead, ExtractError> {
    let (files, unreadable) = page_files(docs)?;
    let mut out = PagesRead {
        files: files.len(),
        pages: Vec::with_capacity(files.len()),
        diagnostics: unreadable,
    };
    // Each file is read and extracted on every core, taken back in file order; its text is
    // dropped as soon as it is extracted.
    use rayon::prelude::*;
    let read: Vec<Result<PageRead, Diagnostic>> = files
        .into_par_iter()
        .map(|file| {
            let display = file.path.display().to_string();
            let bytes = std::fs::read(&file.path).map_err(|e| {
                Diagnostic::new(
                    &display,
                    1,
                    Severity::Error,
                    Code::Unreadable,
                    format!("cannot be read ({e}); page skipped"),
                )
            })?;
            match String::from_utf8(bytes) {
                Ok(text) => Ok(read_page_text(file.rel, display, &text)),
                Err(e) => Err(Diagnostic::new(
                    &display,
                    1,
                    Severity::Error,
                    Code::NotMarkdown,
                    format!(
                        "not UTF-8 text (invalid byte at offset {}); page skipped",
                        e.utf8_error().valid_up_to()
                    ),
                )),
            }
        })
        .collect();
    for r in read {
        match r {
            Ok(page) => out.pages.push(page),
            Err(d) => out.diagnostics.push(d),
        }
    }
    Ok(out)
}

/// Extracts one page's text, keeping the page only if it has cases a schema lint may judge.
fn read_page_text(rel: String, display: String, text: &str) -> PageRead {
    let (page, cases, diagnostics) = extract_page_unlinted(&rel, &display, text);
    PageRead {
        page: (!cases.is_empty()).then_some(page),
        rel,
        display,
        cases,
        diagnostics,
        validated: 0,
    }
}

/// Lints the pages read against the schemas, on every core; each page is freed once linted.
fn lint_read_pages(mut read: PagesRead, schemas: LintSchemas<'_>) -> PagesRead {
    use rayon::prelude::*;
    read.pages.par_iter_mut().for_each(|p| {
        if let Some(page) = p.page.take() {
            let (found, validated) = lint_page_schemas(&page, &p.cases, &p.display, schemas);
            p.diagnostics.extend(found);
            p.validated += validated;
        }
    });
    read
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
    // Pages are independent until the cross-page lint: read and lint them on every core, then
    // take their results in page order, so the output is the same however they were scheduled.
    use rayon::prelude::*;
    let read = PagesRead {
        files: pages.len(),
        pages: pages
            .par_iter()
            .map(|(rel, display, text)| read_page_text(rel.to_string(), display.to_string(), text))
            .collect(),
        diagnostics: Vec::new(),
    };
    finish(lint_read_pages(read, schemas.into()))
}

/// Gathers the pages' cases and diagnostics in page order, then lints across the pages.
fn finish(read: PagesRead) -> Extraction {
    let mut out = Extraction {
        pages: read.files,
        ..Extraction::default()
    };
    let mut diagnostics = Vec::new();
    let mut displays: HashMap<String, String> = HashMap::new();
    for p in read.pages {
        out.page_paths.insert(p.display.clone(), p.rel.clone());
        displays.insert(p.rel, p.display);
        out.examples_validated += p.validated;
        out.cases.extend(p.cases);
        diagnostics.extend(p.diagnostics);
    }
    collapse_no_schema(&mut diagnostics);
    make_ids_unique(&mut out.cases, &displays, &mut diagnostics);
    diagnostics.extend(cross_page_lint(&out.cases, &displays));
    diagnostics.extend(repeated_deletes(&out.cases, &displays));
    out.cases.sort_by(|a, b| a.id.cmp(&b.id));
    // The files that could not be read come first, as they were found.
    out.diagnostics = read.diagnostics;
    out.diagnostics.extend(diagnostics);
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
    let (page, cases, mut diags) = extract_page_unlinted(rel, display, text);
    let (found, validated) = lint_page_schemas(&page, &cases, display, schemas);
    diags.extend(found);
    (cases, diags, validated)
}

/// Extracts one page and lints it on its own and against itself, not yet against schemas:
/// the page read, its cases and its diagnostics.
fn extract_page_unlinted(
    rel: &str,
    display: &str,
    text: &str,
) -> (doc::Page, Vec<Case>, Vec<Diagnostic>) {
    // Once here, so the reader, the TODO scan and the lints all see LF line ends.
    let text = &doc::normalize_line_ends(text);
    let page = doc::read_page(display, text);
    let mut diags = page.diagnostics.clone();
    let diag = |line, severity, code, message: String| {
        Diagnostic::new(display, line, severity, code, message)
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
        if kind == Some(BlockType::Response) && pending.is_none() && ignored_request {
            continue;
        }
        match &kind {
            Some(BlockType::Request) => ignored_request = false,
            Some(BlockType::Ignored)
                if split_message(&block.text, block.content_line())
                    .is_some_and(|m| http::parse_request_line(&m.start).is_some()) =>
            {
                ignored_request = true
            }
            _ => {}
        }
        match kind {
            Some(BlockType::Request) => {
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
            Some(BlockType::Response) => {
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
    diags.extend(lint_answers(&page, &cases, display));
    diags.extend(cases.iter().filter_map(|c| lint_missing_body(c, display)));
    (page, cases, diags)
}

/// Lints a page's example bodies and property tables against the schemas of its cases'
/// versions; also says how many example bodies were validated.
fn lint_page_schemas(
    page: &doc::Page,
    cases: &[Case],
    display: &str,
    schemas: LintSchemas<'_>,
) -> (Vec<Diagnostic>, usize) {
    let mut diags = Vec::new();
    let mut validated = 0;
    for case in cases {
        if let Some(set) = schemas.for_case(case, display) {
            let (found, count) = lint_bodies(page, case, set, display);
            diags.extend(found);
            diags.extend(lint_write(page, case, set, display));
            validated += count;
            diags.extend(lint_answer_bodies(page, case, set, display));
        }
    }
    if let Some(set) = cases.first().and_then(|c| schemas.for_case(c, display)) {
        diags.extend(lint_tables(page, cases, set, display));
    }
    (diags, validated)
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
            diags.push(Diagnostic::new(
                &displays.get(&case.source.file).cloned().unwrap_or_default(),
                case.source.line,
                Severity::Warning,
                Code::DuplicateName,
                format!(
                    "case id `{}` is already taken by another page with the same relative path; this case is `{new}`",
                    case.id
                ),
            ));
            case.id = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::Body;

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
        assert!(
            out.diagnostics
                .iter()
                .any(|d| d.code == Code::DuplicateName && d.file == "b.md")
        );
    }

    #[test]
    fn complete_examples_that_show_other_properties_conflict() {
        let page = |body: &str, truncated: bool| {
            format!(
                "<!-- {{ \"blockType\": \"request\", \"name\": \"g\" }} -->\n```http\nGET /beta/x/{{id}}\n```\n<!-- {{ \"blockType\": \"response\", \"truncated\": {truncated} }} -->\n```http\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{body}\n```\n"
            )
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
        assert!(
            !out.diagnostics
                .iter()
                .any(|d| d.code == Code::ConflictingDocs)
        );
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
