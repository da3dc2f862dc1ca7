//! Recognises doc placeholder values ("String", "Display Name value", "datetime-value"), which are never compared literally.

use serde_json::Value;

/// Type words the docs put where a value belongs.
const TYPE_WORDS: [&str; 14] = [
    "string",
    "guid",
    "boolean",
    "bool",
    "int32",
    "int64",
    "integer",
    "double",
    "datetimeoffset",
    "datetime",
    "date",
    "timeofday",
    "duration",
    "binary",
];

/// Whether a string in a doc example stands for "some value" rather than a literal.
pub fn is_placeholder_str(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return false;
    }
    // Compared without a lower-case copy: every string of every body sent is asked this.
    let ends_with = |suffix: &str| {
        t.len() >= suffix.len()
            && t.as_bytes()[t.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    // "String (identifier)", "String (timestamp)" as resource pages write them: what comes
    // before the first " (". Found by its `(`, a byte search, where a two-byte pattern sets
    // up a substring searcher on every call.
    // The cheap tests first: most placeholders end in "value".
    if ends_with(" value") || ends_with("-value") || ends_with("_value") {
        return true;
    }
    if (t.starts_with('{') && t.ends_with('}') && !t.contains('"'))
        || (t.starts_with('<') && t.ends_with('>'))
    {
        return true;
    }
    let head = t
        .match_indices('(')
        .find(|(i, _)| t[..*i].ends_with(' '))
        .map_or(t, |(i, _)| &t[..i - 1]);
    TYPE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(head))
}

/// Whether a JSON value in a doc example is a placeholder (only strings can be).
pub fn is_placeholder(v: &Value) -> bool {
    v.as_str().is_some_and(is_placeholder_str)
}

/// Whether a property name is an instance annotation (`@odata.type`, `x@odata.nextLink`).
pub fn is_annotation(key: &str) -> bool {
    key.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_placeholders() {
        for p in [
            "String",
            "string",
            "String (identifier)",
            "Int32 (a(b))",
            "GUID (x) (y)",
            "Display Name value",
            "Display Name VALUE",
            "datetime-value",
            "accountName-value",
            "{id}",
            "<id>",
        ] {
            assert!(is_placeholder_str(p), "{p}");
        }
        for v in [
            "HVA",
            "2016-12-31T23:58:05Z",
            "e9107a0b-7a0b-e910-0b7a-10e90b7a10e9",
            "",
            "Strings",
            "String(x)",
            "a(b (c",
            "guid  (x)",
            "value",
        ] {
            assert!(!is_placeholder_str(v), "{v}");
        }
    }
}
