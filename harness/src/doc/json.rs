//! Reads the JSON that real doc pages contain: strict first, then relaxed (comments, trailing
//! commas, `...` ellipses, single quotes, raw control characters in strings), with what was relaxed.
//!
//! The relaxing pass is written here because no JSON crate accepts ellipses or raw newlines in
//! strings; JSON5 (the `json5` crate) is the last resort for unquoted keys and the like.

use serde_json::Value;

/// Deepest nesting handed to the JSON5 parser, which recurses without a limit of its own.
const MAX_DEPTH: usize = 100;

/// The outcome of reading a JSON text.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Strict JSON.
    Strict(Value),
    /// Not strict JSON, but readable once relaxed; says what was relaxed.
    Relaxed(Value, Vec<&'static str>),
    /// Not readable; the strict parser's complaint, 1-based line and column within the text.
    Invalid {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the strict parser said.
        message: String,
    },
}

/// Reads a JSON text as strictly as it allows.
pub fn parse(text: &str) -> Parsed {
    let strict = match serde_json::from_str::<Value>(text) {
        Ok(v) => return Parsed::Strict(v),
        Err(e) => e,
    };
    let invalid = || Parsed::Invalid {
        line: strict.line(),
        column: strict.column(),
        message: strict.to_string(),
    };
    if strict.to_string().contains("recursion limit") || max_depth(text) > MAX_DEPTH {
        return invalid();
    }
    let (relaxed, fixes) = relax(text);
    if let Ok(v) = serde_json::from_str::<Value>(&relaxed) {
        return Parsed::Relaxed(v, fixes);
    }
    match json5::from_str::<Value>(&relaxed) {
        Ok(v) => {
            let mut fixes = fixes;
            fixes.push("JSON5 syntax");
            Parsed::Relaxed(v, fixes)
        }
        Err(_) => invalid(),
    }
}

/// The deepest bracket nesting outside strings.
fn max_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, None::<char>, false);
    for c in text.chars() {
        match in_str {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    in_str = None;
                }
            }
            None => match c {
                '"' | '\'' => in_str = Some(c),
                '[' | '{' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    max
}

/// Rewrites the relaxed forms real pages use into strict JSON.
fn relax(text: &str) -> (String, Vec<&'static str>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut fixes: Vec<&'static str> = Vec::new();
    let fix = |f: &'static str, fixes: &mut Vec<&'static str>| {
        if !fixes.contains(&f) {
            fixes.push(f);
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            // A string: copy it as a double-quoted string, escaping raw control characters.
            let quote = c;
            if quote == '\'' {
                fix("single-quoted strings", &mut fixes);
            }
            out.push('"');
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                if d == '\\' && i + 1 < chars.len() {
                    if quote == '\'' && chars[i + 1] == '\'' {
                        out.push('\'');
                    } else {
                        out.push(d);
                        out.push(chars[i + 1]);
                    }
                    i += 2;
                    continue;
                }
                if d == quote {
                    break;
                }
                match d {
                    '"' => out.push_str("\\\""),
                    '\n' => {
                        fix("line breaks inside strings", &mut fixes);
                        out.push_str("\\n");
                    }
                    '\r' => {}
                    '\t' => {
                        fix("tabs inside strings", &mut fixes);
                        out.push_str("\\t");
                    }
                    d if (d as u32) < 0x20 => {
                        fix("control characters inside strings", &mut fixes);
                        out.push_str(&format!("\\u{:04x}", d as u32));
                    }
                    d => out.push(d),
                }
                i += 1;
            }
            out.push('"');
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            fix("comments", &mut fixes);
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            fix("comments", &mut fixes);
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
            continue;
        }
        if c == '…'
            || (c == '.' && chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.'))
        {
            fix("ellipses", &mut fixes);
            i += if c == '…' { 1 } else { 3 };
            while chars.get(i) == Some(&'.') {
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    let (fixed, dropped) = drop_stray_commas(&out);
    if dropped {
        fix("trailing commas", &mut fixes);
    }
    (fixed, fixes)
}

/// Removes commas with nothing to separate (before `]`/`}`, after `[`/`{`, or doubled), outside strings.
fn drop_stray_commas(text: &str) -> (String, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut last_sig: Option<char> = None;
    let mut dropped = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                if chars[i] == '\\' && i + 1 < chars.len() {
                    out.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                if chars[i] == '"' {
                    break;
                }
                i += 1;
            }
            i += 1;
            last_sig = Some('"');
            continue;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            let useless = matches!(last_sig, Some('[') | Some('{') | Some(',') | None)
                || matches!(next, Some(']') | Some('}') | None);
            if useless {
                dropped = true;
                i += 1;
                continue;
            }
        }
        if !c.is_whitespace() {
            last_sig = Some(c);
        }
        out.push(c);
        i += 1;
    }
    (out, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn relaxed(text: &str) -> (Value, Vec<&'static str>) {
        match parse(text) {
            Parsed::Relaxed(v, f) => (v, f),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn strict_stays_strict() {
        assert_eq!(
            parse("{\"a\": [1, \"x, ]\"]}"),
            Parsed::Strict(json!({"a": [1, "x, ]"]}))
        );
    }

    #[test]
    fn relaxes_what_real_pages_do() {
        let (v, f) = relaxed("{\n  \"a\": 1, // why\n  \"b\": [1, 2,],\n}");
        assert_eq!(v, json!({"a": 1, "b": [1, 2]}));
        assert_eq!(f, vec!["comments", "trailing commas"]);
        let (v, _) = relaxed("{\"value\": [\n  {\"id\": \"1\"},\n  ...\n]}");
        assert_eq!(v, json!({"value": [{"id": "1"}]}));
        let (v, _) = relaxed("{\"value\": [ … , {\"id\": \"2\"}], \"x\": \"a...b\"}");
        assert_eq!(v, json!({"value": [{"id": "2"}], "x": "a...b"}));
        let (v, f) = relaxed("{'a': 'it\\'s \"q\"'}");
        assert_eq!(v, json!({"a": "it's \"q\""}));
        assert!(f.contains(&"single-quoted strings"));
        let (v, _) = relaxed("{\"a\": \"line1\nline2\"}");
        assert_eq!(v, json!({"a": "line1\nline2"}));
        let (v, _) = relaxed("{a: 1}");
        assert_eq!(v, json!({"a": 1}));
    }

    #[test]
    fn invalid_is_located_and_deep_nesting_is_refused_without_recursion() {
        match parse("{\n  \"a\": ,\n}") {
            Parsed::Invalid { line, .. } => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(&deep), Parsed::Invalid { .. }));
        let deep_obj = "{\"a\":".repeat(5_000) + "1" + &"}".repeat(5_000);
        assert!(matches!(parse(&deep_obj), Parsed::Invalid { .. }));
    }
}
