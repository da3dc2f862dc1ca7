//! Checks: judges one exchange against its case (status, headers, body schema, type, echo).

use serde_json::{Map, Value};

use crate::case::{Body, Case};
use crate::client::{Exchange, Prepared};
use crate::placeholder::is_annotation;
use crate::result::CheckResult;
use crate::schema::{display_pointer, escape, SchemaSet};

/// Most findings listed in one check message.
const MAX_FINDINGS: usize = 20;
/// Most lines of a diff kept in a report.
const MAX_DIFF_LINES: usize = 120;

/// `200 OK`-style text for a status code.
pub fn status_text(code: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason());
    match reason {
        Some(r) => format!("{code} {r}"),
        None => code.to_string(),
    }
}

/// How a status is compared with the documented one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusMatch {
    /// Only the documented status passes.
    #[default]
    Exact,
    /// Another status of the same class (2xx for 2xx) is a warning, not a failure.
    Class,
}

/// How strict the checks are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// A property the type does not declare fails the case instead of warning.
    pub strict: bool,
    /// How statuses are compared.
    pub status: StatusMatch,
}

/// Runs every check that applies to an exchange.
pub fn check_exchange(
    case: &Case,
    sent: &Prepared,
    got: &Exchange,
    schemas: &SchemaSet,
    opts: CheckOptions,
) -> Vec<CheckResult> {
    let mut out = vec![check_status(case, got, opts.status)];
    out.extend(check_content_type(case, got));
    out.extend(check_documented_headers(case, got));
    out.extend(check_prefer(case, got));
    if got.status != case.response.status {
        // The documented body describes the documented status; judging another status's
        // body against it would only repeat the status failure in other words.
        return out;
    }
    let body = match parse_body(case, got) {
        Ok(body) => body,
        Err(check) => {
            out.push(check);
            return out;
        }
    };
    if let Some(body) = &body {
        out.push(check_schema(case, body, schemas));
        out.extend(check_type(case, body, schemas));
        out.extend(check_unknown(case, body, schemas, opts));
        out.extend(check_coverage(case, body));
        out.extend(check_echo(case, sent, body, schemas));
    }
    out
}

/// The body uses no property its type does not declare (a warning unless strict: legal on an
/// open type, but a sign that docs and service drifted).
fn check_unknown(
    case: &Case,
    body: &Value,
    schemas: &SchemaSet,
    opts: CheckOptions,
) -> Option<CheckResult> {
    let type_name = case.response.odata_type.as_ref()?;
    if !schemas.has(type_name) {
        return None;
    }
    let instances: Vec<(String, &Value)> = if case.response.is_collection {
        body.get("value")?
            .as_array()?
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("/value/{i}"), v))
            .collect()
    } else {
        vec![(String::new(), body)]
    };
    let mut found = Vec::new();
    for (prefix, instance) in instances {
        for u in schemas.undeclared(type_name, instance) {
            found.push(format!(
                "{prefix}{}: `{}` is not declared by {}",
                u.pointer, u.property, u.type_name
            ));
        }
    }
    if found.is_empty() {
        return Some(CheckResult::pass(
            "unknown",
            format!("every property is declared by {type_name}"),
        ));
    }
    let total = found.len();
    found.truncate(MAX_FINDINGS);
    if total > MAX_FINDINGS {
        found.push(format!("… and {} more", total - MAX_FINDINGS));
    }
    let message = format!(
        "{total} undeclared propert{}:\n{}",
        if total == 1 { "y" } else { "ies" },
        found.join("\n")
    );
    Some(if opts.strict {
        CheckResult::fail("unknown", message)
    } else {
        CheckResult::warn("unknown", message)
    })
}

/// When the doc's example is not marked truncated, every property it shows is present.
fn check_coverage(case: &Case, body: &Value) -> Option<CheckResult> {
    if case.response.truncated {
        return None;
    }
    let Some(Body::Json(doc)) = &case.response.body else {
        return None;
    };
    let mut missing = Vec::new();
    missing_properties(doc, body, String::new(), &mut missing, 0);
    if missing.is_empty() {
        return Some(CheckResult::pass(
            "coverage",
            "every property the doc's example shows is present",
        ));
    }
    let diff = bounded_diff(&normalize(doc, true), &normalize(body, false));
    Some(
        CheckResult::fail(
            "coverage",
            format!(
                "the doc's example is not marked truncated, but {} of its properties are missing:\n{}",
                missing.len(),
                missing.join("\n")
            ),
        )
        .with_diff(Some(diff)),
    )
}

/// Pointers of properties (annotations aside) that `doc` shows and `got` lacks; arrays are
/// compared by their first item, since examples show one representative item.
fn missing_properties(doc: &Value, got: &Value, at: String, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match (doc, got) {
        (Value::Object(d), Value::Object(g)) => {
            for (k, v) in d.iter().filter(|(k, _)| !is_annotation(k)) {
                let here = format!("{at}/{}", escape(k));
                match g.get(k) {
                    None => out.push(here),
                    Some(gv) => missing_properties(v, gv, here, out, depth + 1),
                }
            }
        }
        (Value::Array(d), Value::Array(g)) => {
            if let (Some(dv), Some(gv)) = (d.first(), g.first()) {
                missing_properties(dv, gv, format!("{at}/0"), out, depth + 1);
            }
        }
        _ => {}
    }
}

/// A copy for diffs: keys sorted, annotation values and (on the doc side) placeholders marked.
pub fn normalize(v: &Value, doc_side: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| {
                        let val = if is_annotation(k) {
                            Value::from("‹annotation›")
                        } else {
                            normalize(&m[k.as_str()], doc_side)
                        };
                        (k.clone(), val)
                    })
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize(x, doc_side)).collect()),
        Value::String(s) if doc_side && crate::placeholder::is_placeholder_str(s) => {
            Value::from(format!("‹placeholder: {s}›"))
        }
        other => other.clone(),
    }
}

/// The status code is the documented one (or, by request, of its class).
fn check_status(case: &Case, got: &Exchange, mode: StatusMatch) -> CheckResult {
    let want = case.response.status;
    if got.status == want {
        CheckResult::pass("status", format!("{} as documented", status_text(want)))
    } else if mode == StatusMatch::Class && got.status / 100 == want / 100 {
        CheckResult::warn(
            "status",
            format!(
                "expected {}, got {} (same class, accepted with --status class)",
                status_text(want),
                status_text(got.status)
            ),
        )
    } else {
        CheckResult::fail(
            "status",
            format!(
                "expected {}, got {}",
                status_text(want),
                status_text(got.status)
            ),
        )
    }
}

/// Headers whose documented value is never compared or required: framing and per-exchange values.
const UNCOMPARED_HEADERS: [&str; 8] = [
    "content-length",
    "date",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "request-id",
    "client-request-id",
];

/// Whether a documented header value stands for "some value" (ids, URLs, ETags, templates).
fn is_placeholder_header(value: &str) -> bool {
    let has_guid = value
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .any(|w| w.len() == 36 && w.matches('-').count() == 4);
    crate::placeholder::is_placeholder_str(value)
        || value.contains(['{', '<', '"'])
        || value.contains("://")
        || value.contains("...")
        || has_guid
}

/// Comma-list items of a header's values, trimmed and lower-cased, all occurrences merged.
fn header_items(headers: &reqwest::header::HeaderMap, name: &str) -> Vec<String> {
    let mut items: Vec<String> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|i| i.trim().to_ascii_lowercase())
        .filter(|i| !i.is_empty())
        .collect();
    items.sort();
    items.dedup();
    items
}

/// Every documented response header (framing and per-exchange ones aside) is present, with the
/// documented value unless that value is a placeholder; comma lists compare as sets.
fn check_documented_headers(case: &Case, got: &Exchange) -> Vec<CheckResult> {
    if got.status != case.response.status {
        return Vec::new();
    }
    let mut out = Vec::new();
    for h in &case.response.headers {
        let name = h.name.to_ascii_lowercase();
        if UNCOMPARED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        if !got.headers.contains_key(name.as_str()) {
            out.push(CheckResult::fail(
                "header",
                format!("documented header `{}` is missing", h.name),
            ));
            continue;
        }
        if is_placeholder_header(&h.value) {
            out.push(CheckResult::pass(
                "header",
                format!(
                    "`{}` is present (documented value is a placeholder)",
                    h.name
                ),
            ));
            continue;
        }
        let mut want: Vec<String> = h
            .value
            .split(',')
            .map(|i| i.trim().to_ascii_lowercase())
            .filter(|i| !i.is_empty())
            .collect();
        want.sort();
        want.dedup();
        let have = header_items(&got.headers, &name);
        if want == have {
            out.push(CheckResult::pass(
                "header",
                format!("`{}: {}` as documented", h.name, h.value),
            ));
        } else {
            out.push(CheckResult::fail(
                "header",
                format!(
                    "`{}` is `{}`, documented `{}`",
                    h.name,
                    have.join(", "),
                    h.value
                ),
            ));
        }
    }
    out
}

/// RFC 7240: a `return=` preference is honoured by the answer's shape, and `Preference-Applied`,
/// when sent, names what was applied.
fn check_prefer(case: &Case, got: &Exchange) -> Option<CheckResult> {
    let prefer = case.request_header("prefer")?.to_ascii_lowercase();
    let asked = if prefer.contains("return=representation") {
        "return=representation"
    } else if prefer.contains("return=minimal") {
        "return=minimal"
    } else {
        return None;
    };
    if !(200..300).contains(&got.status) {
        return None;
    }
    let has_body = !got.body.is_empty();
    let applied = header_items(&got.headers, "preference-applied");
    let applied_return = applied.iter().find(|i| i.starts_with("return="));
    match asked {
        "return=representation" if !has_body => {
            return Some(CheckResult::fail(
                "prefer",
                format!(
                    "`Prefer: {asked}` was sent but {} has no representation",
                    status_text(got.status)
                ),
            ))
        }
        "return=minimal" if has_body => {
            return Some(CheckResult::fail(
                "prefer",
                format!(
                    "`Prefer: {asked}` was sent but the answer has a {}-byte body",
                    got.body.len()
                ),
            ))
        }
        _ => {}
    }
    Some(match applied_return {
        Some(a) if a.replace(' ', "") != asked => CheckResult::fail(
            "prefer",
            format!("Preference-Applied says `{a}`, but `{asked}` was requested and honoured"),
        ),
        Some(_) => CheckResult::pass(
            "prefer",
            format!("`{asked}` honoured and named in Preference-Applied"),
        ),
        None => CheckResult::warn(
            "prefer",
            format!("`{asked}` was honoured but Preference-Applied does not say so"),
        ),
    })
}

/// The media type the doc leads us to expect for the body, if any.
fn expected_media_type(case: &Case) -> Option<String> {
    if let Some(ct) = case.response_header("content-type") {
        if let Ok(m) = ct.parse::<mime::Mime>() {
            return Some(m.essence_str().to_ascii_lowercase());
        }
    }
    match case.response.body {
        Some(Body::Json(_)) => Some("application/json".into()),
        _ if case.response.odata_type.is_some() && case.response.status != 204 => {
            Some("application/json".into())
        }
        _ => None,
    }
}

/// A body has a Content-Type of the documented media type; 204 and 304 have no body.
fn check_content_type(case: &Case, got: &Exchange) -> Option<CheckResult> {
    if got.status == 204 || got.status == 304 {
        // HTTP clients drop a body that follows a 204, so its framing headers are the
        // only trace of one.
        let declared = got
            .headers
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.trim() != "0");
        let chunked = got.headers.contains_key(reqwest::header::TRANSFER_ENCODING);
        return if !got.body.is_empty() {
            Some(CheckResult::fail(
                "header",
                format!(
                    "{} must not carry a body, got {} bytes",
                    status_text(got.status),
                    got.body.len()
                ),
            ))
        } else if let Some(len) = declared {
            Some(CheckResult::fail(
                "header",
                format!(
                    "{} must not carry a body, but Content-Length is {len}",
                    status_text(got.status)
                ),
            ))
        } else if chunked {
            Some(CheckResult::fail(
                "header",
                format!(
                    "{} must not carry a body, but Transfer-Encoding is set",
                    status_text(got.status)
                ),
            ))
        } else {
            None
        };
    }
    if got.body.is_empty() {
        return None;
    }
    let Some(raw) = got.headers.get(reqwest::header::CONTENT_TYPE) else {
        return Some(CheckResult::fail(
            "header",
            format!(
                "response has a {}-byte body but no Content-Type",
                got.body.len()
            ),
        ));
    };
    let text = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    let Ok(actual) = text.parse::<mime::Mime>() else {
        return Some(CheckResult::fail(
            "header",
            format!("Content-Type `{text}` is not a media type"),
        ));
    };
    let essence = actual.essence_str().to_ascii_lowercase();
    if let Some(want) = expected_media_type(case) {
        if essence != want {
            return Some(CheckResult::fail(
                "header",
                format!("Content-Type is `{essence}`, expected `{want}`"),
            ));
        }
    }
    let is_json = actual.subtype() == mime::JSON || actual.suffix() == Some(mime::JSON);
    if let Some(charset) = actual.get_param(mime::CHARSET) {
        if is_json && !charset.as_str().eq_ignore_ascii_case("utf-8") {
            return Some(CheckResult::fail(
                "header",
                format!("JSON must be UTF-8, Content-Type says charset={charset}"),
            ));
        }
    }
    Some(CheckResult::pass(
        "header",
        format!("Content-Type `{text}` has media type `{essence}`"),
    ))
}

/// The actual body as JSON, when the doc expects JSON; a failed check when it is missing or not JSON.
fn parse_body(case: &Case, got: &Exchange) -> Result<Option<Value>, CheckResult> {
    let expects_json = expected_media_type(case).is_some_and(|m| m.contains("json"));
    if !expects_json {
        return Ok(None);
    }
    if got.body.is_empty() {
        return Err(CheckResult::fail(
            "schema",
            "expected a JSON body, got an empty body",
        ));
    }
    serde_json::from_slice(&got.body).map(Some).map_err(|e| {
        CheckResult::fail(
            "schema",
            format!(
                "body is not JSON: {e} (at line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

/// The body is valid against the response type's schema.
fn check_schema(case: &Case, body: &Value, schemas: &SchemaSet) -> CheckResult {
    let Some(type_name) = &case.response.odata_type else {
        return CheckResult::warn(
            "schema",
            "the doc names no response type (no @odata.type), so the body was not validated",
        );
    };
    let (instances, label): (Vec<(String, &Value)>, _) = if case.response.is_collection {
        match body.get("value").and_then(Value::as_array) {
            Some(items) => (
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("/value/{i}"), v))
                    .collect(),
                format!("collection of {type_name}"),
            ),
            None => {
                return CheckResult::fail(
                    "schema",
                    format!(
                        "expected a collection of {type_name} in `value`, found no `value` array"
                    ),
                )
            }
        }
    } else {
        (vec![(String::new(), body)], type_name.clone())
    };
    let mut findings = Vec::new();
    let is_entity = schemas
        .get(type_name)
        .and_then(|s| s.get("x-kind"))
        .is_some_and(|k| k == "entity");
    for (prefix, instance) in instances {
        // An entity's representation always carries its key; the schema cannot say so because
        // request bodies legitimately omit it.
        if is_entity && instance.is_object() && instance.get("id").is_none() {
            findings.push((
                format!("{prefix}/id"),
                "the entity's key `id` is missing".to_string(),
            ));
        }
        match schemas.validate(type_name, instance) {
            Ok(f) => findings.extend(
                f.into_iter()
                    .map(|f| (format!("{prefix}{}", f.pointer), f.message)),
            ),
            Err(e) => {
                return CheckResult::fail("schema", format!("cannot validate: {e} in schemas/"))
            }
        }
    }
    if findings.is_empty() {
        return CheckResult::pass("schema", format!("body is a valid {label}"));
    }
    let total = findings.len();
    let mut lines: Vec<String> = findings
        .into_iter()
        .take(MAX_FINDINGS)
        .map(|(p, m)| format!("{}: {m}", display_pointer(&p)))
        .collect();
    if total > MAX_FINDINGS {
        lines.push(format!("… and {} more", total - MAX_FINDINGS));
    }
    let diff = match &case.response.body {
        Some(Body::Json(doc)) => Some(bounded_diff(&normalize(doc, true), &normalize(body, false))),
        _ => None,
    };
    CheckResult::fail(
        "schema",
        format!("body is not a valid {label}:\n{}", lines.join("\n")),
    )
    .with_diff(diff)
}

/// An `@odata.type` in the body names the expected type or one derived from it.
fn check_type(case: &Case, body: &Value, schemas: &SchemaSet) -> Option<CheckResult> {
    let want = case.response.odata_type.as_ref()?;
    if case.response.is_collection {
        return None;
    }
    let got = body.get("@odata.type")?;
    let Some(got) = got.as_str() else {
        return Some(CheckResult::fail(
            "type",
            format!("@odata.type is {got}, not a string"),
        ));
    };
    let got_name = got.trim_start_matches('#');
    if schemas.is_derived_from(got_name, want) {
        Some(CheckResult::pass(
            "type",
            format!("@odata.type `{got}` is a {want}"),
        ))
    } else {
        Some(CheckResult::fail(
            "type",
            format!("@odata.type is `{got}`, expected {want} or a type derived from it"),
        ))
    }
}

/// Each property sent comes back equal when the answer is a representation; read-only
/// properties, which a service may ignore on write, are not expected back.
fn check_echo(
    case: &Case,
    sent: &Prepared,
    body: &Value,
    schemas: &SchemaSet,
) -> Option<CheckResult> {
    let written_type = crate::case::request_type(case);
    let writable = |k: &str| {
        written_type
            .as_deref()
            .is_none_or(|t| !schemas.is_read_only(t, k))
    };
    let sent_obj = sent.json.as_ref()?.as_object()?;
    if !matches!(sent.method.as_str(), "PATCH" | "PUT" | "POST") {
        return None;
    }
    let got = body.as_object()?;
    let sent_props: Vec<(&String, &Value)> = sent_obj
        .iter()
        .filter(|(k, _)| !is_annotation(k) && writable(k))
        .collect();
    if sent_props.is_empty() {
        return None;
    }
    let mut problems = Vec::new();
    let mut want_view = Map::new();
    let mut got_view = Map::new();
    for (k, v) in &sent_props {
        want_view.insert((*k).clone(), strip_annotations(v));
        match got.get(*k) {
            None => problems.push(format!(
                "/{}: sent {}, missing from the answer",
                escape(k),
                v
            )),
            Some(g) => {
                got_view.insert((*k).clone(), strip_annotations(g));
                if let Some(at) = first_difference(v, g, format!("/{}", escape(k))) {
                    problems.push(at);
                }
            }
        }
    }
    if problems.is_empty() {
        return Some(CheckResult::pass(
            "echo",
            format!(
                "{} propert{} sent came back equal",
                sent_props.len(),
                if sent_props.len() == 1 { "y" } else { "ies" }
            ),
        ));
    }
    let diff = bounded_diff(&Value::Object(want_view), &Value::Object(got_view));
    Some(
        CheckResult::fail(
            "echo",
            format!(
                "{} of {} properties sent did not come back equal:\n{}",
                problems.len(),
                sent_props.len(),
                problems.join("\n")
            ),
        )
        .with_diff(Some(diff)),
    )
}

/// A copy without instance annotations, for display.
fn strip_annotations(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !is_annotation(k))
                .map(|(k, v)| (k.clone(), strip_annotations(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_annotations).collect()),
        other => other.clone(),
    }
}

/// Where two values differ in meaning (annotations ignored, numbers by value, date-times by instant).
pub fn first_difference(want: &Value, got: &Value, at: String) -> Option<String> {
    let here = || format!("{}: sent {}, got {}", display_pointer(&at), want, got);
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            // A null property and an absent one say the same thing: "not set".
            let keys = |m: &Map<String, Value>| {
                let mut k: Vec<String> = m
                    .iter()
                    .filter(|(k, v)| !is_annotation(k) && !v.is_null())
                    .map(|(k, _)| k.clone())
                    .collect();
                k.sort();
                k
            };
            if keys(a) != keys(b) {
                return Some(format!(
                    "{}: sent keys {:?}, got keys {:?}",
                    display_pointer(&at),
                    keys(a),
                    keys(b)
                ));
            }
            a.iter()
                .filter(|(k, v)| !is_annotation(k) && !v.is_null())
                .find_map(|(k, v)| {
                    first_difference(v, &b[k.as_str()], format!("{at}/{}", escape(k)))
                })
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!(
                    "{}: sent {} items, got {}",
                    display_pointer(&at),
                    a.len(),
                    b.len()
                ));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y, format!("{at}/{i}")))
        }
        (Value::Number(a), Value::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            };
            (!same).then(here)
        }
        (Value::String(a), Value::String(b)) => {
            if a == b {
                return None;
            }
            match (
                chrono::DateTime::parse_from_rfc3339(a),
                chrono::DateTime::parse_from_rfc3339(b),
            ) {
                (Ok(x), Ok(y)) if x == y => None,
                _ => Some(here()),
            }
        }
        _ => (want != got).then(here),
    }
}

/// A unified diff of two JSON values, keys sorted, cut to a bounded length.
pub fn bounded_diff(want: &Value, got: &Value) -> String {
    let render = |v: &Value| {
        let mut s = serde_json::to_string_pretty(&normalize(v, false)).unwrap_or_default();
        s.push('\n');
        s
    };
    let (a, b) = (render(want), render(got));
    let diff = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    let lines: Vec<&str> = diff.lines().collect();
    if lines.len() <= MAX_DIFF_LINES {
        return diff;
    }
    let mut cut = lines[..MAX_DIFF_LINES].join("\n");
    cut.push_str(&format!(
        "\n… diff cut: {} more lines\n",
        lines.len() - MAX_DIFF_LINES
    ));
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compares_by_meaning() {
        let d = |a: Value, b: Value| first_difference(&a, &b, String::new());
        assert_eq!(
            d(json!({"a": 1, "@odata.type": "x"}), json!({"a": 1.0})),
            None
        );
        assert_eq!(
            d(
                json!("2016-12-31T23:58:05.5931807+03:00"),
                json!("2016-12-31T20:58:05.5931807Z")
            ),
            None
        );
        assert_eq!(d(json!([{"b": true, "@x": 1}]), json!([{"b": true}])), None);
        assert!(
            d(json!({"a": [1, 2]}), json!({"a": [1, 3]})).is_some_and(|m| m.starts_with("/a/1:"))
        );
        assert!(d(json!({"a": 1}), json!({"a": 1, "b": 2})).is_some());
        assert_eq!(d(json!({"a": 1}), json!({"a": 1, "b": null})), None);
        assert_eq!(d(json!({"a": 1, "c": null}), json!({"a": 1})), None);
        assert!(d(json!("true"), json!(true)).is_some());
        assert!(d(json!(1), json!("1")).is_some());
    }

    #[test]
    fn diff_is_sorted_and_bounded() {
        let diff = bounded_diff(&json!({"b": 1, "a": 2}), &json!({"a": 2, "b": 3}));
        assert!(diff.contains("-  \"b\": 1\n+  \"b\": 3"), "{diff}");
        let big_a = Value::Array((0..500).map(Value::from).collect());
        let big_b = Value::Array((0..500).map(|i| Value::from(i * 2 + 1000)).collect());
        let long = bounded_diff(&big_a, &big_b);
        assert!(long.lines().count() <= MAX_DIFF_LINES + 1);
        assert!(long.contains("diff cut"));
    }
}
