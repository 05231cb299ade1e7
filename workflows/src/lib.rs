//! `meshagents-workflows`: the MESHAgents study, step by step.
//!
//! Wires the statistics of `meshagents-stats` and the panel of `meshagents-agents` into steps
//! journaled by `meshagents-engine`, and writes the files a user reads. This is the only crate
//! that knows both medicine and durability. Must not depend on: `meshagents-tui` or the binary.
// Not `forbid`: `model_server` keeps the one `unsafe` std requires (`CommandExt::pre_exec`),
// allowed there alone.
#![deny(unsafe_code)]

pub mod cluster;
pub mod demo;
mod files;
pub mod fork;
pub mod holdout;
pub mod interrupt;
mod model_server;
pub mod panel;
pub mod phewas;
pub mod plan;
mod progress;
pub mod report;
mod runner;
mod steps;
pub mod study;
pub mod study_run;
mod summary;
mod tool_host;
pub mod validation;

pub use cluster::{ExecutorConfig, ExecutorKind};
pub use demo::{run_demo, DemoConfig, DemoOutcome};
pub use fork::fork_study;
pub use meshagents_agents::protocol::TranscriptEntry;
pub use model_server::{ServerConfig, ServerError, SERVER_EVENT_KEY};
pub use phewas::{run_phewas, PhewasJob, PhewasOutcome, PhewasProgress};
pub use plan::{Plan, Step};
pub use progress::{transcript_entry, Progress};
pub use steps::{CleanResult, PanelResult, PhewasResult, SimulateResult};
pub use study::{list_studies, study_status, StudyState, StudyStatus};
pub use study_run::{approve, run_study, Approval, StudyConfig, StudyOutcome};

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Engine(#[from] meshagents_engine::EngineError),
    #[error(transparent)]
    Stats(#[from] meshagents_stats::StatsError),
    /// A discovery/validation split that cannot be made (the message names the key).
    #[error(transparent)]
    Split(#[from] meshagents_stats::cohort::split::SplitError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// An I/O error on `path` (or on what `path` describes), its cause kept as the source.
    #[error("{path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A column LIST of `phewas` that does not resolve against the cohort.
    #[error("{flag} (columns of {})", data.display())]
    List {
        flag: &'static str,
        data: std::path::PathBuf,
        #[source]
        source: meshagents_stats::StatsError,
    },
    /// The journal of `phewas --executor slurm` cannot be opened in its work directory.
    #[error("--work-dir {}", dir.display())]
    WorkDir {
        dir: std::path::PathBuf,
        #[source]
        source: meshagents_engine::EngineError,
    },
    /// `phewas --executor slurm` stopped while controlling its job (a pause detaches).
    #[error("the Slurm run in {} stopped", work_dir.display())]
    SlurmRun {
        work_dir: std::path::PathBuf,
        #[source]
        source: Box<WorkflowError>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("cluster job: {0}")]
    Cluster(String),
    #[error("paused on request while Slurm job(s) {} run; they keep running, and running the same command again re-attaches to them", job_ids.join(", "))]
    Detached { job_ids: Vec<String> },
    #[error(
        "paused on request before step {step} ({title}); run the same command again to resume"
    )]
    Interrupted { step: usize, title: String },
    /// A pause that abandoned the model calls in flight: the calls that finished are journaled.
    #[error("paused on request during step {step} ({title}); the model calls that finished are journaled, the ones in flight were abandoned and run again: run the same command again to resume")]
    PausedDuring { step: usize, title: String },
    /// The managed model server (`[panel.server]`) could not start, or went away.
    #[error(transparent)]
    ModelServer(#[from] model_server::ServerError),
    #[error("the panel proposes adjusting for {}; the study waits for a person's approval: run `meshagents study approve {}` (add --covariates LIST to edit the set), then the same command again", proposed.join(", "), dir.display())]
    AwaitingApproval {
        dir: std::path::PathBuf,
        proposed: Vec<String>,
    },
}

impl WorkflowError {
    /// An I/O error on `path` that keeps its cause as the error's source.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        WorkflowError::Io {
            path: path.into(),
            source,
        }
    }
}
