//! Seeding: the store filled from the documented response examples, and the path parameter
//! values that name what was seeded.

use std::collections::HashMap;

use serde_json::Value;

use super::routes::{case_type, Route};
use super::{Mock, Seeded};
use crate::model::case::{Body, Case};
use crate::placeholder::{is_annotation, is_placeholder};

impl Mock {
    /// Seeds one entity per response example that shows a real id, then gives every case parameter values.
    pub(super) fn seed(&mut self, cases: &[Case]) {
        let mut by_shape: Vec<(Route, Vec<String>)> = Vec::new();
        let mut store = HashMap::new();
        for c in cases {
            let route = Route::new(c.request.method, &c.request.path, case_type(c));
            let Some(type_name) = case_type(c) else {
                continue;
            };
            let Some(Body::Json(Value::Object(example))) = &c.response.body else {
                continue;
            };
            if c.response.is_collection {
                continue;
            }
            let id = example
                .get("id")
                .filter(|v| !is_placeholder(v))
                .and_then(Value::as_str)
                .map(str::to_string);
            let params = c.request.params.len();
            let values: Vec<String> = match (&id, params) {
                (_, 0) => Vec::new(),
                (Some(id), n) => {
                    // Only the last parameter is the entity's own id; outer ones get their
                    // names as stand-in values, which the runner is handed like any other.
                    let mut v: Vec<String> = c.request.params[..n - 1].to_vec();
                    v.push(id.clone());
                    v
                }
                (None, _) => {
                    self.notes.push(format!(
                        "{}: response example shows no real id; not seeded",
                        c.id
                    ));
                    continue;
                }
            };
            let key = route.key(&values);
            if store.contains_key(&key) {
                continue;
            }
            let mut entity = Value::Object(
                example
                    .iter()
                    .filter(|(k, _)| !is_annotation(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
            for r in self.schemas.repair(&type_name, &mut entity) {
                self.notes.push(format!("{}: seed {r}", c.id));
            }
            if let Value::Object(m) = entity {
                store.insert(key, m);
            }
            self.seeded.push(Seeded {
                path: format!("/{}", route.key(&values)),
                type_name: type_name.clone(),
                from_case: c.id.clone(),
            });
            by_shape.push((route, values));
        }
        for c in cases {
            let route = Route::new(c.request.method, &c.request.path, None);
            if let Some((_, values)) = by_shape.iter().find(|(r, _)| r.same_shape(&route)) {
                let map = c
                    .request
                    .params
                    .iter()
                    .cloned()
                    .zip(values.iter().cloned())
                    .collect();
                self.params.insert(c.id.clone(), map);
            }
        }
        self.store = super::store::Store::with(store);
    }
}
