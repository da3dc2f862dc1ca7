//! The runner: sends each case through the target's transport and turns the checks into case
//! results.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use super::checks;
use super::params::{self, ParamSources, ParamsFile};
use super::plan;
use super::request::{self, PrepareError, Prepared};
use super::retry::{self, RetryPolicy};
use super::transport::{HttpConfig, HttpTransport, ServiceTransport, TargetError, Transport};
use crate::http::ResourcePath;
use crate::mock::{Mock, MockService, PatchDefault};
use crate::model::case::{Case, Method};
use crate::model::result::{CaseResult, CheckKind, CheckResult};
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
}

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
        }
    }
}

/// A prepared run: the transport, the parameters of every case, and what the checks need.
pub struct Runner {
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    schemas: Arc<SchemaSet>,
    /// Shapes of the resource paths the documentation has a GET for (for read-back).
    readable: HashSet<String>,
    redactor: Redactor,
    params: HashMap<String, BTreeMap<String, String>>,
    jobs: usize,
    check_options: checks::CheckOptions,
    label: String,
    /// Teardown steps, and the values they can use.
    teardown: (Vec<params::Step>, BTreeMap<String, String>),
    /// Parameters file entries no case uses.
    warnings: Vec<String>,
}

impl Runner {
    /// Builds the target's transport (the embedded mock from all cases, when it is the
    /// target) and checks that every selected case can be prepared, before anything is sent.
    pub async fn start(
        all: &[Case],
        cases: &[Case],
        schemas: Arc<SchemaSet>,
        opts: RunOptions,
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
            file: opts.params_file.clone(),
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
        for case in cases.iter().filter(|c| c.request.host.is_none()) {
            // Preparing now reports an unsendable header or path before any request.
            let values = params.get(&case.id).cloned().unwrap_or_default();
            request::prepare(case, &values, None)?;
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
        Ok(Runner {
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
        })
    }

    /// Entries of the parameters file that no case uses.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Runs the teardown steps; returns what went wrong, one line each (nothing when all did).
    pub async fn teardown(&self) -> Vec<String> {
        let (steps, values) = &self.teardown;
        let sources = ParamSources {
            captured: values.clone(),
            ..ParamSources::default()
        };
        let mut problems = Vec::new();
        for step in steps {
            if let Err(why) = run_step(self.transport.as_ref(), self.retry, step, &sources).await {
                problems.push(format!("teardown step `{}`: {why}", step.label()));
            }
        }
        problems
    }

    /// What the run targets, for reports (`embedded mock` or the URL).
    pub fn target_label(&self) -> &str {
        &self.label
    }

    /// Runs one case and judges it.
    pub async fn run_case(&self, case: &Case) -> CaseResult {
        let mut result = CaseResult::unrun(case);
        if let Some(host) = &case.request.host {
            result.notes.push(format!(
                "skipped: the documented request goes to `{host}`, not the service under test"
            ));
            return result;
        }
        let json = crate::schema::sent_json(case, &self.schemas, &mut result.notes);
        // A fresh id per case, recorded in the report, finds the exchange in the target's logs.
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let (checks, retries, answer) = self
            .exchange(case, json, &client_request_id, &mut result.notes)
            .await;
        result.duration_ms = started.elapsed().as_millis() as u64;
        result.status = answer.map(|(status, _)| status);
        result.has_body = answer.is_some_and(|(_, body)| body);
        result.outcome = CaseResult::outcome_from_checks(&checks);
        result.client_request_id = Some(client_request_id);
        result.retries = retries;
        result.checks = checks;
        self.redactor.result(&mut result);
        result
    }

    /// Sends a request through the transport, retrying throttled answers.
    async fn send(
        &self,
        p: &Prepared,
    ) -> Result<super::transport::Exchange, super::transport::TransportError> {
        retry::send(self.transport.as_ref(), p, self.retry).await
    }

    /// Sends a case's request and checks the answer; also returns the retried answers and the
    /// status judged with whether its answer had a body, and adds the transport's notes to
    /// `notes`.
    async fn exchange(
        &self,
        case: &Case,
        json: Option<Value>,
        client_request_id: &str,
        notes: &mut Vec<String>,
    ) -> (
        Vec<CheckResult>,
        Vec<crate::model::result::Retry>,
        Option<(u16, bool)>,
    ) {
        let params = self.params.get(&case.id).cloned().unwrap_or_default();
        let mut prepared = match request::prepare(case, &params, json) {
            Ok(p) => p,
            Err(e) => {
                return (
                    vec![CheckResult::fail(CheckKind::Params, e.to_string())],
                    Vec::new(),
                    None,
                )
            }
        };
        if let Ok(v) = http::HeaderValue::from_str(client_request_id) {
            prepared.headers.insert("client-request-id", v);
        }
        match self.send(&prepared).await {
            Ok(exchange) => {
                let mut checks = checks::check_exchange(
                    case,
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
                (checks, exchange.retries, Some(answer))
            }
            Err(e) => (
                vec![CheckResult::fail(CheckKind::Transport, e.to_string())],
                Vec::new(),
                None,
            ),
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
        checks::echo::written_properties(case, write.json.as_ref()?, &self.schemas)?;
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
                ))
            }
        };
        checks::check_written(CheckKind::Readback, case, write, &body, &self.schemas)
    }

    /// The resource a case addresses, however its path is spelled (the key of the path with
    /// its parameters filled): cases with the same key run one at a time, in order.
    pub fn resource_key(&self, case: &Case) -> String {
        let params = self.params.get(&case.id).cloned().unwrap_or_default();
        let path = request::fill_path(case, &params).unwrap_or_else(|_| case.request.path.clone());
        plan::resource_key(&path)
    }

    /// Runs cases concurrently, one at a time per resource path and in source order; results come back in the given order.
    pub async fn run_all(&self, cases: &[Case]) -> Vec<CaseResult> {
        self.run_all_until(cases, std::future::pending::<String>())
            .await
            .0
    }

    /// Like [`Runner::run_all`], but stops when `stop` completes (with the reason, such as
    /// `SIGINT`): cases that had not finished are `errored`, "interrupted", and the reason is
    /// returned.
    pub async fn run_all_until<T: std::fmt::Display>(
        &self,
        cases: &[Case],
        stop: impl std::future::Future<Output = T>,
    ) -> (Vec<CaseResult>, Option<T>) {
        let groups = plan::resource_groups(cases, |c| self.resource_key(c));
        // Each case's result is kept as soon as it is known, so an interruption loses none.
        let results: std::sync::Mutex<Vec<Option<CaseResult>>> =
            std::sync::Mutex::new(vec![None; cases.len()]);
        let keep = |i: usize, r: CaseResult| {
            let mut all = results.lock().unwrap_or_else(|p| p.into_inner());
            all[i] = Some(r);
        };
        let mut stream = futures::stream::iter(groups)
            .map(|group| {
                let keep = &keep;
                async move {
                    for i in group {
                        keep(i, self.run_case(&cases[i]).await);
                    }
                }
            })
            .buffer_unordered(self.jobs);
        let mut stop = std::pin::pin!(stop);
        let mut interrupted = None;
        loop {
            tokio::select! {
                next = stream.next() => {
                    if next.is_none() {
                        break;
                    }
                }
                why = &mut stop => {
                    interrupted = Some(why);
                    break;
                }
            }
        }
        // Dropping the stream cancels the exchanges still under way.
        drop(stream);
        let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
        let out = results
            .into_iter()
            .zip(cases)
            .map(|(r, case)| {
                r.unwrap_or_else(|| {
                    let mut r = CaseResult::unrun(case);
                    let why = interrupted
                        .as_ref()
                        .map_or_else(|| "a stop".to_string(), |w| w.to_string());
                    r.checks = vec![CheckResult::fail(
                        CheckKind::Transport,
                        format!("interrupted by {why} before the case finished"),
                    )];
                    r.outcome = CaseResult::outcome_from_checks(&r.checks);
                    r
                })
            })
            .collect();
        (out, interrupted)
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
