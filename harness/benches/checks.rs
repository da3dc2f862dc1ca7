//! Benchmarks of judging one answer: `check_exchange` and schema validation of a large body.
//!
//! The body is the seed hostSecurityProfile with its collections grown to thousands of items
//! (about 1 MB of JSON), the size where per-item costs show.

use std::collections::BTreeMap;
use std::path::Path;

use conform::model::case::{Body, Case, load_file};
use conform::model::result::CheckOutcome;
use conform::replay::checks::{CheckOptions, check_exchange};
use conform::replay::request::prepare;
use conform::replay::transport::Exchange;
use conform::schema::SchemaSet;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;
use serde_json::{Value, json};

/// Items in each grown collection of the large body.
const ITEMS: usize = 2_000;

/// The seed case (PATCH of a hostSecurityProfile answered 200 with the entity).
fn seed_case() -> Case {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    load_file(&root.join("cases/003_e135c242e05b0c0b.update_hostsecurityprofile.json")).unwrap()
}

/// The schemas committed with the seed cases.
fn schemas() -> SchemaSet {
    SchemaSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")).unwrap()
}

/// `entity` with each of its collections grown to [`ITEMS`] distinct items.
fn grown(mut entity: Value) -> Value {
    let obj = entity.as_object_mut().unwrap();
    for (name, value) in obj.iter_mut() {
        let Value::Array(items) = value else { continue };
        let first = items[0].clone();
        *items = (0..ITEMS)
            .map(|i| match &first {
                Value::String(s) => json!(format!("{s} {i}")),
                Value::Object(o) => {
                    let mut o = o.clone();
                    for v in o.values_mut() {
                        if let Value::String(s) = v
                            && !s.starts_with("microsoft.graph.")
                        {
                            *v = json!(format!("{s} {i} {name}"));
                        }
                    }
                    Value::Object(o)
                }
                other => other.clone(),
            })
            .collect();
    }
    // The doc's "String" placeholders of enumerations are not values the schema accepts.
    for user in obj["logonUsers"].as_array_mut().unwrap() {
        user["accountType"] = json!("standard");
        user["logonTypes"] = json!(["interactive"]);
    }
    entity
}

fn bench_check_exchange(c: &mut Criterion) {
    let mut case = seed_case();
    let Some(Body::Json(answer)) = case.response.body.take() else {
        panic!("the seed case documents a JSON answer");
    };
    let answer = grown(answer);
    // The write sends every property but the key, as large as the answer.
    let mut write = answer.clone();
    write.as_object_mut().unwrap().remove("id");
    case.request.body = Some(Body::Json(write));
    case.response.body = Some(Body::Json(answer.clone()));
    case.response
        .headers
        .retain(|h| !h.name.eq_ignore_ascii_case("content-length"));
    let id = answer["id"].as_str().unwrap().to_string();
    let params = BTreeMap::from([("hostSecurityProfileId".to_string(), id)]);
    let sent = prepare(&case, &params, None).unwrap();
    let bytes = serde_json::to_vec(&answer).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    let got = Exchange::new(200, headers, bytes.clone());
    let schemas = schemas();
    let opts = CheckOptions::default();
    // The benchmark measures the path of an answer that passes; a failing one would stop early.
    let failed: Vec<_> = check_exchange(&case, &sent, &got, &schemas, opts)
        .into_iter()
        .filter(|c| c.outcome == CheckOutcome::Failed)
        .collect();
    assert!(failed.is_empty(), "the large answer fails: {failed:?}");

    let mut group = c.benchmark_group("check_exchange");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function(format!("entity_{}_kib", bytes.len() / 1024), |b| {
        b.iter(|| check_exchange(&case, &sent, &got, &schemas, opts))
    });
    group.finish();
}

fn bench_schema(c: &mut Criterion) {
    let case = seed_case();
    let Some(Body::Json(answer)) = case.response.body else {
        panic!("the seed case documents a JSON answer");
    };
    let answer = grown(answer);
    let schemas = schemas();
    let ty = "microsoft.graph.hostSecurityProfile";
    assert_eq!(schemas.validate(ty, &answer).unwrap(), vec![]);
    let size = serde_json::to_vec(&answer).unwrap().len();

    let mut group = c.benchmark_group("schema_validate");
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function(format!("entity_{}_kib", size / 1024), |b| {
        b.iter(|| schemas.validate(ty, &answer).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = bench_check_exchange, bench_schema
}
criterion_main!(benches);
