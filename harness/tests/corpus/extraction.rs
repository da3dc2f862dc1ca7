//! The extractor survives all of the corpus, and every annotated request example becomes a case
//! or an error that says why it did not.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use conform::doc::{self, Block, BlockType, Code, Diagnostic, Severity};
use conform::extract;

use crate::common::corpus::unpacked;

/// Pages in the corpus (its README says so; `tar tzf` agrees).
const PAGES: usize = 11_289;

/// Fewest cases the corpus must give; it gives about 4,000 request blocks.
const CASE_FLOOR: usize = 3_900;

/// Every file under a folder with its path relative to it, `/`-separated, in name order.
fn files_under(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, path));
            }
        }
    }
    out.sort();
    out
}

/// The last page line of a block: its closing fence (or its last line when unterminated).
fn end_line(block: &Block) -> usize {
    block.line + block.text.matches('\n').count() + 1
}

fn is(block: &Block, kind: BlockType) -> bool {
    block
        .annotation
        .as_ref()
        .and_then(|a| a.block_type())
        .is_some_and(|t| t == kind)
}

/// The lines that may hold the reason a request block made no case: from its fence to the end
/// of the response block paired with it (the next response before any other request), else to
/// its own end.
fn reason_span(blocks: &[Block], i: usize) -> (usize, usize) {
    let req = &blocks[i];
    let mut last = end_line(req);
    for b in &blocks[i + 1..] {
        if is(b, BlockType::Request) {
            break;
        }
        if is(b, BlockType::Response) {
            last = end_line(b);
            break;
        }
    }
    (req.line, last)
}

/// Error codes that explain why a request made no case (an invalid JSON body is an error too,
/// but the case is still made, so it explains nothing).
fn explains_no_case(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
        && matches!(
            d.code,
            Code::OrphanRequest
                | Code::BadRequestLine
                | Code::BadStatusLine
                | Code::UnterminatedFence
                | Code::UnterminatedComment
        )
}

#[test]
fn every_annotated_request_of_the_real_corpus_becomes_a_case_or_an_error() {
    let started = Instant::now();
    let docs = unpacked().join("api-reference");
    let unpack_time = started.elapsed();
    assert!(docs.is_dir(), "the corpus has no api-reference/ folder");

    let started = Instant::now();
    let ex = extract::extract_paths(std::slice::from_ref(&docs)).unwrap_or_else(|e| panic!("{e}"));
    let extract_time = started.elapsed();

    let files = files_under(&docs);
    assert_eq!(files.len(), PAGES, "files in the corpus");
    assert_eq!(ex.pages, PAGES, "pages read by the extractor");

    // Ids are unique, and every case points at a page that exists.
    let mut ids = HashSet::new();
    for c in &ex.cases {
        assert!(ids.insert(c.id.as_str()), "case id `{}` is repeated", c.id);
    }
    let rels: HashSet<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
    for c in &ex.cases {
        assert!(
            rels.contains(c.source.file.as_str()),
            "case {} names a page that does not exist: {}",
            c.id,
            c.source.file
        );
    }

    let mut cases_at: HashSet<(&str, usize)> = HashSet::new();
    let mut cases_per_page: HashMap<&str, usize> = HashMap::new();
    for c in &ex.cases {
        assert_eq!(c.request.line, c.source.line, "{}: source line", c.id);
        cases_at.insert((c.source.file.as_str(), c.request.line));
        *cases_per_page.entry(c.source.file.as_str()).or_default() += 1;
    }
    let mut diags_by_file: HashMap<&str, Vec<&Diagnostic>> = HashMap::new();
    for d in &ex.diagnostics {
        diags_by_file.entry(d.file.as_str()).or_default().push(d);
    }

    let mut annotated_requests = 0usize;
    let mut explained = 0usize;
    let mut not_utf8 = 0usize;
    let mut lost = Vec::new();
    for (rel, path) in &files {
        let display = path.display().to_string();
        let diags = diags_by_file
            .get(display.as_str())
            .cloned()
            .unwrap_or_default();
        for d in &diags {
            assert!(d.line >= 1, "{d}: line 0");
        }
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{display}: {e}"));
        let Ok(text) = String::from_utf8(bytes) else {
            not_utf8 += 1;
            assert!(
                !cases_per_page.contains_key(rel.as_str()),
                "{rel} is not UTF-8 yet gave cases"
            );
            assert!(
                diags.iter().any(|d| d.code == Code::NotMarkdown),
                "{rel} is not UTF-8 and was skipped without a not-markdown diagnostic"
            );
            continue;
        };
        let line_count = text.lines().count().max(1);
        for d in &diags {
            assert!(
                d.line <= line_count + 1,
                "{d}: past the page's {line_count} lines"
            );
        }
        let page = doc::read_page(&display, &text);
        for (i, block) in page.blocks.iter().enumerate() {
            if !is(block, BlockType::Request) {
                continue;
            }
            annotated_requests += 1;
            if cases_at.contains(&(rel.as_str(), block.line)) {
                continue;
            }
            let (first, last) = reason_span(&page.blocks, i);
            if diags
                .iter()
                .any(|d| explains_no_case(d) && (first..=last).contains(&d.line))
            {
                explained += 1;
            } else {
                lost.push(format!(
                    "{rel}:{}: request block made no case and no error in lines {first}..={last} says why",
                    block.line
                ));
            }
        }
    }

    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &ex.diagnostics {
        *by_code.entry(d.code.as_str()).or_default() += 1;
    }
    eprintln!(
        "corpus: {PAGES} pages ({not_utf8} not UTF-8), unpacked (or found unpacked by an earlier run) in {unpack_time:.2?}"
    );
    eprintln!(
        "corpus: {annotated_requests} annotated request blocks, {} cases, {explained} requests without a case explained by an error",
        ex.cases.len()
    );
    eprintln!(
        "corpus: {} diagnostics; by code (sorted):",
        ex.diagnostics.len()
    );
    for (code, n) in &by_code {
        eprintln!("corpus:   {code:<22} {n}");
    }
    eprintln!("corpus: extraction took {extract_time:.2?}");

    assert!(
        lost.is_empty(),
        "{} request blocks were lost without an explanation:\n{}",
        lost.len(),
        lost.join("\n")
    );
    assert_eq!(
        ex.cases.len() + explained,
        annotated_requests,
        "every annotated request block is a case or an explained error, once"
    );
    assert!(
        ex.cases.len() >= CASE_FLOOR,
        "only {} cases from the corpus; expected at least {CASE_FLOOR}",
        ex.cases.len()
    );
}
