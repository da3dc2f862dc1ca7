//! Secrets out of every report: the bearer token is replaced by `‹redacted›` wherever a target
//! echoes it back (a body property, a header, an error message), in any letter case and in the
//! spellings a body or URL gives it (JSON-escaped, percent-encoded).

use aho_corasick::AhoCorasick;

use crate::model::result::CaseResult;

/// What a secret is replaced by.
pub const REDACTED: &str = "‹redacted›";

/// Replaces known secrets in text.
#[derive(Clone, Default)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("active", &self.matcher.is_some())
            .finish()
    }
}

impl Redactor {
    /// A redactor for these secrets (empty ones ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut patterns: Vec<String> = Vec::new();
        for s in secrets.into_iter().filter(|s| !s.is_empty()) {
            patterns.push(s.to_string());
            let json = serde_json::to_string(s).unwrap_or_default();
            let json = json.trim_matches('"').to_string();
            // Some serializers also escape `/`.
            patterns.push(json.replace('/', "\\/"));
            patterns.push(json);
            patterns.push(
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
        }
        patterns.sort();
        patterns.dedup();
        patterns.retain(|p| !p.is_empty());
        if patterns.is_empty() {
            return Redactor::default();
        }
        // Longest first, so that an escaped spelling is replaced whole.
        let matcher = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Redactor { matcher }
    }

    /// The text with every secret replaced.
    pub fn text(&self, text: &str) -> String {
        match &self.matcher {
            Some(m) if m.is_match(text) => {
                let replacements = vec![REDACTED; m.patterns_len()];
                m.replace_all(text, &replacements)
            }
            _ => text.to_string(),
        }
    }

    /// Replaces secrets in place.
    fn scrub(&self, text: &mut String) {
        if self
            .matcher
            .as_ref()
            .is_some_and(|m| m.is_match(text.as_str()))
        {
            *text = self.text(text);
        }
    }

    /// Redacts everything a case result shows of what the target sent.
    pub fn result(&self, r: &mut CaseResult) {
        if self.matcher.is_none() {
            return;
        }
        for c in &mut r.checks {
            self.scrub(&mut c.message);
            if let Some(d) = &mut c.diff {
                self.scrub(d);
            }
        }
        for n in &mut r.notes {
            self.scrub(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_is_redacted() {
        let r = Redactor::new(["eyJ0/x+y\"z"]);
        assert_eq!(r.text("a eyJ0/x+y\"z b"), format!("a {REDACTED} b"));
        assert_eq!(r.text("EYJ0/X+Y\"Z"), REDACTED);
        assert_eq!(
            r.text(r#"{"t":"eyJ0/x+y\"z"}"#),
            format!(r#"{{"t":"{REDACTED}"}}"#)
        );
        assert_eq!(r.text("q=eyJ0%2Fx%2By%22z"), format!("q={REDACTED}"));
        assert_eq!(Redactor::new([""]).text("abc"), "abc");
    }
}
