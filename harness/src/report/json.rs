//! `report.json`: the result model itself, pretty JSON.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::model::coverage::Coverage;
use crate::model::result::{CaseResult, Gate, RunReport, ShardInfo, Summary};

use super::ReportError;

/// `report.json`: the result model itself.
pub fn render(report: &RunReport) -> String {
    let mut out = Vec::new();
    // Writing to memory fails only if serializing does, and the model holds only strings,
    // numbers and maps with string keys.
    let _ = write(report, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Cases rendered together on one thread: enough to outweigh handing the work out.
const CASES_PER_PIECE: usize = 64;
/// Pieces rendered at once before they are written: bounds the memory a large report takes
/// while it is written.
const PIECES_AT_ONCE: usize = 8;

/// Writes [`render`]'s `report.json` to `out` as it is serialized: a run of many cases makes
/// tens of megabytes, which need not be held at once.
///
/// The cases are nearly all of a report and independent of each other, so they are rendered
/// in parallel, a window of them at a time, each indented to where it stands in the document,
/// and written in order between the other fields; the bytes are those of serde_json's pretty
/// printer over the whole report (a test holds them to it).
pub fn write(report: &RunReport, mut out: impl Write) -> std::io::Result<()> {
    // Every field is named so that a field added to the report is not forgotten here.
    let RunReport {
        tool,
        target,
        started_at,
        duration_ms,
        summary,
        gate,
        cases,
        shard,
        coverage,
    } = report;
    let shell = Shell {
        tool,
        target,
        started_at,
        duration_ms: *duration_ms,
        summary,
        gate,
        cases: [],
        shard: shard.as_ref(),
        coverage: coverage.as_ref(),
    };
    let text = serde_json::to_string_pretty(&shell)?;
    // The top-level field's own line: deeper fields are indented further, and a line break
    // inside a string is escaped.
    const EMPTY: &str = "\n  \"cases\": []";
    let Some(at) = text.find(EMPTY).filter(|_| !cases.is_empty()) else {
        out.write_all(text.as_bytes())?;
        return out.write_all(b"\n");
    };
    // Up to and including the array's `[`.
    out.write_all(&text.as_bytes()[..at + EMPTY.len() - 1])?;
    for (window_index, window) in cases.chunks(CASES_PER_PIECE * PIECES_AT_ONCE).enumerate() {
        let pieces: Vec<Vec<u8>> = window
            .par_chunks(CASES_PER_PIECE)
            .map(render_cases)
            .collect::<std::io::Result<_>>()?;
        for (i, piece) in pieces.iter().enumerate() {
            if window_index > 0 || i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(piece)?;
        }
    }
    out.write_all(b"\n  ]")?;
    out.write_all(&text.as_bytes()[at + EMPTY.len()..])?;
    out.write_all(b"\n")
}

/// Cases as they stand in `report.json`'s `cases` array: each on a new line at the array's
/// indentation, separated by commas.
fn render_cases(cases: &[CaseResult]) -> std::io::Result<Vec<u8>> {
    let mut piece = Vec::with_capacity(cases.len() * 2048);
    for (i, case) in cases.iter().enumerate() {
        if i > 0 {
            piece.push(b',');
        }
        piece.extend_from_slice(b"\n    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut piece, Nested::at(2));
        case.serialize(&mut ser)?;
    }
    Ok(piece)
}

/// serde_json's pretty printer (two spaces a level) for a value that stands `depth` levels
/// deep in a larger document: each line it starts is indented that much more. serde_json's
/// own `PrettyFormatter` always starts at the left margin, and indenting its output after
/// the fact meant scanning every byte again (a third of the cost of rendering a case).
struct Nested {
    /// Levels of indentation of the lines written now.
    depth: usize,
    /// Whether the array or object being written has a member yet.
    has_value: bool,
}

impl Nested {
    /// A formatter for a value that stands `depth` levels deep.
    fn at(depth: usize) -> Nested {
        Nested {
            depth,
            has_value: false,
        }
    }

    /// Starts a line at the current depth.
    fn line<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }

    fn indent<W: ?Sized + Write>(&self, w: &mut W) -> std::io::Result<()> {
        // One write for the whole indentation, not one per level.
        const SPACES: &[u8; 64] = &[b' '; 64];
        let mut left = 2 * self.depth;
        while left > 0 {
            let n = left.min(SPACES.len());
            w.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// [`RunReport`] with an empty case list, serialized as it is: the cases go in its place.
#[derive(Serialize)]
struct Shell<'a> {
    tool: &'a str,
    target: &'a str,
    started_at: &'a str,
    duration_ms: u64,
    summary: &'a Summary,
    gate: &'a Gate,
    cases: [CaseResult; 0],
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<&'a ShardInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<&'a Coverage>,
}

/// Reads a `report.json` back (to build a baseline from a run, say).
pub fn read(path: &Path) -> Result<RunReport, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ReportError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::{Method, Source};
    use crate::model::result::{CheckKind, CheckResult, Outcome};

    fn report(cases: usize, fields_after: bool) -> RunReport {
        let cases: Vec<CaseResult> = (0..cases)
            .map(|i| CaseResult {
                id: format!("case-{i:05}"),
                source: Source {
                    file: "users/get.md".into(),
                    line: i + 1,
                },
                method: Method::Get,
                path: "/users/{id}".into(),
                outcome: if i % 3 == 0 {
                    Outcome::Failed
                } else {
                    Outcome::Passed
                },
                status: Some(200),
                has_body: i % 2 == 0,
                duration_ms: 3,
                client_request_id: None,
                // Arrays nested in an array, empty arrays, arrays left out: the printer
                // indents each at its own depth.
                retries: if i % 4 == 0 {
                    vec![
                        crate::model::result::Retry {
                            status: 429,
                            waited_ms: 10,
                        },
                        crate::model::result::Retry {
                            status: 503,
                            waited_ms: 20,
                        },
                    ]
                } else {
                    Vec::new()
                },
                // A line break and quotes in a string, escaped by the printer.
                checks: if i % 5 == 4 {
                    Vec::new()
                } else {
                    vec![CheckResult::fail(
                        CheckKind::Status,
                        format!("line\n\"{i}\"\n  deeper"),
                    )]
                },
                notes: if i % 2 == 0 {
                    vec!["a note".into(), String::new()]
                } else {
                    Vec::new()
                },
                waiver: None,
            })
            .collect();
        RunReport {
            tool: "conform 0.1.0".into(),
            target: "embedded mock".into(),
            started_at: "2024-05-01T10:00:00Z".into(),
            duration_ms: 12,
            summary: crate::model::result::Summary::of(&cases),
            gate: Gate {
                passed: false,
                stale_baseline: Vec::new(),
                expired_baseline: Vec::new(),
            },
            cases,
            shard: fields_after.then_some(ShardInfo {
                index: 1,
                total: 2,
                selected: 9,
                complete: true,
            }),
            coverage: fields_after.then(Coverage::default),
        }
    }

    #[test]
    fn the_nested_printer_at_the_margin_is_serde_json_s_pretty_printer() {
        // Deeper than the indentation written at once, with empty and full arrays and objects.
        let mut deep = serde_json::json!({"leaf": [1, {}, [], "s\n"], "empty": {}});
        for i in 0..40 {
            deep = serde_json::json!({ format!("k{i}"): [deep, i], "x": null });
        }
        let want = serde_json::to_vec_pretty(&deep).unwrap_or_default();
        let mut got = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut got, Nested::at(0));
        deep.serialize(&mut ser).unwrap_or_else(|e| panic!("{e}"));
        assert!(got == want, "the bytes differ");
    }

    #[test]
    fn the_cases_rendered_apart_give_serde_json_s_own_bytes() {
        // None, one, a piece and a bit, more than one window of pieces; with and without
        // fields after the cases.
        for n in [
            0,
            1,
            CASES_PER_PIECE + 1,
            CASES_PER_PIECE * PIECES_AT_ONCE * 2 + 3,
        ] {
            for fields_after in [false, true] {
                let r = report(n, fields_after);
                let mut want = serde_json::to_vec_pretty(&r).unwrap_or_default();
                want.push(b'\n');
                let mut got = Vec::new();
                write(&r, &mut got).unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    got == want,
                    "{n} cases, fields after: {fields_after}: the bytes differ"
                );
            }
        }
    }
}
