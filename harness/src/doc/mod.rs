//! Doc parsing: reads one Graph-style markdown page into annotated blocks, syntax lines and tables.

pub mod diag;
pub mod http;
pub mod json;

use std::borrow::Cow;
use std::sync::Arc;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::{Map, Value};

pub use diag::{Code, Diagnostic, Severity};

/// An HTML-comment annotation such as `<!-- { "blockType": "request" } -->`.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// 1-based line where the comment starts.
    pub line: usize,
    /// The annotation's keys, all of them.
    pub map: Map<String, Value>,
}

/// What an annotation says its block is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockType {
    /// A request example.
    Request,
    /// A response example.
    Response,
    /// A block taken out of replay (with the response examples after it).
    Ignored,
    /// Any other block type (`resource`, `example`…), lower-cased.
    Other(String),
}

impl BlockType {
    /// The block type a `blockType` value names, in any letter case.
    pub fn parse(value: &str) -> BlockType {
        match value.to_ascii_lowercase().as_str() {
            "request" => BlockType::Request,
            "response" => BlockType::Response,
            "ignored" => BlockType::Ignored,
            other => BlockType::Other(other.to_string()),
        }
    }

    /// Whether the block is an HTTP example (a request or a response).
    pub fn is_example(&self) -> bool {
        matches!(self, BlockType::Request | BlockType::Response)
    }
}

impl Annotation {
    /// The `blockType` the annotation gives, if any.
    pub fn block_type(&self) -> Option<BlockType> {
        self.map
            .get("blockType")
            .and_then(Value::as_str)
            .map(BlockType::parse)
    }

    /// A string-valued key.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(Value::as_str)
    }

    /// A boolean-valued key (also accepts the strings "true"/"false", which real pages use).
    pub fn flag(&self, key: &str) -> bool {
        match self.map.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }
}

/// A fenced code block with the annotation that precedes it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The fence's info string, trimmed and lower-cased (first word only).
    pub lang: String,
    /// The block's content.
    pub text: String,
    /// The annotation bound to this block.
    pub annotation: Option<Annotation>,
    /// Text of the nearest heading above the block, shared by the blocks under it (a heading
    /// of megabytes over thousands of blocks is held once).
    pub section: Arc<str>,
}

impl Block {
    /// 1-based page line of the block's first content line: the line after the opening fence,
    /// or for an indented block (which has no fence) its own first line.
    pub fn content_line(&self) -> usize {
        if self.lang == "indented" {
            self.line
        } else {
            self.line + 1
        }
    }
}

/// A method and path template from the page's syntax ("HTTP request") section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxLine {
    /// 1-based line in the page.
    pub line: usize,
    /// HTTP method, upper case.
    pub method: crate::model::case::Method,
    /// Path template as written.
    pub path: String,
}

/// A markdown table: its header cells and body rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// 1-based line of the header row.
    pub line: usize,
    /// Header cell texts.
    pub header: Vec<String>,
    /// Body rows' cell texts.
    pub rows: Vec<Vec<String>>,
}

/// Everything read from one page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Fenced code blocks in page order.
    pub blocks: Vec<Block>,
    /// Method/path lines of the syntax section.
    pub syntax: Vec<SyntaxLine>,
    /// Tables in page order.
    pub tables: Vec<Table>,
    /// Problems found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

impl Page {
    /// The first block whose opening fence is on this line. Blocks are in page order, so this
    /// is a binary search: a page of many examples looks each one up in logarithmic time.
    pub fn block_at(&self, line: usize) -> Option<&Block> {
        let i = self.blocks.partition_point(|b| b.line < line);
        self.blocks.get(i).filter(|b| b.line == line)
    }
}

/// Maps byte offsets to 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes a text.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        // memchr scans a word at a time; `match_indices` went char by char, an eighth of
        // reading a page.
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line holding a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// The text with every line break as LF: CRLF and a lone CR (old Mac files, pages stitched
/// from several editors) are line breaks to CommonMark too, and reading one kind of break
/// everywhere makes each of them one line in the reader's counts and LF in the bodies.
pub fn normalize_line_ends(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Reads one page. `file` is only used to label diagnostics.
pub fn read_page(file: &str, raw: &str) -> Page {
    let raw = normalize_line_ends(raw);
    let text = raw.strip_prefix('\u{feff}').unwrap_or(&raw);
    let lines = LineIndex::new(text);
    let mut page = Page::default();
    let mut pending: Option<Annotation> = None;
    let mut heading: Option<String> = None;
    let mut section: Arc<str> = Arc::from("");
    let mut html = String::new();
    let mut html_start: Option<usize> = None;
    let mut code: Option<(usize, String, String)> = None;
    let mut table: Option<Table> = None;
    let mut cell: Option<String> = None;
    let mut row: Vec<String> = Vec::new();
    let mut in_head = false;

    let diag = |line, severity, code, message: String| {
        Diagnostic::new(file, line, severity, code, message)
    };

    let parser = Parser::new_ext(text, Options::ENABLE_TABLES).into_offset_iter();
    for (event, range) in parser {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                section = Arc::from(heading.take().unwrap_or_default().trim());
            }
            Event::Start(Tag::HtmlBlock) => {
                html.clear();
                html_start = Some(range.start);
            }
            Event::End(TagEnd::HtmlBlock) => {
                let start = html_start.take().unwrap_or(range.start);
                for found in comments(&html, lines.line(start)) {
                    match found {
                        // Page-level annotations (`"type": "#page.annotation"`) describe
                        // the page, not a block.
                        Comment::Annotation(a) if a.block_type().is_none() => {}
                        Comment::Annotation(a) => {
                            if let Some(old) = pending.replace(a) {
                                page.diagnostics.push(diag(
                                    old.line,
                                    Severity::Warning,
                                    Code::OrphanAnnotation,
                                    "annotation is followed by another annotation before any code block; it applies to nothing".into(),
                                ));
                            }
                        }
                        Comment::Lenient(a, why) => {
                            page.diagnostics.push(diag(
                                a.line,
                                Severity::Warning,
                                Code::LenientJson,
                                format!("annotation is not strict JSON ({why}); read leniently"),
                            ));
                            pending = Some(a);
                        }
                        Comment::Invalid(line, why) => page.diagnostics.push(diag(
                            line,
                            Severity::Error,
                            Code::BadAnnotation,
                            format!("annotation is not JSON: {why}"),
                        )),
                        Comment::Unterminated(line) => page.diagnostics.push(diag(
                            line,
                            Severity::Error,
                            Code::UnterminatedComment,
                            "HTML comment is never closed with `-->`; the rest of the page is hidden in it".into(),
                        )),
                        Comment::Unclosed(line, next) => page.diagnostics.push(diag(
                            line,
                            Severity::Error,
                            Code::UnterminatedComment,
                            format!("HTML comment is not closed before the comment on line {next} opens; everything between is hidden"),
                        )),
                    }
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                if html_start.is_some() {
                    html.push_str(&t);
                } else if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let line = lines.line(range.start);
                let mut lang = match &kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    CodeBlockKind::Indented => "indented".to_string(),
                };
                if matches!(kind, CodeBlockKind::Fenced(_)) && !fence_closed(text, range.clone()) {
                    if text[range.end..].trim().is_empty() {
                        page.diagnostics.push(diag(
                            line,
                            Severity::Error,
                            Code::UnterminatedFence,
                            "code fence is never closed; it runs to the end of the page".into(),
                        ));
                        lang = "unterminated".into();
                    } else {
                        // Inside a blockquote or list item the container's end closes the
                        // fence, so the rest of the page is not swallowed.
                        page.diagnostics.push(diag(
                            line,
                            Severity::Warning,
                            Code::UnterminatedFence,
                            format!(
                                "code fence is never closed; it ends with its blockquote or list item at line {}",
                                lines.line(range.end.saturating_sub(1))
                            ),
                        ));
                    }
                }
                code = Some((line, lang, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((line, lang, body)) = code.take() {
                    let annotation = pending.take();
                    // An indented block is prose formatting, never an example; only a
                    // pending annotation may claim it, and then it is reported.
                    if lang == "indented" && annotation.is_none() {
                        continue;
                    }
                    let is_example = annotation
                        .as_ref()
                        .is_some_and(|a| a.block_type().is_some_and(|b| b.is_example()));
                    if section_is_syntax(&section) && !is_example {
                        page.syntax.extend(syntax_lines(&body, line + 1));
                    }
                    page.blocks.push(Block {
                        line,
                        lang,
                        text: body,
                        annotation,
                        section: section.clone(),
                    });
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, body)) = code.as_mut() {
                    body.push_str(&t);
                } else if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                } else if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    line: lines.line(range.start),
                    header: Vec::new(),
                    rows: Vec::new(),
                })
            }
            Event::End(TagEnd::Table) => page.tables.extend(table.take()),
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                if let Some(t) = table.as_mut() {
                    t.header = std::mem::take(&mut row);
                }
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) => {
                if let (Some(t), false) = (table.as_mut(), in_head) {
                    t.rows.push(std::mem::take(&mut row));
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                row.push(cell.take().unwrap_or_default().trim().to_string())
            }
            _ => {}
        }
    }
    if let Some(a) = pending {
        page.diagnostics.push(diag(
            a.line,
            Severity::Warning,
            Code::OrphanAnnotation,
            "annotation is not followed by any code block; it applies to nothing".into(),
        ));
    }
    page
}

/// Whether a fenced block (`range` of `text`) ends with a closing fence of the opening's kind
/// and length. Inside blockquotes the closing line carries the same `>` markers as the opening.
fn fence_closed(text: &str, range: std::ops::Range<usize>) -> bool {
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let quotes = text[line_start..range.start].matches('>').count();
    let mut lines = text[range].lines();
    let Some(open) = lines.next().map(str::trim_start) else {
        return false;
    };
    let ch = match open.chars().next() {
        Some(c @ ('`' | '~')) => c,
        _ => return true,
    };
    let width = open.chars().take_while(|&c| c == ch).count();
    lines.last().is_some_and(|l| {
        let mut l = l.trim_start();
        for _ in 0..quotes {
            l = l.strip_prefix('>').unwrap_or(l).trim_start();
        }
        let l = l.trim();
        l.chars().all(|c| c == ch) && l.chars().count() >= width
    })
}

/// Whether a heading names the operation's syntax section.
fn section_is_syntax(heading: &str) -> bool {
    heading.eq_ignore_ascii_case("http request")
}

/// The `METHOD /path` lines of a syntax block.
fn syntax_lines(body: &str, first_line: usize) -> Vec<SyntaxLine> {
    body.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let req = http::parse_request_line(l)?;
            (req.url.starts_with('/') || req.url.starts_with("http")).then(|| SyntaxLine {
                line: first_line + i,
                method: req.method,
                path: req.url,
            })
        })
        .collect()
}

/// What an HTML comment turned out to be.
enum Comment {
    Annotation(Annotation),
    Lenient(Annotation, String),
    Invalid(usize, String),
    Unterminated(usize),
    /// Left open until another comment starts (its line, the other's line).
    Unclosed(usize, usize),
}

/// The annotation comments in an HTML block; other comments are ignored.
fn comments(html: &str, first_line: usize) -> Vec<Comment> {
    let mut found = Vec::new();
    let mut rest = html;
    let mut line = first_line;
    while let Some(open) = rest.find("<!--") {
        // Count lines incrementally: a page of many comments must stay linear.
        line += rest[..open].matches('\n').count();
        let after = &rest[open + 4..];
        let advance = match next_comment_mark(after) {
            None => {
                found.push(Comment::Unterminated(line));
                break;
            }
            Some((inner, true)) => {
                // Another comment opens before this one closes: this one was left open and
                // hides everything up to the inner one's end. Read on from the inner one, so
                // an annotation there still counts.
                let next = line + after[..inner].matches('\n').count();
                found.push(Comment::Unclosed(line, next));
                open + 4 + inner
            }
            Some((close, false)) => {
                let inner = after[..close].trim();
                if inner.starts_with('{') {
                    match parse_lenient_object(inner) {
                        Ok((map, None)) => {
                            found.push(Comment::Annotation(Annotation { line, map }))
                        }
                        Ok((map, Some(why))) => {
                            found.push(Comment::Lenient(Annotation { line, map }, why))
                        }
                        Err(why) => found.push(Comment::Invalid(line, why)),
                    }
                }
                open + 4 + close + 3
            }
        };
        line += rest[open..advance].matches('\n').count();
        rest = &rest[advance..];
    }
    found
}

/// The first `-->` (false) or `<!--` (true) in a comment's text, by byte offset.
fn next_comment_mark(text: &str) -> Option<(usize, bool)> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|i| match bytes[i] {
        b'-' if bytes[i..].starts_with(b"-->") => Some((i, false)),
        b'<' if bytes[i..].starts_with(b"<!--") => Some((i, true)),
        _ => None,
    })
}

/// Parses an annotation's JSON object, strictly or relaxed; returns what was relaxed, if anything.
pub fn parse_lenient_object(text: &str) -> Result<(Map<String, Value>, Option<String>), String> {
    match json::parse(text) {
        json::Parsed::Strict(Value::Object(map)) => Ok((map, None)),
        json::Parsed::Relaxed(Value::Object(map), fixes) => Ok((map, Some(fixes.join(", ")))),
        json::Parsed::Strict(_) | json::Parsed::Relaxed(..) => Err("not a JSON object".into()),
        json::Parsed::Invalid {
            line,
            column,
            message,
        } => Err(format!(
            "{message} (annotation line {line}, column {column})"
        )),
    }
}

/// Lines of the page outside code blocks that contain `TODO`.
pub fn todo_lines(raw: &str) -> Vec<usize> {
    // Most pages have none: one scan for the marker spares them the line-by-line walk.
    if !raw.contains("TODO") {
        return Vec::new();
    }
    let raw = normalize_line_ends(raw);
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        let t = line.trim_start();
        for marker in ["```", "~~~"] {
            if t.starts_with(marker) {
                fence = match fence {
                    None => Some(marker),
                    Some(m) if m == marker => None,
                    other => other,
                };
            }
        }
        if fence.is_none() && line.contains("TODO") {
            out.push(i + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_annotation_across_prose_to_next_block() {
        let page = read_page(
            "p.md",
            "# T\n\n## HTTP request\n<!-- { \"blockType\": \"ignored\" } -->\n> Note: text\n\n```http\nPOST /a/{id}\n```\n\nText.\n<!-- {\n  \"blockType\": \"request\",\n  \"name\": \"x\"\n}-->\n\n``` HTTP\nPATCH https://graph.microsoft.com/beta/a/1\n```\n",
        );
        assert!(page.diagnostics.is_empty(), "{:?}", page.diagnostics);
        assert_eq!(page.blocks.len(), 2);
        assert_eq!(page.blocks[0].annotation.as_ref().map(|a| a.line), Some(4));
        assert_eq!(page.blocks[1].lang, "http");
        assert_eq!(page.blocks[1].line, 17);
        assert_eq!(
            page.blocks[1]
                .annotation
                .as_ref()
                .and_then(|a| a.str("name")),
            Some("x")
        );
        assert_eq!(
            page.syntax,
            vec![SyntaxLine {
                line: 8,
                method: crate::model::case::Method::Post,
                path: "/a/{id}".into()
            }]
        );
    }

    #[test]
    fn lenient_and_broken_annotations_are_reported() {
        let page = read_page(
            "p.md",
            "<!-- { \"blockType\": \"request\", } -->\n```http\nGET /me\n```\n\n<!-- { blockType: -->\n\n<!-- { \"blockType\": \"response\" }\n",
        );
        let codes: Vec<_> = page.diagnostics.iter().map(|d| (d.code, d.line)).collect();
        assert_eq!(
            codes,
            vec![
                (Code::LenientJson, 1),
                (Code::BadAnnotation, 6),
                (Code::UnterminatedComment, 8)
            ]
        );
        assert!(page.blocks[0].annotation.is_some());
    }

    #[test]
    fn reads_tables_and_crlf() {
        let page = read_page(
            "p.md",
            "|Property|Type|\r\n|:--|:--|\r\n|a|String|\r\n\r\n|Property|Type|\r\n|:--|:--|\r\n",
        );
        assert_eq!(page.tables.len(), 2);
        assert_eq!(
            page.tables[0].rows,
            vec![vec!["a".to_string(), "String".to_string()]]
        );
        assert_eq!(page.tables[1].line, 5);
        assert!(page.tables[1].rows.is_empty());
    }

    #[test]
    fn fences_in_blockquotes_close_and_container_ends_are_not_page_ends() {
        let page = read_page(
            "p.md",
            "> <!-- { \"blockType\": \"request\" } -->\n> ```http\n> GET /me\n> ```\n\n>> ```\n>> open\n\nafter\n",
        );
        let found: Vec<_> = page
            .diagnostics
            .iter()
            .map(|d| (d.code, d.line, d.severity))
            .collect();
        assert_eq!(
            found,
            vec![(Code::UnterminatedFence, 6, Severity::Warning)],
            "{:?}",
            page.diagnostics
        );
        assert_eq!(page.blocks[0].lang, "http");
        assert_eq!(page.blocks[0].text, "GET /me\n");
        assert_eq!(page.blocks[0].content_line(), 3);
    }

    #[test]
    fn comment_left_open_until_an_annotation_is_reported_and_the_annotation_read() {
        let page = read_page(
            "p.md",
            "<!-- note\n\ntext\n<!-- { \"blockType\": \"request\" } -->\n```http\nGET /me\n```\n",
        );
        let found: Vec<_> = page.diagnostics.iter().map(|d| (d.code, d.line)).collect();
        assert_eq!(found, vec![(Code::UnterminatedComment, 1)]);
        assert!(page.diagnostics[0].message.contains("line 4"));
        assert_eq!(page.blocks[0].annotation.as_ref().map(|a| a.line), Some(4));
    }

    #[test]
    fn indented_blocks_start_on_their_own_line() {
        let page = read_page(
            "p.md",
            "<!-- { \"blockType\": \"request\" } -->\n\n    GET /me\n",
        );
        assert_eq!(page.blocks[0].lang, "indented");
        assert_eq!(page.blocks[0].line, 3);
        assert_eq!(page.blocks[0].content_line(), 3);
    }

    #[test]
    fn every_line_break_becomes_one_lf() {
        assert_eq!(
            normalize_line_ends("a\rb\r\nc\n\r\nd\r\re\r"),
            "a\nb\nc\n\nd\n\ne\n"
        );
        assert!(matches!(normalize_line_ends("a\nb"), Cow::Borrowed("a\nb")));
    }

    #[test]
    fn todo_outside_code_only() {
        assert_eq!(todo_lines("a TODO\n```\nTODO\n```\nTODO"), vec![1, 5]);
    }
}
