//! Schemas: loads the JSON Schemas in `schemas/`, validates bodies against them, and repairs doc placeholders.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

mod conform;
pub mod csdl;
mod writes;

pub use writes::Refusal;

use crate::json;
use crate::placeholder;
use crate::pointer::{self, At};

/// Errors loading or using schemas.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The folder or a file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A schema file is not JSON.
    #[error("{path}:{line}:{column}: not JSON: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde said.
        message: String,
    },
    /// A schema has no string `$id`.
    #[error("{path}: schema has no string `$id`")]
    NoId {
        /// The file.
        path: PathBuf,
    },
    /// Two schemas claim the same `$id`.
    #[error("schema `{0}` is defined twice")]
    Duplicate(String),
    /// No schema for the named type.
    #[error("no schema for type `{0}`")]
    Unknown(String),
    /// The metadata could not be turned into schemas.
    #[error("{path}: {source}")]
    Csdl {
        /// The metadata file.
        path: PathBuf,
        /// What went wrong.
        source: csdl::CsdlError,
    },
    /// A schema does not compile (bad keyword, unresolvable `$ref`).
    #[error("schema `{id}` does not compile: {message}")]
    Compile {
        /// The schema's id.
        id: String,
        /// What the validator said.
        message: String,
    },
}

/// One way a JSON instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// JSON pointer into the instance (`""` for the root).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// A property an instance uses that its type does not declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
    /// JSON pointer of the property.
    pub pointer: String,
    /// The property name.
    pub property: String,
    /// The type that lacks it.
    pub type_name: String,
}

/// A value that was replaced by a valid one (a doc placeholder, or a value that breaks the
/// metadata), or removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    /// JSON pointer of the value.
    pub pointer: String,
    /// The value as it was.
    pub from: Value,
    /// The value used instead; `None` when the property was removed.
    pub to: Option<Value>,
    /// Why this value was chosen.
    pub why: String,
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if placeholder::is_placeholder(&self.from) {
            "placeholder "
        } else {
            ""
        };
        match &self.to {
            Some(to) => write!(
                f,
                "{}: {what}{} replaced by {} ({})",
                pointer::display(&self.pointer),
                self.from,
                to,
                self.why
            ),
            None => write!(
                f,
                "{}: {what}{} removed ({})",
                pointer::display(&self.pointer),
                self.from,
                self.why
            ),
        }
    }
}

/// The schemas of a run, by type name, compiled on first use and then shared.
pub struct SchemaSet {
    /// Where the schemas came from (a folder or a metadata file), for messages.
    origin: String,
    /// Shared with the validators' [`Documents`] retriever, which hands them out on demand.
    schemas: Arc<BTreeMap<String, Value>>,
    /// Type names by their lower-case spelling: the docs write `#Microsoft.Graph.channel` for
    /// `microsoft.graph.channel`, and Graph takes either.
    folded: HashMap<String, String>,
    compiled: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
    /// The types declaring each property name (sorted), built on first use: lint asks it of
    /// every undeclared property, and scanning all 3,466 Graph types each time was a fifth of
    /// linting the corpus.
    declarers: std::sync::OnceLock<HashMap<String, Vec<String>>>,
    /// [`SchemaSet::first_derived_declaring`]'s answers by (type, property).
    first_derived: Mutex<HashMap<(String, String), Option<String>>>,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet")
            .field("types", &self.schemas.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The EDM primitive a type name means: `Edm.String`, or an informal spelling the docs use
/// (`String`, `Int32`, `Integer`, `Boolean`, `DateTime`…); `None` for structured types.
pub fn primitive(name: &str) -> Option<&'static str> {
    const EDM: [&str; 19] = [
        "Edm.Binary",
        "Edm.Boolean",
        "Edm.Byte",
        "Edm.Date",
        "Edm.DateTimeOffset",
        "Edm.Decimal",
        "Edm.Double",
        "Edm.Duration",
        "Edm.Guid",
        "Edm.Int16",
        "Edm.Int32",
        "Edm.Int64",
        "Edm.SByte",
        "Edm.Single",
        "Edm.Stream",
        "Edm.String",
        "Edm.TimeOfDay",
        "Edm.Untyped",
        "Edm.PrimitiveType",
    ];
    let name = type_name(name.trim());
    let bare = name
        .strip_prefix("Edm.")
        .or_else(|| name.strip_prefix("edm."))
        .unwrap_or(name);
    if bare.contains('.') {
        return None;
    }
    let informal = match bare.to_ascii_lowercase().as_str() {
        "int" | "integer" => Some("Edm.Int32"),
        "long" => Some("Edm.Int64"),
        "bool" => Some("Edm.Boolean"),
        "float" => Some("Edm.Double"),
        "datetime" => Some("Edm.DateTimeOffset"),
        _ => None,
    };
    informal.or_else(|| {
        EDM.iter()
            .find(|e| e[4..].eq_ignore_ascii_case(bare))
            .copied()
    })
}

use crate::model::case::named_type;

/// The type of a case's request body, as a schema would judge it: [`request_type`], except that a
/// POST body counts as the resource only when it names an `@odata.type` or fits the type's
/// schema (an action's body is its parameters).
///
/// [`request_type`]: crate::model::case::request_type
pub fn request_body_type(case: &crate::model::case::Case, schemas: &SchemaSet) -> Option<String> {
    use crate::model::case::{Body, Method};
    crate::model::case::request_type(case).filter(|t| {
        case.request.method != Method::Post
            || matches!(&case.request.body, Some(Body::Json(v)) if named_type(v).is_some() || schemas.fits(t, v))
    })
}

/// The instances of a type in an answer's body: the body itself, or the items of `value` for a
/// collection; for a primitive type, the `value` of the OData wrapper (or a bare value).
pub fn instances<'a>(
    body: &'a Value,
    type_name: &str,
    collection: bool,
    schemas: &SchemaSet,
) -> Result<Vec<(String, &'a Value)>, String> {
    if collection {
        return match body.get("value").and_then(Value::as_array) {
            Some(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("/value/{i}"), v))
                .collect()),
            None => Err(format!(
                "expected a collection of {type_name} in `value`, found no `value` array"
            )),
        };
    }
    if crate::schema::primitive(type_name).is_some() && !schemas.has(type_name) {
        // OData wraps a single primitive as `{"value": …}`.
        return Ok(match body.get("value") {
            Some(v) if body.is_object() => vec![("/value".to_string(), v)],
            _ => vec![(String::new(), body)],
        });
    }
    Ok(vec![(String::new(), body)])
}

/// The JSON body a case sends: the doc's, with placeholders the schema rejects replaced by
/// valid values (each replacement added to `notes`); `None` when the doc's body is not JSON.
pub fn sent_json(
    case: &crate::model::case::Case,
    schemas: &SchemaSet,
    notes: &mut Vec<String>,
) -> Option<Value> {
    let Some(crate::model::case::Body::Json(doc)) = &case.request.body else {
        return None;
    };
    let mut json = doc.clone();
    // A POST body is repaired as the resource only when it looks like one (not action parameters).
    if let Some(t) = request_body_type(case, schemas) {
        notes.extend(
            schemas
                .conform(&t, &mut json)
                .into_iter()
                .map(|r| format!("request body {r}")),
        );
    }
    Some(json)
}

/// Every `$ref` in a schema document (bare type names, as the generator writes them).
fn collect_refs(doc: &Value, out: &mut Vec<String>) {
    match doc {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Strips a leading `#` from an `@odata.type` value.
pub fn type_name(odata_type: &str) -> &str {
    odata_type.trim_start_matches('#')
}

/// Hands a validator the schema documents its `$ref`s name, as it compiles: only the types a
/// validator reaches are read, where a registry of every type (3,466 in Graph's metadata) was
/// built and indexed up front and copied into each validator compiled.
struct Documents(Arc<BTreeMap<String, Value>>);

impl jsonschema::Retrieve for Documents {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        // A bare type name is resolved against the default base `json-schema:///`.
        let uri = uri.as_str();
        let name = uri.strip_prefix("json-schema:///").unwrap_or(uri);
        match self.0.get(name) {
            Some(doc) => Ok(doc.clone()),
            None => Err(format!("no schema `{name}`").into()),
        }
    }
}

/// Fails when a `$ref` names a type (a bare name, as the generator writes them) that no schema
/// declares, as the registry built up front once did: a set with a dangling reference is refused
/// when loaded, not when a body first reaches it.
fn check_refs(schemas: &BTreeMap<String, Value>) -> Result<(), SchemaError> {
    let mut refs = Vec::new();
    for doc in schemas.values() {
        collect_refs(doc, &mut refs);
    }
    match refs
        .iter()
        .find(|r| !r.contains(['#', ':', '/']) && !schemas.contains_key(r.as_str()))
    {
        Some(r) => Err(SchemaError::Compile {
            id: "<registry>".into(),
            message: format!("`$ref` names `{r}`, which no schema declares"),
        }),
        None => Ok(()),
    }
}

impl SchemaSet {
    /// Reads every `*.json` in a folder.
    pub fn load_dir(dir: &Path) -> Result<SchemaSet, SchemaError> {
        let files = crate::files::json_files(dir).map_err(|source| SchemaError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut schemas = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| SchemaError::Io {
                path: path.clone(),
                source,
            })?;
            let value: Value = serde_json::from_str(&text).map_err(|e| SchemaError::Parse {
                path: path.clone(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
            if value.get("$id").and_then(Value::as_str).is_none() {
                return Err(SchemaError::NoId { path });
            }
            schemas.push(value);
        }
        Ok(SchemaSet::new(schemas)?.with_origin(format!("{}/", dir.display())))
    }

    /// Reads from a folder only the schemas that judging bodies of `roots` can need: those
    /// types, every type they reference, and every type derived from one of them (a body may
    /// name a derived type with `@odata.type`), transitively. Every file's `$id` and
    /// `x-baseType` are read to know the derived types; only the needed files in full.
    pub fn load_dir_for<'a>(
        dir: &Path,
        roots: impl IntoIterator<Item = &'a str>,
    ) -> Result<SchemaSet, SchemaError> {
        /// What the scan of a schema file reads.
        #[derive(serde::Deserialize)]
        struct Head {
            #[serde(rename = "$id")]
            id: Option<String>,
            #[serde(rename = "x-baseType")]
            base: Option<String>,
        }
        let files = crate::files::json_files(dir).map_err(|source| SchemaError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
                path: path.to_path_buf(),
                source,
            })
        };
        let parse_error = |path: &Path, e: serde_json::Error| SchemaError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        let mut by_id: HashMap<String, PathBuf> = HashMap::new();
        let mut derived: HashMap<String, Vec<String>> = HashMap::new();
        for path in files {
            let text = read(&path)?;
            let head: Head = serde_json::from_str(&text).map_err(|e| parse_error(&path, e))?;
            let Some(id) = head.id else {
                return Err(SchemaError::NoId { path });
            };
            if let Some(base) = head.base {
                derived.entry(base).or_default().push(id.clone());
            }
            by_id.insert(id, path);
        }
        let mut wanted: Vec<String> = roots
            .into_iter()
            .map(|r| type_name(r).to_string())
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut docs = Vec::new();
        while let Some(name) = wanted.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(path) = by_id.get(&name) else {
                continue;
            };
            let text = read(path)?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| parse_error(path, e))?;
            collect_refs(&doc, &mut wanted);
            if let Some(base) = doc.get("x-baseType").and_then(Value::as_str) {
                wanted.push(base.to_string());
            }
            wanted.extend(derived.get(&name).into_iter().flatten().cloned());
            docs.push(doc);
        }
        Ok(SchemaSet::new(docs)?.with_origin(format!("{}/", dir.display())))
    }

    /// The same set, saying where its schemas came from.
    pub fn with_origin(mut self, origin: impl Into<String>) -> SchemaSet {
        self.origin = origin.into();
        self
    }

    /// Where the schemas came from: the folder (`schemas/`) or metadata file read.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Builds a set from schema documents, each with a `$id` that is its type's full name.
    pub fn new(docs: Vec<Value>) -> Result<SchemaSet, SchemaError> {
        let mut schemas = BTreeMap::new();
        for doc in docs {
            let id = doc
                .get("$id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| SchemaError::NoId {
                    path: PathBuf::from("<memory>"),
                })?;
            if schemas.insert(id.clone(), doc).is_some() {
                return Err(SchemaError::Duplicate(id));
            }
        }
        check_refs(&schemas)?;
        let folded = schemas
            .keys()
            .map(|k| (k.to_lowercase(), k.clone()))
            .collect();
        Ok(SchemaSet {
            origin: "the schemas given".to_string(),
            folded,
            schemas: Arc::new(schemas),
            compiled: Mutex::new(HashMap::new()),
            declarers: std::sync::OnceLock::new(),
            first_derived: Mutex::new(HashMap::new()),
        })
    }

    /// Whether the set has a schema for the type.
    pub fn has(&self, type_name: &str) -> bool {
        self.canonical(type_name).is_some()
    }

    /// The raw schema for a type.
    pub fn get(&self, type_name: &str) -> Option<&Value> {
        self.schemas.get(self.canonical(type_name)?)
    }

    /// A type's name as the set spells it: exactly, else ignoring letter case.
    fn canonical<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let name = type_name(name);
        if self.schemas.contains_key(name) {
            return Some(name);
        }
        self.folded.get(&name.to_lowercase()).map(String::as_str)
    }

    /// Type names in the set, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.schemas.keys().map(String::as_str)
    }

    /// The compiled validator for a type.
    fn validator(&self, name: &str) -> Result<Arc<jsonschema::Validator>, SchemaError> {
        let name = self.canonical(name).unwrap_or(type_name(name));
        // A poisoned lock only means another thread panicked mid-insert; the map is still sound.
        let lock = || self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = lock().get(name) {
            return Ok(v.clone());
        }
        // Compiled without the lock, so other threads' validators are not held up; two threads
        // may compile the same type once each, and the first one stored is kept.
        let root = if self.schemas.contains_key(name) {
            serde_json::json!({ "$ref": name })
        } else if let Some(edm) = primitive(name) {
            // A primitive answer (`Edm.String`, `Collection(Edm.Int32)`) is judged as that primitive.
            csdl::primitive_schema(edm)
        } else {
            return Err(SchemaError::Unknown(name.to_string()));
        };
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_retriever(Documents(self.schemas.clone()))
            .build(&root)
            .map_err(|e| SchemaError::Compile {
                id: name.to_string(),
                message: e.to_string(),
            })?;
        Ok(lock()
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(validator))
            .clone())
    }

    /// Validates an instance; every finding names its JSON pointer. An object whose
    /// `@odata.type` names a type derived from the one expected there is judged as that type,
    /// since OData serializes the runtime type and adds its properties.
    pub fn validate(&self, type_name: &str, instance: &Value) -> Result<Vec<Finding>, SchemaError> {
        self.validate_polymorphic(type_name, instance, 0)
    }

    fn validate_polymorphic(
        &self,
        type_name: &str,
        instance: &Value,
        depth: usize,
    ) -> Result<Vec<Finding>, SchemaError> {
        let mut findings = self.validate_exact(type_name, instance)?;
        let Some(schema) = self.get(type_name) else {
            return Ok(findings);
        };
        let mut typed = Vec::new();
        self.typed_objects(schema, type_name, instance, &mut typed);
        for (pointer, declared, named) in typed {
            let inside = |p: &str| p == pointer || p.starts_with(&format!("{pointer}/"));
            let Some(sub) = instance.pointer(&pointer) else {
                continue;
            };
            if !self.has(named) || !self.is_derived_from(named, declared) {
                // At the root, the type check says this; the body is judged as declared.
                if pointer.is_empty() {
                    continue;
                }
                findings.push(Finding {
                    pointer: pointer.clone(),
                    message: format!(
                        "@odata.type `{named}` is not {declared} or a type derived from it"
                    ),
                });
                continue;
            }
            if depth > 16 {
                continue;
            }
            findings.retain(|f| !inside(&f.pointer));
            let nested = self.validate_polymorphic(named, sub, depth + 1)?;
            findings.extend(nested.into_iter().map(|f| Finding {
                pointer: format!("{pointer}{}", f.pointer),
                message: f.message,
            }));
        }
        findings.sort_by(|a, b| (&a.pointer, &a.message).cmp(&(&b.pointer, &b.message)));
        findings.dedup();
        Ok(findings)
    }

    /// The outermost objects whose `@odata.type` names another type than the one declared
    /// where they stand: (pointer, declared type, named type).
    fn typed_objects<'a>(
        &'a self,
        schema: &'a Value,
        owner: &'a str,
        value: &'a Value,
        out: &mut Vec<(String, &'a str, &'a str)>,
    ) {
        self.typed_objects_at(schema, owner, value, &At::ROOT, out, 0);
    }

    fn typed_objects_at<'a>(
        &'a self,
        schema: &'a Value,
        owner: &'a str,
        value: &'a Value,
        at: &At<'_>,
        out: &mut Vec<(String, &'a str, &'a str)>,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        // The schema is followed only towards the objects that name a type: most of a body
        // holds none, and its keys are compared in place instead of looked up.
        match value {
            Value::Object(map) => {
                let (schema, owner) = self.resolve_named(schema, owner);
                if let Some(named) = named_type(value)
                    && named != owner
                    && !named.starts_with("Collection(")
                {
                    out.push((at.pointer(), owner, named));
                    return;
                }
                let Some(props) = json::member(schema, "properties").and_then(Value::as_object)
                else {
                    return;
                };
                for (k, v) in map.iter().filter(|(_, v)| holds_a_type(v, depth + 1)) {
                    if let Some(s) = json::lookup(props, k) {
                        self.typed_objects_at(s, owner, v, &at.key(k), out, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                let (schema, owner) = self.resolve_named(schema, owner);
                if let Some(s) = json::member(schema, "items") {
                    for (i, v) in items.iter().enumerate() {
                        if holds_a_type(v, depth + 1) {
                            self.typed_objects_at(s, owner, v, &at.index(i), out, depth + 1);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Validates an instance against exactly the named type.
    fn validate_exact(
        &self,
        type_name: &str,
        instance: &Value,
    ) -> Result<Vec<Finding>, SchemaError> {
        let validator = self.validator(type_name)?;
        // Most answers are valid, and the yes-or-no walk skips the error paths' bookkeeping.
        if validator.is_valid(instance) {
            return Ok(Vec::new());
        }
        let mut findings = Vec::new();
        for e in validator.iter_errors(instance) {
            flatten(&e, &mut findings, 0);
        }
        findings.sort_by(|a, b| (&a.pointer, &a.message).cmp(&(&b.pointer, &b.message)));
        findings.dedup();
        Ok(findings)
    }

    /// Whether `derived` is `base` or inherits from it (through `x-baseType`).
    pub fn is_derived_from(&self, derived: &str, base: &str) -> bool {
        let base = self.canonical(base).unwrap_or(type_name(base));
        // Borrowed all the way: lint asks this of every type declaring an undeclared property.
        let mut current = Some(self.canonical(derived).unwrap_or(type_name(derived)));
        let mut hops = 0;
        while let Some(name) = current {
            if name == base {
                return true;
            }
            hops += 1;
            if hops > 64 {
                return false;
            }
            current = self
                .schemas
                .get(name)
                .and_then(|s| json::member(s, "x-baseType"))
                .and_then(Value::as_str);
        }
        false
    }

    /// The declared (non-annotation) property names of an object type, with their schemas.
    pub fn properties(&self, type_name: &str) -> Option<&Map<String, Value>> {
        json::member(self.get(type_name)?, "properties")?.as_object()
    }

    /// The key property of an entity type: `id`, which Graph's entities inherit from
    /// `microsoft.graph.entity` (the schemas do not carry `<Key>`); `None` for complex and enum
    /// types, which have no key, and for types without a schema.
    pub fn key_property(&self, type_name: &str) -> Option<&'static str> {
        self.get(type_name)
            .and_then(|s| json::member(s, "x-kind"))
            .is_some_and(|k| k == "entity")
            .then_some("id")
    }

    /// Whether the metadata marks a property of the type read-only (computed by the service).
    pub fn is_read_only(&self, type_name: &str, property: &str) -> bool {
        self.properties(type_name)
            .and_then(|p| p.get(property))
            .is_some_and(Self::read_only)
    }

    /// Whether a property's schema (one of [`SchemaSet::properties`]) marks it read-only.
    pub fn read_only(property_schema: &Value) -> bool {
        json::member(property_schema, "readOnly") == Some(&Value::Bool(true))
    }

    /// Whether the type accepts properties it does not declare.
    pub fn is_open(&self, type_name: &str) -> bool {
        self.get(type_name)
            .and_then(|s| json::member(s, "additionalProperties"))
            .is_none_or(|a| a != &Value::Bool(false))
    }

    /// Types derived from a type, directly or not, that declare a property (sorted).
    pub fn derived_declaring(&self, base: &str, property: &str) -> Vec<String> {
        self.derived_declaring_iter(base, property)
            .map(str::to_string)
            .collect()
    }

    /// The first (by name) of [`derived_declaring`](Self::derived_declaring): lint names only
    /// one. Remembered per type and property, as the docs repeat the same undeclared property
    /// in many examples and each answer scans every type declaring a property of that name.
    pub fn first_derived_declaring(&self, base: &str, property: &str) -> Option<String> {
        let key = (base.to_string(), property.to_string());
        // A poisoned lock only means another thread panicked mid-insert; the map is still sound.
        let lock = || self.first_derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = lock().get(&key) {
            return found.clone();
        }
        let found = self
            .derived_declaring_iter(base, property)
            .next()
            .map(str::to_string);
        lock().insert(key, found.clone());
        found
    }

    /// Types derived from a type that declare a property, in name order, found lazily.
    fn derived_declaring_iter<'s>(
        &'s self,
        base: &'s str,
        property: &str,
    ) -> impl Iterator<Item = &'s str> {
        let declarers = self.declarers.get_or_init(|| {
            let mut index: HashMap<String, Vec<String>> = HashMap::new();
            // The schemas are a BTreeMap, so each list comes out sorted.
            for (name, s) in self.schemas.iter() {
                for p in s
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|p| p.keys())
                {
                    index.entry(p.clone()).or_default().push(name.clone());
                }
            }
            index
        });
        declarers
            .get(property)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(move |name| *name != base && self.is_derived_from(name, base))
    }

    /// Whether a body looks like a representation of the type: at least half of its
    /// (non-annotation) properties are declared by it. Action parameters do not.
    pub fn fits(&self, type_name: &str, value: &Value) -> bool {
        let (Some(props), Some(obj)) = (self.properties(type_name), value.as_object()) else {
            return false;
        };
        let keys: Vec<&String> = obj
            .keys()
            .filter(|k| !placeholder::is_annotation(k))
            .collect();
        let declared = keys
            .iter()
            .filter(|k| props.contains_key(k.as_str()))
            .count();
        declared * 2 >= keys.len()
    }

    /// Properties an instance uses that its type (or a nested type) does not declare, even where
    /// the type is open; annotations are not counted.
    pub fn undeclared(&self, type_name: &str, value: &Value) -> Vec<Undeclared> {
        let mut out = Vec::new();
        if let Some(schema) = self.get(type_name) {
            self.undeclared_at(schema, type_name, value, &At::ROOT, &mut out, 0);
        }
        out
    }

    fn undeclared_at<'a>(
        &'a self,
        schema: &'a Value,
        owner: &'a str,
        value: &'a Value,
        at: &At<'_>,
        out: &mut Vec<Undeclared>,
        depth: usize,
    ) {
        // Leaves declare nothing: the schema is followed only into objects and arrays.
        if depth > 64 || !(value.is_object() || value.is_array()) {
            return;
        }
        let (mut schema, mut owner) = self.resolve_named(schema, owner);
        match value {
            Value::Object(map) => {
                // A derived type named by `@odata.type` declares more than the base.
                if let Some(named) = named_type(value)
                    && let Some(derived) = self.get(named)
                    && self.is_derived_from(named, owner)
                {
                    schema = derived;
                    owner = named;
                }
                let Some(props) = json::member(schema, "properties").and_then(Value::as_object)
                else {
                    return;
                };
                // An open type that declares nothing is a dictionary (planner order hints by
                // user id): its keys are the data, not drift.
                let dictionary = props.is_empty()
                    && json::member(schema, "additionalProperties") != Some(&Value::Bool(false));
                for (k, v) in map {
                    match json::lookup(props, k) {
                        None if dictionary || is_directory_extension(k) => {}
                        Some(s) => self.undeclared_at(s, owner, v, &at.key(k), out, depth + 1),
                        None if !placeholder::is_annotation(k) => out.push(Undeclared {
                            pointer: at.key(k).pointer(),
                            property: k.clone(),
                            type_name: owner.to_string(),
                        }),
                        None => {}
                    }
                }
            }
            Value::Array(items) => {
                if let Some(s) = json::member(schema, "items") {
                    for (i, v) in items.iter().enumerate() {
                        self.undeclared_at(s, owner, v, &at.index(i), out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// Follows `$ref`/nullable `anyOf` and says which named type the schema ends up at.
    fn resolve_named<'a>(
        &'a self,
        mut schema: &'a Value,
        mut owner: &'a str,
    ) -> (&'a Value, &'a str) {
        for _ in 0..16 {
            // Navigation properties name their type instead of referencing it (see csdl.rs).
            if let Some(nav) = json::str_member(schema, "x-navigationType") {
                owner = nav;
                if let Some(s) = self.schemas.get(nav) {
                    schema = s;
                }
                break;
            }
            if let Some(r) = json::str_member(schema, "$ref") {
                match self.schemas.get(r) {
                    Some(s) => {
                        owner = r;
                        schema = s;
                    }
                    None => break,
                }
            } else if let Some(branches) = json::member(schema, "anyOf").and_then(Value::as_array) {
                match branches
                    .iter()
                    .find(|b| json::str_member(b, "type") != Some("null"))
                {
                    Some(b) => schema = b,
                    None => break,
                }
            } else {
                break;
            }
        }
        (schema, owner)
    }

    /// How a property's type reads in a doc table (`String`, `Int32`, `userAccount collection`), from its schema.
    pub fn describe(&self, prop_schema: &Value) -> String {
        if let Some(items) = prop_schema
            .get("type")
            .filter(|t| *t == "array")
            .and(json::member(prop_schema, "items"))
        {
            return format!("{} collection", self.describe(items));
        }
        if let Some(r) = json::str_member(prop_schema, "$ref") {
            return r.rsplit('.').next().unwrap_or(r).to_string();
        }
        if let Some(branches) = json::member(prop_schema, "anyOf").and_then(Value::as_array)
            && let Some(b) = branches
                .iter()
                .find(|b| json::str_member(b, "type") != Some("null"))
        {
            return self.describe(b);
        }
        let types: Vec<&str> = match prop_schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let format = prop_schema.get("format").and_then(Value::as_str);
        let max = prop_schema.get("maximum").and_then(Value::as_f64);
        if types.contains(&"integer") {
            return match max {
                Some(m) if m <= 255.0 => "Byte",
                Some(m) if m <= 32767.0 => "Int16",
                Some(m) if m <= 2147483647.0 => "Int32",
                _ => "Int64",
            }
            .to_string();
        }
        if types.contains(&"number") {
            return "Double".to_string();
        }
        if types.contains(&"boolean") {
            return "Boolean".to_string();
        }
        if types.contains(&"object") {
            return "Object".to_string();
        }
        let pattern = prop_schema.get("pattern").and_then(Value::as_str);
        match (format, pattern) {
            (Some("date-time"), _) => "DateTimeOffset",
            (Some("date"), _) => "Date",
            // The generator writes Edm.Guid as a string with the GUID pattern.
            (_, Some(p)) if p.contains("{8}-") => "Guid",
            _ => "String",
        }
        .to_string()
    }

    /// Replaces placeholders that break the schema with valid values; returns what was replaced.
    pub fn repair(&self, type_name: &str, value: &mut Value) -> Vec<Repair> {
        let mut repairs = Vec::new();
        // Only placeholders are repaired: a body without one needs no walk beside its schema.
        if has_placeholder(value, 0)
            && let Some(schema) = self.get(type_name)
        {
            self.repair_at(schema, value, &At::ROOT, &mut repairs, 0);
        }
        repairs
    }

    fn resolve<'s>(&'s self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..16 {
            if let Some(r) = json::str_member(schema, "$ref") {
                match self.schemas.get(r) {
                    Some(s) => schema = s,
                    None => return schema,
                }
            } else if let Some(branches) = json::member(schema, "anyOf").and_then(Value::as_array) {
                // `anyOf: [T, null]` is how a nullable reference is written; take T.
                match branches
                    .iter()
                    .find(|b| json::str_member(b, "type") != Some("null"))
                {
                    Some(b) => schema = b,
                    None => return schema,
                }
            } else {
                return schema;
            }
        }
        schema
    }

    fn repair_at(
        &self,
        schema: &Value,
        value: &mut Value,
        at: &At<'_>,
        repairs: &mut Vec<Repair>,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        // The schema is followed only towards placeholders.
        match value {
            Value::Object(map) => {
                let schema = self.resolve(schema);
                let Some(props) = json::member(schema, "properties").and_then(Value::as_object)
                else {
                    return;
                };
                for (k, v) in map.iter_mut() {
                    if !has_placeholder(v, depth + 1) {
                        continue;
                    }
                    if let Some(s) = json::lookup(props, k) {
                        self.repair_at(s, v, &at.key(k), repairs, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(s) = json::member(self.resolve(schema), "items") {
                    for (i, v) in items.iter_mut().enumerate() {
                        if has_placeholder(v, depth + 1) {
                            self.repair_at(s, v, &at.index(i), repairs, depth + 1);
                        }
                    }
                }
            }
            Value::String(s) if placeholder::is_placeholder_str(s) => {
                if let Some((to, why)) = valid_stand_in(self.resolve(schema), s) {
                    repairs.push(Repair {
                        pointer: at.pointer(),
                        from: Value::String(s.clone()),
                        to: Some(to.clone()),
                        why,
                    });
                    *value = to;
                }
            }
            _ => {}
        }
    }
}

/// Reads CSDL metadata from a file, gunzipping it when it ends in `.gz`.
pub fn read_metadata(path: &Path) -> Result<csdl::Metadata, SchemaError> {
    use std::io::Read;
    let io = |source| SchemaError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(io)?;
    } else {
        text = String::from_utf8(bytes)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    }
    csdl::Metadata::parse(&text).map_err(|source| SchemaError::Csdl {
        path: path.to_path_buf(),
        source,
    })
}

/// Generated schema documents: the named types and all they reference, or every type when none is named.
pub fn generate(
    metadata: &csdl::Metadata,
    types: &[String],
) -> Result<Vec<(String, Value)>, csdl::CsdlError> {
    let names = if types.is_empty() {
        metadata.type_names()
    } else {
        metadata.closure(types)?
    };
    names
        .into_iter()
        .map(|n| metadata.schema_for(&n).map(|s| (n, s)))
        .collect()
}

/// Writes the schemas of `types` (and every type they reference; all types when none is named)
/// from a metadata file into a folder, one `<type>.json` each; returns how many.
pub fn write_generated(
    metadata: &Path,
    types: &[String],
    out: &Path,
) -> Result<usize, SchemaError> {
    let meta = read_metadata(metadata)?;
    let docs = generate(&meta, types).map_err(|source| SchemaError::Csdl {
        path: metadata.to_path_buf(),
        source,
    })?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SchemaError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    for (name, schema) in &docs {
        let path = out.join(format!("{name}.json"));
        std::fs::write(&path, schema_file_text(schema)).map_err(io(&path))?;
    }
    Ok(docs.len())
}

/// A schema set of every type in a metadata file.
pub fn set_from_metadata(path: &Path) -> Result<SchemaSet, SchemaError> {
    let meta = read_metadata(path)?;
    let docs = generate(&meta, &[]).map_err(|source| SchemaError::Csdl {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(SchemaSet::new(docs.into_iter().map(|(_, d)| d).collect())?
        .with_origin(format!("schemas generated from {}", path.display())))
}

/// The text a schema file holds: pretty JSON with a trailing newline.
pub fn schema_file_text(schema: &Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Turns an error into findings; a failed nullable `anyOf: [T, null]` is reported as T's own
/// errors, since "not valid under any of the schemas" hides which property was wrong.
fn flatten(e: &jsonschema::ValidationError<'_>, out: &mut Vec<Finding>, depth: usize) {
    if let jsonschema::error::ValidationErrorKind::AnyOf { context } = e.kind() {
        let is_null_branch = |branch: &Vec<jsonschema::ValidationError<'static>>| {
            branch.len() == 1 && branch[0].to_string().ends_with("is not of type \"null\"")
        };
        let real: Vec<&Vec<jsonschema::ValidationError<'static>>> =
            context.iter().filter(|b| !is_null_branch(b)).collect();
        if real.len() == 1 && depth < 32 {
            for inner in real[0] {
                flatten(inner, out, depth + 1);
            }
            return;
        }
    }
    out.push(Finding {
        pointer: e.instance_path().to_string(),
        message: e.to_string(),
    });
}

/// Whether a property is a directory schema extension (`extension_<app id>_<name>`), which
/// Graph adds to open directory objects by design.
/// Whether `value` is or holds an object that names its type with `@odata.type` (keys
/// compared in place, not hashed: this is asked of every body checked).
fn holds_a_type(value: &Value, depth: usize) -> bool {
    match value {
        _ if depth > 64 => false,
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k == "@odata.type" || holds_a_type(v, depth + 1)),
        Value::Array(items) => items.iter().any(|v| holds_a_type(v, depth + 1)),
        _ => false,
    }
}

/// Whether a string in `value` is a placeholder (see [`placeholder::is_placeholder_str`]).
fn has_placeholder(value: &Value, depth: usize) -> bool {
    match value {
        _ if depth > 64 => false,
        Value::String(s) => placeholder::is_placeholder_str(s),
        Value::Object(map) => map.values().any(|v| has_placeholder(v, depth + 1)),
        Value::Array(items) => items.iter().any(|v| has_placeholder(v, depth + 1)),
        _ => false,
    }
}

fn is_directory_extension(key: &str) -> bool {
    key.strip_prefix("extension_")
        .and_then(|rest| rest.split_once('_'))
        .is_some_and(|(app, name)| {
            app.len() == 32 && app.chars().all(|c| c.is_ascii_hexdigit()) && !name.is_empty()
        })
}

/// A valid value to stand in for a placeholder string the schema rejects; `None` if it is fine as it is.
fn valid_stand_in(schema: &Value, s: &str) -> Option<(Value, String)> {
    if let Some(members) = json::member(schema, "enum").and_then(Value::as_array) {
        if members.iter().any(|m| m.as_str() == Some(s)) {
            return None;
        }
        let first = members.iter().find(|m| m.is_string())?;
        return Some((first.clone(), "first member of the enumeration".into()));
    }
    // Asked of every placeholder a body sends: the type keyword is read in place.
    let type_keyword = json::member(schema, "type");
    let allows = |name: &str| match type_keyword {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some(name)),
        _ => false,
    };
    let format = json::member(schema, "format").and_then(Value::as_str);
    if allows("string") {
        return match format {
            Some("date-time") => Some((
                Value::from("2021-07-01T00:00:00Z"),
                "a fixed RFC 3339 date-time".into(),
            )),
            Some("date") => Some((Value::from("2021-07-01"), "a fixed date".into())),
            Some("duration") => Some((Value::from("PT1H"), "a fixed ISO 8601 duration".into())),
            Some("uuid") => Some((
                Value::from("00000000-0000-0000-0000-000000000001"),
                "a fixed GUID".into(),
            )),
            _ => None,
        };
    }
    if allows("integer") || allows("number") {
        return Some((Value::from(0), "zero".into()));
    }
    if allows("boolean") {
        return Some((Value::from(false), "false".into()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set() -> SchemaSet {
        let entity = json!({"$id": "t.entity", "type": "object", "properties": {"id": {"type": "string"}},
            "patternProperties": {"@": {}}, "additionalProperties": false});
        let e = json!({"$id": "t.status", "type": "string", "enum": ["unknown", "active"]});
        let thing = json!({"$id": "t.thing", "x-baseType": "t.entity", "type": "object",
            "properties": {"id": {"type": "string"}, "when": {"type": ["string", "null"], "format": "date-time"},
                "status": {"anyOf": [{"$ref": "t.status"}, {"type": "null"}]},
                "tags": {"type": "array", "items": {"$ref": "t.status"}}},
            "patternProperties": {"@": {}}, "additionalProperties": false});
        match SchemaSet::new(vec![entity, e, thing]) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn derived_types_that_declare_a_property_are_found_and_only_those() {
        let s = set();
        assert_eq!(s.derived_declaring("t.entity", "when"), vec!["t.thing"]);
        // The base itself, and a property no derived type declares, give nothing.
        assert_eq!(s.derived_declaring("t.thing", "when"), Vec::<String>::new());
        assert_eq!(
            s.derived_declaring("t.entity", "nope"),
            Vec::<String>::new()
        );
        // `id` is declared by both, but only the derived one is named.
        assert_eq!(s.derived_declaring("t.entity", "id"), vec!["t.thing"]);
        assert_eq!(
            s.first_derived_declaring("t.entity", "id").as_deref(),
            Some("t.thing")
        );
        // Asked again, the remembered answer is the same.
        assert_eq!(
            s.first_derived_declaring("t.entity", "id").as_deref(),
            Some("t.thing")
        );
        assert_eq!(s.first_derived_declaring("t.thing", "when"), None);
    }

    #[test]
    fn validates_with_pointers_and_formats() {
        let s = set();
        let ok = json!({"id": "1", "when": "2016-12-31T23:58:05.5931807+03:00", "@odata.type": "#t.thing", "status": null});
        assert_eq!(s.validate("t.thing", &ok).ok(), Some(vec![]));
        let bad = json!({"id": 1, "when": "datetime-value", "status": "String", "extra": 1});
        let findings = s.validate("#t.thing", &bad).unwrap_or_default();
        let pointers: Vec<_> = findings.iter().map(|f| f.pointer.as_str()).collect();
        assert!(pointers.contains(&"/id"), "{findings:?}");
        assert!(pointers.contains(&"/when"), "{findings:?}");
        assert!(pointers.contains(&"/status"), "{findings:?}");
        assert!(pointers.contains(&""), "{findings:?}");
        assert!(matches!(
            s.validate("t.nope", &ok),
            Err(SchemaError::Unknown(_))
        ));
    }

    #[test]
    fn repairs_only_invalid_placeholders() {
        let s = set();
        let mut v = json!({"id": "id-value", "when": "datetime-value", "status": "String", "tags": ["String", "active"]});
        let repairs = s.repair("t.thing", &mut v);
        assert_eq!(
            v,
            json!({"id": "id-value", "when": "2021-07-01T00:00:00Z", "status": "unknown", "tags": ["unknown", "active"]})
        );
        let at: Vec<_> = repairs.iter().map(|r| r.pointer.as_str()).collect();
        assert_eq!(at, vec!["/when", "/status", "/tags/0"]);
        assert_eq!(s.validate("t.thing", &v).ok(), Some(vec![]));
    }

    #[test]
    fn a_reference_to_a_type_no_schema_declares_is_refused_when_loaded() {
        let dangling = json!({"$id": "t.a", "type": "object",
            "properties": {"b": {"$ref": "t.missing"}}});
        match SchemaSet::new(vec![dangling]) {
            Err(SchemaError::Compile { message, .. }) => assert!(message.contains("t.missing")),
            other => panic!("expected a compile error, got {other:?}"),
        }
    }

    #[test]
    fn knows_inheritance() {
        let s = set();
        assert!(s.is_derived_from("#t.thing", "t.entity"));
        assert!(!s.is_derived_from("t.entity", "t.thing"));
        assert!(!s.is_open("t.thing"));
    }
}
