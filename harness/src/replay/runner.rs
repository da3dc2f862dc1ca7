//! The runner: sends each case through the target's transport and turns the checks into case
//! results.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::checks::{self, Documented};
use super::params::{self, ParamSources, ParamsFile};
use super::plan;
use super::request::{self, PrepareError, Prepared};
use super::retry::{self, RetryPolicy};
use super::transport::{HttpConfig, HttpTransport, ServiceTransport, TargetError, Transport};
use crate::http::ResourcePath;
use crate::mock::{Mock, MockService, PatchDefault};
use crate::model::case::{Case, CaseFiles, Method};
use crate::model::result::{CaseResult, CheckKind, CheckResult};
use crate::progress::{RunEvent, RunObserver, Silent};
use crate::redact::Redactor;
use crate::schema::SchemaSet;

/// Errors that stop a run before anything is sent.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A case cannot be turned into a request (missing parameter, bad header, bad path).
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// The target cannot be reached as given.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Path parameters have no value (all of them are named).
    #[error(transparent)]
    MissingParams(#[from] params::MissingParams),
    /// A setup step failed.
    #[error("setup step `{step}`: {why}")]
    Setup {
        /// The step.
        step: String,
        /// What went wrong.
        why: String,
    },
    /// The first cases of the run all went unanswered: the target is not there.
    #[error(
        "target {target} did not answer the first {cases} cases ({error}); is it running? \
         --keep-going runs every case anyway"
    )]
    DeadTarget {
        /// What the run targets.
        target: String,
        /// How many cases went unanswered.
        cases: usize,
        /// Why the first of them did.
        error: String,
    },
}

/// How many cases in a row may go unanswered (refused, timed out) at the start of a run,
/// before any answer, until the run stops with [`RunError::DeadTarget`]: enough that a target
/// slow to start is not taken for dead, few enough not to wait out a timeout per case.
pub const DEAD_TARGET_CASES: usize = 5;

/// What the run is aimed at.
#[derive(Clone)]
pub enum Target {
    /// The embedded mock, built from all the cases and called in process.
    Mock,
    /// A service root including the version, reached over HTTP.
    Url(String),
    /// Any transport, such as a [`ServiceTransport`] around the user's own service.
    Transport {
        /// What reports call the target.
        label: String,
        /// How requests reach it.
        transport: Arc<dyn Transport>,
    },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Mock => f.write_str("Mock"),
            Target::Url(u) => f.debug_tuple("Url").field(u).finish(),
            Target::Transport { label, .. } => f.debug_tuple("Transport").field(label).finish(),
        }
    }
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Where to send requests.
    pub target: Target,
    /// Path parameter values given by the user (`--param`); they win over the mock's.
    pub params: BTreeMap<String, String>,
    /// The parameters file (`--params`): values by name, path or case, setup and teardown.
    pub params_file: ParamsFile,
    /// Time allowed per exchange.
    pub timeout: Duration,
    /// Largest response body read.
    pub max_body: usize,
    /// How many cases may run at once.
    pub jobs: usize,
    /// Bearer token, never printed.
    pub token: Option<String>,
    /// How many times a 429 or 503 is retried.
    pub retries: usize,
    /// The most time one case waits before its retries, all of them together.
    pub max_retry_wait: Duration,
    /// Follow redirects within the target's origin.
    pub follow_redirects: bool,
    /// How the embedded mock answers PATCH without Prefer (default: what most pages document).
    pub patch_default: Option<PatchDefault>,
    /// How strict the checks are.
    pub checks: checks::CheckOptions,
    /// Run every case even when the first [`DEAD_TARGET_CASES`] go unanswered.
    pub keep_going: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            target: Target::Mock,
            params: BTreeMap::new(),
            params_file: ParamsFile::default(),
            timeout: Duration::from_secs(30),
            max_body: 16 * 1024 * 1024,
            jobs: 4,
            token: None,
            retries: 3,
            max_retry_wait: Duration::from_secs(30),
            follow_redirects: false,
            patch_default: None,
            checks: checks::CheckOptions::default(),
            keep_going: false,
        }
    }
}

/// A prepared run: the transport, the parameters of every case, and what the checks need.
/// Cloning it is cheap: the clones share one run.
#[derive(Clone)]
pub struct Runner {
    /// Shared with the tasks that run the resource groups, so they can run on every worker
    /// thread of the runtime.
    shared: Arc<Shared>,
}

/// What every case of a run needs.
struct Shared {
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    schemas: Arc<SchemaSet>,
    /// Shapes of the resource paths the documentation has a GET for (for read-back).
    readable: HashSet<String>,
    redactor: Redactor,
    params: HashMap<String, params::CaseParams>,
    jobs: usize,
    check_options: checks::CheckOptions,
    label: String,
    /// Teardown steps, and the values they can use.
    teardown: (Vec<params::Step>, BTreeMap<String, String>),
    /// Parameters file entries no case uses.
    warnings: Vec<String>,
    /// Whether to run on when the target does not answer.
    keep_going: bool,
    /// Where the cases whose bodies were left on disk are read whole.
    files: CaseFiles,
}

/// The values of a case that has none.
static NO_PARAMS: params::CaseParams = params::CaseParams::NONE;

impl Runner {
    /// Builds the target's transport (the embedded mock from all cases, when it is the
    /// target) and checks that every selected case can be prepared, before anything is sent.
    pub async fn start(
        all: &[Case],
        cases: &[Case],
        schemas: Arc<SchemaSet>,
        opts: RunOptions,
    ) -> Result<Runner, RunError> {
        Runner::start_reading(all, cases, schemas, opts, CaseFiles::default()).await
    }

    /// Like [`Runner::start`], for cases some of which had their bodies left on disk: each
    /// is read whole from its file when it runs. The embedded mock needs every case whole.
    pub async fn start_reading(
        all: &[Case],
        cases: &[Case],
        schemas: Arc<SchemaSet>,
        mut opts: RunOptions,
        files: CaseFiles,
    ) -> Result<Runner, RunError> {
        let mut mock = None;
        let (transport, label): (Arc<dyn Transport>, String) = match &opts.target {
            Target::Url(url) => (
                Arc::new(HttpTransport::new(HttpConfig {
                    base: url.clone(),
                    timeout: opts.timeout,
                    max_body: opts.max_body,
                    token: opts.token.clone(),
                    follow_redirects: opts.follow_redirects,
                })?),
                url.clone(),
            ),
            Target::Mock => {
                let m = Arc::new(Mock::new(all, schemas.clone(), opts.patch_default));
                mock = Some(m.clone());
                let service = ServiceTransport::<_, http_body_util::Full<bytes::Bytes>>::new(
                    MockService::new(m),
                    "",
                    opts.token.clone(),
                    opts.timeout,
                    opts.max_body,
                );
                (Arc::new(service), "embedded mock".to_string())
            }
            Target::Transport { label, transport } => (transport.clone(), label.clone()),
        };
        let retry = RetryPolicy {
            retries: opts.retries,
            max_wait: opts.max_retry_wait,
        };
        let mut sources = ParamSources {
            cli: opts.params.clone(),
            // Taken, not copied: a parameters file can name every one of many cases.
            file: std::mem::take(&mut opts.params_file),
            captured: BTreeMap::new(),
        };
        let warnings = params::unused(cases, &sources.file);
        for step in &sources.file.setup {
            let got = run_step(transport.as_ref(), retry, step, &sources).await;
            let got = got.map_err(|why| RunError::Setup {
                step: step.label(),
                why,
            })?;
            sources.captured.extend(got);
        }
        let params = params::resolve(cases, &sources, |case| {
            mock.as_ref()
                .map(|m| m.params_for(case))
                .unwrap_or_default()
        })?;
        {
            // Checking now reports an unsendable header or path before any request (the first
            // in case order); the body is built once, when the case runs.
            use rayon::prelude::*;
            let checked: Vec<Result<(), _>> = cases
                .par_iter()
                .filter(|c| c.request.host.is_none())
                .map(|case| {
                    let values = params.get(&case.id).unwrap_or(&NO_PARAMS);
                    request::prepare_head(case, values).map(|_| ())
                })
                .collect();
            checked.into_iter().collect::<Result<(), _>>()?;
        }
        let mut teardown_values = sources.file.params.clone();
        teardown_values.extend(sources.cli.clone());
        teardown_values.extend(sources.captured.clone());
        let teardown = (sources.file.teardown.clone(), teardown_values);
        let readable = all
            .iter()
            .filter(|c| c.request.method == Method::Get && c.request.host.is_none())
            .map(|c| ResourcePath::parse(&c.request.path).shape())
            .collect();
        let shared = Shared {
            transport,
            retry,
            schemas,
            readable,
            redactor: Redactor::new(opts.token.as_deref()),
            params,
            jobs: opts.jobs.max(1),
            check_options: opts.checks,
            label,
            teardown,
            warnings,
            keep_going: opts.keep_going,
            files,
        };
        Ok(Runner {
            shared: Arc::new(shared),
        })
    }

    /// Entries of the parameters file that no case uses.
    pub fn warnings(&self) -> &[String] {
        &self.shared.warnings
    }

    /// Runs the teardown steps; returns what went wrong, one line each (nothing when all did).
    pub async fn teardown(&self) -> Vec<String> {
        let shared = &self.shared;
        let (steps, values) = &shared.teardown;
        let sources = ParamSources {
            captured: values.clone(),
            ..ParamSources::default()
        };
        let mut problems = Vec::new();
        for step in steps {
            if let Err(why) =
                run_step(shared.transport.as_ref(), shared.retry, step, &sources).await
            {
                problems.push(format!("teardown step `{}`: {why}", step.label()));
            }
        }
        problems
    }

    /// What the run targets, for reports (`embedded mock` or the URL).
    pub fn target_label(&self) -> &str {
        &self.shared.label
    }

    /// Runs one case and judges it.
    pub async fn run_case(&self, case: &Case) -> CaseResult {
        self.shared.run_case_reached(case).await.0
    }

    /// The resource a case addresses, however its path is spelled (the key of the path with
    /// its parameters filled): cases with the same key run one at a time, in order.
    pub fn resource_key(&self, case: &Case) -> String {
        self.shared.resource_key(case)
    }
}

impl Shared {
    /// Runs one case and judges it; also says whether the target answered.
    async fn run_case_reached(&self, case: &Case) -> (CaseResult, Reach) {
        let mut result = CaseResult::unrun(case);
        // The request body kept as text when the case was loaded lean, built now.
        let whole = match self.files.whole(case) {
            Ok(whole) => whole,
            Err(e) => {
                // Without the case's bodies no verdict is possible.
                result.checks = vec![CheckResult::fail(
                    CheckKind::Transport,
                    format!("the case could not be made whole to run it: {e}"),
                )];
                result.outcome = CaseResult::outcome_from_checks(&result.checks);
                return (result, Reach::NotSent);
            }
        };
        let (case, doc) = match &whole {
            Some(w) => (&w.case, Documented::left(&w.case, w.response_body)),
            None => (case, Documented::of(case)),
        };
        if let Some(host) = &case.request.host {
            result.notes.push(format!(
                "skipped: the documented request goes to `{host}`, not the service under test"
            ));
            return (result, Reach::NotSent);
        }
        let json = crate::schema::sent_json(case, &self.schemas, &mut result.notes);
        // A fresh id per case, recorded in the report, finds the exchange in the target's logs.
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let (checks, retries, answer, reach) = self
            .exchange(&doc, json, &client_request_id, &mut result.notes)
            .await;
        result.duration_ms = started.elapsed().as_millis() as u64;
        result.status = answer.map(|(status, _)| status);
        result.has_body = answer.is_some_and(|(_, body)| body);
        result.outcome = CaseResult::outcome_from_checks(&checks);
        result.client_request_id = Some(client_request_id);
        result.retries = retries;
        result.checks = checks;
        // Results are kept until the reports are written: no spare capacity per case.
        result.checks.shrink_to_fit();
        self.redactor.result(&mut result);
        (result, reach)
    }

    /// Sends a request through the transport, retrying throttled answers.
    async fn send(
        &self,
        p: &Prepared,
    ) -> Result<super::transport::Exchange, super::transport::TransportError> {
        retry::send(self.transport.as_ref(), p, self.retry).await
    }

    /// Sends a case's request and checks the answer; also returns the retried answers, the
    /// status judged with whether its answer had a body, and whether the target answered; adds
    /// the transport's notes to `notes`.
    async fn exchange(
        &self,
        doc: &Documented<'_>,
        json: Option<Value>,
        client_request_id: &str,
        notes: &mut Vec<String>,
    ) -> (
        Vec<CheckResult>,
        Vec<crate::model::result::Retry>,
        Option<(u16, bool)>,
        Reach,
    ) {
        let case = doc.case;
        let params = self.params.get(&case.id).unwrap_or(&NO_PARAMS);
        let mut prepared = match request::prepare(case, params, json) {
            Ok(p) => p,
            Err(e) => {
                return (
                    vec![CheckResult::fail(CheckKind::Params, e.to_string())],
                    Vec::new(),
                    None,
                    Reach::NotSent,
                );
            }
        };
        if let Ok(v) = http::HeaderValue::from_str(client_request_id) {
            prepared.headers.insert("client-request-id", v);
        }
        match self.send(&prepared).await {
            Ok(exchange) => {
                let mut checks = checks::check_answer(
                    doc,
                    &prepared,
                    &exchange,
                    &self.schemas,
                    self.check_options,
                );
                notes.extend(exchange.notes);
                if (200..300).contains(&exchange.status) && !self.check_options.no_readback {
                    checks.extend(
                        self.read_back(case, &prepared, client_request_id, notes)
                            .await,
                    );
                }
                let answer = (exchange.status, !exchange.body.is_empty());
                (checks, exchange.retries, Some(answer), Reach::Answered)
            }
            Err(e) => {
                let reach = Reach::of_error(&e);
                (
                    vec![CheckResult::fail(CheckKind::Transport, e.to_string())],
                    Vec::new(),
                    None,
                    reach,
                )
            }
        }
    }

    /// After a write that succeeded, reads the resource back with the documented GET and checks
    /// that it shows what was written (a service that echoes but stores nothing fails here).
    async fn read_back(
        &self,
        case: &Case,
        write: &Prepared,
        client_request_id: &str,
        notes: &mut Vec<String>,
    ) -> Option<CheckResult> {
        if !matches!(write.method.as_str(), "PATCH" | "PUT") {
            return None;
        }
        if !checks::echo::writes_properties(case, write.json.as_ref()?, &self.schemas) {
            return None;
        }
        let shape = ResourcePath::parse(&case.request.path).shape();
        if !self.readable.contains(&shape) {
            notes.push(format!(
                "readback skipped: no GET is documented for {}",
                case.request.path.split('?').next().unwrap_or_default()
            ));
            return None;
        }
        let mut get = Prepared::get(&write.path);
        if let Ok(v) = http::HeaderValue::from_str(client_request_id) {
            get.headers.insert("client-request-id", v);
        }
        let fail = |why: String| Some(CheckResult::fail(CheckKind::Readback, why));
        let exchange = match self.send(&get).await {
            Ok(e) => e,
            Err(e) => return fail(format!("the read-back GET {} failed: {e}", get.path)),
        };
        notes.extend(exchange.notes.iter().map(|n| format!("read-back GET: {n}")));
        if exchange.status != 200 {
            return fail(format!(
                "the read-back GET {} answered {}, expected 200 OK",
                get.path,
                checks::status_text(exchange.status)
            ));
        }
        let body = match crate::strict_json::parse(&exchange.body) {
            Ok(p) => p.value,
            Err(e) => {
                return fail(format!(
                    "the read-back GET {} answered a body that is not JSON: {e}",
                    get.path
                ));
            }
        };
        checks::check_written(CheckKind::Readback, case, write, &body, &self.schemas)
    }

    /// The resource a case addresses (see [`Runner::resource_key`]).
    fn resource_key(&self, case: &Case) -> String {
        let params = self.params.get(&case.id).unwrap_or(&NO_PARAMS);
        let path = request::fill_path(case, params).unwrap_or_else(|_| case.request.path.clone());
        plan::resource_key(&path)
    }
}

impl Runner {
    /// Runs every case concurrently, one at a time per resource path and in source order, the
    /// cases on a resource after those on the resource containing it (however the target answers: the dead-target stop is [`Runner::run_all_until`]'s);
    /// results come back in the given order. The cases are copied for the tasks that run
    /// them; [`Runner::run_all_until`] takes them shared.
    pub async fn run_all(&self, cases: &[Case]) -> Vec<CaseResult> {
        let (results, _) = self
            .run_cases(
                Arc::from(cases),
                std::future::pending::<String>(),
                &Silent,
                None,
            )
            .await;
        results
    }

    /// Like [`Runner::run_all`], but tells `observer` of each case as it finishes, and stops
    /// when `stop` completes (with the reason, such as `SIGINT`): cases that had not finished
    /// are `errored`, "interrupted", and the reason is returned. Unless the options say
    /// `keep_going`, a run whose first [`DEAD_TARGET_CASES`] cases all go unanswered stops with
    /// [`RunError::DeadTarget`]. The cases are taken shared (a `Vec` or an `Arc<[Case]>` is not
    /// copied), because each resource group runs as a task of its own.
    pub async fn run_all_until<T: std::fmt::Display>(
        &self,
        cases: impl Into<Arc<[Case]>>,
        stop: impl std::future::Future<Output = T>,
        observer: &dyn RunObserver,
    ) -> Result<(Vec<CaseResult>, Option<T>), RunError> {
        match self.run_all_ending(cases, stop, observer).await {
            (_, Some(Ending::DeadTarget(dead))) => Err(dead),
            (results, Some(Ending::Stopped(why))) => Ok((results, Some(why))),
            (results, None) => Ok((results, None)),
        }
    }

    /// Like [`Runner::run_all_until`], but the results come back however the run ended: after
    /// the dead-target stop too, the cases that had not finished `errored` (so that reports
    /// can say what happened instead of leaving an earlier run's in place).
    pub async fn run_all_ending<T: std::fmt::Display>(
        &self,
        cases: impl Into<Arc<[Case]>>,
        stop: impl std::future::Future<Output = T>,
        observer: &dyn RunObserver,
    ) -> (Vec<CaseResult>, Option<Ending<T>>) {
        let watch = (!self.shared.keep_going).then(DeadWatch::default);
        self.run_cases(cases.into(), stop, observer, watch.as_ref())
            .await
    }

    /// Runs the cases, telling `observer` and `watch` of each result, until all are done,
    /// `stop` completes or `watch` finds the target dead.
    ///
    /// Each resource group runs as a task of its own, at most `jobs` at once, so preparing
    /// requests and checking answers use every worker thread of the runtime; the results come
    /// back here, where the observer, the watch and the stop are looked at.
    async fn run_cases<T: std::fmt::Display>(
        &self,
        cases: Arc<[Case]>,
        stop: impl std::future::Future<Output = T>,
        observer: &dyn RunObserver,
        watch: Option<&DeadWatch>,
    ) -> (Vec<CaseResult>, Option<Ending<T>>) {
        let (keys, groups): (Vec<String>, Vec<Vec<usize>>) =
            plan::resource_groups(&cases, |c| self.shared.resource_key(c))
                .into_iter()
                .unzip();
        // A group starts once the group containing its resource is done; the others are ready
        // from the start, and start in key order.
        let mut waiting: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut ready = std::collections::BTreeSet::new();
        for (g, containing) in plan::containing_groups(&keys).into_iter().enumerate() {
            match containing {
                Some(c) => waiting.entry(c).or_default().push(g),
                None => {
                    ready.insert(g);
                }
            }
        }
        let mut groups: Vec<Option<Vec<usize>>> = groups.into_iter().map(Some).collect();
        let mut unstarted = groups.len();
        observer.event(&RunEvent::Started { total: cases.len() });
        // Each case's result is kept as soon as it is known, so an interruption loses none.
        let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
        let mut keep = |done: Finished| {
            if let Some(w) = watch {
                w.record(&done.reach);
            }
            observer.event(&RunEvent::CaseFinished {
                result: &done.result,
            });
            results[done.index] = Some(done.result);
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(self.shared.jobs));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Finished>();
        // Dropped once every group is started, so that the channel closes when they are done.
        let mut tx = Some(tx);
        let mut tasks = tokio::task::JoinSet::new();
        let mut stop = std::pin::pin!(stop);
        let mut stopped = None;
        loop {
            if unstarted == 0 {
                tx = None;
            }
            // A stop is looked at before another result is kept or another group started,
            // and results before another group is started.
            tokio::select! {
                biased;
                why = &mut stop => {
                    stopped = Some(Ending::Stopped(why));
                    break;
                }
                done = rx.recv() => {
                    let Some(done) = done else { break };
                    if done.permit.is_some() {
                        ready.extend(waiting.remove(&done.group).unwrap_or_default());
                    }
                    keep(done);
                    if watch.is_some_and(|w| w.verdict().is_some()) {
                        break;
                    }
                }
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => rethrow(joined),
                permit = permits.clone().acquire_owned(), if tx.is_some() && !ready.is_empty() => {
                    let next = ready.pop_first().and_then(|g| Some((g, groups[g].take()?)));
                    if let (Ok(permit), Some((g, group)), Some(tx)) = (permit, next, &tx) {
                        unstarted -= 1;
                        let (shared, cases, tx) = (self.shared.clone(), cases.clone(), tx.clone());
                        tasks.spawn(run_group(shared, cases, (g, group), permit, tx));
                    }
                }
            }
        }
        // Aborting cancels the exchanges still under way; what finished before is kept.
        tasks.abort_all();
        while let Some(joined) = tasks.join_next().await {
            rethrow(joined);
        }
        rx.close();
        while let Ok(done) = rx.try_recv() {
            keep(done);
        }
        // Asked after the loop too: the last cases can all finish in the poll that trips it.
        if stopped.is_none() {
            stopped = watch.and_then(DeadWatch::verdict).map(|error| {
                Ending::DeadTarget(RunError::DeadTarget {
                    target: self.shared.label.clone(),
                    cases: DEAD_TARGET_CASES,
                    error,
                })
            });
        }
        observer.event(&RunEvent::Finished);
        let why = match &stopped {
            Some(Ending::Stopped(why)) => format!("interrupted by {why} before the case finished"),
            Some(Ending::DeadTarget(_)) => format!(
                "not run: the run stopped, as the target answered none of the first \
                 {DEAD_TARGET_CASES} cases (--keep-going runs every case anyway)"
            ),
            None => "interrupted by a stop before the case finished".to_string(),
        };
        let out = results
            .into_iter()
            .zip(cases.iter())
            .map(|(r, case)| {
                r.unwrap_or_else(|| {
                    let mut r = CaseResult::unrun(case);
                    r.checks = vec![CheckResult::fail(CheckKind::Transport, why.clone())];
                    r.outcome = CaseResult::outcome_from_checks(&r.checks);
                    r
                })
            })
            .collect();
        (out, stopped)
    }
}

/// A case's result, sent by its group's task to the task that keeps the results.
struct Finished {
    /// Which of the run's cases.
    index: usize,
    /// Which resource group.
    group: usize,
    result: CaseResult,
    reach: Reach,
    /// The group's permit, sent with its last case (so `Some` says the group is done): the
    /// next group starts only once this result is kept, so that the dead-target stop is
    /// looked at first.
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Runs the cases of one resource group (its number, and its cases) in order, one at a time,
/// sending each result on.
async fn run_group(
    shared: Arc<Shared>,
    cases: Arc<[Case]>,
    (group, indices): (usize, Vec<usize>),
    permit: tokio::sync::OwnedSemaphorePermit,
    tx: tokio::sync::mpsc::UnboundedSender<Finished>,
) {
    let mut permit = Some(permit);
    let last = indices.len().saturating_sub(1);
    for (n, index) in indices.into_iter().enumerate() {
        let (result, reach) = shared.run_case_reached(&cases[index]).await;
        let done = Finished {
            index,
            group,
            result,
            reach,
            permit: if n == last { permit.take() } else { None },
        };
        if tx.send(done).is_err() {
            // Nobody keeps results any more: the run stopped.
            return;
        }
    }
}

/// Passes on a panic of a group's task, as if it had happened in the caller's; a cancelled
/// task is no news.
fn rethrow(joined: Result<(), tokio::task::JoinError>) {
    if let Err(e) = joined
        && e.is_panic()
    {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Why a run ([`Runner::run_all_ending`]) ended before every case finished.
#[derive(Debug)]
pub enum Ending<T> {
    /// The caller's stop completed with this reason.
    Stopped(T),
    /// The target answered none of the first cases ([`RunError::DeadTarget`]).
    DeadTarget(RunError),
}

/// Whether a case's request got an answer from the target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// An HTTP answer came back.
    Answered,
    /// No connection, or no answer in time: the error's innermost cause.
    Unreached(String),
    /// Nothing was sent (a missing parameter, another host), or what failed says nothing of
    /// whether the target is there (a body over the limit, a request refused before sending).
    NotSent,
}

impl Reach {
    /// What a transport error says of the target.
    fn of_error(e: &super::transport::TransportError) -> Reach {
        use super::transport::TransportError as E;
        match e {
            // The error chain ends with the operating system's words ("Connection refused").
            E::Connect(chain) => Reach::Unreached(
                chain
                    .rsplit(": ")
                    .next()
                    .unwrap_or(chain.as_str())
                    .to_string(),
            ),
            E::Timeout(_) => Reach::Unreached(e.to_string()),
            E::NoAnswer { .. } | E::TooLarge(_) | E::Other(_) => Reach::NotSent,
        }
    }
}

/// Watches the first cases of a run for a target that is not there: [`DEAD_TARGET_CASES`]
/// unanswered in a row before any answer.
#[derive(Default)]
struct DeadWatch {
    state: std::sync::Mutex<WatchState>,
}

/// What the watch has seen.
#[derive(Default)]
struct WatchState {
    /// Cases unanswered so far (none answered yet).
    unanswered: usize,
    /// Why the first went unanswered.
    first: Option<String>,
    /// An answer came: the target is there, the watch is over.
    done: bool,
}

impl DeadWatch {
    /// Counts one finished case in.
    fn record(&self, reach: &Reach) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.done {
            return;
        }
        match reach {
            Reach::Answered => s.done = true,
            Reach::Unreached(why) => {
                s.unanswered += 1;
                s.first.get_or_insert_with(|| why.clone());
                if s.unanswered >= DEAD_TARGET_CASES {
                    s.done = true;
                }
            }
            Reach::NotSent => {}
        }
    }

    /// Why the first case went unanswered, once the target is found dead.
    fn verdict(&self) -> Option<String> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (s.unanswered >= DEAD_TARGET_CASES)
            .then(|| s.first.clone())
            .flatten()
    }
}

/// Sends a setup or teardown step; returns its captures, or why it failed.
async fn run_step(
    transport: &dyn Transport,
    retry: RetryPolicy,
    step: &params::Step,
    sources: &ParamSources,
) -> Result<BTreeMap<String, String>, String> {
    let mut values = sources.file.params.clone();
    values.extend(sources.cli.clone());
    values.extend(sources.captured.clone());
    let path = params::fill_step_path(&step.path, &values)
        .map_err(|missing| format!("no value for {}", missing.join(", ")))?;
    crate::model::case::check_request_path(&path)?;
    let mut headers = http::HeaderMap::new();
    for (name, value) in &step.headers {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| format!("header `{name}`: {e}"))?;
        let value =
            http::HeaderValue::from_str(value).map_err(|e| format!("header `{name}`: {e}"))?;
        headers.insert(name, value);
    }
    let body = step
        .body
        .as_ref()
        .map(|b| serde_json::to_vec(b).unwrap_or_default());
    if body.is_some() && !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    let prepared = Prepared {
        method: step.method.to_http(),
        path,
        headers,
        json: step.body.clone(),
        body,
    };
    let answer = retry::send(transport, &prepared, retry)
        .await
        .map_err(|e| e.to_string())?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("answered {}", checks::status_text(answer.status)));
    }
    if step.capture.is_empty() {
        return Ok(BTreeMap::new());
    }
    let json: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("the answer is not JSON, so nothing can be captured: {e}"))?;
    params::capture(step, &json)
        .map_err(|missing| format!("the answer has nothing at {}", missing.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::transport::{Exchange, TransportError};
    use futures::future::BoxFuture;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A target that answers the first `answered` requests with 204 and refuses the rest.
    struct Refusing {
        sent: AtomicUsize,
        answered: usize,
    }

    impl Transport for Refusing {
        fn send<'a>(&'a self, _: &'a Prepared) -> BoxFuture<'a, Result<Exchange, TransportError>> {
            let n = self.sent.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if n < self.answered {
                    Ok(Exchange::new(204, http::HeaderMap::new(), Vec::new()))
                } else {
                    Err(TransportError::Connect(
                        "error sending request: tcp connect error: Connection refused (os error 111)"
                            .into(),
                    ))
                }
            })
        }
    }

    /// `n` cases on paths of their own, made from the committed `update_security` case.
    fn cases(n: usize) -> Vec<Case> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
        let all = crate::model::case::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let base = all
            .into_iter()
            .find(|c| c.id.ends_with("update_security"))
            .unwrap_or_else(|| panic!("no update_security case"));
        (0..n)
            .map(|i| {
                let mut c = base.clone();
                c.id = format!("case-{i:03}");
                c.request.path = format!("/things{i}");
                c
            })
            .collect()
    }

    async fn run(answered: usize, keep_going: bool) -> (Result<usize, RunError>, usize) {
        let cases = cases(40);
        let target = Arc::new(Refusing {
            sent: AtomicUsize::new(0),
            answered,
        });
        let opts = RunOptions {
            target: Target::Transport {
                label: "http://127.0.0.1:9/beta".into(),
                transport: target.clone(),
            },
            retries: 0,
            keep_going,
            ..RunOptions::default()
        };
        let schemas = Arc::new(SchemaSet::new(Vec::new()).unwrap_or_else(|e| panic!("{e}")));
        let runner = Runner::start(&cases, &cases, schemas, opts)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let got = runner
            .run_all_until(cases, std::future::pending::<String>(), &Silent)
            .await
            .map(|(results, _)| results.len());
        (got, target.sent.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_target_that_answers_none_of_the_first_cases_stops_the_run() {
        let (got, sent) = run(0, false).await;
        let err = got.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err,
            "target http://127.0.0.1:9/beta did not answer the first 5 cases (Connection refused (os error 111)); is it running? --keep-going runs every case anyway"
        );
        // Stopped before starting all 40 (at most the jobs under way when it tripped).
        assert!(sent < DEAD_TARGET_CASES + 4, "{sent} requests sent");
    }

    #[tokio::test]
    async fn the_dead_target_stop_gives_every_result_the_unfinished_not_run() {
        let cases = cases(40);
        let opts = RunOptions {
            target: Target::Transport {
                label: "http://127.0.0.1:9/beta".into(),
                transport: Arc::new(Refusing {
                    sent: AtomicUsize::new(0),
                    answered: 0,
                }),
            },
            retries: 0,
            ..RunOptions::default()
        };
        let schemas = Arc::new(SchemaSet::new(Vec::new()).unwrap_or_else(|e| panic!("{e}")));
        let runner = Runner::start(&cases, &cases, schemas, opts)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (results, ending) = runner
            .run_all_ending(cases.clone(), std::future::pending::<String>(), &Silent)
            .await;
        assert!(
            matches!(
                ending,
                Some(Ending::DeadTarget(RunError::DeadTarget { cases: 5, .. }))
            ),
            "{ending:?}"
        );
        // Every case has its result, in order, all errored: those sent refused, the others
        // not run.
        let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
        let want: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, want);
        assert!(
            results
                .iter()
                .all(|r| r.outcome == crate::model::result::Outcome::Errored)
        );
        let said = |start: &str| {
            results
                .iter()
                .filter(|r| r.checks[0].message.starts_with(start))
                .count()
        };
        let (refused, not_run) = (
            said("connection failed: error sending request"),
            said("not run: the run stopped, as the target answered none of the first 5 cases"),
        );
        assert!(refused >= DEAD_TARGET_CASES, "{results:#?}");
        assert_eq!(refused + not_run, 40, "{results:#?}");
    }

    #[tokio::test]
    async fn keep_going_or_one_answer_runs_every_case() {
        let (got, sent) = run(0, true).await;
        assert_eq!((got.ok(), sent), (Some(40), 40));
        // The target answered once at the start: later refusals are the cases' own failures.
        let (got, sent) = run(1, false).await;
        assert_eq!((got.ok(), sent), (Some(40), 40));
    }

    /// A target that answers 204 and keeps the bodies sent.
    #[derive(Default)]
    struct Recording {
        bodies: std::sync::Mutex<Vec<Option<Value>>>,
    }

    impl Transport for Recording {
        fn send<'a>(&'a self, p: &'a Prepared) -> BoxFuture<'a, Result<Exchange, TransportError>> {
            self.bodies.lock().unwrap().push(p.json.clone());
            Box::pin(async { Ok(Exchange::new(204, http::HeaderMap::new(), Vec::new())) })
        }
    }

    /// Writes `cases` into a folder and loads them back lean.
    fn lean(cases: &[Case]) -> (tempfile::TempDir, Vec<Case>, CaseFiles) {
        let dir = tempfile::tempdir().unwrap();
        for c in cases {
            std::fs::write(dir.path().join(c.file_name()), c.to_json()).unwrap();
        }
        let mut files = CaseFiles::default();
        let loaded = crate::model::case::load_dir_with(
            dir.path(),
            |p| {
                let lean = CaseFiles::load_lean::<serde::de::IgnoredAny>(p)?;
                Ok((lean.case, lean.left))
            },
            |c, left, _| files.note(c, left),
        )
        .unwrap();
        let loaded: Vec<Case> = loaded.into_iter().map(|(c, _)| c).collect();
        (dir, loaded, files)
    }

    async fn run_lean(cases: &[Case], files: CaseFiles) -> (Vec<CaseResult>, Vec<Option<Value>>) {
        let target = Arc::new(Recording::default());
        let opts = RunOptions {
            target: Target::Transport {
                label: "test target".into(),
                transport: target.clone(),
            },
            checks: checks::CheckOptions {
                no_readback: true,
                ..checks::CheckOptions::default()
            },
            ..RunOptions::default()
        };
        let schemas = Arc::new(SchemaSet::new(Vec::new()).unwrap());
        let runner = Runner::start_reading(cases, cases, schemas, opts, files)
            .await
            .unwrap();
        let results = runner.run_all(cases).await;
        let sent = target.bodies.lock().unwrap().clone();
        (results, sent)
    }

    #[tokio::test]
    async fn cases_loaded_without_their_bodies_send_the_bodies_of_their_files() {
        let whole = cases(3);
        let (_dir, loaded, files) = lean(&whole);
        assert!(
            loaded
                .iter()
                .all(|c| c.request.body.is_none() && c.response.body.is_none())
        );
        let (results, sent) = run_lean(&loaded, files).await;
        assert_eq!(results.len(), 3);
        let expected: Vec<Option<Value>> = whole
            .iter()
            .map(|c| match &c.request.body {
                Some(crate::model::case::Body::Json(v)) => Some(v.clone()),
                _ => None,
            })
            .collect();
        assert!(expected.iter().all(Option::is_some));
        assert_eq!(sent, expected);
    }

    #[tokio::test]
    async fn a_case_whose_file_is_gone_when_it_runs_sends_the_body_it_was_loaded_with() {
        let whole = cases(2);
        let (dir, loaded, files) = lean(&whole);
        let gone = dir.path().join(loaded[1].file_name());
        std::fs::remove_file(&gone).unwrap();
        let (results, sent) = run_lean(&loaded, files).await;
        // The documented answer is a body-less 204: no check reads the file again.
        assert_eq!(sent.len(), 2, "{results:#?}");
        assert!(
            results.iter().all(|r| r.status == Some(204)),
            "{results:#?}"
        );
        let Some(crate::model::case::Body::Json(body)) = &whole[1].request.body else {
            panic!("no JSON request body");
        };
        assert!(sent.contains(&Some(body.clone())));
    }

    async fn four_jobs(cases: &[Case], target: Arc<dyn Transport>) -> Runner {
        let opts = RunOptions {
            target: Target::Transport {
                label: "test target".into(),
                transport: target,
            },
            jobs: 4,
            ..RunOptions::default()
        };
        let schemas = Arc::new(SchemaSet::new(Vec::new()).unwrap());
        Runner::start(cases, cases, schemas, opts).await.unwrap()
    }

    /// A target that answers 204 after holding the thread it is called on for a while, and
    /// notes which threads called it.
    struct Busy {
        threads: std::sync::Mutex<HashSet<std::thread::ThreadId>>,
    }

    impl Transport for Busy {
        fn send<'a>(&'a self, _: &'a Prepared) -> BoxFuture<'a, Result<Exchange, TransportError>> {
            self.threads
                .lock()
                .unwrap()
                .insert(std::thread::current().id());
            // Work done on the thread that runs the case, as preparing and checking are.
            std::thread::sleep(Duration::from_millis(20));
            Box::pin(async { Ok(Exchange::new(204, http::HeaderMap::new(), Vec::new())) })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn resource_groups_run_on_the_worker_threads() {
        let cases = cases(12);
        let target = Arc::new(Busy {
            threads: std::sync::Mutex::new(HashSet::new()),
        });
        let runner = four_jobs(&cases, target.clone()).await;
        let results = runner.run_all(&cases).await;
        assert_eq!(results.len(), 12);
        // Polled on the caller's task alone, every case would run on the caller's thread.
        let threads = target.threads.lock().unwrap().clone();
        assert!(
            !threads.contains(&std::thread::current().id()),
            "a case ran on the caller's thread"
        );
        assert_eq!(threads.len(), 2, "{threads:?}");
    }

    /// A target that answers 204, GETs only after a while, and notes what it answered in turn.
    struct SlowReads {
        answered: std::sync::Mutex<Vec<String>>,
    }

    impl Transport for SlowReads {
        fn send<'a>(&'a self, p: &'a Prepared) -> BoxFuture<'a, Result<Exchange, TransportError>> {
            Box::pin(async move {
                if p.method == http::Method::GET {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                self.answered
                    .lock()
                    .unwrap()
                    .push(format!("{} {}", p.method, p.path));
                Ok(Exchange::new(204, http::HeaderMap::new(), Vec::new()))
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_runs_after_the_group_containing_its_resource() {
        let mut cases = cases(2);
        cases[0].request.method = Method::Delete;
        cases[0].request.path = "/things/1".into();
        cases[1].request.method = Method::Get;
        cases[1].request.path = "/things".into();
        cases[1].request.body = None;
        let target = Arc::new(SlowReads {
            answered: std::sync::Mutex::new(Vec::new()),
        });
        let runner = four_jobs(&cases, target.clone()).await;
        runner.run_all(&cases).await;
        // Side by side, the DELETE would be answered while the list waits.
        assert_eq!(
            *target.answered.lock().unwrap(),
            vec!["GET /things".to_string(), "DELETE /things/1".to_string()]
        );
    }

    #[test]
    fn the_watch_counts_only_unanswered_cases_before_any_answer() {
        let refused = Reach::Unreached("Connection refused".into());
        let w = DeadWatch::default();
        for _ in 0..DEAD_TARGET_CASES - 1 {
            w.record(&refused);
            // Nothing sent says nothing of the target.
            w.record(&Reach::NotSent);
        }
        assert_eq!(w.verdict(), None);
        w.record(&refused);
        assert_eq!(w.verdict().as_deref(), Some("Connection refused"));
        let answered = DeadWatch::default();
        answered.record(&Reach::Answered);
        for _ in 0..DEAD_TARGET_CASES * 2 {
            answered.record(&refused);
        }
        assert_eq!(answered.verdict(), None);
        assert_eq!(
            Reach::of_error(&TransportError::Timeout(30)),
            Reach::Unreached("no answer within 30 s (timeout)".into())
        );
    }
}
