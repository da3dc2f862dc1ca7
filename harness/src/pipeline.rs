//! The run pipeline, one for every user: load the cases and schemas, select, resolve
//! parameters, run against the target, apply the baseline, build the result model and write
//! the reports. The CLI, this repository's `cargo test` and users' own tests all go through
//! [`Conformance`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), conform::pipeline::PipelineError> {
//! let run = conform::Conformance::new()
//!     .cases_dir("cases")
//!     .schemas_dir("schemas")
//!     .target_url("https://graph.example.com/beta")
//!     .param("userId", "48d31887-5fad-4d73-a9f5-3c356e68a038")
//!     .reports("reports")
//!     .run()
//!     .await?;
//! assert!(run.report.gate.passed);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;

use crate::baseline::{Baseline, BaselineError, Change, Edit, Expiry};
use crate::extract::ExtractError;
use crate::model::case::{self, Case, CaseError, CaseFiles};
use crate::model::coverage::Documented;
use crate::model::result::{CaseResult, RunReport, ShardInfo};
use crate::progress::{RunEvent, RunObserver, Silent};
use crate::replay::plan::Shard;
use crate::replay::runner::{Ending, RunError, RunOptions, Runner, Target};
use crate::replay::transport::{ServiceTransport, Transport};
use crate::report::{self, ReportError};
use crate::schema::{SchemaError, SchemaSet};

/// Why a run could not be made (its inputs, not the target's answers).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The cases could not be read.
    #[error(transparent)]
    Cases(#[from] CaseError),
    /// The doc pages could not be read.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The schemas could not be read.
    #[error(transparent)]
    Schemas(#[from] SchemaError),
    /// The baseline could not be read.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// The run could not start (a missing parameter, a bad target).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The parameters file (see [`Conformance::params_file`]) is not valid.
    #[error(transparent)]
    Params(#[from] crate::replay::params::ParamsError),
    /// The reports could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// No case is selected.
    #[error("no case to run in {source_name} (filter: {filter})")]
    NoCases {
        /// Where the cases came from.
        source_name: String,
        /// The filter given, or `none`.
        filter: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// Updating or pruning the baseline was asked for, but no baseline file was named.
    #[error("updating or pruning the baseline needs a baseline file (`Conformance::baseline`)")]
    NoBaselineFile,
    /// The reports given to merge are not the shards of one run.
    #[error(transparent)]
    Merge(#[from] crate::merge::MergeError),
}

/// Where the cases come from.
enum CaseSource {
    Dir(PathBuf),
    Docs(Vec<PathBuf>),
    Given(Vec<Case>),
}

/// Where the schemas come from.
enum SchemaSource {
    Dir(PathBuf),
    Given(Arc<SchemaSet>),
}

/// Builds the transport of a target given by the user, once the options are final.
type MakeTransport = Box<dyn FnOnce(&RunOptions) -> Arc<dyn Transport> + Send>;

/// What the run is aimed at, as the builder was told.
enum TargetChoice {
    Options,
    Service { label: String, make: MakeTransport },
}

/// The pipeline's settings: a builder, then one of [`Conformance::run`] (the whole run,
/// reports written), [`Conformance::trials`] (each case a libtest-mimic trial) or
/// [`Conformance::run_tests`] (the trials run as a test binary's `main`).
pub struct Conformance {
    cases: CaseSource,
    schemas: SchemaSource,
    baseline: Option<PathBuf>,
    report_dir: Option<PathBuf>,
    formats: Vec<report::ReportFormat>,
    filter: Option<String>,
    shard: Option<Shard>,
    target: TargetChoice,
    options: RunOptions,
    /// What to change in the baseline file after the run.
    baseline_edit: Edit,
    /// Told of the run's progress.
    observer: Option<Arc<dyn RunObserver>>,
    /// A parameters file read but not parsed yet: it is parsed beside the cases as they load.
    params_text: Option<(PathBuf, String)>,
}

impl Default for Conformance {
    fn default() -> Self {
        Conformance::new()
    }
}

/// A finished run: the result model and the report files written.
#[derive(Debug, Clone)]
pub struct Run {
    /// The result model every report is made from.
    pub report: RunReport,
    /// The report files written (none without [`Conformance::reports`]).
    pub written: Vec<PathBuf>,
    /// What is worth saying that is no case's result: parameters file entries no case uses,
    /// teardown steps that failed.
    pub warnings: Vec<String>,
    /// What updating or pruning the baseline changed in its file, when it was asked for.
    pub baseline_change: Option<Change>,
}

impl Run {
    /// The run of this report, its reports written into `dir` when one is given.
    fn written(
        report: RunReport,
        dir: Option<&std::path::Path>,
        formats: &[report::ReportFormat],
        warnings: Vec<String>,
    ) -> Result<Run, PipelineError> {
        let written = match dir {
            Some(dir) => report::write_formats(&report, dir, formats)?,
            None => Vec::new(),
        };
        Ok(Run {
            report,
            written,
            warnings,
            baseline_change: None,
        })
    }
}

/// What loading the cases gave besides the cases.
#[derive(Default)]
struct Loading {
    documented: Documented,
    files: CaseFiles,
}

/// What the pipeline loaded: every case, the selected ones, the schemas and the baseline.
struct Loaded {
    all: Arc<[Case]>,
    /// Shares `all` when every case is selected: a run of many cases holds them once.
    selected: Arc<[Case]>,
    schemas: Arc<SchemaSet>,
    baseline: Baseline,
    /// What the cases document, for the coverage (kept apart from the cases, whose bodies may
    /// be left on disk).
    documented: Documented,
    /// Where the cases whose bodies were left on disk are read whole.
    files: CaseFiles,
}

impl Conformance {
    /// The defaults: cases in `cases/`, schemas in `schemas/`, the embedded mock as the target,
    /// no baseline, no reports written.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new();
    /// # let _ = pipeline;
    /// ```
    pub fn new() -> Conformance {
        Conformance {
            cases: CaseSource::Dir(PathBuf::from("cases")),
            schemas: SchemaSource::Dir(PathBuf::from("schemas")),
            baseline: None,
            report_dir: None,
            formats: report::ReportFormat::ALL.to_vec(),
            filter: None,
            shard: None,
            target: TargetChoice::Options,
            options: RunOptions::default(),
            baseline_edit: Edit::default(),
            observer: None,
            params_text: None,
        }
    }

    /// Reads the cases from a folder of case files (as `conform extract` writes them).
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().cases_dir("tests/cases");
    /// # let _ = pipeline;
    /// ```
    pub fn cases_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cases = CaseSource::Dir(dir.into());
        self
    }

    /// Extracts the cases from doc pages (files or folders) at run time.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().docs(["docs/api", "docs/resources"]);
    /// # let _ = pipeline;
    /// ```
    pub fn docs<P: Into<PathBuf>>(mut self, docs: impl IntoIterator<Item = P>) -> Self {
        self.cases = CaseSource::Docs(docs.into_iter().map(Into::into).collect());
        self
    }

    /// Runs these cases.
    ///
    /// ```no_run
    /// let cases = conform::model::case::load_dir(std::path::Path::new("cases")).unwrap_or_default();
    /// let pipeline = conform::Conformance::new().cases(cases);
    /// # let _ = pipeline;
    /// ```
    pub fn cases(mut self, cases: Vec<Case>) -> Self {
        self.cases = CaseSource::Given(cases);
        self
    }

    /// Reads the JSON Schemas from a folder.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().schemas_dir("schemas");
    /// # let _ = pipeline;
    /// ```
    pub fn schemas_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.schemas = SchemaSource::Dir(dir.into());
        self
    }

    /// Uses this schema set.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), conform::schema::SchemaError> {
    /// let set = conform::schema::set_from_metadata(std::path::Path::new("beta.xml.gz"))?;
    /// let pipeline = conform::Conformance::new().schemas(std::sync::Arc::new(set));
    /// # let _ = pipeline; Ok(()) }
    /// ```
    pub fn schemas(mut self, schemas: Arc<SchemaSet>) -> Self {
        self.schemas = SchemaSource::Given(schemas);
        self
    }

    /// Aims at a service root over HTTP, including the version (`https://host/beta`).
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().target_url("https://graph.example.com/beta");
    /// # let _ = pipeline;
    /// ```
    pub fn target_url(mut self, url: impl Into<String>) -> Self {
        self.options.target = Target::Url(url.into());
        self.target = TargetChoice::Options;
        self
    }

    /// Aims at the embedded mock, built from all the cases (the default).
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().embedded_mock();
    /// # let _ = pipeline;
    /// ```
    pub fn embedded_mock(mut self) -> Self {
        self.options.target = Target::Mock;
        self.target = TargetChoice::Options;
        self
    }

    /// Aims at a `tower::Service` called in process with no socket (an `axum::Router`, a
    /// hyper service, a `tower::ServiceBuilder` stack) that takes requests with any body type
    /// built from bytes (`http_body_util::Full<Bytes>` is used); case paths are sent as
    /// documented, relative to the version root.
    ///
    /// ```no_run
    /// let app = axum::Router::new().route("/me", axum::routing::get(|| async { "{}" }));
    /// conform::Conformance::new().service(app).run_tests()
    /// ```
    pub fn service<S, RB>(self, service: S) -> Self
    where
        S: tower::Service<http::Request<Full<Bytes>>, Response = http::Response<RB>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send,
        S::Error: std::fmt::Display,
        RB: http_body::Body + Send + 'static,
        RB::Data: Send,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.service_with_body::<Full<Bytes>, S, RB>("", service)
    }

    /// Like [`Conformance::service`], for a service that serves the API under `root` (such
    /// as `/beta`).
    ///
    /// ```
    /// let app = axum::Router::new().route("/beta/me", axum::routing::get(|| async { "{}" }));
    /// let pipeline = conform::Conformance::new().service_at("/beta", app);
    /// # let _ = pipeline;
    /// ```
    pub fn service_at<S, RB>(self, root: &str, service: S) -> Self
    where
        S: tower::Service<http::Request<Full<Bytes>>, Response = http::Response<RB>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send,
        S::Error: std::fmt::Display,
        RB: http_body::Body + Send + 'static,
        RB::Data: Send,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.service_with_body::<Full<Bytes>, S, RB>(root, service)
    }

    /// Like [`Conformance::service_at`], for a service that takes one request body type `B`
    /// (such as `axum::body::Body`).
    ///
    /// ```
    /// use axum::body::Body;
    /// let app = axum::Router::new().route("/me", axum::routing::get(|| async { "{}" }));
    /// // A service that takes only `Request<axum::body::Body>`, such as a `map_request` stack.
    /// let service = tower::ServiceBuilder::new()
    ///     .map_request(|r: http::Request<Body>| r)
    ///     .service(app);
    /// let pipeline = conform::Conformance::new().service_with_body::<Body, _, _>("", service);
    /// # let _ = pipeline;
    /// ```
    pub fn service_with_body<B, S, RB>(mut self, root: &str, service: S) -> Self
    where
        S: tower::Service<http::Request<B>, Response = http::Response<RB>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send,
        S::Error: std::fmt::Display,
        B: From<Bytes> + Send + 'static,
        RB: http_body::Body + Send + 'static,
        RB::Data: Send,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let root = root.to_string();
        let label = if root.is_empty() {
            "in-process service".to_string()
        } else {
            format!("in-process service at {root}")
        };
        let make: MakeTransport = Box::new(move |o: &RunOptions| {
            Arc::new(ServiceTransport::<S, B>::new(
                service,
                root,
                o.token.clone(),
                o.timeout,
                o.max_body,
            )) as Arc<dyn Transport>
        });
        self.target = TargetChoice::Service { label, make };
        self
    }

    /// Aims at any transport.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use conform::replay::transport::{HttpConfig, HttpTransport};
    /// # fn demo() -> Result<(), conform::replay::transport::TargetError> {
    /// let http = HttpTransport::new(HttpConfig {
    ///     base: "http://127.0.0.1:8080/beta".into(),
    ///     timeout: std::time::Duration::from_secs(10),
    ///     max_body: 1 << 20,
    ///     token: None,
    ///     follow_redirects: false,
    /// })?;
    /// let pipeline = conform::Conformance::new().transport("staging", Arc::new(http));
    /// # let _ = pipeline; Ok(()) }
    /// ```
    pub fn transport(mut self, label: impl Into<String>, transport: Arc<dyn Transport>) -> Self {
        self.options.target = Target::Transport {
            label: label.into(),
            transport,
        };
        self.target = TargetChoice::Options;
        self
    }

    /// A path parameter value, for every case that has a parameter of that name.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().param("user-id", "48d31887-5fad-4d73-a9f5-3c356e68a038");
    /// # let _ = pipeline;
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.params.insert(name.into(), value.into());
        self
    }

    /// Several path parameter values.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().params([("user-id", "u1"), ("group-id", "g1")]);
    /// # let _ = pipeline;
    /// ```
    pub fn params<K: Into<String>, V: Into<String>>(
        mut self,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.options
            .params
            .extend(params.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Reads path parameter values, and setup and teardown steps, from a parameters file (see
    /// [`replay::params`](crate::replay::params)). The file is read now (an error reading it
    /// is this call's); it is parsed when the run loads its cases, beside them, and an error in
    /// it is the run's ([`PipelineError::Params`]). A file with an entry per case of a large
    /// run takes as long to parse as a tenth of the run. The file takes the place of any
    /// `params_file` set through [`Conformance::options`], whichever call came first.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), conform::replay::params::ParamsError> {
    /// let pipeline = conform::Conformance::new().params_file("params.toml")?;
    /// # let _ = pipeline; Ok(()) }
    /// ```
    pub fn params_file(
        mut self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, crate::replay::params::ParamsError> {
        let path = path.as_ref().to_path_buf();
        let text = crate::replay::params::ParamsFile::read(&path)?;
        self.params_text = Some((path, text));
        Ok(self)
    }

    /// The bearer token sent to the target; it never appears in any output.
    ///
    /// ```
    /// let token = std::env::var("CONFORM_TOKEN").unwrap_or_default();
    /// let pipeline = conform::Conformance::new().token(token);
    /// # let _ = pipeline;
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.options.token = Some(token.into()).filter(|t| !t.is_empty());
        self
    }

    /// Applies a baseline of known failures.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().baseline("reports/baseline.json");
    /// # let _ = pipeline;
    /// ```
    pub fn baseline(mut self, path: impl Into<PathBuf>) -> Self {
        self.baseline = Some(path.into());
        self
    }

    /// After the run, adds an entry to the baseline file (see [`Conformance::baseline`]; a
    /// missing file is created) for every failed or errored case it does not list, pinned to
    /// the failure as seen, with a placeholder reason and expiring as `expires` says; entries
    /// of cases that still fail keep their reason and expiry. The gate is then judged against
    /// the updated baseline. Nothing is written when the run is interrupted. (For
    /// [`Conformance::run`] and [`Conformance::run_until`]; trials leave the file alone.)
    ///
    /// ```
    /// let pipeline = conform::Conformance::new()
    ///     .baseline("reports/baseline.json")
    ///     .update_baseline(conform::baseline::Expiry::Days(90));
    /// # let _ = pipeline;
    /// ```
    pub fn update_baseline(mut self, expires: Expiry) -> Self {
        self.baseline_edit.add = Some(expires);
        self
    }

    /// After the run, drops from the baseline file the entries the run shows are stale: their
    /// case passes, or (when every case ran) no case has their id. (For [`Conformance::run`]
    /// and [`Conformance::run_until`]; trials leave the file alone.)
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().baseline("reports/baseline.json").prune_baseline();
    /// # let _ = pipeline;
    /// ```
    pub fn prune_baseline(mut self) -> Self {
        self.baseline_edit.prune = true;
        self
    }

    /// Tells `observer` of the run's events as cases finish ([`Conformance::run`] and
    /// [`Conformance::run_until`]), each result with the baseline applied: a progress reporter
    /// such as [`LineReporter`](crate::progress::LineReporter), or the caller's own.
    ///
    /// ```
    /// use conform::progress::RunEvent;
    /// let pipeline = conform::Conformance::new().on_progress(|e: &RunEvent<'_>| {
    ///     if let RunEvent::CaseFinished { result } = e {
    ///         eprintln!("{}: {:?}", result.id, result.outcome);
    ///     }
    /// });
    /// # let _ = pipeline;
    /// ```
    pub fn on_progress(mut self, observer: impl RunObserver + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Writes the reports (every [`report::ReportFormat`] unless [`Conformance::report_formats`]
    /// chooses) into a folder.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().reports("target/conformance");
    /// # let _ = pipeline;
    /// ```
    pub fn reports(mut self, dir: impl Into<PathBuf>) -> Self {
        self.report_dir = Some(dir.into());
        self
    }

    /// Which report files [`Conformance::reports`] writes (default: all of them).
    ///
    /// ```
    /// use conform::report::ReportFormat;
    /// let pipeline = conform::Conformance::new()
    ///     .reports("target/conformance")
    ///     .report_formats([ReportFormat::Json, ReportFormat::Markdown]);
    /// # let _ = pipeline;
    /// ```
    pub fn report_formats(
        mut self,
        formats: impl IntoIterator<Item = report::ReportFormat>,
    ) -> Self {
        self.formats = formats.into_iter().collect();
        self
    }

    /// Runs only the cases whose id contains this text.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().filter("update_user");
    /// # let _ = pipeline;
    /// ```
    pub fn filter(mut self, text: impl Into<String>) -> Self {
        self.filter = Some(text.into());
        self
    }

    /// Runs only one shard of the selected cases ([`Conformance::run`]; a test binary's trials
    /// are partitioned by the test runner, `cargo nextest run --partition`): whole resource
    /// groups, dealt out as [`Shard::select`] does, the same on every machine. The report says
    /// which shard it is, and lists no stale baseline entry (one shard cannot know what the
    /// others ran); [`Conformance::merge`] combines the shards' reports.
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().shard(conform::replay::plan::Shard::new(1, 4).unwrap());
    /// # let _ = pipeline;
    /// ```
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// Adjusts the other run options (timeouts, concurrency, retries, strictness).
    ///
    /// ```
    /// let pipeline = conform::Conformance::new().options(|o| {
    ///     o.jobs = 8;
    ///     o.timeout = std::time::Duration::from_secs(5);
    ///     o.checks.strict = true;
    /// });
    /// # let _ = pipeline;
    /// ```
    pub fn options(mut self, adjust: impl FnOnce(&mut RunOptions)) -> Self {
        adjust(&mut self.options);
        self
    }

    /// The options with the chosen target in place.
    fn final_options(&mut self) -> RunOptions {
        // The parameters file is moved, not copied: it can name every one of many cases, and
        // the run is the last use of the settings.
        let params_file = std::mem::take(&mut self.options.params_file);
        let mut options = self.options.clone();
        options.params_file = params_file;
        if let TargetChoice::Service { label, make } =
            std::mem::replace(&mut self.target, TargetChoice::Options)
        {
            let transport = make(&options);
            options.target = Target::Transport { label, transport };
            self.options.target = options.target.clone();
        }
        options
    }

    /// Loads cases, schemas and baseline, and selects the cases to run. With `focus` (one case
    /// id, as `--exact` gives it when a runner such as nextest starts one process per test),
    /// only that case and what it needs are read.
    fn load(&mut self, focus: Option<&str>) -> Result<Loaded, PipelineError> {
        let Some((path, text)) = self.params_text.take() else {
            return self.load_cases_and_schemas(focus);
        };
        // The parameters file is parsed on a thread of its own while the cases load.
        let (loaded, params) = std::thread::scope(|scope| {
            let parse = scope.spawn(move || crate::replay::params::ParamsFile::parse(&text, &path));
            let loaded = self.load_cases_and_schemas(focus);
            let params = parse
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (loaded, params)
        });
        self.options.params_file = params?;
        loaded
    }

    /// [`Conformance::load`] without the parameters file.
    fn load_cases_and_schemas(&mut self, focus: Option<&str>) -> Result<Loaded, PipelineError> {
        if let (Some(id), CaseSource::Dir(dir)) = (focus, &self.cases)
            && let Some(loaded) = self.load_focused(&dir.clone(), id)?
        {
            return Ok(loaded);
        }
        let (all, source_name, loading) = self.load_cases()?;
        let schemas = match &self.schemas {
            SchemaSource::Dir(dir) => Arc::new(SchemaSet::load_dir(dir)?),
            SchemaSource::Given(set) => set.clone(),
        };
        self.finish_load(all, schemas, source_name, loading)
    }

    /// Whether the cases' bodies may stay on disk until each case runs: when they come from a
    /// folder and the target is not the embedded mock (which answers from every case's bodies).
    /// A run of many cases then holds a few hundred bytes per case instead of its bodies.
    fn leaves_bodies_on_disk(&self) -> bool {
        matches!(self.cases, CaseSource::Dir(_))
            && !matches!(
                (&self.target, &self.options.target),
                (TargetChoice::Options, Target::Mock)
            )
    }

    /// The baseline given, or an empty one.
    fn load_baseline(&self) -> Result<Baseline, PipelineError> {
        Ok(match &self.baseline {
            // A baseline to be written from this run may not exist yet.
            Some(path) if self.baseline_edit.add.is_some() && !path.exists() => Baseline::default(),
            Some(path) => Baseline::load(path)?,
            None if self.baseline_edit.is_some() => return Err(PipelineError::NoBaselineFile),
            None => Baseline::default(),
        })
    }

    /// Every case, what to call where they came from, what they document, and where the cases
    /// whose bodies were left on disk are (see [`Conformance::leaves_bodies_on_disk`]).
    fn load_cases(&mut self) -> Result<(Vec<Case>, String, Loading), PipelineError> {
        let lean = self.leaves_bodies_on_disk();
        let mut loading = Loading::default();
        let loaded = match std::mem::replace(&mut self.cases, CaseSource::Given(Vec::new())) {
            CaseSource::Dir(dir) => {
                let name = dir.display().to_string();
                let all = case::load_dir_with(
                    &dir,
                    |path| {
                        if lean {
                            // The response body stays on disk, read only for the properties
                            // coverage counts; the request body is kept as text.
                            let lean = CaseFiles::load_lean(path)?;
                            let facts = Documented::facts_with(
                                &lean.case,
                                lean.response.unwrap_or_default(),
                            );
                            Ok((lean.case, (facts, Some(lean.left))))
                        } else {
                            let case = case::load_file(path)?;
                            let facts = Documented::facts(&case);
                            Ok((case, (facts, None)))
                        }
                    },
                    |case, (facts, left), _| {
                        loading.documented.add_facts(facts);
                        if let Some(left) = left {
                            loading.files.note(case, left);
                        }
                    },
                )?;
                self.cases = CaseSource::Dir(dir);
                (all.into_iter().map(|(c, _)| c).collect(), name)
            }
            CaseSource::Docs(docs) => {
                let extraction = crate::extract::extract_paths(&docs)?;
                let name = docs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.cases = CaseSource::Docs(docs);
                (extraction.cases, name)
            }
            CaseSource::Given(cases) => (cases, "the cases given".to_string()),
        };
        if !matches!(self.cases, CaseSource::Dir(_)) {
            loading.documented = Documented::of(&loaded.0);
        }
        Ok((loaded.0, loaded.1, loading))
    }

    /// Reads one case of a folder and only what it needs: the cases on its resource, and the
    /// schemas of their types. `None` when no case has the id.
    fn load_focused(
        &mut self,
        dir: &std::path::Path,
        id: &str,
    ) -> Result<Option<Loaded>, PipelineError> {
        let Some(case::Focused { cases, heads }) = case::load_dir_for(dir, id)? else {
            return Ok(None);
        };
        // What is decided over all the cases is decided from their heads.
        if self.options.patch_default.is_none() {
            self.options.patch_default = Some(crate::mock::PatchDefault::from_documented(
                heads.iter().map(|h| {
                    let prefer = crate::model::case::find_header(&h.request.headers, "prefer");
                    (h.request.method, prefer.is_some(), h.response.status)
                }),
            ));
        }
        let schemas = match &self.schemas {
            SchemaSource::Dir(schema_dir) => {
                let mut roots: Vec<String> = Vec::new();
                for c in &cases {
                    roots.extend(c.response.odata_type.clone());
                    roots.extend(crate::model::case::request_type(c));
                    for body in [&c.request.body, &c.response.body].into_iter().flatten() {
                        if let case::Body::Json(v) = body {
                            named_types(v, &mut roots);
                        }
                    }
                }
                Arc::new(SchemaSet::load_dir_for(
                    schema_dir,
                    roots.iter().map(String::as_str),
                )?)
            }
            SchemaSource::Given(set) => set.clone(),
        };
        let loading = Loading {
            documented: Documented::of(&cases),
            files: CaseFiles::default(),
        };
        let mut loaded = self.finish_load(cases, schemas, dir.display().to_string(), loading)?;
        // The other cases are there for the mock and the read-back; only this one runs.
        loaded.selected = loaded
            .selected
            .iter()
            .filter(|c| c.id == id)
            .cloned()
            .collect();
        Ok(Some(loaded))
    }

    /// Reads the baseline and selects the cases to run.
    fn finish_load(
        &self,
        all: Vec<Case>,
        schemas: Arc<SchemaSet>,
        source_name: String,
        loading: Loading,
    ) -> Result<Loaded, PipelineError> {
        let baseline = self.load_baseline()?;
        let all: Arc<[Case]> = all.into();
        let chosen = crate::replay::plan::select(&all, self.filter.as_deref());
        let selected: Arc<[Case]> = if chosen.len() == all.len() {
            all.clone()
        } else {
            chosen.into_iter().cloned().collect()
        };
        if selected.is_empty() {
            return Err(PipelineError::NoCases {
                source_name,
                filter: self.filter.clone().unwrap_or_else(|| "none".into()),
            });
        }
        Ok(Loaded {
            all,
            selected,
            schemas,
            baseline,
            documented: loading.documented,
            files: loading.files,
        })
    }

    /// Runs every selected case, applies the baseline, builds the report and writes it.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), conform::pipeline::PipelineError> {
    /// let run = conform::Conformance::new().reports("reports").run().await?;
    /// println!("{}", conform::report::console::render(&run.report, false));
    /// # Ok(()) }
    /// ```
    pub async fn run(self) -> Result<Run, PipelineError> {
        let (run, _) = self.run_until(std::future::pending::<String>()).await?;
        Ok(run)
    }

    /// Like [`Conformance::run`], but stops early when `stop` completes (on a signal, say):
    /// the cases that had not finished are `errored`, and the reports are still written.
    /// A target that answers none of the first cases (see [`RunOptions::keep_going`]) ends
    /// the run with [`RunError::DeadTarget`], once the reports are written with the cases that
    /// had not finished `errored`.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), conform::pipeline::PipelineError> {
    /// let stop = async { tokio::signal::ctrl_c().await.map(|_| "SIGINT").unwrap_or("error") };
    /// let (run, stopped) = conform::Conformance::new().run_until(stop).await?;
    /// if let Some(why) = stopped {
    ///     eprintln!("interrupted by {why}; {} cases reported", run.report.cases.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn run_until<T: std::fmt::Display>(
        mut self,
        stop: impl std::future::Future<Output = T>,
    ) -> Result<(Run, Option<T>), PipelineError> {
        let loaded = self.load(None)?;
        let options = self.final_options();
        let started_at = chrono::Utc::now();
        let clock = Instant::now();
        let runner = Runner::start_reading(
            &loaded.all,
            &loaded.selected,
            loaded.schemas,
            options,
            loaded.files,
        )
        .await?;
        let today = started_at.date_naive();
        let complete = loaded.selected.len() == loaded.all.len();
        let shard = self.shard.map(|s| ShardInfo {
            index: s.index(),
            total: s.total(),
            selected: loaded.selected.len(),
            complete,
        });
        // A shard is not every case: it neither calls an absent case's entry stale nor lets
        // an update or prune judge what other shards ran.
        let complete = complete && shard.is_none();
        let selected = match self.shard {
            Some(s) => {
                let mine = s.select(&loaded.selected, |c| runner.resource_key(c));
                mine.into_iter()
                    .map(|i| loaded.selected[i].clone())
                    .collect::<Arc<[Case]>>()
            }
            None => loaded.selected,
        };
        let judged = Judged {
            entries: loaded.baseline.by_case(),
            today,
            inner: self.observer.as_deref().unwrap_or(&Silent),
        };
        let (mut results, ending) = runner.run_all_ending(selected, stop, &judged).await;
        let (stopped, dead) = match ending {
            Some(Ending::Stopped(why)) => (Some(why), None),
            Some(Ending::DeadTarget(dead)) => (None, Some(dead)),
            None => (None, None),
        };
        let mut warnings = runner.warnings().to_vec();
        // Against a target that is not there, teardown would only wait on it again.
        if dead.is_none() {
            warnings.extend(runner.teardown().await);
        }
        let target = runner.target_label().to_string();
        // The cases and what the runner holds for them (parameters, transport) are freed
        // before the reports are made: a run of many cases peaks here otherwise.
        drop((runner, judged, loaded.all));
        let mut baseline = loaded.baseline;
        let mut baseline_change = None;
        let finished = stopped.is_none() && dead.is_none();
        match (&self.baseline, self.baseline_edit.is_some()) {
            (Some(file), true) if finished => {
                let (edited, change) =
                    baseline.update_file(file, &results, complete, today, self.baseline_edit)?;
                baseline = edited;
                baseline_change = Some(change);
            }
            (_, true) => warnings
                .push("the baseline was not updated or pruned: the run did not finish".into()),
            _ => {}
        }
        let mut applied = baseline.apply(&mut results, complete, today);
        if shard.is_some() {
            // Staleness is judged once, by `merge`, over the results of every shard.
            applied.stale.clear();
        }
        let mut report =
            report::build_report(&target, started_at, clock.elapsed(), results, applied);
        report.shard = shard;
        report.coverage = Some(loaded.documented.coverage(&report.cases));
        let mut run = Run::written(report, self.report_dir.as_deref(), &self.formats, warnings)?;
        run.baseline_change = baseline_change;
        match dead {
            // The reports, written, say what happened: no earlier run's are left to be taken
            // for this one's.
            Some(dead) => Err(dead.into()),
            None => Ok((run, stopped)),
        }
    }

    /// Combines the `report.json` of each shard of one run (a folder holding it, or the file)
    /// into the report of the whole run, as an unsharded run would have written it: checks that
    /// they are all the shards of one run, lists the cases in id order, recomputes the summary
    /// and the gate, judges the baseline's stale entries over every shard's results, and
    /// computes the coverage from the cases. The reports are written when asked
    /// ([`Conformance::reports`]).
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), conform::pipeline::PipelineError> {
    /// let run = conform::Conformance::new()
    ///     .baseline("reports/baseline.json")
    ///     .reports("reports")
    ///     .merge(["shard-1", "shard-2"])?;
    /// assert!(run.report.shard.is_none());
    /// # Ok(()) }
    /// ```
    pub fn merge<P: AsRef<std::path::Path>>(
        mut self,
        shards: impl IntoIterator<Item = P>,
    ) -> Result<Run, PipelineError> {
        let mut reports = Vec::new();
        for given in shards {
            let given = given.as_ref();
            let path = if given.is_file() {
                given.to_path_buf()
            } else {
                given.join("report.json")
            };
            let report = report::json::read(&path)?;
            reports.push((path, report));
        }
        let (_, _, loading) = self.load_cases()?;
        let report = crate::merge::merge(reports, &self.load_baseline()?, &loading.documented)?;
        Run::written(
            report,
            self.report_dir.as_deref(),
            &self.formats,
            Vec::new(),
        )
    }

    /// Each selected case as its own libtest-mimic trial, in documented order per resource,
    /// for a test binary with `harness = false`. Setup failures become one failing trial
    /// named `setup` that says why.
    ///
    /// ```no_run
    /// let args = libtest_mimic::Arguments::from_args();
    /// let trials = conform::Conformance::new().trials(&args);
    /// let collected = trials.collected();
    /// let conclusion = libtest_mimic::run(&args, trials.trials);
    /// eprintln!("{} results", collected().len());
    /// conclusion.exit();
    /// ```
    pub fn trials(mut self, args: &libtest_mimic::Arguments) -> Trials {
        let collected = Arc::new(Mutex::new(Vec::new()));
        let setup = |why: String| Trials {
            trials: vec![libtest_mimic::Trial::test("setup", move || {
                Err(libtest_mimic::Failed::from(why))
            })],
            collected: collected.clone(),
            finish: None,
        };
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => Arc::new(rt),
            Err(e) => return setup(PipelineError::Runtime(e).to_string()),
        };
        // `--exact ID` (how nextest runs one test per process) needs only that case.
        let focus = args.filter.as_deref().filter(|_| args.exact);
        let loaded = match self.load(focus) {
            Ok(l) => l,
            Err(e) => return setup(e.to_string()),
        };
        let options = self.final_options();
        let runner = match runtime.block_on(Runner::start_reading(
            &loaded.all,
            &loaded.selected,
            loaded.schemas,
            options,
            loaded.files,
        )) {
            Ok(r) => Arc::new(r),
            Err(e) => return setup(e.to_string()),
        };
        let label = runner.target_label().to_string();
        for w in runner.warnings() {
            eprintln!("conform: warning: {w}");
        }
        let baseline = Arc::new(loaded.baseline);
        let (runner_for_finish, runtime_for_finish) = (runner.clone(), runtime.clone());
        let trials = crate::testing::case_trials(
            loaded.selected.to_vec(),
            runner,
            runtime,
            baseline.clone(),
            args,
            Some(collected.clone()),
        );
        Trials {
            trials,
            collected,
            finish: Some(Finish {
                label,
                report_dir: self.report_dir.clone(),
                formats: self.formats.clone(),
                started_at: chrono::Utc::now(),
                clock: Instant::now(),
                runner: runner_for_finish,
                runtime: runtime_for_finish,
            }),
        }
    }

    /// The `main` of a test binary with `harness = false`: reads libtest's arguments, runs every
    /// case as a trial, writes the reports when asked, and exits as libtest does.
    ///
    /// ```no_run
    /// conform::Conformance::new()
    ///     .cases_dir("cases")
    ///     .schemas_dir("schemas")
    ///     .target_url("http://127.0.0.1:8080/beta")
    ///     .run_tests()
    /// ```
    pub fn run_tests(self) -> ! {
        let args = libtest_mimic::Arguments::from_args();
        let trials = self.trials(&args);
        let collected = trials.collected.clone();
        let finish = trials.finish;
        let conclusion = libtest_mimic::run(&args, trials.trials);
        if let Some(finish) = finish {
            let results = std::mem::take(&mut *collected.lock().unwrap_or_else(|p| p.into_inner()));
            match finish.write(results) {
                Ok(run) => {
                    for w in run.warnings {
                        eprintln!("conform: warning: {w}");
                    }
                }
                Err(e) => {
                    eprintln!("conform: {e}");
                    std::process::exit(2);
                }
            }
        }
        conclusion.exit()
    }
}

/// The trials of a test binary and what is needed to report on them afterwards.
pub struct Trials {
    /// One trial per case (or one `setup` trial that fails with the reason).
    pub trials: Vec<libtest_mimic::Trial>,
    collected: Arc<Mutex<Vec<CaseResult>>>,
    finish: Option<Finish>,
}

impl Trials {
    /// A handle that yields, after `libtest_mimic::run`, the results of the trials that ran.
    ///
    /// ```no_run
    /// let args = libtest_mimic::Arguments::from_args();
    /// let trials = conform::Conformance::new().trials(&args);
    /// let results = trials.collected();
    /// let _ = libtest_mimic::run(&args, trials.trials);
    /// assert!(results().iter().all(|r| !r.id.is_empty()));
    /// ```
    pub fn collected(&self) -> impl Fn() -> Vec<CaseResult> + use<> {
        let collected = self.collected.clone();
        move || collected.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// After `libtest_mimic::run`: the result model of the trials that ran, with the reports
    /// written when the pipeline was asked for them.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), conform::pipeline::PipelineError> {
    /// let args = libtest_mimic::Arguments::from_args();
    /// let mut trials = conform::Conformance::new().reports("reports").trials(&args);
    /// let conclusion = libtest_mimic::run(&args, std::mem::take(&mut trials.trials));
    /// let run = trials.finish()?;
    /// eprintln!("wrote {:?}", run.map(|r| r.written));
    /// conclusion.exit();
    /// # }
    /// ```
    pub fn finish(self) -> Result<Option<Run>, PipelineError> {
        let results =
            std::mem::take(&mut *self.collected.lock().unwrap_or_else(|p| p.into_inner()));
        match self.finish {
            Some(f) => f.write(results).map(Some),
            None => Ok(None),
        }
    }
}

/// What writing the reports of trials needs.
struct Finish {
    label: String,
    report_dir: Option<PathBuf>,
    formats: Vec<report::ReportFormat>,
    started_at: chrono::DateTime<chrono::Utc>,
    clock: Instant,
    /// For the teardown steps, once the trials have run.
    runner: Arc<Runner>,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Finish {
    fn write(self, results: Vec<CaseResult>) -> Result<Run, PipelineError> {
        let warnings = self.runtime.block_on(self.runner.teardown());
        let report = report::build_report(
            &self.label,
            self.started_at,
            self.clock.elapsed(),
            results,
            Default::default(),
        );
        Run::written(report, self.report_dir.as_deref(), &self.formats, warnings)
    }
}

/// Passes the runner's events on with the baseline applied to each result, so progress counts
/// a waived case as waived.
struct Judged<'a> {
    /// The baseline's entries by case id, looked up once per finished case.
    entries: std::collections::BTreeMap<&'a str, &'a crate::baseline::KnownFailure>,
    today: chrono::NaiveDate,
    inner: &'a dyn RunObserver,
}

impl RunObserver for Judged<'_> {
    fn event(&self, event: &RunEvent<'_>) {
        if let RunEvent::CaseFinished { result } = event {
            let outcome = match self.entries.get(result.id.as_str()) {
                Some(k) => k.outcome_of(result, self.today),
                None => result.outcome,
            };
            if outcome != result.outcome {
                let judged = CaseResult {
                    outcome,
                    ..(*result).clone()
                };
                return self
                    .inner
                    .event(&RunEvent::CaseFinished { result: &judged });
            }
        }
        self.inner.event(event)
    }
}

/// Every type an `@odata.type` names in a body, at any depth.
fn named_types(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            out.extend(crate::model::case::named_type(v).map(str::to_string));
            m.values().for_each(|x| named_types(x, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| named_types(x, out)),
        _ => {}
    }
}

/// Path parameters from `name=value;name=value` (as `CONFORM_PARAMS` gives them).
///
/// ```
/// let params = conform::pipeline::params_from_list("user-id=u1;group-id=g1");
/// assert_eq!(params["group-id"], "g1");
/// ```
pub fn params_from_list(list: &str) -> BTreeMap<String, String> {
    list.split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}
