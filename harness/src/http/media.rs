//! Media types (RFC 9110 §8.3.1): type, subtype and parameters compared the way the RFC says.
//!
//! Parsing is the `mediatype` crate's, which follows the RFC grammar (OWS around `;`, quoted
//! values, case-insensitive names); the `mime` crate refuses whitespace before `;`.

use mediatype::ReadParams;

/// Why a media type could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a media type: {why}")]
pub struct MediaTypeError {
    /// The text as given.
    pub text: String,
    /// What the parser said.
    pub why: String,
}

/// A parsed media type; names lower-cased, parameter values unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    essence: String,
    params: Vec<(String, String)>,
}

impl MediaType {
    /// Parses a `Content-Type`-style value.
    pub fn parse(text: &str) -> Result<MediaType, MediaTypeError> {
        let trimmed = without_empty_params(text.trim());
        let m = mediatype::MediaType::parse(&trimmed).map_err(|e| MediaTypeError {
            text: text.to_string(),
            why: e.to_string(),
        })?;
        let ty = m.ty.as_str().to_ascii_lowercase();
        let subtype = m.subty.as_str().to_ascii_lowercase();
        let suffix = m.suffix.map(|s| s.as_str().to_ascii_lowercase());
        let essence = match &suffix {
            Some(s) => format!("{ty}/{subtype}+{s}"),
            None => format!("{ty}/{subtype}"),
        };
        let params = m
            .params()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.unquoted_str().into_owned(),
                )
            })
            .collect();
        Ok(MediaType { essence, params })
    }

    /// `type/subtype[+suffix]`, lower case.
    pub fn essence(&self) -> &str {
        &self.essence
    }

    /// Whether the body is JSON: `*/json` or a `+json` suffix.
    pub fn is_json(&self) -> bool {
        MediaType::essence_is_json(&self.essence)
    }

    /// [`MediaType::is_json`] of a media type given by its [`essence`](MediaType::essence),
    /// without parsing it again.
    pub fn essence_is_json(essence: &str) -> bool {
        let subtype = essence.split_once('/').map_or("", |(_, s)| s);
        let (subtype, suffix) = subtype.split_once('+').unwrap_or((subtype, ""));
        subtype == "json" || suffix == "json"
    }

    /// A parameter's value (name case-insensitive); the last one when repeated.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the `charset` parameter, if any, names UTF-8 (charset names are case-insensitive).
    pub fn charset_is_utf8(&self) -> bool {
        self.param("charset")
            .is_none_or(|c| c.eq_ignore_ascii_case("utf-8") || c.eq_ignore_ascii_case("utf8"))
    }
}

/// The text without its empty parameters: RFC 9110 §5.6.6 allows them
/// (`parameters = *( OWS ";" OWS [ parameter ] )`, so `application/json;` and
/// `text/plain;;charset=utf-8` are legal), but the `mediatype` crate refuses them. Only the
/// `;` outside quoted strings separate parameters. Borrowed when there is none to drop.
fn without_empty_params(text: &str) -> std::borrow::Cow<'_, str> {
    let is_empty = |s: &&str| s.bytes().all(|b| b == b' ' || b == b'\t');
    // Checked without allocating first: an answer's media type is read for every case.
    if !segments(text).skip(1).any(|p| is_empty(&p)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut parts = segments(text);
    let mut out = parts.next().unwrap_or_default().to_string();
    for p in parts.filter(|p| !is_empty(p)) {
        out.push(';');
        out.push_str(p);
    }
    std::borrow::Cow::Owned(out.trim_end().to_string())
}

/// The text cut at each `;` outside a quoted string: the type, then each parameter.
fn segments(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let (mut quoted, mut escaped) = (false, false);
        for (i, b) in current.bytes().enumerate() {
            match b {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' => quoted = !quoted,
                b';' if !quoted => {
                    rest = Some(&current[i + 1..]);
                    return Some(&current[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(current)
    })
}

/// Whether a `Content-Type` value labels JSON: a JSON media type, or, when the text is no valid
/// media type (a doc's typo such as `application/json charset=utf-8`), one that says `json`.
pub fn names_json(content_type: &str) -> bool {
    match MediaType::parse(content_type) {
        Ok(m) => m.is_json(),
        Err(_) => content_type.to_ascii_lowercase().contains("json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> MediaType {
        MediaType::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_essence_is_json_as_its_parsed_media_type_is() {
        // `*/json` or a `+json` suffix, in any letter case; nothing that merely starts so.
        for (text, json) in [
            ("application/json", true),
            ("Application/Problem+JSON", true),
            ("application/json+xml", true),
            ("text/plain", false),
            ("application/jsonx", false),
            ("application/x+jsonx", false),
        ] {
            let parsed = MediaType::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.is_json(), json, "{text}");
            assert_eq!(MediaType::essence_is_json(parsed.essence()), json, "{text}");
        }
    }

    #[test]
    fn reads_the_rfc_grammar() {
        let graph = parse(
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        );
        assert_eq!(graph.essence(), "application/json");
        assert!(graph.is_json() && graph.charset_is_utf8());
        assert_eq!(graph.param("ODATA.METADATA"), Some("minimal"));
        // OWS on both sides of `;`, tabs included.
        for s in [
            "application/json ; charset=utf-8",
            "application/json\t;\tcharset=utf-8",
            "application/json;  charset=utf-8  ",
            "Application/JSON; Charset=UTF-8",
            "application/json; charset=\"utf-8\"",
        ] {
            let m = parse(s);
            assert_eq!(m.essence(), "application/json", "{s}");
            assert!(m.charset_is_utf8(), "{s}");
        }
        assert!(parse("application/problem+json").is_json());
        assert!(!parse("text/plain; charset=\"a;b\"").is_json());
        assert_eq!(parse("text/plain; q=\"a;b\"").param("q"), Some("a;b"));
        assert!(!parse("application/json; charset=iso-8859-1").charset_is_utf8());
        // Empty parameters are legal and stand for nothing; a quoted `;;` is a value's.
        for (s, charset) in [
            ("application/json;", None),
            ("application/json ;", None),
            ("application/json;;", None),
            ("application/json;;charset=utf-8", Some("utf-8")),
            ("application/json; ;\t; charset=utf-8 ;", Some("utf-8")),
        ] {
            let m = parse(s);
            assert_eq!(m.essence(), "application/json", "{s}");
            assert_eq!(m.param("charset"), charset, "{s}");
        }
        assert_eq!(parse("text/plain;; q=\"a;;b\";").param("q"), Some("a;;b"));
        assert_eq!(
            parse("text/plain; q=\"a\\\";;b\"").param("q"),
            Some("a\";;b")
        );
        assert!(MediaType::parse(";").is_err());
        assert!(MediaType::parse("application/json; =x").is_err());
        assert!(MediaType::parse("json").is_err());
        assert!(MediaType::parse("").is_err());
    }
}
