//! `meshagents`: the command-line front end. Parses arguments (`cli`), sets up logging, and
//! hands each command to its file in `commands`, which calls the library crates and reports
//! through `reporter`; no analysis or orchestration lives here.

mod cli;
mod commands;
mod headless;
mod reporter;

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Once;

use anyhow::Result;
use clap::Parser;
use meshagents_workflows::{DemoConfig, WorkflowError};

use cli::{Cli, Command, StudyCommand};

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Simulate {
            n,
            seed,
            out,
            format,
            factors,
            scenario,
            ukb,
            force,
        } => {
            let format = if ukb { None } else { Some(format) };
            commands::simulate::run((n, seed, factors), &out, format, scenario, force)
        }
        Command::Phewas(args) => commands::phewas::run(*args),
        Command::Ukb(args) => commands::ukb::run(args),
        Command::Tui { root } => commands::tui::run(root),
        Command::Demo {
            n,
            seed,
            out,
            factors,
            threads,
            holdout,
            headless,
            force,
        } => {
            let config = DemoConfig {
                n,
                seed,
                factors,
                holdout,
                out,
                threads,
            };
            commands::demo::run(config, headless, force)
        }
        Command::Study { command } => match command {
            StudyCommand::Run { config, out, run } => commands::study_run::run(&config, out, &run),
            StudyCommand::Fork {
                dir,
                from,
                set,
                name,
                out,
                run,
            } => commands::study_fork::run(&dir, (&from, &set, name.as_deref()), &out, &run),
            StudyCommand::Approve { dir, covariates } => {
                commands::study_approve::run(&dir, covariates)
            }
            StudyCommand::Status { dir, json } => commands::study_status::run(&dir, json),
            StudyCommand::Export {
                dir,
                format,
                out,
                top,
                no_figures,
                latex_landscape,
                latex_size,
                force,
            } => {
                let latex = meshagents_stats::export::LatexOptions {
                    landscape: latex_landscape,
                    size: latex_size,
                };
                commands::study_export::run(&dir, &format, out, (top, !no_figures, latex), force)
            }
            StudyCommand::List { root, json } => commands::study_list::run(&root, json),
        },
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Exit codes (documented in the README): 0 finished, 1 failed, 2 bad command line (clap),
/// 3 waiting for approval of the confounder set, 130 paused on request (Ctrl-C or SIGTERM);
/// 3 and 130 are resumable.
const EXIT_PAUSED: u8 = 130;

/// Paused until a person approves the confounder set (`study approve`).
const EXIT_AWAITING_APPROVAL: u8 = 3;

fn exit_code_of(error: &WorkflowError) -> u8 {
    match error {
        WorkflowError::Interrupted { .. }
        | WorkflowError::PausedDuring { .. }
        | WorkflowError::Detached { .. } => EXIT_PAUSED,
        WorkflowError::AwaitingApproval { .. } => EXIT_AWAITING_APPROVAL,
        _ => 1,
    }
}

/// The first Ctrl-C or SIGTERM asks the study to pause (what is done stays journaled; model
/// calls in flight are abandoned); a second one stops at once, which the journal also
/// survives. SIGTERM is what Slurm sends at a job's time limit and on `scancel`, before
/// SIGKILL after its KillWait (30 s by default).
fn install_pause_handler() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    // Once: installing the actions twice would make the first signal stop at once.
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let flag = meshagents_workflows::interrupt::flag();
        for signal in [SIGINT, SIGTERM] {
            // The order matters: a second signal finds the flag set by the first and exits at
            // once (`_exit`, async-signal-safe); the first one only sets it.
            signal_hook::flag::register_conditional_shutdown(signal, i32::from(EXIT_PAUSED), flag)
                .expect("cannot install the SIGINT/SIGTERM handler");
            signal_hook::flag::register(signal, flag)
                .expect("cannot install the SIGINT/SIGTERM handler");
        }
    });
}

/// Like other command-line tools, stop quietly when the reader of our output goes away
/// (`meshagents study list | head`) instead of failing on a broken pipe: the Rust runtime
/// ignores SIGPIPE, and this handler runs its default action (terminate by SIGPIPE) instead.
fn restore_default_sigpipe() {
    static ALWAYS: AtomicBool = AtomicBool::new(true);
    signal_hook::flag::register_conditional_default(signal_hook::consts::SIGPIPE, &ALWAYS)
        .expect("cannot install the SIGPIPE handler");
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "error: {}",
                meshagents_workflows::error_text(error.as_ref())
            );
            if let Some(e) = error.downcast_ref::<WorkflowError>() {
                return ExitCode::from(exit_code_of(e));
            }
            match error.downcast_ref::<meshagents_tui::TuiError>() {
                // A usage error, like a bad flag: the command cannot run where it was started.
                Some(meshagents_tui::TuiError::NoTerminal(_)) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
