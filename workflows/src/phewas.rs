//! `meshagents phewas`: one PheWAS on a cohort file, run here, as one shard of a Slurm array
//! job (what the tasks run), or as the controller of such a job. Also what a study's PheWAS
//! step shares with it: the column lists resolved from the header and the dictionary before
//! any data is read, and the run as an array job.

use std::path::{Path, PathBuf};
use std::time::Instant;

use meshagents_engine::slurm::ArrayEvent;
use meshagents_engine::{Event, Journal};
use meshagents_stats::cohort::{AnalysisTable, Catalog, LoadOptions};
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::data::io::TableFormat;
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::{
    resolve_list, resolve_named, run_shard, Method, ModelChoice, PhewasRequest, Shard,
};
use meshagents_stats::phewas::{write_associations, AssociationRow};
use meshagents_stats::StatsError;

use crate::cluster::{run_sharded, CohortSource, ExecutorConfig, ExecutorKind, ShardSpec};
use crate::progress::Progress;
use crate::WorkflowError;

/// The column lists of a PheWAS, resolved against the cohort's header and dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    pub phenotypes: Vec<String>,
    /// The covariates (fixed ones, or a study's candidate confounders).
    pub adjust: Vec<String>,
    pub factors: Vec<String>,
}

impl Columns {
    /// Resolves the lists in the order that decides what `all` means: the phenotypes first,
    /// then `adjust` without them, then the factors without either. `name` wraps a list's
    /// error (`phewas` names the flag; a study leaves it as it is); `labels` name the three
    /// lists in messages (flags or STUDY.toml keys).
    ///
    /// A column plays one part: fitted against itself it is a perfect "hit", and adjusted for
    /// itself it makes every design collinear. One named in two lists is an error; one that a
    /// group (`all`, a role, a category) brought into a list where another list names it, or
    /// that two groups share, stays where it was named or first brought in, with a warning.
    pub(crate) fn resolve(
        catalog: &Catalog,
        (phenotypes, adjust, factors): (&str, Option<&str>, &str),
        labels: [&'static str; 3],
        name: impl Fn(&'static str, StatsError) -> WorkflowError,
    ) -> Result<Columns, WorkflowError> {
        let names = |list: &[(String, bool)]| -> Vec<String> {
            list.iter().map(|(n, _)| n.clone()).collect()
        };
        let phenotypes =
            resolve_named(catalog, phenotypes, &[]).map_err(|e| name("--phenotypes", e))?;
        let adjust = match adjust {
            Some(list) => resolve_named(catalog, list, &names(&phenotypes))
                .map_err(|e| name("--covariates", e))?,
            None => Vec::new(),
        };
        let factors = resolve_named(
            catalog,
            factors,
            &Columns::used_of(&names(&phenotypes), &names(&adjust)),
        )
        .map_err(|e| name("--factors", e))?;
        let [phenotypes, adjust, factors] = one_part([phenotypes, adjust, factors], labels)?;
        Ok(Columns {
            phenotypes,
            adjust,
            factors,
        })
    }

    /// In a cohort derived from a UK Biobank extract every Showcase field is a factor until
    /// a list says otherwise: the columns the lists make phenotypes or covariates take those
    /// roles, so the factor cleaning rules do not drop a phenotype and the panel and reports
    /// see it for what it is. A role the overlay dictionary gave is kept.
    pub(crate) fn assign_roles(&self, catalog: &mut Catalog) {
        let Some(dictionary) = catalog.dictionary.as_mut() else {
            return;
        };
        for entry in &mut dictionary.entries {
            if entry.role != Role::Factor {
                continue;
            }
            if self.phenotypes.contains(&entry.column) {
                entry.role = Role::Imaging;
            } else if self.adjust.contains(&entry.column) {
                entry.role = Role::Covariate;
            }
        }
    }

    fn used_of(phenotypes: &[String], adjust: &[String]) -> Vec<String> {
        phenotypes.iter().chain(adjust).cloned().collect()
    }

    /// The phenotypes and covariates: what a factor list of `all` leaves out.
    pub fn used(&self) -> Vec<String> {
        Columns::used_of(&self.phenotypes, &self.adjust)
    }
}

/// The three lists with no column in two of them (see [`Columns::resolve`]).
fn one_part(
    mut lists: [Vec<(String, bool)>; 3],
    labels: [&'static str; 3],
) -> Result<[Vec<String>; 3], WorkflowError> {
    for first in 0..3 {
        for second in first + 1..3 {
            let shared: Vec<(String, bool, bool)> = lists[first]
                .iter()
                .filter_map(|(name, named_first)| {
                    lists[second]
                        .iter()
                        .find(|(other, _)| other == name)
                        .map(|(_, named_second)| (name.clone(), *named_first, *named_second))
                })
                .collect();
            // Warned once per list that keeps columns, not once per column: without a
            // dictionary a role can bring in every phenotype.
            let mut moved: [Vec<String>; 3] = Default::default();
            for (column, named_first, named_second) in shared {
                let (keep, drop) = match (named_first, named_second) {
                    (true, true) => {
                        return Err(WorkflowError::Invalid(format!(
                            "column '{column}' is named in both {} and {}: a column plays one part in a PheWAS (as a phenotype and a factor it is fitted against itself; as a covariate it is adjusted for itself); remove it from one",
                            labels[first], labels[second]
                        )))
                    }
                    (false, true) => (second, first),
                    _ => (first, second),
                };
                lists[drop].retain(|(name, _)| *name != column);
                moved[keep].push(column);
            }
            for (keep, columns) in moved.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                tracing::warn!(
                    "{} column(s) in both {} and {} stay in {} only (a column plays one part): {}",
                    columns.len(),
                    labels[first],
                    labels[second],
                    labels[keep],
                    columns.join(", ")
                );
            }
        }
    }
    Ok(lists.map(|list| list.into_iter().map(|(name, _)| name).collect()))
}

/// One `meshagents phewas` run, as the command line describes it.
#[derive(Debug, Clone)]
pub struct PhewasJob {
    /// The cohort file and how to read it; its shards read it the same way.
    pub cohort: CohortSource,
    /// LISTs, resolved against the cohort.
    pub phenotypes: String,
    pub factors: String,
    pub covariates: String,
    /// Columns loaded and cleaned with the others but not analysed (a study's shards).
    pub load_also: String,
    pub model: ModelChoice,
    pub transform: Transform,
    pub method: Method,
    pub threads: usize,
    pub out: PathBuf,
    /// `I/N`: compute only shard I of N and write it as a Parquet part.
    pub shard: Option<String>,
    pub executor: ExecutorConfig,
    /// The Slurm job's directory (default: OUT.slurm next to `out`).
    pub work_dir: Option<PathBuf>,
    /// `data` is a UK Biobank extract, derived (into OUT.ukb next to `out`) before the run.
    pub ukb: Option<crate::ukb::UkbRequest>,
    /// A JSON list of covariates left out of some factors' pairs (how a Slurm task gets its
    /// study's drops).
    pub covariate_drops: Option<PathBuf>,
}

impl PhewasJob {
    /// A folder next to the output, named after it with `suffix`.
    fn beside_out(&self, suffix: &str) -> PathBuf {
        let mut name = self.out.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        self.out.with_file_name(name)
    }

    /// Where the cohort derived from a UK Biobank extract is kept: OUT.ukb.
    pub fn ukb_dir(&self) -> PathBuf {
        self.beside_out(".ukb")
    }
}

/// What a PheWAS run tells its front end besides the study events of `Progress`.
pub trait PhewasProgress: Progress {
    /// This process is about to control a Slurm job: from here on a pause request (Ctrl-C)
    /// detaches from the job instead of stopping the process.
    fn controlling_job(&self) {}
    /// The cohort is loaded and cleaned.
    fn loaded(&self, _rows: usize, _columns: usize, _dropped: usize, _seconds: f64) {}
    /// Fitting starts on this many factors.
    fn fitting(&self, _factors: usize) {}
    /// Factors finished so far (called from the worker threads).
    fn fitted(&self, _done: usize) {}
    /// Fitting is over.
    fn fitting_done(&self) {}
}

/// How a PheWAS run ended.
#[derive(Debug)]
pub enum PhewasOutcome {
    /// The whole table was written (here, or merged from a Slurm job's parts).
    Whole {
        request: PhewasRequest,
        rows: Vec<AssociationRow>,
        family_size: usize,
        /// Since the fitting started (here) or the command started (Slurm).
        seconds: f64,
    },
    /// One shard's part was written.
    Shard {
        shard: Shard,
        /// The factors this shard fitted, of all the request's.
        fitted: usize,
        factors: usize,
        rows: usize,
        seconds: f64,
    },
}

/// Runs the PheWAS `job` describes and writes its table (or part).
pub fn run_phewas(
    job: &PhewasJob,
    progress: &dyn PhewasProgress,
) -> Result<PhewasOutcome, WorkflowError> {
    let started = Instant::now();
    let shard = job.shard.as_deref().map(Shard::parse).transpose()?;
    let executor = &job.executor;
    if shard.is_some() {
        if executor.kind != ExecutorKind::Local {
            return Err(WorkflowError::Invalid(
                "--shard computes one shard here: it does not go with --executor slurm".into(),
            ));
        }
        if TableFormat::from_path(&job.out)? != TableFormat::Parquet {
            return Err(WorkflowError::Invalid(format!(
                "--out {}: a shard is written as Parquet (.parquet)",
                job.out.display()
            )));
        }
    }
    // Refuse an output over an input, or of an unknown format, before the work, not after.
    refuse_to_overwrite_an_input(job)?;
    // A UK Biobank extract is derived first; from there on the run (its Slurm tasks too)
    // reads the derived cohort like any other.
    let prepared = match &job.ukb {
        Some(request) => {
            let dir = job.ukb_dir();
            crate::files::check_output_folder(&dir, crate::files::OutputFolder::Derived, false)?;
            Some(request.prepare(&dir)?)
        }
        None => None,
    };
    let derived_job;
    let job = match &prepared {
        Some(prepared) => {
            derived_job = PhewasJob {
                cohort: CohortSource {
                    data: prepared.data.clone(),
                    dictionary: Some(prepared.dictionary.clone()),
                    ..job.cohort.clone()
                },
                ukb: None,
                ..job.clone()
            };
            &derived_job
        }
        None => job,
    };
    TableFormat::from_path(&job.out)?;
    // Resolve the column lists from the header and the dictionary, then read only those
    // columns: a wide extract costs only what the study uses.
    let mut catalog = Catalog::open(
        &job.cohort.data,
        job.cohort.dictionary.as_deref(),
        job.cohort.id.as_deref(),
    )?;
    let name = |flag: &'static str, source: StatsError| WorkflowError::List {
        flag,
        data: job.cohort.data.clone(),
        source,
    };
    let columns = Columns::resolve(
        &catalog,
        (&job.phenotypes, Some(&job.covariates), &job.factors),
        ["--phenotypes", "--covariates", "--factors"],
        name,
    )?;
    // A derived cohort's roles come from the lists (a Slurm task recognises its study's
    // derived dictionary the same way, so it cleans the columns alike).
    if job
        .cohort
        .dictionary
        .as_deref()
        .is_some_and(crate::ukb::is_derived)
    {
        columns.assign_roles(&mut catalog);
    }
    let load_also =
        resolve_list(&catalog, &job.load_also, &[]).map_err(|e| name("--load-also", e))?;
    if columns.phenotypes.is_empty() {
        return Err(WorkflowError::Invalid(
            "--phenotypes resolved to no columns".into(),
        ));
    }
    if columns.factors.is_empty() {
        return Err(WorkflowError::Invalid(
            "--factors resolved to no columns".into(),
        ));
    }
    let mut request = PhewasRequest {
        phenotypes: columns.phenotypes,
        factors: columns.factors,
        covariates: columns.adjust,
        model: job.model,
        transform: job.transform,
        method: job.method,
        threads: job.threads,
        dropped_covariates: Vec::new(),
    };
    if let Some(path) = &job.covariate_drops {
        let text =
            std::fs::read(path).map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
        request.dropped_covariates =
            serde_json::from_slice(&text).map_err(|e| WorkflowError::Json {
                path: path.display().to_string(),
                source: e,
            })?;
    }
    if let Some(prepared) = &prepared {
        request.dropped_covariates.extend(prepared.sex_drops(
            catalog.dictionary.as_ref(),
            &request.factors,
            &request.covariates,
        ));
    }

    if executor.kind == ExecutorKind::Slurm {
        return controller(job, &catalog, request, load_also, started, progress);
    }

    let options = LoadOptions {
        id_column: job.cohort.id.clone(),
        negative_codes_to_missing: !job.cohort.keep_negative_codes,
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
    let table = AnalysisTable::load_catalog(&job.cohort.data, &catalog, &options)?;
    // Fewer rows than an intercept, a factor and an error term need: no pair can be fitted,
    // and a table of nothing but `skipped` rows would look like an answer.
    if table.n_rows() < MIN_ROWS {
        return Err(WorkflowError::Invalid(format!(
            "{}: {} participant row(s); a PheWAS needs at least {MIN_ROWS} (one more than an intercept and a factor), and many more to mean anything",
            job.cohort.data.display(),
            table.n_rows()
        )));
    }
    require_values(
        &table,
        &job.cohort.data,
        &request.covariates,
        "--covariates",
    )?;
    let dropped = table.flow.iter().filter(|f| !f.kept).count();
    progress.loaded(
        table.n_rows(),
        table.columns.len(),
        dropped,
        started.elapsed().as_secs_f64(),
    );
    progress.fitting(request.factors.len());
    let fitted = Instant::now();
    if let Some(shard) = shard {
        let part = run_shard(&table, &request, shard, &|done| progress.fitted(done))?;
        progress.fitting_done();
        meshagents_stats::phewas::parts::write_shard(&job.out, &part)?;
        return Ok(PhewasOutcome::Shard {
            shard,
            fitted: part.factors.len(),
            factors: request.factors.len(),
            rows: part.rows.len(),
            seconds: fitted.elapsed().as_secs_f64(),
        });
    }
    let result = meshagents_stats::phewas::run(&table, &request, &|done| progress.fitted(done))?;
    progress.fitting_done();
    tracing::info!(
        seconds = fitted.elapsed().as_secs_f64(),
        rows = result.rows.len(),
        "fitted and corrected"
    );
    let writing = Instant::now();
    write_associations(&result.rows, &job.out)?;
    tracing::info!(seconds = writing.elapsed().as_secs_f64(), "wrote the table");
    Ok(PhewasOutcome::Whole {
        request,
        rows: result.rows,
        family_size: result.family_size,
        seconds: fitted.elapsed().as_secs_f64(),
    })
}

/// The controller of a Slurm job: no data is loaded here; the tasks load it, the parts are
/// merged. Its journal (`WORK/journal`) holds the job's submissions, so running the same
/// command again re-attaches.
fn controller(
    job: &PhewasJob,
    catalog: &Catalog,
    request: PhewasRequest,
    load_also: Vec<String>,
    started: Instant,
    progress: &dyn PhewasProgress,
) -> Result<PhewasOutcome, WorkflowError> {
    let work_dir = job
        .work_dir
        .clone()
        .unwrap_or_else(|| job.beside_out(".slurm"));
    std::fs::create_dir_all(&work_dir)
        .map_err(|e| WorkflowError::io(format!("--work-dir {}", work_dir.display()), e))?;
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).map_err(|e| WorkflowError::io(p.display().to_string(), e))
    };
    let spec = ShardSpec {
        cohort: CohortSource {
            data: absolute(&job.cohort.data)?,
            dictionary: job.cohort.dictionary.as_deref().map(absolute).transpose()?,
            id: job.cohort.id.clone(),
            keep_negative_codes: job.cohort.keep_negative_codes,
        },
        request,
        load_also,
    };
    progress.controlling_job();
    let journal =
        Journal::open(&work_dir.join("journal")).map_err(|source| WorkflowError::WorkDir {
            dir: work_dir.clone(),
            source,
        })?;
    let (result, times) = run_sharded(
        &journal,
        "phewas/slurm",
        &work_dir,
        catalog,
        &spec,
        &job.executor,
        &|event| {
            progress.event(&Event::Slurm {
                step: None,
                slurm: event.clone(),
            })
        },
    )
    .map_err(|source| WorkflowError::SlurmRun {
        work_dir: work_dir.clone(),
        source: Box::new(source),
    })?;
    write_associations(&result.rows, &job.out)?;
    progress.event(&Event::merged(
        None,
        job.executor.shards,
        times.array_seconds,
        times.merge_seconds,
        result.family_size,
    ));
    Ok(PhewasOutcome::Whole {
        request: spec.request,
        rows: result.rows,
        family_size: result.family_size,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The PheWAS of a study's `step` as a Slurm array job: submitted (or re-attached to), waited
/// for, merged and corrected over the whole family. `spec` loads (and cleans) the columns the
/// study loaded.
pub(crate) fn study_rows_on_slurm(
    journal: &Journal,
    step: &str,
    work_dir: &Path,
    catalog: &Catalog,
    spec: &ShardSpec,
    executor: &ExecutorConfig,
    progress: &dyn Progress,
) -> Result<Vec<AssociationRow>, WorkflowError> {
    let key = format!("{step}/slurm");
    let observe = |event: &ArrayEvent| {
        progress.event(&Event::Slurm {
            step: Some(step.to_string()),
            slurm: event.clone(),
        });
        // Submissions and failures go to the journal's events too, for `study status`.
        if !matches!(event, ArrayEvent::Progress { .. }) {
            if let Err(e) = journal.event(&key, &Event::Array(event.clone())) {
                tracing::warn!(error = %e, "cannot record a Slurm event in the journal");
            }
        }
    };
    let (result, times) = run_sharded(journal, &key, work_dir, catalog, spec, executor, &observe)?;
    progress.event(&Event::merged(
        Some(step),
        executor.shards,
        times.array_seconds,
        times.merge_seconds,
        result.family_size,
    ));
    Ok(result.rows)
}

/// The fewest participants `phewas` runs on.
const MIN_ROWS: usize = 3;

/// Refuses a covariate with no value at all (`list` names where it was given): every pair
/// adjusted for it would be skipped, and a table of nothing but `skipped` rows, or a panel that
/// quietly passes it over, would look like an answer about data that is not there.
pub(crate) fn require_values(
    table: &AnalysisTable,
    data: &Path,
    covariates: &[String],
    list: &str,
) -> Result<(), WorkflowError> {
    for name in covariates {
        if table
            .column(name)
            .is_some_and(|v| v.iter().all(|v| v.is_nan()))
        {
            return Err(WorkflowError::File {
                path: data.display().to_string(),
                message: format!(
                    "column '{name}' (in {list}) has no values: all {} rows are missing, so every pair adjusted for it would be skipped; fix the column or remove it from {list}",
                    table.n_rows()
                ),
            });
        }
    }
    Ok(())
}

/// `--out` must not name an input (issue 15, item 4: `--out` equal to `--data` used to write
/// the results over the cohort) nor a directory, nor lie under a file; the inputs must not be
/// directories. All said before anything is loaded. Paths are compared after resolving them, so
/// `./cohort.csv`, a symlink or a hard link to the cohort are caught too.
fn refuse_to_overwrite_an_input(job: &PhewasJob) -> Result<(), WorkflowError> {
    if job.out.is_dir() {
        return Err(WorkflowError::Invalid(format!(
            "--out {}: is a directory; name the file to write (e.g. {}/associations.csv)",
            job.out.display(),
            job.out.display()
        )));
    }
    // A parent that is a file would only fail at the end, after the whole run.
    if let Some(file) = job
        .out
        .ancestors()
        .skip(1)
        .find(|a| !a.as_os_str().is_empty() && a.is_file())
    {
        return Err(WorkflowError::Invalid(format!(
            "--out {}: {} is a file, not a folder to write into",
            job.out.display(),
            file.display()
        )));
    }
    let inputs = [
        ("--data", Some(&job.cohort.data)),
        ("--dictionary", job.cohort.dictionary.as_ref()),
    ];
    for (flag, input) in inputs {
        let Some(input) = input else { continue };
        if input.is_dir() {
            return Err(WorkflowError::Invalid(format!(
                "{flag} {}: is a directory; name the file (a .csv, .tsv or .parquet table{})",
                input.display(),
                if flag == "--data" {
                    ", e.g. the cohort.csv of `meshagents simulate`"
                } else {
                    ", e.g. its dictionary.csv"
                }
            )));
        }
        if same_file(&job.out, input) {
            return Err(WorkflowError::Invalid(format!(
                "--out {} is the {flag} file {}: meshagents never writes over its inputs; choose another --out",
                job.out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Whether two paths name one existing file (same device and inode after resolving).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}
