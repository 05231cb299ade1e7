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
mod error;
mod files;
pub mod fork;
pub mod holdout;
pub mod inputs;
pub mod interrupt;
mod model_server;
pub mod panel;
pub mod phewas;
pub mod plan;
mod progress;
pub mod report;
mod report_input;
mod report_methods;
mod report_numbers;
mod report_tables;
mod runner;
mod steps;
pub mod study;
pub mod study_run;
mod summary;
mod tool_host;
pub mod ukb;
pub mod validation;

pub use cluster::{CohortSource, ExecutorConfig, ExecutorKind};
pub use demo::{run_demo, DemoConfig, DemoOutcome};
pub use error::{error_text, WorkflowError};
pub use files::{check_output_folder, OutputFolder, RUN_LOG};
pub use fork::{fork_study, read_fork_origin, ForkOrigin};
pub use meshagents_agents::protocol::TranscriptEntry;
pub use model_server::{ServerConfig, ServerError, SERVER_EVENT_KEY};
pub use phewas::{run_phewas, PhewasJob, PhewasOutcome, PhewasProgress};
pub use plan::{Plan, Step};
pub use progress::{transcript_entry, Progress};
pub use steps::{CleanResult, PanelResult, PhewasResult, SimulateResult};
pub use study::{list_studies, study_status, StudyState, StudyStatus};
pub use study_run::{approve, run_study, Approval, StudyConfig, StudyOutcome};
