//! The on-disk record format of the journal: versioned, self-checking JSON.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped whenever the record layout changes; older records are still readable as long as
/// their fields are.
pub const RECORD_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// Intent: the step is about to be performed.
    StepStarted,
    /// The step's result; from now on the step is replayed, never performed again.
    StepCompleted,
    /// The step's effect returned an error.
    StepFailed,
    /// A progress or information event (not replayed).
    Event,
}

/// One entry of the append-only log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    pub seq: u64,
    pub kind: RecordKind,
    pub step: String,
    /// SHA-256 of the step's canonical request JSON.
    pub request_hash: String,
    /// Result (completed), error text (failed), request (started) or event body.
    pub payload: serde_json::Value,
    /// Wall-clock time, milliseconds since the Unix epoch. Lives only in the journal.
    pub at_ms: u64,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Record {
    /// Stored form: the hex SHA-256 of the body, a newline, then the JSON body. The checksum
    /// covers the exact bytes written, so nothing depends on JSON re-serialising identically.
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let body = serde_json::to_vec(self)?;
        let mut out = sha256_hex(&body).into_bytes();
        out.push(b'\n');
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Decodes and verifies a stored record; the error says what is wrong with it.
    pub fn decode(bytes: &[u8]) -> Result<Record, String> {
        const HEX: usize = 64;
        if bytes.len() <= HEX || bytes[HEX] != b'\n' {
            return Err("truncated record".into());
        }
        let (checksum, body) = (&bytes[..HEX], &bytes[HEX + 1..]);
        if sha256_hex(body).as_bytes() != checksum {
            return Err("checksum mismatch".into());
        }
        let record: Record =
            serde_json::from_slice(body).map_err(|e| format!("unreadable: {e}"))?;
        if record.version > RECORD_FORMAT_VERSION {
            return Err(format!(
                "record format {} is newer than this program understands ({RECORD_FORMAT_VERSION})",
                record.version
            ));
        }
        Ok(record)
    }
}
