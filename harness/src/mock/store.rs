//! The store: entities by resource key, and the counters the mock's ids come from.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

/// Entities by store key (route literals lower-cased, parameter values as sent).
pub(super) type Entities = HashMap<String, Map<String, Value>>;

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
fn stable_id(input: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, input.as_bytes()).to_string()
}
