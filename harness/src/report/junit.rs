//! `junit.xml`: one testcase per case, for CI systems.

use std::time::Duration;

use super::{failure_text, ReportError};
use crate::model::result::{Outcome, RunReport};

/// `junit.xml`, derived from the report: one testcase per case; waived cases are skipped with the reason.
pub fn render(report: &RunReport) -> Result<String, ReportError> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("conform");
    for case in &report.cases {
        let mut status = match case.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(
                    case.failing_kinds()
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                        + " check failed",
                );
                s
            }
            Outcome::Errored => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message("no verdict: the exchange did not complete");
                s
            }
            Outcome::Skipped => TestCaseStatus::skipped(),
            Outcome::Waived => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!(
                    "waived by baseline: {}",
                    case.waiver.as_deref().unwrap_or("")
                ));
                s
            }
        };
        let text = failure_text(case);
        let passed = case.outcome == Outcome::Passed;
        if !text.is_empty() && !passed {
            status.set_description(text.clone());
        }
        let mut tc = TestCase::new(case.id.clone(), status);
        // A passing case's failed warnings are output of the test, not a failure.
        if !text.is_empty() && passed {
            tc.set_system_out(text);
        }
        tc.set_classname(format!("{}:{}", case.source.file, case.source.line));
        tc.set_time(Duration::from_millis(case.duration_ms));
        suite.add_test_case(tc);
    }
    let mut report_xml = quick_junit::Report::new("conform");
    report_xml.set_time(Duration::from_millis(report.duration_ms));
    report_xml.add_test_suite(suite);
    report_xml
        .to_string()
        .map_err(|e| ReportError::Junit(e.to_string()))
}
