//! The real Graph docs corpus (11,289 pages of 2021-07), in one test binary so that it is
//! unpacked, extracted and linted once for every test that reads it, and those tests run side
//! by side: extraction survives every page, the whole corpus passes against the embedded mock,
//! and every failure against the documented answers names its doc defect.

#[path = "../common/mod.rs"]
mod common;

mod extraction;
mod replay;
mod verbatim_docs;
