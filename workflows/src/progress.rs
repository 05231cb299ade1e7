//! Where a study reports what it is doing. Its own module, below everything that reports
//! (the runner, the panel, the model server), so that none of them imports another for it.

use meshagents_agents::protocol::TranscriptEntry;
use meshagents_engine::Event;

/// Where a study reports what it is doing (the CLI prints it; tests ignore it).
pub trait Progress: Sync {
    fn step_started(&self, index: usize, total: usize, title: &str);
    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str);
    /// A line of the panel's transcript as it happens (agents' messages, tool calls, votes).
    fn panel_event(&self, _entry: &TranscriptEntry) {}
    /// Something a long step is doing (a Slurm job submitted, its tasks' progress, a model
    /// server started). Ignored unless the front end shows it.
    fn event(&self, _event: &Event) {}
}

/// Reports nothing (checks of one stage on its own).
pub(crate) struct Quiet;

impl Progress for Quiet {
    fn step_started(&self, _: usize, _: usize, _: &str) {}
    fn step_finished(&self, _: usize, _: usize, _: &str, _: bool, _: &str) {}
}

/// The event of a transcript line, as the journal records it (`panel/transcript`).
pub(crate) fn transcript_event(entry: &TranscriptEntry) -> Event {
    Event::Transcript(serde_json::to_value(entry).unwrap_or(serde_json::Value::Null))
}

/// The transcript line an event holds, if it is one (readers of the events file).
pub fn transcript_entry(event: &Event) -> Option<TranscriptEntry> {
    match event {
        Event::Transcript(body) => serde_json::from_value(body.clone()).ok(),
        _ => None,
    }
}
