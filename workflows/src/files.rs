//! Files a step writes, with their hashes, so a replayed step can check that what it wrote
//! is still there and unchanged.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenFile {
    /// Path relative to the study directory.
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

pub fn hash_file(path: &Path) -> Result<(String, u64), WorkflowError> {
    crate::inputs::sha256_file(path)
}

pub fn record(dir: &Path, relative: &str) -> Result<WrittenFile, WorkflowError> {
    let (sha256, bytes) = hash_file(&dir.join(relative))?;
    Ok(WrittenFile {
        path: relative.to_string(),
        sha256,
        bytes,
    })
}

/// Checks that files written by a replayed step are still as they were.
pub fn verify(dir: &Path, files: &[WrittenFile]) -> Result<(), WorkflowError> {
    for f in files {
        let path = dir.join(&f.path);
        let (sha256, _) = hash_file(&path).map_err(|_| WorkflowError::File {
            path: path.display().to_string(),
            message: "written by a completed step but now missing; remove the study directory (or choose a new --out) to run it again".into(),
        })?;
        if sha256 != f.sha256 {
            return Err(WorkflowError::File {
                path: path.display().to_string(),
                message: "changed since the step that wrote it completed; remove the study directory (or choose a new --out) to run it again".into(),
            });
        }
    }
    Ok(())
}

/// Writes `DIR/study.json` (`{"study": KIND, "config": ...}`), or checks that the directory's
/// existing one is the same: a directory holding a study made with another configuration is
/// refused rather than mixed.
pub(crate) fn write_study_config(
    out: &Path,
    kind: &str,
    config: &impl Serialize,
) -> Result<(), WorkflowError> {
    let path = out.join("study.json");
    let body =
        serde_json::to_string_pretty(&serde_json::json!({ "study": kind, "config": config }))
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?
            + "\n";
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing != body {
            return Err(WorkflowError::File {
                path: path.display().to_string(),
                message: format!("this directory holds a study with another configuration:\n{existing}choose another --out, or remove the directory to start again"),
            });
        }
        return Ok(());
    }
    std::fs::write(&path, body).map_err(|e| WorkflowError::io(path.display().to_string(), e))
}

/// The log a launcher (the TUI) keeps, in the study's folder, of a `study run` it started.
pub const RUN_LOG: &str = "tui-run.log";

/// What a command writes into its output folder, which says whether a folder already there
/// is one of ours (written before by the same kind of command) or somebody else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFolder {
    /// A study (`demo`, `study run`, `study fork`): ours when it holds `study.json` or a
    /// journal, even a study stopped before its first step.
    Study,
    /// A simulated cohort (`simulate`): ours when it holds only the files `simulate` writes.
    Cohort,
    /// A cohort derived from a UK Biobank extract (`meshagents ukb`, `phewas --showcase`):
    /// ours when it holds only the files the derivation writes.
    Derived,
}

/// Refuses to write into a folder that holds files meshagents did not write there, unless
/// `force`: a study writes a dozen files and a journal, and a mistyped `--out` naming a
/// folder of papers or of another tool's results would have files replaced or mixed in
/// without a word. A missing or empty folder, or one of ours, is fine.
pub fn check_output_folder(
    dir: &Path,
    kind: OutputFolder,
    force: bool,
) -> Result<(), WorkflowError> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(WorkflowError::File {
            path: dir.display().to_string(),
            message: "is a file, not a folder: choose a folder for --out".into(),
        });
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| WorkflowError::io(dir.display().to_string(), e))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let ours = match kind {
        // The TUI's wizard writes the study's STUDY.toml into its new folder, and the run's
        // log beside it, before the first `study run`: a folder of only those is that study.
        OutputFolder::Study => {
            names.iter().any(|n| n == "study.json" || n == "journal")
                || names.iter().all(|n| n == "STUDY.toml" || n == RUN_LOG)
        }
        OutputFolder::Cohort => names
            .iter()
            .all(|n| meshagents_stats::simulate::is_cohort_file(n)),
        OutputFolder::Derived => names
            .iter()
            .all(|n| crate::ukb::DERIVED_FILES.contains(&n.as_str())),
    };
    if names.is_empty() || ours || force {
        return Ok(());
    }
    let shown = first_few(&names);
    let what = match kind {
        OutputFolder::Study => "a meshagents study",
        OutputFolder::Cohort => "a simulated cohort",
        OutputFolder::Derived => "a cohort derived from a UK Biobank extract",
    };
    Err(WorkflowError::File {
        path: dir.display().to_string(),
        message: format!(
            "is not empty and is not {what} (it holds {shown}): choose a new or empty folder for --out, or pass --force to write into it anyway"
        ),
    })
}

/// Up to five names, comma-separated, and how many more there are: enough to recognise a
/// folder's content (or an export's files) in one line of an error.
pub(crate) fn first_few(names: &[impl std::fmt::Display]) -> String {
    let shown: Vec<String> = names.iter().take(5).map(|n| n.to_string()).collect();
    match names.len() {
        n if n > 5 => format!("{} and {} more", shown.join(", "), n - 5),
        _ => shown.join(", "),
    }
}
