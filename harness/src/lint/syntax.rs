//! Page lint: examples against the page's own HTTP request section and against each other.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::doc::http::{self, split_message, split_url};
use crate::doc::{Code, Diagnostic, Page, Severity};
use crate::model::case::{Case, Method};

/// How many lines of the HTTP request section a `syntax-mismatch` message lists: a section of
/// thousands of lines (pages stitched together) would otherwise make every message that long.
const LISTED_SYNTAX_LINES: usize = 50;

/// What the HTTP request section says about an example's method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SyntaxMatch {
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
pub(super) struct SyntaxIndex {
    /// Distinct lines: their segments (lower-cased literals; `None` for parameters) and method.
    lines: Vec<(Vec<Option<String>>, Method)>,
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
    pub(super) fn new(lines: &[(usize, Method, String)]) -> Self {
        let mut index = SyntaxIndex::default();
        let mut distinct = HashSet::new();
        for (_, method, path) in lines {
            let segs = match_segments(path);
            if !distinct.insert((segs.clone(), *method)) {
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
            index.lines.push((segs, *method));
        }
        index
    }

    /// Looks an example up: whether a line has its path, and one with its method too.
    pub(super) fn lookup(&self, method: Method, path: &str) -> SyntaxMatch {
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
                if *line_method == method {
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
    let syntax: Vec<(usize, Method, String)> = page
        .syntax
        .iter()
        .map(|s| (s.line, s.method, split_url(&s.path).path))
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
                .entry(http::operation_key(*method, path))
                .or_insert_with(|| index.lookup(*method, path));
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
            .is_some_and(|a| a.block_type() == Some(crate::doc::BlockType::Request))
    });
    for block in request_blocks {
        if let Some(msg) = split_message(&block.text, block.content_line())
            && let Some(l) = http::parse_request_line(&msg.start)
        {
            written.extend(
                split_url(&l.url)
                    .written
                    .into_iter()
                    .map(|w| (block.line, w)),
            );
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
