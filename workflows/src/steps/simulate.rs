//! `cohort/simulate` (the demo only): a seeded cohort with its dictionary and planted truth.

use std::path::Path;

use meshagents_stats::simulate::{
    simulate, write_cohort, OutputFormat, SimulationConfig, GENERATOR_VERSION,
};
use serde::{Deserialize, Serialize};

use crate::files::{record, verify, WrittenFile};
use crate::plan::Step;
use crate::runner::Runner;
use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulateResult {
    pub files: Vec<WrittenFile>,
    pub rows: usize,
    pub columns: usize,
}

/// Simulates the cohort into `out/cohort/`.
pub(crate) fn run(
    runner: &mut Runner,
    config: &SimulationConfig,
    out: &Path,
) -> Result<SimulateResult, WorkflowError> {
    let cohort_dir = out.join("cohort");
    let request = serde_json::json!({ "n": config.n, "seed": config.seed, "factors": config.factors, "generator": GENERATOR_VERSION });
    let simulated: SimulateResult = runner.step(
        Step::Simulate,
        &request,
        |r: &SimulateResult| format!("{} participants x {} columns", r.rows, r.columns),
        |_| -> Result<_, WorkflowError> {
            let mut cohort = simulate(config)?;
            write_cohort(&mut cohort, &cohort_dir, OutputFormat::Parquet)?;
            Ok(SimulateResult {
                files: vec![
                    record(out, "cohort/cohort.parquet")?,
                    record(out, "cohort/dictionary.csv")?,
                    record(out, "cohort/truth.json")?,
                ],
                rows: cohort.data.height(),
                columns: cohort.data.width(),
            })
        },
    )?;
    verify(out, &simulated.files)?;
    Ok(simulated)
}
