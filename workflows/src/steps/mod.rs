//! The steps of a study, one file each, shared by the demo and `study run` (the demo is the
//! simulation followed by the steps of a study with the panel). A step function runs its step
//! through the `Runner` under its `plan::Step` and checks the files a replayed step wrote.
//!
//! Where the demo and `study run` journal a step under a different request (the demo's were
//! written before configured studies existed), the caller passes the request in: a request
//! is a step's identity in old journals, so it must stay byte for byte what it was.

pub(crate) mod approval;
pub(crate) mod classify;
pub(crate) mod clean;
pub(crate) mod confounders;
pub(crate) mod figures;
pub(crate) mod phenotypes;
pub(crate) mod phewas;
pub(crate) mod report;
pub(crate) mod screen;
pub(crate) mod simulate;
pub(crate) mod summary;

pub use clean::CleanResult;
pub use phenotypes::PanelResult;
pub use phewas::PhewasResult;
pub use simulate::SimulateResult;
