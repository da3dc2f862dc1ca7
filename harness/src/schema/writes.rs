//! What a service that enforces the metadata refuses in a write body: the one rule the embedded
//! mock applies to the requests it is sent and lint applies to the docs' request examples.

use serde_json::{Map, Value};

use crate::placeholder::is_annotation;

use super::SchemaSet;
use crate::pointer;

/// Why a write body is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body's `@odata.type` is neither the resource's type, nor related to it.
    UnrelatedType {
        /// The type the body names.
        named: String,
        /// The resource's type.
        expected: String,
    },
    /// The body sets properties the metadata marks read-only (the key aside).
    ReadOnly {
        /// The type judged.
        type_name: String,
        /// The properties.
        properties: Vec<String>,
    },
    /// The body sets properties a closed type does not declare.
    Undeclared {
        /// The type judged.
        type_name: String,
        /// The properties.
        properties: Vec<String>,
    },
    /// The body breaks the type's schema in another way (each finding as `pointer: message`).
    Invalid(Vec<String>),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |ps: &[String]| {
            ps.iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Refusal::UnrelatedType { named, expected } => {
                write!(
                    f,
                    "@odata.type \"#{named}\" is not {expected} or derived from it"
                )
            }
            Refusal::ReadOnly {
                type_name,
                properties,
            } => write!(
                f,
                "{} {} read-only on {type_name}",
                names(properties),
                if properties.len() == 1 { "is" } else { "are" }
            ),
            Refusal::Undeclared {
                type_name,
                properties,
            } => write!(f, "{type_name} has no property {}", names(properties)),
            Refusal::Invalid(findings) => f.write_str(&findings.join("; ")),
        }
    }
}

impl SchemaSet {
    /// Judges a write body for a resource of `type_name`: the type it is judged as (the one
    /// the body names when that is related to the resource's), or why it is refused. A type
    /// without a schema accepts what parses, as a lenient service would.
    pub fn judge_write(
        &self,
        type_name: &str,
        body: &Map<String, Value>,
    ) -> Result<String, Refusal> {
        let mut judged = type_name.to_string();
        // Which types relate to one the schemas lack is unknown: nothing to refuse by.
        if !self.has(type_name) {
            return Ok(judged);
        }
        if let Some(t) = body.get("@odata.type") {
            let named = t.as_str().unwrap_or_default().trim_start_matches('#');
            let base = |n: &str| {
                self.get(n)
                    .and_then(|s| s.get("x-baseType"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            // The docs often give an operation the type of one of several kinds it takes:
            // a derived type, a base, or a sibling under a common base that is not the root
            // `entity` (every entity's).
            let shared = base(named).filter(|b| !b.ends_with(".entity"));
            let related = self.is_derived_from(named, type_name)
                || self.is_derived_from(type_name, named)
                || (self.has(named) && shared.is_some() && shared == base(type_name));
            if !related {
                return Err(Refusal::UnrelatedType {
                    named: named.to_string(),
                    expected: type_name.to_string(),
                });
            }
            if self.has(named) {
                judged = named.to_string();
            }
        }
        let read_only: Vec<String> = body
            .keys()
            .filter(|k| k.as_str() != "id" && self.is_read_only(&judged, k))
            .cloned()
            .collect();
        if !read_only.is_empty() {
            return Err(Refusal::ReadOnly {
                type_name: judged,
                properties: read_only,
            });
        }
        if let Some(props) = self.properties(&judged).filter(|_| !self.is_open(&judged)) {
            let undeclared: Vec<String> = body
                .keys()
                .filter(|k| !is_annotation(k) && !props.contains_key(k.as_str()))
                .cloned()
                .collect();
            if !undeclared.is_empty() {
                return Err(Refusal::Undeclared {
                    type_name: judged,
                    properties: undeclared,
                });
            }
        }
        match self.validate(&judged, &Value::Object(body.clone())) {
            Ok(findings) if !findings.is_empty() => Err(Refusal::Invalid(
                findings
                    .iter()
                    .map(|f| format!("{}: {}", pointer::display(&f.pointer), f.message))
                    .collect(),
            )),
            _ => Ok(judged),
        }
    }
}
