//! Cases as libtest-mimic trials for `cargo test`: each case its own test, cases on one
//! resource run in documented order, the baseline applied.
//!
//! libtest-mimic hands trials to its worker threads in the order given, so the trials are
//! given in documented (source) order, and a trial waits only for the earlier trials of its
//! own resource that will run in this invocation (filters and `--skip` considered). An earlier
//! trial has always been handed out first, so a wait always ends.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::baseline::Baseline;
use crate::model::case::Case;
use crate::model::result::{CaseResult, Outcome};
use crate::replay::runner::Runner;

/// The turn of the trials of one resource.
#[derive(Default)]
struct Turn {
    next: Mutex<usize>,
    changed: Condvar,
}

impl Turn {
    /// Waits until it is position `at`'s turn.
    fn wait_for(&self, at: usize) {
        // A poisoned lock only means another trial panicked; the counter is still right.
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        while *next < at {
            next = self.changed.wait(next).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Gives the turn to the next position.
    fn advance(&self) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *next += 1;
        self.changed.notify_all();
    }
}

/// Advances the turn when dropped, so a panicking trial does not block the others.
struct Advance(Arc<Turn>);

impl Drop for Advance {
    fn drop(&mut self) {
        self.0.advance();
    }
}

/// One trial per case, named by its id, in documented order, for `libtest_mimic::run` with the
/// same `args`; each result, baseline applied, also goes to `sink` when one is given.
///
/// Most tests use [`Conformance::trials`](crate::Conformance::trials), which builds the runner;
/// this is the layer beneath, for a runner built by hand.
///
/// ```no_run
/// use std::sync::Arc;
/// use conform::replay::runner::{RunOptions, Runner};
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let cases = conform::model::case::load_dir(std::path::Path::new("cases"))?;
/// let schemas = Arc::new(conform::schema::SchemaSet::load_dir(std::path::Path::new("schemas"))?);
/// let runtime = Arc::new(tokio::runtime::Runtime::new()?);
/// let runner = runtime.block_on(Runner::start(&cases, &cases, schemas, RunOptions::default()))?;
/// let args = libtest_mimic::Arguments::from_args();
/// let trials = conform::testing::case_trials(
///     cases,
///     Arc::new(runner),
///     runtime,
///     Arc::new(conform::baseline::Baseline::default()),
///     &args,
///     None,
/// );
/// libtest_mimic::run(&args, trials).exit();
/// # }
/// ```
pub fn case_trials(
    mut cases: Vec<Case>,
    runner: Arc<Runner>,
    runtime: Arc<tokio::runtime::Runtime>,
    baseline: Arc<Baseline>,
    args: &Arguments,
    sink: Option<Arc<Mutex<Vec<CaseResult>>>>,
) -> Vec<Trial> {
    cases.sort_by(crate::replay::plan::documented_order);
    let today = chrono::Utc::now().date_naive();
    let mut turns: HashMap<String, (Arc<Turn>, usize)> = HashMap::new();
    let mut trials = Vec::with_capacity(cases.len());
    for case in cases {
        // Names are plain ids, so that `--exact ID` (as nextest passes it) finds the case.
        let probe = Trial::test(case.id.clone(), || Ok(()));
        let runs = !args.is_filtered_out(&probe) && !args.is_ignored(&probe);
        let key = runner.resource_key(&case);
        let (runner, runtime, baseline) = (runner.clone(), runtime.clone(), baseline.clone());
        let sink = sink.clone();
        // Only trials that run take a place in their resource's order.
        let place = runs.then(|| {
            let entry = turns.entry(key).or_insert_with(|| (Arc::default(), 0));
            let place = (entry.0.clone(), entry.1);
            entry.1 += 1;
            place
        });
        let id = case.id.clone();
        let trial = Trial::test(id, move || {
            let _turn = place.map(|(turn, at)| {
                turn.wait_for(at);
                Advance(turn)
            });
            let mut results = vec![runtime.block_on(runner.run_case(&case))];
            let applied = baseline.apply(&mut results, false, today);
            let result = &results[0];
            let verdict = match result.outcome {
                Outcome::Passed | Outcome::Waived | Outcome::Skipped => {
                    if let Some(w) = &result.waiver {
                        println!("{}: waived: {w}", result.id);
                    }
                    if let Some(s) = applied.stale.first() {
                        eprintln!("{}: stale baseline entry: {}", result.id, s.why);
                    }
                    Ok(())
                }
                Outcome::Failed | Outcome::Errored => {
                    let mut text = format!(
                        "{} ({}:{}) {:?}\n",
                        result.id, result.source.file, result.source.line, result.outcome
                    );
                    for c in result.checks.iter().filter(|c| c.is_error_failure()) {
                        text.push_str(&format!("[{}] {}\n", c.kind, c.message));
                        if let Some(d) = &c.diff {
                            text.push_str(d);
                        }
                    }
                    for n in &result.notes {
                        text.push_str(&format!("note: {n}\n"));
                    }
                    Err(Failed::from(text))
                }
            };
            if let Some(sink) = &sink {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(results);
            }
            verdict
        });
        trials.push(trial);
    }
    trials
}
