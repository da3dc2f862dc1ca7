//! The CSDL to JSON Schema generator: seed types exactly as the metadata defines them, instances
//! judged right, and every type of both full metadata files compiling.

mod common;
mod full_corpus;
mod instances;
mod seed_types;
