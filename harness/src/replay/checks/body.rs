//! Body checks: JSON, schema of the answer's type, `@odata.type`, undeclared properties, coverage of the doc's example.

use serde_json::Value;

use crate::model::case::Case;
use crate::model::result::{CheckKind, CheckResult, Severity};
use crate::placeholder::is_annotation;
use crate::pointer::{self, At};
use crate::replay::request::Prepared;
use crate::replay::transport::Exchange;
use crate::schema::SchemaSet;
use crate::strict_json::Parsed;

use super::diff::{bounded_diff, normalize};
use super::headers::{expected_media_type, is_bodiless};
use super::{CheckOptions, Documented, bounded_lines};

/// The type the answer's body has per the doc: the documented response type, else, for an
/// update documented as `204 No Content`, the resource written (so that a representation
/// sent instead is still judged).
pub fn answer_type(case: &Case) -> Option<String> {
    case.response.odata_type.clone().or_else(|| {
        (is_bodiless(case.response.status)
            && matches!(case.request.method.as_str(), "PATCH" | "PUT"))
        .then(|| crate::model::case::request_type(case))
        .flatten()
    })
}

/// Whether the doc promises a body for the documented status.
fn doc_promises_body(doc: &Documented<'_>) -> bool {
    !is_bodiless(doc.case.response.status) && doc.is_json()
}

/// The answer's body read as JSON when the doc leads us to expect JSON; `None` when there is
/// no body to judge; a failed check when a promised body is missing or is not JSON.
pub(super) fn parse_body(
    doc: &Documented<'_>,
    sent: &Prepared,
    got: &Exchange,
) -> Result<Option<Parsed>, CheckResult> {
    if is_bodiless(got.status) || sent.method == reqwest::Method::HEAD {
        return Ok(None);
    }
    let expects_json =
        expected_media_type(doc).is_some_and(crate::http::MediaType::essence_is_json);
    if !expects_json {
        return Ok(None);
    }
    if got.body.is_empty() {
        return if doc_promises_body(doc) {
            Err(CheckResult::fail(
                CheckKind::Schema,
                "expected a JSON body, got an empty body",
            ))
        } else {
            Ok(None)
        };
    }
    crate::strict_json::parse(&got.body).map(Some).map_err(|e| {
        CheckResult::fail(
            CheckKind::Schema,
            format!(
                "body is not JSON: {e} (at line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

/// A body names each key once per object (RFC 8259 §4: readers disagree on which of a repeated
/// key wins, so the answer means different things to different clients).
pub(super) fn check_repeated_keys(repeated: &[String]) -> Option<CheckResult> {
    if repeated.is_empty() {
        return None;
    }
    let lines = bounded_lines(
        repeated
            .iter()
            .map(|p| format!("{p}: key repeated in its object"))
            .collect(),
    );
    Some(CheckResult::fail(
        CheckKind::Schema,
        format!(
            "body repeats {} key{} (readers disagree on which value wins):\n{}",
            repeated.len(),
            if repeated.len() == 1 { "" } else { "s" },
            lines.join("\n")
        ),
    ))
}

/// The body is valid against the answer type's schema.
pub(super) fn check_schema(
    doc: &Documented<'_>,
    body: &Value,
    schemas: &SchemaSet,
) -> Option<CheckResult> {
    let case = doc.case;
    let Some(type_name) = answer_type(case) else {
        return Some(CheckResult::warn(
            CheckKind::Schema,
            "the doc names no response type (no @odata.type), so the body was not validated",
        ));
    };
    let collection = case.response.is_collection;
    let label = if collection {
        format!("collection of {type_name}")
    } else {
        type_name.clone()
    };
    let items = match crate::schema::instances(body, &type_name, collection, schemas) {
        Ok(items) => items,
        Err(message) => return Some(CheckResult::fail(CheckKind::Schema, message)),
    };
    let mut findings = Vec::new();
    for (prefix, instance) in items {
        match schemas.validate(&type_name, instance) {
            Ok(f) => findings.extend(f.into_iter().map(|f| {
                format!(
                    "{}: {}",
                    pointer::display(&format!("{prefix}{}", f.pointer)),
                    f.message
                )
            })),
            // What the schemas lack cannot be judged; that is no fault of the answer's.
            Err(e) => {
                return Some(CheckResult::warn(
                    CheckKind::Schema,
                    format!(
                        "cannot validate: {e} in {}; the body was not judged",
                        schemas.origin()
                    ),
                ));
            }
        }
    }
    if findings.is_empty() {
        return Some(CheckResult::pass(
            CheckKind::Schema,
            format!("body is a valid {label}"),
        ));
    }
    let diff = doc
        .json()
        .map(|doc| bounded_diff(&normalize(doc, true), &normalize(body, false)));
    Some(
        CheckResult::fail(
            CheckKind::Schema,
            format!(
                "body is not a valid {label}:\n{}",
                bounded_lines(findings).join("\n")
            ),
        )
        .with_diff(diff),
    )
}

/// An `@odata.type` in the body names the expected type or one derived from it.
pub(super) fn check_type(case: &Case, body: &Value, schemas: &SchemaSet) -> Option<CheckResult> {
    let want = answer_type(case)?;
    if case.response.is_collection {
        return None;
    }
    let got = body.get("@odata.type")?;
    let Some(got) = got.as_str() else {
        return Some(CheckResult::fail(
            CheckKind::Type,
            format!("@odata.type is {got}, not a string"),
        ));
    };
    let got_name = got.trim_start_matches('#');
    if !schemas.has(&want) && got_name != want {
        // Which types derive from a type the schemas do not define is unknown: no verdict.
        return Some(CheckResult::warn(
            CheckKind::Type,
            format!(
                "cannot judge @odata.type `{got}`: no schema for the expected type {want} in {}, \
                 so the types derived from it are unknown",
                schemas.origin()
            ),
        ));
    }
    if schemas.is_derived_from(got_name, &want) {
        Some(CheckResult::pass(
            CheckKind::Type,
            format!("@odata.type `{got}` is a {want}"),
        ))
    } else {
        Some(CheckResult::fail(
            CheckKind::Type,
            format!("@odata.type is `{got}`, expected {want} or a type derived from it"),
        ))
    }
}

/// The body uses no property its type does not declare (a warning unless strict: legal on an
/// open type, but a sign that docs and service drifted).
pub(super) fn check_unknown(
    case: &Case,
    body: &Value,
    schemas: &SchemaSet,
    opts: CheckOptions,
) -> Option<CheckResult> {
    let type_name = answer_type(case)?;
    if !schemas.has(&type_name) {
        return None;
    }
    let severity = if opts.strict {
        Severity::Error
    } else {
        Severity::Warning
    };
    let items =
        crate::schema::instances(body, &type_name, case.response.is_collection, schemas).ok()?;
    let mut found = Vec::new();
    for (prefix, instance) in items {
        for u in schemas.undeclared(&type_name, instance) {
            found.push(format!(
                "{prefix}{}: `{}` is not declared by {}",
                u.pointer, u.property, u.type_name
            ));
        }
    }
    if found.is_empty() {
        return Some(
            CheckResult::pass(
                CheckKind::Unknown,
                format!("every property is declared by {type_name}"),
            )
            .with_severity(severity),
        );
    }
    let total = found.len();
    let message = format!(
        "{total} undeclared propert{}:\n{}",
        if total == 1 { "y" } else { "ies" },
        bounded_lines(found).join("\n")
    );
    Some(CheckResult::fail(CheckKind::Unknown, message).with_severity(severity))
}

/// When the doc's example is not marked truncated, every property it shows is present.
pub(super) fn check_coverage(
    documented: &Documented<'_>,
    body: &Value,
    schemas: &SchemaSet,
) -> Option<CheckResult> {
    let case = documented.case;
    if case.response.truncated {
        return None;
    }
    let doc = documented.json()?;
    let mut missing = Vec::new();
    missing_properties(doc, body, &At::ROOT, &mut missing, 0);
    // A property the metadata does not declare is the doc's drift: a conformant answer may
    // leave it out (the unknown check and lint speak of it).
    if let Some(t) = answer_type(case).filter(|t| schemas.has(t)) {
        let undeclared: Vec<String> = if case.response.is_collection {
            doc.get("value")
                .and_then(Value::as_array)
                .and_then(|items| items.first())
                .map(|first| {
                    schemas
                        .undeclared(&t, first)
                        .into_iter()
                        .map(|u| format!("/value/0{}", u.pointer))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            schemas
                .undeclared(&t, doc)
                .into_iter()
                .map(|u| u.pointer)
                .collect()
        };
        missing.retain(|m| {
            !undeclared
                .iter()
                .any(|u| m == u || m.starts_with(&format!("{u}/")))
        });
    }
    if missing.is_empty() {
        return Some(CheckResult::pass(
            CheckKind::Coverage,
            "every property the doc's example shows is present",
        ));
    }
    let diff = bounded_diff(&normalize(doc, true), &normalize(body, false));
    Some(
        CheckResult::fail(
            CheckKind::Coverage,
            format!(
                "the doc's example is not marked truncated, but {} of its properties are missing:\n{}",
                missing.len(),
                missing.join("\n")
            ),
        )
        .with_diff(Some(diff)),
    )
}

/// Pointers of properties (annotations aside) that `doc` shows and `got` lacks; arrays are
/// compared by their first item, since examples show one representative item.
fn missing_properties(doc: &Value, got: &Value, at: &At<'_>, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match (doc, got) {
        (Value::Object(d), Value::Object(g)) => {
            // A null in the doc's example says "not set": nothing to demand.
            for (k, v) in d.iter().filter(|(k, v)| !is_annotation(k) && !v.is_null()) {
                let here = at.key(k);
                match g.get(k) {
                    None => out.push(here.pointer()),
                    Some(gv) => missing_properties(v, gv, &here, out, depth + 1),
                }
            }
        }
        (Value::Array(d), Value::Array(g)) => {
            if let (Some(dv), Some(gv)) = (d.first(), g.first()) {
                missing_properties(dv, gv, &at.index(0), out, depth + 1);
            }
        }
        _ => {}
    }
}
