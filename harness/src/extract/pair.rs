//! Request and response blocks read into the halves of a case.

use serde_json::Value;

use crate::doc::http::{self, split_message, split_url};
use crate::doc::{self, Annotation, Block, Code, Diagnostic, Severity};
use crate::model::case::{self, Body, Request, Response};

/// Reads a request block; `None` (with a diagnostic) when it has no request line.
pub(super) fn read_request(
    block: &Block,
    annotation: &Annotation,
    display: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Request, Option<String>)> {
    let diag = |line, severity, code, message: String| {
        Diagnostic::new(display, line, severity, code, message)
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
pub(super) fn read_response(
    block: &Block,
    annotation: &Annotation,
    display: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Response> {
    let diag = |line, severity, code, message: String| {
        Diagnostic::new(display, line, severity, code, message)
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
            Some(Body::Json(v)) => crate::model::case::named_type(v).map(str::to_string),
            _ => None,
        })
        .filter(|t| !t.is_empty());
    // `"@odata.type": "Collection(microsoft.graph.x)"` says in one key what isCollection says in two.
    let (odata_type, in_collection) = match odata_type {
        Some(t) if t.to_ascii_lowercase().starts_with("collection(") && t.ends_with(')') => (
            Some(
                t["Collection(".len()..t.len() - 1]
                    .trim_start_matches('#')
                    .to_string(),
            ),
            true,
        ),
        other => (other, false),
    };
    let mut is_collection = in_collection || annotation.flag("isCollection");
    // `{"value": [...]}` with annotations beside it is a listing, whatever the annotation says.
    let listing = matches!(&body, Some(Body::Json(Value::Object(m)))
        if m.get("value").is_some_and(Value::is_array)
            && m.keys().all(|k| k == "value" || k.starts_with('@')));
    if listing && !is_collection && odata_type.is_some() {
        diags.push(Diagnostic::new(
            display,
            block.line,
            Severity::Warning,
            Code::CollectionShape,
            format!(
                "the example is a collection of {} (a `value` array) but the annotation does not say `isCollection`; read as a collection",
                odata_type.as_deref().unwrap_or_default()
            ),
        ));
        is_collection = true;
    }
    Some(Response {
        status,
        reason,
        headers: msg.headers,
        body,
        odata_type,
        is_collection,
        truncated: annotation.flag("truncated"),
        line: block.line,
        annotation: annotation.map.clone(),
    })
}

fn push_problems(msg: &http::RawMessage, display: &str, diags: &mut Vec<Diagnostic>) {
    diags.extend(msg.problems.iter().map(|p| {
        Diagnostic::new(
            display,
            p.line,
            Severity::Warning,
            p.code,
            p.message.clone(),
        )
    }));
}

/// Reads a message body: JSON when the content type or the text says so, else text.
fn read_body(msg: &http::RawMessage, display: &str, diags: &mut Vec<Diagnostic>) -> Option<Body> {
    let text = msg.body.as_ref()?;
    let diag = |line, severity, code, message: String| {
        Diagnostic::new(display, line, severity, code, message)
    };
    if let Some(claimed) = case::find_header(&msg.headers, "content-length")
        && let Ok(n) = claimed.trim().parse::<usize>()
    {
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
    let content_type = case::find_header(&msg.headers, "content-type").unwrap_or("");
    let looks_json = crate::http::media::names_json(content_type)
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
