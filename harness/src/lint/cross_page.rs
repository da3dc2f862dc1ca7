//! Cross-page lint: pages that document the same operation and disagree.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::doc::http::{self};
use crate::doc::{Code, Diagnostic, Severity};
use crate::model::case::{Body, Case};
use crate::placeholder;

use super::*;

/// Lints across pages: shared example names and pages that disagree about one operation.
/// beta and v1.0 pages document the same operations with the same example names on purpose,
/// so cases are compared within one version, or when a version is unknown.
pub(crate) fn cross_page_lint(
    cases: &[Case],
    displays: &HashMap<String, String>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let display = |c: &Case| {
        displays
            .get(&c.source.file)
            .cloned()
            .unwrap_or_else(|| c.source.file.clone())
    };
    let mut by_name: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for c in cases {
        by_name
            .entry(c.name.to_ascii_lowercase())
            .or_default()
            .push(c);
    }
    for group in by_name.values() {
        // The first case of each version stands for it, which keeps this linear.
        let mut firsts: Vec<(Option<String>, &Case)> = Vec::new();
        for c in group {
            let sc = scope(c);
            let earlier = firsts
                .iter()
                .find(|(s, f)| same_scope(s, &sc) && f.source.file != c.source.file);
            if let Some((_, first)) = earlier {
                diags.push(Diagnostic::new(
                    &display(c),
                    c.source.line,
                    Severity::Warning,
                    Code::DuplicateName,
                    format!(
                        "example name `{}` is also used by {}:{}",
                        c.name,
                        display(first),
                        first.source.line
                    ),
                ));
            }
            if !firsts.iter().any(|(s, _)| *s == sc) {
                firsts.push((sc, c));
            }
        }
    }

    let mut by_op: BTreeMap<(String, String), Vec<&Case>> = BTreeMap::new();
    for c in cases {
        let prefer = c
            .request_header("prefer")
            .map(|p| p.to_ascii_lowercase().replace(' ', ""))
            .unwrap_or_default();
        let key = http::operation_key(c.request.method, &c.request.path);
        by_op.entry((key, prefer)).or_default().push(c);
    }
    for ((op, prefer), group) in &by_op {
        // One representative per version and answer, found in a set: a page of thousands of
        // examples of one operation, each showing other properties, stays linear.
        let mut answers: Vec<(Option<String>, u16, Shape, &Case)> = Vec::new();
        let mut distinct: HashSet<(Option<String>, u16, Shape)> = HashSet::new();
        for c in group {
            let (sc, st, sh) = (scope(c), c.response.status, Shape::of(c));
            if distinct.insert((sc.clone(), st, sh.clone())) {
                answers.push((sc, st, sh, c));
            }
        }
        if answers.len() < 2 {
            continue;
        }
        // Only an answer from another page is cited, so when one page gave every answer its
        // own cases need no search.
        let files: HashSet<&str> = answers
            .iter()
            .map(|(_, _, _, o)| o.source.file.as_str())
            .collect();
        let prefer = if prefer.is_empty() {
            "no Prefer header".to_string()
        } else {
            format!("Prefer: {prefer}")
        };
        for a in group {
            if files.len() == 1 && files.contains(a.source.file.as_str()) {
                continue;
            }
            let (sc, shape) = (scope(a), Shape::of(a));
            let other = answers.iter().find(|(s, t, h, o)| {
                same_scope(s, &sc)
                    && (*t != a.response.status || h.conflicts(&shape))
                    && o.source.file != a.source.file
            });
            if let Some((_, status, body, b)) = other {
                diags.push(Diagnostic::new(
                    &display(a),
                    a.response.line,
                    Severity::Warning,
                    Code::ConflictingDocs,
                    format!(
                        "`{op}` with {prefer} answers {} with {shape} here, but {}:{} documents {status} with {body}",
                        a.response.status,
                        display(b),
                        b.response.line,
                    ),
                ));
            }
        }
    }
    diags
}

/// What a documented answer shows of its body: whether there is one and, when the example is
/// complete (not truncated), its top-level properties.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Shape {
    body: bool,
    keys: Option<Vec<String>>,
}

impl Shape {
    fn of(c: &Case) -> Shape {
        let keys = match &c.response.body {
            Some(Body::Json(Value::Object(m))) if !c.response.truncated => {
                let mut k: Vec<String> = m
                    .keys()
                    .filter(|k| !placeholder::is_annotation(k))
                    .cloned()
                    .collect();
                k.sort();
                Some(k)
            }
            _ => None,
        };
        Shape {
            body: c.response.body.is_some(),
            keys,
        }
    }

    /// Whether two answers cannot both be right: one has a body and the other none, or both
    /// are complete and show different properties.
    fn conflicts(&self, other: &Shape) -> bool {
        self.body != other.body || matches!((&self.keys, &other.keys), (Some(a), Some(b)) if a != b)
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.body, &self.keys) {
            (false, _) => f.write_str("no body"),
            (true, Some(k)) => write!(f, "a body of properties {}", k.join(", ")),
            (true, None) => f.write_str("a body"),
        }
    }
}
