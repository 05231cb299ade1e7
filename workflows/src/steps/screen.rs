//! `screen/candidates`: the evidence on each candidate confounder (association with the
//! phenotypes and factors, change in estimate, collinearity), on the discovery rows only.

use meshagents_stats::confounding::{screen_candidates, CovariateEvidence};

use crate::holdout::StudySplit;
use crate::plan::Step;
use crate::runner::Runner;
use crate::WorkflowError;

/// The strongest pairs the screen looks at per candidate.
pub(crate) const STRONGEST_PAIRS: usize = 40;

/// The columns the screen looks at, picked from the discovery table (what cleaning kept).
pub(crate) struct Columns {
    pub candidates: Vec<String>,
    pub phenotypes: Vec<String>,
    pub factors: Vec<String>,
}

pub(crate) fn run(
    runner: &mut Runner,
    request: &serde_json::Value,
    split: &StudySplit,
    columns: impl FnOnce(&meshagents_stats::cohort::AnalysisTable) -> Columns,
) -> Result<Vec<CovariateEvidence>, WorkflowError> {
    runner.step(
        Step::Screen,
        request,
        |e: &Vec<CovariateEvidence>| format!("{} candidates", e.len()),
        |_| -> Result<_, WorkflowError> {
            // The discovery part only: the validation's participants stay unseen.
            let t = split.discovery()?;
            let c = columns(t);
            Ok(screen_candidates(
                t,
                &c.candidates,
                &c.phenotypes,
                &c.factors,
                STRONGEST_PAIRS,
            )?)
        },
    )
}
