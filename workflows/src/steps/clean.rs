//! `data/clean`: load and clean the cohort, write `flow.csv` (every column kept or dropped,
//! and why), and set the validation's participants aside before anything else looks at them.

use std::path::Path;

use meshagents_stats::cohort::AnalysisTable;
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::ukb::FieldNote;
use serde::{Deserialize, Serialize};

use crate::files::{verify, WrittenFile};
use crate::plan::Step;
use crate::runner::Runner;
use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanResult {
    pub rows: usize,
    pub imaging: usize,
    pub covariates: usize,
    pub factors_in: usize,
    pub factors_kept: usize,
    pub diseases: usize,
    pub recoded_values: usize,
    pub recoded_fields: usize,
    /// (column, reason) for every dropped column.
    pub dropped: Vec<(String, String)>,
    /// The discovery/validation split set aside here, before anything else looks at the data
    /// (absent when the study has no validation).
    #[serde(default)]
    pub split: Option<meshagents_stats::cohort::split::SplitSummary>,
    pub files: Vec<WrittenFile>,
}

impl CleanResult {
    /// The clean step's result: the counts given, and what the table's flow log says.
    pub(crate) fn from_table(
        t: &AnalysisTable,
        imaging: usize,
        covariates: usize,
        (factors_in, factors_kept): (usize, usize),
        files: Vec<WrittenFile>,
    ) -> Self {
        CleanResult {
            rows: t.n_rows(),
            imaging,
            covariates,
            factors_in,
            factors_kept,
            diseases: t.kept_with_role(Role::Disease).len(),
            recoded_values: t.flow.iter().map(|f| f.recoded_to_missing).sum(),
            recoded_fields: t.flow.iter().filter(|f| f.recoded_to_missing > 0).count(),
            split: None,
            dropped: t
                .flow
                .iter()
                .filter(|f| !f.kept)
                .map(|f| (f.column.clone(), f.reason.clone()))
                .collect(),
            files,
        }
    }
}

/// How the step's line reads: the demo also counts the coded values set to missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    Factors,
    FactorsAndRecoded,
}

/// Runs the step; `clean` loads the table, writes `flow.csv` (`write_flow`) and counts.
pub(crate) fn run(
    runner: &mut Runner,
    out: &Path,
    request: &serde_json::Value,
    detail: Detail,
    clean: impl FnOnce() -> Result<CleanResult, WorkflowError>,
) -> Result<CleanResult, WorkflowError> {
    let result: CleanResult = runner.step(
        Step::Clean,
        request,
        |r: &CleanResult| match detail {
            Detail::Factors => format!("{} of {} factors kept", r.factors_kept, r.factors_in),
            Detail::FactorsAndRecoded => format!(
                "{} of {} factors kept, {} coded values set to missing",
                r.factors_kept, r.factors_in, r.recoded_values
            ),
        },
        |_| clean(),
    )?;
    verify(out, &result.files)?;
    Ok(result)
}

/// `flow.csv`: one line per column of the cohort, kept or dropped, and why. For a cohort
/// derived from a UK Biobank extract, `derivation` adds where each column came from (instance,
/// fallback, codes, case sources) and a line per field the derivation did not keep.
pub(crate) fn write_flow(
    path: &Path,
    table: &AnalysisTable,
    derivation: &[FieldNote],
) -> Result<(), WorkflowError> {
    let mut text = String::from(
        "column,role,kept,recoded_to_missing,unusable_to_missing,missing_share,reason\n",
    );
    for f in &table.flow {
        let origin = derivation.iter().find(|n| n.kept && n.column == f.column);
        let reason = match (origin, f.reason.is_empty()) {
            (None, _) => f.reason.clone(),
            (Some(n), true) => n.note.clone(),
            (Some(n), false) => format!("{}; {}", f.reason, n.note),
        };
        text.push_str(&format!(
            "{},{},{},{},{},{:.4},{}\n",
            csv_field(&f.column),
            f.role,
            f.kept,
            f.recoded_to_missing,
            f.unusable_to_missing,
            f.missing_share,
            csv_field(&reason)
        ));
    }
    for n in derivation.iter().filter(|n| !n.kept) {
        text.push_str(&format!(
            "{},factor,false,0,0,,{}\n",
            csv_field(&n.column),
            csv_field(&format!("not derived from the extract: {}", n.note))
        ));
    }
    std::fs::write(path, text).map_err(|e| WorkflowError::io(path.display().to_string(), e))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
