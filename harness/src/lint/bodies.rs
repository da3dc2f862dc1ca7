//! Schema lint of example bodies: each finding located on its line.

use std::collections::HashMap;

use serde_json::Value;

use crate::doc::http::split_message;
use crate::doc::{Code, Diagnostic, LineIndex, Page, Severity};
use crate::model::case::{Body, Case};
use crate::placeholder;
use crate::schema::SchemaSet;

/// Where the keys of JSON pointers appear in an example body's text, indexed once per body:
/// scanning the text from its start for each of thousands of findings would be quadratic.
pub(super) struct KeyLocator<'t> {
    text: &'t str,
    lines: LineIndex,
    /// Offsets of the quotes that open each `"…"` span (a quote and the next one), by content.
    quoted: HashMap<&'t str, Vec<usize>>,
}

impl<'t> KeyLocator<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
        let mut quoted: HashMap<&str, Vec<usize>> = HashMap::new();
        for pair in quotes.windows(2) {
            quoted
                .entry(&text[pair[0] + 1..pair[1]])
                .or_default()
                .push(pair[0]);
        }
        KeyLocator {
            text,
            lines: LineIndex::new(text),
            quoted,
        }
    }

    /// The 0-based line where a pointer's last named key appears (best effort): each named key
    /// is the first `"key"` after the previous one.
    pub(super) fn line(&self, pointer: &str) -> usize {
        let mut pos = 0;
        for seg in pointer.split('/').skip(1) {
            if seg.parse::<usize>().is_ok() {
                continue;
            }
            let key = seg.replace("~1", "/").replace("~0", "~");
            // Without a quote in the key, `"key"` starts at a quote whose next quote ends it.
            let found = if key.contains('"') {
                self.text[pos..]
                    .find(&format!("\"{key}\""))
                    .map(|i| pos + i)
            } else {
                self.quoted
                    .get(key.as_str())
                    .and_then(|at| at.get(at.partition_point(|&o| o < pos)).copied())
            };
            if let Some(p) = found {
                pos = p;
            }
        }
        self.lines.line(pos) - 1
    }
}

/// One example body to lint: which side, its type, its instances by pointer prefix, its block's line.
type BodyTarget<'a> = (&'static str, String, Vec<(String, &'a Value)>, usize);

/// Lints a case's example bodies against the schemas of their types.
/// Returns the diagnostics and how many bodies were validated.
pub(crate) fn lint_bodies(
    page: &Page,
    case: &Case,
    schemas: &SchemaSet,
    display: &str,
) -> (Vec<Diagnostic>, usize) {
    let mut validated = 0;
    let mut diags = Vec::new();
    let body_of = |line: usize| {
        page.block_at(line)
            .and_then(|b| split_message(&b.text, b.content_line()))
            .and_then(|m| m.body.map(|t| (m.body_line, t)))
    };
    let request_type = crate::schema::request_body_type(case, schemas);
    let mut targets: Vec<BodyTarget> = Vec::new();
    if let (Some(t), Some(Body::Json(v))) = (request_type, &case.request.body) {
        targets.push(("request", t, vec![(String::new(), v)], case.request.line));
    }
    if let (Some(t), Some(Body::Json(v))) = (&case.response.odata_type, &case.response.body) {
        let instances = if case.response.is_collection {
            v.get("value")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (format!("/value/{i}"), item))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            vec![(String::new(), v)]
        };
        targets.push(("response", t.clone(), instances, case.response.line));
    }
    for (which, type_name, instances, block_line) in targets {
        // Types such as `stream` or `Collection(...)` name no schema, which is no fault of the page.
        if !type_name.contains('.') {
            continue;
        }
        let Some((body_line, text)) = body_of(block_line) else {
            continue;
        };
        if !schemas.has(&type_name) {
            diags.push(Diagnostic::new(
                display,
                body_line,
                Severity::Warning,
                Code::NoSchema,
                format!("no schema for `{type_name}`; its examples were not validated"),
            ));
            continue;
        }
        validated += 1;
        let locator = std::cell::OnceCell::new();
        for (prefix, instance) in instances {
            let at = |pointer: &str| {
                body_line + locator.get_or_init(|| KeyLocator::new(&text)).line(pointer)
            };
            for u in schemas.undeclared(&type_name, instance) {
                let pointer = format!("{prefix}{}", u.pointer);
                let derived = schemas.derived_declaring(&u.type_name, &u.property);
                let hint = match derived.first() {
                    Some(d) => format!(
                        "; the derived type {d} declares it, but the example names no @odata.type"
                    ),
                    None => String::new(),
                };
                diags.push(Diagnostic::new(
                    display,
                    at(&pointer),
                    Severity::Warning,
                    Code::UnknownProperty,
                    format!(
                        "{which} example property `{}` ({pointer}) is not declared by {} in the metadata{hint}",
                        u.property, u.type_name
                    ),
                ));
            }
            let findings = schemas.validate(&type_name, instance).unwrap_or_default();
            for f in findings {
                if f.message.contains("Additional properties are not allowed") {
                    continue;
                }
                let pointer = format!("{prefix}{}", f.pointer);
                let value = instance.pointer(&f.pointer);
                let hint = if value.is_some_and(placeholder::is_placeholder) {
                    " (a doc placeholder)"
                } else {
                    ""
                };
                let code = if f.message.contains("is not one of") {
                    Code::EnumValue
                } else {
                    Code::ExampleInvalid
                };
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line: at(&pointer),
                    severity: Severity::Warning,
                    code,
                    message: format!(
                        "{which} example {}: {}{hint}",
                        crate::schema::display_pointer(&pointer),
                        f.message
                    ),
                });
            }
        }
    }
    (diags, validated)
}
