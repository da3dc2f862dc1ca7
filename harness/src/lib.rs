//! `conform`: conformance tests for REST APIs documented the way Microsoft Graph is.
#![warn(missing_docs)]

pub mod baseline;
pub mod doc;
pub mod error;
pub mod extract;
pub mod files;
pub mod http;
pub mod json;
pub mod lint;
pub mod merge;
pub mod mock;
pub mod model;
pub mod pipeline;
pub mod placeholder;
pub mod pointer;
pub mod progress;
pub mod redact;
pub mod replay;
pub mod report;
pub mod schema;
pub mod strict_json;
pub mod testing;

pub use pipeline::Conformance;
