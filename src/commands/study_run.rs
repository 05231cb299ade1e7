//! `meshagents study run STUDY.toml`: run (or resume) a configured study. `study fork` ends
//! here too, with the forked configuration.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use meshagents_workflows::{check_output_folder, OutputFolder, StudyConfig};

use crate::cli::StudyRunArgs;
use crate::headless::Line;
use crate::reporter::{report_run, StepReporter};

pub fn run(config: &Path, out: Option<PathBuf>, args: &StudyRunArgs) -> Result<()> {
    let mut study = StudyConfig::read(config)?;
    study.executor = args
        .executor
        .apply(&study.executor)
        .with_context(|| format!("{}: [executor]", config.display()))?;
    let out = out.unwrap_or_else(|| PathBuf::from("meshagents-out").join(study.slug()));
    check_output_folder(&out, OutputFolder::Study, args.force)?;
    run_configured(&study, &out, args.threads, args.headless)
}

/// Runs (or resumes) a configured study and reports it, as text or JSON lines.
pub fn run_configured(
    study: &StudyConfig,
    out: &Path,
    threads: usize,
    headless: bool,
) -> Result<()> {
    let progress = StepReporter::new(headless);
    crate::install_pause_handler();
    let started = Instant::now();
    let outcome = meshagents_workflows::run_study(study, out, threads, &progress)
        .inspect_err(|e| progress.stopped(out, e))
        .with_context(|| format!("the study in {} stopped", out.display()))?;
    progress.line(&Line::StudyFinished {
        dir: out,
        steps_run: outcome.steps_run,
        steps_replayed: outcome.steps_replayed,
        covariates: &outcome.covariates,
        bonferroni_hits: outcome.phewas.bonferroni_hits,
        associations: &out.join("associations.csv"),
        summary: &out.join("summary.md"),
    });
    if headless {
        return Ok(());
    }
    report_run(out, started, outcome.steps_run, outcome.steps_replayed);
    eprintln!(
        "covariates: {}; {} Bonferroni hits",
        if outcome.covariates.is_empty() {
            "none".to_string()
        } else {
            outcome.covariates.join(", ")
        },
        outcome.phewas.bonferroni_hits
    );
    println!("{}", out.join("associations.csv").display());
    println!("{}", out.join("summary.md").display());
    Ok(())
}
