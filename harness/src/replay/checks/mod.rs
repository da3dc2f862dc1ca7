//! Checks: judge one exchange against its case, one file per family of checks.
//!
//! The status decides which documentation applies: an answer of the documented class (a 2xx
//! for a documented 2xx) is judged against everything the doc says about the answer (media
//! type, documented headers, body, type, key, echo), whether or not the exact status was the
//! documented one; an answer of another class (an error for a success) is judged on its status
//! and framing only, since the documented body does not describe it.

mod body;
mod diff;
pub(crate) mod echo;
mod headers;
mod key;
mod status;

use crate::model::case::Case;
use crate::model::result::CheckResult;
use crate::replay::request::Prepared;
use crate::replay::transport::Exchange;
use crate::schema::SchemaSet;

pub use body::answer_type;
pub use diff::{bounded_diff, normalize};
pub use echo::{check_written, first_difference};
pub use status::{StatusMatch, status_text};

/// Most findings listed in one check message.
const MAX_FINDINGS: usize = 20;

/// How strict the checks are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// A property the type does not declare fails the case instead of warning.
    pub strict: bool,
    /// How statuses are compared.
    pub status: StatusMatch,
    /// Writes are not read back (for a target that keeps no state, such as a recorded
    /// answer per request); the `readback` check is then not run at all.
    pub no_readback: bool,
}

/// Runs every check that applies to an exchange.
pub fn check_exchange(
    case: &Case,
    sent: &Prepared,
    got: &Exchange,
    schemas: &SchemaSet,
    opts: CheckOptions,
) -> Vec<CheckResult> {
    let mut out = vec![status::check_status(case, got, opts.status)];
    let same_class = got.status / 100 == case.response.status / 100;
    out.extend(headers::check_content_type(case, got, same_class));
    if same_class {
        out.extend(headers::check_documented_headers(case, got));
    }
    out.extend(headers::check_prefer(case, got));
    if !same_class {
        return out;
    }
    let parsed = match body::parse_body(case, sent, got) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return out,
        Err(check) => {
            out.push(check);
            return out;
        }
    };
    out.extend(body::check_repeated_keys(&parsed.repeated));
    let body = &parsed.value;
    out.extend(body::check_schema(case, body, schemas));
    out.extend(key::check_key(case, sent, body, schemas));
    out.extend(body::check_type(case, body, schemas));
    out.extend(body::check_unknown(case, body, schemas, opts));
    out.extend(body::check_coverage(case, body, schemas));
    out.extend(echo::check_written(
        crate::model::result::CheckKind::Echo,
        case,
        sent,
        body,
        schemas,
    ));
    out
}

/// Findings as lines, cut after [`MAX_FINDINGS`] with a count of the rest.
fn bounded_lines(mut lines: Vec<String>) -> Vec<String> {
    let total = lines.len();
    if total > MAX_FINDINGS {
        lines.truncate(MAX_FINDINGS);
        lines.push(format!("… and {} more", total - MAX_FINDINGS));
    }
    lines
}
