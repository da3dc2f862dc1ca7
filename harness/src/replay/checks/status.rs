//! The status check.

use crate::model::case::Case;
use crate::model::result::{CheckKind, CheckResult};
use crate::replay::transport::Exchange;

/// `200 OK`-style text for a status code.
pub fn status_text(code: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason());
    match reason {
        Some(r) => format!("{code} {r}"),
        None => code.to_string(),
    }
}

/// How a status is compared with the documented one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusMatch {
    /// Only the documented status passes.
    #[default]
    Exact,
    /// Another status of the same class (2xx for 2xx) is a warning, not a failure; the answer
    /// is still judged against everything else the doc says.
    Class,
}

/// The status code is the documented one (or, by request, of its class).
pub(super) fn check_status(case: &Case, got: &Exchange, mode: StatusMatch) -> CheckResult {
    let want = case.response.status;
    if got.status == want {
        CheckResult::pass(
            CheckKind::Status,
            format!("{} as documented", status_text(want)),
        )
    } else if mode == StatusMatch::Class && got.status / 100 == want / 100 {
        CheckResult::warn(
            CheckKind::Status,
            format!(
                "expected {}, got {} (same class, accepted with --status class)",
                status_text(want),
                status_text(got.status)
            ),
        )
    } else {
        CheckResult::fail(
            CheckKind::Status,
            format!(
                "expected {}, got {}",
                status_text(want),
                status_text(got.status)
            ),
        )
    }
}
