//! What a person (or, with `--headless`, a program) reads while a command runs: step lines and
//! activity on stderr, JSON events on stdout.

use std::time::Instant;

use meshagents_engine::slurm::{ArrayEvent, TaskFailure};
use meshagents_engine::{Event, ServerEvent};
use meshagents_workflows::{Progress, TranscriptEntry};

use crate::headless::Line;

/// Reports steps: human lines on stderr, and with `--headless` JSON lines on stdout (human lines
/// then only when stderr is a terminal).
pub struct StepReporter {
    started: std::sync::Mutex<Option<Instant>>,
    headless: bool,
    human: bool,
    /// The last Slurm progress reported.
    last_progress: std::sync::Mutex<Option<ArrayEvent>>,
}

impl StepReporter {
    pub fn new(headless: bool) -> Self {
        use std::io::IsTerminal;
        StepReporter {
            started: std::sync::Mutex::new(None),
            headless,
            human: !headless || std::io::stderr().is_terminal(),
            last_progress: Default::default(),
        }
    }

    /// A line for a person on stderr: always without --headless, and with it only when stderr
    /// is a terminal.
    pub fn human_line(&self, line: impl FnOnce() -> String) {
        if self.human {
            eprintln!("{}", line());
        }
    }

    /// A `--headless` line on stdout (nothing without `--headless`).
    pub fn line(&self, line: &crate::headless::Line) {
        if self.headless {
            line.print();
        }
    }

    /// The `study_stopped` event of a study that ended with an error (or a pause).
    pub fn stopped(&self, out: &std::path::Path, error: &meshagents_workflows::WorkflowError) {
        self.line(&Line::StudyStopped {
            dir: out,
            error: meshagents_workflows::error_text(error),
            exit_code: crate::exit_code_of(error),
        });
    }
}

impl Progress for StepReporter {
    fn event(&self, event: &Event) {
        // The queue is looked at every few seconds: report progress only when it changes.
        if let Event::Slurm {
            slurm: counts @ ArrayEvent::Progress { .. },
            ..
        } = event
        {
            if let Ok(mut last) = self.last_progress.lock() {
                if last.as_ref() == Some(counts) {
                    return;
                }
                *last = Some(counts.clone());
            }
        }
        self.line(&Line::Activity { body: event });
        if self.human {
            if let Some(line) = human_event(event) {
                eprintln!("    {line}");
            }
        }
    }

    fn step_started(&self, index: usize, total: usize, title: &str) {
        if let Ok(mut started) = self.started.lock() {
            *started = Some(Instant::now());
        }
        tracing::info!(index, total, title, "step started");
        self.line(&Line::StepStarted {
            index,
            total,
            step: title,
        });
    }

    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str) {
        let elapsed = self
            .started
            .lock()
            .ok()
            .and_then(|t| *t)
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        self.line(&Line::StepFinished {
            index,
            total,
            step: title,
            replayed,
            detail,
            seconds: elapsed,
        });
        if !self.human {
            return;
        }
        if replayed {
            eprintln!("[{index}/{total}] {title}: {detail} (from the journal)");
        } else {
            eprintln!("[{index}/{total}] {title}: {detail} ({elapsed:.1} s)");
        }
    }

    fn panel_event(&self, entry: &TranscriptEntry) {
        self.line(&Line::Panel { entry });
        // On the terminal, the meeting's milestones only; the rest is in transcript.md.
        if self.human && (entry.kind == "agreement" || entry.kind == "abstain") {
            eprintln!("      panel {}: {}", entry.stage, entry.text);
        }
    }
}

/// A human line for an activity event (see `Progress::event`), if it deserves one.
fn human_event(event: &Event) -> Option<String> {
    match event {
        Event::Merged {
            shards,
            array_seconds,
            merge_seconds,
            family_size,
            ..
        } => Some(format!(
            "merged {shards} parts in {merge_seconds:.2} s (array job {array_seconds:.1} s); family size {family_size}"
        )),
        Event::ModelServer { model_server } => Some(model_server_line(model_server)),
        Event::Slurm { slurm, .. } => Some(slurm_line(slurm)),
        _ => None,
    }
}

fn slurm_line(event: &ArrayEvent) -> String {
    match event {
        ArrayEvent::Submitted {
            job_id,
            tasks,
            reattached,
            ..
        } => {
            let tasks = tasks
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(",");
            if *reattached {
                format!("Slurm job {job_id} (tasks {tasks}) is in the journal: re-attached, not submitted again")
            } else {
                format!("submitted Slurm job {job_id} (tasks {tasks})")
            }
        }
        ArrayEvent::TaskFailed {
            failure:
                TaskFailure {
                    task,
                    job_id,
                    state,
                    attempts,
                    log,
                },
            retrying,
        } => format!(
            "task {task} of Slurm job {job_id}: {state} (attempt {attempts}){}; log {}",
            if *retrying {
                ", submitting it again"
            } else {
                ""
            },
            log.display()
        ),
        ArrayEvent::Progress {
            done,
            running,
            pending,
            tasks,
        } => format!("tasks: {done} done, {running} running, {pending} pending of {tasks}"),
    }
}

/// A human line for an event of the managed model server (`[panel.server]`).
pub fn model_server_line(event: &ServerEvent) -> String {
    match event {
        ServerEvent::Started {
            port,
            pid,
            healthy_after_s,
            log,
            ..
        } => format!(
            "model server started on port {port} (pid {pid}), healthy after {} s; log {}",
            json_number(*healthy_after_s),
            log.display()
        ),
        ServerEvent::Stopped { pid, port, .. } => {
            format!("model server stopped (pid {pid}, port {port})")
        }
        ServerEvent::Exited { pid, status, log } => format!(
            "model server (pid {}) exited on its own: {status}; log {}",
            pid.map_or_else(|| "null".to_string(), |p| p.to_string()),
            log.display()
        ),
    }
}

/// A float as JSON writes it (`2.0`, not Rust's `2`): these lines once printed the JSON value.
fn json_number(x: f64) -> String {
    serde_json::Number::from_f64(x).map_or_else(|| "null".to_string(), |n| n.to_string())
}

/// Says how a study run went: already finished, or finished with so many steps run.
pub fn report_run(
    out: &std::path::Path,
    started: Instant,
    steps_run: usize,
    steps_replayed: usize,
) {
    if steps_run == 0 {
        eprintln!(
            "study in {} was already finished; nothing recomputed",
            out.display()
        );
    } else {
        eprintln!("study finished in {:.1} s ({steps_run} steps run, {steps_replayed} replayed from the journal)", started.elapsed().as_secs_f64());
    }
}

/// The closing line of a PheWAS: counts, family size, hits.
pub fn phewas_report(
    request: &meshagents_stats::phewas::PhewasRequest,
    rows: &[meshagents_stats::phewas::AssociationRow],
    family_size: usize,
    seconds: f64,
    out: &std::path::Path,
) -> String {
    let count = |status: &str| rows.iter().filter(|r| r.status == status).count();
    format!(
        "{} phenotypes x {} factors: {} rows ({} ok, {} skipped, {} failed) in {:.1} s; family size {}; {} Bonferroni hits; {}",
        request.phenotypes.len(),
        request.factors.len(),
        rows.len(),
        count("ok"),
        count("skipped"),
        count("failed"),
        seconds,
        family_size,
        rows.iter().filter(|r| r.status == "ok" && r.bonferroni < 0.05).count(),
        out.display()
    )
}
