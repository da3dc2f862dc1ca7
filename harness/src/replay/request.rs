//! Requests: a case turned into the request to send, parameters filled in.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::params::ParamValues;
use crate::model::case::{Body, Case};

/// Why a case cannot be turned into a request.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// A path parameter has no value.
    #[error(
        "case `{case}`: path parameter `{param}` has no value; give it with --param {param}=VALUE"
    )]
    MissingParam {
        /// The case id.
        case: String,
        /// The parameter name.
        param: String,
    },
    /// A documented header cannot be sent as written.
    #[error("case `{case}`: header `{name}` cannot be sent: {why}")]
    BadHeader {
        /// The case id.
        case: String,
        /// The header name.
        name: String,
        /// Why not.
        why: String,
    },
    /// A request path is not relative to the target's root.
    #[error("case `{case}`: {why}")]
    BadPath {
        /// The case id.
        case: String,
        /// Why not.
        why: String,
    },
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// HTTP method.
    pub method: http::Method,
    /// The concrete path (parameters filled in), relative to the target's root.
    pub path: String,
    /// Headers to send (without Authorization, which the transport adds).
    pub headers: HeaderMap,
    /// The JSON body sent, if the body is JSON (after placeholder repair).
    pub json: Option<Value>,
    /// The raw body bytes.
    pub body: Option<Vec<u8>>,
}

impl Prepared {
    /// A GET of a path that accepts JSON, such as a read-back.
    pub fn get(path: &str) -> Prepared {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        Prepared {
            method: http::Method::GET,
            path: path.split('?').next().unwrap_or_default().to_string(),
            headers,
            json: None,
            body: None,
        }
    }
}

/// Headers never sent as documented: computed by the transport, or secret.
const NOT_FORWARDED: [&str; 4] = ["content-length", "host", "authorization", "connection"];

/// Fills path parameters, percent-encoding each value for its place.
pub fn fill_path(case: &Case, params: &impl ParamValues) -> Result<String, PrepareError> {
    // Every declared parameter needs a value, whether or not the path shows it.
    let mut values: Vec<(&str, &str)> = Vec::with_capacity(case.request.params.len());
    for name in &case.request.params {
        let value = params
            .value(name)
            .ok_or_else(|| PrepareError::MissingParam {
                case: case.id.clone(),
                param: name.clone(),
            })?;
        values.push((name, value));
    }
    // One pass over the template: each `{name}` of a declared parameter becomes its encoded
    // value; other braces stay as they are. An encoded value holds no brace, so no value is
    // read as a parameter in turn.
    let template = case.request.path.as_str();
    let mut path = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, value) = values.iter().find(|(n, _)| *n == name)?;
            Some((*value, close))
        });
        match filled {
            Some((value, close)) => {
                path.extend(percent_encoding::utf8_percent_encode(value, PATH_VALUE));
                rest = &after[close + 1..];
            }
            None => {
                path.push('{');
                rest = after;
            }
        }
    }
    path.push_str(rest);
    Ok(path)
}

/// What a parameter value keeps unescaped: RFC 3986 unreserved characters only, so that a
/// value never adds a segment, a query or a fragment.
pub(crate) const PATH_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The method, path and headers of a case's request (parameters filled, documented headers
/// kept): what [`prepare`] can refuse, without building the body.
pub fn prepare_head(
    case: &Case,
    params: &impl ParamValues,
) -> Result<(http::Method, String, HeaderMap), PrepareError> {
    let method = case.request.method.to_http();
    crate::model::case::check_request_path(&case.request.path).map_err(|why| {
        PrepareError::BadPath {
            case: case.id.clone(),
            why,
        }
    })?;
    let path = fill_path(case, params)?;
    let mut headers = HeaderMap::new();
    for h in &case.request.headers {
        if NOT_FORWARDED.contains(&h.name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let bad = |why: String| PrepareError::BadHeader {
            case: case.id.clone(),
            name: h.name.clone(),
            why,
        };
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|e| bad(e.to_string()))?;
        let value = HeaderValue::from_str(&h.value).map_err(|e| bad(e.to_string()))?;
        headers.append(name, value);
    }
    Ok((method, path, headers))
}

/// Builds the request for a case: parameters filled, body as given, documented headers kept.
pub fn prepare(
    case: &Case,
    params: &impl ParamValues,
    json: Option<Value>,
) -> Result<Prepared, PrepareError> {
    let (method, path, mut headers) = prepare_head(case, params)?;
    let body = match (&json, &case.request.body) {
        (Some(v), _) => Some(serde_json::to_vec(v).unwrap_or_default()),
        (None, Some(Body::Text(t))) => Some(t.clone().into_bytes()),
        (None, Some(Body::Json(v))) => Some(serde_json::to_vec(v).unwrap_or_default()),
        (None, None) => None,
    };
    if body.is_some() && !headers.contains_key(http::header::CONTENT_TYPE) {
        let ct = if json.is_some() || matches!(case.request.body, Some(Body::Json(_))) {
            "application/json"
        } else {
            "text/plain"
        };
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    Ok(Prepared {
        method,
        path,
        headers,
        json,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::{Header, Request, Response, Source};

    fn case() -> Case {
        Case {
            id: "p.x".into(),
            name: "x".into(),
            source: Source {
                file: "p.md".into(),
                line: 1,
            },
            version: None,
            request: Request {
                method: crate::model::case::Method::Patch,
                path: "/things/{id}".into(),
                params: vec!["id".into()],
                host: None,
                headers: vec![
                    Header {
                        name: "Content-Length".into(),
                        value: "924".into(),
                    },
                    Header {
                        name: "Authorization".into(),
                        value: "Bearer {token}".into(),
                    },
                    Header {
                        name: "Prefer".into(),
                        value: "return=representation".into(),
                    },
                ],
                body: Some(Body::Json(serde_json::json!({"a": 1}))),
                line: 1,
                annotation: Default::default(),
            },
            response: Response {
                status: 200,
                reason: None,
                headers: vec![],
                body: None,
                odata_type: None,
                is_collection: false,
                truncated: false,
                line: 2,
                annotation: Default::default(),
            },
        }
    }

    #[test]
    fn prepares_without_doc_secrets_or_lengths() {
        let mut params = std::collections::BTreeMap::new();
        let err = prepare(&case(), &params, None).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("case `p.x`: path parameter `id` has no value; give it with --param id=VALUE")
        );
        params.insert("id".into(), "a b/c?d#é".into());
        let p = match prepare(&case(), &params, None) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(p.path, "/things/a%20b%2Fc%3Fd%23%C3%A9");
        assert!(p.headers.get("authorization").is_none());
        assert!(p.headers.get("content-length").is_none());
        assert_eq!(
            p.headers.get("prefer").map(|v| v.as_bytes()),
            Some(&b"return=representation"[..])
        );
        assert_eq!(
            p.headers.get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
        assert_eq!(p.body.as_deref(), Some(&b"{\"a\":1}"[..]));
    }

    #[test]
    fn fills_every_declared_parameter_and_leaves_other_braces() {
        let fill = |path: &str, declared: &[&str], given: &[(&str, &str)]| {
            let mut c = case();
            c.request.path = path.into();
            c.request.params = declared.iter().map(|n| n.to_string()).collect();
            let values: std::collections::BTreeMap<String, String> = given
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            fill_path(&c, &values).map_err(|e| e.to_string())
        };
        let v = [("id", "{x}"), ("x", "X"), ("g", "g1")];
        // A name used twice gets its value twice; a value's braces are encoded, never filled.
        assert_eq!(
            fill("/groups/{id}/threads/{id}?$filter={x}", &["id"], &v),
            Ok("/groups/%7Bx%7D/threads/%7Bx%7D?$filter={x}".into())
        );
        assert_eq!(
            fill("/a('{g}')/{{x}}/{unclosed", &["g", "x"], &v),
            Ok("/a('g1')/{X}/{unclosed".into())
        );
        // Every declared parameter needs a value, even one the path does not show.
        assert!(fill("/a/{g}", &["g", "missing"], &v).is_err_and(|e| e.contains("`missing`")));
    }
}
