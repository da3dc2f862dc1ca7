//! The result model: what a run found, case by case; every report format is derived from it.

use serde::{Deserialize, Serialize};

use crate::model::case::Source;

/// One retried answer (a 429 or 503 before the one judged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retry {
    /// The status that was retried (429 or 503).
    pub status: u16,
    /// How long the runner waited before retrying.
    pub waited_ms: u64,
}

/// Whether a check held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOutcome {
    /// The check held.
    Passed,
    /// The check found a deviation.
    Failed,
}

impl CheckOutcome {
    /// The name reports use (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Passed => "passed",
            CheckOutcome::Failed => "failed",
        }
    }
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

impl Severity {
    /// The name reports use (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Which check a result comes from; serialized as the lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// The status code is the documented one.
    Status,
    /// Response headers: media type, framing, documented headers.
    Header,
    /// `Prefer` honoured and named in `Preference-Applied`.
    Prefer,
    /// The body is valid against the response type's schema.
    Schema,
    /// The entity answered is the one asked for (its key).
    Key,
    /// Every property is declared by its type.
    Unknown,
    /// Every property of an untruncated doc example is present.
    Coverage,
    /// `@odata.type` names the expected type or a derived one.
    Type,
    /// What was written comes back equal in the answer.
    Echo,
    /// What was written is what a later GET of the resource shows.
    Readback,
    /// The exchange completed.
    Transport,
    /// Every path parameter had a value.
    Params,
}

impl CheckKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [CheckKind; 12] = [
        CheckKind::Status,
        CheckKind::Header,
        CheckKind::Prefer,
        CheckKind::Schema,
        CheckKind::Key,
        CheckKind::Unknown,
        CheckKind::Coverage,
        CheckKind::Type,
        CheckKind::Echo,
        CheckKind::Readback,
        CheckKind::Transport,
        CheckKind::Params,
    ];

    /// The name reports and baselines use.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Status => "status",
            CheckKind::Header => "header",
            CheckKind::Prefer => "prefer",
            CheckKind::Schema => "schema",
            CheckKind::Key => "key",
            CheckKind::Unknown => "unknown",
            CheckKind::Coverage => "coverage",
            CheckKind::Type => "type",
            CheckKind::Echo => "echo",
            CheckKind::Readback => "readback",
            CheckKind::Transport => "transport",
            CheckKind::Params => "params",
        }
    }
}

impl std::fmt::Display for CheckKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which check.
    pub kind: CheckKind,
    /// Whether it held.
    pub outcome: CheckOutcome,
    /// How much a failure of this check counts in this run (also recorded when it passed).
    pub severity: Severity,
    /// What was checked and found, in words.
    pub message: String,
    /// A unified diff of expected and actual, when a body comparison failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl CheckResult {
    /// A check that held.
    pub fn pass(kind: CheckKind, message: impl Into<String>) -> Self {
        CheckResult {
            kind,
            outcome: CheckOutcome::Passed,
            severity: Severity::Error,
            message: message.into(),
            diff: None,
        }
    }

    /// A failed check that fails the case.
    pub fn fail(kind: CheckKind, message: impl Into<String>) -> Self {
        CheckResult {
            outcome: CheckOutcome::Failed,
            ..CheckResult::pass(kind, message)
        }
    }

    /// A failed check that only warns.
    pub fn warn(kind: CheckKind, message: impl Into<String>) -> Self {
        CheckResult {
            severity: Severity::Warning,
            ..CheckResult::fail(kind, message)
        }
    }

    /// The same check with the severity that applies in this run (a warning-level check that
    /// passed is still recorded as a warning-level check).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
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

impl Outcome {
    /// The name reports use (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Errored => "errored",
            Outcome::Skipped => "skipped",
            Outcome::Waived => "waived",
        }
    }
}

/// What happened to one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// Where the case was documented.
    pub source: Source,
    /// HTTP method sent.
    pub method: crate::model::case::Method,
    /// The documented path template.
    pub path: String,
    /// The verdict.
    pub outcome: Outcome,
    /// The status code of the judged answer, when one came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Whether the judged answer carried a body (what the coverage counts as exercising the
    /// documented response properties).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_body: bool,
    /// Wall time of the exchange, in milliseconds.
    pub duration_ms: u64,
    /// The `client-request-id` sent, to find the exchange in the target's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    /// 429/503 answers that were retried before the judged one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retries: Vec<Retry>,
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
    pub fn unrun(case: &crate::model::case::Case) -> CaseResult {
        CaseResult {
            id: case.id.clone(),
            source: case.source.clone(),
            method: case.request.method,
            path: case.request.path.clone(),
            outcome: Outcome::Skipped,
            status: None,
            has_body: false,
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
            .any(|c| c.kind == CheckKind::Transport && c.outcome == CheckOutcome::Failed)
        {
            Outcome::Errored
        } else if checks.iter().any(CheckResult::is_error_failure) {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }

    /// The kinds of the checks that fail this case.
    pub fn failing_kinds(&self) -> Vec<CheckKind> {
        let mut kinds: Vec<CheckKind> = self
            .checks
            .iter()
            .filter(|c| c.is_error_failure())
            .map(|c| c.kind)
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
    /// Baseline entries past their `expires` date, which waived nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired_baseline: Vec<StaleEntry>,
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
    /// Which shard of a sharded run this is (absent for a whole run, or a merged one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// What the documented cases cover, and how much of it the run exercised and passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<crate::model::coverage::Coverage>,
}

/// Which shard of a run a report is, and what `conform merge` needs to check the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// K: which shard, from 1.
    pub index: usize,
    /// N: how many shards the run has.
    pub total: usize,
    /// How many cases the run selected across all its shards.
    pub selected: usize,
    /// Whether the run selected every case (no filter): only then is a baseline entry that
    /// names no case stale.
    pub complete: bool,
}
