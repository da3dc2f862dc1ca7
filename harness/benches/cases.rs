//! Benchmark of loading a folder of cases: reading, parsing and sorting a thousand case files,
//! whole (`model::case::load_dir`, as a run against the embedded mock starts) and lean
//! (`load_dir_with` and `CaseFiles::load_lean`, as a run against a URL starts: request bodies
//! kept as text, response bodies read only for the properties the coverage counts).

use std::path::Path;

use conform::model::case::{CaseFiles, file_name_for, load_dir, load_dir_with, load_file};
use conform::model::coverage::ResponseProperties;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;

/// Case files in the folder loaded.
const CASES: usize = 1_000;

fn bench_load_dir(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let seed = load_file(&root.join("cases/003_e135c242e05b0c0b.update_hostsecurityprofile.json"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..CASES {
        let mut case = seed.clone();
        case.id = format!("bench_patch_{i:07}");
        case.request.path = format!("/Security/hostSecurityProfiles/bench-{i:07}");
        case.request.params.clear();
        std::fs::write(dir.path().join(file_name_for(&case.id)), case.to_json()).unwrap();
    }
    assert_eq!(load_dir(dir.path()).unwrap().len(), CASES);

    let mut group = c.benchmark_group("load_dir");
    group.throughput(Throughput::Elements(CASES as u64));
    group.bench_function(format!("{CASES}_cases"), |b| {
        b.iter(|| load_dir(dir.path()).unwrap())
    });
    group.bench_function(format!("{CASES}_cases_bodies_on_disk"), |b| {
        b.iter(|| {
            load_dir_with(
                dir.path(),
                |p| {
                    let lean = CaseFiles::load_lean::<ResponseProperties>(p)?;
                    Ok((lean.case, (lean.response, lean.left)))
                },
                |_, _, _| {},
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = bench_load_dir
}
criterion_main!(benches);
