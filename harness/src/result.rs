//! The result model: what a run found, case by case; every report format is derived from it.

use serde::{Deserialize, Serialize};

use crate::case::Source;

/// Whether a check held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOutcome {
    /// The check held.
    Passed,
    /// The check found a deviation.
    Failed,
}

/// How much a failed check counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failure fails the case.
    Error,
    /// A failure is shown but does not fail the case.
    Warning,
}

/// One check of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which check: status, header, schema, type, echo, transport, params.
    pub kind: String,
    /// Whether it held.
    pub outcome: CheckOutcome,
    /// How much a failure counts.
    pub severity: Severity,
    /// What was checked and found, in words.
    pub message: String,
    /// A unified diff of expected and actual, when a body comparison failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl CheckResult {
    /// A check that held.
    pub fn pass(kind: &str, message: impl Into<String>) -> Self {
        CheckResult {
            kind: kind.into(),
            outcome: CheckOutcome::Passed,
            severity: Severity::Error,
            message: message.into(),
            diff: None,
        }
    }

    /// A failed check that fails the case.
    pub fn fail(kind: &str, message: impl Into<String>) -> Self {
        CheckResult {
            outcome: CheckOutcome::Failed,
            ..CheckResult::pass(kind, message)
        }
    }

    /// A failed check that only warns.
    pub fn warn(kind: &str, message: impl Into<String>) -> Self {
        CheckResult {
            severity: Severity::Warning,
            ..CheckResult::fail(kind, message)
        }
    }

    /// Adds a diff.
    pub fn with_diff(mut self, diff: Option<String>) -> Self {
        self.diff = diff;
        self
    }

    /// Whether this check fails its case.
    pub fn is_error_failure(&self) -> bool {
        self.outcome == CheckOutcome::Failed && self.severity == Severity::Error
    }
}

/// The verdict on one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every error-severity check held.
    Passed,
    /// An error-severity check failed.
    Failed,
    /// No verdict was possible (no connection, timeout, bad answer framing).
    Errored,
    /// Not run.
    Skipped,
    /// Failed, but the baseline lists it as a known failure.
    Waived,
}

/// What happened to one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// Where the case was documented.
    pub source: Source,
    /// HTTP method sent.
    pub method: String,
    /// The documented path template.
    pub path: String,
    /// The verdict.
    pub outcome: Outcome,
    /// Wall time of the exchange, in milliseconds.
    pub duration_ms: u64,
    /// The `client-request-id` sent, to find the exchange in the target's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    /// 429/503 answers that were retried before the judged one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retries: Vec<crate::client::Retry>,
    /// Every check made, in order.
    pub checks: Vec<CheckResult>,
    /// Things worth knowing that are not checks (placeholders replaced before sending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the baseline waives this case, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
}

impl CaseResult {
    /// A result for a case that has not run (yet): skipped, no checks.
    pub fn unrun(case: &crate::case::Case) -> CaseResult {
        CaseResult {
            id: case.id.clone(),
            source: case.source.clone(),
            method: case.request.method.clone(),
            path: case.request.path.clone(),
            outcome: Outcome::Skipped,
            duration_ms: 0,
            client_request_id: None,
            retries: Vec::new(),
            checks: Vec::new(),
            notes: Vec::new(),
            waiver: None,
        }
    }

    /// The outcome its checks give: errored on a failed transport check, failed on any other error failure.
    pub fn outcome_from_checks(checks: &[CheckResult]) -> Outcome {
        if checks
            .iter()
            .any(|c| c.kind == "transport" && c.outcome == CheckOutcome::Failed)
        {
            Outcome::Errored
        } else if checks.iter().any(CheckResult::is_error_failure) {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }

    /// The kinds of the checks that fail this case.
    pub fn failing_kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| c.is_error_failure())
            .map(|c| c.kind.as_str())
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }
}

/// Counts of cases by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// All cases.
    pub total: usize,
    /// Passed cases.
    pub passed: usize,
    /// Failed cases not in the baseline.
    pub failed: usize,
    /// Cases with no verdict.
    pub errored: usize,
    /// Cases not run.
    pub skipped: usize,
    /// Failed cases the baseline waives.
    pub waived: usize,
}

impl Summary {
    /// Counts the outcomes of a list of results.
    pub fn of(cases: &[CaseResult]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Summary::default()
        };
        for c in cases {
            match c.outcome {
                Outcome::Passed => s.passed += 1,
                Outcome::Failed => s.failed += 1,
                Outcome::Errored => s.errored += 1,
                Outcome::Skipped => s.skipped += 1,
                Outcome::Waived => s.waived += 1,
            }
        }
        s
    }
}

/// A baseline entry that no longer matches reality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleEntry {
    /// The case the entry names.
    pub case: String,
    /// Why it is stale.
    pub why: String,
}

/// The release gate's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// True when no case failed or errored outside the baseline.
    pub passed: bool,
    /// Baseline entries that no longer match (the case passes, or is gone).
    pub stale_baseline: Vec<StaleEntry>,
}

/// One run, as every report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Tool name and version.
    pub tool: String,
    /// What was tested: `embedded mock` or the target URL.
    pub target: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// Wall time of the run, in milliseconds.
    pub duration_ms: u64,
    /// Counts by outcome.
    pub summary: Summary,
    /// The gate's verdict.
    pub gate: Gate,
    /// Every case, in id order.
    pub cases: Vec<CaseResult>,
}
