//! Write lint: request examples a service that enforces the metadata refuses, by the rule the
//! embedded mock applies ([`SchemaSet::judge_write`]).

use serde_json::Value;

use crate::doc::http::split_message;
use crate::doc::{Code, Diagnostic, Page, Severity};
use crate::model::case::{Body, Case, Method};
use crate::schema::{Refusal, SchemaSet};

use super::bodies::KeyLocator;

/// Lints a case's request body as a write: a read-only property set, or an `@odata.type`
/// unrelated to the resource's; and, for a body the schema lint did not read as the resource,
/// undeclared properties and invalid values (which otherwise have their own codes,
/// `unknown-property` and `example-invalid`).
pub(crate) fn lint_write(
    page: &Page,
    case: &Case,
    schemas: &SchemaSet,
    display: &str,
) -> Vec<Diagnostic> {
    // The resource's type is the documented answer's for an update or a create (as the mock
    // routes it), whatever type the body names.
    let creates = case.request.method == Method::Post && case.response.status == 201;
    let resource = (case.request.method.is_update() || creates)
        .then(|| case.response.odata_type.clone())
        .flatten()
        .filter(|t| schemas.has(t));
    // A body the schema lint did not judge as the resource (it does not fit the type, so it
    // read as an action's parameters) is judged here in full.
    let linted = crate::schema::request_body_type(case, schemas).is_some();
    let (Some(Body::Json(Value::Object(body))), Some(type_name)) = (
        &case.request.body,
        resource.or_else(|| crate::schema::request_body_type(case, schemas)),
    ) else {
        return Vec::new();
    };
    let first_of = |ps: &[String]| ps.first().cloned().unwrap_or_default();
    let (first, why) = match schemas.judge_write(&type_name, body) {
        Err(r) => match &r {
            Refusal::ReadOnly { properties, .. } => (first_of(properties), r.to_string()),
            Refusal::UnrelatedType { .. } => ("@odata.type".to_string(), r.to_string()),
            Refusal::Undeclared { properties, .. } if !linted => {
                (first_of(properties), r.to_string())
            }
            Refusal::Invalid(_) if !linted => (String::new(), r.to_string()),
            _ => return Vec::new(),
        },
        Ok(_) => return Vec::new(),
    };
    let line = page
        .block_at(case.request.line)
        .and_then(|b| split_message(&b.text, b.content_line()))
        .and_then(|m| {
            m.body
                .map(|text| m.body_line + KeyLocator::new(&text).line(&format!("/{first}")))
        })
        .unwrap_or(case.request.line);
    vec![Diagnostic::new(
        display,
        line,
        Severity::Warning,
        Code::RejectedWrite,
        format!(
            "request example: {why}; a service that enforces the metadata refuses this write, \
             as the embedded mock does (400)"
        ),
    )]
}

/// A write example that sends no body: a PATCH or PUT, or a POST whose answer is a created
/// resource (201 with a body). A service refuses it (the embedded mock answers 415).
pub(crate) fn lint_missing_body(case: &Case, display: &str) -> Option<Diagnostic> {
    let writes = case.request.method.is_update()
        || (case.request.method == Method::Post
            && case.response.status == 201
            && case.response.body.is_some());
    (writes && case.request.body.is_none()).then(|| {
        Diagnostic::new(
            display,
            case.request.line,
            Severity::Warning,
            Code::MissingBody,
            format!(
                "request example {} {} sends no body, but it writes a resource (its answer is {})",
                case.request.method.as_str(),
                case.request.path,
                case.response.status
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::doc::Code;
    use crate::extract::{LintSchemas, extract_texts_with};
    use crate::schema::SchemaSet;

    fn schemas() -> SchemaSet {
        let doc = json!({
            "$id": "ns.widget", "title": "ns.widget", "x-kind": "entity", "type": "object",
            "properties": {
                "id": {"type": "string"},
                "name": {"type": ["string", "null"]},
                "createdDateTime": {"type": ["string", "null"], "readOnly": true}
            },
            "additionalProperties": false
        });
        SchemaSet::new(vec![doc]).unwrap_or_else(|e| panic!("{e}"))
    }

    fn page(body: &str) -> String {
        format!(
            "<!-- {{ \"blockType\": \"request\", \"name\": \"update_widget\" }} -->\n```http\nPATCH https://graph.microsoft.com/v1.0/widgets/{{id}}\nContent-Type: application/json\n\n{body}\n```\n<!-- {{ \"blockType\": \"response\", \"@odata.type\": \"ns.widget\" }} -->\n```http\nHTTP/1.1 204 No Content\n```\n"
        )
    }

    fn rejected(body: &str) -> Vec<(usize, String)> {
        let set = schemas();
        let text = page(body);
        let ex = extract_texts_with(
            &[("w.md", "w.md", text.as_str())],
            LintSchemas::from(Some(&set)),
        );
        ex.diagnostics
            .into_iter()
            .filter(|d| d.code == Code::RejectedWrite)
            .map(|d| (d.line, d.message))
            .collect()
    }

    #[test]
    fn a_read_only_property_written_is_reported_on_its_line() {
        let found =
            rejected("{\n  \"name\": \"x\",\n  \"createdDateTime\": \"2020-01-01T00:00:00Z\"\n}");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 8, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("`createdDateTime` is read-only on ns.widget")
        );
    }

    #[test]
    fn a_write_without_a_body_is_reported() {
        let page = "<!-- { \"blockType\": \"request\", \"name\": \"add_member\" } -->\n```http\nPOST https://graph.microsoft.com/v1.0/teams/t1/members\n```\n<!-- { \"blockType\": \"response\" } -->\n```http\nHTTP/1.1 201 Created\nContent-Type: application/json\n\n{\"id\": \"m1\"}\n```\n";
        let ex = extract_texts_with(&[("w.md", "w.md", page)], LintSchemas::from(None));
        let found: Vec<usize> = ex
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::MissingBody)
            .map(|d| d.line)
            .collect();
        assert_eq!(found, vec![2], "{:#?}", ex.diagnostics);
        // An action answered 204 may well take no body.
        let action = page.replace("201 Created", "204 No Content");
        let ex = extract_texts_with(
            &[("w.md", "w.md", action.as_str())],
            LintSchemas::from(None),
        );
        assert!(ex.diagnostics.iter().all(|d| d.code != Code::MissingBody));
    }

    #[test]
    fn an_unrelated_odata_type_is_reported_and_a_good_write_is_not() {
        let found = rejected("{\"@odata.type\": \"#Other.Widget\", \"name\": \"x\"}");
        assert!(
            found.len() == 1 && found[0].1.contains("is not ns.widget or derived from it"),
            "{found:?}"
        );
        assert!(rejected("{\"name\": \"x\"}").is_empty());
    }
}
