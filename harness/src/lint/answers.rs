//! Documented answers no service could give as shown, which a replay holding a service to
//! them fails on: a body without its media type, a body on a status that has none, one request
//! documented with two answers, a write's answer that contradicts what was written, and an
//! entity without its key.

use std::collections::HashMap;

use serde_json::Value;

use crate::doc::http::split_message;
use crate::doc::{Code, Diagnostic, Page, Severity};
use crate::model::case::{Body, Case};
use crate::pointer::{At, escape};
use crate::replay::checks::echo::{first_difference, written_properties};
use crate::schema::SchemaSet;

use super::bodies::{KeyLocator, body_text};

/// Whether a status answers without a body (RFC 9110: every 1xx, 204 and 304).
fn forbids_body(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// The longest value a message quotes; a whole nested object would drown the line.
const QUOTE_CHARS: usize = 80;

/// A JSON value as a message quotes it, shortened past [`QUOTE_CHARS`].
fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        return text.to_string();
    }
    let short: String = text.chars().take(QUOTE_CHARS - 1).collect();
    format!("{short}…")
}

/// Lints the answers of a page's cases as HTTP messages (no schema needed): `no-content-body`,
/// `missing-content-type` and `ambiguous-request`.
pub(crate) fn lint_answers(page: &Page, cases: &[Case], display: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for case in cases {
        let r = &case.response;
        if r.body.is_none() {
            continue;
        }
        if forbids_body(r.status) {
            let msg = page
                .block_at(r.line)
                .and_then(|b| split_message(&b.text, b.content_line()));
            let (status_line, body_line) = msg
                .map(|m| (m.start_line, m.body_line))
                .unwrap_or((r.line, r.line));
            let reason = r
                .reason
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default();
            diags.push(Diagnostic::new(
                display,
                status_line,
                Severity::Warning,
                Code::NoContentBody,
                format!(
                    "response example documents {}{reason} but shows a body (line {body_line}); a {} answer has none, so either the status or the body is wrong",
                    r.status, r.status
                ),
            ));
        // A body that may not be there has no media type to name: one diagnostic is enough.
        } else if case.response_header("content-type").is_none() {
            diags.push(Diagnostic::new(
                display,
                r.line,
                Severity::Warning,
                Code::MissingContentType,
                "response example shows a body but no `Content-Type` header, so its media type is not documented".into(),
            ));
        }
    }
    diags.extend(ambiguous_requests(cases, display));
    diags
}

/// A JSON value written with every object's keys sorted: two bodies that differ only in key
/// order are the same request.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Everything a server sees of a documented request: version, host, method, path with its
/// query, headers (names in any case, order aside) and body.
fn request_key(case: &Case) -> String {
    let r = &case.request;
    let mut headers: Vec<(String, &str)> = r
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), h.value.trim()))
        .collect();
    headers.sort();
    let mut key = format!(
        "{:?} {:?} {} {}\n{headers:?}\n",
        case.version, r.host, r.method, r.path
    );
    match &r.body {
        None => key.push_str("no body"),
        Some(Body::Json(v)) => {
            key.push_str("json ");
            canonical(v, &mut key);
        }
        Some(Body::Text(t)) => {
            key.push_str("text ");
            key.push_str(t);
        }
    }
    key
}

/// An answer as `ambiguous-request` tells answers apart: its status and whether it has a body.
fn describe_answer(status: u16, body: bool) -> String {
    format!("{status} with {}", if body { "a body" } else { "no body" })
}

/// Examples of one page that send the same request but document answers no single server
/// state gives both (another status, or a body and none). Cases are grouped by request, and
/// each group keeps one example per distinct answer, so a page of thousands stays linear.
fn ambiguous_requests(cases: &[Case], display: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut answers: HashMap<String, Vec<(u16, bool, &Case)>> = HashMap::new();
    // Which of two such examples a server's state fails is the run's, so the earlier one is
    // reported too (once), citing the first that contradicts it.
    let mut cited: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for case in cases {
        let (status, body) = (case.response.status, case.response.body.is_some());
        let seen = answers.entry(request_key(case)).or_default();
        if let Some((st, b, other)) = seen.iter().find(|(st, b, _)| *st != status || *b != body) {
            // This one is reported here; it is not cited again as an earlier one.
            cited.insert(case.id.as_str());
            if cited.insert(other.id.as_str()) {
                diags.push(Diagnostic::new(
                    display,
                    other.response.line,
                    Severity::Warning,
                    Code::AmbiguousRequest,
                    format!(
                        "example `{}` sends the same request as example `{}` (line {}) but documents {}, where that one documents {}: no single server state answers both",
                        other.name,
                        case.name,
                        case.source.line,
                        describe_answer(*st, *b),
                        describe_answer(status, body)
                    ),
                ));
            }
            diags.push(Diagnostic::new(
                display,
                case.response.line,
                Severity::Warning,
                Code::AmbiguousRequest,
                format!(
                    "example `{}` sends the same request as example `{}` (line {}) but documents {}, where that one documents {}: no single server state answers both",
                    case.name,
                    other.name,
                    other.source.line,
                    describe_answer(status, body),
                    describe_answer(*st, *b)
                ),
            ));
        }
        if !seen.iter().any(|(st, b, _)| *st == status && *b == body) {
            seen.push((status, body, case));
        }
    }
    diags
}

/// Lints a case's answer against what the schemas say of it and of its request:
/// `echo-mismatch` and `missing-key`.
pub(crate) fn lint_answer_bodies(
    page: &Page,
    case: &Case,
    schemas: &SchemaSet,
    display: &str,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if !(200..300).contains(&case.response.status) || case.response.is_collection {
        return diags;
    }
    let Some(Body::Json(Value::Object(answer))) = &case.response.body else {
        return diags;
    };
    let located = body_text(page, case.response.line);
    let body_line = located
        .as_ref()
        .map_or(case.response.line, |(line, _)| *line);
    let locator = located.as_ref().map(|(_, text)| KeyLocator::new(text));
    let at = |pointer: &str| body_line + locator.as_ref().map_or(0, |l| l.line(pointer));

    let writes = crate::replay::checks::echo::writes(case);
    let sent = match &case.request.body {
        Some(Body::Json(v)) if writes => written_properties(case, v, schemas),
        _ => None,
    };
    for (k, want) in sent.unwrap_or_default() {
        // The doc may leave out what it does not mean to show: only what it shows can contradict.
        let Some(got) = answer.get(k.as_str()) else {
            continue;
        };
        let pointer = format!("/{}", escape(k));
        let Some(detail) = first_difference(want, got, &At::ROOT.key(k)) else {
            continue;
        };
        let (want_text, got_text) = (want.to_string(), got.to_string());
        // Where the difference lies deeper than the property, say where.
        let deeper = if detail == format!("{pointer}: sent {want_text}, got {got_text}") {
            String::new()
        } else {
            format!(" ({})", quote(&detail))
        };
        diags.push(Diagnostic::new(
            display,
            at(&pointer),
            Severity::Warning,
            Code::EchoMismatch,
            format!(
                "response example shows `{pointer}` as {} but the request sets {}{deeper}",
                quote(&got_text),
                quote(&want_text)
            ),
        ));
    }

    // One answering `$select` leaves the key out on purpose; a shortened example is still
    // reported: the key check then has nothing to judge by (it does not demand a key the
    // doc's own example leaves out).
    let r = &case.response;
    if selects(&case.request.path) {
        return diags;
    }
    let key = r
        .odata_type
        .as_deref()
        .and_then(|t| schemas.key_property(t).map(|k| (t, k)));
    if let Some((type_name, key)) = key
        && !answer.contains_key(key)
    {
        diags.push(Diagnostic::new(
                display,
                body_line,
                Severity::Warning,
                Code::MissingKey,
                format!(
                    "response example of a single {type_name} does not show its key `{key}`, which every entity answered carries"
                ),
            ));
    }
    diags
}

/// Whether a request path's query asks for `$select` (spelled with or without the `$`).
fn selects(path: &str) -> bool {
    let Some((_, query)) = path.split_once('?') else {
        return false;
    };
    query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or_default().trim();
        let name = name
            .strip_prefix('$')
            .or_else(|| name.strip_prefix("%24"))
            .unwrap_or(name);
        name.eq_ignore_ascii_case("select")
    })
}

#[cfg(test)]
mod tests {
    use crate::doc::Code;
    use crate::lint::fixtures::{found, line_of, pair, schemas};

    const JSON: &str = "Content-Type: application/json";

    #[test]
    fn a_body_without_a_content_type_is_reported_on_its_response_block() {
        let page = [
            pair(
                "bare",
                "GET /tags/1",
                "",
                "HTTP/1.1 200 OK\n\n{\"id\": \"1\"}",
            ),
            pair(
                "labelled",
                "GET /tags/2",
                "",
                "HTTP/1.1 200 OK\ncontent-type: application/json\n\n{\"id\": \"2\"}",
            ),
            pair("text", "GET /tags/3/$value", "", "HTTP/1.1 200 OK\n\nhello"),
            pair("empty", "GET /tags/4", "", "HTTP/1.1 200 OK"),
            // A body the status forbids is reported as that, not as one without a media type.
            pair(
                "forbidden",
                "PATCH /tags/5",
                "",
                "HTTP/1.1 204 No Content\n\n{\"id\": \"5\"}",
            ),
        ]
        .concat();
        let fence = |status: &str, n| line_of(&page, status, n) - 1;
        let at: Vec<usize> = found(&page, Code::MissingContentType, None)
            .into_iter()
            .map(|(line, message)| {
                assert!(message.contains("no `Content-Type` header"), "{message}");
                line
            })
            .collect();
        assert_eq!(
            at,
            vec![fence("HTTP/1.1 200 OK", 0), fence("HTTP/1.1 200 OK", 2)]
        );
    }

    #[test]
    fn a_body_on_a_status_that_has_none_is_reported_on_the_status_line() {
        let page = [
            pair(
                "no_content",
                "PATCH /tags/1",
                "",
                &format!("HTTP/1.1 204 No Content\n{JSON}\n\n{{\"id\": \"1\"}}"),
            ),
            pair(
                "not_modified",
                "GET /tags/1",
                "",
                "HTTP/1.1 304 Not Modified\n\n{}",
            ),
            pair("switching", "GET /tags/1", "", "HTTP/1.1 101\n\nhello"),
            pair("fine", "PATCH /tags/2", "", "HTTP/1.1 204 No Content"),
            pair(
                "ok",
                "PATCH /tags/3",
                "",
                &format!("HTTP/1.1 200 OK\n{JSON}\n\n{{}}"),
            ),
        ]
        .concat();
        // The extractor keeps the body the doc shows, whatever the status.
        let (cases, _) = crate::extract::extract_page("p.md", "p.md", &page);
        assert!(cases[0].response.body.is_some());
        let got = found(&page, Code::NoContentBody, None);
        let want = [
            (
                "HTTP/1.1 204 No Content",
                0,
                "{\"id\": \"1\"}",
                "documents 204 No Content but shows a body",
            ),
            (
                "HTTP/1.1 304",
                0,
                "{}",
                "documents 304 Not Modified but shows a body",
            ),
            ("HTTP/1.1 101", 0, "hello", "documents 101 but shows a body"),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((line, message), (status, n, body, says)) in got.iter().zip(want) {
            assert_eq!(*line, line_of(&page, status, n), "{message}");
            assert!(message.contains(says), "{message}");
            let body_line = line_of(&page, body, 0);
            assert!(
                message.contains(&format!("(line {body_line})")),
                "{message}"
            );
        }
    }

    #[test]
    fn one_request_documented_with_two_answers_is_ambiguous() {
        let ok = format!("HTTP/1.1 200 OK\n{JSON}\n\n{{\"id\": \"1\"}}");
        let page = [
            pair("found", "GET /tags/1", "", &ok),
            pair("missing", "GET /tags/1", "", "HTTP/1.1 404 Not Found"),
            // Another header makes another request; header names compare in any case.
            pair(
                "french",
                "GET /tags/1\nAccept-Language: fr",
                "",
                "HTTP/1.1 404 Not Found",
            ),
            pair(
                "french_again",
                "GET /tags/1\naccept-language: fr",
                "",
                "HTTP/1.1 404 Not Found",
            ),
            pair(
                "query",
                "GET /tags/1?$select=id",
                "",
                "HTTP/1.1 404 Not Found",
            ),
            // The same answer again is no new ambiguity, but it still contradicts `missing`.
            pair("found_again", "GET /tags/1", "", &ok),
            // Bodies compare by meaning: key order aside.
            pair(
                "create",
                &format!("POST /tags\n{JSON}\n\n{{\"a\": 1, \"b\": [2]}}"),
                "",
                &format!("HTTP/1.1 201 Created\n{JSON}\n\n{{\"id\": \"1\"}}"),
            ),
            pair(
                "create_bad",
                &format!("POST /tags\n{JSON}\n\n{{\"b\": [2], \"a\": 1}}"),
                "",
                &format!("HTTP/1.1 201 Created\n{JSON}"),
            ),
            pair(
                "create_other",
                &format!("POST /tags\n{JSON}\n\n{{\"a\": 2, \"b\": [2]}}"),
                "",
                "HTTP/1.1 400 Bad Request",
            ),
        ]
        .concat();
        let got = found(&page, Code::AmbiguousRequest, None);
        let request = |n: usize| line_of(&page, "```http", 2 * n);
        let response = |n: usize| line_of(&page, "```http", 2 * n + 1);
        assert_eq!(
            got,
            vec![
                (
                    response(0),
                    format!(
                        "example `found` sends the same request as example `missing` (line {}) but documents 200 with a body, where that one documents 404 with no body: no single server state answers both",
                        request(1)
                    )
                ),
                (
                    response(1),
                    format!(
                        "example `missing` sends the same request as example `found` (line {}) but documents 404 with no body, where that one documents 200 with a body: no single server state answers both",
                        request(0)
                    )
                ),
                (
                    response(5),
                    format!(
                        "example `found_again` sends the same request as example `missing` (line {}) but documents 200 with a body, where that one documents 404 with no body: no single server state answers both",
                        request(1)
                    )
                ),
                (
                    response(6),
                    format!(
                        "example `create` sends the same request as example `create_bad` (line {}) but documents 201 with a body, where that one documents 201 with no body: no single server state answers both",
                        request(7)
                    )
                ),
                (
                    response(7),
                    format!(
                        "example `create_bad` sends the same request as example `create` (line {}) but documents 201 with no body, where that one documents 201 with a body: no single server state answers both",
                        request(6)
                    )
                ),
            ]
        );
    }

    #[test]
    fn a_write_whose_answer_shows_other_values_than_it_sets_is_reported_per_property() {
        let schemas = schemas();
        let request = format!(
            "PATCH /tags/1\n{JSON}\n\n{{\n  \"displayName\": \"Finance\",\n  \"memberIds\": [\"a\", \"b\"],\n  \"settings\": {{\"color\": \"red\", \"size\": 2}},\n  \"dueDateTime\": \"2021-01-01T00:00:00Z\",\n  \"createdDateTime\": \"2021-01-01T00:00:00Z\",\n  \"undeclared\": 1,\n  \"@odata.etag\": \"x\"\n}}"
        );
        let answer = format!(
            "HTTP/1.1 200 OK\n{JSON}\n\n{{\n  \"id\": \"1\",\n  \"memberIds\": [],\n  \"displayName\": \"Financee\",\n  \"settings\": {{\"color\": \"red\", \"size\": null}},\n  \"dueDateTime\": \"2021-01-01T00:00:00.000Z\",\n  \"createdDateTime\": \"2022-02-02T00:00:00Z\",\n  \"undeclared\": 2\n}}"
        );
        let page = [
            pair("update", &request, ", \"@odata.type\": \"microsoft.graph.tag\"", &answer),
            // The answer may leave out what it does not mean to show.
            pair("partial", &request, ", \"@odata.type\": \"microsoft.graph.tag\"", &format!("HTTP/1.1 200 OK\n{JSON}\n\n{{\"id\": \"1\"}}")),
            pair("minimal", &request, "", "HTTP/1.1 204 No Content"),
            // An action's parameters are not the resource; a create's key is the service's.
            pair("action", &format!("POST /tags/1/rename\n{JSON}\n\n{{\"displayName\": \"x\"}}"), ", \"@odata.type\": \"microsoft.graph.tag\"", &format!("HTTP/1.1 200 OK\n{JSON}\n\n{{\"id\": \"1\", \"displayName\": \"y\"}}")),
            pair("create", &format!("POST /tags\n{JSON}\n\n{{\"@odata.type\": \"#microsoft.graph.tag\", \"id\": \"mine\", \"displayName\": \"x\"}}"), ", \"@odata.type\": \"microsoft.graph.tag\"", &format!("HTTP/1.1 201 Created\n{JSON}\n\n{{\"id\": \"1\",\n\"displayName\": \"y\"}}")),
        ]
        .concat();
        let got = found(&page, Code::EchoMismatch, Some(&schemas));
        assert_eq!(
            got,
            vec![
                (line_of(&page, "\"Financee\"", 0), "response example shows `/displayName` as \"Financee\" but the request sets \"Finance\"".to_string()),
                (line_of(&page, "\"memberIds\": []", 0), "response example shows `/memberIds` as [] but the request sets [\"a\",\"b\"] (/memberIds: sent 2 items, got 0)".to_string()),
                (line_of(&page, "\"size\": null", 0), "response example shows `/settings` as {\"color\":\"red\",\"size\":null} but the request sets {\"color\":\"red\",\"size\":2} (/settings: sent [\"size\"], missing from what came back)".to_string()),
                (line_of(&page, "\"displayName\": \"y\"", 1), "response example shows `/displayName` as \"y\" but the request sets \"x\"".to_string()),
            ]
        );
        // Without schemas nothing says which properties a write keeps.
        assert!(found(&page, Code::EchoMismatch, None).is_empty());
    }

    #[test]
    fn a_long_value_is_quoted_in_part() {
        let schemas = schemas();
        let long = "x".repeat(200);
        let page = pair(
            "update",
            &format!("PATCH /tags/1\n{JSON}\n\n{{\"displayName\": \"{long}\"}}"),
            ", \"@odata.type\": \"microsoft.graph.tag\"",
            &format!("HTTP/1.1 200 OK\n{JSON}\n\n{{\"id\": \"1\", \"displayName\": \"y\"}}"),
        );
        let got = found(&page, Code::EchoMismatch, Some(&schemas));
        assert_eq!(got.len(), 1, "{got:?}");
        let quoted = format!("\"{}…", "x".repeat(super::QUOTE_CHARS - 2));
        assert!(
            got[0].1.ends_with(&format!("the request sets {quoted}")),
            "{}",
            got[0].1
        );
    }

    #[test]
    fn a_complete_entity_without_its_key_is_reported() {
        let schemas = schemas();
        let tag = ", \"@odata.type\": \"microsoft.graph.tag\"";
        let body = |b: &str| format!("HTTP/1.1 200 OK\n{JSON}\n\n{b}");
        let page = [
            pair(
                "keyless",
                "GET /tags/1",
                tag,
                &body("{\n  \"displayName\": \"a\"\n}"),
            ),
            pair("keyed", "GET /tags/1", tag, &body("{\"id\": \"1\"}")),
            pair(
                "shortened",
                "GET /tags/1",
                &format!("{tag}, \"truncated\": true"),
                &body("{\"displayName\": \"b\"}"),
            ),
            pair(
                "selected",
                "GET /tags/1?$select=displayName",
                tag,
                &body("{\"displayName\": \"c\"}"),
            ),
            pair(
                "selected_too",
                "GET /tags/1?%24SELECT=displayName",
                tag,
                &body("{\"displayName\": \"d\"}"),
            ),
            // A complex type has no key.
            pair(
                "complex",
                "GET /tags/1/settings",
                ", \"@odata.type\": \"microsoft.graph.settings\"",
                &body("{\"color\": \"e\"}"),
            ),
            pair(
                "listing",
                "GET /tags",
                &format!("{tag}, \"isCollection\": true"),
                &body("{\"value\": [{\"displayName\": \"f\"}]}"),
            ),
            pair(
                "failed",
                "GET /tags/9",
                tag,
                "HTTP/1.1 404 Not Found\nContent-Type: application/json\n\n{\"error\": {}}",
            ),
        ]
        .concat();
        let got = found(&page, Code::MissingKey, Some(&schemas));
        let message = "response example of a single microsoft.graph.tag does not show its key `id`, which every entity answered carries";
        assert_eq!(
            got,
            vec![
                (
                    line_of(&page, "\"displayName\": \"a\"", 0) - 1,
                    message.to_string()
                ),
                // A shortened example is reported too: the key check has nothing to go by.
                (
                    line_of(&page, "\"displayName\": \"b\"", 0),
                    message.to_string()
                ),
            ]
        );
        assert!(found(&page, Code::MissingKey, None).is_empty());
    }

    #[test]
    fn select_is_read_from_the_query_only() {
        assert!(super::selects("/x?$top=1&$select=a"));
        assert!(super::selects("/x?select=a"));
        assert!(!super::selects("/x/select"));
        assert!(!super::selects("/x?$selected=a"));
        assert!(!super::selects("/x?$expand=a($select=b)"));
    }
}
