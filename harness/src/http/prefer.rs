//! `Prefer` and `Preference-Applied` (RFC 7240): a comma list of preferences, each a token with
//! an optional value and `;` parameters.
//!
//! Written here because no maintained crate parses RFC 7240 (hyper's typed `Prefer` header left
//! with hyper 0.x); the grammar is RFC 9110's list, token and quoted-string rules.

/// Why a preference header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not RFC 7240 syntax: {why} at byte {at}")]
pub struct PreferError {
    /// The header value.
    pub text: String,
    /// What is wrong.
    pub why: &'static str,
    /// Byte offset of the problem.
    pub at: usize,
}

/// One preference: `name[=value]` with parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preference {
    /// The name, lower-cased (names compare case-insensitively).
    pub name: String,
    /// The value, unquoted; an empty value is no value (RFC 7240 §2). Values are case-sensitive.
    pub value: Option<String>,
    /// Parameters, names lower-cased, values unquoted.
    pub params: Vec<(String, Option<String>)>,
}

/// The `return` preference (RFC 7240 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Return {
    /// `return=representation`: answer with the resource.
    Representation,
    /// `return=minimal`: answer with no body.
    Minimal,
}

impl Return {
    /// The preference as it is written in a header.
    pub fn as_header(self) -> &'static str {
        match self {
            Return::Representation => "return=representation",
            Return::Minimal => "return=minimal",
        }
    }
}

/// All preferences of one or more header lines, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences(Vec<Preference>);

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A cursor over one header value.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn error(&self, why: &'static str) -> PreferError {
        PreferError {
            text: self.text.to_string(),
            why,
            at: self.at,
        }
    }

    fn token(&mut self) -> Result<&'a str, PreferError> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error("expected a token"));
        }
        Ok(&self.text[start..self.at])
    }

    /// `word = token / quoted-string`, unquoted.
    fn word(&mut self) -> Result<String, PreferError> {
        if self.peek() != Some(b'"') {
            return self.token().map(str::to_string);
        }
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated quoted string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.at += 1;
                    let Some(c) = self.peek() else {
                        return Err(self.error("unterminated quoted string"));
                    };
                    out.push(c);
                    self.at += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }

    /// `token [ BWS "=" BWS word ]`, the name lower-cased and an empty value dropped.
    fn pair(&mut self) -> Result<(String, Option<String>), PreferError> {
        let name = self.token()?.to_ascii_lowercase();
        self.ows();
        if self.peek() != Some(b'=') {
            return Ok((name, None));
        }
        self.at += 1;
        self.ows();
        let value = if matches!(self.peek(), None | Some(b',' | b';')) {
            String::new()
        } else {
            self.word()?
        };
        Ok((name, Some(value).filter(|v| !v.is_empty())))
    }
}

impl Preferences {
    /// Parses every line of a `Prefer` or `Preference-Applied` header.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Preferences, PreferError> {
        let mut out = Vec::new();
        for line in lines {
            let mut c = Cursor { text: line, at: 0 };
            loop {
                c.ows();
                match c.peek() {
                    None => break,
                    // Empty list elements are allowed (RFC 9110 §5.6.1).
                    Some(b',') => {
                        c.at += 1;
                        continue;
                    }
                    Some(_) => {}
                }
                let (name, value) = c.pair()?;
                let mut params = Vec::new();
                loop {
                    c.ows();
                    match c.peek() {
                        Some(b';') => {
                            c.at += 1;
                            c.ows();
                            if !matches!(c.peek(), None | Some(b',' | b';')) {
                                params.push(c.pair()?);
                            }
                        }
                        Some(b',') | None => break,
                        Some(_) => return Err(c.error("expected `;` or `,`")),
                    }
                }
                out.push(Preference {
                    name,
                    value,
                    params,
                });
            }
        }
        Ok(Preferences(out))
    }

    /// The first preference with this name (RFC 7240 §2: later repeats are ignored).
    pub fn get(&self, name: &str) -> Option<&Preference> {
        self.0.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The `return` preference, when it names one this module knows.
    pub fn return_(&self) -> Option<Return> {
        match self.get("return")?.value.as_deref()? {
            "representation" => Some(Return::Representation),
            "minimal" => Some(Return::Minimal),
            _ => None,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Preferences {
        Preferences::parse(lines.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reads_rfc_7240() {
        for s in [
            "return=representation",
            "Return=representation",
            "RETURN = representation",
            "return=\"representation\"",
            "respond-async, return=representation",
            "odata.maxpagesize=10 ; x=1, return=representation;foo",
            ",return=representation,",
        ] {
            assert_eq!(parse(&[s]).return_(), Some(Return::Representation), "{s}");
        }
        // Values are case-sensitive; empty values are no value.
        assert_eq!(parse(&["return=Representation"]).return_(), None);
        assert_eq!(
            parse(&["return="]).get("return").map(|p| p.value.clone()),
            Some(None)
        );
        // The first of a repeated preference counts.
        assert_eq!(
            parse(&["return=minimal", "return=representation"]).return_(),
            Some(Return::Minimal)
        );
        let p = parse(&["odata.include-annotations=\"*\";q=\"a,b\", wait=10"]);
        assert_eq!(
            p.get("odata.include-annotations")
                .and_then(|p| p.value.as_deref()),
            Some("*")
        );
        assert_eq!(p.get("WAIT").and_then(|p| p.value.as_deref()), Some("10"));
        assert!(parse(&[""]).is_empty());
        assert!(Preferences::parse(["return=\"open"]).is_err());
        assert!(Preferences::parse(["return=a b"]).is_err());
        assert!(Preferences::parse(["=x"]).is_err());
    }
}
