//! Seeding: the store filled from every documented response example (entities under the ids
//! they show, listings' items as members of their collection), and a value for every path
//! parameter of every case, naming what was seeded.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::routes::{OpKind, Operation};
use super::store::{Entities, stable_id};
use super::{Mock, Seeded};
use crate::http::ResourcePath;
use crate::model::case::Body;

/// An entity's key value as text (`"id": "x"` or `"id": 7`).
fn id_text(entity: &Map<String, Value>) -> Option<String> {
    match entity.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An example object as the store keeps it: what describes the response (`@odata.context`,
/// paging links) left out.
fn stored(example: &Map<String, Value>) -> Map<String, Value> {
    example
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "@odata.context" | "@odata.nextLink" | "@odata.deltaLink" | "@odata.count"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// An entity example that wraps the entity in `value` (a doc defect: that is a collection's
/// shape) unwrapped, its annotations kept.
fn unwrap_value(v: &mut Value) {
    let Value::Object(map) = v else {
        return;
    };
    let only_value = map.keys().all(|k| k == "value" || k.starts_with('@'));
    if !only_value {
        return;
    }
    if !matches!(map.get("value"), Some(Value::Object(_))) {
        return;
    }
    if let Some(Value::Object(inner)) = map.remove("value") {
        let mut out: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| k.starts_with('@'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.extend(inner);
        *v = Value::Object(out);
    }
}

/// The value an example shows for a key parameter: the property the parameter's name names
/// (`{name}` is `name`, `{index}` is `index`), else its `id`.
fn key_value(example: &Map<String, Value>, param: &str) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    param
        .split('|')
        .filter(|p| !p.to_ascii_lowercase().ends_with("id"))
        .find_map(|p| example.get(p).and_then(text))
        .or_else(|| id_text(example))
}

/// A stand-in value for a parameter nothing names: its own name, as URL-safe text.
fn stand_in(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

impl Mock {
    /// Makes every operation's documented body valid against its type (see
    /// [`SchemaSet::conform`](crate::schema::SchemaSet::conform)), so that the mock, the
    /// reference implementation, answers conformantly where the doc's example stands in for a
    /// value or breaks the metadata (which lint reports).
    pub(super) fn repair_examples(&mut self) {
        for op in &mut self.ops {
            let Some(t) = op.type_name.clone() else {
                continue;
            };
            let Some(Body::Json(v)) = &mut op.body else {
                continue;
            };
            let collection = op.kind == OpKind::List || op.collection;
            if !collection {
                unwrap_value(v);
            }
            let repairs = if collection {
                match v.get_mut("value").and_then(Value::as_array_mut) {
                    Some(items) => items
                        .iter_mut()
                        .flat_map(|item| self.schemas.conform(&t, item))
                        .collect(),
                    None => Vec::new(),
                }
            } else if v.is_object() && self.schemas.has(&t) {
                self.schemas.conform(&t, v)
            } else {
                Vec::new()
            };
            self.notes.extend(
                repairs
                    .into_iter()
                    .map(|r| format!("{}: example {r}", op.case_id)),
            );
        }
    }

    /// Seeds the store from every example and gives every case's parameters values: first the
    /// operations whose examples show entities (fewer parent parameters first, so that a nested
    /// path finds its parents; listings first, so that their items lead their collections), then
    /// the others, which name what was seeded.
    pub(super) fn seed(&mut self) {
        let mut entities = Entities::default();
        let shows_entities = |op: &Operation| {
            op.kind == OpKind::List
                || op
                    .example()
                    .and_then(Value::as_object)
                    .is_some_and(|e| e.contains_key("id"))
        };
        let mut order: Vec<usize> = (0..self.ops.len()).collect();
        order.sort_by_key(|&i| {
            let op = &self.ops[i];
            // Parents before what nests under them: count the parameters that name a parent
            // (an operation's own key is not one of them).
            let parents = op.param_count() - usize::from(op.ends_in_key() && op.param_count() > 0);
            (
                !shows_entities(op),
                parents,
                op.kind != OpKind::List,
                op.order,
            )
        });
        for i in order {
            let values = self.assign(&self.ops[i], &entities);
            let op = &self.ops[i];
            let path = self.canonical(op.fill(&values));
            let mut seeded = seed_example(op, &path, &mut entities);
            // The signed-in user is one of the users: `/users/{id}` finds it.
            if self.alias(&path).is_some_and(|a| a.segments().len() == 1)
                && entities.contains(&path.key())
            {
                entities.merge(path.key(), Map::new(), Some(&path.parent().key()));
            }
            // Shown as the docs spell it: the signed-in user's resources under `/me`.
            for s in &mut seeded {
                if let Some(alias) = self.alias(&ResourcePath::parse(&s.path)) {
                    s.path = format!("/{}", alias.segments().join("/"));
                }
            }
            self.seeded.extend(seeded);
            let case_id = op.case_id.clone();
            self.params.insert(case_id, values);
        }
        entities.conform_all(&self.schemas);
        self.store = super::store::Store::with(entities);
    }
}

/// Stores what one operation's example shows, at the path the case will be sent to; returns
/// the entities it added.
fn seed_example(op: &Operation, path: &ResourcePath, entities: &mut Entities) -> Vec<Seeded> {
    let mut added = Vec::new();
    let type_name = op.type_name.clone().unwrap_or_default();
    let example = op.example().and_then(Value::as_object);
    let seeded = |key: &ResourcePath, from: &str| Seeded {
        path: format!("/{}", key.segments().join("/")),
        type_name: type_name.clone(),
        from_case: from.to_string(),
    };
    match op.kind {
        OpKind::List => {
            let collection = path.key();
            let items = example
                .and_then(|e| e.get("value"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (n, item) in items.iter().enumerate() {
                let Value::Object(item) = item else {
                    continue;
                };
                let id = id_text(item).unwrap_or_else(|| format!("#{}-{n}", op.case_id));
                let key = path.child(&id);
                if !entities.contains(&key.key()) {
                    added.push(seeded(&key, &op.case_id));
                }
                entities.merge(key.key(), stored(item), Some(&collection));
                if !type_name.is_empty() {
                    entities.set_type(&key.key(), &type_name);
                }
            }
        }
        OpKind::Read | OpKind::Update | OpKind::Replace | OpKind::Create => {
            let target = if op.kind == OpKind::Create {
                match example.and_then(id_text) {
                    Some(id) => path.child(&id),
                    None => return added,
                }
            } else {
                path.clone()
            };
            let member_of =
                (op.ends_in_key() || op.kind == OpKind::Create).then(|| target.parent().key());
            match example {
                // A read stores what it shows at its path, key or not (a singleton, a
                // function's answer), so that writes to the path show there.
                Some(e) if e.contains_key("id") || op.kind == OpKind::Read => {
                    if !entities.contains(&target.key()) {
                        added.push(seeded(&target, &op.case_id));
                    }
                    let mut e = stored(e);
                    // An entity stored under a key is the entity of that key, whatever id
                    // the example of a write to it shows.
                    if matches!(op.kind, OpKind::Update | OpKind::Replace)
                        && op.ends_in_key()
                        && let (Some(Value::String(_)), Some(last)) =
                            (e.get("id"), target.segments().last())
                    {
                        e.insert("id".into(), Value::String(last.clone()));
                    }
                    entities.merge(target.key(), e, member_of.as_deref());
                    if !type_name.is_empty() {
                        entities.set_type(&target.key(), &type_name);
                    }
                }
                // An update or a replace with no entity shown still needs one to change.
                _ if matches!(op.kind, OpKind::Update | OpKind::Replace)
                    && !entities.contains(&target.key()) =>
                {
                    let mut stub = Map::new();
                    let id = target.segments().last().cloned().unwrap_or_default();
                    stub.insert("id".into(), Value::String(id));
                    entities.insert(target.key(), stub, None);
                    added.push(seeded(&target, &op.case_id));
                }
                _ => {}
            }
        }
        OpKind::Delete => {
            // Each DELETE removes an entity of its own, so that the cases documented after
            // it still find theirs.
            if !entities.contains(&path.key()) {
                let sibling = entities
                    .first_member(&path.parent().key())
                    .and_then(|k| entities.get(k))
                    .cloned();
                let mut entity = sibling.unwrap_or_default();
                let id = path.segments().last().cloned().unwrap_or_default();
                entity.insert("id".into(), Value::String(id));
                entities.insert(path.key(), entity, None);
                added.push(seeded(path, &op.case_id));
            }
        }
        OpKind::Answer => {}
    }
    added
}

impl Mock {
    /// Values for an operation's parameters, by name: an entity key is the id its own example
    /// shows, else the first member of its collection, else (for a DELETE or PUT, which get an
    /// entity of their own) a stable id of the case; other parameters get stand-ins.
    fn assign(&self, op: &Operation, entities: &Entities) -> BTreeMap<String, String> {
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        let example = match op.kind {
            OpKind::Read | OpKind::Update | OpKind::Replace => {
                op.example().and_then(Value::as_object)
            }
            _ => None,
        };
        // A write whose body names the entity's key writes that entity: the path must ask for
        // the same one, or the write would be refused for changing the key.
        let written = match op.kind {
            OpKind::Update | OpKind::Replace => op.sent.as_ref().and_then(Value::as_object),
            _ => None,
        };
        for (i, seg) in op.segs.iter().enumerate() {
            let last = i + 1 == op.segs.len();
            for name in &seg.names {
                if values.contains_key(name) {
                    continue;
                }
                let value = if seg.is_key() {
                    let collection = self.canonical(op.fill_prefix(i, &values)).key();
                    let dedicated = last && matches!(op.kind, OpKind::Delete | OpKind::Replace);
                    if let Some(id) = written
                        .filter(|_| last)
                        .and_then(|w| w.get("id"))
                        .and_then(Value::as_str)
                    {
                        id.to_string()
                    } else if dedicated {
                        stable_id(&format!("conform-mock:{}", op.case_id))
                    } else if let Some(id) =
                        example.filter(|_| last).and_then(|e| key_value(e, name))
                    {
                        id
                    } else if let Some(id) = entities
                        .first_member(&collection)
                        .and_then(|k| entities.get(k))
                        .and_then(id_text)
                    {
                        id
                    } else {
                        stand_in(name)
                    }
                } else {
                    stand_in(name)
                };
                values.insert(name.clone(), value);
            }
        }
        // Parameters in the query (`$search={query}`) name no entity.
        for name in &op.params {
            if !values.contains_key(name) {
                values.insert(name.clone(), stand_in(name));
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_are_url_safe() {
        assert_eq!(stand_in("id|userPrincipalName"), "id-userPrincipalName");
        assert_eq!(stand_in("user-id"), "user-id");
    }
}
