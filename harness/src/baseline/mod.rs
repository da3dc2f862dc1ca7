//! The baseline of known failures: each entry waives one documented disagreement, pinned to
//! what it expects, and nothing else.
//!
//! An entry names the case, the check kinds allowed to fail, and for each what it accepts: for
//! `status` the status answered (`"status": 200`) or a text the message contains; for any other
//! kind a text its message contains (`"message": "…"`). A failure the entry does not pin (a 500
//! where 200 was pinned, a schema finding where only the status was) fails the case as usual.
//! An entry may carry `expires` (`YYYY-MM-DD`): from the day after, it waives nothing.
//!
//! An entry may instead list `failures`, one pin per failed check (`{"check": "echo",
//! "message": "…"}`, `{"check": "status", "status": 200}`), when its checks fail in different
//! ways; that is the form [`doc_defects`] writes, with the doc `defects` that explain them.

mod defects;
mod update;

pub use defects::{Generated, Unexplained, doc_defects, explains};
pub use update::{Change, Edit, Expiry, ExpiryError, PLACEHOLDER_REASON};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::result::{CaseResult, CheckKind, CheckResult, Outcome, StaleEntry};

/// Errors reading a baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not JSON, or not a baseline.
    #[error("{path}:{line}:{column}: not a valid baseline: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file could not be written.
    #[error("{path}: cannot write the baseline: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An entry is well-formed JSON but cannot be applied as written.
    #[error("{path}: known_failures[{index}] (case `{case}`): {message}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// 0-based index of the entry.
        index: usize,
        /// The case it names.
        case: String,
        /// What is wrong.
        message: String,
    },
}

/// A failure the project knows about and accepts for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFailure {
    /// The case id.
    pub case: String,
    /// Why it is accepted, in words.
    pub reason: String,
    /// The check kinds allowed to fail (at least one, unless `failures` pins them one by one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckKind>,
    /// For a `status` check: the status that is accepted instead of the documented one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Text every waived failure's message contains (for `status`, when no `status` is pinned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The last day the entry waives anything.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "date"
    )]
    pub expires: Option<NaiveDate>,
    /// Each failure accepted, pinned on its own (in place of `checks`, `status` and `message`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Pin>,
    /// The doc defects that explain the failure, where a generated entry found them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<DocDefect>,
}

/// One accepted failure: a check kind and what its failure shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// The check kind.
    pub check: CheckKind,
    /// For a `status` check: the status accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Text the failure's message contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A lint diagnostic on a case's own lines: where the doc is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocDefect {
    /// The page, as the case's `source.file` names it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The lint code.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

impl Pin {
    /// Why the pin cannot be applied as written, if it cannot.
    fn problem(&self) -> Option<String> {
        if let Some(s) = self.status {
            if !(100..=599).contains(&s) {
                return Some(format!("`status` {s} is not an HTTP status"));
            }
            if self.check != CheckKind::Status {
                return Some(format!(
                    "a `{}` failure pins `status`, which only a status check has",
                    self.check
                ));
            }
        }
        match &self.message {
            Some(m) if m.trim().is_empty() => {
                Some("`message` is empty; it would accept any message".into())
            }
            None if self.status.is_none() => Some(format!(
                "nothing pins what is accepted for {}: give `status` (for a status check) or `message`",
                self.check
            )),
            _ => None,
        }
    }

    /// Whether the pin accepts one failed check of a case.
    fn accepts(&self, result: &CaseResult, check: &CheckResult) -> bool {
        if self.check != check.kind {
            return false;
        }
        if let Some(pinned) = self.status {
            return result.status == Some(pinned);
        }
        self.message
            .as_deref()
            .is_some_and(|m| check.message.contains(m))
    }
}

/// Reads `expires` as `YYYY-MM-DD`, saying so when it is not.
fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let text = String::deserialize(d)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            serde::de::Error::custom(format!("`expires` must be a date YYYY-MM-DD, not `{text}`"))
        })
}

impl KnownFailure {
    /// Why the entry cannot be applied as written, if it cannot.
    fn problem(&self) -> Option<String> {
        if !self.failures.is_empty() {
            if !self.checks.is_empty() || self.status.is_some() || self.message.is_some() {
                return Some(
                    "give either `failures` or `checks` (with `status` or `message`), not both"
                        .into(),
                );
            }
            if self.reason.trim().is_empty() {
                return Some("`reason` is empty: say why the failure is accepted".into());
            }
            return self
                .failures
                .iter()
                .enumerate()
                .find_map(|(i, p)| p.problem().map(|why| format!("failures[{i}]: {why}")));
        }
        if self.checks.is_empty() {
            return Some(
                "`checks` is empty: name the check kinds this entry accepts (or list `failures`)"
                    .into(),
            );
        }
        if self.reason.trim().is_empty() {
            return Some("`reason` is empty: say why the failure is accepted".into());
        }
        if let Some(s) = self.status {
            if !(100..=599).contains(&s) {
                return Some(format!("`status` {s} is not an HTTP status"));
            }
            if !self.checks.contains(&CheckKind::Status) {
                return Some("`status` is pinned but `checks` does not list `status`".into());
            }
        }
        if self.message.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Some("`message` is empty; it would accept any message".into());
        }
        let unpinned: Vec<&str> = self
            .checks
            .iter()
            .filter(|k| {
                self.message.is_none() && !(**k == CheckKind::Status && self.status.is_some())
            })
            .map(|k| k.as_str())
            .collect();
        if !unpinned.is_empty() {
            return Some(format!(
                "nothing pins what is accepted for {}: give `status` (for a status check) or `message`",
                unpinned.join(", ")
            ));
        }
        None
    }

    /// Whether this entry accepts one failed check of the case; `Err` says why not.
    fn accepts(&self, result: &CaseResult, check: &CheckResult) -> Result<(), String> {
        let first_line = check.message.lines().next().unwrap_or_default();
        if !self.failures.is_empty() {
            return if self.failures.iter().any(|p| p.accepts(result, check)) {
                Ok(())
            } else {
                Err(format!(
                    "no pinned failure accepts its {} check: {first_line}",
                    check.kind
                ))
            };
        }
        if !self.checks.contains(&check.kind) {
            return Err(format!(
                "its {} check failed, which the entry does not list: {first_line}",
                check.kind
            ));
        }
        if check.kind == CheckKind::Status
            && let Some(pinned) = self.status
        {
            return match result.status {
                Some(s) if s == pinned => Ok(()),
                Some(s) => Err(format!(
                    "the answer is {s}, but the entry accepts only {pinned}"
                )),
                None => Err(format!(
                    "no status came back, but the entry accepts only {pinned}"
                )),
            };
        }
        match &self.message {
            Some(m) if check.message.contains(m.as_str()) => Ok(()),
            Some(m) => Err(format!(
                "its {} check says `{first_line}`, which does not contain the pinned `{m}`",
                check.kind
            )),
            None => Err(format!("nothing pins the {} check", check.kind)),
        }
    }

    /// Whether the entry has expired by `today`.
    fn expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|e| today > e)
    }

    /// What the entry makes of its case's result on `today`.
    /// The outcome a result of this entry's case has with the entry applied (waived when the
    /// entry waives it), without noting anything on it.
    pub fn outcome_of(&self, result: &CaseResult, today: NaiveDate) -> Outcome {
        match self.judge(result, today) {
            Judgement::Waives => Outcome::Waived,
            _ => result.outcome,
        }
    }

    fn judge(&self, result: &CaseResult, today: NaiveDate) -> Judgement {
        if let Some(date) = self.expires.filter(|_| self.expired(today)) {
            return Judgement::Expired(date);
        }
        if !matches!(result.outcome, Outcome::Failed | Outcome::Errored) {
            return Judgement::NotFailing;
        }
        let refusals: Vec<String> = result
            .checks
            .iter()
            .filter(|c| c.is_error_failure())
            .filter_map(|c| self.accepts(result, c).err())
            .collect();
        if refusals.is_empty() {
            Judgement::Waives
        } else {
            Judgement::Refuses(refusals)
        }
    }
}

/// Why an entry no longer matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Staleness {
    /// Its case passes.
    Passes,
    /// No case has its id (known only when every case ran).
    Gone,
}

impl Staleness {
    /// What the gate says of the entry.
    fn why(self) -> &'static str {
        match self {
            Staleness::Passes => {
                "the case passes now; remove it from the baseline (--prune-baseline does)"
            }
            Staleness::Gone => "no case has this id",
        }
    }

    /// What happened to its case, in a few words.
    fn short(self) -> &'static str {
        match self {
            Staleness::Passes => "the case passes now",
            Staleness::Gone => "no case has this id",
        }
    }
}

/// What an entry makes of its case's result.
enum Judgement {
    /// The entry expired on that day: it waives nothing.
    Expired(NaiveDate),
    /// The entry waives every failure of the case.
    Waives,
    /// The case fails in ways the entry does not accept: why, one line each.
    Refuses(Vec<String>),
    /// The case did not fail.
    NotFailing,
}

/// The baseline of known failures (`reports/baseline.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Accepted failures.
    pub known_failures: Vec<KnownFailure>,
}

/// What applying the baseline found beyond the waivers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Entries that no longer match (the case passes, or is gone).
    pub stale: Vec<StaleEntry>,
    /// Entries past their `expires` date.
    pub expired: Vec<StaleEntry>,
}

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::parse(&text, path)
    }

    /// Reads a baseline from text; `path` names it in errors.
    ///
    /// ```
    /// use conform::baseline::Baseline;
    /// let text = r#"{"known_failures": [{"case": "page.update_x", "reason": "204 documented, 200 served",
    ///     "checks": ["status"], "status": 200, "expires": "2027-06-30"}]}"#;
    /// let baseline = Baseline::parse(text, std::path::Path::new("baseline.json"));
    /// assert!(baseline.is_ok_and(|b| b.lists("page.update_x")));
    /// ```
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let parse_error = |e: serde_json::Error| BaselineError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        let value: Value = serde_json::from_str(text).map_err(parse_error)?;
        // serde would read a struct from an array too; a baseline is an object, said plainly.
        if !value.get("known_failures").is_some_and(Value::is_array) {
            return Err(BaselineError::Parse {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: "expected an object with a `known_failures` array".into(),
            });
        }
        let baseline: Baseline = serde_json::from_str(text).map_err(parse_error)?;
        let mut seen = HashSet::new();
        for (index, k) in baseline.known_failures.iter().enumerate() {
            let entry_error = |message: String| BaselineError::Entry {
                path: path.to_path_buf(),
                index,
                case: k.case.clone(),
                message,
            };
            if !seen.insert(k.case.as_str()) {
                return Err(entry_error("the case is listed twice".into()));
            }
            if let Some(problem) = k.problem() {
                return Err(entry_error(problem));
            }
        }
        Ok(baseline)
    }

    /// Waives the known failures among the results and notes on each listed case why it was or
    /// was not waived. `complete` says whether every case ran (a filtered run cannot call an
    /// absent case stale); `today` decides which entries have expired.
    pub fn apply(&self, results: &mut [CaseResult], complete: bool, today: NaiveDate) -> Applied {
        let entries = self.by_case();
        let mut applied = Applied {
            stale: self.stale(results, complete),
            expired: Vec::new(),
        };
        for r in results.iter_mut() {
            let Some(entry) = entries.get(r.id.as_str()) else {
                continue;
            };
            match entry.judge(r, today) {
                Judgement::Expired(date) => {
                    applied.expired.push(StaleEntry {
                        case: r.id.clone(),
                        why: format!("expired on {date}; it no longer waives anything"),
                    });
                    if matches!(r.outcome, Outcome::Failed | Outcome::Errored) {
                        r.notes
                            .push(format!("baseline entry expired on {date}; not waived"));
                    }
                }
                Judgement::Waives => {
                    r.outcome = Outcome::Waived;
                    r.waiver = Some(entry.reason.clone());
                }
                Judgement::Refuses(refusals) => r.notes.extend(
                    refusals
                        .into_iter()
                        .map(|why| format!("baseline entry does not waive this: {why}")),
                ),
                Judgement::NotFailing => {}
            }
        }
        applied.expired.sort_by(|a, b| a.case.cmp(&b.case));
        applied
    }

    /// The outcome a result has once the baseline is applied, without noting anything on it
    /// (for counts made while a run goes on).
    pub fn outcome_of(&self, result: &CaseResult, today: NaiveDate) -> Outcome {
        match self.known_failures.iter().find(|k| k.case == result.id) {
            Some(k) => k.outcome_of(result, today),
            None => result.outcome,
        }
    }

    /// The entries by case id (for many lookups, as a run's progress makes).
    pub fn by_case(&self) -> BTreeMap<&str, &KnownFailure> {
        self.known_failures
            .iter()
            .map(|k| (k.case.as_str(), k))
            .collect()
    }

    /// The entries that no longer match the results, in case order: their case passes, or
    /// (when `complete`, every case having run) no case has their id. `conform merge` asks this
    /// of the whole set of a sharded run's results, since one shard cannot know what the others
    /// ran.
    pub fn stale(&self, results: &[CaseResult], complete: bool) -> Vec<StaleEntry> {
        self.staleness(results, complete)
            .into_iter()
            .map(|(case, s)| StaleEntry {
                case,
                why: s.why().into(),
            })
            .collect()
    }

    /// The entries that no longer match, by case: their case passes, or (when every case ran)
    /// no case has their id.
    fn staleness(&self, results: &[CaseResult], complete: bool) -> BTreeMap<String, Staleness> {
        let outcomes: HashMap<&str, Outcome> =
            results.iter().map(|r| (r.id.as_str(), r.outcome)).collect();
        self.known_failures
            .iter()
            .filter_map(|k| {
                let s = match outcomes.get(k.case.as_str()) {
                    Some(Outcome::Passed) => Staleness::Passes,
                    None if complete => Staleness::Gone,
                    _ => return None,
                };
                Some((k.case.clone(), s))
            })
            .collect()
    }

    /// The baseline as its file holds it: entries in case order, pretty JSON, a final newline.
    ///
    /// ```
    /// let text = conform::baseline::Baseline::default().render();
    /// assert_eq!(text, "{\n  \"known_failures\": []\n}\n");
    /// ```
    pub fn render(&self) -> String {
        let mut sorted = self.clone();
        sorted.known_failures.sort_by(|a, b| a.case.cmp(&b.case));
        // A struct of strings, numbers and dates always serialises.
        let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the baseline to a file (see [`Baseline::render`]), making its folder if needed.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let write_error = |source| BaselineError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        std::fs::write(path, self.render()).map_err(write_error)
    }

    /// Whether the baseline lists a case.
    pub fn lists(&self, case: &str) -> bool {
        self.known_failures.iter().any(|k| k.case == case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::Source;

    fn parse(text: &str) -> Result<Baseline, String> {
        Baseline::parse(text, Path::new("b.json")).map_err(|e| e.to_string())
    }

    fn result(status: u16, checks: Vec<CheckResult>) -> CaseResult {
        result_of("c", status, checks)
    }

    /// A result of case `id` that answered `status`, judged by `checks`.
    pub(super) fn result_of(id: &str, status: u16, checks: Vec<CheckResult>) -> CaseResult {
        CaseResult {
            id: id.into(),
            source: Source {
                file: "p.md".into(),
                line: 1,
            },
            method: crate::model::case::Method::Patch,
            path: "/x".into(),
            outcome: CaseResult::outcome_from_checks(&checks),
            status: Some(status),
            has_body: false,
            duration_ms: 0,
            client_request_id: None,
            retries: Vec::new(),
            checks,
            notes: Vec::new(),
            waiver: None,
        }
    }

    pub(super) fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    const PINNED: &str = r#"{"known_failures": [{"case": "c", "reason": "204 documented, 200 served", "checks": ["status"], "status": 200, "expires": "2027-01-31"}]}"#;

    #[test]
    fn a_pinned_status_waives_that_status_only() {
        let b = parse(PINNED).unwrap_or_else(|e| panic!("{e}"));
        let status = |got: u16| {
            CheckResult::fail(
                CheckKind::Status,
                format!("expected 204 No Content, got {got}"),
            )
        };
        let today = day("2026-11-24");
        let mut ok = vec![result(200, vec![status(200)])];
        b.apply(&mut ok, true, today);
        assert_eq!(ok[0].outcome, Outcome::Waived);
        for got in [500, 429, 201] {
            let mut r = vec![result(got, vec![status(got)])];
            b.apply(&mut r, true, today);
            assert_eq!(r[0].outcome, Outcome::Failed, "{got}");
            assert!(
                r[0].notes[0].contains("accepts only 200"),
                "{:?}",
                r[0].notes
            );
        }
        // Another kind failing besides the pinned status is not waived.
        let mut more = vec![result(
            200,
            vec![
                status(200),
                CheckResult::fail(CheckKind::Schema, "body is not JSON"),
            ],
        )];
        b.apply(&mut more, true, today);
        assert_eq!(more[0].outcome, Outcome::Failed);
        assert!(more[0].notes[0].contains("schema check failed"));
    }

    #[test]
    fn an_expired_entry_waives_nothing_and_says_so() {
        let b = parse(PINNED).unwrap_or_else(|e| panic!("{e}"));
        let failing = || {
            vec![result(
                200,
                vec![CheckResult::fail(
                    CheckKind::Status,
                    "expected 204, got 200",
                )],
            )]
        };
        let mut last_day = failing();
        assert!(
            b.apply(&mut last_day, true, day("2027-01-31"))
                .expired
                .is_empty()
        );
        assert_eq!(last_day[0].outcome, Outcome::Waived);
        let mut after = failing();
        let applied = b.apply(&mut after, true, day("2027-02-01"));
        assert_eq!(after[0].outcome, Outcome::Failed);
        assert_eq!(applied.expired.len(), 1);
        assert!(applied.expired[0].why.contains("2027-01-31"));
        assert!(after[0].notes[0].contains("expired"));
    }

    #[test]
    fn stale_entries_are_passing_cases_and_when_complete_absent_ones() {
        let b = parse(
            r#"{"known_failures": [
                {"case": "c", "reason": "r", "checks": ["status"], "status": 200},
                {"case": "old", "reason": "r", "checks": ["status"], "status": 200, "expires": "2020-01-01"},
                {"case": "gone", "reason": "r", "checks": ["status"], "status": 200}
            ]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut passing = result(200, Vec::new());
        let mut old = passing.clone();
        old.id = "old".into();
        let cases = |s: &[StaleEntry]| s.iter().map(|e| e.case.clone()).collect::<Vec<_>>();
        // An expired entry of a passing case is stale too: it waives nothing and prune drops it.
        let both = [passing.clone(), old];
        assert_eq!(cases(&b.stale(&both, false)), vec!["c", "old"]);
        assert_eq!(cases(&b.stale(&both, true)), vec!["c", "gone", "old"]);
        passing.checks = vec![CheckResult::fail(
            CheckKind::Status,
            "expected 204, got 200",
        )];
        passing.outcome = Outcome::Waived;
        assert!(b.stale(&[passing], false).is_empty());
    }

    #[test]
    fn messages_pin_other_kinds() {
        let b = parse(r#"{"known_failures": [{"case": "c", "reason": "doc drift", "checks": ["schema", "unknown"], "message": "/tags"}]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        let today = day("2026-11-24");
        let mut r = vec![result(
            200,
            vec![CheckResult::fail(
                CheckKind::Schema,
                "body is not valid:\n/tags: not an array",
            )],
        )];
        b.apply(&mut r, true, today);
        assert_eq!(r[0].outcome, Outcome::Waived);
        let mut other = vec![result(
            200,
            vec![CheckResult::fail(CheckKind::Schema, "/id: missing")],
        )];
        b.apply(&mut other, true, today);
        assert_eq!(other[0].outcome, Outcome::Failed);
    }

    #[test]
    fn bad_baselines_are_input_errors() {
        let bad = [
            (r#"[]"#, "expected an object with a `known_failures` array"),
            (r#"{}"#, "expected an object with a `known_failures` array"),
            (r#"{"known_failures": {}}"#, "expected an object"),
            (
                r#"{"known_failures": [{"case": "c", "reason": "r", "checks": ["stauts"], "status": 200}]}"#,
                "unknown variant `stauts`",
            ),
            (
                r#"{"known_failures": [{"case": "c", "reason": "r", "checks": ["status"]}]}"#,
                "nothing pins",
            ),
            (
                r#"{"known_failures": [{"case": "c", "reason": "r", "checks": []}]}"#,
                "`checks` is empty",
            ),
            (
                r#"{"known_failures": [{"case": "c", "reason": "r", "checks": ["schema"], "status": 200}]}"#,
                "does not list `status`",
            ),
            (
                r#"{"known_failures": [{"case": "c", "reason": "r", "checks": ["status"], "status": 200, "expires": "soon"}]}"#,
                "expires",
            ),
            (
                r#"{"known_failures": [{"case": "c", "reason": "r", "checks": ["status"], "status": 200, "extra": 1}]}"#,
                "unknown field `extra`",
            ),
            (
                r#"{"known_failures": [{"case": "c", "reason": "r", "checks": ["status"], "status": 200}, {"case": "c", "reason": "r", "checks": ["status"], "status": 200}]}"#,
                "listed twice",
            ),
        ];
        for (text, want) in bad {
            let err = parse(text).err().unwrap_or_default();
            assert!(err.contains(want), "{text}: {err}");
            assert!(err.starts_with("b.json"), "{err}");
        }
    }
}
