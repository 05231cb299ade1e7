//! The per-study journal: an append-only log of records in sled plus an index of completed
//! steps.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::event::Event;
use crate::record::{sha256_hex, Record, RecordKind, RECORD_FORMAT_VERSION};
use crate::EngineError;

/// What a step call did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome<T> {
    pub value: T,
    /// True when the result came from the journal and the effect was not performed.
    pub replayed: bool,
}

/// A step whose intent is on disk and whose result is not yet: the token that
/// [`Journal::complete`] and [`Journal::fail`] take.
#[derive(Debug, Clone)]
pub struct Intent {
    pub key: String,
    request_hash: String,
}

fn codec_error(step: &str, e: serde_json::Error) -> EngineError {
    EngineError::Codec {
        step: step.into(),
        message: e.to_string(),
    }
}

/// The request as JSON and the hash a replay is checked against.
fn request_hash<Req: Serialize>(
    key: &str,
    request: &Req,
) -> Result<(serde_json::Value, String), EngineError> {
    let json = serde_json::to_value(request).map_err(|e| codec_error(key, e))?;
    let bytes = serde_json::to_vec(&json).map_err(|e| codec_error(key, e))?;
    Ok((json, sha256_hex(&bytes)))
}

pub struct Journal {
    path: PathBuf,
    db: sled::Db,
    log: sled::Tree,
    completed: sled::Tree,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Journal {
    /// Opens (or creates) the journal at `path`, verifies every record and cuts a torn tail.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        let holder_file = holder_path(path);
        // A journal closed a moment ago (by this process or one that is exiting) can keep its
        // lock briefly while sled's background thread winds down: retry for a short while
        // before reporting the holder.
        let mut attempts = 0;
        let db = loop {
            match sled::Config::new().path(path).open() {
                Ok(db) => break db,
                Err(source) => {
                    let text = source.to_string();
                    let locked = text.contains("lock")
                        || text.contains("WouldBlock")
                        || text.contains("Resource temporarily unavailable");
                    if !locked {
                        return Err(EngineError::Open {
                            path: path.to_path_buf(),
                            source,
                        });
                    }
                    attempts += 1;
                    if attempts >= 20 {
                        let holder = std::fs::read_to_string(&holder_file)
                            .ok()
                            .and_then(|t| t.trim().parse().ok());
                        return Err(EngineError::Locked {
                            path: path.to_path_buf(),
                            holder,
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        };
        // sled holds the lock; this file only lets a second process name the holder.
        if let Err(e) = std::fs::write(&holder_file, format!("{}\n", std::process::id())) {
            tracing::warn!(file = %holder_file.display(), error = %e, "cannot record the journal's holder");
        }
        let log = db.open_tree("log")?;
        let completed = db.open_tree("completed")?;
        let journal = Journal {
            path: path.to_path_buf(),
            db,
            log,
            completed,
        };
        journal.verify()?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks every record. A bad record at the very end is a write torn by a crash: it is
    /// removed with a warning. A bad record anywhere else is corruption and an error.
    fn verify(&self) -> Result<(), EngineError> {
        let last = self.log.last()?.map(|(k, _)| key_seq(&k));
        for item in self.log.iter() {
            let (key, value) = item?;
            let seq = key_seq(&key);
            if let Err(reason) = Record::decode(&value) {
                if Some(seq) == last {
                    tracing::warn!(seq, %reason, "removing a torn record at the tail of the journal");
                    self.log.remove(key)?;
                    self.completed.retain_matching(seq)?;
                    self.db.flush()?;
                } else {
                    return Err(EngineError::Corrupt { seq, reason });
                }
            }
        }
        Ok(())
    }

    fn append(
        &self,
        kind: RecordKind,
        step: &str,
        request_hash: &str,
        payload: serde_json::Value,
        event: Option<&Event>,
    ) -> Result<u64, EngineError> {
        let seq = self.db.generate_id()?;
        let record = Record {
            version: RECORD_FORMAT_VERSION,
            seq,
            kind,
            step: step.to_string(),
            request_hash: request_hash.to_string(),
            payload,
            at_ms: now_ms(),
        };
        let bytes = record.encode().map_err(|e| EngineError::Codec {
            step: step.into(),
            message: e.to_string(),
        })?;
        self.log.insert(seq.to_be_bytes(), bytes)?;
        self.mirror(&record, event);
        Ok(seq)
    }

    /// Appends a line to the events file that readers follow while the journal is locked.
    /// Step payloads (results, requests) stay in the journal; only event bodies are copied.
    /// The mirror is informational: failing to write it is logged, never fatal.
    fn mirror(&self, record: &Record, event: Option<&Event>) {
        let line = EventLine {
            seq: record.seq,
            kind: record.kind,
            step: record.step.clone(),
            at_ms: record.at_ms,
            body: event.cloned(),
        };
        let path = events_path(&self.path);
        let written = serde_json::to_string(&line)
            .map_err(std::io::Error::other)
            .and_then(|text| {
                use std::io::Write;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                writeln!(file, "{text}")
            });
        if let Err(e) = written {
            tracing::warn!(file = %path.display(), error = %e, "cannot append to the events file");
        }
    }

    /// Records an informational event (progress, a message for the user). Not replayed.
    pub fn event(&self, step: &str, event: &Event) -> Result<(), EngineError> {
        let body = serde_json::to_value(event).map_err(|e| codec_error(step, e))?;
        self.append(RecordKind::Event, step, "", body, Some(event))?;
        self.db.flush()?;
        Ok(())
    }

    /// Runs `effect` as the step `key`, or returns its journaled result if the step already
    /// completed with the same request.
    ///
    /// The intent record is flushed before the effect runs and the result record is flushed
    /// before it is returned: a crash at any point either replays the result or performs the
    /// effect again, never acts on a result that is not on disk.
    pub fn step<Req, T, E, F>(
        &self,
        key: &str,
        request: &Req,
        effect: F,
    ) -> Result<StepOutcome<T>, EngineError>
    where
        Req: Serialize,
        T: Serialize + DeserializeOwned,
        E: std::fmt::Display,
        F: FnOnce() -> Result<T, E>,
    {
        if let Some(value) = self.replay(key, request)? {
            return Ok(StepOutcome {
                value,
                replayed: true,
            });
        }
        let intent = self.begin(key, request)?;
        match effect() {
            Ok(value) => {
                self.complete(&intent, &value)?;
                Ok(StepOutcome {
                    value,
                    replayed: false,
                })
            }
            Err(e) => Err(self.fail(&intent, &e.to_string())?),
        }
    }

    /// The journaled result of step `key`, if it completed; a different request than the
    /// journaled one is a non-determinism error naming the step.
    pub fn replay<Req, T>(&self, key: &str, request: &Req) -> Result<Option<T>, EngineError>
    where
        Req: Serialize,
        T: DeserializeOwned,
    {
        let request_hash = request_hash(key, request)?.1;
        let Some(seq) = self.completed.get(key.as_bytes())? else {
            return Ok(None);
        };
        let record = self.record_at(&seq)?;
        if record.request_hash != request_hash {
            return Err(EngineError::NonDeterminism {
                step: key.into(),
                journaled: record.request_hash,
                now: request_hash,
            });
        }
        serde_json::from_value(record.payload)
            .map(Some)
            .map_err(|e| codec_error(key, e))
    }

    /// Records (and flushes) the intent to perform step `key`: after this returns, the
    /// effect may run. Split from [`Journal::complete`] so async activities can run between.
    pub fn begin<Req: Serialize>(&self, key: &str, request: &Req) -> Result<Intent, EngineError> {
        let (request_json, request_hash) = request_hash(key, request)?;
        self.append(
            RecordKind::StepStarted,
            key,
            &request_hash,
            request_json,
            None,
        )?;
        self.db.flush()?;
        Ok(Intent {
            key: key.to_string(),
            request_hash,
        })
    }

    /// Records (and flushes) the result of a begun step; only then may the caller act on it.
    pub fn complete<T: Serialize>(&self, intent: &Intent, value: &T) -> Result<(), EngineError> {
        let payload = serde_json::to_value(value).map_err(|e| codec_error(&intent.key, e))?;
        let seq = self.append(
            RecordKind::StepCompleted,
            &intent.key,
            &intent.request_hash,
            payload,
            None,
        )?;
        self.completed
            .insert(intent.key.as_bytes(), &seq.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// Records (and flushes) the failure of a begun step and returns the error to report.
    pub fn fail(&self, intent: &Intent, message: &str) -> Result<EngineError, EngineError> {
        self.append(
            RecordKind::StepFailed,
            &intent.key,
            &intent.request_hash,
            serde_json::Value::String(message.to_string()),
            None,
        )?;
        self.db.flush()?;
        Ok(EngineError::StepFailed {
            step: intent.key.clone(),
            message: message.to_string(),
        })
    }

    fn record_at(&self, seq: &[u8]) -> Result<Record, EngineError> {
        let bytes = self.log.get(seq)?.ok_or_else(|| EngineError::Corrupt {
            seq: key_seq(seq),
            reason: "completed step points at a missing record".into(),
        })?;
        Record::decode(&bytes).map_err(|reason| EngineError::Corrupt {
            seq: key_seq(seq),
            reason,
        })
    }

    /// Copies the completed steps that `keep` accepts from `source` into this journal, in
    /// their original order, as if they had run here: each gets its intent and result records
    /// (with the original request hash and payload). Used to fork a study from a step.
    /// Returns the keys copied.
    pub fn import_completed(
        &self,
        source: &Journal,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, EngineError> {
        let mut copied = Vec::new();
        for record in source.records()? {
            if record.kind != RecordKind::StepCompleted
                || !keep(&record.step)
                || self.is_completed(&record.step)?
            {
                continue;
            }
            self.append(
                RecordKind::StepStarted,
                &record.step,
                &record.request_hash,
                serde_json::json!({ "forked_from": source.path().display().to_string() }),
                None,
            )?;
            let seq = self.append(
                RecordKind::StepCompleted,
                &record.step,
                &record.request_hash,
                record.payload.clone(),
                None,
            )?;
            self.completed
                .insert(record.step.as_bytes(), &seq.to_be_bytes())?;
            copied.push(record.step);
        }
        self.db.flush()?;
        Ok(copied)
    }

    /// The journaled results of the completed steps whose keys start with `prefix`, in the
    /// order they completed. Lets an activity made of several steps (an array job and its
    /// resubmissions) find every step it took before a restart.
    pub fn completed_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, EngineError> {
        let mut found = Vec::new();
        for item in self.completed.scan_prefix(prefix.as_bytes()) {
            let (key, seq) = item?;
            let record = self.record_at(&seq)?;
            found.push((
                record.seq,
                String::from_utf8_lossy(&key).into_owned(),
                record.payload,
            ));
        }
        found.sort_by_key(|(seq, _, _)| *seq);
        Ok(found.into_iter().map(|(_, k, v)| (k, v)).collect())
    }

    /// True when the step has a journaled result.
    pub fn is_completed(&self, key: &str) -> Result<bool, EngineError> {
        Ok(self.completed.contains_key(key.as_bytes())?)
    }

    /// All records in order.
    pub fn records(&self) -> Result<Vec<Record>, EngineError> {
        let mut out = Vec::new();
        for item in self.log.iter() {
            let (key, value) = item?;
            out.push(
                Record::decode(&value).map_err(|reason| EngineError::Corrupt {
                    seq: key_seq(&key),
                    reason,
                })?,
            );
        }
        Ok(out)
    }
}

impl Drop for Journal {
    /// A journal closed in good order no longer names a holder (a killed process leaves the
    /// file behind, but `live_holder` sees that the process is gone).
    fn drop(&mut self) {
        let _ = self.db.flush();
        let holder = holder_path(&self.path);
        if std::fs::read_to_string(&holder)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
            == Some(std::process::id())
        {
            let _ = std::fs::remove_file(holder);
        }
    }
}

/// One line of the events file (`DIR/journal.events.jsonl`): what readers such as
/// `study status` and the TUI see of a journal while another process holds it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventLine {
    pub seq: u64,
    pub kind: RecordKind,
    pub step: String,
    pub at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Event>,
}

/// Where the events of the journal at `path` are mirrored.
pub fn events_path(path: &Path) -> PathBuf {
    sibling(path, ".events.jsonl")
}

/// Reads the events file of the journal at `path` (without opening, or locking, the journal).
/// A line cut short by a crash is skipped.
pub fn read_events(path: &Path) -> Vec<EventLine> {
    std::fs::read_to_string(events_path(path))
        .map(|text| {
            text.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The PID recorded as holding the journal at `path`, if that process is still alive
/// (Linux: `/proc/PID` exists and is not a zombie).
pub fn live_holder(path: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(holder_path(path))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // A killed process can linger as a zombie until reaped: its state letter, after the
    // command name in parentheses, is then 'Z' (or 'X' when dead).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())?;
    (state != 'Z' && state != 'X').then_some(pid)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// `DIR/journal` is locked by sled; `DIR/journal.holder` names the process holding it.
fn holder_path(path: &Path) -> PathBuf {
    sibling(path, ".holder")
}

fn key_seq(key: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let len = key.len().min(8);
    bytes[8 - len..].copy_from_slice(&key[..len]);
    u64::from_be_bytes(bytes)
}

trait RetainMatching {
    fn retain_matching(&self, seq: u64) -> Result<(), sled::Error>;
}

impl RetainMatching for sled::Tree {
    /// Drops index entries that point at `seq` (a record being removed).
    fn retain_matching(&self, seq: u64) -> Result<(), sled::Error> {
        let target = seq.to_be_bytes();
        let stale: Vec<sled::IVec> = self
            .iter()
            .filter_map(|item| item.ok())
            .filter(|(_, v)| v.as_ref() == target)
            .map(|(k, _)| k)
            .collect();
        for key in stale {
            self.remove(key)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn completed_steps_replay_without_running_again() {
        let dir = tempfile::tempdir().unwrap();
        let calls = Cell::new(0);
        let run = |journal: &Journal| {
            journal
                .step("stats/screen", &serde_json::json!({"n": 10}), || {
                    calls.set(calls.get() + 1);
                    Ok::<_, String>(vec![1.5, 2.5])
                })
                .unwrap()
        };
        {
            let journal = Journal::open(dir.path()).unwrap();
            let first = run(&journal);
            assert!(!first.replayed);
            assert_eq!(first.value, vec![1.5, 2.5]);
        }
        let journal = Journal::open(dir.path()).unwrap();
        let second = run(&journal);
        assert!(second.replayed);
        assert_eq!(second.value, vec![1.5, 2.5]);
        assert_eq!(calls.get(), 1);
        let kinds: Vec<RecordKind> = journal.records().unwrap().iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![RecordKind::StepStarted, RecordKind::StepCompleted]
        );
    }

    #[test]
    fn changed_request_is_a_non_determinism_error_naming_the_step() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        journal.step("a/b", &1, || Ok::<_, String>(1)).unwrap();
        let err = journal.step("a/b", &2, || Ok::<_, String>(1)).unwrap_err();
        assert!(
            matches!(err, EngineError::NonDeterminism { ref step, .. } if step == "a/b"),
            "{err}"
        );
    }

    #[test]
    fn failed_step_is_journaled_and_retried_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let err = journal.step("x", &(), || Err::<u8, _>("boom")).unwrap_err();
        assert!(err.to_string().contains("boom"));
        let ok = journal.step("x", &(), || Ok::<_, String>(7u8)).unwrap();
        assert!(!ok.replayed);
        let kinds: Vec<RecordKind> = journal.records().unwrap().iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![
                RecordKind::StepStarted,
                RecordKind::StepFailed,
                RecordKind::StepStarted,
                RecordKind::StepCompleted
            ]
        );
    }

    #[test]
    fn completed_steps_under_a_prefix_come_back_in_completion_order() {
        let dir = tempfile::tempdir().unwrap();
        {
            let journal = Journal::open(dir.path()).unwrap();
            for (key, v) in [("job/submit#0", 10), ("other", 0), ("job/submit#1", 11)] {
                journal.step(key, &(), || Ok::<_, String>(v)).unwrap();
            }
            journal
                .step("job/submit#2", &(), || Err::<u8, _>("refused"))
                .unwrap_err();
            // Completed later under a key that sorts first: order is by completion.
            journal
                .step("job/submit#00", &(), || Ok::<_, String>(12))
                .unwrap();
        }
        let journal = Journal::open(dir.path()).unwrap();
        let found = journal.completed_with_prefix("job/submit#").unwrap();
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["job/submit#0", "job/submit#1", "job/submit#00"]);
        assert_eq!(found[1].1, serde_json::json!(11));
    }

    #[test]
    fn corrupt_tail_is_cut_and_corrupt_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        {
            let journal = Journal::open(dir.path()).unwrap();
            journal.step("one", &(), || Ok::<_, String>(1)).unwrap();
            journal.step("two", &(), || Ok::<_, String>(2)).unwrap();
            // Tear the last record.
            let (key, _) = journal.log.last().unwrap().unwrap();
            journal.log.insert(key, &b"0123"[..]).unwrap();
            journal.db.flush().unwrap();
        }
        {
            let journal = Journal::open(dir.path()).unwrap();
            assert!(journal.is_completed("one").unwrap());
            assert!(
                !journal.is_completed("two").unwrap(),
                "the torn completion must be forgotten"
            );
            let (key, _) = journal.log.first().unwrap().unwrap();
            journal.log.insert(key, &b"garbage"[..]).unwrap();
            journal.db.flush().unwrap();
        }
        assert!(matches!(
            Journal::open(dir.path()),
            Err(EngineError::Corrupt { .. })
        ));
    }
}
