//! `meshagents study fork DIR --from STEP --set KEY=VALUE [--name NAME] --out DIR2`: time
//! travel. The new study reuses every step of DIR before STEP (journal records, the files they
//! wrote and the panel's transcript lines), takes DIR's configuration with the changes, and
//! runs on from STEP. It records where it came from in `DIR2/fork.json` (this module owns
//! that file), so a reader can compare a fork with its parent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use meshagents_engine::{Event, Journal, RecordKind};
use serde::{Deserialize, Serialize};

use crate::study_run::StudyConfig;
use crate::WorkflowError;

/// Where a fork came from (`DIR/fork.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForkOrigin {
    /// The parent study's folder, absolute when it could be resolved.
    pub parent: PathBuf,
    /// The first step the fork ran again.
    pub from: String,
    /// The settings changed, as `KEY=VALUE` (the name given with `--name` among them).
    pub settings: Vec<String>,
}

const ORIGIN_FILE: &str = "fork.json";

/// The origin a fork recorded, `None` for a study that is not a fork (or whose `fork.json`
/// cannot be read: the study itself does not depend on it).
pub fn read_fork_origin(dir: &Path) -> Option<ForkOrigin> {
    let text = std::fs::read_to_string(dir.join(ORIGIN_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_fork_origin(out: &Path, origin: &ForkOrigin) -> Result<(), WorkflowError> {
    let path = out.join(ORIGIN_FILE);
    let text = serde_json::to_string_pretty(origin)
        .map_err(|e| WorkflowError::json(path.display().to_string(), e))?;
    std::fs::write(&path, text + "\n").map_err(|e| WorkflowError::io(path.display().to_string(), e))
}

/// Prepares `out` as a fork of the study in `source`: returns the changed configuration and
/// the steps reused. The caller then runs the study in `out`. `name`, when given, is the
/// fork's study name (read like STUDY.toml's `name`). `out` must be new or empty (or, with
/// `force`, a folder that is not a study); a fork that fails leaves nothing behind.
pub fn fork_study(
    source: &Path,
    from: &str,
    sets: &[(String, String)],
    name: Option<&str>,
    out: &Path,
    force: bool,
) -> Result<(StudyConfig, Vec<String>), WorkflowError> {
    let study_json = source.join("study.json");
    let text = std::fs::read_to_string(&study_json).map_err(|_| WorkflowError::File {
        path: source.display().to_string(),
        message: "not a study directory (no study.json)".into(),
    })?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| WorkflowError::json(study_json.display().to_string(), e))?;
    if json.get("study").and_then(|s| s.as_str()) != Some("study") {
        return Err(WorkflowError::Invalid(format!("{} is not a `study run` study; fork works on those (the demo writes a STUDY.toml you can run first)", source.display())));
    }
    let config: StudyConfig = serde_json::from_value(json["config"].clone())
        .map_err(|e| WorkflowError::json(study_json.display().to_string(), e))?;

    // Apply KEY=VALUE through TOML, so the same validation as STUDY.toml applies.
    let mut table =
        toml::Value::try_from(&config).map_err(|e| WorkflowError::Invalid(e.to_string()))?;
    for (key, value) in sets {
        let parsed: toml::Value = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|t| t.get("v").cloned())
            .unwrap_or_else(|| toml::Value::String(value.clone()));
        let mut node = &mut table;
        let parts: Vec<&str> = key.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            node = node
                .as_table_mut()
                .and_then(|t| t.get_mut(*part))
                .ok_or_else(|| {
                    WorkflowError::Invalid(format!("--set {key}: no section '{part}'"))
                })?;
        }
        let leaf = parts[parts.len() - 1];
        node.as_table_mut()
            .ok_or_else(|| WorkflowError::Invalid(format!("--set {key}: not a section")))?
            .insert(leaf.to_string(), parsed);
    }
    if let (Some(name), Some(t)) = (name, table.as_table_mut()) {
        // As a string whatever it reads like (`--set name=true` would be a boolean), and
        // through the reader, so the name is made printable as a STUDY.toml's is.
        t.insert("name".into(), toml::Value::String(name.to_string()));
    }
    let changed: StudyConfig = table
        .try_into()
        .map_err(|e: toml::de::Error| WorkflowError::Invalid(format!("--set: {e}")))?;

    let (plan, _) = changed.plan();
    let position = plan.iter().position(|s| *s == from).ok_or_else(|| {
        WorkflowError::Invalid(format!(
            "--from {from}: not a step of this study (steps: {})",
            plan.join(", ")
        ))
    })?;
    // The split is part of the study's identity: every step after the first saw it (the
    // clean step sets it aside), so a changed split cannot reuse any of them.
    if changed.validation != config.validation && changed.covariates.is_none() && position > 0 {
        return Err(WorkflowError::Invalid(format!(
            "--set validation.*: the discovery/validation split is part of the study's identity and every step depends on it; fork with --from {}",
            plan[0]
        )));
    }
    let reuse: Vec<&str> = plan[..position].to_vec();

    if out.join("study.json").exists() || out.join("journal").exists() {
        return Err(WorkflowError::File {
            path: out.display().to_string(),
            message: "already holds a study: choose a new --out for the fork".into(),
        });
    }
    crate::files::check_output_folder(out, crate::files::OutputFolder::Study, force)?;
    let from_journal = Journal::open(&source.join("journal"))?;
    // A fork that reuses steps would stop at once on data changed under them; say so now,
    // before anything is made, rather than leave behind a fork that can never run.
    if !reuse.is_empty() {
        crate::inputs::check_unchanged(&from_journal, source)?;
    }
    let before: Vec<std::ffi::OsString> = match std::fs::read_dir(out) {
        Ok(entries) => entries.flatten().map(|e| e.file_name()).collect(),
        Err(_) => Vec::new(),
    };
    let created = !out.exists();
    let origin = ForkOrigin {
        parent: std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf()),
        from: from.to_string(),
        settings: sets
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain(name.map(|n| format!("name={n}")))
            .collect(),
    };
    let copied = copy_reused(source, out, &from_journal, &reuse)
        .and_then(|copied| write_fork_origin(out, &origin).map(|()| copied))
        .inspect_err(|_| {
            // Half a fork (a journal without the files its steps wrote, or the reverse) is a
            // study that fails in a confusing way later: take back what this call made.
            if created {
                let _ = std::fs::remove_dir_all(out);
            } else if let Ok(entries) = std::fs::read_dir(out) {
                for entry in entries.flatten() {
                    if !before.contains(&entry.file_name()) {
                        let path = entry.path();
                        let _ = if path.is_dir() {
                            std::fs::remove_dir_all(&path)
                        } else {
                            std::fs::remove_file(&path)
                        };
                    }
                }
            }
        })?;
    Ok((changed, copied))
}

/// Copies into `out` the journal records of the `reuse` steps (with the inputs' fingerprints)
/// and the files those steps wrote; returns the steps copied.
fn copy_reused(
    source: &Path,
    out: &Path,
    from_journal: &Journal,
    reuse: &[&str],
) -> Result<Vec<String>, WorkflowError> {
    std::fs::create_dir_all(out).map_err(|e| WorkflowError::io(out.display().to_string(), e))?;
    let copied = {
        let to_journal = Journal::open(&out.join("journal"))?;
        // The inputs' fingerprints go with any reused step: those steps were computed from
        // those inputs, so a fork that reuses them must stop on changed data too. A fork from
        // the first step reuses nothing and fingerprints the data afresh.
        let mut copied = to_journal.import_completed(from_journal, |step| {
            !reuse.is_empty() && step == crate::inputs::KEY
        })?;
        // The panel's transcript lines are events, not steps: without them the fork's
        // events file (what the TUI's live panel and `study status` read) would show a panel
        // that never spoke although its decisions are reused. Each step's lines follow it, so
        // that a fork of this fork finds them the same way.
        let mut transcript = transcript_of(from_journal, reuse)?;
        for step in reuse {
            let imported = to_journal.import_completed(from_journal, |s| s == *step)?;
            if !imported.is_empty() {
                for (record_step, event) in transcript.remove(*step).unwrap_or_default() {
                    to_journal.event(&record_step, &event)?;
                }
            }
            copied.extend(imported);
        }
        // The files the reused steps wrote come along (their results name them).
        for record in from_journal.records()? {
            if copied.contains(&record.step) {
                for file in written_files(&record.payload) {
                    std::fs::copy(source.join(&file), out.join(&file)).map_err(|e| {
                        WorkflowError::io(source.join(&file).display().to_string(), e)
                    })?;
                }
            }
        }
        copied
            .into_iter()
            .filter(|step| step.as_str() != crate::inputs::KEY)
            .collect()
    };
    if reuse.contains(&"panel/approval") {
        for file in ["proposed_confounders.json", "approval.json"] {
            if source.join(file).is_file() {
                std::fs::copy(source.join(file), out.join(file))
                    .map_err(|e| WorkflowError::io(out.join(file).display().to_string(), e))?;
            }
        }
    }
    Ok(copied)
}

/// The transcript events of each of `steps`, in the journal's order: those recorded after the
/// step last started (its sub-steps, the model and tool calls, aside) and before another step
/// started. A run killed or failed before leaves its lines out: the run that completed says
/// them again. A fork's journal holds each reused step's lines right after it.
fn transcript_of(
    journal: &Journal,
    steps: &[&str],
) -> Result<HashMap<String, Vec<(String, Event)>>, WorkflowError> {
    let mut lines: HashMap<String, Vec<(String, Event)>> = HashMap::new();
    let mut current: Option<String> = None;
    for record in journal.records()? {
        match record.kind {
            RecordKind::StepStarted => {
                let inside = current
                    .as_ref()
                    .is_some_and(|c| record.step.starts_with(&format!("{c}/")));
                if steps.contains(&record.step.as_str()) {
                    lines.insert(record.step.clone(), Vec::new());
                    current = Some(record.step);
                } else if !inside {
                    current = None;
                }
            }
            RecordKind::Event => {
                if let Some(step) = &current {
                    if let Ok(event @ Event::Transcript(_)) = serde_json::from_value(record.payload)
                    {
                        lines
                            .entry(step.clone())
                            .or_default()
                            .push((record.step, event));
                    }
                }
            }
            RecordKind::StepCompleted | RecordKind::StepFailed => {}
        }
    }
    Ok(lines)
}

/// Paths of files recorded in a step result (`{"path": ..., "sha256": ...}` objects).
fn written_files(value: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    match value {
        serde_json::Value::Object(map) => {
            if let (Some(serde_json::Value::String(path)), Some(_)) =
                (map.get("path"), map.get("sha256"))
            {
                out.push(path.clone());
            }
            map.values().for_each(|v| out.extend(written_files(v)));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| out.extend(written_files(v))),
        _ => {}
    }
    out
}
