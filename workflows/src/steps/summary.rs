//! `report/summary`: `summary.md`, the data flow, the panel's votes and reasons, the hits
//! (and, on a simulated cohort, how well the planted truth was recovered).

use std::path::Path;

use meshagents_agents::{ConfounderDecision, PhenotypeDecision};
use meshagents_stats::simulate::Truth;

use crate::files::{record, verify, WrittenFile};
use crate::plan::Step;
use crate::runner::Runner;
use crate::steps::{CleanResult, PhewasResult};
use crate::summary::{write_summary, SummaryHeader};
use crate::WorkflowError;

/// What the summary tells.
pub(crate) struct Input<'a> {
    pub header: &'a SummaryHeader,
    pub clean: &'a CleanResult,
    pub decision: Option<&'a ConfounderDecision>,
    pub phenotypes: Option<&'a PhenotypeDecision>,
    pub covariates: &'a [String],
    pub phewas: &'a PhewasResult,
    pub truth: Option<&'a Truth>,
}

pub(crate) fn run(runner: &mut Runner, out: &Path, input: Input) -> Result<(), WorkflowError> {
    let files: Vec<WrittenFile> = runner.step(
        Step::Summary,
        &serde_json::json!({ "format": "markdown", "version": 1 }),
        |_: &Vec<WrittenFile>| "summary.md".to_string(),
        |_| -> Result<_, WorkflowError> {
            write_summary(
                &out.join("summary.md"),
                input.header,
                input.clean,
                input.decision,
                input.phenotypes,
                input.covariates,
                &input.phewas.summary,
                input.truth,
            )?;
            Ok(vec![record(out, "summary.md")?])
        },
    )?;
    verify(out, &files)
}
