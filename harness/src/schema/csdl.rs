//! Turns OData CSDL metadata (as published for Microsoft Graph) into JSON Schemas
//! (draft 2020-12), one schema per entity, complex and enum type.
//!
//! Schemas identify themselves and each other by the bare full type name
//! (`"$id": "microsoft.graph.entity"`, `{"$ref": "microsoft.graph.entity"}`), so a
//! registry keyed by those names resolves every reference without any network access.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use roxmltree::{Document, Node};
use serde_json::{Map, Value, json};

/// The JSON Schema dialect every generated schema declares.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

// Instance annotations (`@odata.type`, `prop@odata.nextLink`, ...) may appear on any
// object, so every object schema lets any name containing `@` through.
pub(crate) const ANNOTATION_PATTERN: &str = "@";

// IEEE754Compatible=true lets servers send 64-bit integers and decimals as strings,
// because JavaScript clients cannot hold them exactly as numbers.
pub(crate) const INT64_STRING_PATTERN: &str = "^-?[0-9]+$";
pub(crate) const DECIMAL_STRING_PATTERN: &str =
    "^[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?$";
// OData JSON spells the IEEE special values as strings; JSON numbers cannot express them.
pub(crate) const FLOAT_SPECIAL_PATTERN: &str = "^(?:NaN|INF|-INF)$";
pub(crate) const GUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
// OData JSON 4.01 §7.1: Edm.Binary is base64url, padding optional.
pub(crate) const BASE64URL_PATTERN: &str =
    "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$";
// `[0-9]` rather than `\d`: Rust regex engines treat `\d` as any Unicode digit.
pub(crate) const TIME_OF_DAY_PATTERN: &str = "^[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,12})?)?$";
// Not `format: duration`: that format follows RFC 3339 Appendix A, which rejects
// values OData and Graph use (`-PT1H`, fractional seconds such as `PT0.015S`, `PT1H30S`).
// No look-arounds, so the pattern also works with the linear-time `regex` engine.
pub(crate) const DURATION_PATTERN: &str = concat!(
    "^-?P(?:",
    "(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?",
    "T(?:[0-9]+H(?:[0-9]+M)?(?:[0-9]+(?:\\.[0-9]+)?S)?",
    "|[0-9]+M(?:[0-9]+(?:\\.[0-9]+)?S)?",
    "|[0-9]+(?:\\.[0-9]+)?S)",
    "|[0-9]+Y(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?",
    "|[0-9]+M(?:[0-9]+W)?(?:[0-9]+D)?",
    "|[0-9]+W(?:[0-9]+D)?",
    "|[0-9]+D",
    ")$"
);

/// What went wrong while reading CSDL or building a schema from it.
#[derive(Debug, thiserror::Error)]
pub enum CsdlError {
    /// The text is not well-formed XML.
    #[error("metadata is not well-formed XML: {0}")]
    Xml(#[from] roxmltree::Error),
    /// The document declares no `<Schema Namespace="...">`.
    #[error("metadata declares no <Schema Namespace=\"...\"> element")]
    NoSchema,
    /// An element lacks an attribute CSDL requires.
    #[error("line {line}: <{element}> has no {attribute} attribute")]
    MissingAttribute {
        /// Local name of the element.
        element: String,
        /// Name of the missing attribute.
        attribute: &'static str,
        /// 1-based line of the element.
        line: u32,
    },
    /// An attribute holds a value CSDL does not allow.
    #[error("line {line}: <{element}> has {attribute}=\"{value}\", expected {expected}")]
    InvalidAttribute {
        /// Local name of the element.
        element: String,
        /// Name of the attribute.
        attribute: &'static str,
        /// The offending value.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
        /// 1-based line of the element.
        line: u32,
    },
    /// Two types share one full name.
    #[error("line {line}: type {name} is declared more than once")]
    DuplicateType {
        /// Full name of the type.
        name: String,
        /// 1-based line of the second declaration.
        line: u32,
    },
    /// A type declares two properties or enum members with one name.
    #[error("line {line}: {type_name} declares {member} more than once")]
    DuplicateMember {
        /// Full name of the type.
        type_name: String,
        /// The repeated property or member name.
        member: String,
        /// 1-based line of the second declaration.
        line: u32,
    },
    /// The requested type is not declared.
    #[error("unknown type {0}")]
    UnknownType(String),
    /// A declared type refers to a type the metadata does not declare.
    #[error("{referrer} refers to undeclared type {target}")]
    UnresolvedType {
        /// Full name of the type holding the reference.
        referrer: String,
        /// The unresolved type name, aliases already expanded.
        target: String,
    },
    /// A type reaches itself by following base types.
    #[error("base types of {0} form a cycle")]
    InheritanceCycle(String),
    /// A type's base is not a structured type of the same kind.
    #[error("{name} derives from {base}, which is not a {kind} type")]
    InvalidBaseType {
        /// Full name of the derived type.
        name: String,
        /// Full name of the base type.
        base: String,
        /// The kind the base should have had.
        kind: &'static str,
    },
}

/// A property's type: a full type name (aliases expanded) or an `Edm.*` name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeRef {
    name: String,
    collection: bool,
}

#[derive(Debug, Clone)]
struct Property {
    name: String,
    ty: TypeRef,
    nullable: bool,
    navigation: bool,
}

#[derive(Debug, Clone)]
struct Structured {
    entity: bool,
    base: Option<String>,
    is_abstract: bool,
    open: bool,
    properties: Vec<Property>,
}

impl Structured {
    fn kind(&self) -> &'static str {
        if self.entity { "entity" } else { "complex" }
    }
}

#[derive(Debug, Clone)]
struct Enumeration {
    flags: bool,
    members: Vec<String>,
}

#[derive(Debug, Clone)]
enum TypeDef {
    Structured(Structured),
    Enum(Enumeration),
}

/// Parsed CSDL: every entity, complex and enum type, keyed by full name.
#[derive(Debug, Clone)]
pub struct Metadata {
    types: BTreeMap<String, TypeDef>,
    // TypeDefinitions get no schema of their own; properties use the underlying Edm type.
    definitions: BTreeMap<String, String>,
    aliases: BTreeMap<String, String>,
    // `type/property` targets annotated Core.Computed or Core.Permissions Read: not writable.
    read_only: BTreeSet<String>,
}

impl Metadata {
    /// Parses CSDL XML text.
    pub fn parse(xml: &str) -> Result<Metadata, CsdlError> {
        let doc = Document::parse(xml)?;
        let schemas: Vec<Node> = doc
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "Schema")
            .collect();
        let mut namespaces = Vec::with_capacity(schemas.len());
        let mut aliases = BTreeMap::new();
        // Aliases are collected first because a reference may use the alias of a schema
        // declared further down the document.
        for schema in &schemas {
            let namespace = required_attr(*schema, "Namespace")?;
            if let Some(alias) = schema.attribute("Alias") {
                aliases.insert(alias.to_string(), namespace.to_string());
            }
            namespaces.push(namespace);
        }
        if schemas.is_empty() {
            return Err(CsdlError::NoSchema);
        }
        let mut metadata = Metadata {
            types: BTreeMap::new(),
            definitions: BTreeMap::new(),
            aliases,
            read_only: BTreeSet::new(),
        };
        for (schema, namespace) in schemas.iter().zip(namespaces) {
            for node in schema.children().filter(Node::is_element) {
                metadata.parse_schema_child(node, namespace)?;
            }
        }
        metadata.read_only = metadata.read_only_targets(&schemas);
        Ok(metadata)
    }

    /// Properties the metadata marks read-only, as `full.type/property`: out-of-line
    /// `<Annotations Target=…>` and annotations inside a `<Property>` alike.
    fn read_only_targets(&self, schemas: &[Node]) -> BTreeSet<String> {
        let says_read_only = |annotation: Node| match annotation.attribute("Term") {
            Some("Org.OData.Core.V1.Computed") => annotation.attribute("Bool") != Some("false"),
            Some("Org.OData.Core.V1.Permissions") => annotation
                .descendants()
                .filter_map(|n| n.text())
                .chain(annotation.attribute("EnumMember"))
                .any(|t| t.trim().ends_with("Permission/Read")),
            _ => false,
        };
        let mut out = BTreeSet::new();
        for schema in schemas {
            let namespace = schema.attribute("Namespace").unwrap_or_default();
            for node in schema.descendants().filter(Node::is_element) {
                match node.tag_name().name() {
                    "Annotations" => {
                        let Some(target) = node.attribute("Target") else {
                            continue;
                        };
                        let Some((ty, prop)) = target.split_once('/') else {
                            continue;
                        };
                        let marked = node
                            .children()
                            .filter(|c| c.is_element() && c.tag_name().name() == "Annotation")
                            .any(says_read_only);
                        if marked {
                            out.insert(format!("{}/{prop}", self.qualify(ty)));
                        }
                    }
                    "Property" | "NavigationProperty" => {
                        let marked = node
                            .children()
                            .filter(|c| c.is_element() && c.tag_name().name() == "Annotation")
                            .any(says_read_only);
                        let owner = node.parent().and_then(|p| p.attribute("Name"));
                        if let (true, Some(owner), Some(name)) =
                            (marked, owner, node.attribute("Name"))
                        {
                            out.insert(format!("{namespace}.{owner}/{name}"));
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// Whether a type or one of its ancestors marks the property read-only.
    fn is_read_only(&self, full: &str, property: &str) -> bool {
        let mut current = Some(full.to_string());
        let mut hops = 0;
        while let Some(name) = current {
            if self.read_only.contains(&format!("{name}/{property}")) {
                return true;
            }
            hops += 1;
            if hops > 64 {
                return false;
            }
            current = match self.types.get(&name) {
                Some(TypeDef::Structured(s)) => s.base.clone(),
                _ => None,
            };
        }
        false
    }

    fn parse_schema_child(&mut self, node: Node, namespace: &str) -> Result<(), CsdlError> {
        let kind = node.tag_name().name();
        if !matches!(
            kind,
            "EntityType" | "ComplexType" | "EnumType" | "TypeDefinition"
        ) {
            return Ok(());
        }
        let full_name = format!("{namespace}.{}", required_attr(node, "Name")?);
        if self.types.contains_key(&full_name) || self.definitions.contains_key(&full_name) {
            return Err(CsdlError::DuplicateType {
                name: full_name,
                line: line_of(node),
            });
        }
        let def = match kind {
            "EnumType" => TypeDef::Enum(parse_enum(node, &full_name)?),
            "TypeDefinition" => {
                let underlying = self.qualify(required_attr(node, "UnderlyingType")?);
                self.definitions.insert(full_name, underlying);
                return Ok(());
            }
            _ => TypeDef::Structured(self.parse_structured(
                node,
                &full_name,
                kind == "EntityType",
            )?),
        };
        self.types.insert(full_name, def);
        Ok(())
    }

    fn parse_structured(
        &self,
        node: Node,
        full_name: &str,
        entity: bool,
    ) -> Result<Structured, CsdlError> {
        let mut properties: Vec<Property> = Vec::new();
        for child in node.children().filter(Node::is_element) {
            let navigation = match child.tag_name().name() {
                "Property" => false,
                "NavigationProperty" => true,
                _ => continue,
            };
            let name = required_attr(child, "Name")?;
            if properties.iter().any(|p| p.name == name) {
                return Err(CsdlError::DuplicateMember {
                    type_name: full_name.to_string(),
                    member: name.to_string(),
                    line: line_of(child),
                });
            }
            properties.push(Property {
                name: name.to_string(),
                ty: self.parse_type_ref(child)?,
                nullable: bool_attr(child, "Nullable", true)?,
                navigation,
            });
        }
        Ok(Structured {
            entity,
            base: node.attribute("BaseType").map(|b| self.qualify(b)),
            is_abstract: bool_attr(node, "Abstract", false)?,
            open: bool_attr(node, "OpenType", false)?,
            properties,
        })
    }

    fn parse_type_ref(&self, node: Node) -> Result<TypeRef, CsdlError> {
        let raw = required_attr(node, "Type")?.trim();
        let (inner, collection) = match raw.strip_prefix("Collection(") {
            Some(rest) => match rest.strip_suffix(')') {
                Some(inner) => (inner.trim(), true),
                None => {
                    return Err(CsdlError::InvalidAttribute {
                        element: node.tag_name().name().to_string(),
                        attribute: "Type",
                        value: raw.to_string(),
                        expected: "a type name or Collection(type name)",
                        line: line_of(node),
                    });
                }
            },
            None => (raw, false),
        };
        Ok(TypeRef {
            name: self.qualify(inner),
            collection,
        })
    }

    /// Expands a namespace alias (`graph.entity` → `microsoft.graph.entity`).
    fn qualify(&self, name: &str) -> String {
        match name.rsplit_once('.') {
            Some((ns, local)) => match self.aliases.get(ns) {
                Some(full_ns) => format!("{full_ns}.{local}"),
                None => name.to_string(),
            },
            None => name.to_string(),
        }
    }

    /// Maps a caller-supplied name (`#graph.entity`, `microsoft.graph.entity`) to a declared full name.
    fn canonical(&self, name: &str) -> Option<String> {
        let full = self.qualify(name.trim().trim_start_matches('#'));
        self.types.contains_key(&full).then_some(full)
    }

    fn lookup(&self, name: &str) -> Result<(String, &TypeDef), CsdlError> {
        let full = self
            .canonical(name)
            .ok_or_else(|| CsdlError::UnknownType(name.to_string()))?;
        match self.types.get(&full) {
            Some(def) => Ok((full, def)),
            None => Err(CsdlError::UnknownType(name.to_string())),
        }
    }

    /// Full names of every entity, complex and enum type, sorted.
    pub fn type_names(&self) -> Vec<String> {
        self.types.keys().cloned().collect()
    }

    /// Whether a type exists (full name, alias form or `#`-prefixed).
    pub fn has_type(&self, full_name: &str) -> bool {
        self.canonical(full_name).is_some()
    }

    /// Full name of the direct base type, if any; fails for an unknown type.
    pub fn base_type(&self, full_name: &str) -> Result<Option<String>, CsdlError> {
        match self.lookup(full_name)? {
            (_, TypeDef::Structured(s)) => Ok(s.base.clone()),
            (_, TypeDef::Enum(_)) => Ok(None),
        }
    }

    /// Whether `derived` is `base` or inherits from it; false if either is unknown.
    pub fn is_derived_from(&self, derived: &str, base: &str) -> bool {
        let (Some(mut current), Some(base)) = (self.canonical(derived), self.canonical(base))
        else {
            return false;
        };
        // A cycle in the metadata must not hang the caller; no chain is longer than the type count.
        for _ in 0..=self.types.len() {
            if current == base {
                return true;
            }
            match self.types.get(&current) {
                Some(TypeDef::Structured(Structured {
                    base: Some(next), ..
                })) => current = next.clone(),
                _ => return false,
            }
        }
        false
    }

    /// The named types plus every type their schemas `$ref` transitively (base types, structural property types, enums), sorted by name.
    pub fn closure(&self, roots: &[String]) -> Result<Vec<String>, CsdlError> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::new();
        for root in roots {
            let (full, _) = self.lookup(root)?;
            if seen.insert(full.clone()) {
                queue.push_back(full);
            }
        }
        while let Some(name) = queue.pop_front() {
            let Some(TypeDef::Structured(s)) = self.types.get(&name) else {
                continue;
            };
            // Navigation targets are named, not `$ref`-ed (see `navigation_target`), so a
            // registry does not need them; following them would pull in most of Graph.
            let targets = s.base.iter().chain(
                s.properties
                    .iter()
                    .filter(|p| !p.navigation)
                    .map(|p| &p.ty.name),
            );
            for target in targets {
                if self.is_primitive(target) {
                    continue;
                }
                if !self.types.contains_key(target) {
                    return Err(CsdlError::UnresolvedType {
                        referrer: name.clone(),
                        target: target.clone(),
                    });
                }
                if seen.insert(target.clone()) {
                    queue.push_back(target.clone());
                }
            }
        }
        Ok(seen.into_iter().collect())
    }

    /// The JSON Schema for one type (full name, e.g. "microsoft.graph.hostSecurityProfile").
    pub fn schema_for(&self, full_name: &str) -> Result<Value, CsdlError> {
        let (full, def) = self.lookup(full_name)?;
        let mut schema = Map::new();
        schema.insert("$schema".into(), json!(DIALECT));
        schema.insert("$id".into(), json!(full));
        schema.insert("title".into(), json!(full));
        // Graph declares `microsoft.graph.Json` as an empty complex type but uses it for any JSON
        // value (workbook ranges hold arrays of arrays), so its schema accepts anything.
        if full == "microsoft.graph.Json" {
            schema.insert("x-kind".into(), json!("complex"));
            schema.insert("x-anyJson".into(), json!(true));
            return Ok(Value::Object(schema));
        }
        match def {
            TypeDef::Enum(e) => enum_schema(&mut schema, e),
            TypeDef::Structured(s) => self.structured_schema(&mut schema, &full, s)?,
        }
        Ok(Value::Object(schema))
    }

    fn is_primitive(&self, name: &str) -> bool {
        name.starts_with("Edm.") || self.definitions.contains_key(name)
    }

    /// The type and its ancestors, base-most first.
    fn ancestry<'a>(
        &'a self,
        full: &'a str,
        own: &'a Structured,
    ) -> Result<Vec<&'a Structured>, CsdlError> {
        let mut chain = vec![own];
        let mut visited = BTreeSet::from([full]);
        let mut current = (full, own);
        while let Some(base) = current.1.base.as_deref() {
            if !visited.insert(base) {
                return Err(CsdlError::InheritanceCycle(full.to_string()));
            }
            let parent = match self.types.get(base) {
                Some(TypeDef::Structured(parent)) if parent.entity == own.entity => parent,
                Some(_) => {
                    return Err(CsdlError::InvalidBaseType {
                        name: current.0.to_string(),
                        base: base.to_string(),
                        kind: own.kind(),
                    });
                }
                None => {
                    return Err(CsdlError::UnresolvedType {
                        referrer: current.0.to_string(),
                        target: base.to_string(),
                    });
                }
            };
            chain.push(parent);
            current = (base, parent);
        }
        chain.reverse();
        Ok(chain)
    }

    fn structured_schema(
        &self,
        schema: &mut Map<String, Value>,
        full: &str,
        own: &Structured,
    ) -> Result<(), CsdlError> {
        let chain = self.ancestry(full, own)?;
        // A redeclared property keeps its inherited position but takes the derived definition.
        let mut merged: Vec<&Property> = Vec::new();
        for ty in &chain {
            for prop in &ty.properties {
                match merged.iter_mut().find(|p| p.name == prop.name) {
                    Some(slot) => *slot = prop,
                    None => merged.push(prop),
                }
            }
        }
        // CSDL requires types derived from an open type to be open too, so openness is inherited.
        let open = chain.iter().any(|t| t.open);

        let mut properties = Map::new();
        for prop in &merged {
            let mut schema = self.property_schema(full, prop)?;
            if self.is_read_only(full, &prop.name)
                && let Value::Object(m) = &mut schema
            {
                m.insert("readOnly".into(), json!(true));
            }
            properties.insert(prop.name.clone(), schema);
        }
        let names = |keep: fn(&Property) -> bool| -> Value {
            merged
                .iter()
                .filter(|p| keep(p))
                .map(|p| json!(p.name))
                .collect()
        };

        schema.insert("x-kind".into(), json!(own.kind()));
        if let Some(base) = &own.base {
            schema.insert("x-baseType".into(), json!(base));
        }
        if own.is_abstract {
            schema.insert("x-abstract".into(), json!(true));
        }
        if open {
            schema.insert("x-openType".into(), json!(true));
        }
        schema.insert("type".into(), json!("object"));
        schema.insert("properties".into(), Value::Object(properties));
        schema.insert(
            "patternProperties".into(),
            json!({ ANNOTATION_PATTERN: {} }),
        );
        schema.insert("additionalProperties".into(), json!(open));
        schema.insert("x-navigationProperties".into(), names(|p| p.navigation));
        schema.insert("x-nonNullable".into(), names(|p| !p.nullable));
        Ok(())
    }

    fn property_schema(&self, referrer: &str, prop: &Property) -> Result<Value, CsdlError> {
        let element = if prop.navigation {
            self.navigation_target(referrer, &prop.ty.name)?
        } else {
            self.element_schema(referrer, &prop.ty.name)?
        };
        if prop.ty.collection {
            // The collection itself is never null. Entities in a navigation collection
            // cannot be null either; CSDL forbids Nullable on those.
            let items = if prop.nullable && !prop.navigation {
                nullable(element)
            } else {
                element
            };
            Ok(json!({ "type": "array", "items": items }))
        } else if prop.nullable {
            Ok(nullable(element))
        } else {
            Ok(element)
        }
    }

    /// Names the target entity type instead of `$ref`-ing it.
    ///
    /// Through navigation properties one Graph entity type reaches hundreds of others
    /// (`microsoft.graph.baseItem` reaches 650 of the beta's 3466). jsonschema 0.61 caches a
    /// compiled `$ref` target per dynamic scope, i.e. per path that reached it, so with
    /// `$ref`s here building one validator for `baseItem` took 17 s in release mode and for
    /// `microsoft.graph.user` over a minute. An expanded navigation property is therefore
    /// only checked to be an object.
    fn navigation_target(&self, referrer: &str, name: &str) -> Result<Value, CsdlError> {
        if !self.types.contains_key(name) {
            return Err(CsdlError::UnresolvedType {
                referrer: referrer.to_string(),
                target: name.to_string(),
            });
        }
        Ok(json!({ "type": "object", "x-navigationType": name }))
    }

    fn element_schema(&self, referrer: &str, name: &str) -> Result<Value, CsdlError> {
        if name.starts_with("Edm.") {
            return Ok(edm_schema(name));
        }
        if let Some(underlying) = self.definitions.get(name) {
            return Ok(edm_schema(underlying));
        }
        if self.types.contains_key(name) {
            return Ok(json!({ "$ref": name }));
        }
        Err(CsdlError::UnresolvedType {
            referrer: referrer.to_string(),
            target: name.to_string(),
        })
    }
}

fn enum_schema(schema: &mut Map<String, Value>, e: &Enumeration) {
    schema.insert("x-kind".into(), json!("enum"));
    schema.insert("type".into(), json!("string"));
    if e.flags && !e.members.is_empty() {
        let alternatives = e
            .members
            .iter()
            .map(|m| regex_escape(m))
            .collect::<Vec<_>>()
            .join("|");
        schema.insert("x-flags".into(), json!(true));
        schema.insert("x-members".into(), json!(e.members));
        // Graph's own examples write both "a,b" and "a, b", so spaces after commas pass.
        schema.insert(
            "pattern".into(),
            json!(format!("^(?:{alternatives})(?:, *(?:{alternatives}))*$")),
        );
    } else {
        schema.insert("enum".into(), json!(e.members));
    }
}

fn parse_enum(node: Node, full_name: &str) -> Result<Enumeration, CsdlError> {
    let mut members: Vec<String> = Vec::new();
    for member in node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "Member")
    {
        let name = required_attr(member, "Name")?;
        if members.iter().any(|m| m == name) {
            return Err(CsdlError::DuplicateMember {
                type_name: full_name.to_string(),
                member: name.to_string(),
                line: line_of(member),
            });
        }
        members.push(name.to_string());
    }
    Ok(Enumeration {
        flags: bool_attr(node, "IsFlags", false)?,
        members,
    })
}

/// The JSON Schema of one EDM primitive value (`Edm.String`), standing alone.
pub fn primitive_schema(name: &str) -> Value {
    let mut schema = edm_schema(name);
    if let Value::Object(m) = &mut schema {
        m.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
    }
    schema
}

/// Schema of one primitive value, before nullability is applied.
fn edm_schema(name: &str) -> Value {
    let integer = |min: i64, max: i64| json!({ "type": "integer", "minimum": min, "maximum": max });
    let pattern = |p: &str| json!({ "type": "string", "pattern": p });
    let format = |f: &str| json!({ "type": "string", "format": f });
    match name {
        "Edm.String" | "Edm.Stream" => json!({ "type": "string" }),
        "Edm.Boolean" => json!({ "type": "boolean" }),
        "Edm.Byte" => integer(u8::MIN.into(), u8::MAX.into()),
        "Edm.SByte" => integer(i8::MIN.into(), i8::MAX.into()),
        "Edm.Int16" => integer(i16::MIN.into(), i16::MAX.into()),
        "Edm.Int32" => integer(i32::MIN.into(), i32::MAX.into()),
        // A type list keeps each keyword scoped: minimum/maximum only constrain
        // numbers and pattern only constrains strings.
        "Edm.Int64" => json!({
            "type": ["integer", "string"],
            "minimum": i64::MIN,
            "maximum": i64::MAX,
            "pattern": INT64_STRING_PATTERN,
        }),
        "Edm.Double" | "Edm.Single" => {
            json!({ "type": ["number", "string"], "pattern": FLOAT_SPECIAL_PATTERN })
        }
        "Edm.Decimal" => json!({ "type": ["number", "string"], "pattern": DECIMAL_STRING_PATTERN }),
        "Edm.Guid" => pattern(GUID_PATTERN),
        "Edm.Binary" => pattern(BASE64URL_PATTERN),
        "Edm.DateTimeOffset" => format("date-time"),
        "Edm.Date" => format("date"),
        "Edm.TimeOfDay" => pattern(TIME_OF_DAY_PATTERN),
        "Edm.Duration" => pattern(DURATION_PATTERN),
        // GeoJSON objects; their inner shape is not checked.
        n if n.starts_with("Edm.Geography") || n.starts_with("Edm.Geometry") => {
            json!({ "type": "object" })
        }
        // Edm.Untyped, Edm.PrimitiveType and future additions: accept anything rather than fail.
        _ => json!({}),
    }
}

/// Lets `null` through a schema.
fn nullable(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return schema;
    };
    if map.contains_key("$ref") {
        return json!({ "anyOf": [Value::Object(map), { "type": "null" }] });
    }
    match map.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            map.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
            types.push(json!("null"));
        }
        // No "type" keyword means null already passes.
        _ => {}
    }
    Value::Object(map)
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn line_of(node: Node) -> u32 {
    node.document().text_pos_at(node.range().start).row
}

fn required_attr<'a>(node: Node<'a, '_>, attribute: &'static str) -> Result<&'a str, CsdlError> {
    node.attribute(attribute)
        .ok_or_else(|| CsdlError::MissingAttribute {
            element: node.tag_name().name().to_string(),
            attribute,
            line: line_of(node),
        })
}

fn bool_attr(node: Node, attribute: &'static str, default: bool) -> Result<bool, CsdlError> {
    match node.attribute(attribute) {
        None => Ok(default),
        // xs:boolean, which CSDL uses, also allows 1 and 0.
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(CsdlError::InvalidAttribute {
            element: node.tag_name().name().to_string(),
            attribute,
            value: other.to_string(),
            expected: "true or false",
            line: line_of(node),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="color" IsFlags="true">
        <Member Name="red" Value="1" />
        <Member Name="green" Value="2" />
      </EnumType>
      <EntityType Name="entity" Abstract="true">
        <Key><PropertyRef Name="id" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" />
        <Property Name="label" Type="Edm.String" />
      </EntityType>
      <EntityType Name="thing" BaseType="graph.entity" OpenType="true">
        <Property Name="size" Type="Edm.Int64" />
        <Property Name="label" Type="Edm.Int32" Nullable="false" />
        <Property Name="colors" Type="Collection(graph.color)" />
        <NavigationProperty Name="parts" Type="Collection(microsoft.graph.other.part)" />
        <NavigationProperty Name="owner" Type="graph.thing" />
      </EntityType>
      <EntityType Name="special" BaseType="microsoft.graph.thing" />
      <TypeDefinition Name="when" UnderlyingType="Edm.Date" />
    </Schema>
    <Schema Namespace="microsoft.graph.other" Alias="other" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="part" BaseType="graph.entity">
        <Property Name="made" Type="graph.when" />
        <Property Name="span" Type="Edm.Duration" Nullable="false" />
      </EntityType>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

    fn small() -> Metadata {
        match Metadata::parse(SMALL) {
            Ok(m) => m,
            Err(e) => panic!("small metadata failed to parse: {e}"),
        }
    }

    fn schema(m: &Metadata, name: &str) -> Value {
        match m.schema_for(name) {
            Ok(s) => s,
            Err(e) => panic!("{name}: {e}"),
        }
    }

    #[test]
    fn names_are_expanded_and_sorted() {
        let m = small();
        assert_eq!(
            m.type_names(),
            [
                "microsoft.graph.color",
                "microsoft.graph.entity",
                "microsoft.graph.other.part",
                "microsoft.graph.special",
                "microsoft.graph.thing",
            ]
        );
        assert!(m.has_type("#graph.thing"));
        assert!(m.has_type("other.part"));
        assert!(!m.has_type("microsoft.graph.when"));
        assert_eq!(
            m.base_type("microsoft.graph.other.part").ok().flatten(),
            Some("microsoft.graph.entity".to_string())
        );
        assert!(m.is_derived_from("graph.special", "#microsoft.graph.entity"));
        assert!(m.is_derived_from("graph.thing", "graph.thing"));
        assert!(!m.is_derived_from("graph.entity", "graph.thing"));
        assert!(!m.is_derived_from("graph.nothing", "graph.entity"));
    }

    #[test]
    fn inherited_properties_come_first_and_overrides_win() {
        let s = schema(&small(), "graph.special");
        assert_eq!(s["$id"], "microsoft.graph.special");
        assert_eq!(s["x-baseType"], "microsoft.graph.thing");
        assert_eq!(s["x-openType"], true);
        assert_eq!(s["additionalProperties"], true);
        assert!(s.get("x-abstract").is_none());
        let keys: Vec<&String> = s["properties"]
            .as_object()
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["id", "label", "size", "colors", "parts", "owner"]);
        assert_eq!(s["properties"]["label"]["type"], "integer");
        assert_eq!(s["x-nonNullable"], json!(["id", "label"]));
        assert_eq!(s["x-navigationProperties"], json!(["parts", "owner"]));
        assert_eq!(
            s["properties"]["parts"],
            json!({"type": "array", "items": {"type": "object", "x-navigationType": "microsoft.graph.other.part"}})
        );
        assert_eq!(
            s["properties"]["owner"],
            json!({"type": ["object", "null"], "x-navigationType": "microsoft.graph.thing"})
        );
        assert_eq!(
            s["properties"]["colors"]["items"],
            json!({"anyOf": [{"$ref": "microsoft.graph.color"}, {"type": "null"}]})
        );
        assert_eq!(
            s["properties"]["size"]["type"],
            json!(["integer", "string", "null"])
        );
    }

    #[test]
    fn type_definitions_and_flags() {
        let m = small();
        let part = schema(&m, "microsoft.graph.other.part");
        assert_eq!(part["properties"]["made"]["format"], "date");
        assert_eq!(part["additionalProperties"], false);
        assert_eq!(part["properties"]["span"]["type"], "string");
        let color = schema(&m, "graph.color");
        assert_eq!(color["pattern"], "^(?:red|green)(?:, *(?:red|green))*$");
        assert_eq!(color["x-members"], json!(["red", "green"]));
    }

    #[test]
    fn closure_follows_bases_properties_and_enums() {
        let m = small();
        let got = m
            .closure(&["graph.special".to_string()])
            .unwrap_or_default();
        assert_eq!(
            got,
            [
                "microsoft.graph.color",
                "microsoft.graph.entity",
                "microsoft.graph.special",
                "microsoft.graph.thing",
            ]
        );
        let got = m.closure(&["other.part".to_string()]).unwrap_or_default();
        assert_eq!(
            got,
            ["microsoft.graph.entity", "microsoft.graph.other.part"]
        );
        assert!(matches!(
            m.closure(&["graph.none".to_string()]),
            Err(CsdlError::UnknownType(_))
        ));
    }

    #[test]
    fn errors_are_typed() {
        let m = small();
        assert!(matches!(
            m.schema_for("nope"),
            Err(CsdlError::UnknownType(_))
        ));
        assert!(matches!(Metadata::parse("<a"), Err(CsdlError::Xml(_))));
        assert!(matches!(Metadata::parse("<a/>"), Err(CsdlError::NoSchema)));
        let wrap = |body: &str| format!("<Edmx><Schema Namespace=\"n\">{body}</Schema></Edmx>");
        assert!(matches!(
            Metadata::parse(&wrap(
                "<ComplexType Name=\"a\"><Property Name=\"p\"/></ComplexType>"
            )),
            Err(CsdlError::MissingAttribute {
                attribute: "Type",
                line: 1,
                ..
            })
        ));
        assert!(matches!(
            Metadata::parse(&wrap("<ComplexType Name=\"a\" OpenType=\"yes\"/>")),
            Err(CsdlError::InvalidAttribute {
                attribute: "OpenType",
                ..
            })
        ));
        assert!(matches!(
            Metadata::parse(&wrap("<EnumType Name=\"a\"/><ComplexType Name=\"a\"/>")),
            Err(CsdlError::DuplicateType { .. })
        ));
        assert!(matches!(
            Metadata::parse(&wrap(
                "<EnumType Name=\"a\"><Member Name=\"x\"/><Member Name=\"x\"/></EnumType>"
            )),
            Err(CsdlError::DuplicateMember { .. })
        ));
        let dangling = Metadata::parse(&wrap(
            "<ComplexType Name=\"a\"><Property Name=\"p\" Type=\"n.b\"/></ComplexType>",
        ));
        let dangling = dangling.unwrap_or_else(|e| panic!("{e}"));
        let dangling_nav = Metadata::parse(&wrap(
            "<EntityType Name=\"a\"><NavigationProperty Name=\"p\" Type=\"Collection(n.b)\"/></EntityType>",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            dangling_nav.schema_for("n.a"),
            Err(CsdlError::UnresolvedType { .. })
        ));
        assert!(matches!(
            dangling.schema_for("n.a"),
            Err(CsdlError::UnresolvedType { .. })
        ));
        assert!(matches!(
            dangling.closure(&["n.a".to_string()]),
            Err(CsdlError::UnresolvedType { .. })
        ));
        let cycle = Metadata::parse(&wrap(
            "<ComplexType Name=\"a\" BaseType=\"n.b\"/><ComplexType Name=\"b\" BaseType=\"n.a\"/>",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            cycle.schema_for("n.a"),
            Err(CsdlError::InheritanceCycle(_))
        ));
        assert!(!cycle.is_derived_from("n.a", "n.c"));
        let mixed = Metadata::parse(&wrap(
            "<ComplexType Name=\"a\" BaseType=\"n.b\"/><EntityType Name=\"b\"/>",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            mixed.schema_for("n.a"),
            Err(CsdlError::InvalidBaseType { .. })
        ));
    }

    #[test]
    fn nullable_keeps_schemas_without_type() {
        assert_eq!(nullable(json!({})), json!({}));
        assert_eq!(
            nullable(json!({"type": ["a", "null"]})),
            json!({"type": ["a", "null"]})
        );
        assert_eq!(edm_schema("Edm.Untyped"), json!({}));
        assert_eq!(edm_schema("Edm.GeographyPoint"), json!({"type": "object"}));
    }
}
