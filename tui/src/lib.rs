//! `meshagents-tui`: the terminal front end for epidemiologists (ratatui, `meshagents tui`).
//!
//! The study list, the new-study wizard, the live panel view with the approval gate, and the
//! results browser. It follows every study read-only through its events file
//! (`DIR/journal.events.jsonl`) and result files, never opening a journal, so it can watch a
//! study that another process runs. It starts studies by spawning the `meshagents` binary
//! (`study run STUDY.toml --out DIR --headless`) as a child in its own process group, so a
//! study keeps running headless when the TUI quits. It holds no analysis logic of its own.
//!
//! Split for testing: [`app`] is the state machine (`App::update(msg) -> effects`, no I/O),
//! [`view`] renders a state onto a frame, [`model`] reads and writes study files through their owners in the library crates, and
//! [`runtime`] owns the terminal, the clock and the child processes.
//!
//! Must not depend on: `meshagents-agents` directly (it sees the panel only through
//! `meshagents-workflows` and the events file), nor on the binary. It uses
//! `meshagents-engine` to read events files and `meshagents-stats` for the result tables, the
//! dictionary and the exports (their owners: it parses no study file itself); the
//! edges allowed are listed in ARCHITECTURE.md and checked by `tests/architecture.rs`.
#![forbid(unsafe_code)]

pub mod app;
pub mod model;
pub mod runtime;
pub mod view;

pub use runtime::run;

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("terminal: {0}")]
    Terminal(std::io::Error),
    /// Started without a terminal (cron, CI, `ssh` without `-t`, a pipe): drawing would fail.
    #[error("tui needs a terminal, and its {0} is not one; to run a study without one, use `meshagents study run --headless` and `meshagents study status --json`")]
    NoTerminal(&'static str),
    #[error("{0}")]
    Format(String),
    /// Boxed: a workflow error carries paths and sources, and every TUI result would pay its
    /// size.
    #[error(transparent)]
    Workflow(Box<meshagents_workflows::WorkflowError>),
    /// A study file read or written by its owner in `stats` (boxed as above).
    #[error(transparent)]
    Stats(Box<meshagents_stats::StatsError>),
}

impl From<meshagents_stats::StatsError> for TuiError {
    fn from(e: meshagents_stats::StatsError) -> Self {
        TuiError::Stats(Box::new(e))
    }
}

impl From<meshagents_workflows::WorkflowError> for TuiError {
    fn from(e: meshagents_workflows::WorkflowError) -> Self {
        TuiError::Workflow(Box::new(e))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_filter;

#[cfg(test)]
mod tests_results;

#[cfg(test)]
mod tests_wizard;
