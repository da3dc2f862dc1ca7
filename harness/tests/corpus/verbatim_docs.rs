//! The whole corpus replayed against a server that answers each documented request with
//! exactly its documented response: whatever fails there, the doc's own example is wrong, and
//! the verdict must say where (a lint diagnostic on the case's lines, which the generated
//! doc-defect baseline names). A failure nothing explains is a false red of the checks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use conform::baseline;
use conform::model::case::{Body, Case};
use conform::model::result::Outcome;
use conform::replay::params::ParamsFile;
use conform::replay::request::{self, Prepared};
use conform::replay::transport::{Exchange, Transport, TransportError};
use futures::future::BoxFuture;

/// One documented answer, and what tells its request apart from others to the same URL.
struct Answer {
    /// The documented request headers, names in lower case.
    asked: Vec<(String, String)>,
    prefer: Option<String>,
    /// The body the run sends for this case.
    sent: Option<serde_json::Value>,
    body_keys: Vec<String>,
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

/// Answers every documented request (method and URL, parameters filled as the run fills them)
/// with its documented status, headers and body, as written; it keeps no state.
struct VerbatimDocs {
    answers: HashMap<(String, String), Vec<Answer>>,
    /// Cases whose request is the very request of an earlier case that documents another
    /// answer: no server that answers by the request can give both (the examples assume
    /// different server states), so these are left out of the run.
    ambiguous: BTreeSet<String>,
}

fn top_keys(body: Option<&Body>) -> Vec<String> {
    match body {
        Some(Body::Json(serde_json::Value::Object(m))) => {
            let mut keys: Vec<String> = m.keys().cloned().collect();
            keys.sort();
            keys
        }
        _ => Vec::new(),
    }
}

impl VerbatimDocs {
    fn new(
        cases: &[Case],
        params: &BTreeMap<String, BTreeMap<String, String>>,
        schemas: &conform::schema::SchemaSet,
    ) -> VerbatimDocs {
        let mut answers: HashMap<(String, String), Vec<Answer>> = HashMap::new();
        let mut ambiguous = BTreeSet::new();
        for case in cases {
            let values = params.get(&case.id).cloned().unwrap_or_default();
            let Ok(path) = request::fill_path(case, &values) else {
                continue;
            };
            let mut headers = http::HeaderMap::new();
            for h in &case.response.headers {
                if h.name.eq_ignore_ascii_case("content-length") {
                    continue;
                }
                if let (Ok(n), Ok(v)) = (
                    http::HeaderName::from_bytes(h.name.as_bytes()),
                    http::HeaderValue::from_str(&h.value),
                ) {
                    headers.append(n, v);
                }
            }
            let body = match &case.response.body {
                Some(Body::Json(v)) => serde_json::to_vec_pretty(v).unwrap_or_default(),
                Some(Body::Text(t)) => t.clone().into_bytes(),
                None => Vec::new(),
            };
            let answer = Answer {
                asked: case
                    .request
                    .headers
                    .iter()
                    .map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))
                    .collect(),
                prefer: case.request_header("prefer").map(str::to_string),
                sent: conform::schema::sent_json(case, schemas, &mut Vec::new()),
                body_keys: top_keys(case.request.body.as_ref()),
                status: case.response.status,
                headers,
                body,
            };
            let same = answers
                .entry((case.request.method.as_str().to_string(), path))
                .or_default();
            match same
                .iter()
                .find(|a| a.asked == answer.asked && a.sent == answer.sent)
            {
                Some(earlier)
                    if (earlier.status, &earlier.headers, &earlier.body)
                        != (answer.status, &answer.headers, &answer.body) =>
                {
                    ambiguous.insert(case.id.clone());
                }
                Some(_) => {}
                None => same.push(answer),
            }
        }
        VerbatimDocs { answers, ambiguous }
    }
}

impl Transport for VerbatimDocs {
    fn send<'a>(&'a self, sent: &'a Prepared) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        Box::pin(async move {
            let key = (sent.method.as_str().to_string(), sent.path.clone());
            let Some(candidates) = self.answers.get(&key) else {
                return Ok(Exchange::new(404, http::HeaderMap::new(), Vec::new()));
            };
            let prefer = sent
                .headers
                .get("prefer")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let keys = match &sent.json {
                Some(serde_json::Value::Object(m)) => {
                    let mut k: Vec<String> = m.keys().cloned().collect();
                    k.sort();
                    k
                }
                _ => Vec::new(),
            };
            // The documented request most like the one sent: the same body, the same Prefer,
            // the same headers, then most body properties in common.
            let best = candidates
                .iter()
                .max_by_key(|a| {
                    let shared = a.body_keys.iter().filter(|k| keys.contains(k)).count();
                    let same_headers = a.asked.iter().all(|(n, v)| {
                        sent.headers
                            .get(n.as_str())
                            .is_none_or(|s| s.to_str().is_ok_and(|s| s == v))
                    });
                    (
                        a.sent == sent.json,
                        a.prefer == prefer,
                        same_headers,
                        shared,
                        std::cmp::Reverse(a.body_keys.len()),
                    )
                })
                .ok_or_else(|| TransportError::Other("no answer".into()))?;
            Ok(Exchange::new(
                best.status,
                best.headers.clone(),
                best.body.clone(),
            ))
        })
    }
}

/// The parameters of a case, with the key of the entity its documented answer shows in place
/// of the mock's where the path ends in a key (`/x/{id}`, `/x/{name}`): the path then asks for
/// that entity (by the property the parameter names, else by `id`).
fn answered_key(case: &Case, mut params: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let path = case.request.path.split('?').next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let Some(Body::Json(shown)) = &case.response.body else {
        return params;
    };
    if let Some(name) = last.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
        let value = shown
            .get(name)
            .or_else(|| shown.get("id"))
            .and_then(serde_json::Value::as_str);
        if let (true, Some(value)) = (params.contains_key(name), value) {
            params.insert(name.to_string(), value.to_string());
        }
    }
    params
}

#[test]
fn every_beta_failure_against_the_documented_answers_names_its_doc_defect() {
    every_failure_against_the_documented_answers_names_its_doc_defect("beta");
}

#[test]
fn every_v1_failure_against_the_documented_answers_names_its_doc_defect() {
    every_failure_against_the_documented_answers_names_its_doc_defect("v1.0");
}

/// One version of the corpus run against its documented answers.
fn every_failure_against_the_documented_answers_names_its_doc_defect(version: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let corpus = crate::common::corpus::loaded(version);
    let cases: Vec<Case> = corpus
        .extraction
        .cases
        .iter()
        .filter(|c| c.request.host.is_none())
        .cloned()
        .collect();
    // The mock's parameter values name the entities the examples show, so a key in the
    // path is the key the documented answer carries.
    let mock = conform::mock::Mock::new(&cases, corpus.schemas.clone(), None);
    let params: BTreeMap<String, BTreeMap<String, String>> = cases
        .iter()
        .map(|c| (c.id.clone(), answered_key(c, mock.params_for(c))))
        .collect();
    let server = Arc::new(VerbatimDocs::new(&cases, &params, &corpus.schemas));
    let ambiguous = server.ambiguous.clone();
    let cases: Vec<Case> = cases
        .into_iter()
        .filter(|c| !ambiguous.contains(&c.id))
        .collect();
    let file = ParamsFile {
        cases: params.clone(),
        ..ParamsFile::default()
    };
    // The cases are read from a folder, as `conform run` reads them: against a target other
    // than the embedded mock, each case's bodies stay on disk until it runs, and the verdicts
    // must be those of the cases in hand.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for case in &cases {
        std::fs::write(dir.path().join(case.file_name()), case.to_json())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut pipeline = conform::Conformance::new();
    // To read the verdicts in full: CONFORM_VERBATIM_REPORTS=DIR keeps each version's reports.
    if let Some(dir) = std::env::var_os("CONFORM_VERBATIM_REPORTS") {
        pipeline = pipeline.reports(std::path::Path::new(&dir).join(version));
    }
    let run = rt
        .block_on(
            pipeline
                .cases_dir(dir.path())
                .schemas(corpus.schemas.clone())
                .transport("the documented answers", server)
                .options(|o| {
                    o.params_file = file;
                    o.checks.no_readback = true;
                })
                .run(),
        )
        .unwrap_or_else(|e| panic!("{version}: {e}"));
    let generated = baseline::doc_defects(&run.report.cases, &cases, &corpus.extraction);
    let results = &run.report.cases;
    let failed = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed | Outcome::Errored))
        .count();
    eprintln!(
        "{version}: {} cases ({} more send the request of another case that documents \
             another answer), {} passed, {failed} failed against their documented answers; \
             {} explained by a doc defect",
        results.len(),
        ambiguous.len(),
        results
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .count(),
        generated.baseline.known_failures.len(),
    );
    for u in &generated.unexplained {
        eprintln!("  unexplained: {u}");
    }
    assert!(
        generated.unexplained.is_empty(),
        "{version}: {} failures against the documented answers name no doc defect",
        generated.unexplained.len()
    );
}
