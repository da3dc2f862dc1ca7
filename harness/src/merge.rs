//! Merging the reports of a sharded run (`conform run --shard K/N` on N machines) into the
//! report of the whole run, equal to what one unsharded run would have written apart from
//! timings and dates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::baseline::{Applied, Baseline};
use crate::model::coverage::Documented;
use crate::model::result::{CaseResult, RunReport, ShardInfo, StaleEntry};

/// Why reports cannot be merged: they are not all the shards of one run.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No report was given.
    #[error("no shard report to merge")]
    Empty,
    /// A report has no `shard` field: it is a whole run's report, or an older one.
    #[error(
        "{0}: not the report of a shard (no `shard` field; write it with `conform run --shard K/N`)"
    )]
    NotAShard(PathBuf),
    /// Two reports belong to runs split differently, or of different selections or targets.
    #[error("{path} ({what}) and {first} ({first_what}) are not shards of one run")]
    Mismatch {
        /// The later report.
        path: PathBuf,
        /// What it says of its run.
        what: String,
        /// The first report.
        first: PathBuf,
        /// What the first says of its run.
        first_what: String,
    },
    /// One shard is given twice.
    #[error("shard {shard} is given twice: {first} and {second}")]
    DuplicateShard {
        /// The shard, `K/N`.
        shard: String,
        /// One report of it.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Shards are missing.
    #[error("shard {missing} missing: only {given} given")]
    MissingShards {
        /// The missing shards, `K/N, K/N`.
        missing: String,
        /// The shards given.
        given: String,
    },
    /// A case is in two shards' reports.
    #[error("case `{id}` is in two shards' reports: {first} and {second}")]
    DuplicateCase {
        /// The case id.
        id: String,
        /// One report.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// The shards together do not hold the cases their run selected.
    #[error("the shards hold {got} cases, but their run selected {selected}")]
    CaseCount {
        /// Cases in the reports.
        got: usize,
        /// Cases the run selected.
        selected: usize,
    },
    /// A report's `started_at` is not a date.
    #[error("{path}: `started_at` `{value}` is not an RFC 3339 date-time")]
    Date {
        /// The report.
        path: PathBuf,
        /// What it says.
        value: String,
    },
}

/// What a report says of the run it is a shard of, for the mismatch message.
fn describe(info: &ShardInfo, target: &str) -> String {
    format!(
        "shard {}/{} of {} cases{} against {target}",
        info.index,
        info.total,
        info.selected,
        if info.complete { "" } else { " (filtered)" }
    )
}

/// Merges the reports of every shard of one run (each with the path it was read from, for
/// errors) into the whole run's report: cases in id order, the summary and the gate
/// recomputed, stale `baseline` entries judged over every shard's results, expired entries as
/// the shards found them, the coverage of what the run's cases folder documents, the
/// earliest start and the longest duration.
pub fn merge(
    shards: Vec<(PathBuf, RunReport)>,
    baseline: &Baseline,
    documented: &Documented,
) -> Result<RunReport, MergeError> {
    let mut infos = Vec::with_capacity(shards.len());
    for (path, report) in &shards {
        let info = report
            .shard
            .ok_or_else(|| MergeError::NotAShard(path.clone()))?;
        infos.push(info);
    }
    let (first_path, first_report) = shards.first().ok_or(MergeError::Empty)?;
    let first = infos[0];
    let mut by_index: BTreeMap<usize, &PathBuf> = BTreeMap::new();
    for ((path, report), info) in shards.iter().zip(&infos) {
        let same_run = (info.total, info.selected, info.complete)
            == (first.total, first.selected, first.complete)
            && report.target == first_report.target;
        if !same_run {
            return Err(MergeError::Mismatch {
                path: path.clone(),
                what: describe(info, &report.target),
                first: first_path.clone(),
                first_what: describe(&first, &first_report.target),
            });
        }
        if let Some(earlier) = by_index.insert(info.index, path) {
            return Err(MergeError::DuplicateShard {
                shard: format!("{}/{}", info.index, info.total),
                first: earlier.clone(),
                second: path.clone(),
            });
        }
    }
    let name = |k: usize| format!("{k}/{}", first.total);
    let missing: Vec<String> = (1..=first.total)
        .filter(|k| !by_index.contains_key(k))
        .map(name)
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::MissingShards {
            missing: missing.join(", "),
            given: by_index
                .keys()
                .map(|&k| name(k))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut started: Option<DateTime<Utc>> = None;
    let mut duration_ms = 0;
    let mut expired: BTreeMap<String, StaleEntry> = BTreeMap::new();
    let mut owner: BTreeMap<String, &PathBuf> = BTreeMap::new();
    let mut results: Vec<CaseResult> = Vec::new();
    for (path, report) in &shards {
        let at = DateTime::parse_from_rfc3339(&report.started_at)
            .map_err(|_| MergeError::Date {
                path: path.clone(),
                value: report.started_at.clone(),
            })?
            .with_timezone(&Utc);
        started = Some(started.map_or(at, |s| s.min(at)));
        duration_ms = duration_ms.max(report.duration_ms);
        for e in &report.gate.expired_baseline {
            expired.insert(e.case.clone(), e.clone());
        }
        for case in &report.cases {
            if let Some(earlier) = owner.insert(case.id.clone(), path) {
                return Err(MergeError::DuplicateCase {
                    id: case.id.clone(),
                    first: earlier.clone(),
                    second: path.clone(),
                });
            }
            results.push(case.clone());
        }
    }
    if results.len() != first.selected {
        return Err(MergeError::CaseCount {
            got: results.len(),
            selected: first.selected,
        });
    }
    // `shards` is not empty, so a start was read.
    let started = started.unwrap_or_default();
    let applied = Applied {
        stale: baseline.stale(&results, first.complete),
        expired: expired.into_values().collect(),
    };
    let mut report = crate::report::build_report(
        &first_report.target,
        started,
        Duration::from_millis(duration_ms),
        results,
        applied,
    );
    report.coverage = Some(documented.coverage(&report.cases));
    Ok(report)
}
