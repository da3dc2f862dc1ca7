//! Making an instance valid against its type with as few changes as it takes, for the bodies
//! conform writes itself: the requests it sends and the embedded mock's answers. The doc's
//! example stands where it is valid; where it breaks the metadata (a doc defect, which lint
//! reports), the nearest valid value stands in, and each change is recorded.

use jsonschema::JsonType;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::{Map, Value};

use super::{Repair, SchemaSet, csdl};
use crate::pointer::escape;

/// How one finding is mended.
#[derive(Debug, Clone, PartialEq)]
enum Fix {
    /// Remove these properties of the object (undeclared by a closed type).
    Remove(Vec<String>),
    /// Put this value in place.
    Set(Value, &'static str),
    /// Remove the property (a null where none is allowed).
    Drop,
}

/// A value of the first JSON type a type keyword allows.
fn default_of(kind: &TypeKind) -> Value {
    let first = match kind {
        TypeKind::Single(t) => *t,
        TypeKind::Multiple(set) => [
            JsonType::String,
            JsonType::Integer,
            JsonType::Number,
            JsonType::Boolean,
            JsonType::Object,
            JsonType::Array,
        ]
        .into_iter()
        .find(|t| set.contains(*t))
        .unwrap_or(JsonType::Null),
    };
    match first {
        JsonType::String => Value::String(String::new()),
        JsonType::Integer | JsonType::Number => Value::from(0),
        JsonType::Boolean => Value::Bool(false),
        JsonType::Object => Value::Object(Map::new()),
        JsonType::Array => Value::Array(Vec::new()),
        JsonType::Null => Value::Null,
    }
}

/// A value that matches one of the generator's patterns.
fn matching(pattern: &str) -> Option<Value> {
    Some(match pattern {
        p if p == csdl::GUID_PATTERN => Value::from("00000000-0000-0000-0000-000000000001"),
        p if p == csdl::TIME_OF_DAY_PATTERN => Value::from("00:00:00"),
        p if p == csdl::DURATION_PATTERN => Value::from("PT1H"),
        p if p == csdl::BASE64URL_PATTERN => Value::from("AA"),
        p if p == csdl::INT64_STRING_PATTERN || p == csdl::DECIMAL_STRING_PATTERN => Value::from(0),
        p if p == csdl::FLOAT_SPECIAL_PATTERN => Value::from(0),
        // A flags enumeration's pattern: `^(?:a|b|…)(?:,(?:a|b|…))*$`; its first member fits.
        p if p.starts_with("^(?:") => {
            let first = p["^(?:".len()..].split(['|', ')']).next()?;
            Value::from(first)
        }
        _ => return None,
    })
}

/// A value of a format.
fn formatted(format: &str) -> Option<Value> {
    Some(Value::from(match format {
        "date-time" => "2021-07-01T00:00:00Z",
        "date" => "2021-07-01",
        "time" => "00:00:00Z",
        "duration" => "PT1H",
        "uuid" => "00000000-0000-0000-0000-000000000001",
        _ => return None,
    }))
}

/// The findings of one validation, with how to mend each; `AnyOf` wrappers of nullable
/// references are looked into, as [`super::flatten`] does.
fn fixes(e: &jsonschema::ValidationError<'_>, out: &mut Vec<(String, Fix)>, depth: usize) {
    let at = e.instance_path().to_string();
    match e.kind() {
        ValidationErrorKind::AnyOf { context } if depth < 32 => {
            let real: Vec<_> = context
                .iter()
                .filter(|b| {
                    !(b.len() == 1 && b[0].to_string().ends_with("is not of type \"null\""))
                })
                .collect();
            if real.len() == 1 {
                for inner in real[0] {
                    fixes(inner, out, depth + 1);
                }
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            out.push((at, Fix::Remove(unexpected.clone())))
        }
        ValidationErrorKind::Enum { options } => {
            if let Some(first) = options.as_array().and_then(|o| o.first()) {
                out.push((
                    at,
                    Fix::Set(first.clone(), "first member of the enumeration"),
                ))
            }
        }
        ValidationErrorKind::Type { kind } => {
            if e.instance().is_null() {
                out.push((at, Fix::Drop))
            } else {
                out.push((
                    at,
                    Fix::Set(default_of(kind), "a value of the declared type"),
                ))
            }
        }
        ValidationErrorKind::Format { format } => {
            if let Some(v) = formatted(format) {
                out.push((at, Fix::Set(v, "a fixed value of the format")))
            }
        }
        ValidationErrorKind::Pattern { pattern } => {
            if let Some(v) = matching(pattern) {
                out.push((at, Fix::Set(v, "a fixed value of the pattern")))
            }
        }
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. } => {
            out.push((at, Fix::Set(Value::from(0), "zero, within the range")))
        }
        _ => {}
    }
}

/// A JSON pointer's parent and last key, unescaped.
fn split(pointer: &str) -> Option<(&str, String)> {
    let (parent, key) = pointer.rsplit_once('/')?;
    Some((parent, key.replace("~1", "/").replace("~0", "~")))
}

impl SchemaSet {
    /// Makes `value` valid against `type_name`, placeholders first, then each finding mended
    /// (an undeclared property of a closed type removed, a value outside an enumeration
    /// replaced by its first member, a value of the wrong type or format by a valid one, a
    /// null where none is allowed removed); objects that name a derived type are judged as
    /// that type. Returns every change.
    pub fn conform(&self, type_name: &str, value: &mut Value) -> Vec<Repair> {
        let mut repairs = self.repair(type_name, value);
        self.conform_at(type_name, value, "", &mut repairs, 0);
        repairs
    }

    fn conform_at(
        &self,
        type_name: &str,
        value: &mut Value,
        prefix: &str,
        repairs: &mut Vec<Repair>,
        depth: usize,
    ) {
        let Some(schema) = self.get(type_name) else {
            return;
        };
        if depth > 16 {
            return;
        }
        // Objects of a derived type are mended as that type, and left alone by this one.
        let mut found = Vec::new();
        self.typed_objects(schema, type_name, value, &mut found);
        // Owned, since the objects they name are about to be mended.
        let typed: Vec<(String, String, String)> = found
            .into_iter()
            .map(|(pointer, declared, named)| (pointer, declared.to_string(), named.to_string()))
            .collect();
        let mut own: Vec<String> = Vec::new();
        for (pointer, declared, named) in typed {
            if self.has(&named) && self.is_derived_from(&named, &declared) {
                if let Some(sub) = value.pointer_mut(&pointer) {
                    let at = format!("{prefix}{pointer}");
                    self.conform_at(&named, sub, &at, repairs, depth + 1);
                }
                own.push(pointer);
            }
        }
        let inside = |p: &str| {
            own.iter()
                .any(|o| p == o || p.starts_with(&format!("{o}/")))
        };
        for _round in 0..6 {
            let Ok(validator) = self.validator(type_name) else {
                return;
            };
            if validator.is_valid(value) {
                return;
            }
            let mut found = Vec::new();
            for e in validator.iter_errors(value) {
                fixes(&e, &mut found, 0);
            }
            found.retain(|(p, _)| !inside(p));
            if found.is_empty() {
                return;
            }
            let mut changed = false;
            for (pointer, fix) in found {
                changed |= apply(value, &pointer, fix, prefix, type_name, repairs);
            }
            if !changed {
                return;
            }
        }
    }
}

/// Mends one finding; whether anything changed.
fn apply(
    value: &mut Value,
    pointer: &str,
    fix: Fix,
    prefix: &str,
    type_name: &str,
    repairs: &mut Vec<Repair>,
) -> bool {
    match fix {
        Fix::Remove(keys) => {
            // Instance annotations are never the type's to declare.
            let keys: Vec<String> = keys.into_iter().filter(|k| !k.contains('@')).collect();
            let Some(Value::Object(map)) = value.pointer_mut(pointer) else {
                return false;
            };
            let mut changed = false;
            for k in keys {
                if let Some(old) = map.remove(&k) {
                    repairs.push(Repair {
                        pointer: format!("{prefix}{pointer}/{}", escape(&k)),
                        from: old,
                        to: None,
                        why: format!("{type_name} declares no such property here"),
                    });
                    changed = true;
                }
            }
            changed
        }
        Fix::Set(new, why) => match value.pointer_mut(pointer) {
            Some(slot) if *slot != new => {
                repairs.push(Repair {
                    pointer: format!("{prefix}{pointer}"),
                    from: std::mem::replace(slot, new.clone()),
                    to: Some(new),
                    why: why.to_string(),
                });
                true
            }
            _ => false,
        },
        Fix::Drop => {
            let Some((parent, key)) = split(pointer) else {
                return false;
            };
            match value.pointer_mut(parent) {
                Some(Value::Object(map)) => match map.remove(&key) {
                    Some(old) => {
                        repairs.push(Repair {
                            pointer: format!("{prefix}{pointer}"),
                            from: old,
                            to: None,
                            why: "null where the type allows none".into(),
                        });
                        true
                    }
                    None => false,
                },
                _ => false,
            }
        }
    }
}
