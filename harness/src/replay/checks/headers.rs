//! Header checks: media type and framing, documented headers, `Prefer`.

use crate::http::{MediaType, Preferences, Return};
use crate::model::case::Case;
use crate::model::result::{CheckKind, CheckResult};
use crate::replay::transport::Exchange;

use super::{Documented, status_text};

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

/// Whether a status never carries content (RFC 9110 §15.3.5, §15.4.5).
pub(super) fn is_bodiless(status: u16) -> bool {
    status == 204 || status == 304
}

/// The media type the doc leads us to expect for a body, if any: the documented
/// `Content-Type`, else JSON when the doc shows a JSON body or names the answer's type.
/// Worked out once per answer judged (two checks ask).
pub(super) fn expected_media_type<'a>(doc: &'a Documented<'_>) -> Option<&'a str> {
    doc.expected_media_type
        .get_or_init(|| expected_media_type_of(doc))
        .as_deref()
}

fn expected_media_type_of(doc: &Documented<'_>) -> Option<String> {
    let case = doc.case;
    if let Some(ct) = case.response_header("content-type")
        && let Ok(m) = MediaType::parse(ct)
    {
        return Some(m.essence().to_string());
    }
    if doc.is_json() || super::answer_type(case).is_some() {
        Some("application/json".into())
    } else {
        None
    }
}

/// A body has a Content-Type (of the documented media type when the status is of the
/// documented class); 204 and 304 have no body.
pub(super) fn check_content_type(
    doc: &Documented<'_>,
    got: &Exchange,
    same_class: bool,
) -> Option<CheckResult> {
    if is_bodiless(got.status) {
        // HTTP clients drop a body that follows a 204, so its framing headers are the
        // only trace of one.
        let declared = got
            .headers
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.trim() != "0");
        let chunked = got.headers.contains_key(reqwest::header::TRANSFER_ENCODING);
        let status = status_text(got.status);
        return if !got.body.is_empty() {
            Some(CheckResult::fail(
                CheckKind::Header,
                format!(
                    "{status} must not carry a body, got {} bytes",
                    got.body.len()
                ),
            ))
        } else if let Some(len) = declared {
            Some(CheckResult::fail(
                CheckKind::Header,
                format!("{status} must not carry a body, but Content-Length is {len}"),
            ))
        } else if chunked {
            Some(CheckResult::fail(
                CheckKind::Header,
                format!("{status} must not carry a body, but Transfer-Encoding is set"),
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
            CheckKind::Header,
            format!(
                "response has a {}-byte body but no Content-Type",
                got.body.len()
            ),
        ));
    };
    let text = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    let actual = match MediaType::parse(&text) {
        Ok(m) => m,
        Err(e) => return Some(CheckResult::fail(CheckKind::Header, e.to_string())),
    };
    if same_class
        && let Some(want) = expected_media_type(doc)
        && actual.essence() != want
    {
        return Some(CheckResult::fail(
            CheckKind::Header,
            format!("Content-Type is `{}`, expected `{want}`", actual.essence()),
        ));
    }
    if actual.is_json() && !actual.charset_is_utf8() {
        return Some(CheckResult::fail(
            CheckKind::Header,
            format!(
                "JSON must be UTF-8, Content-Type says charset={}",
                actual.param("charset").unwrap_or_default()
            ),
        ));
    }
    Some(CheckResult::pass(
        CheckKind::Header,
        format!(
            "Content-Type `{text}` has media type `{}`",
            actual.essence()
        ),
    ))
}

/// Headers whose value names the resource a request made or acts on: the doc's value is an
/// example of one, so only their presence is checked.
const RESOURCE_HEADERS: [&str; 5] = [
    "location",
    "content-location",
    "operation-location",
    "odata-entityid",
    "azure-asyncoperation",
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
pub(super) fn check_documented_headers(case: &Case, got: &Exchange) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for h in &case.response.headers {
        let name = h.name.to_ascii_lowercase();
        if UNCOMPARED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        if !got.headers.contains_key(name.as_str()) {
            out.push(CheckResult::fail(
                CheckKind::Header,
                format!("documented header `{}` is missing", h.name),
            ));
            continue;
        }
        if is_placeholder_header(&h.value) || RESOURCE_HEADERS.contains(&name.as_str()) {
            out.push(CheckResult::pass(
                CheckKind::Header,
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
                CheckKind::Header,
                format!("`{}: {}` as documented", h.name, h.value),
            ));
        } else {
            out.push(CheckResult::fail(
                CheckKind::Header,
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

/// RFC 7240: a `return` preference is honoured by the answer's shape, and `Preference-Applied`,
/// when sent, names what was applied. Both headers are read by the RFC grammar.
pub(super) fn check_prefer(case: &Case, got: &Exchange) -> Option<CheckResult> {
    let asked = case
        .request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("prefer"))
        .map(|h| h.value.as_str());
    // A Prefer the doc wrote malformed asks for nothing we can judge.
    let asked = Preferences::parse(asked).ok()?.return_()?;
    // `return` shapes the answer to a write; on a GET (a delta query) `return=minimal` means
    // "changed properties only", still with a body.
    if case.request.method == crate::model::case::Method::Get {
        return None;
    }
    if !(200..300).contains(&got.status) {
        return None;
    }
    let has_body = !got.body.is_empty();
    match asked {
        Return::Representation if !has_body => {
            return Some(CheckResult::fail(
                CheckKind::Prefer,
                format!(
                    "`Prefer: {}` was sent but {} has no representation",
                    asked.as_header(),
                    status_text(got.status)
                ),
            ));
        }
        Return::Minimal if has_body => {
            return Some(CheckResult::fail(
                CheckKind::Prefer,
                format!(
                    "`Prefer: {}` was sent but the answer has a {}-byte body",
                    asked.as_header(),
                    got.body.len()
                ),
            ));
        }
        _ => {}
    }
    let lines: Vec<&str> = got
        .headers
        .get_all("preference-applied")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let applied = match Preferences::parse(lines.iter().copied()) {
        Ok(p) => p,
        Err(e) => {
            return Some(CheckResult::fail(
                CheckKind::Prefer,
                format!("Preference-Applied {e}"),
            ));
        }
    };
    Some(match applied.get("return") {
        Some(_) if applied.return_() != Some(asked) => CheckResult::fail(
            CheckKind::Prefer,
            format!(
                "Preference-Applied says `{}`, but `{}` was requested and honoured",
                lines.join(", "),
                asked.as_header()
            ),
        ),
        Some(_) => CheckResult::pass(
            CheckKind::Prefer,
            format!(
                "`{}` honoured and named in Preference-Applied",
                asked.as_header()
            ),
        ),
        None => CheckResult::warn(
            CheckKind::Prefer,
            format!(
                "`{}` was honoured but Preference-Applied does not say so",
                asked.as_header()
            ),
        ),
    })
}
