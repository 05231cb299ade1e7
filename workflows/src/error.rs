//! The workflow's one error type, and the one way it is written for a person.
//!
//! A variant that wraps a cause keeps it as its `source` and does not repeat it in its own
//! text; `error_text` writes the whole chain. Every place that shows or journals an error
//! uses `error_text`, so "path: cause" reads the same wherever it appears.

use crate::model_server;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Engine(#[from] meshagents_engine::EngineError),
    #[error(transparent)]
    Stats(#[from] meshagents_stats::StatsError),
    /// A discovery/validation split that cannot be made (the message names the key).
    #[error(transparent)]
    Split(#[from] meshagents_stats::cohort::split::SplitError),
    /// A file that is readable but wrong: the message says what is wrong with it.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// An I/O error on `path` (or on what `path` describes), its cause kept as the source.
    #[error("{path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A JSON file of ours (`study.json`, a proposal, a journal record) that does not parse.
    #[error("{path}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    /// A TOML study file that does not parse.
    #[error("{path}")]
    Toml {
        path: String,
        #[source]
        source: toml::de::Error,
    },
    /// A column LIST of `phewas` that does not resolve against the cohort.
    #[error("{flag} (columns of {})", data.display())]
    List {
        flag: &'static str,
        data: std::path::PathBuf,
        #[source]
        source: meshagents_stats::StatsError,
    },
    /// The journal of `phewas --executor slurm` cannot be opened in its work directory.
    #[error("--work-dir {}", dir.display())]
    WorkDir {
        dir: std::path::PathBuf,
        #[source]
        source: meshagents_engine::EngineError,
    },
    /// `phewas --executor slurm` stopped while controlling its job (a pause detaches).
    #[error("the Slurm run in {} stopped", work_dir.display())]
    SlurmRun {
        work_dir: std::path::PathBuf,
        #[source]
        source: Box<WorkflowError>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("cluster job: {0}")]
    Cluster(String),
    #[error("paused on request while Slurm job(s) {} run; they keep running, and running the same command again re-attaches to them", job_ids.join(", "))]
    Detached { job_ids: Vec<String> },
    #[error(
        "paused on request before step {step} ({title}); run the same command again to resume"
    )]
    Interrupted { step: usize, title: String },
    /// A pause that abandoned the model calls in flight: the calls that finished are journaled.
    #[error("paused on request during step {step} ({title}); the model calls that finished are journaled, the ones in flight were abandoned and run again: run the same command again to resume")]
    PausedDuring { step: usize, title: String },
    /// The managed model server (`[panel.server]`) could not start, or went away.
    #[error(transparent)]
    ModelServer(#[from] model_server::ServerError),
    #[error("the panel proposes adjusting for {}; the study waits for a person's approval: run `meshagents study approve {}` (add --covariates LIST to edit the set), then the same command again", proposed.join(", "), dir.display())]
    AwaitingApproval {
        dir: std::path::PathBuf,
        proposed: Vec<String>,
    },
}

impl WorkflowError {
    /// An I/O error on `path` that keeps its cause as the error's source.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        WorkflowError::Io {
            path: path.into(),
            source,
        }
    }

    /// A JSON document at `path` that does not parse, its cause kept as the source.
    pub fn json(path: impl Into<String>, source: serde_json::Error) -> Self {
        WorkflowError::Json {
            path: path.into(),
            source,
        }
    }
}

/// An error and its causes on one line, "outer: cause: cause", as a person reads it in the
/// terminal, the headless `error` field and the journal. A cause whose text the line already
/// ends with is not written twice (some errors of other crates put their cause in their text
/// and also return it as their source).
pub fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let part = e.to_string();
        if !part.is_empty() && !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_holds_the_cause_once() {
        let missing = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = WorkflowError::io("a/b.csv", missing());
        assert_eq!(e.to_string(), "a/b.csv");
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(error_text(&e), "a/b.csv: no such file");
        // A cause already written into the outer text (stats' `{path}: {source}`) once only.
        let stats = meshagents_stats::StatsError::io(std::path::Path::new("c.parquet"), missing());
        assert_eq!(error_text(&stats), "c.parquet: no such file");
        let wrapped = WorkflowError::Stats(stats);
        assert_eq!(error_text(&wrapped), "c.parquet: no such file");
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let e = WorkflowError::json("study.json", json);
        assert!(
            error_text(&e).starts_with("study.json: EOF while parsing"),
            "{}",
            error_text(&e)
        );
    }
}
