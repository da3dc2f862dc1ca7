//! Failures grouped by reason: the check kind and its message with the parts that differ from
//! case to case (ids, counts, sizes, indexes) normalised away, so that 400 cases failing the same
//! way read as one line. The console and `report.md` both end with this summary.

use std::collections::BTreeMap;

use crate::model::result::{CheckKind, Outcome, RunReport};

/// How many case ids a group names before it says "and N more".
pub const EXAMPLES: usize = 3;

/// Longest normalised reason kept, in characters; longer ones are cut with `…`.
const REASON_CHARS: usize = 160;

/// Cases that failed the same check for the same normalised reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonGroup {
    /// The check that failed.
    pub kind: CheckKind,
    /// The normalised first line of its message.
    pub reason: String,
    /// How many cases failed this way.
    pub cases: usize,
    /// The first few of those cases (in id order).
    pub examples: Vec<String>,
}

/// The failures of a run (failed and errored cases, their error-severity checks), grouped by
/// reason, largest group first; ties in check-kind and reason order, so the order is stable.
pub fn group(report: &RunReport) -> Vec<ReasonGroup> {
    let mut groups: BTreeMap<(CheckKind, String), ReasonGroup> = BTreeMap::new();
    for case in report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed | Outcome::Errored))
    {
        let mut seen: Vec<(CheckKind, String)> = Vec::new();
        for check in case.checks.iter().filter(|c| c.is_error_failure()) {
            let key = (check.kind, normalise(&check.message));
            // A case counts once per reason, however many checks of it say the same.
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let g = groups
                .entry(key)
                .or_insert_with_key(|(kind, reason)| ReasonGroup {
                    kind: *kind,
                    reason: reason.clone(),
                    cases: 0,
                    examples: Vec::new(),
                });
            g.cases += 1;
            if g.examples.len() < EXAMPLES {
                g.examples.push(case.id.clone());
            }
        }
    }
    let mut out: Vec<ReasonGroup> = groups.into_values().collect();
    // Stable sort: equal counts keep the map's (kind, reason) order.
    out.sort_by_key(|g| std::cmp::Reverse(g.cases));
    out
}

/// The first line of a message with what varies between cases replaced: UUIDs by `‹id›`, and
/// numbers by `N` except a status code followed by its reason phrase (`404 Not Found`), which is
/// the reason itself.
pub fn normalise(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        // Every branch below consumes a whole word, so `i` is always at a word's start here.
        if let Some(len) = uuid_at(&chars[i..]) {
            out.push_str("‹id›");
            i += len;
            continue;
        }
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // A trailing dot ends the sentence, not the number.
            let mut end = i;
            while end > start + 1 && chars[end - 1] == '.' {
                end -= 1;
            }
            let digits: String = chars[start..end].iter().collect();
            if chars.get(end).is_some_and(|c| c.is_ascii_alphabetic()) {
                // Part of a word (`2xx`, `v1`): kept as it is.
                out.push_str(&digits);
            } else if is_status_with_phrase(&digits, &chars[end..]) {
                out.push_str(&digits);
            } else {
                out.push('N');
            }
            i = end;
            continue;
        }
        if c.is_alphanumeric() {
            // A word with digits in it (`v1.0`, `2xx`, `microsoft.graph.x1`) is kept whole.
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || (chars[i] == '.' && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())))
            {
                out.push(chars[i]);
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    match out.char_indices().nth(REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

/// Whether `digits` is a status code (100–599) followed by ` ` and a capitalised word.
fn is_status_with_phrase(digits: &str, rest: &[char]) -> bool {
    digits.len() == 3
        && digits.parse::<u16>().is_ok_and(|s| (100..600).contains(&s))
        && rest.first() == Some(&' ')
        && rest.get(1).is_some_and(|c| c.is_ascii_uppercase())
}

/// The length of a UUID (8-4-4-4-12 hex digits) at the start of `chars`, if one is there.
fn uuid_at(chars: &[char]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (n, len) in GROUPS.iter().enumerate() {
        if n > 0 {
            if chars.get(i) != Some(&'-') {
                return None;
            }
            i += 1;
        }
        for _ in 0..*len {
            if !chars.get(i)?.is_ascii_hexdigit() {
                return None;
            }
            i += 1;
        }
    }
    // A longer run of hex digits is not a UUID.
    if chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ids_are_normalised_but_a_status_with_its_phrase_is_kept() {
        assert_eq!(
            normalise("expected 204 No Content, got 200 OK\nmore"),
            "expected 204 No Content, got 200 OK"
        );
        assert_eq!(
            normalise("response has a 611-byte body but no Content-Type"),
            "response has a N-byte body but no Content-Type"
        );
        assert_eq!(
            normalise("echo: 1 of 12 properties sent did not come back equal:"),
            "echo: N of N properties sent did not come back equal:"
        );
        assert_eq!(
            normalise("/value/3/id is 5c55730b-730b-5c55-0b73-555c0b73555c, asked for 2."),
            "/value/N/id is ‹id›, asked for N."
        );
        assert_eq!(
            normalise("a 2xx status in v1.0 took 1.5 s"),
            "a 2xx status in v1.0 took N s"
        );
        let long = "x".repeat(400);
        assert_eq!(normalise(&long).chars().count(), REASON_CHARS + 1);
    }
}
