//! `meshagents phewas`: every phenotype x factor pair of a cohort file, here, as one shard,
//! or as a Slurm array job (`workflows::phewas` runs it; this reports it).

use anyhow::{Context, Result};
use meshagents_workflows::{
    run_phewas, CohortSource, ExecutorConfig, PhewasJob, PhewasOutcome, PhewasProgress, Progress,
    WorkflowError,
};

use crate::cli::PhewasArgs;
use crate::headless::Line;
use crate::reporter::{phewas_report, StepReporter};

pub fn run(args: PhewasArgs) -> Result<()> {
    let executor = args.executor.apply(&ExecutorConfig::default())?;
    let ukb = match &args.showcase {
        Some(showcase) => Some(super::ukb::request(
            &args.derive,
            &args.data,
            showcase.clone(),
            args.dictionary.clone(),
            args.id.clone(),
        )?),
        None => {
            super::ukb::without_showcase(&args.derive)?;
            None
        }
    };
    let job = PhewasJob {
        cohort: CohortSource {
            data: args.data,
            dictionary: args.dictionary,
            id: args.id,
            keep_negative_codes: args.keep_negative_codes,
        },
        phenotypes: args.phenotypes,
        factors: args.factors,
        covariates: args.covariates,
        load_also: args.load_also,
        model: args.model,
        transform: args.transform,
        method: args.method,
        threads: args.threads,
        out: args.out,
        shard: args.shard,
        executor,
        work_dir: args.work_dir,
        ukb,
        covariate_drops: args.covariate_drops,
    };
    let reporter = Reporter {
        steps: StepReporter::new(args.headless),
        bar: if args.headless {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(0)
        },
    };
    let outcome = match run_phewas(&job, &reporter) {
        Ok(outcome) => outcome,
        Err(WorkflowError::SlurmRun { work_dir, source }) => {
            reporter.steps.stopped(&work_dir, &source);
            return Err(anyhow::Error::new(*source))
                .with_context(|| format!("the Slurm run in {} stopped", work_dir.display()));
        }
        Err(e) => return Err(e.into()),
    };
    match outcome {
        PhewasOutcome::Whole {
            request,
            rows,
            family_size,
            seconds,
        } => {
            reporter
                .steps
                .human_line(|| phewas_report(&request, &rows, family_size, seconds, &job.out));
            reporter.steps.line(&Line::PhewasFinished {
                out: &job.out,
                rows: rows.len(),
                family_size,
            });
        }
        PhewasOutcome::Shard {
            shard,
            fitted,
            factors,
            rows,
            seconds,
        } => {
            reporter.steps.human_line(|| {
                format!(
                    "shard {shard}: {fitted} of {factors} factors, {rows} rows in {seconds:.1} s (raw p; corrected when the parts are merged)"
                )
            });
            reporter.steps.line(&Line::ShardFinished {
                shard: shard.to_string(),
                out: &job.out,
                rows,
            });
        }
    }
    if !args.headless {
        println!("{}", job.out.display());
    }
    Ok(())
}

/// The step reporter plus a progress bar over the factors.
struct Reporter {
    steps: StepReporter,
    bar: indicatif::ProgressBar,
}

impl Progress for Reporter {
    fn step_started(&self, index: usize, total: usize, title: &str) {
        self.steps.step_started(index, total, title);
    }
    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str) {
        self.steps
            .step_finished(index, total, title, replayed, detail);
    }
    fn event(&self, event: &meshagents_engine::Event) {
        self.steps.event(event);
    }
}

impl PhewasProgress for Reporter {
    fn controlling_job(&self) {
        crate::install_pause_handler();
    }

    fn loaded(&self, rows: usize, columns: usize, dropped: usize, seconds: f64) {
        self.steps.human_line(|| {
            format!(
                "loaded {rows} participants, {columns} columns kept, {dropped} dropped by cleaning ({seconds:.1} s)"
            )
        });
    }

    fn fitting(&self, factors: usize) {
        self.bar.set_length(factors as u64);
        self.bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} factors ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    }

    fn fitted(&self, done: usize) {
        self.bar.set_position(done as u64);
    }

    fn fitting_done(&self) {
        self.bar.finish_and_clear();
    }
}
