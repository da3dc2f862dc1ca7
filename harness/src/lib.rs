//! `conform`: conformance tests for REST APIs documented the way Microsoft Graph is.
#![warn(missing_docs)]

pub mod baseline;
pub mod case;
pub mod checks;
pub mod client;
pub mod doc;
pub mod extract;
pub mod files;
pub mod http;
pub mod lint;
pub mod mock;
pub mod placeholder;
pub mod redact;
pub mod report;
pub mod result;
pub mod runner;
pub mod schema;
pub mod strict_json;
pub mod testing;
