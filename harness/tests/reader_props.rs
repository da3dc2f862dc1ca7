//! Property test of the page reader and the extractor: pages stitched from random fragments
//! (fences, annotations good and broken, request and status lines, headers, JSON, unicode, CRLF,
//! BOM) never make them panic, and every line they report lies inside the page.

use std::cell::Cell;
use std::collections::HashSet;

use conform::doc;
use conform::extract;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};

/// One piece of a page.
fn fragment() -> impl Strategy<Value = String> {
    let fence_open = (
        0usize..5,
        prop::bool::ANY,
        3usize..7,
        prop::sample::select(vec![
            "",
            "http",
            " http",
            "HTTP",
            "msgraph-interactive",
            "json",
            "http {x}",
        ]),
    )
        .prop_map(|(indent, tilde, n, info)| {
            let ch = if tilde { "~" } else { "`" };
            format!("{}{}{info}", " ".repeat(indent), ch.repeat(n))
        });
    let fence_close = (prop::bool::ANY, 3usize..7)
        .prop_map(|(tilde, n)| (if tilde { "~" } else { "`" }).repeat(n));
    let annotation = (
        prop::sample::select(vec!["request", "response", "ignored", "example", "REQUEST"]),
        0u8..4,
        prop::sample::select(vec![
            "<!-- {{ \"blockType\": \"{kind}\", \"name\": \"n{k}\" }} -->",
            "<!--\n{{\n  \"blockType\": \"{kind}\",\n  \"name\": \"n{k}\",\n  \"truncated\": true\n}}\n-->",
            "<!-- {{ \"blockType\": \"{kind}\", \"name\": \"n{k}\", }} -->",
            "<!-- {{ \"blockType\": \"{kind}\", // c\n name: 'n{k}' }} -->",
            "<!-- {{ \"blockType\": \"{kind}\", name: -->",
            "<!-- {{ \"blockType\": \"{kind}\"",
            "<!-- {{ \"blockType\": \"{kind}\", \"x\": [[[[[[ }} -->",
            "<!-- note {k} -->",
            "<!-- {{ \"type\": \"#page.annotation\" }} -->",
        ]),
    )
        .prop_map(|(kind, k, template)| {
            template
                .replace("{{", "{")
                .replace("}}", "}")
                .replace("{kind}", kind)
                .replace("{k}", &k.to_string())
        });
    let request_line = (
        prop::sample::select(vec!["GET", "POST", "patch", "DELETE", "PUT", "FETCH", ""]),
        prop::sample::select(vec![
            "https://graph.microsoft.com/v1.0/users/{id}",
            "https://graph.microsoft.com/beta/me/events?$filter=a eq 'b'",
            "/me",
            "https://graph.microsoft.com/docs\\api/x/<x-id>",
            "sites/{site-id}/lists",
            "https://example.com/upload",
            "https://graph.microsoft.com/things",
            "the user",
            "",
        ]),
        prop::bool::ANY,
    )
        .prop_map(|(m, url, version)| {
            format!("{m} {url}{}", if version { " HTTP/1.1" } else { "" })
        });
    let fixed = prop::sample::select(vec![
        "HTTP/1.1 200 OK",
        "HTTP/1.1 204 No Content",
        "HTTP/1.1 201 Created",
        "HTTP/1.1 2x OK",
        "HTTP/2 999",
        "Content-Type: application/json",
        "Content-type: text/plain",
        "Content-Length: 12",
        "Prefer: return=minimal",
        "bad header line",
        ": no name",
        "{",
        "}",
        "[",
        "]",
        "\"a\": 1,",
        "\"b\": 'x',",
        "...",
        "// comment",
        "/* open comment",
        "{\"a\": [1, 2,]}",
        "{\"@odata.type\": \"#microsoft.graph.user\"}",
        "",
        "",
        "## HTTP request",
        "# [HTTP](#tab/http)",
        "Some prose with `code` and **bold**.",
        "> ",
        "- ",
        "1. ",
        "    ",
        "|Property|Type|\n|--|--|",
        "| a | b |",
        "TODO: fix",
        "-->",
        "<!--",
        "<script>",
        "</script>",
        "\r",
        "\u{feff}",
        "\0",
    ])
    .prop_map(str::to_string);
    let unicode = prop_oneof![
        "\\PC{0,16}",
        prop::collection::vec(any::<char>(), 0..8).prop_map(|v| v.into_iter().collect()),
    ];
    // Whole blocks too, so that random pages hold real pairs among the debris.
    let block = (
        prop::bool::ANY,
        0u8..4,
        prop::bool::ANY,
        request_line.clone(),
        prop::sample::select(vec![
            "HTTP/1.1 200 OK",
            "HTTP/1.1 204 No Content",
            "HTTP/1.1 2x OK",
        ]),
        prop::collection::vec(fixed.clone(), 0..5),
    )
        .prop_map(|(request, k, tilde, req_line, status, inner)| {
            let fence = if tilde { "~~~" } else { "```" };
            let (kind, start) = if request {
                ("request", req_line)
            } else {
                ("response", status.to_string())
            };
            format!(
                "<!-- {{ \"blockType\": \"{kind}\", \"name\": \"n{k}\" }} -->\n{fence}http\n{start}\n{}\n{fence}",
                inner.join("\n")
            )
        });
    prop_oneof![
        12 => block,
        3 => fence_open,
        3 => fence_close,
        3 => annotation,
        3 => request_line,
        6 => fixed,
        1 => unicode,
    ]
}

/// A page: fragments, each on its own line or glued to the next, LF or CRLF, maybe a BOM.
fn page() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((fragment(), prop::bool::weighted(0.9)), 0..80),
        prop::bool::ANY,
        prop::bool::weighted(0.2),
        prop::bool::ANY,
    )
        .prop_map(|(parts, crlf, bom, final_newline)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            for (part, newline) in parts {
                text.push_str(&part.replace('\n', eol));
                if newline {
                    text.push_str(eol);
                }
            }
            if !final_newline {
                text.truncate(text.trim_end_matches(['\r', '\n']).len());
            }
            text
        })
}

/// The lines of a page as CommonMark (and the reader) counts them: LF, CRLF and a lone CR each
/// end one line.
fn page_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    // Split on LF first (fast), then on the CRs left in each piece; a CR before the LF is CRLF.
    for piece in text.split_inclusive('\n') {
        match piece.strip_suffix('\n') {
            Some(ended) => lines.extend(ended.strip_suffix('\r').unwrap_or(ended).split('\r')),
            // The last piece: a final empty line after a CR is no line, as with `str::lines`.
            None => {
                let mut parts: Vec<&str> = piece.split('\r').collect();
                if parts.last() == Some(&"") {
                    parts.pop();
                }
                lines.extend(parts);
            }
        }
    }
    lines
}

/// Lines of a page as the reader counts them, a final unterminated line included.
fn line_count(text: &str) -> usize {
    page_lines(text).len().max(1)
}

/// The page's line `n` (1-based).
fn nth_line(text: &str, n: usize) -> &str {
    page_lines(text).get(n - 1).copied().unwrap_or("")
}

fn is_fence_line(line: &str) -> bool {
    line.contains("```") || line.contains("~~~")
}

/// Checks one page; returns how many cases and diagnostics it gave.
fn check(text: &str) -> Result<(usize, usize), TestCaseError> {
    let n = line_count(text);
    let page = doc::read_page("p.md", text);
    for d in &page.diagnostics {
        prop_assert!((1..=n).contains(&d.line), "reader: {d} outside 1..={n}");
    }
    for b in &page.blocks {
        prop_assert!(
            (1..=n).contains(&b.line),
            "block at {} outside 1..={n}",
            b.line
        );
        if let Some(a) = &b.annotation {
            prop_assert!(
                a.line >= 1 && a.line < b.line,
                "annotation {} for block {}",
                a.line,
                b.line
            );
        }
    }

    let ex = extract::extract_texts(&[("dir/p.md", "p.md", text)]);
    prop_assert_eq!(ex.pages, 1);
    let mut ids = HashSet::new();
    for c in &ex.cases {
        prop_assert!(ids.insert(c.id.clone()), "id {} repeated", c.id);
        prop_assert_eq!(c.source.line, c.request.line);
        prop_assert_eq!(c.source.file.as_str(), "dir/p.md");
        prop_assert!(
            (1..=n).contains(&c.request.line),
            "{}: request line {}",
            c.id,
            c.request.line
        );
        prop_assert!(
            (1..=n).contains(&c.response.line),
            "{}: response line {}",
            c.id,
            c.response.line
        );
        prop_assert!(
            c.request.line < c.response.line,
            "{}: response before request",
            c.id
        );
        // Lines point at the opening fences.
        prop_assert!(
            is_fence_line(nth_line(text, c.request.line)),
            "{}: request line {} is {:?}",
            c.id,
            c.request.line,
            nth_line(text, c.request.line)
        );
        prop_assert!(
            is_fence_line(nth_line(text, c.response.line)),
            "{}: response line {} is {:?}",
            c.id,
            c.response.line,
            nth_line(text, c.response.line)
        );
    }
    for d in &ex.diagnostics {
        prop_assert!((1..=n).contains(&d.line), "extract: {d} outside 1..={n}");
    }
    for d in &page.diagnostics {
        prop_assert!(
            ex.diagnostics.contains(d),
            "reader's {d} missing from the extraction"
        );
    }
    Ok((ex.cases.len(), ex.diagnostics.len()))
}

#[test]
fn reader_and_extractor_survive_random_pages() {
    let defaults = ProptestConfig::default();
    // A fixed seed keeps CI reproducible; PROPTEST_RNG_SEED (read by the defaults) explores others.
    let rng_seed = match std::env::var_os("PROPTEST_RNG_SEED") {
        Some(_) => defaults.rng_seed,
        None => RngSeed::Fixed(0x00c0_f0e5),
    };
    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        rng_seed,
        ..defaults
    };
    let pages = config.cases;
    let mut runner = TestRunner::new(config);
    let cases = Cell::new(0usize);
    let diagnostics = Cell::new(0usize);
    let result = runner.run(&page(), |text| {
        let (c, d) = check(&text)?;
        cases.set(cases.get() + c);
        diagnostics.set(diagnostics.get() + d);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "props: {pages} pages gave {} cases and {} diagnostics",
        cases.get(),
        diagnostics.get()
    );
    // The generator must reach the extractor's interesting paths, not only its failures.
    assert!(cases.get() > 0, "no random page gave a case");
    assert!(diagnostics.get() > 0, "no random page gave a diagnostic");
}

#[test]
fn the_generator_makes_pages_that_give_cases() {
    // A fixed page of the generator's fragments: CRLF, both fence kinds, no final newline.
    let text = "<!-- { \"blockType\": \"request\", \"name\": \"n1\" } -->\r\n```http\r\nGET /me\r\n```\r\n<!-- { \"blockType\": \"response\" } -->\r\n~~~\r\nHTTP/1.1 200 OK\r\n~~~";
    let ex = extract::extract_texts(&[("dir/p.md", "p.md", text)]);
    assert_eq!(ex.cases.len(), 1);
    assert_eq!(
        (ex.cases[0].request.line, ex.cases[0].response.line),
        (2, 6)
    );
    match check(text) {
        Ok(counts) => assert_eq!(counts, (1, 0)),
        Err(e) => panic!("{e}"),
    }
}
