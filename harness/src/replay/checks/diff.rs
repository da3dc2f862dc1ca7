//! Diffs of bodies: normalised (keys sorted, annotations and placeholders marked) and bounded.

use serde_json::Value;

use crate::placeholder::is_annotation;

/// Most lines of a diff kept in a report.
const MAX_DIFF_LINES: usize = 120;

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
