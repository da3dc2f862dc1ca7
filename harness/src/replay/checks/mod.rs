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

use std::sync::OnceLock;

use serde_json::Value;

use crate::model::case::{Body, Case, LeftBody};
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

/// A case's documented response body as the checks read it: the one the case holds, or one
/// left in its case file when the case was made whole for its run
/// ([`crate::model::case::Whole`]), read the first time a check needs it. A passing case
/// whose example is shortened never needs it.
pub struct Documented<'a> {
    /// The case.
    pub case: &'a Case,
    /// The body left in the case file; `None` when the case holds its body (or has none).
    left: Option<LeftBody<'a>>,
    /// The left body, once read, or why it could not be.
    read: OnceLock<Result<Body, String>>,
    /// The media type the doc leads the checks to expect (see
    /// [`headers::expected_media_type`]), once worked out.
    expected_media_type: OnceLock<Option<String>>,
}

impl<'a> Documented<'a> {
    /// The body the case holds.
    pub fn of(case: &'a Case) -> Documented<'a> {
        Documented::left(case, None)
    }

    /// The body `left` in the case file, for a case that holds none (`None`: the case's own).
    pub fn left(case: &'a Case, left: Option<LeftBody<'a>>) -> Documented<'a> {
        Documented {
            case,
            left,
            read: OnceLock::new(),
            expected_media_type: OnceLock::new(),
        }
    }

    /// Whether the doc shows a JSON body (without reading it).
    fn is_json(&self) -> bool {
        match &self.left {
            Some(left) => left.is_json(),
            None => matches!(self.case.response.body, Some(Body::Json(_))),
        }
    }

    /// The documented body. A left body that cannot be read counts as none here, and
    /// [`Documented::unread`] says why, so that a verdict made without it does not stand.
    fn body(&self) -> Option<&Body> {
        match &self.left {
            Some(left) => self
                .read
                .get_or_init(|| left.read().map_err(|e| e.to_string()))
                .as_ref()
                .ok(),
            None => self.case.response.body.as_ref(),
        }
    }

    /// Why the left body could not be read, when a check asked for it and it could not.
    pub fn unread(&self) -> Option<&str> {
        match self.read.get() {
            Some(Err(why)) => Some(why),
            _ => None,
        }
    }

    /// The documented body, if it is JSON.
    fn json(&self) -> Option<&Value> {
        match self.body() {
            Some(Body::Json(v)) => Some(v),
            _ => None,
        }
    }
}

/// Runs every check that applies to an exchange.
pub fn check_exchange(
    case: &Case,
    sent: &Prepared,
    got: &Exchange,
    schemas: &SchemaSet,
    opts: CheckOptions,
) -> Vec<CheckResult> {
    check_answer(&Documented::of(case), sent, got, schemas, opts)
}

/// [`check_exchange`], with the documented response body read from `doc`.
pub fn check_answer(
    doc: &Documented<'_>,
    sent: &Prepared,
    got: &Exchange,
    schemas: &SchemaSet,
    opts: CheckOptions,
) -> Vec<CheckResult> {
    let mut out = judge(doc, sent, got, schemas, opts);
    // A check that needed the documented body judged without it: the verdict cannot stand.
    if let Some(why) = doc.unread() {
        out.push(CheckResult::fail(
            crate::model::result::CheckKind::Transport,
            format!("the documented response body could not be read to judge the answer: {why}"),
        ));
    }
    out
}

/// The checks of [`check_answer`].
fn judge(
    doc: &Documented<'_>,
    sent: &Prepared,
    got: &Exchange,
    schemas: &SchemaSet,
    opts: CheckOptions,
) -> Vec<CheckResult> {
    let case = doc.case;
    let mut out = vec![status::check_status(case, got, opts.status)];
    let same_class = got.status / 100 == case.response.status / 100;
    out.extend(headers::check_content_type(doc, got, same_class));
    if same_class {
        out.extend(headers::check_documented_headers(case, got));
    }
    out.extend(headers::check_prefer(case, got));
    if !same_class {
        return out;
    }
    let parsed = match body::parse_body(doc, sent, got) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return out,
        Err(check) => {
            out.push(check);
            return out;
        }
    };
    out.extend(body::check_repeated_keys(&parsed.repeated));
    let body = &parsed.value;
    out.extend(body::check_schema(doc, body, schemas));
    out.extend(key::check_key(doc, sent, body, schemas));
    out.extend(body::check_type(case, body, schemas));
    out.extend(body::check_unknown(case, body, schemas, opts));
    out.extend(body::check_coverage(doc, body, schemas));
    out.extend(echo::compare_written(
        crate::model::result::CheckKind::Echo,
        doc,
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
