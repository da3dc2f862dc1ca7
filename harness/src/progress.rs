//! Progress while a run goes on: the runner emits [`RunEvent`]s to a [`RunObserver`] as cases
//! finish, and reporters are separate observers (the nextest model): [`BarReporter`] draws a
//! bar on a terminal, [`LineReporter`] writes a plain line now and then for CI logs. Nothing
//! here reaches the reports.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::result::{CaseResult, Outcome};

/// What happens during a run, as it happens.
#[derive(Debug, Clone, Copy)]
pub enum RunEvent<'a> {
    /// The cases start: how many there are.
    Started {
        /// The cases that will run.
        total: usize,
    },
    /// One case finished (with the baseline applied, when the pipeline reports it).
    CaseFinished {
        /// Its result.
        result: &'a CaseResult,
    },
    /// No more cases will finish (all ran, or the run stopped).
    Finished,
}

/// Something told of a run's events as they happen; it must return quickly.
pub trait RunObserver: Send + Sync {
    /// One event.
    fn event(&self, event: &RunEvent<'_>);
}

impl<F: Fn(&RunEvent<'_>) + Send + Sync> RunObserver for F {
    fn event(&self, event: &RunEvent<'_>) {
        self(event)
    }
}

/// The observer that ignores everything.
pub struct Silent;

impl RunObserver for Silent {
    fn event(&self, _: &RunEvent<'_>) {}
}

/// Counts so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases in the run.
    pub total: usize,
    /// Cases finished.
    pub done: usize,
    /// Cases finished that failed or errored (not counting waived ones).
    pub failed: usize,
}

impl Tally {
    /// Counts one event in.
    pub fn record(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::Started { total } => {
                *self = Tally {
                    total: *total,
                    ..Tally::default()
                }
            }
            RunEvent::CaseFinished { result } => {
                self.done += 1;
                if matches!(result.outcome, Outcome::Failed | Outcome::Errored) {
                    self.failed += 1;
                }
            }
            RunEvent::Finished => {}
        }
    }
}

/// A plain progress line: `progress: 1200/2482 cases, 3 failed, 410/s, ETA 3s`.
///
/// ```
/// use conform::progress::{line, Tally};
/// let tally = Tally { total: 2482, done: 1200, failed: 3 };
/// let text = line(tally, std::time::Duration::from_millis(2927));
/// assert_eq!(text, "progress: 1200/2482 cases, 3 failed, 410/s, ETA 3s");
/// ```
pub fn line(tally: Tally, elapsed: Duration) -> String {
    let mut out = format!(
        "progress: {}/{} cases, {} failed",
        tally.done, tally.total, tally.failed
    );
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 && tally.done > 0 {
        let rate = tally.done as f64 / secs;
        if rate >= 10.0 {
            out.push_str(&format!(", {rate:.0}/s"));
        } else {
            out.push_str(&format!(", {rate:.1}/s"));
        }
        let left = tally.total.saturating_sub(tally.done);
        if left > 0 {
            let eta = (left as f64 / rate).round() as u64;
            out.push_str(&format!(", ETA {}", short_duration(eta)));
        }
    }
    out
}

/// Seconds as `42s`, `3m05s` or `1h02m`.
fn short_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// How many progress lines a run gets at most from its share of cases done: one per tenth.
const LINE_STEPS: usize = 10;

/// The longest a slow run goes without a progress line while cases keep finishing.
const LINE_INTERVAL: Duration = Duration::from_secs(10);

/// Where the line reporter's time comes from: the time since it was made.
type Clock = Box<dyn Fn() -> Duration + Send + Sync>;

/// Writes a plain [`line()`] at each tenth of the cases done, and after `LINE_INTERVAL` (10 s)
/// without one while cases keep finishing: for logs, where a bar would be noise.
pub struct LineReporter {
    out: Mutex<Box<dyn Write + Send>>,
    clock: Clock,
    state: Mutex<LineState>,
}

/// What the line reporter has seen and said.
#[derive(Debug, Default)]
struct LineState {
    tally: Tally,
    /// When the cases started.
    started: Duration,
    /// When the last line was written.
    last: Duration,
    /// The tenth of the cases whose completion writes the next line.
    next_step: usize,
}

impl LineReporter {
    /// Lines to standard error, timed by the wall clock.
    pub fn stderr() -> LineReporter {
        let start = Instant::now();
        LineReporter::new(
            Box::new(std::io::stderr()),
            Box::new(move || start.elapsed()),
        )
    }

    /// Lines to `out`, timed by `clock` (the time since some fixed start).
    pub fn new(out: Box<dyn Write + Send>, clock: Clock) -> LineReporter {
        LineReporter {
            out: Mutex::new(out),
            clock,
            state: Mutex::new(LineState::default()),
        }
    }
}

impl LineState {
    /// Counts the event in; the line to write now, if one is due.
    fn on(&mut self, event: &RunEvent<'_>, now: Duration) -> Option<String> {
        self.tally.record(event);
        match event {
            RunEvent::Started { .. } => {
                self.started = now;
                self.last = now;
                self.next_step = 1;
                None
            }
            RunEvent::CaseFinished { .. } => {
                let Tally { total, done, .. } = self.tally;
                let step_reached = total > 0 && done * LINE_STEPS >= self.next_step * total;
                let quiet_too_long = now.saturating_sub(self.last) >= LINE_INTERVAL;
                if !(step_reached || quiet_too_long) {
                    return None;
                }
                if let Some(step) = (done * LINE_STEPS).checked_div(total) {
                    self.next_step = step + 1;
                }
                self.last = now;
                Some(line(self.tally, now.saturating_sub(self.started)))
            }
            RunEvent::Finished => None,
        }
    }
}

impl RunObserver for LineReporter {
    fn event(&self, event: &RunEvent<'_>) {
        let now = (self.clock)();
        let due = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .on(event, now);
        if let Some(text) = due {
            let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
            // Progress is a courtesy: a closed stderr must not stop the run.
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }
}

/// A progress bar on standard error: cases done of all, failures so far, rate and ETA.
pub struct BarReporter {
    bar: indicatif::ProgressBar,
    tally: Mutex<Tally>,
}

impl BarReporter {
    /// A bar drawn on standard error (indicatif draws nothing when it is not a terminal).
    pub fn stderr() -> BarReporter {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let style = indicatif::ProgressStyle::with_template(
            "{wide_bar} {pos}/{len} cases, {msg}, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message("0 failed");
        BarReporter {
            bar,
            tally: Mutex::new(Tally::default()),
        }
    }
}

impl RunObserver for BarReporter {
    fn event(&self, event: &RunEvent<'_>) {
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        tally.record(event);
        match event {
            RunEvent::Started { total } => {
                self.bar.set_length(*total as u64);
                self.bar.enable_steady_tick(Duration::from_millis(200));
            }
            RunEvent::CaseFinished { .. } => {
                self.bar.set_message(format!("{} failed", tally.failed));
                self.bar.set_position(tally.done as u64);
            }
            // The bar goes, so the summary printed after it stands alone.
            RunEvent::Finished => self.bar.finish_and_clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::{Method, Source};
    use crate::model::result::{CheckKind, CheckResult};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn result(outcome: Outcome) -> CaseResult {
        let check = match outcome {
            Outcome::Passed => CheckResult::pass(CheckKind::Status, "200 OK"),
            _ => CheckResult::fail(CheckKind::Status, "expected 200 OK, got 500"),
        };
        CaseResult {
            id: "c".into(),
            source: Source {
                file: "p.md".into(),
                line: 1,
            },
            method: Method::Get,
            path: "/x".into(),
            outcome,
            status: Some(200),
            duration_ms: 0,
            client_request_id: None,
            retries: Vec::new(),
            checks: vec![check],
            notes: Vec::new(),
            waiver: None,
            has_body: true,
        }
    }

    /// A writer whose text the test can read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn lines(&self) -> Vec<String> {
            let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::to_string)
                .collect()
        }
    }

    /// A reporter writing into a buffer, on a clock the test sets (milliseconds).
    fn reporter() -> (LineReporter, Shared, Arc<AtomicU64>) {
        let out = Shared::default();
        let millis = Arc::new(AtomicU64::new(0));
        let clock = millis.clone();
        let r = LineReporter::new(
            Box::new(out.clone()),
            Box::new(move || Duration::from_millis(clock.load(Ordering::SeqCst))),
        );
        (r, out, millis)
    }

    #[test]
    fn a_line_at_each_tenth_and_none_between() {
        let (r, out, millis) = reporter();
        r.event(&RunEvent::Started { total: 100 });
        let ok = result(Outcome::Passed);
        let bad = result(Outcome::Failed);
        for i in 1..=100u64 {
            millis.store(i * 10, Ordering::SeqCst);
            let res = if i % 25 == 0 { &bad } else { &ok };
            r.event(&RunEvent::CaseFinished { result: res });
        }
        r.event(&RunEvent::Finished);
        let lines = out.lines();
        assert_eq!(lines.len(), 10, "{lines:#?}");
        assert_eq!(lines[0], "progress: 10/100 cases, 0 failed, 100/s, ETA 1s");
        assert_eq!(lines[4], "progress: 50/100 cases, 2 failed, 100/s, ETA 1s");
        assert_eq!(lines[9], "progress: 100/100 cases, 4 failed, 100/s");
    }

    #[test]
    fn a_slow_run_gets_a_line_after_the_interval_without_one() {
        let (r, out, millis) = reporter();
        r.event(&RunEvent::Started { total: 1000 });
        let ok = result(Outcome::Passed);
        // Cases finish every 3 s: no tenth is reached for a long time.
        for i in 1..=7u64 {
            millis.store(i * 3000, Ordering::SeqCst);
            r.event(&RunEvent::CaseFinished { result: &ok });
        }
        // A line at 12 s (4 cases; 10 s after the start) and none again before 22 s.
        assert_eq!(
            out.lines(),
            ["progress: 4/1000 cases, 0 failed, 0.3/s, ETA 49m48s"]
        );
    }

    #[test]
    fn waived_cases_do_not_count_as_failed() {
        let mut tally = Tally::default();
        tally.record(&RunEvent::Started { total: 3 });
        for outcome in [Outcome::Waived, Outcome::Errored, Outcome::Failed] {
            tally.record(&RunEvent::CaseFinished {
                result: &result(outcome),
            });
        }
        assert_eq!(
            tally,
            Tally {
                total: 3,
                done: 3,
                failed: 2
            }
        );
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(short_duration(59), "59s");
        assert_eq!(short_duration(185), "3m05s");
        assert_eq!(short_duration(3720), "1h02m");
        assert_eq!(
            line(Tally::default(), Duration::ZERO),
            "progress: 0/0 cases, 0 failed"
        );
    }
}
