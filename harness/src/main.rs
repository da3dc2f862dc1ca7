//! The `conform` command line: a thin layer over the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use conform::Conformance;
use conform::extract;
use conform::mock::{Mock, PatchDefault};
use conform::model::result::Outcome;
use conform::replay::checks::StatusMatch;
use conform::replay::plan::Shard;
use conform::report;

/// Conformance tests for REST APIs documented the way Microsoft Graph is.
#[derive(Parser)]
#[command(name = "conform", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract cases from doc pages into a folder, printing diagnostics.
    Extract {
        /// Doc pages or folders of pages (any extension is read as markdown).
        #[arg(required = true)]
        docs: Vec<PathBuf>,
        /// Folder to write one case file per request/response pair into.
        #[arg(long)]
        out: PathBuf,
        /// Exit 1 when any diagnostic is printed.
        #[arg(long)]
        deny_warnings: bool,
        /// JSON Schemas to lint example bodies and property tables against (default: ./schemas if present).
        #[arg(long)]
        schemas: Option<PathBuf>,
        /// CSDL metadata for one API version, VERSION=FILE (repeatable): pages of that version are linted against all its types.
        #[arg(long = "metadata", value_parser = parse_param)]
        metadata: Vec<(String, String)>,
    },
    /// Print the diagnostics for doc pages, without writing cases.
    Lint {
        /// Doc pages or folders of pages.
        #[arg(required = true)]
        docs: Vec<PathBuf>,
        /// Exit 1 when any diagnostic is printed.
        #[arg(long)]
        deny_warnings: bool,
        /// JSON Schemas to lint example bodies and property tables against (default: ./schemas if present).
        #[arg(long)]
        schemas: Option<PathBuf>,
        /// CSDL metadata for one API version, VERSION=FILE (repeatable): pages of that version are linted against all its types.
        #[arg(long = "metadata", value_parser = parse_param)]
        metadata: Vec<(String, String)>,
    },
    /// Generate JSON Schemas from OData CSDL metadata (`.xml` or `.xml.gz`).
    Schemas {
        /// The metadata file.
        #[arg(long)]
        metadata: PathBuf,
        /// A type to generate, with every type it references (repeatable; default: all types).
        #[arg(long = "type")]
        types: Vec<String>,
        /// Folder to write `<full type name>.json` files into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Replay cases against a target (the embedded mock by default) and write reports.
    Run(RunArgs),
    /// Merge the reports of every shard of a run (`run --shard K/N`) into the whole run's reports.
    Merge {
        /// Folders holding each shard's report.json (or the report.json files).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Folder the merged reports are written to.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Known failures, for the stale-entry check (default: reports/baseline.json when it exists).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Folder of the case files the shards ran (for the coverage).
        #[arg(long, default_value = "cases")]
        cases: PathBuf,
    },
    /// Print what a folder of cases documents: operations, pages and response properties.
    Coverage {
        /// Folder of case files.
        #[arg(long, default_value = "cases")]
        cases: PathBuf,
    },
    /// Write a baseline of the failures of a run that the docs' own examples explain.
    DocDefects {
        /// The doc pages the run's cases were extracted from.
        #[arg(required = true)]
        docs: Vec<PathBuf>,
        /// The run's `report.json`.
        #[arg(long, default_value = "reports/report.json")]
        report: PathBuf,
        /// The baseline file to write.
        #[arg(long)]
        out: PathBuf,
        /// JSON Schemas to lint example bodies against (default: ./schemas if present).
        #[arg(long)]
        schemas: Option<PathBuf>,
        /// CSDL metadata for one API version, VERSION=FILE (repeatable).
        #[arg(long = "metadata", value_parser = parse_param)]
        metadata: Vec<(String, String)>,
    },
    /// Serve the embedded mock.
    Serve {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Folder of case files the mock implements.
        #[arg(long, default_value = "cases")]
        cases: PathBuf,
        /// Folder of JSON Schemas.
        #[arg(long, default_value = "schemas")]
        schemas: PathBuf,
        /// What PATCH without Prefer answers (default: what most pages document).
        #[arg(long, value_enum)]
        patch_default: Option<PatchArg>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Folder of case files.
    #[arg(long, default_value = "cases")]
    cases: PathBuf,
    /// Folder of JSON Schemas.
    #[arg(long, default_value = "schemas")]
    schemas: PathBuf,
    /// Service root including the version (https://graph.microsoft.com/beta); default: the embedded mock.
    #[arg(long)]
    target: Option<String>,
    /// A path parameter value for every case, NAME=VALUE (repeatable).
    #[arg(long = "param", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// A TOML file of parameter values (global, per path template, per case) and setup steps.
    #[arg(long = "params")]
    params_file: Option<PathBuf>,
    /// Seconds allowed per exchange.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Cases run at once (cases on one resource path still run one at a time).
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Largest response body read, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_body: usize,
    /// Folder the reports are written to.
    #[arg(long, default_value = "reports")]
    report_dir: PathBuf,
    /// Report files to write, comma-separated: json, junit, md, html (default: all).
    #[arg(long = "report", value_name = "FORMAT,...", value_delimiter = ',')]
    report_formats: Vec<report::ReportFormat>,
    /// Known failures (default: reports/baseline.json when it exists).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Run only cases whose id contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// What the embedded mock answers to PATCH without Prefer.
    #[arg(long, value_enum)]
    patch_default: Option<PatchArg>,
    /// A property the response type does not declare fails the case (default: a warning).
    #[arg(long)]
    strict: bool,
    /// How statuses are compared: `exact`, or `class` (another status of the same class only warns).
    #[arg(long, value_enum, default_value = "exact")]
    status: StatusArg,
    /// How many times a 429 or 503 answer is retried (honouring Retry-After).
    #[arg(long, default_value_t = 3)]
    retries: usize,
    /// The most time one case waits before its retries, in seconds, all its retries together.
    #[arg(long, default_value_t = 30)]
    max_retry_wait: u64,
    /// Follow redirects within the target's origin (a redirect to another origin is never followed).
    #[arg(long)]
    follow_redirects: bool,
    /// Do not read writes back (for a target that keeps no state); the `readback` check is not run.
    #[arg(long)]
    no_readback: bool,
    /// Add the run's failures to the baseline file (created if missing), each with a reason to write and an expiry; the gate then uses it.
    #[arg(long)]
    update_baseline: bool,
    /// Drop baseline entries whose case passes now or (in an unfiltered run) no longer exists.
    #[arg(long)]
    prune_baseline: bool,
    /// When entries added by --update-baseline expire: DAYS from today, or a date YYYY-MM-DD.
    #[arg(long, value_name = "DAYS|DATE", default_value = "90")]
    baseline_expires: conform::baseline::Expiry,
    /// Run every case even when the target answers none of the first ones.
    #[arg(long)]
    keep_going: bool,
    /// No progress bar or progress lines on stderr.
    #[arg(long)]
    quiet: bool,
    /// Run only shard K of N (whole resource groups, the same partition on every machine); merge the shards' reports with `conform merge`.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
}

/// What PATCH without Prefer answers, as the command line spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PatchArg {
    /// 200 with the updated entity.
    Representation,
    /// 204 with no body.
    Minimal,
}

impl From<PatchArg> for PatchDefault {
    fn from(a: PatchArg) -> PatchDefault {
        match a {
            PatchArg::Representation => PatchDefault::Representation,
            PatchArg::Minimal => PatchDefault::Minimal,
        }
    }
}

/// How statuses are compared, as the command line spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StatusArg {
    /// Only the documented status passes.
    Exact,
    /// Another status of the same class only warns.
    Class,
}

impl From<StatusArg> for StatusMatch {
    fn from(a: StatusArg) -> StatusMatch {
        match a {
            StatusArg::Exact => StatusMatch::Exact,
            StatusArg::Class => StatusMatch::Class,
        }
    }
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

/// The exit code for bad usage or input.
const BAD_INPUT: u8 = 2;

/// How many seeded entities `serve` lists: a suite of many cases seeds as many entities, and
/// a listing of them all buries the routes.
const SEEDED_SHOWN: usize = 20;

/// The binary's allocator. Runs and lint allocate and free many small JSON values and strings
/// on several threads at once: glibc's malloc spent a quarter of a 10,000-case run's CPU, and a
/// sixth of linting the corpus, in allocation and consolidation; mimalloc's thread-local heaps
/// take much less. The library leaves the choice to the program using it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Each cause once: many errors print their source in their own message too.
            let e: &(dyn std::error::Error + 'static) = e.as_ref();
            eprintln!("conform: error: {}", conform::error::chain(e));
            ExitCode::from(BAD_INPUT)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Extract {
            docs,
            out,
            deny_warnings,
            schemas,
            metadata,
        } => {
            let ex = extract_and_print(&docs, schemas, metadata)?;
            let written = extract::write_cases(&out, &ex.cases)?;
            for r in &written.removed {
                eprintln!("removed stale case {}", r.display());
            }
            for e in &written.failed {
                eprintln!("conform: error: {e}");
            }
            eprintln!(
                "{} pages, {} of {} cases written to {} ({} unchanged), {} diagnostics",
                ex.pages,
                written.written.len(),
                ex.cases.len(),
                out.display(),
                written.unchanged,
                ex.diagnostics.len()
            );
            if !written.failed.is_empty() || ex.skipped_unreadable() {
                return Ok(BAD_INPUT);
            }
            Ok(u8::from(deny_warnings && !ex.diagnostics.is_empty()))
        }
        Command::Lint {
            docs,
            deny_warnings,
            schemas,
            metadata,
        } => {
            let ex = extract_and_print(&docs, schemas, metadata)?;
            eprintln!(
                "{} pages, {} cases, {} example bodies validated, {} diagnostics",
                ex.pages,
                ex.cases.len(),
                ex.examples_validated,
                ex.diagnostics.len()
            );
            let code = if ex.skipped_unreadable() {
                BAD_INPUT
            } else {
                u8::from(deny_warnings && !ex.diagnostics.is_empty())
            };
            // The process ends here: freeing every case and diagnostic one by one would only
            // delay its exit (a fiftieth of a second on the corpus).
            std::mem::forget(ex);
            Ok(code)
        }
        Command::Run(args) => run(args),
        Command::Merge {
            shards,
            out,
            baseline,
            cases,
        } => merge(&shards, out, baseline, cases),
        Command::Coverage { cases } => {
            let cases = conform::model::case::load_dir(&cases)?;
            let coverage = conform::model::coverage::Coverage::documented(&cases);
            print!("{}", report::console::coverage(&coverage));
            Ok(0)
        }
        Command::DocDefects {
            docs,
            report,
            out,
            schemas,
            metadata,
        } => doc_defects(&docs, &report, &out, schemas, metadata),
        Command::Schemas {
            metadata,
            types,
            out,
        } => {
            let n = conform::schema::write_generated(&metadata, &types, &out)?;
            eprintln!("{n} schemas written to {}", out.display());
            Ok(0)
        }
        Command::Serve {
            port,
            cases,
            schemas,
            patch_default,
        } => serve(port, cases, schemas, patch_default),
    }
}

/// Writes the doc-defect baseline of a run and prints the failures it leaves unexplained.
fn doc_defects(
    docs: &[PathBuf],
    report: &Path,
    out: &Path,
    schemas: Option<PathBuf>,
    metadata: Vec<(String, String)>,
) -> anyhow::Result<u8> {
    let run = conform::report::json::read(report)?;
    let ex = extract::extract_linted(docs, &lint_sources(schemas, metadata))?;
    let generated = conform::baseline::doc_defects(&run.cases, &ex.cases, &ex);
    generated.baseline.write(out)?;
    for u in &generated.unexplained {
        println!("{u}");
    }
    let failed = run
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed | Outcome::Errored))
        .count();
    eprintln!(
        "{failed} failed cases in {}: {} explained by doc defects (written to {}), {} not explained",
        report.display(),
        generated.baseline.known_failures.len(),
        out.display(),
        generated.unexplained.len()
    );
    Ok(0)
}

/// What pages are linted against: the named schemas folder, else `./schemas` when it exists,
/// and the metadata of each version; `no-schema` is reported only when schemas were named.
fn lint_sources(schemas: Option<PathBuf>, metadata: Vec<(String, String)>) -> extract::LintSources {
    let named = schemas.is_some();
    let default = PathBuf::from("schemas");
    extract::LintSources {
        schemas: schemas.or_else(|| default.is_dir().then_some(default)),
        report_no_schema: named,
        metadata: metadata
            .into_iter()
            .map(|(v, f)| (v, PathBuf::from(f)))
            .collect(),
    }
}

/// Extracts and lints the pages and prints the diagnostics.
fn extract_and_print(
    docs: &[PathBuf],
    schemas: Option<PathBuf>,
    metadata: Vec<(String, String)>,
) -> anyhow::Result<extract::Extraction> {
    let ex = extract::extract_linted(docs, &lint_sources(schemas, metadata))?;
    // One write per buffer, not per line: the corpus has thousands of diagnostics.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for d in &ex.diagnostics {
        writeln!(out, "{d}").context("cannot write the diagnostics")?;
    }
    out.flush().context("cannot write the diagnostics")?;
    Ok(ex)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run(args: RunArgs) -> anyhow::Result<u8> {
    let mut pipeline = Conformance::new()
        .cases_dir(&args.cases)
        .schemas_dir(&args.schemas)
        .params(args.params.iter().cloned())
        .reports(&args.report_dir)
        .options(|o| {
            o.timeout = Duration::from_secs(args.timeout.max(1));
            o.max_body = args.max_body;
            o.jobs = args.jobs;
            o.retries = args.retries;
            o.max_retry_wait = Duration::from_secs(args.max_retry_wait);
            o.follow_redirects = args.follow_redirects;
            o.patch_default = args.patch_default.map(Into::into);
            o.checks = conform::replay::checks::CheckOptions {
                strict: args.strict,
                status: args.status.into(),
                no_readback: args.no_readback,
            };
            o.keep_going = args.keep_going;
        });
    if !args.report_formats.is_empty() {
        pipeline = pipeline.report_formats(args.report_formats.iter().copied());
    }
    if let Some(file) = &args.params_file {
        pipeline = pipeline.params_file(file)?;
    }
    if let Some(url) = &args.target {
        pipeline = pipeline.target_url(url);
    }
    if let Some(filter) = &args.filter {
        pipeline = pipeline.filter(filter);
    }
    if let Some(shard) = args.shard {
        pipeline = pipeline.shard(shard);
    }
    if let Ok(token) = std::env::var("CONFORM_TOKEN") {
        pipeline = pipeline.token(token);
    }
    let editing = args.update_baseline || args.prune_baseline;
    pipeline = with_baseline(pipeline, args.baseline, editing);
    if args.update_baseline {
        pipeline = pipeline.update_baseline(args.baseline_expires);
    }
    if args.prune_baseline {
        pipeline = pipeline.prune_baseline();
    }
    if !args.quiet {
        pipeline = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            pipeline.on_progress(conform::progress::BarReporter::stderr())
        } else {
            pipeline.on_progress(conform::progress::LineReporter::stderr())
        };
    }
    let rt = runtime()?;
    // Run on a worker thread, not on this one: the run's coordination (keeping each result,
    // starting the next resource group) then happens where the cases finish, instead of
    // waking this thread for every case.
    let (run, signal) = rt
        .block_on(rt.spawn(pipeline.run_until(Signal::first())))
        .context("the run's task failed")??;
    print_run(&run);
    let code = match signal {
        Some(signal) => {
            eprintln!("conform: interrupted by {signal}; the reports hold the cases that finished");
            signal.exit_code()
        }
        None => u8::from(!run.report.gate.passed),
    };
    // The process ends next, and the reports are written: freeing the results one small
    // allocation at a time (about 7 ms per 10,000 cases) would only delay the exit.
    std::mem::forget(run);
    Ok(code)
}

/// The baseline given, else `reports/baseline.json` when it exists or is to be written.
fn with_baseline(pipeline: Conformance, baseline: Option<PathBuf>, editing: bool) -> Conformance {
    let default_baseline = PathBuf::from("reports/baseline.json");
    match baseline {
        Some(path) => pipeline.baseline(path),
        None if editing || default_baseline.exists() => pipeline.baseline(default_baseline),
        None => pipeline,
    }
}

/// Prints a run's console summary, the files written and the warnings.
fn print_run(run: &conform::pipeline::Run) {
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    print!("{}", report::console::render(&run.report, colour));
    for w in &run.written {
        eprintln!("wrote {}", w.display());
    }
    if let Some(change) = &run.baseline_change {
        eprintln!("{change}");
    }
    for w in &run.warnings {
        eprintln!("conform: warning: {w}");
    }
}

/// Merges the shards' reports and writes the whole run's.
fn merge(
    shards: &[PathBuf],
    out: PathBuf,
    baseline: Option<PathBuf>,
    cases: PathBuf,
) -> anyhow::Result<u8> {
    let pipeline = with_baseline(
        Conformance::new().cases_dir(cases).reports(out),
        baseline,
        false,
    );
    let run = pipeline.merge(shards)?;
    print_run(&run);
    Ok(u8::from(!run.report.gate.passed))
}

/// A signal that ends a run early, with the reports written.
#[derive(Debug, Clone, Copy)]
enum Signal {
    Interrupt,
    Terminate,
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}

impl Signal {
    /// The shell's exit status for a process ended by the signal: 128 + its number.
    fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    /// The first SIGINT or SIGTERM that arrives (never, if the handlers cannot be installed).
    async fn first() -> Signal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(mut int), Ok(mut term)) => tokio::select! {
                    _ = int.recv() => Signal::Interrupt,
                    _ = term.recv() => Signal::Terminate,
                },
                _ => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => Signal::Interrupt,
                Err(_) => std::future::pending().await,
            }
        }
    }
}

fn serve(
    port: u16,
    cases: PathBuf,
    schemas: PathBuf,
    patch_default: Option<PatchArg>,
) -> anyhow::Result<u8> {
    let mock = Arc::new(Mock::load(&cases, &schemas, patch_default.map(Into::into))?);
    let rt = runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
        let server = mock.clone().serve(listener)?;
        println!("conform mock listening on {}", server.url());
        println!("routes (with or without a /beta or /v1.0 prefix):");
        for r in mock.routes() {
            println!("  {r}");
        }
        println!("seeded entities:");
        let seeded = mock.seeded();
        for s in seeded.iter().take(SEEDED_SHOWN) {
            println!("  {} ({}, from {})", s.path, s.type_name, s.from_case);
        }
        if seeded.len() > SEEDED_SHOWN {
            println!("  … and {} more", seeded.len() - SEEDED_SHOWN);
        }
        println!("PATCH without Prefer answers: {:?}", mock.patch_default());
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        drop(server);
        Ok::<_, anyhow::Error>(0)
    })
}
