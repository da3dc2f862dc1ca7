//! Reads the HTTP messages inside documented request and response blocks.

use crate::model::case::{Header, Method};

/// A problem found in a message, with the 1-based line (relative to the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageProblem {
    /// Line in the page.
    pub line: usize,
    /// Which kind of problem.
    pub code: super::Code,
    /// What is wrong.
    pub message: String,
}

/// The head lines and raw body of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The first (start) line.
    pub start: String,
    /// Line of the start line in the page.
    pub start_line: usize,
    /// Header fields in order.
    pub headers: Vec<Header>,
    /// The body text with LF line ends, no trailing newline; `None` when empty.
    pub body: Option<String>,
    /// Line of the body's first line in the page.
    pub body_line: usize,
    /// Header lines that did not parse.
    pub problems: Vec<MessageProblem>,
}

/// Splits a block into start line, headers and body. `first_line` is the page line of the block's first content line.
pub fn split_message(text: &str, first_line: usize) -> Option<RawMessage> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let start_idx = lines.iter().position(|l| !l.trim().is_empty())?;
    let mut msg = RawMessage {
        start: lines[start_idx].trim().to_string(),
        start_line: first_line + start_idx,
        headers: Vec::new(),
        body: None,
        body_line: 0,
        problems: Vec::new(),
    };
    let mut idx = start_idx + 1;
    while idx < lines.len() && !lines[idx].trim().is_empty() {
        let line = lines[idx];
        let trimmed = line.trim();
        // A `{` or `[` right after the head means the blank line before the body was
        // forgotten, which real pages do; treat it as the body rather than a bad header.
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            break;
        }
        if parse_request_line(trimmed).is_some() {
            msg.problems.push(MessageProblem {
                line: first_line + idx,
                code: super::Code::MultipleRequests,
                message: format!(
                    "`{trimmed}` is a second request line; only the first request is replayed"
                ),
            });
            idx += 1;
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if is_token(name.trim()) => msg.headers.push(Header {
                name: name.trim().to_string(),
                value: value.trim().to_string(),
            }),
            _ => msg.problems.push(MessageProblem {
                line: first_line + idx,
                code: super::Code::BadHeader,
                message: format!("`{trimmed}` is not a `Name: value` header line"),
            }),
        }
        idx += 1;
    }
    while idx < lines.len() && lines[idx].trim().is_empty() {
        idx += 1;
    }
    let mut end = lines.len();
    while end > idx && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    if idx < end {
        msg.body = Some(lines[idx..end].join("\n"));
        msg.body_line = first_line + idx;
    }
    Some(msg)
}

/// Whether a header name is an RFC 9110 token.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A parsed request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// The method.
    pub method: Method,
    /// The URL as written.
    pub url: String,
}

/// Parses `METHOD URL [HTTP/x]`; the URL may hold spaces (OData `$filter=a eq 'b'`).
pub fn parse_request_line(line: &str) -> Option<RequestLine> {
    let line = line.trim();
    let (method, rest) = line.split_once(char::is_whitespace)?;
    let method = Method::parse(method)?;
    let mut url = rest.trim();
    if let Some((before, last)) = url.rsplit_once(char::is_whitespace)
        && last.to_ascii_uppercase().starts_with("HTTP/")
    {
        url = before.trim_end();
    }
    // `sites/{id}/lists` (no leading slash) is a URL too; prose after a verb has no `/`.
    let looks_like_url = url.starts_with('/')
        || url.contains("://")
        || url.starts_with('{')
        || (url.contains('/') && !url.contains(char::is_whitespace));
    (!url.is_empty() && looks_like_url).then(|| RequestLine {
        method,
        url: url.to_string(),
    })
}

/// Parses `HTTP/x CODE [reason]` into the code and reason.
pub fn parse_status_line(line: &str) -> Option<(u16, Option<String>)> {
    // Split on runs of whitespace: `HTTP/1.1  200  OK` is a status line too.
    let (version, rest) = line.trim().split_once(char::is_whitespace)?;
    if !version.to_ascii_uppercase().starts_with("HTTP") {
        return None;
    }
    let rest = rest.trim_start();
    let (code, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let code: u16 = code.parse().ok()?;
    if !(100..=599).contains(&code) {
        return None;
    }
    let reason = Some(reason.trim().to_string()).filter(|r| !r.is_empty());
    Some((code, reason))
}

/// The parts of a documented URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// API version segment, when present.
    pub version: Option<String>,
    /// Path (and query) relative to the version root, with `{name}` parameters.
    pub path: String,
    /// Parameter names in order.
    pub params: Vec<String>,
    /// Parameter names as written, with their form (`{x}` or `<x>`).
    pub written: Vec<String>,
    /// What was repaired, when the URL was broken.
    pub repaired: Option<String>,
    /// Whether the URL was absolute (had a scheme and host).
    pub absolute: bool,
    /// The host, when it is not a Graph service host (an upload URL, a download link).
    pub foreign_host: Option<String>,
}

/// Whether a host serves the API itself (`graph.microsoft.com` and its national clouds).
fn is_service_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h.contains("graph.microsoft") || h.contains("microsoftgraph") || h.is_empty()
}
use crate::http::path::VERSIONS;

/// Splits a documented URL into version and path, repairing the known breakages.
pub fn split_url(url: &str) -> UrlParts {
    let mut repaired = None;
    let (absolute, host, rest) = match url.split_once("://") {
        Some((_, after)) => {
            let end = after.find(['/', '\\']).unwrap_or(after.len());
            (
                true,
                &after[..end],
                if end < after.len() {
                    &after[end..]
                } else {
                    "/"
                },
            )
        }
        None => (false, "", url),
    };
    let foreign_host = (!is_service_host(host)).then(|| host.to_string());
    let mut rest = rest.to_string();
    if rest.contains('\\') {
        repaired = Some(format!("backslashes in `{url}` read as `/`"));
        rest = rest.replace('\\', "/");
    }
    if !rest.starts_with('/') {
        rest.insert(0, '/');
    }
    let (path_part, query) = match rest.find('?') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.clone(), String::new()),
    };
    let mut segments: Vec<&str> = path_part.split('/').skip(1).collect();
    let mut version = None;
    if let Some(first) = segments.first() {
        if let Some(v) = VERSIONS.iter().find(|v| v.eq_ignore_ascii_case(first)) {
            version = Some(v.to_string());
            segments.remove(0);
        } else if segments.len() >= 2
            && segments[0].eq_ignore_ascii_case("docs")
            && segments[1].eq_ignore_ascii_case("api")
        {
            // `https://graph.microsoft.com/docs\api/...` is a doc-generator leftover standing
            // where the version belongs; the path after it is intact, the version is unknown.
            repaired = Some(format!(
                "`{url}` has `docs\\api` where the version segment belongs; using the path after it, version unknown"
            ));
            segments.drain(..2);
        }
    }
    let mut path = String::new();
    let mut params = Vec::new();
    let mut written = Vec::new();
    for seg in &segments {
        path.push('/');
        path.push_str(&templatize(seg, &mut params, &mut written));
    }
    if path.is_empty() {
        path.push('/');
    }
    path.push_str(&templatize(&query, &mut params, &mut written));
    UrlParts {
        version,
        path,
        params,
        written,
        repaired,
        absolute,
        foreign_host,
    }
}

/// Rewrites `<name>` placeholders as `{name}` and collects parameter names.
fn templatize(seg: &str, params: &mut Vec<String>, written: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(seg.len());
    let mut rest = seg;
    while let Some(i) = rest.find(['{', '<']) {
        let (open, close) = if rest.as_bytes()[i] == b'{' {
            ('{', '}')
        } else {
            ('<', '>')
        };
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find(close) {
            Some(j) if j > 0 && is_param_name(&after[..j]) => {
                // `{id | userPrincipalName}` names one parameter with two spellings.
                let name = &normal_param_name(&after[..j]);
                if !params.iter().any(|p| p == name) {
                    params.push(name.to_string());
                }
                written.push(format!("{open}{name}{close}"));
                out.push('{');
                out.push_str(name);
                out.push('}');
                rest = &after[j + 1..];
            }
            _ => {
                out.push(open);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether two path templates name the same operation: segments equal ignoring case,
/// any parameter matching any segment.
pub fn paths_match(a: &str, b: &str) -> bool {
    let sa: Vec<&str> = path_segments(a).collect();
    let sb: Vec<&str> = path_segments(b).collect();
    sa.len() == sb.len()
        && sa
            .iter()
            .zip(&sb)
            .all(|(x, y)| x.eq_ignore_ascii_case(y) || is_param_segment(x) || is_param_segment(y))
}

/// The segments of a path template as operations are compared: no query, no trailing slash;
/// the empty segment before the leading `/` included.
pub fn path_segments(path: &str) -> std::str::Split<'_, char> {
    path.split('?')
        .next()
        .unwrap_or("")
        .trim_end_matches('/')
        .split('/')
}

/// Whether a path segment is (or contains) a parameter.
pub fn is_param_segment(seg: &str) -> bool {
    (seg.contains('{') && seg.contains('}')) || (seg.contains('<') && seg.contains('>'))
}

/// Whether text between braces names a parameter: word characters, or alternatives of them
/// separated by `|` (`{id|name}`, `{id | userPrincipalName}`).
fn is_param_name(text: &str) -> bool {
    // `{66f5a359-4659-4830-9070-00047ec6ac6e}` is a GUID literal (an extended property's id),
    // not a parameter.
    if uuid::Uuid::parse_str(text).is_ok() {
        return false;
    }
    text.split('|').all(|alt| {
        let alt = alt.trim();
        !alt.is_empty()
            && alt
                .chars()
                .all(|c| c.is_alphanumeric() || "_-.".contains(c))
    }) && (text.contains('|') || !text.contains(char::is_whitespace))
}

/// A parameter's name as cases record it: alternatives joined by `|` without spaces.
fn normal_param_name(text: &str) -> String {
    text.split('|').map(str::trim).collect::<Vec<_>>().join("|")
}

/// The operation key of a path template: the method and the path's shape (see
/// [`ResourcePath::shape`](crate::http::ResourcePath::shape)).
pub fn operation_key(method: Method, path: &str) -> String {
    format!(
        "{method} /{}",
        crate::http::ResourcePath::parse(path).shape()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_versioned_url_and_params() {
        let p = split_url(
            "https://graph.microsoft.com/beta/security/userSecurityProfiles/<userSecurityProfile_Id>",
        );
        assert_eq!(p.version.as_deref(), Some("beta"));
        assert_eq!(
            p.path,
            "/security/userSecurityProfiles/{userSecurityProfile_Id}"
        );
        assert_eq!(p.params, vec!["userSecurityProfile_Id"]);
        assert_eq!(p.written, vec!["<userSecurityProfile_Id>"]);
        assert!(p.repaired.is_none());
    }

    #[test]
    fn repairs_docs_api_url() {
        let p = split_url(
            "https://graph.microsoft.com/docs\\api/Security/ipSecurityProfiles/{ipSecurityProfileId}",
        );
        assert_eq!(p.version, None);
        assert_eq!(p.path, "/Security/ipSecurityProfiles/{ipSecurityProfileId}");
        assert!(p.repaired.is_some());
    }

    #[test]
    fn keeps_query_and_relative_paths() {
        let p = split_url("/v1.0/users/{id}/messages?$select=subject&$top={n}");
        assert_eq!(p.version.as_deref(), Some("v1.0"));
        assert_eq!(p.path, "/users/{id}/messages?$select=subject&$top={n}");
        assert_eq!(p.params, vec!["id", "n"]);
        assert!(!p.absolute);
    }

    #[test]
    fn parses_lines() {
        assert_eq!(
            parse_request_line("patch /me HTTP/1.1"),
            Some(RequestLine {
                method: crate::model::case::Method::Patch,
                url: "/me".into()
            })
        );
        assert_eq!(parse_request_line("Content-Type: x"), None);
        assert_eq!(
            parse_request_line("GET  https://g/v1.0/x?$filter=a eq 'b' HTTP/1.1").map(|r| r.url),
            Some("https://g/v1.0/x?$filter=a eq 'b'".to_string())
        );
        assert_eq!(parse_request_line("Get the user"), None);
        assert_eq!(
            parse_status_line("HTTP/1.1 204 No Content"),
            Some((204, Some("No Content".into())))
        );
        assert_eq!(parse_status_line("HTTP/1.1 2x OK"), None);
        assert_eq!(
            parse_status_line("HTTP/1.1  200 \t OK"),
            Some((200, Some("OK".into())))
        );
        assert_eq!(parse_status_line("HTTP/1.1\t204"), Some((204, None)));
        assert_eq!(parse_status_line("HTTP/1.1"), None);
    }

    #[test]
    fn splits_message() {
        let m = split_message(
            "\nHTTP/1.1 200 OK\nContent-Type: application/json\nbad line\n\n{\n  \"a\": 1\n}\n\n",
            10,
        )
        .unwrap_or_else(|| panic!("no message"));
        assert_eq!(m.start_line, 11);
        assert_eq!(m.headers.len(), 1);
        assert_eq!(m.problems.len(), 1);
        assert_eq!(m.problems[0].line, 13);
        assert_eq!(m.body.as_deref(), Some("{\n  \"a\": 1\n}"));
        assert_eq!(m.body_line, 15);
    }

    #[test]
    fn matches_paths() {
        assert!(paths_match("/Security/x/{a}", "/security/X/{b}"));
        assert!(!paths_match("/security/x", "/security/x/{b}"));
        assert_eq!(
            operation_key(Method::Patch, "/Security/X/{a}?$x=1"),
            "PATCH /security/x/{}"
        );
    }
}
