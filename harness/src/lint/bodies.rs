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

/// The body of the example block at a line, with the page line it starts on.
pub(super) fn body_text(page: &Page, block_line: usize) -> Option<(usize, String)> {
    page.block_at(block_line)
        .and_then(|b| split_message(&b.text, b.content_line()))
        .and_then(|m| m.body.map(|t| (m.body_line, t)))
}

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
    let request_type = crate::schema::request_body_type(case, schemas);
    let mut targets: Vec<BodyTarget> = Vec::new();
    if let (Some(t), Some(Body::Json(v))) = (request_type, &case.request.body) {
        targets.push(("request", t, vec![(String::new(), v)], case.request.line));
    }
    if let (Some(t), Some(Body::Json(v))) = (&case.response.odata_type, &case.response.body) {
        match crate::schema::instances(v, t, case.response.is_collection, schemas) {
            Ok(instances) => targets.push(("response", t.clone(), instances, case.response.line)),
            // Whatever the type, an OData collection is a `value` array: this one cannot be read.
            Err(message) => {
                if let Some((body_line, _)) = body_text(page, case.response.line) {
                    diags.push(Diagnostic::new(
                        display,
                        body_line,
                        Severity::Warning,
                        Code::ExampleInvalid,
                        format!(
                            "response example /: {message} (the annotation says it is a collection)"
                        ),
                    ));
                }
            }
        }
    }
    for (which, type_name, instances, block_line) in targets {
        // An answer of an EDM primitive (`string`, `Edm.Boolean`) is judged as that primitive.
        let primitive = crate::schema::primitive(&type_name)
            .filter(|_| which == "response" && !schemas.has(&type_name));
        // A stream is content, not a JSON value; other names without a namespace name no
        // schema, which is no fault of the page.
        if primitive == Some("Edm.Stream") || (primitive.is_none() && !type_name.contains('.')) {
            continue;
        }
        let Some((body_line, text)) = body_text(page, block_line) else {
            continue;
        };
        if primitive.is_some() {
            validated += 1;
            let locator = KeyLocator::new(&text);
            for (prefix, instance) in instances {
                // A primitive has no properties to declare: only its value is judged.
                for f in schemas.validate(&type_name, instance).unwrap_or_default() {
                    let pointer = format!("{prefix}{}", f.pointer);
                    diags.push(Diagnostic::new(
                        display,
                        body_line + locator.line(&pointer),
                        Severity::Warning,
                        Code::ExampleInvalid,
                        format!(
                            "{which} example {}: {} (the annotation says `{type_name}`)",
                            crate::pointer::display(&pointer),
                            f.message
                        ),
                    ));
                }
            }
            continue;
        }
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
                let hint = match schemas.first_derived_declaring(&u.type_name, &u.property) {
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
                        crate::pointer::display(&pointer),
                        f.message
                    ),
                });
            }
        }
    }
    (diags, validated)
}

#[cfg(test)]
mod tests {
    use crate::doc::Code;
    use crate::lint::fixtures::{found, line_of, pair, schemas};

    /// A page answering `GET /x` with `body`, its response annotated `annotation`.
    fn answered(name: &str, annotation: &str, body: &str) -> String {
        pair(
            name,
            "GET /x",
            annotation,
            &format!("HTTP/1.1 200 OK\nContent-Type: application/json\n\n{body}"),
        )
    }

    #[test]
    fn primitive_answers_are_judged_as_their_primitive() {
        let schemas = schemas();
        let page = [
            answered(
                "wrong",
                ", \"@odata.type\": \"string\"",
                "{\n  \"value\": true\n}",
            ),
            answered(
                "right",
                ", \"@odata.type\": \"string\"",
                "{\"value\": \"yes\"}",
            ),
            answered(
                "edm",
                ", \"@odata.type\": \"Edm.Boolean\"",
                "{\"value\": true}",
            ),
            answered(
                "informal",
                ", \"@odata.type\": \"Int32\"",
                "{\n  \"value\": \"seven\"\n}",
            ),
            answered("bare", ", \"@odata.type\": \"Edm.Int32\"", "12"),
            // Stream content is no JSON value to judge, whatever it looks like.
            answered(
                "stream",
                ", \"@odata.type\": \"Edm.Stream\"",
                "{\"value\": 1}",
            ),
            answered(
                "items",
                ", \"@odata.type\": \"Collection(Edm.String)\"",
                "{\n  \"value\": [\n    \"a\",\n    1\n  ]\n}",
            ),
        ]
        .concat();
        let invalid = found(&page, Code::ExampleInvalid, Some(&schemas));
        assert_eq!(
            invalid,
            vec![
                (line_of(&page, "\"value\": true", 0), "response example /value: true is not of type \"string\" (the annotation says `string`)".to_string()),
                (line_of(&page, "\"value\": \"seven\"", 0), "response example /value: \"seven\" is not of type \"integer\" (the annotation says `Int32`)".to_string()),
                // A key-less item is found at its array's key.
                (line_of(&page, "\"value\": [", 0), "response example /value/1: 1 is not of type \"string\" (the annotation says `Edm.String`)".to_string()),
            ]
        );
        // A primitive needs no schema of its own.
        let no_schema = found(&page, Code::NoSchema, Some(&schemas));
        assert!(no_schema.is_empty(), "{no_schema:?}");
    }

    #[test]
    fn a_collection_without_a_value_array_is_invalid() {
        let schemas = schemas();
        let page = [
            answered(
                "flat",
                ", \"@odata.type\": \"string\", \"isCollection\": true",
                "{\n  \"membershipRule\": \"x\"\n}",
            ),
            answered(
                "listed",
                ", \"@odata.type\": \"microsoft.graph.tag\", \"isCollection\": true",
                "{\"value\": [{\"id\": \"1\"}]}",
            ),
            answered(
                "array",
                ", \"@odata.type\": \"Collection(microsoft.graph.tag)\"",
                "[{\"id\": \"1\"}]",
            ),
        ]
        .concat();
        let invalid = found(&page, Code::ExampleInvalid, Some(&schemas));
        let opening = |n| line_of(&page, "Content-Type", n) + 2;
        assert_eq!(
            invalid,
            vec![
                (opening(0), "response example /: expected a collection of string in `value`, found no `value` array (the annotation says it is a collection)".to_string()),
                (opening(2), "response example /: expected a collection of microsoft.graph.tag in `value`, found no `value` array (the annotation says it is a collection)".to_string()),
            ]
        );
    }
}
