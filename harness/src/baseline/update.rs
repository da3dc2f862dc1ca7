//! Keeping the baseline file in step with a run: `--update-baseline` adds an entry for each new
//! failure (pinned as seen, with a reason for the user to write and an expiry date), and
//! `--prune-baseline` drops the entries a run shows are stale.
//!
//! The user's words survive: an entry whose case still fails keeps its `reason` and `expires`.
//! An expired entry is kept as it is, never renewed, so the gate keeps failing on it until the
//! case is fixed or someone edits the date on purpose.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;

use super::defects::pins;
use super::{Baseline, BaselineError, Judgement, KnownFailure, Staleness};
use crate::model::result::{CaseResult, Outcome};

/// The `reason` of an entry `--update-baseline` adds, for the user to replace.
pub const PLACEHOLDER_REASON: &str = "TODO: why this failure is accepted";

/// How long new entries last, unless told otherwise.
const DEFAULT_DAYS: u32 = 90;

/// The longest `expires` a number of days may give (a century).
const MAX_DAYS: u32 = 36_500;

/// When the entries `--update-baseline` adds expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// This many days after the run's date.
    Days(u32),
    /// On this date (the last day the entry waives anything).
    On(NaiveDate),
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry::Days(DEFAULT_DAYS)
    }
}

impl Expiry {
    /// The `expires` date of an entry added on `today`.
    ///
    /// ```
    /// use conform::baseline::Expiry;
    /// let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    /// assert_eq!(Expiry::Days(90).date(today).to_string(), "2026-04-01");
    /// ```
    pub fn date(self, today: NaiveDate) -> NaiveDate {
        match self {
            Expiry::Days(days) => today
                .checked_add_days(chrono::Days::new(u64::from(days)))
                .unwrap_or(NaiveDate::MAX),
            Expiry::On(date) => date,
        }
    }
}

/// An expiry that is neither a number of days nor a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is neither a number of days (0 to {MAX_DAYS}) nor a date YYYY-MM-DD")]
pub struct ExpiryError(String);

impl FromStr for Expiry {
    type Err = ExpiryError;

    /// `90` (days from the run) or `2027-06-30`.
    fn from_str(s: &str) -> Result<Expiry, ExpiryError> {
        let s = s.trim();
        if let Ok(days) = s.parse::<u32>() {
            return (days <= MAX_DAYS)
                .then_some(Expiry::Days(days))
                .ok_or_else(|| ExpiryError(s.to_string()));
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Expiry::On)
            .map_err(|_| ExpiryError(s.to_string()))
    }
}

/// What to change in the baseline file after a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edit {
    /// Add an entry for every failed or errored case the baseline does not list, expiring so
    /// (`--update-baseline`).
    pub add: Option<Expiry>,
    /// Drop the entries the run shows are stale (`--prune-baseline`).
    pub prune: bool,
}

impl Edit {
    /// Whether the edit changes anything at all.
    pub fn is_some(&self) -> bool {
        self.add.is_some() || self.prune
    }
}

/// One entry named in a [`Change`], with what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    /// The case the entry names.
    pub case: String,
    /// What happened, in words.
    pub why: String,
}

/// What an edit did to the baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// The file written.
    pub file: PathBuf,
    /// Cases given a new entry.
    pub added: Vec<String>,
    /// How many entries the file had and still has (re-pinned and expired ones included).
    pub kept: usize,
    /// Entries dropped as stale.
    pub removed: Vec<Noted>,
    /// Kept entries whose case now fails in another way: pinned anew, reason and expiry kept.
    pub repinned: Vec<String>,
    /// Kept entries past their `expires` whose case still fails: not renewed, so they fail the gate.
    pub expired: Vec<Noted>,
    /// Stale entries left in place (no `--prune-baseline`).
    pub stale: Vec<Noted>,
    /// Failed cases whose failures no pin could accept (a check with an empty message): not added.
    pub unpinned: Vec<String>,
    /// Entries that still have the placeholder reason.
    pub placeholders: usize,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "baseline {}: added {}, kept {}, removed {}",
            self.file.display(),
            self.added.len(),
            self.kept,
            self.removed.len()
        )?;
        for case in &self.added {
            write!(f, "\n  added `{case}`")?;
        }
        for n in &self.removed {
            write!(f, "\n  removed `{}`: {}", n.case, n.why)?;
        }
        for case in &self.repinned {
            write!(
                f,
                "\n  re-pinned `{case}`: it fails in another way now; its reason and expires are kept, check that the reason still holds"
            )?;
        }
        for n in &self.expired {
            write!(
                f,
                "\n  expired `{}`: {}; kept as it was, not renewed: the case fails the gate until it is fixed or its `expires` is edited",
                n.case, n.why
            )?;
        }
        for n in &self.stale {
            write!(
                f,
                "\n  stale `{}`: {} (--prune-baseline removes it)",
                n.case, n.why
            )?;
        }
        for case in &self.unpinned {
            write!(
                f,
                "\n  not added `{case}`: no pin can accept its failures as they are reported"
            )?;
        }
        if self.placeholders > 0 {
            write!(
                f,
                "\n  {} entries still say \"{PLACEHOLDER_REASON}\": write why each failure is accepted",
                self.placeholders
            )?;
        }
        Ok(())
    }
}

impl Baseline {
    /// Applies `edit` for a run's results (before any waiver; `complete` and `today` as for
    /// [`Baseline::apply`]), writes the edited baseline to `file` and says what changed.
    pub fn update_file(
        &self,
        file: &Path,
        results: &[CaseResult],
        complete: bool,
        today: NaiveDate,
        edit: Edit,
    ) -> Result<(Baseline, Change), BaselineError> {
        let (baseline, mut change) = self.edited(results, complete, today, edit);
        baseline.write(file)?;
        change.file = file.to_path_buf();
        Ok((baseline, change))
    }

    /// The baseline `edit` makes of this one for a run's results (see [`Baseline::update_file`]).
    fn edited(
        &self,
        results: &[CaseResult],
        complete: bool,
        today: NaiveDate,
        edit: Edit,
    ) -> (Baseline, Change) {
        let stale: BTreeMap<String, Staleness> = self.staleness(results, complete);
        let failing: BTreeMap<&str, &CaseResult> = results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed | Outcome::Errored))
            .map(|r| (r.id.as_str(), r))
            .collect();
        let mut change = Change::default();
        let mut entries = Vec::new();
        for entry in &self.known_failures {
            if let Some(s) = stale.get(&entry.case) {
                let noted = Noted {
                    case: entry.case.clone(),
                    why: s.short().into(),
                };
                if edit.prune {
                    change.removed.push(noted);
                    continue;
                }
                change.stale.push(noted);
            }
            let mut entry = entry.clone();
            if let (Some(_), Some(result)) = (edit.add, failing.get(entry.case.as_str())) {
                match entry.judge(result, today) {
                    Judgement::Expired(date) => change.expired.push(Noted {
                        case: entry.case.clone(),
                        why: format!("expired on {date}"),
                    }),
                    Judgement::Refuses(_) => {
                        let repinned = KnownFailure {
                            checks: Vec::new(),
                            status: None,
                            message: None,
                            failures: pins(result),
                            ..entry.clone()
                        };
                        if matches!(repinned.judge(result, today), Judgement::Waives) {
                            change.repinned.push(entry.case.clone());
                            entry = repinned;
                        } else {
                            change.unpinned.push(entry.case.clone());
                        }
                    }
                    Judgement::Waives | Judgement::NotFailing => {}
                }
            }
            change.kept += 1;
            entries.push(entry);
        }
        if let Some(expiry) = edit.add {
            let listed: HashSet<&str> = self
                .known_failures
                .iter()
                .map(|k| k.case.as_str())
                .collect();
            for (case, result) in failing.iter().filter(|(c, _)| !listed.contains(*c)) {
                let entry = KnownFailure {
                    case: case.to_string(),
                    reason: PLACEHOLDER_REASON.into(),
                    checks: Vec::new(),
                    status: None,
                    message: None,
                    expires: Some(expiry.date(today)),
                    failures: pins(result),
                    defects: Vec::new(),
                };
                // An entry that would not waive what it was made from must not be written: it
                // would read as accepted and still fail, or not load at all.
                if entry.problem().is_none()
                    && matches!(entry.judge(result, today), Judgement::Waives)
                {
                    change.added.push(entry.case.clone());
                    entries.push(entry);
                } else {
                    change.unpinned.push(entry.case);
                }
            }
        }
        entries.sort_by(|a, b| a.case.cmp(&b.case));
        change.placeholders = entries
            .iter()
            .filter(|e| e.reason == PLACEHOLDER_REASON)
            .count();
        (
            Baseline {
                known_failures: entries,
            },
            change,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::tests::{day, result_of};
    use crate::model::result::{CheckKind, CheckResult};

    fn result(id: &str, status: u16, checks: Vec<CheckResult>) -> CaseResult {
        result_of(id, status, checks)
    }

    fn passed(id: &str) -> CaseResult {
        result(
            id,
            200,
            vec![CheckResult::pass(CheckKind::Status, "200 OK")],
        )
    }

    fn status_failed(id: &str, got: u16) -> CaseResult {
        result(
            id,
            got,
            vec![CheckResult::fail(
                CheckKind::Status,
                format!("expected 204 No Content, got {got}"),
            )],
        )
    }

    fn parse(text: &str) -> Baseline {
        Baseline::parse(text, Path::new("b.json")).unwrap_or_else(|e| panic!("{e}"))
    }

    const TODAY: &str = "2026-03-01";

    fn add() -> Edit {
        Edit {
            add: Some(Expiry::default()),
            prune: false,
        }
    }

    #[test]
    fn update_adds_pinned_entries_in_case_order_that_waive_what_they_were_made_from() {
        let schema = result(
            "a",
            200,
            vec![CheckResult::fail(
                CheckKind::Schema,
                "body is not valid:\n/tags: not an array",
            )],
        );
        let results = vec![status_failed("b", 200), passed("c"), schema];
        let (b, change) = Baseline::default().edited(&results, true, day(TODAY), add());
        let cases: Vec<&str> = b.known_failures.iter().map(|k| k.case.as_str()).collect();
        assert_eq!(cases, ["a", "b"]);
        assert_eq!(change.added, ["a", "b"]);
        assert_eq!(change.placeholders, 2);
        let a = &b.known_failures[0];
        assert_eq!(a.reason, PLACEHOLDER_REASON);
        assert_eq!(a.expires, Some(day("2026-05-30")));
        assert_eq!(a.failures[0].message.as_deref(), Some("body is not valid:"));
        assert_eq!(b.known_failures[1].failures[0].status, Some(200));
        // What is written loads back and waives the same failures, and no others.
        let reread = parse(&b.render());
        let mut again = results.clone();
        reread.apply(&mut again, true, day(TODAY));
        let outcomes: Vec<Outcome> = again.iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes,
            [Outcome::Waived, Outcome::Passed, Outcome::Waived]
        );
        let mut worse = vec![status_failed("b", 500)];
        reread.apply(&mut worse, true, day(TODAY));
        assert_eq!(worse[0].outcome, Outcome::Failed);
    }

    #[test]
    fn update_keeps_the_user_s_reason_and_expiry_and_re_pins_a_changed_failure() {
        let b = parse(
            r#"{"known_failures": [
                {"case": "a", "reason": "vendor bug 12", "checks": ["status"], "status": 200, "expires": "2026-12-31"},
                {"case": "b", "reason": "vendor bug 13", "checks": ["status"], "status": 200, "expires": "2026-12-31"}]}"#,
        );
        let results = vec![status_failed("a", 200), status_failed("b", 500)];
        let (edited, change) = b.edited(&results, true, day(TODAY), add());
        assert_eq!(change.kept, 2);
        assert!(change.added.is_empty());
        assert_eq!(change.repinned, ["b"]);
        // An entry that still waives its case is kept exactly as the user wrote it.
        assert_eq!(edited.known_failures[0], b.known_failures[0]);
        let repinned = &edited.known_failures[1];
        assert_eq!(repinned.reason, "vendor bug 13");
        assert_eq!(repinned.expires, Some(day("2026-12-31")));
        assert_eq!(repinned.failures[0].status, Some(500));
        assert!(change.to_string().contains("re-pinned `b`"), "{change}");
    }

    #[test]
    fn an_expired_entry_is_kept_as_it_was_and_said() {
        let b = parse(
            r#"{"known_failures": [{"case": "a", "reason": "old", "checks": ["status"], "status": 200, "expires": "2026-01-31"}]}"#,
        );
        let results = vec![status_failed("a", 200)];
        let (edited, change) = b.edited(&results, true, day(TODAY), add());
        assert_eq!(edited, b);
        assert_eq!(change.expired[0].case, "a");
        let text = change.to_string();
        assert!(
            text.contains("expired `a`: expired on 2026-01-31; kept as it was, not renewed"),
            "{text}"
        );
        let mut again = results;
        let applied = edited.apply(&mut again, true, day(TODAY));
        assert_eq!(again[0].outcome, Outcome::Failed);
        assert_eq!(applied.expired.len(), 1);
    }

    #[test]
    fn prune_drops_what_the_run_judged_stale_and_only_that() {
        let b = parse(
            r#"{"known_failures": [
                {"case": "fixed", "reason": "r", "checks": ["status"], "status": 200},
                {"case": "gone", "reason": "r", "checks": ["status"], "status": 200},
                {"case": "still", "reason": "r", "checks": ["status"], "status": 200}]}"#,
        );
        let results = vec![passed("fixed"), status_failed("still", 200)];
        let prune = Edit {
            add: None,
            prune: true,
        };
        // A filtered run cannot say `gone` has no case: it only drops the case it saw pass.
        let (edited, change) = b.edited(&results, false, day(TODAY), prune);
        let cases: Vec<&str> = edited
            .known_failures
            .iter()
            .map(|k| k.case.as_str())
            .collect();
        assert_eq!(cases, ["gone", "still"]);
        assert_eq!(
            change.removed,
            [Noted {
                case: "fixed".into(),
                why: "the case passes now".into()
            }]
        );
        let (edited, change) = b.edited(&results, true, day(TODAY), prune);
        assert_eq!(edited.known_failures.len(), 1);
        assert_eq!(change.removed.len(), 2);
        assert_eq!(change.removed[1].why, "no case has this id");
        // Without --prune-baseline the stale entries stay, and are named.
        let (edited, change) = b.edited(&results, true, day(TODAY), add());
        assert_eq!(edited.known_failures.len(), 3);
        assert_eq!(change.stale.len(), 2);
        assert!(change.to_string().contains("(--prune-baseline removes it)"));
    }

    #[test]
    fn a_failure_no_pin_can_accept_is_not_added() {
        let blank = result("a", 200, vec![CheckResult::fail(CheckKind::Schema, "\n")]);
        let (edited, change) = Baseline::default().edited(&[blank], true, day(TODAY), add());
        assert!(edited.known_failures.is_empty());
        assert_eq!(change.unpinned, ["a"]);
    }

    #[test]
    fn expiry_reads_days_or_a_date() {
        assert_eq!("30".parse::<Expiry>(), Ok(Expiry::Days(30)));
        assert_eq!(
            "2027-06-30".parse::<Expiry>(),
            Ok(Expiry::On(day("2027-06-30")))
        );
        for bad in ["soon", "-1", "99999999", "2027-13-01"] {
            assert!(bad.parse::<Expiry>().is_err(), "{bad}");
        }
        assert_eq!(Expiry::Days(0).date(day(TODAY)), day(TODAY));
    }
}
