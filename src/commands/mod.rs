//! One file per command: each turns its arguments into a call of the library crates and
//! reports the outcome.

pub mod demo;
pub mod phewas;
pub mod simulate;
pub mod study_approve;
pub mod study_export;
pub mod study_fork;
pub mod study_list;
pub mod study_run;
pub mod study_status;
pub mod tui;
pub mod ukb;

use meshagents_workflows::{StudyState, StudyStatus};

/// A study's state as `study status` and `study list` print it: the label, and the PID of
/// the process running it.
fn state_text(s: &StudyStatus) -> String {
    match &s.state {
        StudyState::Running { pid } => format!("{} (PID {pid})", s.state.label()),
        other => other.label().to_string(),
    }
}

/// A journal time as `study status` and `study list` print it.
fn when(ms: Option<u64>) -> String {
    ms.map(|ms| meshagents_workflows::study::UtcTime::from_ms(ms).to_string())
        .unwrap_or_else(|| "-".into())
}
