//! `meshagents-engine`: the durable runtime a study runs on.
//!
//! A study is code that performs *steps* (a statistics job, an agent meeting, an export)
//! through a [`Journal`]. Each step is recorded in an append-only log in sled before it runs
//! and again with its result after it runs, and both records are flushed to disk before the
//! workflow moves on. Running the same study again replays completed steps from the journal
//! instead of performing them, which is what makes a killed study resumable without repeating
//! work (or paying twice for an LLM call).
//!
//! Long activities can run on a cluster: [`slurm::run_array`] runs an array job on Slurm as
//! journaled submission steps, re-attaching to its job after a restart.
//!
//! What a study reports besides steps is an [`Event`] (the study's plan, retries, Slurm
//! jobs, merges, model servers, transcript lines), typed, with the JSON its readers know.
//!
//! The engine knows nothing about medicine, statistics or agents: requests and results are
//! opaque JSON values. Must not depend on: `meshagents-stats`, `meshagents-agents`,
//! `meshagents-workflows`, `meshagents-tui`.
#![forbid(unsafe_code)]

pub mod activity;
mod event;
mod journal;
mod record;
pub mod slurm;

pub use activity::{run_activities_until, run_activity, AttemptError, RetryPolicy};
pub use event::{Event, MergedTag, RetryTag, ServerEvent};
pub use journal::{events_path, live_holder, read_events, EventLine, Intent, Journal, StepOutcome};
pub use record::{Record, RecordKind, RECORD_FORMAT_VERSION};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the study journal at {path} is locked by another process{}; wait for it to finish or stop it first", holder.map(|p| format!(" (PID {p})")).unwrap_or_default())]
    Locked { path: PathBuf, holder: Option<u32> },
    #[error("cannot open the study journal at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("journal storage error: {0}")]
    Storage(#[from] sled::Error),
    #[error("journal record {seq} is corrupt ({reason}) and is not at the tail; the journal cannot be trusted")]
    Corrupt { seq: u64, reason: String },
    #[error("non-determinism at step '{step}': the request differs from the journaled one (journaled hash {journaled}, now {now}); the study's code or inputs changed since it ran: use a new output directory or fork the study")]
    NonDeterminism {
        step: String,
        journaled: String,
        now: String,
    },
    #[error("cannot encode or decode the record of step '{step}': {message}")]
    Codec { step: String, message: String },
    #[error("step '{step}' failed: {message}")]
    StepFailed { step: String, message: String },
    /// Activities abandoned on request (a pause) while in flight; they have no result in the
    /// journal and run again on resume.
    #[error("stopped on request while {} ran; what finished is journaled, the rest runs again on resume", steps.join(", "))]
    Stopped { steps: Vec<String> },
}
