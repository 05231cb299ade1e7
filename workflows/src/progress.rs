//! Where a study reports what it is doing. Its own module, below everything that reports
//! (the runner, the panel, the model server), so that none of them imports another for it.

/// Where a study reports what it is doing (the CLI prints it; tests ignore it).
pub trait Progress: Sync {
    fn step_started(&self, index: usize, total: usize, title: &str);
    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str);
    /// A line of the panel's transcript as it happens (agents' messages, tool calls, votes).
    fn panel_event(&self, _entry: &serde_json::Value) {}
    /// Something a long step is doing (a Slurm job submitted, its tasks' progress); a JSON
    /// object. Ignored unless the front end shows it.
    fn event(&self, _body: &serde_json::Value) {}
}

/// Reports nothing (checks of one stage on its own).
pub(crate) struct Quiet;

impl Progress for Quiet {
    fn step_started(&self, _: usize, _: usize, _: &str) {}
    fn step_finished(&self, _: usize, _: usize, _: &str, _: bool, _: &str) {}
}
