//! Every markdown variant the page reader must accept, one test each: the case made from it
//! (method, path, status, body) and the lines it and its diagnostics point at.

mod common;

use conform::doc::{self, Code, Diagnostic, Severity};
use conform::extract::{self, Extraction};
use conform::model::case::{Body, Case};
use serde_json::json;

/// Joins lines with LF, ending with one; line `n` of the page is `lines[n - 1]`.
fn page(lines: &[&str]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

fn extract(text: &str) -> Extraction {
    extract::extract_texts(&[("dir/page.md", "docs/dir/page.md", text)])
}

/// The page's only case.
fn only_case(ex: &Extraction) -> &Case {
    assert_eq!(
        ex.cases.len(),
        1,
        "cases: {:?}; diagnostics: {:?}",
        ex.cases.iter().map(|c| &c.id).collect::<Vec<_>>(),
        diags(ex)
    );
    &ex.cases[0]
}

fn diags(ex: &Extraction) -> Vec<String> {
    ex.diagnostics.iter().map(Diagnostic::to_string).collect()
}

/// The diagnostics as (code, line, severity).
fn codes(ex: &Extraction) -> Vec<(Code, usize, Severity)> {
    ex.diagnostics
        .iter()
        .map(|d| (d.code, d.line, d.severity))
        .collect()
}

fn assert_clean(ex: &Extraction) {
    assert!(ex.diagnostics.is_empty(), "{:#?}", diags(ex));
}

/// Asserts the request and response fence lines and the request line of a case.
fn assert_lines(case: &Case, request: usize, response: usize) {
    assert_eq!(case.source.line, request, "source line");
    assert_eq!(case.request.line, request, "request fence line");
    assert_eq!(case.response.line, response, "response fence line");
}

/// A clean update example: request fence on line 7, response fence on line 18.
const CLEAN: &[&str] = &[
    "# Update thing",
    "",
    "## Example",
    "",
    "<!-- { \"blockType\": \"request\", \"name\": \"update_thing\" } -->",
    "",
    "```http",
    "PATCH https://graph.microsoft.com/v1.0/things/{thing-id}",
    "Content-Type: application/json",
    "",
    "{",
    "  \"displayName\": \"New name\"",
    "}",
    "```",
    "",
    "<!-- { \"blockType\": \"response\", \"@odata.type\": \"microsoft.graph.thing\" } -->",
    "",
    "```http",
    "HTTP/1.1 200 OK",
    "Content-Type: application/json",
    "",
    "{",
    "  \"id\": \"1\",",
    "  \"displayName\": \"New name\"",
    "}",
    "```",
];

fn assert_clean_case(case: &Case) {
    assert_eq!(case.id, "dir.page.update_thing");
    assert_eq!(case.request.method, conform::model::case::Method::Patch);
    assert_eq!(case.request.path, "/things/{thing-id}");
    assert_eq!(case.request.params, vec!["thing-id".to_string()]);
    assert_eq!(case.version.as_deref(), Some("v1.0"));
    assert_eq!(
        case.request.body,
        Some(Body::Json(json!({"displayName": "New name"})))
    );
    assert_eq!(case.response.status, 200);
    assert_eq!(case.response.reason.as_deref(), Some("OK"));
    assert_eq!(
        case.response.body,
        Some(Body::Json(json!({"id": "1", "displayName": "New name"})))
    );
    assert_eq!(
        case.response.odata_type.as_deref(),
        Some("microsoft.graph.thing")
    );
    assert_eq!(
        case.request_header("content-type"),
        Some("application/json")
    );
    assert_lines(case, 7, 18);
}

#[test]
fn clean_page_with_lf_yields_the_case_and_no_diagnostic() {
    let text = page(CLEAN);
    let ex = extract(&text);
    assert_clean(&ex);
    assert_clean_case(only_case(&ex));
    assert!(doc::read_page("p.md", &text).diagnostics.is_empty());
}

#[test]
fn crlf_line_ends_give_the_same_case_and_lines() {
    let text = CLEAN.join("\r\n") + "\r\n";
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_clean_case(case);
    for h in case.request.headers.iter().chain(&case.response.headers) {
        assert!(!h.value.contains('\r') && !h.name.contains('\r'), "{h:?}");
    }
}

/// An LF page with its line ends replaced by `eols` in turn.
fn with_line_ends(lf: &str, eols: &[&str]) -> String {
    let mut out = String::with_capacity(lf.len() * 2);
    let mut previous = "";
    for (i, line) in lf.split_inclusive('\n').enumerate() {
        match line.strip_suffix('\n') {
            Some(l) => {
                let mut eol = eols[i % eols.len()];
                // CR, then an empty line ended by LF, is one CRLF break, not two.
                if previous == "\r" && l.is_empty() && eol == "\n" {
                    eol = "\r";
                }
                out.push_str(l);
                out.push_str(eol);
                previous = eol;
            }
            None => out.push_str(line),
        }
    }
    out
}

/// CR only, and LF, CRLF and CR mixed on one page (each in every position of the cycle).
const LINE_END_VARIANTS: &[&[&str]] = &[
    &["\r"],
    &["\n", "\r\n", "\r"],
    &["\r", "\n", "\r\n"],
    &["\r\n", "\r", "\n"],
    &["\r", "\r\n"],
];

#[test]
fn cr_only_and_mixed_line_ends_give_the_same_case_and_lines() {
    for eols in LINE_END_VARIANTS {
        let text = with_line_ends(&page(CLEAN), eols);
        let ex = extract(&text);
        assert_clean(&ex);
        let case = only_case(&ex);
        assert_clean_case(case);
        for h in case.request.headers.iter().chain(&case.response.headers) {
            assert!(!h.value.contains('\r') && !h.name.contains('\r'), "{h:?}");
        }
    }
}

#[test]
fn text_bodies_with_cr_line_ends_read_as_with_lf() {
    let lf = page(&[
        "<!-- { \"blockType\": \"request\", \"name\": \"upload\" } -->",
        "```http",
        "PUT /me/drive/root:/file.txt:/content",
        "Content-Type: text/plain",
        "Content-Length: 17",
        "",
        "first",
        "",
        "third line",
        "```",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1 201 Created",
        "Content-Type: text/plain",
        "Content-Length: 99",
        "",
        "done",
        "```",
    ]);
    let want = extract(&lf);
    // The request's Content-Length counts the body with LF ends; the response's is wrong.
    assert_eq!(
        codes(&want),
        vec![(Code::ContentLength, 13, Severity::Warning)],
        "{:?}",
        diags(&want)
    );
    let body = Some(Body::Text("first\n\nthird line".into()));
    assert_eq!(only_case(&want).request.body, body);
    for eols in LINE_END_VARIANTS {
        let ex = extract(&with_line_ends(&lf, eols));
        assert_eq!(diags(&ex), diags(&want), "{eols:?}");
        let case = only_case(&ex);
        assert_eq!(case.request.body, body, "{eols:?}");
        assert_lines(case, 2, 12);
    }
    // A Content-Length counting CRLF line ends is right too, whatever the page's line ends.
    let crlf_length = lf.replace("Content-Length: 17", "Content-Length: 19");
    for eols in LINE_END_VARIANTS {
        let ex = extract(&with_line_ends(&crlf_length, eols));
        assert_eq!(diags(&ex), diags(&want), "{eols:?}");
    }
}

#[test]
fn seed_pages_with_cr_only_or_mixed_line_ends_read_like_lf() {
    let schemas = conform::schema::SchemaSet::load_dir(&common::root().join("schemas"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut seeds: Vec<_> = std::fs::read_dir(common::seeds())
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
        .collect();
    seeds.sort();
    assert_eq!(seeds.len(), 5);
    for path in seeds {
        let lf = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !lf.contains('\r'),
            "{}: the seeds are LF pages",
            path.display()
        );
        let read = |text: &str| {
            extract::extract_texts_with(&[("seed.md", "seed.md", text)], Some(&schemas))
        };
        let want = read(&lf);
        assert!(!want.cases.is_empty());
        let json = |ex: &Extraction| ex.cases.iter().map(Case::to_json).collect::<Vec<_>>();
        for eols in LINE_END_VARIANTS {
            let got = read(&with_line_ends(&lf, eols));
            let name = format!("{} with {eols:?}", path.display());
            assert_eq!(json(&got), json(&want), "{name}");
            assert_eq!(diags(&got), diags(&want), "{name}");
        }
    }
}

#[test]
fn utf8_bom_is_ignored_and_lines_do_not_shift() {
    let text = format!("\u{feff}{}", page(CLEAN));
    let ex = extract(&text);
    assert_clean(&ex);
    assert_clean_case(only_case(&ex));
}

#[test]
fn tabs_between_method_and_url_in_headers_and_in_bodies() {
    let text = page(&[
        "<!-- {\t\"blockType\":\t\"request\", \"name\": \"tabs\" } -->",
        "```http",
        "POST\thttps://graph.microsoft.com/beta/things\tHTTP/1.1",
        "Content-Type:\tapplication/json",
        "",
        "{",
        "\t\"a\":\t1,",
        "\t\"b\": [\t\"x\"\t]",
        "}",
        "```",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1\t201\tCreated",
        "Content-Type:\tapplication/json",
        "",
        "{\t\"id\": \"7\"\t}",
        "```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.request.method.as_str(), "POST");
    assert_eq!(case.request.path, "/things");
    assert_eq!(
        case.request_header("content-type"),
        Some("application/json")
    );
    assert_eq!(
        case.request.body,
        Some(Body::Json(json!({"a": 1, "b": ["x"]})))
    );
    assert_eq!(case.response.status, 201);
    assert_eq!(case.response.reason.as_deref(), Some("Created"));
    assert_eq!(case.response.body, Some(Body::Json(json!({"id": "7"}))));
    assert_lines(case, 2, 12);
}

#[test]
fn runs_of_spaces_in_request_and_status_lines() {
    let text = page(&[
        "<!-- { \"blockType\": \"request\", \"name\": \"spaces\" } -->",
        "```http",
        "  GET   https://graph.microsoft.com/v1.0/me/messages?$filter=subject eq 'a b'   HTTP/1.1  ",
        "```",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1  200   OK ",
        "Content-Type :  application/json",
        "",
        "{\"value\": []}",
        "```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.request.method, conform::model::case::Method::Get);
    assert_eq!(case.request.path, "/me/messages?$filter=subject eq 'a b'");
    assert_eq!(case.response.status, 200);
    assert_eq!(case.response.reason.as_deref(), Some("OK"));
    assert_eq!(
        case.response_header("content-type"),
        Some("application/json")
    );
    assert_eq!(case.response.body, Some(Body::Json(json!({"value": []}))));
    assert_lines(case, 2, 6);
}

/// A GET pair whose request fence opens with `open_request` (response fence on line 6).
fn fenced_get(open_request: &str, close: &str) -> String {
    page(&[
        "<!-- { \"blockType\": \"request\", \"name\": \"get_me\" } -->",
        open_request,
        "GET https://graph.microsoft.com/v1.0/me?$select=displayName",
        close,
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1 200 OK",
        "Content-Type: application/json",
        "",
        "{\"displayName\": \"Megan\"}",
        "```",
    ])
}

fn assert_fenced_get(open_request: &str, close: &str) {
    let text = fenced_get(open_request, close);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.request.method.as_str(), "GET", "{open_request}");
    assert_eq!(case.request.path, "/me?$select=displayName");
    assert_eq!(case.request.body, None);
    assert_eq!(case.response.status, 200);
    assert_eq!(
        case.response.body,
        Some(Body::Json(json!({"displayName": "Megan"})))
    );
    assert_lines(case, 2, 6);
}

#[test]
fn fence_info_http() {
    assert_fenced_get("```http", "```");
}

#[test]
fn fence_info_with_a_space_before_it() {
    assert_fenced_get("``` http", "```");
}

#[test]
fn fence_info_in_upper_case() {
    assert_fenced_get("```HTTP", "```");
    let page = doc::read_page("p.md", &fenced_get("```HTTP", "```"));
    assert_eq!(page.blocks[0].lang, "http");
}

#[test]
fn fence_info_msgraph_interactive() {
    assert_fenced_get("```msgraph-interactive", "```");
}

#[test]
fn fence_without_language() {
    assert_fenced_get("```", "```");
}

#[test]
fn tilde_fences_and_longer_fences() {
    assert_fenced_get("~~~http", "~~~");
    assert_fenced_get("````http", "`````");
    assert_fenced_get("   ```http", "```");
}

#[test]
fn fences_inside_list_items() {
    let text = page(&[
        "1. Send the request:",
        "",
        "   <!-- { \"blockType\": \"request\", \"name\": \"in_list\" } -->",
        "   ```http",
        "   DELETE https://graph.microsoft.com/v1.0/things/{id}",
        "   ```",
        "",
        "2. The answer:",
        "",
        "   <!-- { \"blockType\": \"response\" } -->",
        "   ```http",
        "   HTTP/1.1 204 No Content",
        "   ```",
        "",
        "- Nested deeper:",
        "  - <!-- { \"blockType\": \"request\", \"name\": \"deeper\" } -->",
        "    ```http",
        "    GET /things",
        "    ```",
        "    <!-- { \"blockType\": \"response\" } -->",
        "    ```http",
        "    HTTP/1.1 200 OK",
        "    ```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    assert_eq!(ex.cases.len(), 2, "{:?}", diags(&ex));
    let del = &ex.cases[1];
    assert_eq!(del.name, "in_list");
    assert_eq!(del.request.method.as_str(), "DELETE");
    assert_eq!(del.request.path, "/things/{id}");
    assert_eq!(del.response.status, 204);
    assert_eq!(del.response.body, None);
    assert_lines(del, 4, 11);
    let get = &ex.cases[0];
    assert_eq!(get.name, "deeper");
    assert_eq!(get.request.path, "/things");
    assert_eq!(get.version, None);
    assert_lines(get, 17, 21);
}

#[test]
fn fences_inside_blockquotes() {
    let text = page(&[
        "> <!-- { \"blockType\": \"request\", \"name\": \"quoted\" } -->",
        "> ```http",
        "> GET /me",
        "> ```",
        ">",
        "> <!-- { \"blockType\": \"response\" } -->",
        "> ```http",
        "> HTTP/1.1 200 OK",
        "> Content-Type: application/json",
        ">",
        "> {\"id\": \"1\"}",
        "> ```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.request.path, "/me");
    assert_eq!(case.response.body, Some(Body::Json(json!({"id": "1"}))));
    assert_lines(case, 2, 7);
}

#[test]
fn annotations_spanning_several_lines() {
    let text = page(&[
        "<!--",
        "{",
        "  \"blockType\": \"request\",",
        "  \"name\": \"multi_line\",",
        "  \"scopes\": \"user.read\"",
        "}",
        "-->",
        "",
        "```http",
        "GET /me",
        "```",
        "<!-- {",
        "  \"blockType\": \"response\",",
        "  \"truncated\": \"true\",",
        "  \"@odata.type\": \"#microsoft.graph.user\"",
        "} -->",
        "```http",
        "HTTP/1.1 200 OK",
        "```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.name, "multi_line");
    assert_eq!(case.request.method, conform::model::case::Method::Get);
    assert_eq!(case.request.path, "/me");
    assert_eq!(case.response.status, 200);
    assert_eq!(case.response.body, None);
    assert_eq!(
        case.request.annotation.get("scopes"),
        Some(&json!("user.read"))
    );
    assert!(case.response.truncated);
    assert_eq!(
        case.response.odata_type.as_deref(),
        Some("microsoft.graph.user")
    );
    assert_lines(case, 9, 17);
    let page = doc::read_page("p.md", &text);
    assert_eq!(page.blocks[0].annotation.as_ref().map(|a| a.line), Some(1));
    assert_eq!(page.blocks[1].annotation.as_ref().map(|a| a.line), Some(12));
}

#[test]
fn annotations_with_trailing_commas_and_comments_are_read_leniently() {
    let text = page(&[
        "<!-- {",
        "  \"blockType\": \"request\", // what it is",
        "  \"name\": \"lenient_annotation\",",
        "} -->",
        "```http",
        "GET /me/drive",
        "```",
        "<!-- { \"blockType\": \"response\", } -->",
        "```http",
        "HTTP/1.1 200 OK",
        "```",
    ]);
    let ex = extract(&text);
    assert_eq!(
        codes(&ex),
        vec![
            (Code::LenientJson, 1, Severity::Warning),
            (Code::LenientJson, 8, Severity::Warning)
        ],
        "{:?}",
        diags(&ex)
    );
    assert!(ex.diagnostics[0].message.contains("comments"));
    assert!(ex.diagnostics[0].message.contains("trailing commas"));
    let case = only_case(&ex);
    assert_eq!(case.name, "lenient_annotation");
    assert_eq!(case.request.path, "/me/drive");
    assert_eq!(case.response.status, 200);
    assert_lines(case, 5, 9);
}

#[test]
fn request_and_response_separated_by_prose_and_headings() {
    let text = page(&[
        "### Request",
        "",
        "Here is the request.",
        "<!-- { \"blockType\": \"request\", \"name\": \"prose\" } -->",
        "```http",
        "POST /groups/{id}/members/$ref",
        "Content-Type: application/json",
        "",
        "{\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\"}",
        "```",
        "",
        "### Response",
        "",
        "Here is the response. It is *short*:",
        "",
        "| Name | Value |",
        "|--|--|",
        "| a | b |",
        "",
        "> **Note:** shortened.",
        "",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1 204 No Content",
        "```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.request.method.as_str(), "POST");
    assert_eq!(case.request.path, "/groups/{id}/members/$ref");
    assert_eq!(
        case.request.body,
        Some(Body::Json(
            json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"})
        ))
    );
    assert_eq!(case.response.status, 204);
    assert_lines(case, 5, 23);
}

/// A request whose body (lines 5..) is `body`, answered 204; returns the page and the
/// response fence line.
fn post_with_body(body: &[&str]) -> (String, usize) {
    let mut lines = vec![
        "<!-- { \"blockType\": \"request\", \"name\": \"body\" } -->",
        "```http",
        "POST /things",
        "Content-Type: application/json",
        "",
    ];
    lines.extend_from_slice(body);
    lines.extend_from_slice(&[
        "```",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1 204 No Content",
        "```",
    ]);
    let response = 6 + body.len() + 2;
    (page(&lines), response)
}

/// Asserts a relaxed body parses to `want` with one lenient-json warning on line 6 naming `fix`.
fn assert_lenient_body(body: &[&str], want: serde_json::Value, fix: &str) {
    let (text, response) = post_with_body(body);
    let ex = extract(&text);
    assert_eq!(
        codes(&ex),
        vec![(Code::LenientJson, 6, Severity::Warning)],
        "{:?}",
        diags(&ex)
    );
    assert!(
        ex.diagnostics[0].message.contains(fix),
        "{}",
        ex.diagnostics[0]
    );
    let case = only_case(&ex);
    assert_eq!(case.request.method.as_str(), "POST");
    assert_eq!(case.request.path, "/things");
    assert_eq!(case.request.body, Some(Body::Json(want)));
    assert_eq!(case.response.status, 204);
    assert_lines(case, 2, response);
}

#[test]
fn json_body_with_trailing_commas() {
    assert_lenient_body(
        &["{", "  \"a\": [1, 2,],", "  \"b\": true,", "}"],
        json!({"a": [1, 2], "b": true}),
        "trailing commas",
    );
}

#[test]
fn json_body_with_ellipses() {
    assert_lenient_body(
        &[
            "{",
            "  \"value\": [",
            "    {\"id\": \"1\"},",
            "    ...",
            "  ]",
            "}",
        ],
        json!({"value": [{"id": "1"}]}),
        "ellipses",
    );
}

#[test]
fn json_body_with_single_quotes() {
    assert_lenient_body(
        &["{", "  'name': 'it\\'s \"q\"',", "  \"n\": 'x'", "}"],
        json!({"name": "it's \"q\"", "n": "x"}),
        "single-quoted strings",
    );
}

#[test]
fn json_body_with_comments() {
    assert_lenient_body(
        &[
            "{",
            "  \"a\": 1, // the first",
            "  /* the second */ \"b\": 2",
            "}",
        ],
        json!({"a": 1, "b": 2}),
        "comments",
    );
}

#[test]
fn json_body_without_content_type_is_still_json() {
    let text = page(&[
        "<!-- { \"blockType\": \"request\", \"name\": \"no_type\" } -->",
        "```http",
        "POST https://graph.microsoft.com/v1.0/me/sendMail",
        "",
        "{\"message\": {\"subject\": \"Hi\"}}",
        "```",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1 200 OK",
        "",
        "[1, 2]",
        "```",
    ]);
    let ex = extract(&text);
    // Read as JSON all the same; only the answer's missing media type is worth a word.
    assert_eq!(
        codes(&ex),
        vec![(Code::MissingContentType, 8, Severity::Warning)],
        "{:#?}",
        diags(&ex)
    );
    let case = only_case(&ex);
    assert_eq!(case.request.method.as_str(), "POST");
    assert_eq!(case.request.path, "/me/sendMail");
    assert!(case.request.headers.is_empty());
    assert_eq!(
        case.request.body,
        Some(Body::Json(json!({"message": {"subject": "Hi"}})))
    );
    assert_eq!(case.response.body, Some(Body::Json(json!([1, 2]))));
    assert_lines(case, 2, 8);
}

#[test]
fn non_json_bodies_are_kept_as_text() {
    for (content_type, body) in [
        ("application/octet-stream", "<binary data of the file>"),
        ("text/plain", "Hello, {world}!\nSecond line"),
        ("image/jpeg", "Binary data for the image"),
        ("text/csv", "a,b\n1,2"),
    ] {
        let mut lines = vec![
            "<!-- { \"blockType\": \"request\", \"name\": \"upload\" } -->",
            "```http",
            "PUT /me/drive/root:/file.txt:/content",
        ];
        let header = format!("Content-Type: {content_type}");
        lines.push(&header);
        lines.push("");
        lines.extend(body.lines());
        lines.extend_from_slice(&[
            "```",
            "<!-- { \"blockType\": \"response\" } -->",
            "```http",
            "HTTP/1.1 200 OK",
            &header,
            "",
        ]);
        lines.extend(body.lines());
        lines.push("```");
        let text = page(&lines);
        let ex = extract(&text);
        assert_clean(&ex);
        let case = only_case(&ex);
        assert_eq!(case.request.method.as_str(), "PUT");
        assert_eq!(case.request.path, "/me/drive/root:/file.txt:/content");
        assert_eq!(case.request.body, Some(Body::Text(body.to_string())));
        assert_eq!(case.response.status, 200);
        assert_eq!(case.response.body, Some(Body::Text(body.to_string())));
        assert_lines(case, 2, 5 + body.lines().count() + 3);
    }
}

#[test]
fn no_content_response_with_headers_and_no_body() {
    let text = page(&[
        "<!-- { \"blockType\": \"request\", \"name\": \"delete_thing\" } -->",
        "```http",
        "DELETE https://graph.microsoft.com/beta/things/{id}",
        "```",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1 204 No Content",
        "request-id: 0d1b6e1e-0000-4000-8000-000000000000",
        "Cache-Control: no-cache",
        "",
        "```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.request.method.as_str(), "DELETE");
    assert_eq!(case.request.path, "/things/{id}");
    assert_eq!(case.response.status, 204);
    assert_eq!(case.response.reason.as_deref(), Some("No Content"));
    assert_eq!(case.response.body, None);
    assert_eq!(case.response.headers.len(), 2);
    assert_eq!(case.response_header("cache-control"), Some("no-cache"));
    assert_lines(case, 2, 6);
}

#[test]
fn several_request_lines_use_the_first_and_warn() {
    let text = page(&[
        "<!-- { \"blockType\": \"request\", \"name\": \"two_lines\" } -->",
        "```http",
        "GET https://graph.microsoft.com/v1.0/me/events",
        "GET https://graph.microsoft.com/v1.0/users/{id}/events",
        "Prefer: outlook.timezone=\"Pacific Standard Time\"",
        "```",
        "<!-- { \"blockType\": \"response\" } -->",
        "```http",
        "HTTP/1.1 200 OK",
        "Content-Type: application/json",
        "",
        "{\"value\": []}",
        "```",
    ]);
    let ex = extract(&text);
    assert_eq!(
        codes(&ex),
        vec![(Code::MultipleRequests, 4, Severity::Warning)],
        "{:?}",
        diags(&ex)
    );
    let case = only_case(&ex);
    assert_eq!(case.request.method, conform::model::case::Method::Get);
    assert_eq!(case.request.path, "/me/events");
    assert_eq!(case.request.params, Vec::<String>::new());
    assert_eq!(
        case.request_header("prefer"),
        Some("outlook.timezone=\"Pacific Standard Time\"")
    );
    assert_eq!(case.response.status, 200);
    assert_eq!(case.response.body, Some(Body::Json(json!({"value": []}))));
    assert_lines(case, 2, 8);
}

#[test]
fn truncated_response_without_body() {
    let text = page(&[
        "<!-- { \"blockType\": \"request\", \"name\": \"list_things\" } -->",
        "```http",
        "GET /things?$top=2",
        "```",
        "<!-- {",
        "  \"blockType\": \"response\",",
        "  \"truncated\": true,",
        "  \"isCollection\": true,",
        "  \"@odata.type\": \"microsoft.graph.thing\"",
        "} -->",
        "```http",
        "HTTP/1.1 200 OK",
        "Content-Type: application/json",
        "```",
    ]);
    let ex = extract(&text);
    assert_clean(&ex);
    let case = only_case(&ex);
    assert_eq!(case.request.method, conform::model::case::Method::Get);
    assert_eq!(case.request.path, "/things?$top=2");
    assert_eq!(case.response.status, 200);
    assert_eq!(case.response.body, None);
    assert!(case.response.truncated);
    assert!(case.response.is_collection);
    assert_eq!(
        case.response.odata_type.as_deref(),
        Some("microsoft.graph.thing")
    );
    assert_lines(case, 2, 11);
}
