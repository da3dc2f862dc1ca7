//! What the criterion benchmarks share.

use std::time::Duration;

use criterion::Criterion;

/// Few samples and short measurements, so each `cargo bench --bench NAME` ends within a minute.
pub fn quick() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}
