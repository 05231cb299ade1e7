//! The command line: every command and flag with its help, in one place. The domain enums
//! (`ModelChoice`, `Transform`, `Method`, `Scenario`, `OutputFormat`, `ExecutorKind`) derive
//! `clap::ValueEnum` in their own crates, so a choice's name and help are written once.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::{Method, ModelChoice};
use meshagents_stats::simulate::{OutputFormat, Scenario, DEFAULT_FACTORS};
use meshagents_workflows::{ExecutorConfig, ExecutorKind};

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
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Write a simulated UK Biobank-like cardiac imaging cohort with known causal structure.
    #[command(
        long_about = "Write a seeded, UK Biobank-like cardiac imaging cohort: DIR/cohort.parquet \
(or .csv), DIR/dictionary.csv (one row per column: field id, description, category, value type, \
coding, role) and DIR/truth.json (the planted confounders, direct associations, mediators and \
disease drivers). The same seed gives byte-identical files. --scenario chooses the causal \
structure; the baseline's files are the same as before scenarios existed.\n\n\
With --ukb, the same cohort is written the way UK Biobank delivers it instead: DIR/ukb.csv (eid \
and FIELD-INSTANCE.ARRAY columns: the cohort's values at instance 2, an earlier perturbed copy at \
instance 0, blood pressure and pulse as two readings whose mean is the value, and the \
multi-valued fields 20002, 41270, 6150, 6177 and 6153 over their array columns; imaging and \
bsa keep their names), DIR/Data_Dictionary_Showcase.tsv and DIR/Codings.tsv (the Showcase \
layouts, covering every field and code written), DIR/dictionary.csv (an overlay naming eid, \
imaging and covariates), DIR/STUDY.toml (the files, instance 2, and every disease defined by \
its 20002 and 41270 codes: the disease labels are not columns) and DIR/truth.json (the planted \
truth under the ukb.csv names). --ukb always writes CSV: it cannot be combined with --format.",
        after_help = "Example:\n  meshagents simulate --n 40000 --out cohort\n  meshagents simulate --ukb --n 40000 --out ukb"
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
        #[arg(long, value_enum, default_value_t = OutputFormat::Parquet)]
        format: OutputFormat,
        /// Number of non-imaging factor fields (at least the ~300 named ones).
        #[arg(long, default_value_t = DEFAULT_FACTORS)]
        factors: usize,
        /// Causal structure to plant (a scenario adds one factor field of its own).
        #[arg(long, value_enum, default_value_t = Scenario::Baseline)]
        scenario: Scenario,
        /// Write the cohort as a UK Biobank extract with its Showcase, codings and a
        /// STUDY.toml (always CSV; see above).
        #[arg(long, conflicts_with = "format")]
        ukb: bool,
        /// Write into --out even when it is a non-empty folder that is not a simulated cohort
        /// (files there with the names meshagents writes are replaced).
        #[arg(long)]
        force: bool,
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
        /// Write into --out even when it is a non-empty folder that is not a study
        /// (files there with the names meshagents writes are replaced).
        #[arg(long)]
        force: bool,
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
    Phewas(Box<PhewasArgs>),
    /// Make an ordinary cohort from a UK Biobank extract as it is delivered.
    #[command(
        long_about = "Read a UK Biobank extract as it is delivered (one column per field, instance \
and array: 20002-2.13, f.20002.2.13 or x20002_2_13) with the Showcase data dictionary \
(Data_Dictionary_Showcase.tsv) and the codings (Codings.tsv), and write an ordinary cohort into \
DIR: cohort.parquet, dictionary.csv (role, category, description and levels from the Showcase \
and codings) and fields.csv (every field: kept or not, recorded for one sex or not, and why).\n\n\
Each field is taken at one instance (--instance, default 2: the imaging visit; fields recorded \
once, such as 31 Sex, from their only instance), arrays of a measure averaged, a categorical \
field's first array with a value. A 'Categorical multiple' field becomes one binary factor per \
code (PHESANT-style names: 20002#1065, 41270#I10) held by at least --min-cases participants: 1 \
if the code is in any of its array columns, 0 if the participant answered or attended the \
instance without it, missing if never asked. Negative codes (do not know, prefer not to answer) \
are never factors. Dates, times, text and compound fields are skipped, with the reason in \
fields.csv.\n\n\
Imaging phenotypes and covariates are named by a small dictionary.csv (--dictionary): its entries \
replace the Showcase's. `phewas --showcase` and STUDY.toml's `showcase = ...` do the same \
derivation themselves; this command is for looking at the result first.",
        after_help = "Example:\n  meshagents ukb --data ukb.csv --showcase Data_Dictionary_Showcase.tsv --codings Codings.tsv \\\n      --dictionary imaging.csv --diseases STUDY.toml --out ukb-cohort\n\nA diseases file (or STUDY.toml) defines diseases by codes:\n  [diseases.hypertension]\n  self_report = [1065, 1072]   # field 20002 (coding 6), any instance\n  icd10 = [\"I10\", \"I15*\"]      # field 41270; * matches a prefix"
    )]
    Ukb(UkbArgs),
    /// The terminal UI: start, watch, steer and browse the studies under ROOT.
    #[command(
        long_about = "A terminal UI for the studies under ROOT: the study list (status, progress, \
backend, start time, last event), a wizard that writes STUDY.toml and starts the study, the live \
panel view (each agent's messages, tool calls, votes, agreement per round, token and cost \
counters), the approval gate for the panel's confounder set, and the results browser (sortable, \
filterable association table with a detail pane, a Manhattan plot, and export). Studies run as \
`meshagents study run ... --headless` child processes and keep running if the TUI quits; a study \
another process runs is followed read-only through its files.",
        after_help = meshagents_tui::view::keys_help()
    )]
    Tui {
        /// Directory holding study directories (created by the wizard if missing).
        #[arg(default_value = "meshagents-out")]
        root: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum StudyCommand {
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
        #[command(flatten)]
        run: StudyRunArgs,
    },
    /// Paper exports of a finished study: the association and classification tables in CSV,
    /// TSV, Parquet, Markdown and LaTeX (booktabs; top hits per phenotype), and the figures
    /// (Manhattan, volcano, QQ, forest, ROC) as SVG and PNG.
    #[command(
        after_help = "Example:\n  meshagents study export meshagents-out/demo --format tex,md --out paper/\n  meshagents study export meshagents-out/demo --format tex --latex-size footnotesize --out paper/\n\nReads DIR/associations.csv (and DIR/classification.csv, DIR/predictions.csv when the validation ran)."
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
        /// LaTeX tables on landscape pages (needs \usepackage{pdflscape}): the tables get the
        /// page's height as their width, and longer descriptions.
        #[arg(long)]
        latex_landscape: bool,
        /// Type size of the LaTeX tables; smaller type leaves room for longer descriptions.
        #[arg(long, value_enum, default_value = "normal")]
        latex_size: meshagents_stats::export::LatexSize,
        /// Replace the files of an earlier export that differ (without it, such an export is
        /// refused, naming them, and nothing is written).
        #[arg(long)]
        force: bool,
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
        after_help = "Example:\n  meshagents study fork meshagents-out/my-study --from phewas/adjusted --set model=linear --name my-study-linear --out meshagents-out/my-study-linear\n\nSteps: data/clean, screen/candidates, panel/confounders, [panel/approval,] phewas/adjusted, report/summary.",
        mut_arg("threads", |a| a.help("Worker threads for the association step")),
        mut_arg("headless", |a| a.help("Events as JSON lines on stdout"))
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
        /// The fork's study name (its STUDY.toml `name`; default: the parent's).
        #[arg(long)]
        name: Option<String>,
        /// The new study directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        run: StudyRunArgs,
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

pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// How `study run` and `study fork` run the study (fork words two of the helps its own way).
#[derive(clap::Args)]
pub struct StudyRunArgs {
    /// Worker threads for the association step (results do not depend on it).
    #[arg(long, default_value_t = default_threads())]
    pub threads: usize,
    /// Events as JSON lines on stdout (see `demo --help`).
    #[arg(long)]
    pub headless: bool,
    /// Write into the study folder even when it is a non-empty folder that is not a study
    /// (files there with the names meshagents writes are replaced).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub executor: ExecutorArgs,
}

/// Where the PheWAS runs; the Slurm options override a STUDY.toml's `[executor]` table.
#[derive(clap::Args, Clone, Default)]
pub struct ExecutorArgs {
    /// local: in this process. slurm: as one sbatch array job of --shards tasks, merged here
    /// (byte-identical to local); the job is journaled, so running the command again
    /// re-attaches to it.
    #[arg(long, value_enum)]
    executor: Option<ExecutorKind>,
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

impl ExecutorArgs {
    /// `base` (a STUDY.toml's table, or the defaults) with the flags given applied.
    pub fn apply(&self, base: &ExecutorConfig) -> Result<ExecutorConfig> {
        let mut c = base.clone();
        if let Some(kind) = self.executor {
            c.kind = kind;
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

/// How a UK Biobank extract is derived: shared by `ukb` and `phewas --showcase`.
#[derive(clap::Args, Clone)]
pub struct DeriveArgs {
    /// UK Biobank's Codings.tsv (Coding, Value, Meaning): the levels' and codes' meanings.
    /// Without it, levels keep their codes.
    #[arg(long)]
    pub codings: Option<PathBuf>,
    /// The instance fields are taken from (2: the first imaging visit).
    #[arg(long, default_value_t = 2)]
    pub instance: u32,
    /// Take this instance for participants missing at --instance (recorded per field).
    #[arg(long, value_name = "N")]
    pub instance_fallback: Option<u32>,
    /// Test a code of a multi-valued field only when this many participants have it.
    #[arg(long, default_value_t = 20)]
    pub min_cases: usize,
    /// A TOML file whose [diseases.NAME] tables define diseases by codes (a STUDY.toml will
    /// do); each becomes a binary column with the role disease.
    #[arg(long, value_name = "FILE")]
    pub diseases: Option<PathBuf>,
}

/// The options of `meshagents ukb`.
#[derive(clap::Args)]
pub struct UkbArgs {
    /// The extract (.csv, .tsv or .parquet), as UK Biobank delivers it.
    #[arg(long)]
    pub data: PathBuf,
    /// UK Biobank's Data_Dictionary_Showcase.tsv.
    #[arg(long)]
    pub showcase: PathBuf,
    #[command(flatten)]
    pub derive: DeriveArgs,
    /// A dictionary.csv whose entries replace the Showcase's (imaging phenotypes, covariates).
    #[arg(long)]
    pub dictionary: Option<PathBuf>,
    /// Participant id column (default: eid).
    #[arg(long)]
    pub id: Option<String>,
    /// Output folder (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// Write into --out even when it is a non-empty folder of other files.
    #[arg(long)]
    pub force: bool,
}

/// The options of `meshagents phewas`.
#[derive(clap::Args)]
pub struct PhewasArgs {
    /// Cohort table (.csv, .tsv or .parquet).
    #[arg(long)]
    pub data: PathBuf,
    /// Data dictionary (the dictionary.csv format of `simulate`); without one, types are
    /// inferred from the values. With --showcase, it overlays the Showcase's entries.
    #[arg(long)]
    pub dictionary: Option<PathBuf>,
    /// UK Biobank's Data_Dictionary_Showcase.tsv: --data is then an extract as delivered,
    /// derived first into OUT.ukb next to --out (see `meshagents ukb --help`).
    #[arg(long)]
    pub showcase: Option<PathBuf>,
    #[command(flatten)]
    pub derive: DeriveArgs,
    /// Phenotypes (LIST).
    #[arg(long)]
    pub phenotypes: String,
    /// Factors (LIST).
    #[arg(long)]
    pub factors: String,
    /// Covariates (LIST); categorical covariates are dummy-coded.
    #[arg(long, default_value = "none")]
    pub covariates: String,
    /// Output table; format from the extension.
    #[arg(long)]
    pub out: PathBuf,
    /// auto picks by the factor's type; linear fits every factor linearly.
    #[arg(long, value_enum, default_value_t = ModelChoice::Auto)]
    pub model: ModelChoice,
    /// auto: z-score continuous variables, rank-based inverse normal for the rest (Bai 2020).
    #[arg(long, value_enum, default_value_t = Transform::Auto)]
    pub transform: Transform,
    /// exact: the regression models; bai2020: Pearson r of the covariate-residualised
    /// phenotype with the factor.
    #[arg(long, value_enum, default_value_t = Method::Exact)]
    pub method: Method,
    /// Worker threads (results are identical whatever this is).
    #[arg(long, default_value_t = default_threads())]
    pub threads: usize,
    /// Participant id column (default: the dictionary's id, or eid).
    #[arg(long)]
    pub id: Option<String>,
    /// Keep negative values of coded fields instead of treating them as missing.
    #[arg(long)]
    pub keep_negative_codes: bool,
    /// Compute only shard I of N (0-based) of the work and write it as a Parquet part (raw p;
    /// the correction happens when the parts are merged). What the Slurm tasks run.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Columns loaded and cleaned with the others but not analysed (LIST): lets a shard of a
    /// study see exactly the columns the study cleaned.
    #[arg(long, hide = true, default_value = "none")]
    pub load_also: String,
    /// A JSON list of covariates left out of some factors' pairs: how a Slurm task of a
    /// study gets the study's.
    #[arg(long, hide = true, value_name = "FILE")]
    pub covariate_drops: Option<PathBuf>,
    /// With --executor slurm: the directory for the job's journal, task script, logs and
    /// parts (default: OUT.slurm next to --out). Running the same command again re-attaches.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Events as JSON lines on stdout (the Slurm job's submissions, progress, merge); no
    /// progress bar.
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub executor: ExecutorArgs,
}
