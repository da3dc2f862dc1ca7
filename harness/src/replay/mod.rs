//! Replay: plan a run (selection, parameters, resource groups), send each case's request
//! through a transport, and judge the answer with the checks.

pub mod checks;
pub mod params;
pub mod plan;
pub mod request;
pub mod retry;
pub mod runner;
pub mod transport;
