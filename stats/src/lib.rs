//! `meshagents-stats`: the numbers of a study.
//!
//! Owns data loading (polars), the cohort simulator, cleaning, the association models,
//! multiple-testing correction, the disease-classification validation (`classify`), and the
//! paper-ready exports (`export`) and plots (`plots`). It is synchronous and knows nothing about agents, journals or
//! the terminal: every function takes data and returns data, so workflows can wrap any of them
//! as a journaled activity and agents can call them as tools.
//!
//! Must not depend on: `meshagents-engine`, `meshagents-agents`, `meshagents-workflows`,
//! `meshagents-tui`, or any async runtime.

pub mod association;
pub mod classify;
pub mod cohort;
pub mod confounding;
pub mod dictionary;
pub mod error;
pub mod export;
pub mod fastlinear;
pub mod fastlogistic;
pub mod io;
pub mod linalg;
pub mod logistic;
pub mod ols;
pub mod phewas;
pub mod plots;
pub mod shard;
pub mod simulate;
pub mod split;
pub mod transform;
pub mod typing;
mod vector_level;

pub use error::StatsError;
