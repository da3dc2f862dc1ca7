//! The model: cases (what the docs say) and results (what a run found).

pub mod case;
pub mod coverage;
pub mod result;
