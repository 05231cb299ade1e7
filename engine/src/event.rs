//! The events of a study: what the journal records besides steps (and mirrors to the events
//! file), what a running study reports live (`--headless` prints it as `activity`), and what
//! `study status`, the CLI's reporter and the TUI read back.
//!
//! The JSON of every variant predates this type: studies on disk and programs reading
//! `--headless` output know those shapes, so they are kept byte for byte (field order
//! included; the workspace's `serde_json` keeps insertion order). That is why the enum is
//! untagged on the outside: the old shapes carry their tag in different places (`"event"`,
//! `"kind"`, a wrapping key such as `"slurm"`, or none), and each variant pins its own. The
//! tests below hold each shape to the old text.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One event. Variants are tried in order when reading; the transcript, which the engine
/// cannot name, is last and takes any other object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Event {
    /// `{"model_server": {"event": ...}}`: the model server a study started itself.
    ModelServer { model_server: ServerEvent },
    /// `{"step": ..., "slurm": {"event": ...}}`: a Slurm array job's event as reported live,
    /// with the study's step when there is one.
    Slurm {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        slurm: ArrayEvent,
    },
    /// `{"event": "submitted" | "task_failed" | "progress", ...}`: a Slurm array job's event
    /// as the journal records it (under the job's key, so without a step).
    Array(ArrayEvent),
    /// The parts of a Slurm array job merged, under a study's step when there is one.
    Merged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        event: MergedTag,
        shards: usize,
        array_seconds: f64,
        merge_seconds: f64,
        family_size: usize,
    },
    /// A failed attempt of an activity that will be tried again after `wait_ms`.
    Retry {
        kind: RetryTag,
        attempt: u32,
        class: String,
        message: String,
        wait_ms: u64,
    },
    /// The steps of a study (`study`: its kind), in order: what `study status` counts against.
    Plan { study: String, steps: Vec<String> },
    /// A line of the panel's transcript (`agents::protocol::TranscriptEntry`, which the
    /// engine must not depend on; `workflows` converts both ways).
    Transcript(serde_json::Value),
}

/// The `"event": "merged"` of [`Event::Merged`]; reading accepts nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergedTag {
    Merged,
}

/// The `"kind": "retry"` of [`Event::Retry`]; reading accepts nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryTag {
    Retry,
}

/// What became of a model server a study started (`[panel.server]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ServerEvent {
    /// Healthy after `healthy_after_s` seconds (to a tenth).
    Started {
        command: String,
        port: u16,
        pid: u32,
        healthy_after_s: f64,
        log: PathBuf,
    },
    /// Exited on its own while the study ran (`pid` unknown if it was already forgotten).
    Exited {
        pid: Option<u32>,
        status: String,
        log: PathBuf,
    },
    /// Stopped by the study; `status` is the exit status when it could be read.
    Stopped {
        pid: u32,
        port: u16,
        status: Option<String>,
    },
}

impl Event {
    /// The event of a merge of `shards` parts.
    pub fn merged(
        step: Option<&str>,
        shards: usize,
        array_seconds: f64,
        merge_seconds: f64,
        family_size: usize,
    ) -> Event {
        Event::Merged {
            step: step.map(str::to_string),
            event: MergedTag::Merged,
            shards,
            array_seconds,
            merge_seconds,
            family_size,
        }
    }

    /// The event of a failed attempt that is retried.
    pub fn retry(attempt: u32, class: &str, message: &str, wait_ms: u64) -> Event {
        Event::Retry {
            kind: RetryTag::Retry,
            attempt,
            class: class.to_string(),
            message: message.to_string(),
            wait_ms,
        }
    }
}

impl From<ServerEvent> for Event {
    fn from(model_server: ServerEvent) -> Event {
        Event::ModelServer { model_server }
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;

/// A task of an array job that failed: the event while it is retried, the error once the
/// retries are spent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskFailure {
    pub task: usize,
    pub job_id: String,
    /// Slurm's state of the task (`FAILED`, `TIMEOUT`, ...).
    pub state: String,
    pub attempts: u32,
    pub log: PathBuf,
}

/// What the watcher tells its caller, for progress lines and events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ArrayEvent {
    /// A submission was made (or replayed from the journal: `reattached`).
    Submitted {
        job_id: String,
        tasks: Vec<usize>,
        number: usize,
        reattached: bool,
    },
    /// A task failed and will be submitted again (or not, when `retrying` is false).
    TaskFailed {
        #[serde(flatten)]
        failure: TaskFailure,
        retrying: bool,
    },
    /// Counts after a look at the queue.
    Progress {
        done: usize,
        running: usize,
        pending: usize,
        tasks: usize,
    },
}
