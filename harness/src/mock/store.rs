//! The store: entities by resource key, the order of each collection's members, and the
//! counters the mock's ids come from.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use indexmap::IndexSet;
use serde_json::{Map, Value};

/// Entities by resource key ([`ResourcePath::key`](crate::http::ResourcePath::key)), and the
/// keys of each collection's members in the order they came (so listings are deterministic).
#[derive(Debug, Default, Clone)]
pub(super) struct Entities {
    by_key: HashMap<String, Map<String, Value>>,
    /// An ordered set: a collection seeded with many members is asked "already a member?"
    /// once per member.
    members: HashMap<String, IndexSet<String>>,
    /// The type each seeded entity was documented as.
    types: HashMap<String, String>,
}

impl Entities {
    /// The entity at a key.
    pub(super) fn get(&self, key: &str) -> Option<&Map<String, Value>> {
        self.by_key.get(key)
    }

    /// The entity at a key, to change.
    pub(super) fn get_mut(&mut self, key: &str) -> Option<&mut Map<String, Value>> {
        self.by_key.get_mut(key)
    }

    /// Whether an entity is stored at a key.
    pub(super) fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Stores an entity; a member of `collection` (listed there, last) when one is given.
    pub(super) fn insert(
        &mut self,
        key: String,
        entity: Map<String, Value>,
        collection: Option<&str>,
    ) {
        if let Some(c) = collection {
            self.members
                .entry(c.to_string())
                .or_default()
                .insert(key.clone());
        }
        self.by_key.insert(key, entity);
    }

    /// Adds the properties `entity` has and the stored one lacks (seeding from several
    /// examples of one entity); stores it when there is none.
    pub(super) fn merge(
        &mut self,
        key: String,
        entity: Map<String, Value>,
        collection: Option<&str>,
    ) {
        match self.by_key.get_mut(&key) {
            Some(stored) => {
                for (k, v) in entity {
                    stored.entry(k).or_insert(v);
                }
                if let Some(c) = collection {
                    self.members.entry(c.to_string()).or_default().insert(key);
                }
            }
            None => self.insert(key, entity, collection),
        }
    }

    /// Records the type an entity is documented as.
    pub(super) fn set_type(&mut self, key: &str, type_name: &str) {
        self.types
            .entry(key.to_string())
            .or_insert_with(|| type_name.to_string());
    }

    /// Makes every entity with a known type valid against it (entities seeded from several
    /// examples can mix what different examples show).
    pub(super) fn conform_all(&mut self, schemas: &crate::schema::SchemaSet) {
        for (key, type_name) in &self.types {
            if let Some(entity) = self.by_key.get_mut(key) {
                let mut value = Value::Object(std::mem::take(entity));
                schemas.conform(type_name, &mut value);
                if let Value::Object(m) = value {
                    *entity = m;
                }
            }
        }
    }

    /// Removes an entity (and its membership); whether there was one.
    pub(super) fn remove(&mut self, key: &str) -> bool {
        let found = self.by_key.remove(key).is_some();
        for members in self.members.values_mut() {
            members.shift_remove(key);
        }
        found
    }

    /// The members of a collection, in order.
    pub(super) fn members(&self, collection: &str) -> Vec<&Map<String, Value>> {
        self.members
            .get(collection)
            .map(|keys| keys.iter().filter_map(|k| self.by_key.get(k)).collect())
            .unwrap_or_default()
    }

    /// The key of a collection's first member, if it has one.
    pub(super) fn first_member(&self, collection: &str) -> Option<&str> {
        self.members
            .get(collection)
            .and_then(|keys| keys.iter().find(|k| self.by_key.contains_key(*k)))
            .map(String::as_str)
    }
}

/// The mock's state. One lock per concern keeps concurrent requests consistent (no lost update).
#[derive(Default)]
pub(super) struct Store {
    entities: Mutex<Entities>,
    counters: Mutex<Counters>,
}

/// What the mock has counted: its ids come from these counters, never from a random generator,
/// so that runs repeat exactly.
#[derive(Default)]
struct Counters {
    created: HashMap<String, u64>,
    requests: u64,
}

impl Store {
    /// A store holding these entities.
    pub(super) fn with(entities: Entities) -> Store {
        Store {
            entities: Mutex::new(entities),
            counters: Mutex::default(),
        }
    }

    /// The entities, locked.
    pub(super) fn entities(&self) -> MutexGuard<'_, Entities> {
        // A poisoned lock means a handler panicked mid-update; the map itself is still usable.
        self.entities.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn counters(&self) -> MutexGuard<'_, Counters> {
        // As for the entities: a poisoned lock still holds sound counts.
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The id of the next entity created in a collection: the n-th one always gets the same
    /// id, and creates in one collection run in documented order, so runs repeat exactly.
    pub(super) fn next_created_id(&self, collection: &str) -> String {
        let n = {
            let mut counters = self.counters();
            let n = counters.created.entry(collection.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        stable_id(&format!("conform-mock:/{collection}#{n}"))
    }

    /// A request id: a hash of the request and the client's id for it, or of a count of
    /// requests when the client sends none.
    pub(super) fn request_id(&self, method: &str, path: &str, client: Option<&str>) -> String {
        match client {
            Some(c) => stable_id(&format!("{method} {path} {c}")),
            None => {
                let n = {
                    let mut counters = self.counters();
                    counters.requests += 1;
                    counters.requests
                };
                stable_id(&format!("{method} {path} #{n}"))
            }
        }
    }
}

/// A UUID-shaped id that is a hash of its input (UUID v5), so the same input always gives it.
pub(super) fn stable_id(input: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, input.as_bytes()).to_string()
}
