//! The lines `--headless` prints on stdout, one JSON object each, tagged by `"event"`.
//!
//! A program that drives meshagents (the TUI, a pipeline) reads these, so their shape is a
//! contract: the fields and their order are the ones the lines have always had, and the
//! activity and panel lines carry the engine's typed `Event` and the transcript's entry as
//! they are journaled.

use std::path::Path;

use meshagents_engine::Event;
use meshagents_workflows::TranscriptEntry;
use serde::Serialize;

#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Line<'a> {
    StepStarted {
        index: usize,
        total: usize,
        step: &'a str,
    },
    StepFinished {
        index: usize,
        total: usize,
        step: &'a str,
        replayed: bool,
        detail: &'a str,
        seconds: f64,
    },
    Activity {
        body: &'a Event,
    },
    Panel {
        entry: &'a TranscriptEntry,
    },
    /// A study that ended with an error or a pause; `error` is the whole chain.
    StudyStopped {
        dir: &'a Path,
        error: String,
        exit_code: u8,
    },
    /// The demo's end: the confounders its panel chose.
    #[serde(rename = "study_finished")]
    DemoFinished {
        dir: &'a Path,
        steps_run: usize,
        steps_replayed: usize,
        confounders: &'a [String],
        bonferroni_hits: usize,
        associations: &'a Path,
        summary: &'a Path,
    },
    /// A configured study's end: the covariates it adjusted for.
    StudyFinished {
        dir: &'a Path,
        steps_run: usize,
        steps_replayed: usize,
        covariates: &'a [String],
        bonferroni_hits: usize,
        associations: &'a Path,
        summary: &'a Path,
    },
    PhewasFinished {
        out: &'a Path,
        rows: usize,
        family_size: usize,
    },
    ShardFinished {
        shard: String,
        out: &'a Path,
        rows: usize,
    },
}

impl Line<'_> {
    pub fn print(&self) {
        match serde_json::to_string(self) {
            Ok(text) => println!("{text}"),
            // Every field serializes (no maps with non-string keys, no non-finite floats that
            // serde_json refuses: it writes them as null); kept for the type's sake.
            Err(e) => tracing::error!("a headless line could not be written: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines keep the text the `json!` bodies they replaced wrote.
    #[test]
    fn lines_keep_their_wire_format() {
        let text = |l: &Line| serde_json::to_string(l).unwrap();
        assert_eq!(
            text(&Line::StepStarted {
                index: 2,
                total: 9,
                step: "clean"
            }),
            r#"{"event":"step_started","index":2,"total":9,"step":"clean"}"#
        );
        assert_eq!(
            text(&Line::StepFinished {
                index: 2,
                total: 9,
                step: "clean",
                replayed: false,
                detail: "3 kept",
                seconds: 0.5
            }),
            r#"{"event":"step_finished","index":2,"total":9,"step":"clean","replayed":false,"detail":"3 kept","seconds":0.5}"#
        );
        let covariates = ["age".to_string()];
        assert_eq!(
            text(&Line::StudyFinished {
                dir: Path::new("d"),
                steps_run: 3,
                steps_replayed: 0,
                covariates: &covariates,
                bonferroni_hits: 4,
                associations: Path::new("d/associations.csv"),
                summary: Path::new("d/summary.md"),
            }),
            r#"{"event":"study_finished","dir":"d","steps_run":3,"steps_replayed":0,"covariates":["age"],"bonferroni_hits":4,"associations":"d/associations.csv","summary":"d/summary.md"}"#
        );
        assert_eq!(
            text(&Line::DemoFinished {
                dir: Path::new("d"),
                steps_run: 3,
                steps_replayed: 0,
                confounders: &covariates,
                bonferroni_hits: 4,
                associations: Path::new("a"),
                summary: Path::new("s"),
            }),
            r#"{"event":"study_finished","dir":"d","steps_run":3,"steps_replayed":0,"confounders":["age"],"bonferroni_hits":4,"associations":"a","summary":"s"}"#
        );
        assert_eq!(
            text(&Line::ShardFinished {
                shard: "1/3".into(),
                out: Path::new("o"),
                rows: 7
            }),
            r#"{"event":"shard_finished","shard":"1/3","out":"o","rows":7}"#
        );
        assert_eq!(
            text(&Line::PhewasFinished {
                out: Path::new("o"),
                rows: 7,
                family_size: 5
            }),
            r#"{"event":"phewas_finished","out":"o","rows":7,"family_size":5}"#
        );
    }
}
