//! Executors: where the PheWAS runs. `local` fits every pair in this process (worker
//! threads); `slurm` splits the work into shards, runs `meshagents phewas ... --shard I/N` as
//! the tasks of one Slurm array job (through `engine::slurm`, which journals the job and
//! re-attaches to it after a restart), then merges the parts and corrects for multiple
//! testing over the whole family. The merged table is byte-identical to a local run's.

use std::path::{Path, PathBuf};

use meshagents_engine::slurm::{run_array, ArrayEvent, ArrayJob, SlurmError, SlurmOptions};
use meshagents_engine::Journal;
use meshagents_stats::cohort::Catalog;
use meshagents_stats::phewas::parts::read_shard;
use meshagents_stats::phewas::{merge_shards, resolve_list, PhewasRequest, PhewasResult, Shard};
use serde::{Deserialize, Serialize};

use crate::WorkflowError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ExecutorKind {
    /// In this process, on worker threads.
    #[default]
    Local,
    /// As a Slurm array job of `shards` tasks.
    Slurm,
}

impl std::str::FromStr for ExecutorKind {
    type Err = WorkflowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(ExecutorKind::Local),
            "slurm" => Ok(ExecutorKind::Slurm),
            other => Err(WorkflowError::Invalid(format!(
                "executor '{other}': expected local or slurm"
            ))),
        }
    }
}

/// The `[executor]` table of `STUDY.toml` (and the `--executor`/`--slurm-*` flags). Unknown
/// keys are errors, so a misspelt Slurm option cannot silently fall back to a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutorConfig {
    #[serde(default)]
    pub kind: ExecutorKind,
    /// Number of array tasks the PheWAS is split into (slurm only).
    #[serde(default = "default_shards")]
    pub shards: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Time limit per task (`sbatch --time`, e.g. `"01:00:00"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Memory per task (`sbatch --mem`, e.g. `"8G"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<String>,
    /// CPUs per task; also the task's worker threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus_per_task: Option<u32>,
    /// Further `sbatch` arguments, passed as they are (e.g. `["--qos=long"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbatch_args: Vec<String>,
    /// How many times a failed task is submitted again.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// Seconds between two looks at the queue.
    #[serde(default = "default_poll")]
    pub poll_seconds: f64,
}

fn default_shards() -> usize {
    4
}
fn default_retries() -> u32 {
    SlurmOptions::default().max_retries
}
fn default_poll() -> f64 {
    SlurmOptions::default().poll_seconds
}

impl Default for ExecutorConfig {
    /// Local, with the Slurm options' own defaults for a later `kind = "slurm"`.
    fn default() -> Self {
        let slurm = SlurmOptions::default();
        ExecutorConfig {
            kind: ExecutorKind::Local,
            shards: default_shards(),
            partition: slurm.partition,
            account: slurm.account,
            time: slurm.time,
            mem: slurm.mem,
            cpus_per_task: slurm.cpus_per_task,
            sbatch_args: slurm.sbatch_args,
            max_retries: slurm.max_retries,
            poll_seconds: slurm.poll_seconds,
        }
    }
}

impl ExecutorConfig {
    pub fn is_default(&self) -> bool {
        *self == ExecutorConfig::default()
    }

    /// Checks the values. The error is the offending key of the `[executor]` table (`shards`,
    /// `poll_seconds`, ...) and what is wrong with it, so that a configuration file and a
    /// command line can each name it their way.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.shards == 0 || self.shards > 10_000 {
            return Err((
                "shards",
                format!("{} is not between 1 and 10000", self.shards),
            ));
        }
        if !(self.poll_seconds.is_finite() && self.poll_seconds > 0.0) {
            return Err((
                "poll_seconds",
                format!("{} is not a positive number of seconds", self.poll_seconds),
            ));
        }
        if self.cpus_per_task == Some(0) {
            return Err(("cpus_per_task", "must be at least 1".into()));
        }
        for (key, value) in [
            ("partition", &self.partition),
            ("account", &self.account),
            ("time", &self.time),
            ("mem", &self.mem),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err((key, "empty".into()));
            }
        }
        Ok(())
    }

    pub fn slurm_options(&self) -> SlurmOptions {
        SlurmOptions {
            partition: self.partition.clone(),
            account: self.account.clone(),
            time: self.time.clone(),
            mem: self.mem.clone(),
            cpus_per_task: self.cpus_per_task,
            sbatch_args: self.sbatch_args.clone(),
            max_retries: self.max_retries,
            poll_seconds: self.poll_seconds,
        }
    }
}

/// Everything a shard task needs to load the cohort exactly as the controller did and fit
/// its part of the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShardSpec {
    #[serde(flatten)]
    pub cohort: CohortSource,
    pub request: PhewasRequest,
    /// Columns loaded (and cleaned) with the analysed ones without being analysed: a study
    /// loads its candidate confounders too, and cleaning must see the same columns.
    pub load_also: Vec<String>,
}

/// Where a cohort is read from and how: the same for a PheWAS run and for each of its shards,
/// which must load the cohort exactly as the run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortSource {
    pub data: PathBuf,
    pub dictionary: Option<PathBuf>,
    pub id: Option<String>,
    pub keep_negative_codes: bool,
}

/// Timings of the serial ends of a sharded run, for the user and the benchmarks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShardedTimes {
    /// Submitting, waiting for and retrying the array job.
    pub array_seconds: f64,
    /// Reading the parts, ordering the rows and correcting over the whole family.
    pub merge_seconds: f64,
}

/// The path of the binary the tasks run: `MESHAGENTS_EXE` when set (for programs that embed
/// the workflows), else this process's own executable. Always absolute: tasks run elsewhere.
pub fn task_program() -> Result<PathBuf, WorkflowError> {
    let program = match std::env::var_os("MESHAGENTS_EXE") {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe().map_err(|e| {
            WorkflowError::io(
                "meshagents: cannot find this program's path for the Slurm tasks",
                e,
            )
        })?,
    };
    std::fs::canonicalize(&program).map_err(|e| {
        WorkflowError::io(
            format!("{}: the program the Slurm tasks run", program.display()),
            e,
        )
    })
}

/// The part file of shard `task` in `work_dir`.
pub fn part_path(work_dir: &Path, task: usize) -> PathBuf {
    work_dir.join("parts").join(format!("part-{task}.parquet"))
}

/// Runs `spec` as `shards` Slurm array tasks under the journal steps `key/...`, waits for them
/// (re-attaching to a journaled job), merges the parts and corrects over the whole family.
#[allow(clippy::too_many_arguments)]
pub fn run_sharded(
    journal: &Journal,
    key: &str,
    work_dir: &Path,
    catalog: &Catalog,
    spec: &ShardSpec,
    executor: &ExecutorConfig,
    observe: &dyn Fn(&ArrayEvent),
) -> Result<(PhewasResult, ShardedTimes), WorkflowError> {
    let started = std::time::Instant::now();
    std::fs::create_dir_all(work_dir.join("parts"))
        .map_err(|e| WorkflowError::io(work_dir.join("parts").display().to_string(), e))?;
    let work_dir = std::fs::canonicalize(work_dir)
        .map_err(|e| WorkflowError::io(work_dir.display().to_string(), e))?;
    let program = task_program()?;
    let request = &spec.request;
    // The lists go to the tasks as files of column names, checked to resolve back to exactly
    // these lists (a column named like a role or a category would not).
    let list = |name: &str,
                columns: &[String],
                exclude: &[String]|
     -> Result<String, WorkflowError> {
        if columns.is_empty() {
            return Ok("none".into());
        }
        let path = work_dir.join(format!("{name}.txt"));
        std::fs::write(&path, columns.join("\n") + "\n")
            .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
        let spec = format!("@{}", path.display());
        let back = resolve_list(catalog, &spec, exclude)?;
        if back != columns {
            return Err(WorkflowError::Invalid(format!(
                "the {name} cannot be passed to the Slurm tasks by name (a column is named like a role, category or 'all'): {}",
                columns.join(", ")
            )));
        }
        Ok(spec)
    };
    let used: Vec<String> = request
        .phenotypes
        .iter()
        .chain(&request.covariates)
        .cloned()
        .collect();
    let mut args: Vec<String> = vec![
        program.display().to_string(),
        "phewas".into(),
        "--data".into(),
        spec.cohort.data.display().to_string(),
        "--phenotypes".into(),
        list("phenotypes", &request.phenotypes, &[])?,
        "--covariates".into(),
        list("covariates", &request.covariates, &request.phenotypes)?,
        "--factors".into(),
        list("factors", &request.factors, &used)?,
        "--model".into(),
        plain(&request.model)?,
        "--transform".into(),
        plain(&request.transform)?,
        "--method".into(),
        plain(&request.method)?,
        "--threads".into(),
        executor.cpus_per_task.unwrap_or(1).to_string(),
    ];
    if let Some(d) = &spec.cohort.dictionary {
        args.extend(["--dictionary".into(), d.display().to_string()]);
    }
    if let Some(id) = &spec.cohort.id {
        args.extend(["--id".into(), id.clone()]);
    }
    if spec.cohort.keep_negative_codes {
        args.push("--keep-negative-codes".into());
    }
    // Covariates left out of some factors' pairs reach the tasks as a file: without them a
    // task would fit those factors fully adjusted, and the merge pass its rows off as the
    // request's.
    if !request.dropped_covariates.is_empty() {
        let path = work_dir.join("covariate_drops.json");
        let text = serde_json::to_vec_pretty(&request.dropped_covariates).map_err(|e| {
            WorkflowError::Json {
                path: path.display().to_string(),
                source: e,
            }
        })?;
        std::fs::write(&path, text)
            .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
        args.extend(["--covariate-drops".into(), path.display().to_string()]);
    }
    if !spec.load_also.is_empty() {
        args.extend([
            "--load-also".into(),
            list("load-also", &spec.load_also, &[])?,
        ]);
    }
    let shards = executor.shards;
    args.extend([
        "--shard".into(),
        format!("{{task}}/{shards}"),
        "--out".into(),
        work_dir
            .join("parts")
            .join("part-{task}.parquet")
            .display()
            .to_string(),
    ]);
    // The identity of the job: what it computes, not how it is scheduled (the Slurm options
    // may change between a run and its resumption without making it another job).
    let mut identity_request = request.clone();
    identity_request.threads = 0;
    let identity = serde_json::json!({
        "data": spec.cohort.data,
        "dictionary": spec.cohort.dictionary,
        "id": spec.cohort.id,
        "keep_negative_codes": spec.cohort.keep_negative_codes,
        "request": identity_request,
        "load_also": spec.load_also,
        "shards": shards,
    });
    let output = |task: usize| part_path(&work_dir, task);
    let job = ArrayJob {
        key,
        identity,
        tasks: shards,
        command: args,
        work_dir: &work_dir,
        output: &output,
    };
    run_array(
        journal,
        &job,
        &executor.slurm_options(),
        observe,
        &crate::interrupt::requested,
    )
    .map_err(|e| match e {
        SlurmError::Engine(e) => WorkflowError::Engine(e),
        SlurmError::Stopped { job_ids } => WorkflowError::Detached { job_ids },
        other => WorkflowError::Cluster(other.to_string()),
    })?;
    let array_seconds = started.elapsed().as_secs_f64();

    let merging = std::time::Instant::now();
    let mut parts = Vec::with_capacity(shards);
    for task in 0..shards {
        parts.push(read_shard(
            &part_path(&work_dir, task),
            Shard {
                index: task,
                count: shards,
            },
        )?);
    }
    let result = merge_shards(request, parts)?;
    Ok((
        result,
        ShardedTimes {
            array_seconds,
            merge_seconds: merging.elapsed().as_secs_f64(),
        },
    ))
}

/// The command-line spelling of a serde enum value (`"auto"` without the quotes).
fn plain(value: &impl Serialize) -> Result<String, WorkflowError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        other => Err(WorkflowError::Invalid(format!(
            "cannot spell {other:?} as a command-line value"
        ))),
    }
}
