//! `junit.xml`: one testcase per case, for CI systems. Valid against the common JUnit schema
//! (the Jenkins/Surefire `junit-10.xsd` that pytest and most CI test views follow): only the
//! attributes it allows (`testsuites`: name, tests, failures, errors, time; `testsuite`: name,
//! tests, failures, errors, skipped, time, timestamp; `testcase`: name, classname, time), times
//! in seconds with at most three decimals, and only characters XML 1.0 allows.
//!
//! Written with `quick-xml`'s writer rather than the `quick-junit` crate because that one always
//! writes a `disabled` attribute on `testsuite`, which the schema does not allow.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{ReportError, failure_text, printable};
use crate::model::result::{CaseResult, Outcome, RunReport, Summary};

/// `junit.xml`, derived from the report: one testcase per case, named by the case id, its
/// classname the doc page. Failed cases carry `failure`, errored ones `error`, waived and
/// skipped ones `skipped` with the reason; a passing case's failed warnings are its
/// `system-out`.
pub fn render(report: &RunReport) -> Result<String, ReportError> {
    let mut out = Vec::new();
    write(report, &mut out)?;
    String::from_utf8(out).map_err(|e| ReportError::Junit(e.to_string()))
}

/// Writes [`render`]'s `junit.xml` to `out` as it is made, without holding the whole text.
pub fn write(report: &RunReport, out: impl std::io::Write) -> Result<(), ReportError> {
    let xml = |e: std::io::Error| ReportError::Junit(e.to_string());
    let mut w = Writer::new_with_indent(out, b' ', 4);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(xml)?;
    let s = &report.summary;
    let time = seconds(report.duration_ms);
    let counts = counts(s);
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "conform"));
    for (k, v) in &counts[..3] {
        suites.push_attribute((*k, v.as_str()));
    }
    suites.push_attribute(("time", time.as_str()));
    w.write_event(Event::Start(suites)).map_err(xml)?;

    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", "conform"));
    for (k, v) in &counts {
        suite.push_attribute((*k, v.as_str()));
    }
    suite.push_attribute(("time", time.as_str()));
    suite.push_attribute(("timestamp", printable(&report.started_at).as_str()));
    w.write_event(Event::Start(suite)).map_err(xml)?;
    for case in &report.cases {
        testcase(&mut w, case).map_err(xml)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuite")))
        .map_err(xml)?;
    w.write_event(Event::End(BytesEnd::new("testsuites")))
        .map_err(xml)?;
    w.into_inner().write_all(b"\n").map_err(xml)
}

/// The count attributes of a suite: tests, failures, errors, skipped (waived cases count as
/// skipped: they did not gate).
fn counts(s: &Summary) -> [(&'static str, String); 4] {
    [
        ("tests", s.total.to_string()),
        ("failures", s.failed.to_string()),
        ("errors", s.errored.to_string()),
        ("skipped", (s.skipped + s.waived).to_string()),
    ]
}

/// One `testcase` element.
fn testcase<W: std::io::Write>(w: &mut Writer<W>, case: &CaseResult) -> std::io::Result<()> {
    let mut tc = BytesStart::new("testcase");
    tc.push_attribute(("name", printable(&case.id).as_str()));
    tc.push_attribute(("classname", printable(&case.source.file).as_str()));
    tc.push_attribute(("time", seconds(case.duration_ms).as_str()));
    let text = printable(&failure_text(case));
    let located = format!(
        "{}:{}: {} {}\n",
        case.source.file,
        case.source.line,
        case.method.as_str(),
        case.path
    );
    let child: Option<(&str, String, Option<&str>)> = match case.outcome {
        Outcome::Passed => None,
        Outcome::Failed => {
            let kinds: Vec<&str> = case.failing_kinds().iter().map(|k| k.as_str()).collect();
            Some((
                "failure",
                format!("{} check failed", kinds.join(", ")),
                kinds.first().copied(),
            ))
        }
        Outcome::Errored => Some((
            "error",
            "no verdict: the exchange did not complete".to_string(),
            Some("transport"),
        )),
        Outcome::Skipped => Some(("skipped", "not run".to_string(), None)),
        Outcome::Waived => Some((
            "skipped",
            format!(
                "waived by baseline: {}",
                case.waiver.as_deref().unwrap_or_default()
            ),
            None,
        )),
    };
    let warned = case.outcome == Outcome::Passed && !text.is_empty();
    if child.is_none() && !warned {
        return w.write_event(Event::Empty(tc));
    }
    w.write_event(Event::Start(tc))?;
    if let Some((name, message, kind)) = child {
        let mut el = BytesStart::new(name);
        el.push_attribute(("message", printable(&message).as_str()));
        if let Some(kind) = kind {
            el.push_attribute(("type", kind));
        }
        if text.is_empty() {
            w.write_event(Event::Empty(el))?;
        } else {
            w.write_event(Event::Start(el))?;
            w.write_event(Event::Text(BytesText::new(&printable(&located))))?;
            w.write_event(Event::Text(BytesText::new(&text)))?;
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
    }
    // A passing case's failed warnings are output of the test, not a failure.
    if warned {
        w.write_event(Event::Start(BytesStart::new("system-out")))?;
        w.write_event(Event::Text(BytesText::new(&text)))?;
        w.write_event(Event::End(BytesEnd::new("system-out")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
}

/// Milliseconds as seconds with three decimals (the schema's time pattern allows no more).
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_three_decimals() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(12_345), "12.345");
    }
}
