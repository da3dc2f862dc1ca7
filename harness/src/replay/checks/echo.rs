//! Echo and read-back: what was written comes back equal, compared by meaning.

use serde_json::{Map, Value};

use crate::json;
use crate::model::case::Case;
use crate::model::result::{CheckKind, CheckResult};
use crate::placeholder::is_annotation;
use crate::pointer::{self, At, escape};
use crate::replay::request::Prepared;
use crate::schema::SchemaSet;

use super::Documented;
use super::diff::bounded_diff;

/// Each property sent comes back equal in `body` (the write's own answer for `echo`, a later
/// GET for `readback`); read-only properties, which a service may ignore on write, are not
/// expected back.
pub fn check_written(
    kind: CheckKind,
    case: &Case,
    sent: &Prepared,
    body: &Value,
    schemas: &SchemaSet,
) -> Option<CheckResult> {
    compare_written(kind, &Documented::of(case), sent, body, schemas)
}

/// [`check_written`], the doc's example read from `doc` (and built only if an answer leaves
/// out something sent).
pub(super) fn compare_written(
    kind: CheckKind,
    doc: &Documented<'_>,
    sent: &Prepared,
    body: &Value,
    schemas: &SchemaSet,
) -> Option<CheckResult> {
    let case = doc.case;
    if !writes(case) {
        return None;
    }
    let sent_props = written_properties(case, sent.json.as_ref()?, schemas)?;
    let got = body.as_object()?;
    // The write's own answer may leave out what the doc's example of it leaves out (a
    // navigation property, a write-only setting): the docs promise nothing more. A read-back
    // must show everything written.
    let documented = || match (doc.json(), kind) {
        (Some(Value::Object(m)), CheckKind::Echo) => Some(m),
        _ => None,
    };
    let mut problems = Vec::new();
    let mut omitted = 0;
    // The properties compared; the views of them that a failure's diff shows are built only
    // when something differs (most writes pass, and copying every body is a run's cost).
    let mut compared = Vec::with_capacity(sent_props.len());
    for (k, v) in &sent_props {
        let answered = json::lookup(got, k);
        if answered.is_none() && documented().is_some_and(|d| !json::has(d, k)) {
            omitted += 1;
            continue;
        }
        compared.push((*k, *v));
        match answered {
            None => problems.push(format!(
                "/{}: sent {}, missing from the answer",
                escape(k),
                v
            )),
            Some(g) => {
                if let Some(at) = first_difference(v, g, &At::ROOT.key(k)) {
                    problems.push(at);
                }
            }
        }
    }
    let (held, broke) = match kind {
        CheckKind::Readback => ("read back equal", "did not read back equal"),
        _ => ("came back equal", "did not come back equal"),
    };
    if problems.is_empty() {
        let compared = sent_props.len() - omitted;
        let left_out = match omitted {
            0 => String::new(),
            n => format!(
                "; {n} not in the answer, as the doc's example of it leaves {} out too",
                if n == 1 { "it" } else { "them" }
            ),
        };
        return Some(CheckResult::pass(
            kind,
            format!(
                "{compared} propert{} sent {held}{left_out}",
                if compared == 1 { "y" } else { "ies" }
            ),
        ));
    }
    let mut want_view = Map::new();
    let mut got_view = Map::new();
    for (k, v) in compared {
        want_view.insert(k.clone(), strip_annotations(v));
        if let Some(g) = got.get(k) {
            got_view.insert(k.clone(), strip_annotations(g));
        }
    }
    let diff = bounded_diff(&Value::Object(want_view), &Value::Object(got_view));
    Some(
        CheckResult::fail(
            kind,
            format!(
                "{} of {} properties sent {broke}:\n{}",
                problems.len(),
                sent_props.len() - omitted,
                problems.join("\n")
            ),
        )
        .with_diff(Some(diff)),
    )
}

/// Whether a case writes a resource whose answer echoes it: a PATCH or PUT, or a POST that
/// creates (a POST's body is the resource only for a create; an action's body is its
/// parameters). The echo check and lint's `echo-mismatch` both read writes so.
pub fn writes(case: &Case) -> bool {
    use crate::model::case::Method;
    match case.request.method {
        Method::Patch | Method::Put => true,
        Method::Post => crate::model::case::request_type(case).is_some(),
        _ => false,
    }
}

/// The properties a write of `case` sends in `body` that a service must keep: annotations,
/// undeclared and read-only properties aside, and the key of a create; `None` when there
/// are none.
pub fn written_properties<'a>(
    case: &Case,
    body: &'a Value,
    schemas: &'a SchemaSet,
) -> Option<Vec<(&'a String, &'a Value)>> {
    let props: Vec<(&String, &Value)> = written(case, body, schemas)?.collect();
    (!props.is_empty()).then_some(props)
}

/// Whether a write of `case` sends in `body` any property a service must keep (see
/// [`written_properties`]), found without listing them.
pub fn writes_properties(case: &Case, body: &Value, schemas: &SchemaSet) -> bool {
    written(case, body, schemas).is_some_and(|mut props| props.next().is_some())
}

/// The properties of [`written_properties`], as they are found.
fn written<'a>(
    case: &Case,
    body: &'a Value,
    schemas: &'a SchemaSet,
) -> Option<impl Iterator<Item = (&'a String, &'a Value)>> {
    let written_type = crate::model::case::request_type(case);
    // A property the written type does not declare is an action's parameter or the doc's
    // drift, not a property the service keeps; read-only ones it may ignore.
    let declared = written_type.as_deref().and_then(|t| schemas.properties(t));
    let writable = move |k: &str| match declared {
        Some(props) => json::lookup(props, k).is_some_and(|p| !SchemaSet::read_only(p)),
        None => true,
    };
    // The key is the service's: it gives a created entity its own (it may take or change the
    // one sent) and never changes an existing one's, which the key check judges.
    Some(
        body.as_object()?
            .iter()
            .filter(move |(k, _)| !is_annotation(k) && writable(k) && k.as_str() != "id"),
    )
}

/// A copy without instance annotations, for display.
fn strip_annotations(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !is_annotation(k))
                .map(|(k, v)| (k.clone(), strip_annotations(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_annotations).collect()),
        other => other.clone(),
    }
}

/// Digits after the decimal point of an RFC 3339 date-time's seconds.
fn fraction_digits(s: &str) -> usize {
    let Some(t) = s.find(['T', 't']) else {
        return 0;
    };
    // `HH:MM:SS` follows the `T`; a fraction, if any, starts right after it.
    match s.get(t + 9..) {
        Some(rest) if rest.starts_with('.') => {
            rest[1..].bytes().take_while(u8::is_ascii_digit).count()
        }
        _ => 0,
    }
}

/// A date-time as nanoseconds since the epoch, and whether it names its offset: RFC 3339, or
/// the offset-less `YYYY-MM-DDTHH:MM:SS[.f]` of Graph's `dateTimeTimeZone.dateTime` (its zone is
/// a sibling property).
fn instant(s: &str) -> Option<(bool, i128)> {
    let nanos = |secs: i64, sub: u32| i128::from(secs) * 1_000_000_000 + i128::from(sub);
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some((true, nanos(d.timestamp(), d.timestamp_subsec_nanos())));
    }
    let d = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let d = d.and_utc();
    Some((false, nanos(d.timestamp(), d.timestamp_subsec_nanos())))
}

/// Whether `got` is the date-time `sent`, at the precision the service keeps: the instant of
/// `sent` truncated to as many fractional digits as `got` shows (OData lets a service store
/// `Edm.DateTimeOffset` with less precision than was sent, and Graph writes a local
/// `dateTime` with seven digits). Two date-times of which one names an offset and the other
/// none are not compared as instants.
fn same_instant(sent: &str, got: &str) -> Option<bool> {
    let (sent_offset, a) = instant(sent)?;
    let (got_offset, b) = instant(got)?;
    if sent_offset != got_offset {
        return None;
    }
    if a == b {
        return Some(true);
    }
    let digits = fraction_digits(got).min(9);
    if digits >= fraction_digits(sent) {
        return Some(false);
    }
    let unit = 10_i128.pow(9 - digits as u32);
    Some(b == a - a.rem_euclid(unit))
}

/// Where two values differ in meaning (annotations ignored, null the same as absent, numbers
/// by value, date-times by instant at the precision the answer keeps).
pub fn first_difference(want: &Value, got: &Value, at: &At<'_>) -> Option<String> {
    let here = || {
        format!(
            "{}: sent {}, got {}",
            pointer::display(&at.pointer()),
            want,
            got
        )
    };
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            // What was sent must come back; what the service adds (defaults of a complex
            // value, computed properties) is its own. A null property and an absent one say
            // the same thing: "not set".
            let sent = || a.iter().filter(|(k, v)| !is_annotation(k) && !v.is_null());
            let absent = |k: &str| json::lookup(b, k).is_none_or(Value::is_null);
            // Most answers hold everything sent: the list of what is missing is built only
            // when something is.
            if sent().any(|(k, _)| absent(k)) {
                let missing: Vec<&String> =
                    sent().filter(|(k, _)| absent(k)).map(|(k, _)| k).collect();
                return Some(format!(
                    "{}: sent {:?}, missing from what came back",
                    pointer::display(&at.pointer()),
                    missing
                ));
            }
            sent().find_map(|(k, v)| {
                let got = json::lookup(b, k).unwrap_or(&Value::Null);
                first_difference(v, got, &at.key(k))
            })
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!(
                    "{}: sent {} items, got {}",
                    pointer::display(&at.pointer()),
                    a.len(),
                    b.len()
                ));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y, &at.index(i)))
        }
        (Value::Number(a), Value::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            };
            (!same).then(here)
        }
        (Value::String(a), Value::String(b)) => {
            if a == b || same_instant(a, b) == Some(true) {
                None
            } else {
                Some(here())
            }
        }
        _ => (want != got).then(here),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compares_by_meaning() {
        let d = |a: Value, b: Value| first_difference(&a, &b, &At::ROOT);
        assert_eq!(
            d(json!({"a": 1, "@odata.type": "x"}), json!({"a": 1.0})),
            None
        );
        assert_eq!(
            d(
                json!("2016-12-31T23:58:05.5931807+03:00"),
                json!("2016-12-31T20:58:05.5931807Z")
            ),
            None
        );
        assert_eq!(d(json!([{"b": true, "@x": 1}]), json!([{"b": true}])), None);
        assert!(
            d(json!({"a": [1, 2]}), json!({"a": [1, 3]})).is_some_and(|m| m.starts_with("/a/1:"))
        );
        // What the service adds to what was sent is its own.
        assert_eq!(
            d(json!({"a": {"x": 1}}), json!({"a": {"x": 1, "y": 2}})),
            None
        );
        assert!(d(json!({"a": {"x": 1, "z": 3}}), json!({"a": {"x": 1}})).is_some());
        assert_eq!(d(json!({"a": 1}), json!({"a": 1, "b": null})), None);
        assert_eq!(d(json!({"a": 1, "c": null}), json!({"a": 1})), None);
        assert!(d(json!("true"), json!(true)).is_some());
        assert!(d(json!(1), json!("1")).is_some());
    }

    #[test]
    fn date_times_compare_at_the_precision_the_answer_keeps() {
        let d = |a: &str, b: &str| first_difference(&json!(a), &json!(b), &At::ROOT);
        // The OData V4 server case: seven digits sent, milliseconds kept.
        assert_eq!(
            d(
                "2016-12-31T23:56:26.9196629+00:00",
                "2016-12-31T23:56:26.919Z"
            ),
            None
        );
        // Truncated, not rounded: .9196 kept as .919, never .920.
        assert!(d("2016-12-31T23:56:26.9196629Z", "2016-12-31T23:56:26.920Z").is_some());
        // Whole seconds kept, in another offset.
        assert_eq!(
            d("2016-12-31T23:56:26.9196629+01:00", "2016-12-31T22:56:26Z"),
            None
        );
        // Another instant at that precision still fails.
        assert!(d("2016-12-31T23:56:26.9196629Z", "2016-12-31T23:56:26.918Z").is_some());
        assert!(d("2016-12-31T23:56:26.9196629Z", "2016-12-31T23:56:27Z").is_some());
        // Graph's local date-times (no offset) compare the same way; one with an offset and
        // one without are different texts.
        assert_eq!(
            d("2019-03-10T12:00:00", "2019-03-10T12:00:00.0000000"),
            None
        );
        assert_eq!(
            d("2019-03-10T12:00:00.1234567", "2019-03-10T12:00:00.123"),
            None
        );
        assert!(d("2019-03-10T12:00:00", "2019-03-10T13:00:00.0000000").is_some());
        assert!(d("2019-03-10T12:00:00", "2019-03-10T12:00:00Z").is_some());
        // More digits in the answer than sent: only the same instant passes.
        assert_eq!(
            d("2016-12-31T23:56:26.9Z", "2016-12-31T23:56:26.9000000Z"),
            None
        );
        assert!(d("2016-12-31T23:56:26.9Z", "2016-12-31T23:56:26.9000001Z").is_some());
        assert_eq!(fraction_digits("2016-12-31T23:56:26.919Z"), 3);
        assert_eq!(fraction_digits("2016-12-31T23:56:26Z"), 0);
        assert_eq!(fraction_digits("not a date"), 0);
    }
}
