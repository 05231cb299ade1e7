//! `meshagents-stats`: the numbers of a study.
//!
//! Owns data loading (polars), the cohort simulator, cleaning, the association models,
//! multiple-testing correction, the disease-classification validation (`classify`), and the
//! paper-ready exports (`export`) and figures (`figures`). It is synchronous and knows nothing
//! about agents, journals or the terminal: every function takes data and returns data, so
//! workflows can wrap any of them as a journaled activity and agents can call them as tools.
//!
//! The crate is laid out in rooms, each a folder that says what it holds:
//! - `data`: the file formats and value types every other room reads (tables, the dictionary,
//!   typing, transforms);
//! - `cohort`: a table made ready for analysis (catalog, load, cleaning, near-duplicates) and
//!   the discovery/validation split;
//! - `simulate`: the seeded cohort generator and its field catalogue;
//! - `models`: the regression fitters and their kernels;
//! - `phewas`: the association engine (request, column lists, plan and shards, run, rows);
//! - `confounding`: the screens the panel reads to choose confounders;
//! - `classify`: the disease-classification validation;
//! - `figures` and `export`: what a paper takes from the two result tables;
//! - `text`: how a name is shortened for display, the one rule they and the report share.
//!
//! Must not depend on: `meshagents-engine`, `meshagents-agents`, `meshagents-workflows`,
//! `meshagents-tui`, or any async runtime.

pub mod classify;
pub mod cohort;
pub mod confounding;
pub mod data;
pub mod error;
pub mod export;
pub mod figures;
pub mod models;
pub mod phewas;
pub mod simulate;
#[cfg(test)]
mod testing;
pub mod text;
pub mod ukb;

pub use error::StatsError;
