//! Hostile pages: garbage, huge, unterminated and absurdly nested input. The reader and the
//! extractor must not panic or overflow the stack, must say what is wrong, and must still
//! extract every good example the problem does not swallow.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use conform::doc::{self, Code, Diagnostic, Severity};
use conform::extract::{self, Extraction};
use conform::model::case::Body;

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
    assert_eq!(case.request.method, conform::model::case::Method::Get);
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
        assert_eq!(c.request.method, conform::model::case::Method::Patch);
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

/// Diagnostics counted by code.
fn count_codes(ex: &Extraction) -> BTreeMap<Code, usize> {
    let mut counts = BTreeMap::new();
    for d in &ex.diagnostics {
        *counts.entry(d.code).or_insert(0) += 1;
    }
    counts
}

#[test]
fn lint_time_grows_linearly_with_page_size() {
    // A seed page repeated, as the issue's big pages were: every copy has an HTTP request
    // section, property tables and examples, so the section grows with the page and every
    // example is matched against it and validated against the schemas.
    let seed = std::fs::read_to_string(common::seeds().join("000_6e3310d0f32980d1.txt"))
        .unwrap_or_else(|e| panic!("{e}"));
    let schemas = conform::schema::SchemaSet::load_dir(&common::root().join("schemas"))
        .unwrap_or_else(|e| panic!("{e}"));
    let extract =
        |text: &str| extract::extract_texts_with(&[("big.md", "big.md", text)], Some(&schemas));
    let single = extract(&seed);
    let per_copy = single.cases.len();
    assert_eq!(per_copy, 2);
    // The seed has no final newline, so each copy adds exactly its newlines to the page.
    let lines_per_copy = seed.matches('\n').count();
    let names: HashSet<&str> = single.cases.iter().map(|c| c.name.as_str()).collect();
    let mut timings = Vec::new();
    for mb in [5, 10, 20, 40] {
        let copies = mb * 1024 * 1024 / seed.len() + 1;
        let text = seed.repeat(copies);
        let started = Instant::now();
        let ex = extract(&text);
        let took = started.elapsed();
        let ms_per_mb = took.as_secs_f64() * 1000.0 / mb as f64;
        eprintln!(
            "hostile: {mb} MB page ({copies} copies of a seed page, {} examples): extraction and lint took {took:.2?}, {ms_per_mb:.1} ms/MB",
            ex.cases.len()
        );
        timings.push((mb, ms_per_mb));

        // Every copy reads like the seed, at its own lines.
        assert_eq!(ex.cases.len(), copies * per_copy);
        let mut cases: Vec<_> = ex.cases.iter().collect();
        cases.sort_by_key(|c| c.request.line);
        for (i, c) in cases.iter().enumerate() {
            let want = &single.cases[i % per_copy];
            let shift = (i / per_copy) * lines_per_copy;
            assert_eq!(c.request.line, want.request.line + shift, "{}", c.id);
            assert_eq!(c.response.line, want.response.line + shift, "{}", c.id);
            assert_eq!(
                (&c.request.method, &c.request.path, &c.request.body),
                (&want.request.method, &want.request.path, &want.request.body)
            );
            assert_eq!(c.response.body, want.response.body);
        }
        // Each copy's diagnostics once per copy; a repeated name is reported at each repeat, a
        // placeholder spelling once per page.
        let want: BTreeMap<Code, usize> = count_codes(&single)
            .into_iter()
            .map(|(code, n)| match code {
                Code::DuplicateName => (code, ex.cases.len() - names.len()),
                Code::PlaceholderStyle => (code, n),
                _ => (code, n * copies),
            })
            .collect();
        assert_eq!(count_codes(&ex), want);
        // The section grows with the page; messages list its first lines and count the rest.
        let syntax_lines = copies;
        let more = format!("and {} more for this path", syntax_lines - 50);
        for d in ex
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::SyntaxMismatch)
        {
            assert!(d.message.ends_with(&more), "{}", d.message);
            assert_eq!(d.message.matches("(line ").count(), 50, "{}", d.message);
        }
    }
    let ratios: Vec<String> = timings
        .iter()
        .map(|(mb, ms)| format!("{mb} MB: {ms:.1}"))
        .collect();
    let (min, max) = timings
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), (_, ms)| {
            (lo.min(*ms), hi.max(*ms))
        });
    eprintln!(
        "hostile: ms per MB by page size ({}); largest / smallest {:.2} (1 is linear, 8 would be quadratic)",
        ratios.join(", "),
        max / min
    );
}

/// `unit(i)` for i = 0, 1, … until the page holds `bytes`; returns the page and how many units.
fn fill(bytes: usize, head: &str, unit: impl Fn(usize) -> String) -> (String, usize) {
    let mut text = head.to_string();
    let mut n = 0;
    while text.len() < bytes {
        text.push_str(&unit(n));
        n += 1;
    }
    (text, n)
}

/// Extracts a page at two sizes, printing the time per MB of each, and checks each extraction.
fn time_two_sizes(
    what: &str,
    page: impl Fn(usize) -> (String, usize),
    check: impl Fn(&Extraction, &str, usize),
) {
    let schemas = conform::schema::SchemaSet::load_dir(&common::root().join("schemas"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut per_mb = Vec::new();
    for mb in [1, 4] {
        let (text, n) = page(mb * 1024 * 1024);
        let started = Instant::now();
        let ex = extract::extract_texts_with(&[("big.md", "big.md", &text)], Some(&schemas));
        let took = started.elapsed();
        per_mb.push(took.as_secs_f64() * 1000.0 / mb as f64);
        eprintln!("hostile: {what}, {mb} MB ({n} units): took {took:.2?}");
        check(&ex, &text, n);
    }
    eprintln!(
        "hostile: {what}: {:.1} ms/MB at 1 MB, {:.1} at 4 MB (ratio {:.2}; 4 would be quadratic)",
        per_mb[0],
        per_mb[1],
        per_mb[1] / per_mb[0]
    );
}

#[test]
fn one_operation_answered_with_thousands_of_different_bodies() {
    // Complete examples of one operation, each showing other properties: once compared each
    // with each other in the cross-page lint.
    time_two_sizes(
        "one operation, a different body each",
        |bytes| {
            fill(bytes, "", |i| {
                good(&format!("n{i}")).replace(
                    &format!("{{\"id\": \"n{i}\"}}"),
                    &format!("{{\"id\": \"n{i}\", \"p{i}\": 1}}"),
                )
            })
        },
        |ex, _, n| {
            assert_eq!(ex.cases.len(), n);
            // One page never conflicts with itself.
            assert!(ex.diagnostics.is_empty(), "{:?}", first_diags(ex));
        },
    );
}

#[test]
fn one_request_documented_thousands_of_times_with_two_answers() {
    // Each example is compared with the examples of the same request before it: once by
    // answer, not with each of them.
    time_two_sizes(
        "one request, two answers in turn",
        |bytes| {
            fill(bytes, "", |i| {
                let example =
                    good(&format!("n{i}")).replace(&format!("good/n{i}\n"), "good/same\n");
                if i % 2 == 1 {
                    example.replace(
                        &format!("HTTP/1.1 200 OK\nContent-Type: application/json\n\n{{\"id\": \"n{i}\"}}"),
                        "HTTP/1.1 404 Not Found",
                    )
                } else {
                    example
                }
            })
        },
        |ex, _, n| {
            assert_eq!(ex.cases.len(), n);
            let ambiguous = ex
                .diagnostics
                .iter()
                .filter(|d| d.code == Code::AmbiguousRequest)
                .count();
            // Every example contradicts another, and each is reported once: the first where the
            // second contradicts it, the others where they meet an earlier answer.
            assert_eq!(ambiguous, n, "{:?}", first_diags(ex));
            assert_eq!(ex.diagnostics.len(), n, "{:?}", first_diags(ex));
        },
    );
}

#[test]
fn a_heading_of_half_the_page_over_thousands_of_examples() {
    // Each block used to carry its own copy of the heading above it.
    time_two_sizes(
        "a heading of half the page",
        |bytes| {
            let head = format!("# {}\n\n", "h".repeat(bytes / 2));
            fill(bytes, &head, |i| good(&format!("n{i}")))
        },
        |ex, text, n| {
            assert_eq!(ex.cases.len(), n);
            assert!(ex.diagnostics.is_empty(), "{:?}", first_diags(ex));
            assert_good(ex, text, &format!("n{}", n - 1));
        },
    );
}

#[test]
fn thousands_of_http_request_sections_with_examples_that_start_with_a_parameter() {
    // Each example matches one line of the (ever longer) section; its parameter segment
    // matches every line there, so only its last segment tells the lines apart.
    time_two_sizes(
        "many HTTP request sections",
        |bytes| {
            fill(bytes, "", |i| {
                format!(
                    "## HTTP request\n```http\nGET /a{i}/b{i}\n```\n{}",
                    good(&format!("n{i}")).replace("good/", &format!("{{x}}/b{i}?n="))
                )
            })
        },
        |ex, _, n| {
            assert_eq!(ex.cases.len(), n);
            assert!(ex.diagnostics.is_empty(), "{:?}", first_diags(ex));
        },
    );
    // The same with one example that matches no line: reported, listing the first 50.
    let text = format!(
        "{}{}",
        fill(100_000, "", |i| format!(
            "## HTTP request\n```http\nGET /a{i}/b{i}\n```\n"
        ))
        .0,
        good("nowhere")
    );
    let ex = extract::extract_texts(&[("p.md", "p.md", &text)]);
    let d: Vec<_> = ex
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::SyntaxMismatch)
        .collect();
    assert_eq!(d.len(), 1, "{:?}", first_diags(&ex));
    assert!(
        d[0].message.contains("GET /a0/b0 (line 3)"),
        "{}",
        d[0].message
    );
    assert!(d[0].message.ends_with(" more"), "{}", d[0].message);
}

#[test]
fn one_body_with_a_hundred_thousand_unknown_properties() {
    // Each finding was located by scanning the body from its start.
    time_two_sizes(
        "one body of many unknown properties",
        |bytes| {
            let head = "<!-- { \"blockType\": \"request\", \"name\": \"g\" } -->\n```http\nGET https://graph.microsoft.com/beta/security/hostSecurityProfiles/{id}\n```\n<!-- { \"blockType\": \"response\", \"@odata.type\": \"microsoft.graph.hostSecurityProfile\" } -->\n```http\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\n  \"id\": \"1\"";
            let (mut text, n) = fill(bytes, head, |i| format!(",\n  \"u{i}\": {i}"));
            text.push_str("\n}\n```\n");
            (text, n)
        },
        |ex, text, n| {
            assert_eq!(ex.cases.len(), 1);
            let unknown: Vec<_> = ex
                .diagnostics
                .iter()
                .filter(|d| d.code == Code::UnknownProperty)
                .collect();
            assert_eq!(unknown.len(), n, "{:?}", first_diags(ex));
            assert_eq!(ex.diagnostics.len(), n, "{:?}", first_diags(ex));
            // Property `ui` is on the i-th line after the id's.
            let id = line_of(text, "\"id\": \"1\"");
            for (i, d) in unknown.iter().enumerate() {
                assert_eq!(d.line, id + 1 + i, "{d}");
                assert!(d.message.contains(&format!("`u{i}`")), "{d}");
            }
        },
    );
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
