//! What a study directory says about its study, read without taking the study's lock: the
//! configuration (`study.json`), the plan and progress (the journal's events file) and whether
//! a live process holds it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use meshagents_engine::{live_holder, read_events, Event, EventLine, RecordKind, ServerEvent};
use serde::Serialize;

use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum StudyState {
    /// Every planned step has completed.
    Finished,
    /// A live process holds the journal.
    Running { pid: u32 },
    /// Paused after the panel until a person approves its confounder set (`study approve`).
    AwaitingApproval,
    /// Started but neither finished nor running: run the same command again to resume.
    Stopped,
    /// A directory with a study configuration but no journal events yet.
    New,
}

impl StudyState {
    /// The state's short name, as `study list`, `study status` and the TUI print it.
    pub fn label(&self) -> &'static str {
        match self {
            StudyState::Finished => "finished",
            StudyState::Running { .. } => "running",
            StudyState::AwaitingApproval => "awaiting approval",
            StudyState::Stopped => "stopped",
            StudyState::New => "new",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyStatus {
    pub dir: PathBuf,
    pub study: String,
    #[serde(flatten)]
    pub state: StudyState,
    pub steps_done: usize,
    pub steps_total: usize,
    /// Milliseconds since the Unix epoch of the first journal event.
    pub started_ms: Option<u64>,
    pub last_event: Option<EventLine>,
    /// Where the panel's words come from: `embedded`, `openai-compatible:MODEL`, or `none`
    /// when the configuration fixes the covariates.
    pub backend: String,
    /// The last event of the model server the study manages (`[panel.server]`): started
    /// (port, pid, seconds to healthy), stopped or exited; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_server: Option<ServerEvent>,
    pub config: serde_json::Value,
}

/// The panel backend a study's configuration (`study.json`) names.
fn backend_of(config: &serde_json::Value) -> String {
    let study = &config["config"];
    if !study["covariates"].is_null() {
        return "none".into();
    }
    match study["panel"]["backend"].as_str() {
        Some("openai") => format!(
            "openai-compatible:{}",
            study["panel"]["openai"]["model"].as_str().unwrap_or("?")
        ),
        Some(other) => other.to_string(),
        // The demo always meets with the embedded panel.
        None => "embedded".into(),
    }
}

/// Reads the status of the study in `dir`.
pub fn study_status(dir: &Path) -> Result<StudyStatus, WorkflowError> {
    let config_path = dir.join("study.json");
    let text = std::fs::read_to_string(&config_path).map_err(|_| WorkflowError::File {
        path: dir.display().to_string(),
        message: "not a study directory (no study.json)".into(),
    })?;
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        WorkflowError::json(format!("{}: not valid JSON", config_path.display()), e)
    })?;
    let journal = dir.join("journal");
    let events = read_events(&journal);
    let plan = plan_steps(&events);
    let completed: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.kind == RecordKind::StepCompleted)
        .map(|e| e.step.as_str())
        .collect();
    let steps_done = plan
        .iter()
        .filter(|s| completed.contains(s.as_str()))
        .count();
    let state = match live_holder(&journal) {
        Some(pid) if pid != std::process::id() => StudyState::Running { pid },
        _ if events.is_empty() => StudyState::New,
        _ if !plan.is_empty() && steps_done == plan.len() => StudyState::Finished,
        _ if dir.join("proposed_confounders.json").is_file()
            && !dir.join("approval.json").is_file() =>
        {
            StudyState::AwaitingApproval
        }
        _ => StudyState::Stopped,
    };
    Ok(StudyStatus {
        dir: dir.to_path_buf(),
        study: config
            .get("study")
            .and_then(|s| s.as_str())
            .unwrap_or("unknown")
            .to_string(),
        state,
        steps_done,
        steps_total: plan.len(),
        started_ms: events.first().map(|e| e.at_ms),
        last_event: events.last().cloned(),
        backend: backend_of(&config),
        model_server: events.iter().rev().find_map(|e| match &e.body {
            Some(Event::ModelServer { model_server }) => Some(model_server.clone()),
            _ => None,
        }),
        config,
    })
}

/// Every study directly under `root` (directories holding a `study.json`), by name.
pub fn list_studies(root: &Path) -> Result<Vec<StudyStatus>, WorkflowError> {
    let entries = std::fs::read_dir(root)
        .map_err(|e| WorkflowError::io(format!("{}: cannot list studies", root.display()), e))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("study.json").is_file())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| study_status(d)).collect()
}

/// A journal time (milliseconds since the Unix epoch) as a UTC calendar date and time: the
/// one place dates are written, for `study status`, `study list` and the TUI. The calendar
/// is jiff's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime(jiff::Timestamp);

impl UtcTime {
    /// A time past jiff's range (the end of the year 9999) is shown as jiff's last instant.
    pub fn from_ms(ms: u64) -> Self {
        let ms = i64::try_from(ms).unwrap_or(i64::MAX);
        UtcTime(jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::MAX))
    }

    /// `YYYY-MM-DD HH:MM`, for narrow columns.
    pub fn to_minutes(&self) -> String {
        self.0.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

impl std::fmt::Display for UtcTime {
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} UTC", self.0.strftime("%Y-%m-%d %H:%M:%S"))
    }
}

/// The steps of a study's plan as its last `study/plan` event lists them (empty before one).
pub fn plan_steps(events: &[EventLine]) -> Vec<String> {
    events
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            Some(Event::Plan { steps, .. }) => Some(steps.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod time_tests {
    use super::UtcTime;

    #[test]
    fn dates_from_journal_times() {
        assert_eq!(UtcTime::from_ms(0).to_string(), "1970-01-01 00:00:00 UTC");
        let t = UtcTime::from_ms(1_796_023_472_974);
        assert_eq!(t.to_string(), "2026-11-30 07:24:32 UTC");
        assert_eq!(t.to_minutes(), "2026-11-30 07:24");
        assert_eq!(
            UtcTime::from_ms(951_782_400_000).to_minutes(),
            "2000-02-29 00:00"
        );
        assert_eq!(UtcTime::from_ms(u64::MAX).to_minutes(), "9999-12-30 22:00");
    }
}
