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
/// in key order, each with its key and in [`documented_order`]; cases of one group run one
/// at a time, in that order. The keys are computed once per case, on every core.
pub fn resource_groups(
    cases: &[Case],
    key: impl Fn(&Case) -> String + Sync,
) -> Vec<(String, Vec<usize>)> {
    use rayon::prelude::*;
    let keys: Vec<String> = cases.par_iter().map(&key).collect();
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by(|&a, &b| documented_order(&cases[a], &cases[b]));
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in order {
        groups.entry(keys[i].as_str()).or_default().push(i);
    }
    groups
        .into_iter()
        .map(|(key, group)| (key.to_string(), group))
        .collect()
}

/// For each resource group (by its key, see [`ResourcePath::key`]), the nearest other group
/// whose resource contains it (`users/1` for `users/1/manager`, `users` for `users/1`), if any:
/// a group runs after that one, since the state of one shows in the other (a list shows what
/// a DELETE of one item removed).
pub fn containing_groups(keys: &[String]) -> Vec<Option<usize>> {
    let index: std::collections::HashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    keys.iter()
        .map(|key| {
            key.rmatch_indices('/')
                .find_map(|(at, _)| index.get(&key[..at]).copied())
        })
        .collect()
}

/// The resource key of a concrete path.
pub fn resource_key(path: &str) -> String {
    ResourcePath::parse(path).key()
}

/// One part of a sharded run: the `index`-th (from 1) of `total` parts of the selected cases,
/// written `K/N`.
///
/// ```
/// let shard: conform::replay::plan::Shard = "2/3".parse().unwrap_or_else(|e| panic!("{e}"));
/// assert_eq!((shard.index(), shard.total()), (2, 3));
/// assert!("0/3".parse::<conform::replay::plan::Shard>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    total: usize,
}

/// Why a shard cannot be used as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not two whole numbers around a `/`.
    #[error("`{0}` is not a shard K/N (two whole numbers, such as 1/4)")]
    Syntax(String),
    /// K is 0 or greater than N.
    #[error("shard {index}/{total}: K must be from 1 to N")]
    Range {
        /// K.
        index: usize,
        /// N.
        total: usize,
    },
}

impl Shard {
    /// The `index`-th (from 1) of `total` shards.
    pub fn new(index: usize, total: usize) -> Result<Shard, ShardError> {
        if index == 0 || index > total {
            return Err(ShardError::Range { index, total });
        }
        Ok(Shard { index, total })
    }

    /// K: which shard, from 1.
    pub fn index(self) -> usize {
        self.index
    }

    /// N: how many shards the run has.
    pub fn total(self) -> usize {
        self.total
    }

    /// The indices of the cases in this shard, in the given order: whole resource groups (by
    /// `key`, as [`resource_groups`] groups them), dealt out by [`shard_groups`].
    pub fn select(self, cases: &[Case], key: impl Fn(&Case) -> String + Sync) -> Vec<usize> {
        let groups: Vec<Vec<usize>> = resource_groups(cases, key)
            .into_iter()
            .map(|(_, group)| group)
            .collect();
        let owners = shard_groups(&groups, self.total);
        let mut mine: Vec<usize> = groups
            .into_iter()
            .zip(owners)
            .filter(|(_, owner)| *owner + 1 == self.index)
            .flat_map(|(group, _)| group)
            .collect();
        mine.sort_unstable();
        mine
    }
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(syntax)?;
        let number = |t: &str| t.trim().parse::<usize>().map_err(|_| syntax());
        Shard::new(number(k)?, number(n)?)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// Which shard (from 0) each group goes to, for groups in resource key order (as
/// [`resource_groups`] gives them): the largest groups first (ties in key order), each to the
/// shard with the fewest cases so far (ties to the lowest shard). It depends only on the
/// groups, so every machine and every shard of a run computes the same partition, whatever
/// the concurrency; and no shard has more cases than another plus the largest group.
pub fn shard_groups(groups: &[Vec<usize>], total: usize) -> Vec<usize> {
    let total = total.max(1);
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(groups[g].len()), g));
    let mut load = vec![0usize; total];
    let mut owner = vec![0usize; groups.len()];
    for g in order {
        let lightest = (0..total).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[lightest] += groups[g].len();
        owner[g] = lightest;
    }
    owner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_as_k_of_n() {
        let ok: Shard = "1/1".parse().unwrap();
        assert_eq!((ok.index(), ok.total()), (1, 1));
        assert_eq!(" 3 / 4".parse::<Shard>().unwrap().to_string(), "3/4");
        for bad in ["", "1", "1/", "/2", "a/2", "1/b", "-1/2", "1.5/2", "1/2/3"] {
            assert_eq!(
                bad.parse::<Shard>(),
                Err(ShardError::Syntax(bad.into())),
                "{bad}"
            );
        }
        for (bad, index, total) in [("0/2", 0, 2), ("3/2", 3, 2), ("0/0", 0, 0), ("1/0", 1, 0)] {
            assert_eq!(
                bad.parse::<Shard>(),
                Err(ShardError::Range { index, total }),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_group_waits_for_the_nearest_group_containing_its_resource() {
        let keys: Vec<String> = [
            "users",
            "users/1",
            "users/1-x",
            "users/1/manager",
            "groups/2/owners",
        ]
        .iter()
        .map(|k| k.to_string())
        .collect();
        assert_eq!(
            containing_groups(&keys),
            vec![None, Some(0), Some(0), Some(1), None]
        );
    }

    #[test]
    fn groups_are_dealt_largest_first_to_the_lightest_shard() {
        // Sizes 1, 5, 2, 2, 3 in key order.
        let groups: Vec<Vec<usize>> = [1, 5, 2, 2, 3]
            .iter()
            .scan(0, |next, &n| {
                let g: Vec<usize> = (*next..*next + n).collect();
                *next += n;
                Some(g)
            })
            .collect();
        // 5 -> s0; 3 -> s1; the first 2 -> s1 (3 < 5); the second 2 -> s0 (5 = 5, lowest);
        // 1 -> s1 (6 < 7).
        assert_eq!(shard_groups(&groups, 2), vec![1, 0, 1, 0, 1]);
        assert_eq!(shard_groups(&groups, 1), vec![0; 5]);
        // More shards than groups: the extra shards are empty.
        let owners = shard_groups(&groups, 7);
        assert_eq!(owners, vec![4, 0, 2, 3, 1]);
    }
}
