//! Benchmarks of linting against metadata: building the schema set of every type of Graph's
//! beta metadata (`set_from_metadata`), and a type's first validation in a set, which compiles
//! its validator from the schemas it reaches.

use std::path::{Path, PathBuf};

use conform::schema::{SchemaSet, set_from_metadata};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::json;

mod common;

/// Graph's beta metadata, as the corpus ships it.
fn beta() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/graph-beta-metadata-2021-07-13.xml.gz")
}

fn bench_metadata(c: &mut Criterion) {
    let path = beta();
    let set = set_from_metadata(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(set.names().count() > 3_000, "every type of the metadata");
    let mut group = c.benchmark_group("metadata");
    group.bench_function("set_from_metadata_beta", |b| {
        b.iter(|| set_from_metadata(&path).unwrap())
    });
    // A user is a large entity with many complex properties: its validator reaches dozens of
    // schemas. Each iteration gets a fresh set, so the validator is compiled, not cached.
    let user = json!({"id": "1", "displayName": "Adele", "accountEnabled": true,
        "assignedLicenses": [{"skuId": "00000000-0000-0000-0000-000000000001", "disabledPlans": []}]});
    let docs: Vec<serde_json::Value> = set.names().filter_map(|n| set.get(n).cloned()).collect();
    group.bench_function("first_validation_of_user", |b| {
        b.iter_batched(
            || SchemaSet::new(docs.clone()).unwrap(),
            |fresh| {
                let findings = fresh.validate("microsoft.graph.user", &user).unwrap();
                assert!(findings.is_empty(), "{findings:?}");
                fresh
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = bench_metadata
}
criterion_main!(benches);
