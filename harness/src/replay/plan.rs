//! The plan of a run: which cases run, with which path parameters, in which resource groups.

use std::collections::BTreeMap;

use crate::http::ResourcePath;
use crate::model::case::Case;

/// The cases whose id contains `filter` (every case without one), in the given order.
pub fn select<'a>(all: &'a [Case], filter: Option<&str>) -> Vec<&'a Case> {
    all.iter()
        .filter(|c| filter.is_none_or(|f| c.id.contains(f)))
        .collect()
}

/// Groups of case indices that address one resource (by `key`, see [`ResourcePath::key`]),
/// each in documented (source) order; cases of one group run one at a time, in that order.
pub fn resource_groups(cases: &[Case], key: impl Fn(&Case) -> String) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by(|&a, &b| (&cases[a].source, &cases[a].id).cmp(&(&cases[b].source, &cases[b].id)));
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
