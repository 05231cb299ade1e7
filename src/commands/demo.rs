//! `meshagents demo`: simulate a cohort and run a whole study on it.

use std::time::Instant;

use anyhow::{Context, Result};
use meshagents_workflows::{check_output_folder, run_demo, DemoConfig, OutputFolder};

use crate::headless::Line;
use crate::reporter::{report_run, StepReporter};

pub fn run(config: DemoConfig, headless: bool, force: bool) -> Result<()> {
    let out = config.out.clone();
    check_output_folder(&out, OutputFolder::Study, force)?;
    let progress = StepReporter::new(headless);
    crate::install_pause_handler();
    let started = Instant::now();
    let outcome = run_demo(&config, &progress)
        .inspect_err(|e| progress.stopped(&out, e))
        .with_context(|| format!("the demo study in {} stopped", out.display()))?;
    progress.line(&Line::DemoFinished {
        dir: &out,
        steps_run: outcome.steps_run,
        steps_replayed: outcome.steps_replayed,
        confounders: &outcome.confounders,
        bonferroni_hits: outcome.phewas.bonferroni_hits,
        associations: &outcome.association_table,
        summary: &outcome.summary,
    });
    if headless {
        return Ok(());
    }
    report_run(&out, started, outcome.steps_run, outcome.steps_replayed);
    eprintln!(
        "confounders: {}; {} Bonferroni hits; planted effects recovered {}/{}",
        outcome.confounders.join(", "),
        outcome.phewas.bonferroni_hits,
        outcome.phewas.planted_found,
        outcome.phewas.planted_total
    );
    println!("{}", outcome.association_table.display());
    println!("{}", outcome.summary.display());
    Ok(())
}
