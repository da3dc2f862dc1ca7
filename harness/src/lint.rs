//! Doc lint: what the pages say against themselves, against each other, and against the schemas.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::case::{self, Body, Case};
use crate::doc::http::{self, split_message, split_url};
use crate::doc::{Code, Diagnostic, LineIndex, Page, Severity};
use crate::placeholder;
use crate::schema::SchemaSet;

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

/// How many lines of the HTTP request section a `syntax-mismatch` message lists: a section of
/// thousands of lines (pages stitched together) would otherwise make every message that long.
const LISTED_SYNTAX_LINES: usize = 50;

/// What the HTTP request section says about an example's method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyntaxMatch {
    /// A line has the example's path and method.
    Documented,
    /// Lines have the example's path, none its method.
    OtherMethod,
    /// No line has the example's path.
    NoPath,
}

/// The HTTP request section's lines, indexed once per page by the literal segment each has at
/// each position, so an example is compared only with the lines that share its most selective
/// segment, not with every line of the section. Matching is [`http::paths_match`]'s: segments
/// equal ignoring ASCII case, a parameter segment on either side matching any segment, no
/// query, no trailing slash.
#[derive(Debug, Default)]
struct SyntaxIndex {
    /// Distinct lines: their segments (lower-cased literals; `None` for parameters) and method.
    lines: Vec<(Vec<Option<String>>, String)>,
    /// Lines by segment count, position and the literal they have there.
    literal: HashMap<(usize, usize, String), Vec<usize>>,
    /// Lines by segment count and a position where they have a parameter.
    param: HashMap<(usize, usize), Vec<usize>>,
    /// Lines by segment count.
    by_len: HashMap<usize, Vec<usize>>,
}

/// A path's segments as matching sees them: lower-cased literals, `None` for parameters.
fn match_segments(path: &str) -> Vec<Option<String>> {
    http::path_segments(path)
        .map(|s| (!http::is_param_segment(s)).then(|| s.to_ascii_lowercase()))
        .collect()
}

impl SyntaxIndex {
    fn new(lines: &[(usize, String, String)]) -> Self {
        let mut index = SyntaxIndex::default();
        let mut distinct = HashSet::new();
        for (_, method, path) in lines {
            let segs = match_segments(path);
            if !distinct.insert((segs.clone(), method.clone())) {
                continue;
            }
            let id = index.lines.len();
            let len = segs.len();
            for (i, seg) in segs.iter().enumerate() {
                match seg {
                    Some(lit) => index.literal.entry((len, i, lit.clone())).or_default(),
                    None => index.param.entry((len, i)).or_default(),
                }
                .push(id);
            }
            index.by_len.entry(len).or_default().push(id);
            index.lines.push((segs, method.clone()));
        }
        index
    }

    /// Looks an example up: whether a line has its path, and one with its method too.
    fn lookup(&self, method: &str, path: &str) -> SyntaxMatch {
        const NONE: &[usize] = &[];
        let segs = match_segments(path);
        let len = segs.len();
        // The lines that can match have, at each literal position of the example, that literal
        // or a parameter; the position with the fewest such lines bounds the search.
        let mut candidates: [&[usize]; 2] =
            [self.by_len.get(&len).map_or(NONE, Vec::as_slice), NONE];
        for (i, seg) in segs.iter().enumerate() {
            let Some(lit) = seg else { continue };
            let same = self
                .literal
                .get(&(len, i, lit.clone()))
                .map_or(NONE, Vec::as_slice);
            let param = self.param.get(&(len, i)).map_or(NONE, Vec::as_slice);
            if same.len() + param.len() < candidates[0].len() + candidates[1].len() {
                candidates = [same, param];
            }
        }
        let mut found = SyntaxMatch::NoPath;
        for &id in candidates.iter().flat_map(|c| c.iter()) {
            let (line, line_method) = &self.lines[id];
            let matches = line
                .iter()
                .zip(&segs)
                .all(|(a, b)| a.is_none() || b.is_none() || a == b);
            if matches {
                if line_method == method {
                    return SyntaxMatch::Documented;
                }
                found = SyntaxMatch::OtherMethod;
            }
        }
        found
    }
}

/// Lints that need the whole page: syntax agreement and placeholder spelling.
pub(crate) fn lint_page(page: &Page, cases: &[Case], display: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let diag = |line, code, message: String| {
        Diagnostic::new(display, line, Severity::Warning, code, message)
    };
    let syntax: Vec<(usize, String, String)> = page
        .syntax
        .iter()
        .map(|s| (s.line, s.method.clone(), split_url(&s.path).path))
        .collect();
    if !syntax.is_empty() {
        let index = SyntaxIndex::new(&syntax);
        // Pages repeat examples of one operation, so each (method, path) is looked up once.
        let mut seen: HashMap<String, SyntaxMatch> = HashMap::new();
        let listing = std::cell::OnceCell::new();
        let lines = || {
            listing
                .get_or_init(|| {
                    let mut listed = syntax
                        .iter()
                        .take(LISTED_SYNTAX_LINES)
                        .map(|(l, m, p)| format!("{m} {p} (line {l})"))
                        .collect::<Vec<_>>();
                    if syntax.len() > LISTED_SYNTAX_LINES {
                        listed.push(format!("and {} more", syntax.len() - LISTED_SYNTAX_LINES));
                    }
                    listed.join(", ")
                })
                .clone()
        };
        for case in cases {
            let (method, path) = (&case.request.method, &case.request.path);
            let found = *seen
                .entry(http::operation_key(method, path))
                .or_insert_with(|| index.lookup(method, path));
            match found {
                SyntaxMatch::Documented => {}
                SyntaxMatch::NoPath => diags.push(diag(
                    case.request.line,
                    Code::SyntaxMismatch,
                    format!(
                        "example `{method} {path}` matches no path of the HTTP request section: {}",
                        lines()
                    ),
                )),
                SyntaxMatch::OtherMethod => diags.push(diag(
                    case.request.line,
                    Code::SyntaxMismatch,
                    format!(
                        "example uses {method} but the HTTP request section documents {} for this path",
                        lines()
                    ),
                )),
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
    let mut reported = HashSet::new();
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
pub(crate) fn collapse_no_schema(diags: &mut Vec<Diagnostic>) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in diags.iter().filter(|d| d.code == Code::NoSchema) {
        *counts.entry(d.message.clone()).or_insert(0) += 1;
    }
    let mut seen = HashSet::new();
    diags.retain(|d| d.code != Code::NoSchema || seen.insert(d.message.clone()));
    for d in diags.iter_mut().filter(|d| d.code == Code::NoSchema) {
        if let Some(n) = counts.get(&d.message).filter(|n| **n > 1) {
            d.message = format!("{} (and {} more examples of this type)", d.message, n - 1);
        }
    }
}

/// Where the keys of JSON pointers appear in an example body's text, indexed once per body:
/// scanning the text from its start for each of thousands of findings would be quadratic.
struct KeyLocator<'t> {
    text: &'t str,
    lines: LineIndex,
    /// Offsets of the quotes that open each `"…"` span (a quote and the next one), by content.
    quoted: HashMap<&'t str, Vec<usize>>,
}

impl<'t> KeyLocator<'t> {
    fn new(text: &'t str) -> Self {
        let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
        let mut quoted: HashMap<&str, Vec<usize>> = HashMap::new();
        for pair in quotes.windows(2) {
            quoted
                .entry(&text[pair[0] + 1..pair[1]])
                .or_default()
                .push(pair[0]);
        }
        KeyLocator {
            text,
            lines: LineIndex::new(text),
            quoted,
        }
    }

    /// The 0-based line where a pointer's last named key appears (best effort): each named key
    /// is the first `"key"` after the previous one.
    fn line(&self, pointer: &str) -> usize {
        let mut pos = 0;
        for seg in pointer.split('/').skip(1) {
            if seg.parse::<usize>().is_ok() {
                continue;
            }
            let key = seg.replace("~1", "/").replace("~0", "~");
            // Without a quote in the key, `"key"` starts at a quote whose next quote ends it.
            let found = if key.contains('"') {
                self.text[pos..]
                    .find(&format!("\"{key}\""))
                    .map(|i| pos + i)
            } else {
                self.quoted
                    .get(key.as_str())
                    .and_then(|at| at.get(at.partition_point(|&o| o < pos)).copied())
            };
            if let Some(p) = found {
                pos = p;
            }
        }
        self.lines.line(pos) - 1
    }
}

/// One example body to lint: which side, its type, its instances by pointer prefix, its block's line.
type BodyTarget<'a> = (&'static str, String, Vec<(String, &'a Value)>, usize);

/// Lints a case's example bodies against the schemas of their types.
/// Returns the diagnostics and how many bodies were validated.
pub(crate) fn lint_bodies(
    page: &Page,
    case: &Case,
    schemas: &SchemaSet,
    display: &str,
) -> (Vec<Diagnostic>, usize) {
    let mut validated = 0;
    let mut diags = Vec::new();
    let body_of = |line: usize| {
        page.block_at(line)
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
            diags.push(Diagnostic::new(
                display,
                body_line,
                Severity::Warning,
                Code::NoSchema,
                format!("no schema for `{type_name}`; its examples were not validated"),
            ));
            continue;
        }
        validated += 1;
        let locator = std::cell::OnceCell::new();
        for (prefix, instance) in instances {
            let at = |pointer: &str| {
                body_line + locator.get_or_init(|| KeyLocator::new(&text)).line(pointer)
            };
            for u in schemas.undeclared(&type_name, instance) {
                let pointer = format!("{prefix}{}", u.pointer);
                let derived = schemas.derived_declaring(&u.type_name, &u.property);
                let hint = match derived.first() {
                    Some(d) => format!(
                        "; the derived type {d} declares it, but the example names no @odata.type"
                    ),
                    None => String::new(),
                };
                diags.push(Diagnostic::new(
                    display,
                    at(&pointer),
                    Severity::Warning,
                    Code::UnknownProperty,
                    format!(
                        "{which} example property `{}` ({pointer}) is not declared by {} in the metadata{hint}",
                        u.property, u.type_name
                    ),
                ));
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
pub(crate) fn lint_tables(
    page: &Page,
    cases: &[Case],
    schemas: &SchemaSet,
    display: &str,
) -> Vec<Diagnostic> {
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

/// The API version a case belongs to: its URL's, else a `beta` or `v1.0` folder in its page's path.
pub(crate) fn scope(c: &Case) -> Option<String> {
    c.version.clone().or_else(|| {
        c.source
            .file
            .split('/')
            .find(|part| http::VERSIONS.contains(part))
            .map(str::to_string)
    })
}

/// Whether two cases may document the same thing: same version, or one version unknown.
pub(crate) fn same_scope(a: &Option<String>, b: &Option<String>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Lints across pages: shared example names and pages that disagree about one operation.
/// beta and v1.0 pages document the same operations with the same example names on purpose,
/// so cases are compared within one version, or when a version is unknown.
pub(crate) fn cross_page_lint(
    cases: &[Case],
    displays: &HashMap<String, String>,
) -> Vec<Diagnostic> {
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
                diags.push(Diagnostic::new(
                    &display(c),
                    c.source.line,
                    Severity::Warning,
                    Code::DuplicateName,
                    format!(
                        "example name `{}` is also used by {}:{}",
                        c.name,
                        display(first),
                        first.source.line
                    ),
                ));
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
        // One representative per version and answer, found in a set: a page of thousands of
        // examples of one operation, each showing other properties, stays linear.
        let mut answers: Vec<(Option<String>, u16, Shape, &Case)> = Vec::new();
        let mut distinct: HashSet<(Option<String>, u16, Shape)> = HashSet::new();
        for c in group {
            let (sc, st, sh) = (scope(c), c.response.status, Shape::of(c));
            if distinct.insert((sc.clone(), st, sh.clone())) {
                answers.push((sc, st, sh, c));
            }
        }
        if answers.len() < 2 {
            continue;
        }
        // Only an answer from another page is cited, so when one page gave every answer its
        // own cases need no search.
        let files: HashSet<&str> = answers
            .iter()
            .map(|(_, _, _, o)| o.source.file.as_str())
            .collect();
        let prefer = if prefer.is_empty() {
            "no Prefer header".to_string()
        } else {
            format!("Prefer: {prefer}")
        };
        for a in group {
            if files.len() == 1 && files.contains(a.source.file.as_str()) {
                continue;
            }
            let (sc, shape) = (scope(a), Shape::of(a));
            let other = answers.iter().find(|(s, t, h, o)| {
                same_scope(s, &sc)
                    && (*t != a.response.status || h.conflicts(&shape))
                    && o.source.file != a.source.file
            });
            if let Some((_, status, body, b)) = other {
                diags.push(Diagnostic::new(
                    &display(a),
                    a.response.line,
                    Severity::Warning,
                    Code::ConflictingDocs,
                    format!(
                        "`{op}` with {prefer} answers {} with {shape} here, but {}:{} documents {status} with {body}",
                        a.response.status,
                        display(b),
                        b.response.line,
                    ),
                ));
            }
        }
    }
    diags
}

/// What a documented answer shows of its body: whether there is one and, when the example is
/// complete (not truncated), its top-level properties.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

#[cfg(test)]
mod tests {
    use crate::doc::Code;
    use crate::extract::extract_page;

    /// A request/response pair sending `request_line`.
    fn example(name: &str, request_line: &str) -> String {
        format!(
            "<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n```http\n{request_line}\n```\n<!-- {{ \"blockType\": \"response\" }} -->\n```http\nHTTP/1.1 204 No Content\n```\n"
        )
    }

    /// The `syntax-mismatch` diagnostics of a page, as `line: message`.
    fn mismatches(page: &str) -> Vec<String> {
        let (_, diags) = extract_page("p.md", "p.md", page);
        diags
            .iter()
            .filter(|d| d.code == Code::SyntaxMismatch)
            .map(|d| format!("{}: {}", d.line, d.message))
            .collect()
    }

    #[test]
    fn examples_are_matched_against_every_line_of_the_http_request_section() {
        let mut page = String::from(
            "## HTTP request\n```http\nGET /Things/{id}\nPATCH /things/<thing-id>/\nPOST https://graph.microsoft.com/v1.0/things?$x=1\nDELETE /things/{id}/parts/{part-id}\nGET /a/x{b}y/c\n```\n\n## Examples\n",
        );
        for (name, line) in [
            ("get", "GET /things/1"),
            ("patch", "PATCH /THINGS/{other-id}"),
            ("post", "POST /things/"),
            ("get_all", "GET /things?$top=2"),
            ("wild", "GET /{p}/{q}"),
            ("put", "PUT /things/1"),
            ("delete", "DELETE /things/{id}/parts"),
            ("nowhere", "GET /elsewhere/1"),
            ("param_in_segment", "GET /A/anything/C/"),
            ("deep", "DELETE /things/{id}/parts/7"),
        ] {
            page.push_str(&example(name, line));
        }
        let section =
            "GET /Things/{id} (line 3), PATCH /things/{thing-id}/ (line 4), POST /things?$x=1 (line 5), DELETE /things/{id}/parts/{part-id} (line 6), GET /a/x{b}y/c (line 7)";
        assert_eq!(
            mismatches(&page),
            vec![
                // A query is no part of the path: only POST is documented for `/things`.
                format!("36: example uses GET but the HTTP request section documents {section} for this path"),
                format!("52: example uses PUT but the HTTP request section documents {section} for this path"),
                format!("60: example `DELETE /things/{{id}}/parts` matches no path of the HTTP request section: {section}"),
                format!("68: example `GET /elsewhere/1` matches no path of the HTTP request section: {section}"),
            ]
        );
    }

    #[test]
    fn the_syntax_index_agrees_with_comparing_every_line() {
        use super::{SyntaxIndex, SyntaxMatch};
        use crate::doc::http::paths_match;
        // Every path of up to three segments from these, bare, with a trailing slash, with a query.
        let segs = ["a", "A", "b", "{x}", "<y>", "p{q}r", ""];
        let mut paths = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..3 {
            last = last
                .iter()
                .flat_map(|p| segs.iter().map(move |s| format!("{p}/{s}")))
                .collect();
            paths.extend(last.iter().cloned());
        }
        let paths: Vec<String> = paths
            .iter()
            .flat_map(|p| [p.clone(), format!("{p}/"), format!("{p}?$top=1")])
            .collect();
        let methods = ["GET", "PATCH"];
        let mut sets = 0;
        for start in (0..paths.len()).step_by(37) {
            let lines: Vec<(usize, String, String)> = paths[start..]
                .iter()
                .step_by(101)
                .take(1 + start % 6)
                .enumerate()
                .map(|(i, p)| (i + 1, methods[(start + i) % 2].to_string(), p.clone()))
                .collect();
            let index = SyntaxIndex::new(&lines);
            sets += 1;
            for path in &paths {
                for method in methods {
                    let same: Vec<_> = lines
                        .iter()
                        .filter(|(_, _, p)| paths_match(p, path))
                        .collect();
                    let want = if same.is_empty() {
                        SyntaxMatch::NoPath
                    } else if same.iter().any(|(_, m, _)| m == method) {
                        SyntaxMatch::Documented
                    } else {
                        SyntaxMatch::OtherMethod
                    };
                    assert_eq!(
                        index.lookup(method, path),
                        want,
                        "{method} {path} in {lines:?}"
                    );
                }
            }
        }
        assert!(sets > 20);
    }

    #[test]
    fn keys_are_located_as_by_scanning_the_text() {
        // The first `"key"` after the previous key's, counting the lines before it.
        fn scan(text: &str, pointer: &str) -> usize {
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
        let text = "{\n  \"a\": \"b\",\n  \"b\": {\"a\": [\n    {\"c\": \"a\"},\n    {\"c/d\": 1, \"e~f\": \"\"}\n  ]},\n  \"\": \"x\\\"y\",\n  \"q\\\"r\": 2,\n  \"é\": {\"b\": 3}\n}";
        let locator = super::KeyLocator::new(text);
        for pointer in [
            "",
            "/a",
            "/b",
            "/b/a",
            "/b/a/0/c",
            "/b/a/1/c~1d",
            "/b/a/1/e~0f",
            "/",
            "/q\"r",
            "/é/b",
            "/missing",
            "/b/missing/c",
            "/c",
            "/x\\",
            "/0/a",
        ] {
            assert_eq!(locator.line(pointer), scan(text, pointer), "{pointer}");
        }
        assert_eq!(locator.line("/b/a/1/c~1d"), 4);
        assert_eq!(locator.line("/é/b"), 8);
    }

    #[test]
    fn a_huge_http_request_section_is_listed_in_part() {
        let mut page = String::from("## HTTP request\n```http\n");
        for i in 0..60 {
            page.push_str(&format!("GET /things{i}\n"));
        }
        page.push_str("```\n");
        page.push_str(&example("nowhere", "GET /elsewhere"));
        let found = mismatches(&page);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("GET /things0 (line 3), GET /things1 (line 4), ")
                && found[0].ends_with("GET /things49 (line 52), and 10 more"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_header_required_by_two_tables_is_reported_once_per_example() {
        let table =
            "| Name | Description |\n|:--|:--|\n| Content-Type | application/json. Required. |\n\n";
        let page = format!(
            "## Request headers\n{table}## More headers\n{table}{}",
            example("post", "POST /things\n\n{\"a\": 1}")
        );
        let (_, diags) = extract_page("p.md", "p.md", &page);
        let missing: Vec<_> = diags
            .iter()
            .filter(|d| d.code == Code::MissingHeader)
            .collect();
        assert_eq!(missing.len(), 1, "{missing:?}");
    }
}
