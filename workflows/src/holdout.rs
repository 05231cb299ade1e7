//! The study's discovery/validation split (`[validation]` of `STUDY.toml`, `--holdout` of the
//! demo). The split itself is `meshagents_stats::cohort::split`; this module holds its settings, makes
//! it once per process from the loaded table, and hands each step the part it may see: the
//! screen and the panel get the discovery part, the classification the held-out rows, the
//! PheWAS the whole table.
//!
//! The split is not journaled as rows: it is a pure function of the ids, the disease labels
//! and the settings, so a resumed study (or one run with another `--threads`) makes the same
//! one. Its settings are part of the request of `data/clean`, the first step, and of every
//! step that depends on it, so a changed split is a fork from the first step.

use std::cell::OnceCell;

use meshagents_stats::cohort::split::{
    check_holdout, split_rows, Split, SplitSummary, DEFAULT_HOLDOUT,
};
use meshagents_stats::cohort::AnalysisTable;
use meshagents_stats::data::dictionary::Role;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::WorkflowError;

/// The split's seed when `[validation] seed` is not given. Its own constant, not the panel's
/// seed: changing how the panel samples must not change who is held out.
pub const DEFAULT_SPLIT_SEED: u64 = 20_250_719;

/// `[validation]` of `STUDY.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationConfig {
    /// Share of participants set aside, before the panel looks at anything, to train and
    /// score the classifiers on. 0 evaluates on everyone (the paper's protocol; flagged).
    #[serde(default = "default_holdout")]
    pub holdout: f64,
    /// Seed of the split (default [`DEFAULT_SPLIT_SEED`]).
    #[serde(default)]
    pub seed: Option<u64>,
}

fn default_holdout() -> f64 {
    DEFAULT_HOLDOUT
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            holdout: DEFAULT_HOLDOUT,
            seed: None,
        }
    }
}

impl ValidationConfig {
    /// Checks the keys; the error names the key.
    pub fn validate(&self) -> Result<(), WorkflowError> {
        Ok(check_holdout(self.holdout)?)
    }

    pub fn settings(&self) -> SplitSettings {
        SplitSettings {
            holdout: self.holdout,
            seed: self.seed.unwrap_or(DEFAULT_SPLIT_SEED),
        }
    }
}

/// What determines the split besides the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitSettings {
    pub holdout: f64,
    pub seed: u64,
}

impl SplitSettings {
    /// The part of a step's request that names the split: a changed split does not replay.
    pub fn request(&self) -> Value {
        json!({ "holdout": self.holdout, "seed": self.seed, "stratified_on": "disease labels", "version": 1 })
    }
}

/// The split of one study in this process: made from the loaded table the first time a step
/// needs it.
pub(crate) struct StudySplit<'t> {
    pub settings: SplitSettings,
    load: &'t dyn Fn() -> Result<&'t AnalysisTable, WorkflowError>,
    split: OnceCell<Split>,
    discovery: OnceCell<AnalysisTable>,
}

impl<'t> StudySplit<'t> {
    pub fn new(
        settings: SplitSettings,
        load: &'t dyn Fn() -> Result<&'t AnalysisTable, WorkflowError>,
    ) -> Self {
        StudySplit {
            settings,
            load,
            split: OnceCell::new(),
            discovery: OnceCell::new(),
        }
    }

    /// The whole cleaned table (the PheWAS, the exports, and the classification's rows).
    pub fn table(&self) -> Result<&'t AnalysisTable, WorkflowError> {
        (self.load)()
    }

    /// Stratified on every kept disease label of the table.
    pub fn split(&self) -> Result<&Split, WorkflowError> {
        if let Some(s) = self.split.get() {
            return Ok(s);
        }
        let t = self.table()?;
        let diseases = t.kept_with_role(Role::Disease);
        let columns: Vec<&[f64]> = diseases.iter().filter_map(|d| t.column(d)).collect();
        let split = split_rows(&t.ids, &columns, self.settings.holdout, self.settings.seed)?;
        Ok(self.split.get_or_init(|| split))
    }

    /// What the panel may look at: the discovery rows (the whole table when nothing is held
    /// out, without a copy).
    pub fn discovery(&self) -> Result<&AnalysisTable, WorkflowError> {
        if self.settings.holdout == 0.0 {
            return self.table();
        }
        if let Some(t) = self.discovery.get() {
            return Ok(t);
        }
        let part = self.table()?.subset(&self.split()?.discovery);
        Ok(self.discovery.get_or_init(|| part))
    }

    /// Counts per part and disease, for `decisions.json`, the clean step and the report.
    pub fn summary(&self) -> Result<SplitSummary, WorkflowError> {
        let t = self.table()?;
        let diseases: Vec<(String, &[f64])> = t
            .kept_with_role(Role::Disease)
            .into_iter()
            .filter_map(|d| t.column(&d).map(|c| (d, c)))
            .collect();
        Ok(self.split()?.summary(&diseases))
    }
}

/// One sentence on how the validation was done, for the report and the summary.
pub fn protocol_sentence(summary: &SplitSummary, folds: Option<usize>) -> String {
    let cv = folds
        .map(|k| format!("{k}-fold cross-validation"))
        .unwrap_or_else(|| "cross-validation".into());
    if summary.protocol == meshagents_stats::cohort::split::SPLIT_HOLDOUT {
        format!(
            "Protocol: held-out validation. The panel chose each disease's phenotypes on a discovery part of {} participants; the classifiers were trained and scored ({cv}) only on the other {} ({:.0} %, seed {}, stratified by disease labels), whom the selection never saw. The association table uses all participants.",
            summary.discovery_n,
            summary.evaluated_n,
            summary.holdout * 100.0,
            summary.seed
        )
    } else {
        format!(
            "Protocol: no hold-out (the paper's protocol): the panel's selection saw the {} participants the classifiers were scored on ({cv}), which favours the panel arm; set `[validation] holdout` above 0 for a validation the selection never saw.",
            summary.evaluated_n
        )
    }
}
