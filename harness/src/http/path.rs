//! Resource paths: when two request paths name the same resource.
//!
//! One rule for the runner's per-resource ordering, the `cargo test` trials and the mock:
//! the query is not part of the resource, empty segments (trailing or doubled slashes) do not
//! count, segments are percent-decoded, a leading API version (`/beta`, `/v1.0`) is dropped,
//! and case does not matter for grouping (Graph's paths are case-insensitive).

/// The API versions Graph serves, as URL segments.
pub const VERSIONS: [&str; 2] = ["beta", "v1.0"];

/// A request path as a list of resource segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourcePath {
    segments: Vec<String>,
}

impl ResourcePath {
    /// Reads a path (`/a/b%20c/?x=1`), with or without a version prefix.
    pub fn parse(path: &str) -> ResourcePath {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let mut segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                // Most segments have nothing to decode: copied without a byte-by-byte pass.
                if s.contains('%') {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8_lossy()
                        .into_owned()
                } else {
                    s.to_string()
                }
            })
            .collect();
        if segments
            .first()
            .is_some_and(|f| VERSIONS.iter().any(|v| v.eq_ignore_ascii_case(f)))
        {
            segments.remove(0);
        }
        ResourcePath { segments }
    }

    /// A path of these (decoded) segments.
    pub fn from_segments(segments: Vec<String>) -> ResourcePath {
        ResourcePath { segments }
    }

    /// The path without its last segment (the collection of an entity).
    pub fn parent(&self) -> ResourcePath {
        let mut segments = self.segments.clone();
        segments.pop();
        ResourcePath { segments }
    }

    /// The path with one more segment.
    pub fn child(&self, segment: &str) -> ResourcePath {
        let mut segments = self.segments.clone();
        segments.push(segment.to_string());
        ResourcePath { segments }
    }

    /// The decoded segments, as written.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The last segment, if any.
    pub fn last(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    /// What identifies the resource however the path is spelled: `/`-joined, lower case.
    pub fn key(&self) -> String {
        // A decoded `/` inside a segment stays distinct from a segment boundary.
        self.segments
            .iter()
            .map(|s| s.replace('/', "%2F"))
            .collect::<Vec<_>>()
            .join("/")
            .to_lowercase()
    }

    /// For a path template: its shape, lower case, with every parameter (`{name}` or `<name>`,
    /// a whole segment or inside one, as in `users('{id}')`) as `{}`, so that templates naming
    /// their parameters differently compare equal.
    pub fn shape(&self) -> String {
        self.segments
            .iter()
            .map(|s| shape_segment(s))
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// A template segment with each `{name}` or `<name>` parameter as `{}`, lower case.
fn shape_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    while let Some(open) = rest.find(['{', '<']) {
        let close = if rest[open..].starts_with('{') {
            '}'
        } else {
            '>'
        };
        let Some(len) = rest[open..].find(close) else {
            break;
        };
        out.push_str(&rest[..open].to_lowercase());
        out.push_str("{}");
        rest = &rest[open + len + 1..];
    }
    out.push_str(&rest.to_lowercase());
    out
}

/// Whether a template segment is a whole parameter (`{id}`).
pub fn is_param(segment: &str) -> bool {
    segment.len() >= 2 && segment.starts_with('{') && segment.ends_with('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_resource_however_spelled() {
        let k = |p: &str| ResourcePath::parse(p).key();
        let same = [
            "/me/mailFolders/X",
            "/me/mailFolders/X/",
            "/ME/MailFolders/x",
            "//me//mailFolders/X",
            "/me/mail%46olders/%58",
            "/beta/me/mailFolders/X",
            "/me/mailFolders/X?$select=id",
        ];
        for p in same {
            assert_eq!(k(p), "me/mailfolders/x", "{p}");
        }
        assert_ne!(k("/me/mailFolders/X"), k("/me/mailFolders/Y"));
        assert_ne!(k("/me/mailFolders/a%2Fb"), k("/me/mailFolders/a/b"));
        assert_eq!(
            ResourcePath::parse("/users/{id}/events/{event-id}").shape(),
            ResourcePath::parse("/Users/{user-id}/Events/<x>/").shape()
        );
        assert_eq!(
            ResourcePath::parse("/users('{id}')/get(p='<v>')").shape(),
            "users('{}')/get(p='{}')"
        );
    }
}
