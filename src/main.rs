//! `meshagents`: the command-line front end. Parses arguments, sets up logging, and hands
//! each subcommand to the library crates; no analysis logic lives here.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use meshagents_stats::simulate::{
    simulate, write_cohort, OutputFormat, Scenario, SimulationConfig, DEFAULT_FACTORS,
};
use meshagents_workflows::{run_demo, DemoConfig, ExecutorConfig, ExecutorKind, Progress};

#[derive(Parser)]
#[command(
    name = "meshagents",
    version,
    about = "Phenome-wide association studies of cardiac imaging, with a panel of expert agents",
    long_about = "meshagents runs phenome-wide association studies (PheWAS) of cardiac imaging \
phenotypes against non-imaging factors, with a panel of expert agents that chooses the \
confounders, and journals every step so a study survives being killed.\n\n\
Start with `meshagents demo`: it simulates a UK Biobank-like cohort and runs a whole study on it.",
    after_help = "Logging: set RUST_LOG (e.g. RUST_LOG=debug) or pass -v / -vv."
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a simulated UK Biobank-like cardiac imaging cohort with known causal structure.
    #[command(
        long_about = "Write a seeded, UK Biobank-like cardiac imaging cohort: DIR/cohort.parquet \
(or .csv), DIR/dictionary.csv (one row per column: field id, description, category, value type, \
coding, role) and DIR/truth.json (the planted confounders, direct associations, mediators and \
disease drivers). The same seed gives byte-identical files. --scenario chooses the causal \
structure; the baseline's files are the same as before scenarios existed."
    )]
    Simulate {
        /// Number of participants.
        #[arg(long, default_value_t = 40_000)]
        n: usize,
        /// Random seed; the same seed gives byte-identical files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output directory (created if needed).
        #[arg(long)]
        out: PathBuf,
        /// Format of the cohort table.
        #[arg(long, value_enum, default_value_t = Format::Parquet)]
        format: Format,
        /// Number of non-imaging factor fields (at least the ~300 named ones).
        #[arg(long, default_value_t = DEFAULT_FACTORS)]
        factors: usize,
        /// Causal structure to plant (a scenario adds one factor field of its own).
        #[arg(long, value_enum, default_value_t = ScenarioArg::Baseline)]
        scenario: ScenarioArg,
    },
    /// Run the whole study on a simulated cohort: clean, choose confounders, associate, summarise.
    #[command(
        long_about = "Simulate a cohort, clean it (Bai 2020 rules), let the offline expert panel \
choose the confounders from the statistics, fit `phenotype ~ factor + confounders` for every imaging \
phenotype and non-imaging factor, and write associations.csv, flow.csv and summary.md into DIR. \
Every step is journaled in DIR/journal: running the same command again resumes a stopped study, \
and a finished study is reported without recomputing."
    )]
    Demo {
        /// Number of simulated participants.
        #[arg(long, default_value_t = 3_000)]
        n: usize,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Study directory.
        #[arg(long, default_value = "meshagents-out/demo")]
        out: PathBuf,
        /// Number of non-imaging factor fields to simulate.
        #[arg(long, default_value_t = DEFAULT_FACTORS)]
        factors: usize,
        /// Worker threads for the association step (results do not depend on it).
        #[arg(long, default_value_t = default_threads())]
        threads: usize,
        /// Share of participants held out from the panel, on which the classifiers are
        /// trained and scored (0 to 0.9; 0 is the paper's protocol, where the selection saw them).
        #[arg(long, default_value_t = meshagents_stats::cohort::split::DEFAULT_HOLDOUT)]
        holdout: f64,
        /// For servers and clusters: events as JSON lines on stdout; human progress on stderr
        /// only when it is a terminal.
        #[arg(long)]
        headless: bool,
    },
    /// Look at studies: their state, progress and last event.
    Study {
        #[command(subcommand)]
        command: StudyCommand,
    },
    /// Covariate-adjusted association of phenotypes with factors: one row per pair.
    #[command(
        long_about = "Fit every phenotype x factor pair with the model the factor's type calls for \
(linear for continuous, integer and ordinal; logistic `factor ~ phenotype + covariates` for binary, \
with Firth's penalised likelihood when events are few or the data are separated; one row per level \
plus an overall likelihood-ratio test for unordered categorical), then Bonferroni and \
Benjamini-Hochberg over the pairs actually tested.\n\n\
A LIST is comma-separated items, each a column name (21001-2.0, f.21001.2.0 and x21001_2_0 are the \
same field), @FILE (one name per line), a role from the dictionary (imaging, covariate, factor, \
disease), a dictionary category (e.g. Diet), `all` (every column not used elsewhere) or `none`.\n\n\
Output columns: phenotype, factor, category, model, n, n_cases, n_controls, beta, se, ci_low, \
ci_high, stat, p, neg_log10_p, q_bh, bonferroni, status, note. The format follows the --out \
extension (.csv, .tsv, .parquet).",
        after_help = "Example:\n  meshagents simulate --n 40000 --out cohort\n  meshagents phewas --data cohort/cohort.parquet --dictionary cohort/dictionary.csv \\\n      --phenotypes imaging --factors factor --covariates age,sex,height,weight \\\n      --out associations.csv"
    )]
    Phewas(PhewasArgs),
    /// The terminal UI: start, watch, steer and browse the studies under ROOT.
    #[command(
        long_about = "A terminal UI for the studies under ROOT: the study list (status, progress, \
backend, start time, last event), a wizard that writes STUDY.toml and starts the study, the live \
panel view (each agent's messages, tool calls, votes, agreement per round, token and cost \
counters), the approval gate for the panel's confounder set, and the results browser (sortable, \
filterable association table with a detail pane, a Manhattan plot, and export). Studies run as \
`meshagents study run ... --headless` child processes and keep running if the TUI quits; a study \
another process runs is followed read-only through its files.",
        after_help = "Keys (press ? in the TUI for the keys of each screen):\n  \
everywhere    ? help   q quit (exit code 0; studies keep running)   Esc back\n  \
study list    Up/Down move   Enter open   n new study   l live panel   a approve\n                \
r resume   s pause (a study this TUI started)   f fork   d delete\n  \
results       s sort (p, |beta|, phenotype)   / filter   m Manhattan plot   x export\n  \
panel         Tab agent tab   Up/Down scroll   t unfold tool calls   a approval gate\n  \
approval      Space toggle a candidate   p the panel's set   Enter approve and resume\n  \
wizard        Tab next field   Space cycle/toggle   / search   Enter next step\n\n\
Needs a terminal of at least 80x24."
    )]
    Tui {
        /// Directory holding study directories (created by the wizard if missing).
        #[arg(default_value = "meshagents-out")]
        root: PathBuf,
    },
}

#[derive(Subcommand)]
enum StudyCommand {
    /// Run (or resume) the study a STUDY.toml describes, on your own cohort.
    #[command(
        long_about = "Run the study described by STUDY.toml: load and clean the cohort, let the \
offline expert panel choose the confounders (unless `covariates` is set), fit every phenotype x factor \
pair, and write associations.csv, flow.csv, summary.md, study.json and a copy of STUDY.toml into DIR. \
Every step is journaled: running the same command again resumes, and a finished study is not recomputed.",
        after_help = "STUDY.toml (paths relative to the file):\n  name = \"my study\"\n  data = \"cohort/cohort.parquet\"\n  dictionary = \"cohort/dictionary.csv\"   # optional\n  phenotypes = \"imaging\"                  # a LIST, as in phewas\n  factors = \"factor\"\n  candidates = \"covariate\"                # what the panel debates\n  # covariates = \"age,sex,height,weight\"   # fixes them: no panel\n  model = \"auto\"                          # auto | linear | logistic\n  transform = \"auto\"                      # auto | none | zscore | rint\n  method = \"exact\"                        # exact | bai2020\n  [panel]\n  backend = \"embedded\""
    )]
    Run {
        /// The study configuration.
        config: PathBuf,
        /// Study directory (default: meshagents-out/<name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads for the association step (results do not depend on it).
        #[arg(long, default_value_t = default_threads())]
        threads: usize,
        /// Events as JSON lines on stdout (see `demo --help`).
        #[arg(long)]
        headless: bool,
        #[command(flatten)]
        executor: ExecutorArgs,
    },
    /// Paper exports of a finished study: the association and classification tables in CSV,
    /// TSV, Parquet, Markdown and LaTeX (booktabs; top hits per phenotype), and the figures
    /// (Manhattan, volcano, QQ, forest, ROC) as SVG and PNG.
    #[command(
        after_help = "Example:\n  meshagents study export meshagents-out/demo --format tex,md --out paper/\n\nReads DIR/associations.csv (and DIR/classification.csv, DIR/predictions.csv when the validation ran)."
    )]
    Export {
        /// Study directory.
        dir: PathBuf,
        /// Formats, comma-separated: csv, tsv, parquet, md, tex, or all.
        #[arg(long, default_value = "all")]
        format: String,
        /// Where to write (default: DIR/export).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Hits per phenotype in the Markdown and LaTeX association tables.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// Tables only, no figures.
        #[arg(long)]
        no_figures: bool,
    },
    /// Status of one study: state, progress, start time, last event (read without locking it).
    Status {
        /// Study directory (the --out of `demo`).
        dir: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Time travel: a new study that reuses DIR's steps before STEP, with changed settings,
    /// and runs on from STEP.
    #[command(
        after_help = "Example:\n  meshagents study fork meshagents-out/my-study --from phewas/adjusted --set model=linear --out meshagents-out/my-study-linear\n\nSteps: data/clean, screen/candidates, panel/confounders, [panel/approval,] phewas/adjusted, report/summary."
    )]
    Fork {
        /// The study to fork (a `study run` directory).
        dir: PathBuf,
        /// The first step to run again; everything before it is reused.
        #[arg(long)]
        from: String,
        /// A changed setting, KEY=VALUE as in STUDY.toml (repeatable; e.g. model=linear,
        /// panel.approve=true).
        #[arg(long)]
        set: Vec<String>,
        /// The new study directory.
        #[arg(long)]
        out: PathBuf,
        /// Worker threads for the association step.
        #[arg(long, default_value_t = default_threads())]
        threads: usize,
        /// Events as JSON lines on stdout.
        #[arg(long)]
        headless: bool,
        #[command(flatten)]
        executor: ExecutorArgs,
    },
    /// Approve (or edit) the confounder set a paused study's panel proposed, then run the
    /// study again to continue.
    Approve {
        /// Study directory.
        dir: PathBuf,
        /// Use these covariates instead of the panel's proposal (comma-separated; only
        /// candidates the panel considered).
        #[arg(long)]
        covariates: Option<String>,
    },
    /// Every study under ROOT, one line each.
    List {
        /// Directory holding study directories.
        #[arg(default_value = "meshagents-out")]
        root: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelArg {
    Auto,
    Linear,
    Logistic,
}

#[derive(Clone, Copy, ValueEnum)]
enum TransformArg {
    Auto,
    None,
    Zscore,
    Rint,
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    Exact,
    Bai2020,
}

/// `--scenario`; the doc comments are the one-line help of each choice.
#[derive(Clone, Copy, ValueEnum)]
enum ScenarioArg {
    /// Confounders age, sex, height and weight; sbp and heart_rate mediate (the default).
    Baseline,
    /// Adds 26414-2.0 (education deprivation), a factor driven by a socioeconomic latent that
    /// also drives a third of lifestyle fields and 5 phenotypes: a confounder to adjust for.
    FactorConfounder,
    /// Adds 30710-2.0 (C-reactive protein, "Blood assays"), a factor caused by many lifestyle
    /// fields that causes 5 phenotypes: a mediator not to adjust for.
    Mediator,
}

impl From<ScenarioArg> for Scenario {
    fn from(arg: ScenarioArg) -> Self {
        match arg {
            ScenarioArg::Baseline => Scenario::Baseline,
            ScenarioArg::FactorConfounder => Scenario::FactorConfounder,
            ScenarioArg::Mediator => Scenario::Mediator,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Parquet,
    Csv,
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Reports steps: human lines on stderr, and with `--headless` JSON lines on stdout (human lines
/// then only when stderr is a terminal).
struct StepReporter {
    started: std::sync::Mutex<Option<Instant>>,
    headless: bool,
    human: bool,
    /// The last Slurm progress reported (counts as JSON).
    last_progress: std::sync::Mutex<String>,
}

impl StepReporter {
    fn new(headless: bool) -> Self {
        use std::io::IsTerminal;
        StepReporter {
            started: std::sync::Mutex::new(None),
            headless,
            human: !headless || std::io::stderr().is_terminal(),
            last_progress: Default::default(),
        }
    }

    /// A line for a person on stderr: always without --headless, and with it only when stderr
    /// is a terminal.
    fn human_line(&self, line: impl FnOnce() -> String) {
        if self.human {
            eprintln!("{}", line());
        }
    }

    fn json(&self, value: serde_json::Value) {
        if self.headless {
            println!("{value}");
        }
    }

    /// The `study_stopped` event of a study that ended with an error (or a pause).
    fn stopped(&self, out: &std::path::Path, error: &meshagents_workflows::WorkflowError) {
        self.json(serde_json::json!({ "event": "study_stopped", "dir": out, "error": error.to_string(), "exit_code": exit_code_of(error) }));
    }
}

impl Progress for StepReporter {
    fn event(&self, body: &serde_json::Value) {
        // The queue is looked at every few seconds: report progress only when it changes.
        if let Some(counts) = body.get("slurm").filter(|e| e["event"] == "progress") {
            let text = counts.to_string();
            if let Ok(mut last) = self.last_progress.lock() {
                if std::mem::replace(&mut *last, text.clone()) == text {
                    return;
                }
            }
        }
        self.json(serde_json::json!({ "event": "activity", "body": body }));
        if self.human {
            if let Some(line) = human_event(body) {
                eprintln!("    {line}");
            }
        }
    }

    fn step_started(&self, index: usize, total: usize, title: &str) {
        if let Ok(mut started) = self.started.lock() {
            *started = Some(Instant::now());
        }
        tracing::info!(index, total, title, "step started");
        self.json(serde_json::json!({ "event": "step_started", "index": index, "total": total, "step": title }));
    }

    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str) {
        let elapsed = self
            .started
            .lock()
            .ok()
            .and_then(|t| *t)
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        self.json(serde_json::json!({ "event": "step_finished", "index": index, "total": total, "step": title, "replayed": replayed, "detail": detail, "seconds": elapsed }));
        if !self.human {
            return;
        }
        if replayed {
            eprintln!("[{index}/{total}] {title}: {detail} (from the journal)");
        } else {
            eprintln!("[{index}/{total}] {title}: {detail} ({elapsed:.1} s)");
        }
    }

    fn panel_event(&self, entry: &serde_json::Value) {
        self.json(serde_json::json!({ "event": "panel", "entry": entry }));
        // On the terminal, the meeting's milestones only; the rest is in transcript.md.
        let kind = entry["kind"].as_str().unwrap_or_default();
        if self.human && (kind == "agreement" || kind == "abstain") {
            eprintln!(
                "      panel {}: {}",
                entry["stage"].as_str().unwrap_or_default(),
                entry["text"].as_str().unwrap_or_default()
            );
        }
    }
}

/// A human line for an activity event (see `Progress::event`), if it deserves one.
fn human_event(body: &serde_json::Value) -> Option<String> {
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    if body["event"] == "merged" {
        return Some(format!(
            "merged {} parts in {:.2} s (array job {:.1} s); family size {}",
            body["shards"],
            body["merge_seconds"].as_f64().unwrap_or(0.0),
            body["array_seconds"].as_f64().unwrap_or(0.0),
            body["family_size"]
        ));
    }
    if let Some(server) = body.get("model_server") {
        return model_server_line(server);
    }
    let e = body.get("slurm")?;
    let tasks = |v: &serde_json::Value| {
        v.as_array()
            .map(|t| {
                t.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    match e["event"].as_str()? {
        "submitted" if e["reattached"] == true => Some(format!(
            "Slurm job {} (tasks {}) is in the journal: re-attached, not submitted again",
            text(&e["job_id"]),
            tasks(&e["tasks"])
        )),
        "submitted" => Some(format!(
            "submitted Slurm job {} (tasks {})",
            text(&e["job_id"]),
            tasks(&e["tasks"])
        )),
        "task_failed" => Some(format!(
            "task {} of Slurm job {}: {} (attempt {}){}; log {}",
            e["task"],
            text(&e["job_id"]),
            text(&e["state"]),
            e["attempts"],
            if e["retrying"] == true {
                ", submitting it again"
            } else {
                ""
            },
            text(&e["log"])
        )),
        "progress" => Some(format!(
            "tasks: {} done, {} running, {} pending of {}",
            e["done"], e["running"], e["pending"], e["tasks"]
        )),
        _ => None,
    }
}

/// A human line for an event of the managed model server (`[panel.server]`).
fn model_server_line(e: &serde_json::Value) -> Option<String> {
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    match e["event"].as_str()? {
        "started" => Some(format!(
            "model server started on port {} (pid {}), healthy after {} s; log {}",
            e["port"],
            e["pid"],
            e["healthy_after_s"],
            text(&e["log"])
        )),
        "stopped" => Some(format!(
            "model server stopped (pid {}, port {})",
            e["pid"], e["port"]
        )),
        "exited" => Some(format!(
            "model server (pid {}) exited on its own: {}; log {}",
            e["pid"],
            text(&e["status"]),
            text(&e["log"])
        )),
        _ => None,
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

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Simulate {
            n,
            seed,
            out,
            format,
            factors,
            scenario,
        } => {
            let started = Instant::now();
            let config = SimulationConfig {
                n,
                seed,
                factors,
                scenario: scenario.into(),
            };
            let mut cohort = simulate(&config).context("cannot simulate the cohort")?;
            let format = match format {
                Format::Parquet => OutputFormat::Parquet,
                Format::Csv => OutputFormat::Csv,
            };
            let files = write_cohort(&mut cohort, &out, format)
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
        }
        Command::Phewas(args) => phewas_command(args)?,
        Command::Study { command } => study_command(command)?,
        Command::Tui { root } => {
            let exe = std::env::current_exe().context("cannot find the meshagents binary")?;
            meshagents_tui::run(root, exe).context("terminal UI")?;
        }
        Command::Demo {
            n,
            seed,
            out,
            factors,
            threads,
            holdout,
            headless,
        } => {
            let config = DemoConfig {
                n,
                seed,
                factors,
                holdout,
                out: out.clone(),
                threads,
            };
            let progress = StepReporter::new(headless);
            install_pause_handler();
            let started = Instant::now();
            let outcome = run_demo(&config, &progress)
                .inspect_err(|e| progress.stopped(&out, e))
                .with_context(|| format!("the demo study in {} stopped", out.display()))?;
            progress.json(serde_json::json!({ "event": "study_finished", "dir": out, "steps_run": outcome.steps_run, "steps_replayed": outcome.steps_replayed, "confounders": outcome.confounders, "bonferroni_hits": outcome.phewas.bonferroni_hits, "associations": outcome.association_table, "summary": outcome.summary }));
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
        }
    }
    Ok(())
}

/// Says how a study run went: already finished, or finished with so many steps run.
fn report_run(out: &std::path::Path, started: Instant, steps_run: usize, steps_replayed: usize) {
    if steps_run == 0 {
        eprintln!(
            "study in {} was already finished; nothing recomputed",
            out.display()
        );
    } else {
        eprintln!("study finished in {:.1} s ({steps_run} steps run, {steps_replayed} replayed from the journal)", started.elapsed().as_secs_f64());
    }
}

/// Runs (or resumes) a configured study and reports it, as text or JSON lines.
fn run_configured_study(
    study: &meshagents_workflows::StudyConfig,
    out: &std::path::Path,
    threads: usize,
    headless: bool,
) -> Result<()> {
    let progress = StepReporter::new(headless);
    install_pause_handler();
    let started = Instant::now();
    let outcome = meshagents_workflows::run_study(study, out, threads, &progress)
        .inspect_err(|e| progress.stopped(out, e))
        .with_context(|| format!("the study in {} stopped", out.display()))?;
    progress.json(serde_json::json!({ "event": "study_finished", "dir": out, "steps_run": outcome.steps_run, "steps_replayed": outcome.steps_replayed, "covariates": outcome.covariates, "bonferroni_hits": outcome.phewas.bonferroni_hits, "associations": out.join("associations.csv"), "summary": out.join("summary.md") }));
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

fn study_command(command: StudyCommand) -> Result<()> {
    use meshagents_workflows::{list_studies, study_status, StudyState, StudyStatus};
    let state_text = |s: &StudyStatus| match &s.state {
        StudyState::Finished => "finished".to_string(),
        StudyState::Running { pid } => format!("running (PID {pid})"),
        StudyState::Stopped => "stopped".to_string(),
        StudyState::AwaitingApproval => "awaiting approval".to_string(),
        StudyState::New => "new".to_string(),
    };
    let when = |ms: Option<u64>| ms.map(format_utc).unwrap_or_else(|| "-".into());
    match command {
        StudyCommand::Run {
            config,
            out,
            threads,
            headless,
            executor,
        } => {
            let mut study = meshagents_workflows::StudyConfig::read(&config)?;
            study.executor = executor
                .apply(&study.executor)
                .with_context(|| format!("{}: [executor]", config.display()))?;
            let out = out.unwrap_or_else(|| PathBuf::from("meshagents-out").join(study.slug()));
            run_configured_study(&study, &out, threads, headless)?;
        }
        StudyCommand::Fork {
            dir,
            from,
            set,
            out,
            threads,
            headless,
            executor,
        } => {
            let sets = set
                .iter()
                .map(|kv| {
                    kv.split_once('=')
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .ok_or_else(|| anyhow::anyhow!("--set {kv}: expected KEY=VALUE"))
                })
                .collect::<Result<Vec<_>>>()?;
            let (mut study, reused) = meshagents_workflows::fork_study(&dir, &from, &sets, &out)
                .with_context(|| format!("cannot fork {}", dir.display()))?;
            study.executor = executor.apply(&study.executor)?;
            eprintln!(
                "forked {} into {}: reusing {}",
                dir.display(),
                out.display(),
                if reused.is_empty() {
                    "nothing".to_string()
                } else {
                    reused.join(", ")
                }
            );
            run_configured_study(&study, &out, threads, headless)?;
        }
        StudyCommand::Approve { dir, covariates } => {
            let chosen = covariates.map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            });
            let approval = meshagents_workflows::approve(&dir, chosen)?;
            eprintln!(
                "approved{}: {}; run the study's command again to continue",
                if approval.edited {
                    " (edited)"
                } else {
                    " as proposed"
                },
                if approval.covariates.is_empty() {
                    "no covariates".to_string()
                } else {
                    approval.covariates.join(", ")
                }
            );
        }
        StudyCommand::Status { dir, json } => {
            let status = study_status(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(());
            }
            println!("study:      {} ({})", status.study, status.dir.display());
            println!("state:      {}", state_text(&status));
            println!(
                "progress:   {}/{} steps",
                status.steps_done, status.steps_total
            );
            println!("backend:    {}", status.backend);
            println!("started:    {}", when(status.started_ms));
            if let Some(line) = status.model_server.as_ref().and_then(model_server_line) {
                println!("model:      {line}");
            }
            if let Some(e) = &status.last_event {
                println!(
                    "last event: {:?} {} at {}",
                    e.kind,
                    e.step,
                    format_utc(e.at_ms)
                );
            }
            if status.state == StudyState::AwaitingApproval {
                println!("approve:    meshagents study approve {} [--covariates LIST], then run the study again", status.dir.display());
            }
            if status.state == StudyState::Stopped {
                println!(
                    "resume:     run the same command again with --out {}",
                    status.dir.display()
                );
            }
        }
        StudyCommand::Export {
            dir,
            format,
            out,
            top,
            no_figures,
        } => {
            let formats = meshagents_stats::export::ExportFormat::parse_list(&format)?;
            let dest = out.unwrap_or_else(|| dir.join("export"));
            let dictionary_path = dir.join("cohort").join("dictionary.csv");
            let dictionary = if dictionary_path.exists() {
                Some(meshagents_stats::data::dictionary::Dictionary::read_csv(
                    &dictionary_path,
                )?)
            } else {
                None
            };
            let written = meshagents_workflows::validation::export_study(
                &dir,
                &dest,
                &formats,
                !no_figures,
                dictionary.as_ref(),
                top,
            )?;
            for f in written {
                println!("{}", dest.join(f).display());
            }
        }
        StudyCommand::List { root, json } => {
            let studies = list_studies(&root)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&studies)?);
                return Ok(());
            }
            if studies.is_empty() {
                eprintln!("no studies under {}", root.display());
                return Ok(());
            }
            println!(
                "{:<28} {:<8} {:<20} {:>8}  {:<30} {:<24} last event",
                "study", "kind", "state", "progress", "backend", "started"
            );
            for s in &studies {
                let name = s
                    .dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let last = s
                    .last_event
                    .as_ref()
                    .map(|e| format!("{:?} {}", e.kind, e.step))
                    .unwrap_or_default();
                println!(
                    "{:<28} {:<8} {:<20} {:>8}  {:<30} {:<24} {}",
                    name,
                    s.study,
                    state_text(s),
                    format!("{}/{}", s.steps_done, s.steps_total),
                    s.backend,
                    when(s.started_ms),
                    last
                );
            }
        }
    }
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS UTC` from milliseconds since the Unix epoch (civil-from-days).
fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Where the PheWAS runs; the Slurm options override a STUDY.toml's `[executor]` table.
#[derive(clap::Args, Clone, Default)]
struct ExecutorArgs {
    /// local: in this process. slurm: as one sbatch array job of --shards tasks, merged here
    /// (byte-identical to local); the job is journaled, so running the command again
    /// re-attaches to it.
    #[arg(long, value_enum)]
    executor: Option<ExecutorArg>,
    /// Number of array tasks (slurm).
    #[arg(long)]
    shards: Option<usize>,
    /// sbatch --partition.
    #[arg(long)]
    slurm_partition: Option<String>,
    /// sbatch --account.
    #[arg(long)]
    slurm_account: Option<String>,
    /// sbatch --time per task, e.g. 01:00:00.
    #[arg(long)]
    slurm_time: Option<String>,
    /// sbatch --mem per task, e.g. 8G.
    #[arg(long)]
    slurm_mem: Option<String>,
    /// sbatch --cpus-per-task (also the task's worker threads).
    #[arg(long)]
    slurm_cpus_per_task: Option<u32>,
    /// A further sbatch argument, as it is (repeatable), e.g. --slurm-arg=--qos=long.
    #[arg(long = "slurm-arg", allow_hyphen_values = true)]
    slurm_args: Vec<String>,
    /// Times a failed task is submitted again.
    #[arg(long)]
    max_retries: Option<u32>,
    /// Seconds between two looks at the queue.
    #[arg(long)]
    poll_seconds: Option<f64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExecutorArg {
    Local,
    Slurm,
}

impl ExecutorArgs {
    /// `base` (a STUDY.toml's table, or the defaults) with the flags given applied.
    fn apply(&self, base: &ExecutorConfig) -> Result<ExecutorConfig> {
        let mut c = base.clone();
        if let Some(e) = self.executor {
            c.kind = match e {
                ExecutorArg::Local => ExecutorKind::Local,
                ExecutorArg::Slurm => ExecutorKind::Slurm,
            };
        }
        if let Some(n) = self.shards {
            c.shards = n;
        }
        let set = |target: &mut Option<String>, value: &Option<String>| {
            if value.is_some() {
                *target = value.clone();
            }
        };
        set(&mut c.partition, &self.slurm_partition);
        set(&mut c.account, &self.slurm_account);
        set(&mut c.time, &self.slurm_time);
        set(&mut c.mem, &self.slurm_mem);
        if self.slurm_cpus_per_task.is_some() {
            c.cpus_per_task = self.slurm_cpus_per_task;
        }
        if !self.slurm_args.is_empty() {
            c.sbatch_args = self.slurm_args.clone();
        }
        if let Some(r) = self.max_retries {
            c.max_retries = r;
        }
        if let Some(p) = self.poll_seconds {
            c.poll_seconds = p;
        }
        c.validate().map_err(|(key, message)| {
            // The flag that sets the key (the value may also come from STUDY.toml).
            let flag = match key {
                "shards" => "--shards",
                "poll_seconds" => "--poll-seconds",
                "cpus_per_task" => "--slurm-cpus-per-task",
                "partition" => "--slurm-partition",
                "account" => "--slurm-account",
                "time" => "--slurm-time",
                "mem" => "--slurm-mem",
                _ => "--executor",
            };
            anyhow::anyhow!("{flag} (executor.{key}): {message}")
        })?;
        Ok(c)
    }
}

/// The options of `meshagents phewas`.
#[derive(clap::Args)]
struct PhewasArgs {
    /// Cohort table (.csv, .tsv or .parquet).
    #[arg(long)]
    data: PathBuf,
    /// Data dictionary (the dictionary.csv format of `simulate`); without one, types are
    /// inferred from the values.
    #[arg(long)]
    dictionary: Option<PathBuf>,
    /// Phenotypes (LIST).
    #[arg(long)]
    phenotypes: String,
    /// Factors (LIST).
    #[arg(long)]
    factors: String,
    /// Covariates (LIST); categorical covariates are dummy-coded.
    #[arg(long, default_value = "none")]
    covariates: String,
    /// Output table; format from the extension.
    #[arg(long)]
    out: PathBuf,
    /// auto picks by the factor's type; linear fits every factor linearly.
    #[arg(long, value_enum, default_value_t = ModelArg::Auto)]
    model: ModelArg,
    /// auto: z-score continuous variables, rank-based inverse normal for the rest (Bai 2020).
    #[arg(long, value_enum, default_value_t = TransformArg::Auto)]
    transform: TransformArg,
    /// exact: the regression models; bai2020: Pearson r of the covariate-residualised
    /// phenotype with the factor.
    #[arg(long, value_enum, default_value_t = MethodArg::Exact)]
    method: MethodArg,
    /// Worker threads (results are identical whatever this is).
    #[arg(long, default_value_t = default_threads())]
    threads: usize,
    /// Participant id column (default: the dictionary's id, or eid).
    #[arg(long)]
    id: Option<String>,
    /// Keep negative values of coded fields instead of treating them as missing.
    #[arg(long)]
    keep_negative_codes: bool,
    /// Compute only shard I of N (0-based) of the work and write it as a Parquet part (raw p;
    /// the correction happens when the parts are merged). What the Slurm tasks run.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Columns loaded and cleaned with the others but not analysed (LIST): lets a shard of a
    /// study see exactly the columns the study cleaned.
    #[arg(long, hide = true, default_value = "none")]
    load_also: String,
    /// With --executor slurm: the directory for the job's journal, task script, logs and
    /// parts (default: OUT.slurm next to --out). Running the same command again re-attaches.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Events as JSON lines on stdout (the Slurm job's submissions, progress, merge); no
    /// progress bar.
    #[arg(long)]
    headless: bool,
    #[command(flatten)]
    executor: ExecutorArgs,
}

fn phewas_command(args: PhewasArgs) -> Result<()> {
    use meshagents_stats::cohort::{AnalysisTable, Catalog, LoadOptions};
    use meshagents_stats::data::transform::Transform;
    use meshagents_stats::phewas::rows_to_frame;
    use meshagents_stats::phewas::{resolve_list, run, Method, ModelChoice, PhewasRequest, Shard};

    let started = Instant::now();
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let executor = args.executor.apply(&ExecutorConfig::default())?;
    if shard.is_some() {
        anyhow::ensure!(
            executor.kind == ExecutorKind::Local,
            "--shard computes one shard here: it does not go with --executor slurm"
        );
        anyhow::ensure!(
            meshagents_stats::data::io::TableFormat::from_path(&args.out)?
                == meshagents_stats::data::io::TableFormat::Parquet,
            "--out {}: a shard is written as Parquet (.parquet)",
            args.out.display()
        );
    }
    // Refuse an unknown output format before the work, not after.
    meshagents_stats::data::io::TableFormat::from_path(&args.out)?;
    // Resolve the column lists from the header and the dictionary, then read only those
    // columns: a wide extract costs only what the study uses.
    let catalog = Catalog::open(&args.data, args.dictionary.as_deref(), args.id.as_deref())?;
    let phenotypes = resolve_list(&catalog, &args.phenotypes, &[])
        .with_context(|| format!("--phenotypes (columns of {})", args.data.display()))?;
    let covariates = resolve_list(&catalog, &args.covariates, &phenotypes)
        .with_context(|| format!("--covariates (columns of {})", args.data.display()))?;
    let used: Vec<String> = phenotypes.iter().chain(&covariates).cloned().collect();
    let factors = resolve_list(&catalog, &args.factors, &used)
        .with_context(|| format!("--factors (columns of {})", args.data.display()))?;
    let load_also = resolve_list(&catalog, &args.load_also, &[])
        .with_context(|| format!("--load-also (columns of {})", args.data.display()))?;
    anyhow::ensure!(
        !phenotypes.is_empty(),
        "--phenotypes resolved to no columns"
    );
    anyhow::ensure!(!factors.is_empty(), "--factors resolved to no columns");
    let request = PhewasRequest {
        phenotypes,
        factors,
        covariates,
        model: match args.model {
            ModelArg::Auto => ModelChoice::Auto,
            ModelArg::Linear => ModelChoice::Linear,
            ModelArg::Logistic => ModelChoice::Logistic,
        },
        transform: match args.transform {
            TransformArg::Auto => Transform::Auto,
            TransformArg::None => Transform::None,
            TransformArg::Zscore => Transform::Zscore,
            TransformArg::Rint => Transform::Rint,
        },
        method: match args.method {
            MethodArg::Exact => Method::Exact,
            MethodArg::Bai2020 => Method::Bai2020,
        },
        threads: args.threads,
    };
    let reporter = StepReporter::new(args.headless);

    if executor.kind == ExecutorKind::Slurm {
        // The controller: no data is loaded here; the tasks load it, the parts are merged.
        let work_dir = args.work_dir.clone().unwrap_or_else(|| {
            let mut name = args.out.file_name().unwrap_or_default().to_os_string();
            name.push(".slurm");
            args.out.with_file_name(name)
        });
        std::fs::create_dir_all(&work_dir)
            .with_context(|| format!("--work-dir {}", work_dir.display()))?;
        let absolute = |p: &std::path::Path| {
            std::fs::canonicalize(p).with_context(|| format!("{}", p.display()))
        };
        let spec = meshagents_workflows::cluster::ShardSpec {
            data: absolute(&args.data)?,
            dictionary: args.dictionary.as_deref().map(absolute).transpose()?,
            id: args.id.clone(),
            keep_negative_codes: args.keep_negative_codes,
            request: request.clone(),
            load_also,
        };
        install_pause_handler();
        let journal = meshagents_engine_journal(&work_dir)?;
        let (result, times) = meshagents_workflows::cluster::run_sharded(
            &journal,
            "phewas/slurm",
            &work_dir,
            &catalog,
            &spec,
            &executor,
            &|event| reporter.event(&serde_json::json!({ "slurm": event })),
        )
        .inspect_err(|e| reporter.stopped(&work_dir, e))
        .with_context(|| format!("the Slurm run in {} stopped", work_dir.display()))?;
        let mut frame = rows_to_frame(&result.rows)?;
        meshagents_stats::data::io::write_table(&mut frame, &args.out)?;
        reporter.event(&serde_json::json!({ "event": "merged", "shards": executor.shards, "array_seconds": times.array_seconds, "merge_seconds": times.merge_seconds, "family_size": result.family_size }));
        reporter.human_line(|| {
            phewas_report(
                &request,
                &result.rows,
                result.family_size,
                started,
                &args.out,
            )
        });
        reporter.json(serde_json::json!({ "event": "phewas_finished", "out": args.out, "rows": result.rows.len(), "family_size": result.family_size }));
        if !args.headless {
            println!("{}", args.out.display());
        }
        return Ok(());
    }

    let options = LoadOptions {
        id_column: args.id,
        negative_codes_to_missing: !args.keep_negative_codes,
        columns: Some(
            request
                .phenotypes
                .iter()
                .chain(&request.covariates)
                .chain(&request.factors)
                .chain(&load_also)
                .cloned()
                .collect(),
        ),
        ..LoadOptions::default()
    };
    let table = AnalysisTable::load_catalog(&args.data, &catalog, &options)?;
    let dropped = table.flow.iter().filter(|f| !f.kept).count();
    reporter.human_line(|| {
        format!(
            "loaded {} participants, {} columns kept, {} dropped by cleaning ({:.1} s)",
            table.n_rows(),
            table.columns.len(),
            dropped,
            started.elapsed().as_secs_f64()
        )
    });
    let bar = if args.headless {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(request.factors.len() as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} factors ({eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let fitted = Instant::now();
    if let Some(shard) = shard {
        test_hook(shard)?;
        let part = meshagents_stats::phewas::run_shard(&table, &request, shard, &|done| {
            bar.set_position(done as u64)
        })?;
        bar.finish_and_clear();
        meshagents_stats::phewas::parts::write_shard(&args.out, &part)?;
        reporter.human_line(|| {
            format!(
                "shard {shard}: {} of {} factors, {} rows in {:.1} s (raw p; corrected when the parts are merged)",
                part.factors.len(),
                request.factors.len(),
                part.rows.len(),
                fitted.elapsed().as_secs_f64()
            )
        });
        reporter.json(serde_json::json!({ "event": "shard_finished", "shard": shard.to_string(), "out": args.out, "rows": part.rows.len() }));
        if !args.headless {
            println!("{}", args.out.display());
        }
        return Ok(());
    }
    let result = run(&table, &request, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    tracing::info!(
        seconds = fitted.elapsed().as_secs_f64(),
        rows = result.rows.len(),
        "fitted and corrected"
    );
    let writing = Instant::now();
    let mut frame = rows_to_frame(&result.rows)?;
    meshagents_stats::data::io::write_table(&mut frame, &args.out)?;
    tracing::info!(seconds = writing.elapsed().as_secs_f64(), "wrote the table");
    reporter.human_line(|| {
        phewas_report(
            &request,
            &result.rows,
            result.family_size,
            fitted,
            &args.out,
        )
    });
    reporter.json(serde_json::json!({ "event": "phewas_finished", "out": args.out, "rows": result.rows.len(), "family_size": result.family_size }));
    if !args.headless {
        println!("{}", args.out.display());
    }
    Ok(())
}

/// The journal of a `phewas --executor slurm` run: the job's submissions, so that running
/// the command again re-attaches.
fn meshagents_engine_journal(work_dir: &std::path::Path) -> Result<meshagents_engine::Journal> {
    meshagents_engine::Journal::open(&work_dir.join("journal"))
        .with_context(|| format!("--work-dir {}", work_dir.display()))
}

/// The closing line of a PheWAS: counts, family size, hits.
fn phewas_report(
    request: &meshagents_stats::phewas::PhewasRequest,
    rows: &[meshagents_stats::phewas::AssociationRow],
    family_size: usize,
    since: Instant,
    out: &std::path::Path,
) -> String {
    let count = |status: &str| rows.iter().filter(|r| r.status == status).count();
    format!(
        "{} phenotypes x {} factors: {} rows ({} ok, {} skipped, {} failed) in {:.1} s; family size {}; {} Bonferroni hits; {}",
        request.phenotypes.len(),
        request.factors.len(),
        rows.len(),
        count("ok"),
        count("skipped"),
        count("failed"),
        since.elapsed().as_secs_f64(),
        family_size,
        rows.iter().filter(|r| r.status == "ok" && r.bonferroni < 0.05).count(),
        out.display()
    )
}

/// A hook for the Slurm tests, inert unless `MESHAGENTS_TEST_SHARD_HOOK` names a directory:
/// with `hold-I` there, shard I writes its array job's id to `holding-I` and waits until
/// `hold-I` is removed (so a test can cancel or kill around a task that is surely running);
/// with `fail-I` there, shard I removes it and fails (its first attempt fails, its retry
/// succeeds).
fn test_hook(shard: meshagents_stats::phewas::Shard) -> Result<()> {
    let Some(dir) = std::env::var_os("MESHAGENTS_TEST_SHARD_HOOK").map(PathBuf::from) else {
        return Ok(());
    };
    let fail = dir.join(format!("fail-{}", shard.index));
    if fail.is_file() {
        std::fs::remove_file(&fail).with_context(|| fail.display().to_string())?;
        anyhow::bail!("test hook {}: shard {shard} fails once", fail.display());
    }
    let hold = dir.join(format!("hold-{}", shard.index));
    if hold.is_file() {
        let holding = dir.join(format!("holding-{}", shard.index));
        // The array job's id, so a test can cancel exactly this task.
        let job = std::env::var("SLURM_ARRAY_JOB_ID").unwrap_or_default();
        std::fs::write(&holding, format!("{job}\n"))
            .with_context(|| holding.display().to_string())?;
        // Bounded, so a test that dies cannot leave a task holding a node for ever.
        let until = Instant::now() + std::time::Duration::from_secs(600);
        while hold.is_file() && Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    Ok(())
}

/// Exit codes (documented in the README): 0 finished, 1 failed, 2 bad command line (clap),
/// 3 waiting for approval of the confounder set, 130 paused on request (Ctrl-C or SIGTERM);
/// 3 and 130 are resumable.
const EXIT_PAUSED: u8 = 130;

/// Paused until a person approves the confounder set (`study approve`).
const EXIT_AWAITING_APPROVAL: u8 = 3;

fn exit_code_of(error: &meshagents_workflows::WorkflowError) -> u8 {
    match error {
        meshagents_workflows::WorkflowError::Interrupted { .. }
        | meshagents_workflows::WorkflowError::PausedDuring { .. }
        | meshagents_workflows::WorkflowError::Detached { .. } => EXIT_PAUSED,
        meshagents_workflows::WorkflowError::AwaitingApproval { .. } => EXIT_AWAITING_APPROVAL,
        _ => 1,
    }
}

/// The first Ctrl-C or SIGTERM asks the study to pause (what is done stays journaled; model
/// calls in flight are abandoned); a second one stops at once, which the journal also
/// survives. SIGTERM is what Slurm sends at a job's time limit and on `scancel`, before
/// SIGKILL after its KillWait (30 s by default).
fn install_pause_handler() {
    extern "C" fn on_interrupt(_: libc::c_int) {
        if meshagents_workflows::interrupt::requested() {
            // SAFETY: _exit is async-signal-safe.
            unsafe { libc::_exit(i32::from(EXIT_PAUSED)) };
        }
        meshagents_workflows::interrupt::request();
    }
    // SAFETY: the handler only does an atomic store or calls _exit, both async-signal-safe.
    unsafe {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            libc::signal(
                signal,
                on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }
}

fn main() -> ExitCode {
    // Like other command-line tools, stop quietly when the reader of our output goes away
    // (`meshagents study list | head`) instead of failing on a broken pipe.
    // SAFETY: restoring the default disposition of a signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            match error.downcast_ref::<meshagents_workflows::WorkflowError>() {
                Some(e) => ExitCode::from(exit_code_of(e)),
                None => ExitCode::FAILURE,
            }
        }
    }
}
