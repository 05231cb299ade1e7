//! `meshagents simulate`: a seeded cohort with its dictionary and planted truth.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use meshagents_stats::simulate::ukb::write_ukb;
use meshagents_stats::simulate::{
    simulate, write_cohort, OutputFormat, Scenario, SimulationConfig,
};
use meshagents_workflows::{check_output_folder, OutputFolder};

/// `format` is the plain cohort's table format, or `None` for the UK Biobank layout (`--ukb`).
pub fn run(
    (n, seed, factors): (usize, u64, usize),
    out: &Path,
    format: Option<OutputFormat>,
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
    let written: Vec<std::path::PathBuf> = match format {
        Some(format) => {
            let files = write_cohort(&mut cohort, out, format)
                .with_context(|| format!("cannot write the cohort to {}", out.display()))?;
            vec![files.data, files.dictionary, files.truth]
        }
        None => {
            let files = write_ukb(&cohort, &config, out).with_context(|| {
                format!("cannot write the UK Biobank files to {}", out.display())
            })?;
            files.paths().iter().map(|p| p.to_path_buf()).collect()
        }
    };
    eprintln!(
        "simulated {} participants x {} columns in {:.1} s",
        cohort.data.height(),
        cohort.data.width(),
        started.elapsed().as_secs_f64()
    );
    for path in &written {
        println!("{}", path.display());
    }
    Ok(())
}
