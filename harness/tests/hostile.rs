//! Hostile pages: garbage, huge, unterminated and absurdly nested input. The reader and the
//! extractor must not panic or overflow the stack, must say what is wrong, and must still
//! extract every good example the problem does not swallow.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use conform::case::Body;
use conform::doc::{self, Code, Diagnostic, Severity};
use conform::extract::{self, Extraction};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A clean request/response pair named `name`: its request fence is the line before the one
/// ending in `v1.0/good/{name}`, its response fence five lines after that one.
fn good(name: &str) -> String {
    format!(
        "\n\n<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n\n```http\nGET https://graph.microsoft.com/v1.0/good/{name}\n```\n\n<!-- {{ \"blockType\": \"response\" }} -->\n\n```http\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{{\"id\": \"{name}\"}}\n```\n\n"
    )
}

/// The lines of a page as CommonMark (and the reader) counts them: LF, CRLF and a lone CR each
/// end one line.
fn page_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\r', '\n']) {
        lines.push(&rest[..i]);
        let eol = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + eol..];
    }
    if !rest.is_empty() {
        lines.push(rest);
    }
    lines
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    page_lines(text)
        .iter()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` is not in the page"))
}

/// Asserts the good example `name` of `text` became a case at the right lines with its body.
fn assert_good(ex: &Extraction, text: &str, name: &str) {
    let Some(case) = ex.cases.iter().find(|c| c.name == name) else {
        panic!(
            "good example `{name}` was lost; cases: {:?}; diagnostics: {:?}",
            ex.cases.iter().map(|c| &c.id).collect::<Vec<_>>(),
            first_diags(ex)
        )
    };
    let url = format!("v1.0/good/{name}");
    let get = page_lines(text)
        .iter()
        .position(|l| l.ends_with(&url))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{url}` is not in the page"));
    assert_eq!(case.request.method, "GET");
    assert_eq!(case.request.path, format!("/good/{name}"));
    assert_eq!(case.request.line, get - 1, "{name}: request fence line");
    assert_eq!(case.response.status, 200);
    assert_eq!(
        case.response.body,
        Some(Body::Json(serde_json::json!({ "id": name })))
    );
    let resp_fence = get + 5;
    assert_eq!(
        case.response.line, resp_fence,
        "{name}: response fence line"
    );
}

fn first_diags(ex: &Extraction) -> Vec<String> {
    ex.diagnostics
        .iter()
        .take(20)
        .map(|d| d.to_string())
        .collect()
}

fn has(ex: &Extraction, code: Code, line: usize) -> bool {
    ex.diagnostics
        .iter()
        .any(|d| d.code == code && d.line == line)
}

/// Lines of a page as the reader counts them (at least 1).
fn line_count(text: &str) -> usize {
    page_lines(text).len().max(1)
}

/// Invariants every extraction must keep: unique ids, lines inside the page.
fn check_invariants(ex: &Extraction, text: &str) {
    let n = line_count(text);
    let mut ids = HashSet::new();
    for c in &ex.cases {
        assert!(ids.insert(c.id.as_str()), "id `{}` is repeated", c.id);
        for l in [c.source.line, c.request.line, c.response.line] {
            assert!((1..=n).contains(&l), "{}: line {l} outside 1..={n}", c.id);
        }
    }
    for d in &ex.diagnostics {
        assert!((1..=n).contains(&d.line), "{d}: outside 1..={n}");
    }
}

/// Extracts `bytes` as a file `name` in a fresh folder (the way `conform extract` reads it) and,
/// when it is UTF-8, also through `extract_texts` and `read_page`; both routes must agree.
fn extract_both(name: &str, bytes: &[u8]) -> Extraction {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    let from_disk =
        extract::extract_paths(&[dir.path().to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_disk.pages, 1);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return from_disk;
    };
    let display = path.display().to_string();
    let direct = extract::extract_texts(&[(name, &display, text)]);
    let ids = |ex: &Extraction| ex.cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&from_disk), ids(&direct), "disk and text routes differ");
    assert_eq!(from_disk.diagnostics, direct.diagnostics);
    let page = doc::read_page(&display, text);
    for d in &page.diagnostics {
        assert!(
            direct.diagnostics.contains(d),
            "reader diagnostic {d} is not in the extraction"
        );
    }
    check_invariants(&direct, text);
    direct
}

/// Extracts one page given as text, timing it.
fn extract_text(name: &str, text: &str) -> (Extraction, Duration) {
    let started = Instant::now();
    let ex = extract_both(name, text.as_bytes());
    let took = started.elapsed();
    // Printed, not asserted: speed is measured by the README's benchmark commands, since a
    // timed assertion on a shared machine only measures the neighbours.
    eprintln!("{name}: extraction took {took:.2?}");
    (ex, took)
}

#[test]
fn binary_garbage_is_not_markdown_and_spares_the_other_pages() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bytes: Vec<u8> = (0..64 * 1024).map(|_| rng.next() as u8).collect();
    bytes.extend_from_slice(b"\0\xff\xfe\xc3\x28");
    bytes.extend_from_slice(good("after_binary").as_bytes());
    assert!(std::str::from_utf8(&bytes).is_err());

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("garbage.bin"), &bytes).unwrap_or_else(|e| panic!("{e}"));
    let fine = good("neighbour");
    std::fs::write(dir.path().join("neighbour.md"), &fine).unwrap_or_else(|e| panic!("{e}"));
    let ex = extract::extract_paths(&[dir.path().to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.pages, 2);
    let bad: Vec<&Diagnostic> = ex
        .diagnostics
        .iter()
        .filter(|d| d.file.ends_with("garbage.bin"))
        .collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].code, Code::NotMarkdown);
    assert_eq!(bad[0].severity, Severity::Error);
    assert_eq!(bad[0].line, 1);
    assert!(ex.cases.iter().all(|c| c.source.file != "garbage.bin"));
    assert_good(&ex, &fine, "neighbour");

    // The same bytes read lossily must not upset the reader either.
    let lossy = String::from_utf8_lossy(&bytes).into_owned();
    let page = doc::read_page("garbage.bin", &lossy);
    let n = line_count(&lossy);
    assert!(page.diagnostics.iter().all(|d| (1..=n).contains(&d.line)));
    let ex = extract::extract_texts(&[("garbage.bin", "garbage.bin", &lossy)]);
    check_invariants(&ex, &lossy);
}

#[test]
fn valid_utf8_garbage_and_control_characters_do_not_hide_a_good_example() {
    let mut rng = Rng(42);
    // Every kind of character except the three that open page-swallowing constructs
    // (fences and HTML blocks); those have their own tests below.
    let mut garbage = String::new();
    while garbage.len() < 200_000 {
        let c = match rng.next() % 4 {
            0 => char::from_u32((rng.next() % 0x80) as u32),
            1 => char::from_u32((rng.next() % 0x800) as u32),
            2 => char::from_u32((rng.next() % 0x11_0000) as u32),
            _ => Some(
                ['\n', '\r', '\0', ' ', '\t', '\u{feff}', '{', '#', '|'][rng.next() as usize % 9],
            ),
        };
        if let Some(c) = c.filter(|c| !matches!(c, '`' | '~' | '<')) {
            garbage.push(c);
        }
    }
    garbage.push_str("\n\n");
    let text = format!(
        "{}{garbage}{}",
        good("before_garbage"),
        good("after_garbage")
    );
    let (ex, _) = extract_text("garbage.md", &text);
    assert_good(&ex, &text, "before_garbage");
    assert_good(&ex, &text, "after_garbage");

    // Unfiltered garbage (fences and comments included) may swallow things, but never panics.
    let mut wild = String::new();
    for _ in 0..50_000 {
        let pick = rng.next() as usize;
        wild.push_str(
            [
                "```",
                "~~~",
                "<!--",
                "-->",
                "\n",
                "\r\n",
                "{",
                "}",
                "[",
                "\"",
                ">",
                "- ",
                "    ",
                "GET /a",
                "HTTP/1.1 200 OK",
                "\0",
                "é",
                "\u{10ffff}",
                "<script>",
                "|a|b|",
            ][pick % 20],
        );
    }
    let (ex, _) = extract_text("wild.md", &wild);
    check_invariants(&ex, &wild);
}

/// A real-looking example: an update with a JSON body and a 200 answer (from the Graph style).
const REAL_EXAMPLE: &str = r#"
### Request

The following is an example of the request.
<!-- {
  "blockType": "request",
  "name": "update_usersecurityprofile"
}-->

```http
PATCH https://graph.microsoft.com/beta/security/userSecurityProfiles/{userSecurityProfile_Id}
Content-type: application/json
Prefer: return=representation

{
  "tags": ["String"],
  "riskScore": "String",
  "vendorInformation": {"provider": "String", "vendor": "String"}
}
```

### Response

The following is an example of the response when the optional `Prefer: return=representation` request header is used.
>**Note:** The response object shown here might be shortened for readability.
<!-- {
  "blockType": "response",
  "truncated": true,
  "@odata.type": "microsoft.graph.userSecurityProfile"
} -->

```http
HTTP/1.1 200 OK
Content-type: application/json

{
  "accountName": "accountName-value",
  "azureSubscriptionId": "azureSubscriptionId-value",
  "createdDateTime": "datetime-value",
  "domainName": "domainName-value",
  "id": "id-value",
  "lastModifiedDateTime": "datetime-value",
  "tags": ["String"],
  "riskScore": "String"
}
```
"#;

#[test]
fn a_50_mb_page_of_real_examples_is_extracted_whole_and_fast() {
    let copies = 50 * 1024 * 1024 / REAL_EXAMPLE.len() + 1;
    let text = REAL_EXAMPLE.repeat(copies);
    assert!(text.len() >= 50 * 1024 * 1024);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("big.md"), &text).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let ex = extract::extract_paths(&[dir.path().to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    eprintln!(
        "hostile: 50 MB page ({} bytes, {copies} examples): extract_paths took {took:.2?}",
        text.len()
    );
    assert_eq!(ex.cases.len(), copies, "every copy becomes a case");
    check_invariants(&ex, &text);
    let per_copy = line_count(REAL_EXAMPLE);
    for (i, c) in ex.cases.iter().enumerate() {
        assert_eq!(c.request.method, "PATCH");
        assert_eq!(c.response.status, 200);
        assert_eq!(c.request.line % per_copy, 10 % per_copy, "{}: line", c.id);
        assert!(matches!(c.request.body, Some(Body::Json(_))), "{i}");
    }
    let dups = ex
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::DuplicateName)
        .count();
    assert_eq!(
        dups,
        copies - 1,
        "every repeat of the name is reported once"
    );
    eprintln!("50 MB page took {took:.2?}");
}

#[test]
fn ten_thousand_pairs_on_one_page_are_all_extracted() {
    let mut text = String::from("# Many\n");
    for i in 0..10_000 {
        text.push_str(&good(&format!("pair{i}")));
    }
    let (ex, took) = extract_text("many.md", &text);
    eprintln!("hostile: 10,000 pairs on one page took {took:.2?}");
    assert_eq!(ex.cases.len(), 10_000);
    assert!(ex.diagnostics.is_empty(), "{:?}", first_diags(&ex));
    for i in [0, 1, 4_999, 9_999] {
        assert_good(&ex, &text, &format!("pair{i}"));
    }
}

#[test]
fn an_unterminated_fence_is_reported_where_it_opens() {
    // A `~~~` fence is closed by no backtick fence, so it swallows the examples after it.
    let text = format!(
        "{}Some prose.\n\n~~~http\nGET /never/closed\n{}",
        good("before_fence"),
        good("swallowed")
    );
    let (ex, _) = extract_text("fence.md", &text);
    let open = line_of(&text, "GET /never/closed") - 1;
    let d = ex
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnterminatedFence)
        .unwrap_or_else(|| panic!("{:?}", first_diags(&ex)));
    assert_eq!((d.line, d.severity), (open, Severity::Error));
    assert_good(&ex, &text, "before_fence");
    // By CommonMark everything after the open fence is its content, so the example there is
    // code, not an example: the diagnostic is what tells the author.
    assert_eq!(ex.cases.len(), 1);

    // An unterminated fence in an annotated request block: the request makes no case and
    // the page says why, on the fence's line.
    let text = format!(
        "{}<!-- {{ \"blockType\": \"request\", \"name\": \"open\" }} -->\n````http\nGET /me\n```\n",
        good("before_open_request")
    );
    let (ex, _) = extract_text("fence2.md", &text);
    let open = line_of(&text, "````http");
    assert!(
        has(&ex, Code::UnterminatedFence, open),
        "{:?}",
        first_diags(&ex)
    );
    assert!(
        has(&ex, Code::OrphanRequest, open),
        "{:?}",
        first_diags(&ex)
    );
    assert_good(&ex, &text, "before_open_request");
    assert_eq!(ex.cases.len(), 1);
}

#[test]
fn a_fence_closed_by_its_blockquote_does_not_swallow_the_page() {
    let text = format!(
        "> ```http\n> GET /quoted\n\nProse.\n{}",
        good("after_quote_fence")
    );
    let (ex, _) = extract_text("quotefence.md", &text);
    let d = ex
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnterminatedFence)
        .unwrap_or_else(|| panic!("{:?}", first_diags(&ex)));
    assert_eq!((d.line, d.severity), (1, Severity::Warning));
    assert_good(&ex, &text, "after_quote_fence");
}

#[test]
fn an_unterminated_comment_is_reported_where_it_opens() {
    // Left open until the next annotation's `-->`: the prose between is hidden, the
    // annotation inside is still read, and the note is reported.
    let text = format!(
        "{}Prose.\n\n<!-- a note that never ends\n\nHidden prose.\n{}",
        good("before_comment"),
        good("after_open_comment")
    );
    let (ex, _) = extract_text("comment.md", &text);
    let open = line_of(&text, "a note that never ends");
    let d = ex
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnterminatedComment)
        .unwrap_or_else(|| panic!("{:?}", first_diags(&ex)));
    assert_eq!((d.line, d.severity), (open, Severity::Error));
    assert_eq!(ex.diagnostics.len(), 1, "{:?}", first_diags(&ex));
    assert_good(&ex, &text, "before_comment");
    assert_good(&ex, &text, "after_open_comment");

    // Never closed at all: the rest of the page is hidden.
    let text = format!(
        "{}<!-- {{ \"blockType\": \"request\", \"name\": \"x\" }}\n```http\nGET /me\n```\n",
        good("before_open_annotation")
    );
    let (ex, _) = extract_text("comment2.md", &text);
    let open = line_of(&text, "\"name\": \"x\"");
    assert!(
        has(&ex, Code::UnterminatedComment, open),
        "{:?}",
        first_diags(&ex)
    );
    assert_good(&ex, &text, "before_open_annotation");
    assert_eq!(ex.cases.len(), 1);
}

/// A request whose JSON body is `body`, then a 204 response.
fn request_with_body(name: &str, body: &str) -> String {
    format!(
        "\n<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n```http\nPOST https://graph.microsoft.com/v1.0/deep\nContent-Type: application/json\n\n{body}\n```\n<!-- {{ \"blockType\": \"response\" }} -->\n```http\nHTTP/1.1 204 No Content\n```\n"
    )
}

#[test]
fn deeply_nested_json_bodies_neither_overflow_nor_lose_the_page() {
    let brackets = "[".repeat(100_000);
    let valid_deep = "{\"a\":".repeat(200) + "1" + &"}".repeat(200);
    let closed_deep = "[".repeat(50_000) + &"]".repeat(50_000);
    let text = format!(
        "{}{}{}{}",
        request_with_body("brackets", &brackets),
        request_with_body("valid_deep", &valid_deep),
        request_with_body("closed_deep", &closed_deep),
        good("after_deep")
    );
    let (ex, _) = extract_text("deep.md", &text);
    let body_line = |needle: &str| {
        text.lines()
            .position(|l| l.starts_with(needle))
            .map(|i| i + 1)
            .unwrap_or_else(|| panic!("{needle}"))
    };
    for (name, first) in [
        ("brackets", "[[[[[[[[[[[[[[[["),
        ("valid_deep", "{\"a\":{\"a\":"),
        ("closed_deep", "[[[[[[[[[]"),
    ] {
        let case = ex
            .cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("`{name}` lost: {:?}", first_diags(&ex)));
        match &case.request.body {
            // Kept as text: then an invalid-json error says so on the body's line.
            Some(Body::Text(t)) => {
                assert!(t.len() > 100, "{name}: body text kept whole");
                let line = body_line(&first[..4]);
                assert!(
                    ex.diagnostics.iter().any(|d| d.code == Code::InvalidJson
                        && d.severity == Severity::Error
                        && d.line >= line
                        && d.line <= case.response.line),
                    "{name}: no invalid-json diagnostic: {:?}",
                    first_diags(&ex)
                );
            }
            Some(Body::Json(_)) => assert_eq!(name, "valid_deep", "only valid JSON may parse"),
            None => panic!("{name}: body lost"),
        }
    }
    assert_good(&ex, &text, "after_deep");
}

#[test]
fn ten_thousand_levels_of_blockquotes_and_lists_do_not_overflow() {
    // An example nested in 10,000 blockquotes: every line carries the markers.
    let quote = ">".repeat(10_000) + " ";
    let nested: String = good("in_quotes")
        .lines()
        .map(|l| format!("{quote}{l}\n"))
        .collect();
    let text = format!("{nested}\n\nProse.\n{}", good("after_quotes"));
    let (ex, took) = extract_text("quotes.md", &text);
    eprintln!("hostile: 10,000 blockquote levels took {took:.2?}");
    assert_good(&ex, &text, "after_quotes");
    assert_good(&ex, &text, "in_quotes");
    assert!(
        !ex.diagnostics
            .iter()
            .any(|d| d.code == Code::UnterminatedFence),
        "closed fences in blockquotes are closed: {:?}",
        first_diags(&ex)
    );

    // 10,000 nested list items on one line, the innermost holding an annotation and a fence
    // on its continuation lines (indented to its content column, 20,000).
    let mut list = "- ".repeat(10_000) + "level\n";
    let indent = " ".repeat(10_000 * 2);
    for l in good("in_list").lines() {
        if !l.is_empty() {
            list.push_str(&indent);
        }
        list.push_str(l);
        list.push('\n');
    }
    let text = format!("{list}\nProse.\n{}", good("after_list"));
    let (ex, took) = extract_text("lists.md", &text);
    eprintln!("hostile: 10,000 list levels took {took:.2?}");
    assert_good(&ex, &text, "after_list");
    assert_good(&ex, &text, "in_list");

    // And bare markers: 10,000 `>` on one line, 10,000 `- ` on one line.
    let text = format!(
        "{}x\n\n{}x\n{}",
        ">".repeat(10_000),
        "- ".repeat(10_000),
        good("after_markers")
    );
    let (ex, _) = extract_text("markers.md", &text);
    assert_good(&ex, &text, "after_markers");
}

#[test]
fn huge_and_deeply_nested_annotations_are_reported_or_kept() {
    let big_value = "v".repeat(5 * 1024 * 1024);
    let many_keys: String = (0..100_000).map(|i| format!(", \"k{i}\": {i}")).collect();
    let deep = "{\"a\":".repeat(100_000);
    let deep_closed = "{\"a\":".repeat(5_000) + "1" + &"}".repeat(5_000);
    let text = format!(
        "<!-- {{ \"blockType\": \"request\", \"name\": \"huge\", \"blob\": \"{big_value}\"{many_keys} }} -->\n```http\nGET /huge\n```\n<!-- {{ \"blockType\": \"response\" }} -->\n```http\nHTTP/1.1 204 No Content\n```\n{}\n<!-- {{ \"blockType\": \"request\", \"which\": \"open\", \"deep\": {deep} -->\n{}\n<!-- {{ \"blockType\": \"request\", \"which\": \"closed\", \"deep\": {deep_closed} }} -->\n{}",
        good("after_huge"),
        good("after_deep_annotation"),
        good("after_closed_deep_annotation"),
    );
    let (ex, took) = extract_text("annotations.md", &text);
    eprintln!("hostile: huge annotations took {took:.2?}");
    let huge = ex
        .cases
        .iter()
        .find(|c| c.name == "huge")
        .unwrap_or_else(|| panic!("huge annotation lost: {:?}", first_diags(&ex)));
    assert_eq!(huge.request.annotation.len(), 3 + 100_000, "kept whole");
    assert_eq!(
        huge.request
            .annotation
            .get("blob")
            .and_then(|v| v.as_str())
            .map(str::len),
        Some(big_value.len())
    );
    for needle in ["\"which\": \"open\"", "\"which\": \"closed\""] {
        let line = line_of(&text, needle);
        assert!(
            has(&ex, Code::BadAnnotation, line),
            "no bad-annotation on line {line}: {:?}",
            first_diags(&ex)
        );
    }
    assert_good(&ex, &text, "after_huge");
    assert_good(&ex, &text, "after_deep_annotation");
    assert_good(&ex, &text, "after_closed_deep_annotation");
}
