//! Reports: decides the gate and writes every format from the one result model, a module per
//! format (`json`, `junit`, `markdown`, `html`, `console`); `reasons` groups failures for the
//! summaries.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod reasons;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::baseline::Applied;
use crate::model::result::{CaseResult, CheckOutcome, Gate, RunReport, Summary};

/// Errors writing or reading reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A `report.json` read back is not one.
    #[error("{path}:{line}:{column}: not a conform report.json: {message}")]
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
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// JUnit XML could not be produced.
    #[error("cannot write JUnit XML: {0}")]
    Junit(String),
}

/// Assembles the report of a run.
pub fn build_report(
    target: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    duration: Duration,
    mut cases: Vec<CaseResult>,
    baseline: Applied,
) -> RunReport {
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let summary = Summary::of(&cases);
    RunReport {
        tool: format!("conform {}", env!("CARGO_PKG_VERSION")),
        target: target.to_string(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_ms: duration.as_millis() as u64,
        gate: Gate {
            passed: summary.failed == 0 && summary.errored == 0,
            stale_baseline: baseline.stale,
            expired_baseline: baseline.expired,
        },
        summary,
        cases,
        shard: None,
        coverage: None,
    }
}

/// Text with the control characters a target may have sent (C0 controls but tab and line
/// breaks, DEL, U+FFFE, U+FFFF) replaced by U+FFFD: XML 1.0 forbids them, a terminal or a
/// browser would act on an escape sequence, and one such byte makes a file unreadable to a CI
/// server. Every file format passes what came from a target through this.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// The failing checks of a case as text, for JUnit and the console.
pub(crate) fn failure_text(case: &CaseResult) -> String {
    let mut out = String::new();
    for c in &case.checks {
        if c.outcome == CheckOutcome::Failed {
            out.push_str(&format!(
                "[{}] {}: {}\n",
                c.severity.as_str(),
                c.kind,
                c.message
            ));
            if let Some(d) = &c.diff {
                out.push_str(d);
                if !d.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// What a line of a unified diff is, for colouring it (console and HTML alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffLine {
    /// `---` / `+++`: the names of the two sides.
    Files,
    /// `-`: only in the expected side.
    Removed,
    /// `+`: only in the actual side.
    Added,
    /// `@@`: where a hunk starts.
    Hunk,
    /// Anything else: context.
    Context,
}

impl DiffLine {
    /// Classifies one line of a unified diff.
    pub(crate) fn of(line: &str) -> DiffLine {
        if line.starts_with("---") || line.starts_with("+++") {
            DiffLine::Files
        } else if line.starts_with('-') {
            DiffLine::Removed
        } else if line.starts_with('+') {
            DiffLine::Added
        } else if line.starts_with("@@") {
            DiffLine::Hunk
        } else {
            DiffLine::Context
        }
    }
}

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportFormat {
    /// `report.json`: the result model, readable back.
    Json,
    /// `junit.xml`: one testcase per case, for CI test views.
    Junit,
    /// `report.md`: the summary for a pull-request comment or a step summary.
    Markdown,
    /// `report.html`: one self-contained page to read in a browser.
    Html,
}

impl ReportFormat {
    /// Every format, in the order files are written.
    pub const ALL: [ReportFormat; 4] = [
        ReportFormat::Json,
        ReportFormat::Junit,
        ReportFormat::Markdown,
        ReportFormat::Html,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Junit => "junit",
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
        }
    }

    /// The file written in the report folder.
    pub fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Json => "report.json",
            ReportFormat::Junit => "junit.xml",
            ReportFormat::Markdown => "report.md",
            ReportFormat::Html => "report.html",
        }
    }

    /// The file's content for a report.
    pub fn render(self, report: &RunReport) -> Result<String, ReportError> {
        Ok(match self {
            ReportFormat::Json => json::render(report),
            ReportFormat::Junit => junit::render(report)?,
            ReportFormat::Markdown => markdown::render(report),
            ReportFormat::Html => html::render(report),
        })
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = String;

    /// Reads a format name (`json`, `junit`, `md` or `markdown`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == name || (name == "markdown" && *f == ReportFormat::Markdown))
            .ok_or_else(|| {
                let known: Vec<&str> = ReportFormat::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown report format `{s}` (known: {})", known.join(", "))
            })
    }
}

/// Writes every format into a folder; returns the files written.
pub fn write_reports(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    write_formats(report, dir, &ReportFormat::ALL)
}

/// Writes the chosen formats into a folder; returns the files written.
pub fn write_formats(
    report: &RunReport,
    dir: &Path,
    formats: &[ReportFormat],
) -> Result<Vec<PathBuf>, ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut chosen = formats.to_vec();
    chosen.sort();
    chosen.dedup();
    let mut written = Vec::new();
    for format in chosen {
        let path = dir.join(format.file_name());
        let file = std::fs::File::create(&path).map_err(io(&path))?;
        let mut out = std::io::BufWriter::new(file);
        match format {
            // Written as they are made: these two grow with every case.
            ReportFormat::Json => json::write(report, &mut out).map_err(io(&path))?,
            ReportFormat::Junit => junit::write(report, &mut out)?,
            ReportFormat::Markdown | ReportFormat::Html => {
                std::io::Write::write_all(&mut out, format.render(report)?.as_bytes())
                    .map_err(io(&path))?
            }
        }
        std::io::Write::flush(&mut out).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_replaced_and_line_breaks_kept() {
        assert_eq!(
            printable("a\u{0}b\u{1b}[31m\tc\u{7f}\u{ffff}\n"),
            "a\u{fffd}b\u{fffd}[31m\tc\u{fffd}\u{fffd}\n"
        );
    }
}
