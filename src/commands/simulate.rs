//! `meshagents simulate`: a seeded cohort with its dictionary and planted truth.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use meshagents_stats::simulate::{
    simulate, write_cohort, OutputFormat, Scenario, SimulationConfig,
};
use meshagents_workflows::{check_output_folder, OutputFolder};

pub fn run(
    (n, seed, factors): (usize, u64, usize),
    out: &Path,
    format: OutputFormat,
    scenario: Scenario,
    force: bool,
) -> Result<()> {
    check_output_folder(out, OutputFolder::Cohort, force)?;
    let started = Instant::now();
    let config = SimulationConfig {
        n,
        seed,
        factors,
        scenario,
    };
    let mut cohort = simulate(&config).context("cannot simulate the cohort")?;
    let files = write_cohort(&mut cohort, out, format)
        .with_context(|| format!("cannot write the cohort to {}", out.display()))?;
    eprintln!(
        "simulated {} participants x {} columns in {:.1} s",
        cohort.data.height(),
        cohort.data.width(),
        started.elapsed().as_secs_f64()
    );
    for path in [&files.data, &files.dictionary, &files.truth] {
        println!("{}", path.display());
    }
    Ok(())
}
