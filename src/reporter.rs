//! What a person (or, with `--headless`, a program) reads while a command runs: step lines and
//! activity on stderr, JSON events on stdout.

use std::time::Instant;

use meshagents_workflows::Progress;

/// Reports steps: human lines on stderr, and with `--headless` JSON lines on stdout (human lines
/// then only when stderr is a terminal).
pub struct StepReporter {
    started: std::sync::Mutex<Option<Instant>>,
    headless: bool,
    human: bool,
    /// The last Slurm progress reported (counts as JSON).
    last_progress: std::sync::Mutex<String>,
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

    pub fn json(&self, value: serde_json::Value) {
        if self.headless {
            println!("{value}");
        }
    }

    /// The `study_stopped` event of a study that ended with an error (or a pause).
    pub fn stopped(&self, out: &std::path::Path, error: &meshagents_workflows::WorkflowError) {
        self.json(serde_json::json!({ "event": "study_stopped", "dir": out, "error": meshagents_workflows::error_text(error), "exit_code": crate::exit_code_of(error) }));
    }
}

impl Progress for StepReporter {
    fn event(&self, body: &serde_json::Value) {
        // The queue is looked at every few seconds: report progress only when it changes.
        if let Some(counts) = body.get("slurm").filter(|e| e["event"] == "progress") {
            let text = counts.to_string();
            if let Ok(mut last) = self.last_progress.lock() {
                if std::mem::replace(&mut *last, text.clone()) == text {
                    return;
                }
            }
        }
        self.json(serde_json::json!({ "event": "activity", "body": body }));
        if self.human {
            if let Some(line) = human_event(body) {
                eprintln!("    {line}");
            }
        }
    }

    fn step_started(&self, index: usize, total: usize, title: &str) {
        if let Ok(mut started) = self.started.lock() {
            *started = Some(Instant::now());
        }
        tracing::info!(index, total, title, "step started");
        self.json(serde_json::json!({ "event": "step_started", "index": index, "total": total, "step": title }));
    }

    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str) {
        let elapsed = self
            .started
            .lock()
            .ok()
            .and_then(|t| *t)
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        self.json(serde_json::json!({ "event": "step_finished", "index": index, "total": total, "step": title, "replayed": replayed, "detail": detail, "seconds": elapsed }));
        if !self.human {
            return;
        }
        if replayed {
            eprintln!("[{index}/{total}] {title}: {detail} (from the journal)");
        } else {
            eprintln!("[{index}/{total}] {title}: {detail} ({elapsed:.1} s)");
        }
    }

    fn panel_event(&self, entry: &serde_json::Value) {
        self.json(serde_json::json!({ "event": "panel", "entry": entry }));
        // On the terminal, the meeting's milestones only; the rest is in transcript.md.
        let kind = entry["kind"].as_str().unwrap_or_default();
        if self.human && (kind == "agreement" || kind == "abstain") {
            eprintln!(
                "      panel {}: {}",
                entry["stage"].as_str().unwrap_or_default(),
                entry["text"].as_str().unwrap_or_default()
            );
        }
    }
}

/// A human line for an activity event (see `Progress::event`), if it deserves one.
fn human_event(body: &serde_json::Value) -> Option<String> {
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    if body["event"] == "merged" {
        return Some(format!(
            "merged {} parts in {:.2} s (array job {:.1} s); family size {}",
            body["shards"],
            body["merge_seconds"].as_f64().unwrap_or(0.0),
            body["array_seconds"].as_f64().unwrap_or(0.0),
            body["family_size"]
        ));
    }
    if let Some(server) = body.get("model_server") {
        return model_server_line(server);
    }
    let e = body.get("slurm")?;
    let tasks = |v: &serde_json::Value| {
        v.as_array()
            .map(|t| {
                t.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    match e["event"].as_str()? {
        "submitted" if e["reattached"] == true => Some(format!(
            "Slurm job {} (tasks {}) is in the journal: re-attached, not submitted again",
            text(&e["job_id"]),
            tasks(&e["tasks"])
        )),
        "submitted" => Some(format!(
            "submitted Slurm job {} (tasks {})",
            text(&e["job_id"]),
            tasks(&e["tasks"])
        )),
        "task_failed" => Some(format!(
            "task {} of Slurm job {}: {} (attempt {}){}; log {}",
            e["task"],
            text(&e["job_id"]),
            text(&e["state"]),
            e["attempts"],
            if e["retrying"] == true {
                ", submitting it again"
            } else {
                ""
            },
            text(&e["log"])
        )),
        "progress" => Some(format!(
            "tasks: {} done, {} running, {} pending of {}",
            e["done"], e["running"], e["pending"], e["tasks"]
        )),
        _ => None,
    }
}

/// A human line for an event of the managed model server (`[panel.server]`).
pub fn model_server_line(e: &serde_json::Value) -> Option<String> {
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    match e["event"].as_str()? {
        "started" => Some(format!(
            "model server started on port {} (pid {}), healthy after {} s; log {}",
            e["port"],
            e["pid"],
            e["healthy_after_s"],
            text(&e["log"])
        )),
        "stopped" => Some(format!(
            "model server stopped (pid {}, port {})",
            e["pid"], e["port"]
        )),
        "exited" => Some(format!(
            "model server (pid {}) exited on its own: {}; log {}",
            e["pid"],
            text(&e["status"]),
            text(&e["log"])
        )),
        _ => None,
    }
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
