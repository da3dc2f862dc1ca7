//! The plan of a run: which cases run, with which path parameters, in which resource groups.

use std::collections::BTreeMap;

use crate::http::ResourcePath;
use crate::model::case::{Case, Method};

/// The cases whose id contains `filter` (every case without one), in the given order.
pub fn select<'a>(all: &'a [Case], filter: Option<&str>) -> Vec<&'a Case> {
    all.iter()
        .filter(|c| filter.is_none_or(|f| c.id.contains(f)))
        .collect()
}

/// The order cases on one resource run in: documented order (page, then line), except that a
/// DELETE goes after the other cases of its resource: pages are ordered by name, and a page
/// that deletes the resource would otherwise come before the pages that read it.
pub fn documented_order(a: &Case, b: &Case) -> std::cmp::Ordering {
    (a.request.method == Method::Delete, &a.source, &a.id).cmp(&(
        b.request.method == Method::Delete,
        &b.source,
        &b.id,
    ))
}

/// Groups of case indices that address one resource (by `key`, see [`ResourcePath::key`]),
/// each in [`documented_order`]; cases of one group run one at a time, in that order.
pub fn resource_groups(cases: &[Case], key: impl Fn(&Case) -> String) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by(|&a, &b| documented_order(&cases[a], &cases[b]));
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in order {
        groups.entry(key(&cases[i])).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The resource key of a concrete path.
pub fn resource_key(path: &str) -> String {
    ResourcePath::parse(path).key()
}
