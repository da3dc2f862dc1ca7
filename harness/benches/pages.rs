//! Benchmark of reading doc pages (`doc::read_page`): the seed pages one by one, and one large
//! page made of the seed pages repeated, where costs that grow faster than the page show.

use std::path::Path;

use conform::doc::read_page;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;

/// Times the seed pages are repeated in the large page.
const REPEATS: usize = 40;

fn bench_read_page(c: &mut Criterion) {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/seeds");
    let mut pages: Vec<(String, String)> = std::fs::read_dir(&seeds)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", seeds.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            (path.display().to_string(), text)
        })
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "no seed pages in {}", seeds.display());
    let seed_bytes: usize = pages.iter().map(|(_, t)| t.len()).sum();
    let large: String = pages
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .repeat(REPEATS);
    let blocks = read_page(
        "seeds.md",
        &pages.iter().map(|(_, t)| t.as_str()).collect::<String>(),
    )
    .blocks
    .len();
    assert_eq!(read_page("large.md", &large).blocks.len(), blocks * REPEATS);

    let mut group = c.benchmark_group("read_page");
    group.throughput(Throughput::Bytes(seed_bytes as u64));
    group.bench_function(format!("{}_seed_pages", pages.len()), |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|(file, text)| read_page(file, text).blocks.len())
                .sum::<usize>()
        })
    });
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_function(format!("large_page_{}_kib", large.len() / 1024), |b| {
        b.iter(|| read_page("large.md", &large))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = bench_read_page
}
criterion_main!(benches);
