//! The files a study reads, fingerprinted in its journal, so that a study whose data changed
//! under it stops instead of mixing the two. A resumed study replays its finished steps from
//! the journal: had the cohort been replaced after step 3, steps 1-3 would stand on the old
//! file and steps 4-9 on the new one, and a finished study would say "already finished" about
//! data it never saw. So the first run journals each input's size, modification time and
//! SHA-256, and every later run compares: the same size and time is the same file (no reading);
//! a different one is hashed again, and only a different hash is a change (a copy or a `touch`
//! is not).

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use meshagents_engine::Journal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::WorkflowError;

/// The journal key of the fingerprints; `study fork` copies it with the steps it reuses.
pub const KEY: &str = "inputs/fingerprint";

/// One input as the study first read it. (Not `path` and `sha256`: those name the files a
/// step wrote, which `study fork` copies.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub input: PathBuf,
    pub bytes: u64,
    /// Nanoseconds since the Unix epoch of the last modification, when the system keeps it.
    pub modified_ns: Option<u128>,
    pub content_sha256: String,
}

/// SHA-256 of a file, read in pieces (a cohort can be larger than memory), and its size.
pub fn sha256_file(path: &Path) -> Result<(String, u64), WorkflowError> {
    let mut file =
        std::fs::File::open(path).map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)
        .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), bytes))
}

/// Size and modification time, without reading the file.
pub(crate) fn stat(path: &Path) -> Result<(u64, Option<u128>), WorkflowError> {
    let meta =
        std::fs::metadata(path).map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos());
    Ok((meta.len(), modified))
}

fn fingerprint(path: &Path) -> Result<Fingerprint, WorkflowError> {
    let (bytes, modified_ns) = stat(path)?;
    let (sha256, _) = sha256_file(path)?;
    Ok(Fingerprint {
        input: path.to_path_buf(),
        bytes,
        modified_ns,
        content_sha256: sha256,
    })
}

/// The request is constant: which files a study reads is part of its configuration, which
/// `study.json` already guards; the fingerprints are the result.
fn request() -> serde_json::Value {
    serde_json::json!({ "version": 1 })
}

/// Journals the fingerprints of `inputs` on a study's first run; on every later run, an
/// error naming the first input whose content changed since (`out` is the study, for the
/// message's advice).
pub fn check(journal: &Journal, out: &Path, inputs: &[&Path]) -> Result<(), WorkflowError> {
    let request = request();
    let journaled: Option<Vec<Fingerprint>> = journal.replay(KEY, &request)?;
    let Some(journaled) = journaled else {
        journal.step(KEY, &request, || {
            inputs
                .iter()
                .map(|p| fingerprint(p))
                .collect::<Result<Vec<_>, _>>()
        })?;
        return Ok(());
    };
    compare(&journaled, out)
}

/// An error naming the first input whose content changed since a study journaled its
/// fingerprints; nothing when it has none yet. `study fork` asks this of the study it forks
/// before it copies anything, so that a fork that could not run is never made.
pub fn check_unchanged(journal: &Journal, study: &Path) -> Result<(), WorkflowError> {
    let journaled: Option<Vec<Fingerprint>> = journal.replay(KEY, &request())?;
    match journaled {
        Some(journaled) => compare(&journaled, study),
        None => Ok(()),
    }
}

fn compare(journaled: &[Fingerprint], out: &Path) -> Result<(), WorkflowError> {
    for before in journaled {
        let (bytes, modified_ns) = stat(&before.input)?;
        if (bytes, modified_ns) == (before.bytes, before.modified_ns) {
            continue;
        }
        let (sha256, _) = sha256_file(&before.input)?;
        if sha256 != before.content_sha256 {
            return Err(WorkflowError::Invalid(format!(
                "{} changed since this study first read it ({} bytes then, {bytes} now; SHA-256 {} then, {} now): the steps it finished were computed from the old content, and going on would mix the two. Run the new data as a new study (`--out` another folder), or fork this one from its first step: meshagents study fork {} --from data/clean --out NEW",
                before.input.display(),
                before.bytes,
                &before.content_sha256[..12],
                &sha256[..12],
                out.display()
            )));
        }
    }
    Ok(())
}
