//! `meshagents study run STUDY.toml`: the study on a user's own cohort. The same journaled
//! steps as the demo without the simulation: load and clean, let the panel choose the
//! confounders (unless the configuration fixes the covariates), the PheWAS, the summary.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use meshagents_engine::slurm::ArrayEvent;
use meshagents_engine::Journal;
use meshagents_stats::cohort::{AnalysisTable, Catalog, LoadOptions};
use meshagents_stats::confounding::{screen_candidates, CovariateEvidence};
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::data::io::write_table;
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::{self, resolve_list, Method, ModelChoice, PhewasRequest};
use meshagents_stats::phewas::{rows_to_frame, AssociationRow};
use serde::{Deserialize, Serialize};

use crate::cluster::{run_sharded, ExecutorConfig, ExecutorKind, ShardSpec};
use crate::demo::{
    panel_step, phenotype_step, write_flow, write_study_config, CleanResult, PhewasResult,
    Progress, Runner,
};
use crate::files::{record, verify, WrittenFile};
use crate::holdout::StudySplit;
pub use crate::holdout::ValidationConfig;
use crate::model_server::ModelServer;
use crate::panel::write_decisions;
pub use crate::panel::PanelConfig;
use crate::summary::{write_summary, PhewasSummary, SummaryHeader};
use crate::validation::VALIDATION_STEPS;
use crate::WorkflowError;

/// `STUDY.toml`. Unknown keys are errors, so a typo cannot silently fall back to a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// A name for the study (also the default output directory under `meshagents-out/`).
    pub name: String,
    /// The cohort table (.csv, .tsv or .parquet); relative paths are relative to STUDY.toml.
    pub data: PathBuf,
    /// The data dictionary (`dictionary.csv` format); optional.
    #[serde(default)]
    pub dictionary: Option<PathBuf>,
    /// The participant id column, when neither the dictionary nor the usual names give it.
    #[serde(default)]
    pub id: Option<String>,
    /// Phenotypes (a LIST, as in `phewas`).
    #[serde(default = "default_phenotypes")]
    pub phenotypes: String,
    /// Factors (a LIST).
    #[serde(default = "default_factors")]
    pub factors: String,
    /// Covariates fixed by the study. When absent, the panel chooses among `candidates`.
    #[serde(default)]
    pub covariates: Option<String>,
    /// The candidate confounders the panel debates (a LIST).
    #[serde(default = "default_candidates")]
    pub candidates: String,
    #[serde(default = "default_model")]
    pub model: ModelChoice,
    #[serde(default = "default_transform")]
    pub transform: Transform,
    #[serde(default = "default_method")]
    pub method: Method,
    #[serde(default)]
    pub panel: PanelConfig,
    /// The validation's discovery/validation split (`[validation] holdout`, `seed`).
    #[serde(default)]
    pub validation: ValidationConfig,
    /// Where the PheWAS step runs (`[executor]`: local, or a Slurm array job). How a study
    /// runs is not what it computes: the executor is left out of the study's identity
    /// (`study.json`), so a study started on one executor can be resumed on another.
    #[serde(default, skip_serializing_if = "ExecutorConfig::is_default")]
    pub executor: ExecutorConfig,
}

fn default_phenotypes() -> String {
    "imaging".into()
}
fn default_factors() -> String {
    "factor".into()
}
fn default_candidates() -> String {
    "covariate".into()
}
fn default_model() -> ModelChoice {
    ModelChoice::Auto
}
fn default_transform() -> Transform {
    Transform::Auto
}
fn default_method() -> Method {
    Method::Exact
}

impl StudyConfig {
    /// Reads and checks `STUDY.toml`; errors name the file and the key.
    pub fn read(path: &Path) -> Result<Self, WorkflowError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| WorkflowError::File {
            path: file.clone(),
            message: e.to_string(),
        })?;
        let mut config: StudyConfig = toml::from_str(&text).map_err(|e| WorkflowError::File {
            path: file.clone(),
            message: e.to_string(),
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.data = base.join(&config.data);
        config.dictionary = config.dictionary.as_deref().map(|d| base.join(d));
        if !config.data.is_file() {
            return Err(WorkflowError::File {
                path: file,
                message: format!("key `data`: {} does not exist", config.data.display()),
            });
        }
        if let Some(d) = config.dictionary.as_ref().filter(|d| !d.is_file()) {
            return Err(WorkflowError::File {
                path: file,
                message: format!("key `dictionary`: {} does not exist", d.display()),
            });
        }
        // Absolute paths, so the copy of the configuration kept in the study directory works
        // from anywhere.
        config.data = std::fs::canonicalize(&config.data).unwrap_or(config.data);
        if let Some(roles) = config.panel.roles.take() {
            let roles = if roles.is_relative() {
                base.join(roles)
            } else {
                roles
            };
            if !roles.is_file() {
                return Err(WorkflowError::File {
                    path: file,
                    message: format!("key `panel.roles`: {} does not exist", roles.display()),
                });
            }
            config.panel.roles = Some(std::fs::canonicalize(&roles).unwrap_or(roles));
        }
        config.dictionary = config
            .dictionary
            .map(|d| std::fs::canonicalize(&d).unwrap_or(d));
        if let Err(e) = config.panel.validate() {
            return Err(WorkflowError::File {
                path: file,
                message: e.to_string(),
            });
        }
        if let Err(e) = config.validation.validate() {
            return Err(WorkflowError::File {
                path: file,
                message: e.to_string(),
            });
        }
        if config.name.trim().is_empty() {
            return Err(WorkflowError::File {
                path: file,
                message: "key `name`: must not be empty".into(),
            });
        }
        config
            .executor
            .validate()
            .map_err(|(key, message)| WorkflowError::File {
                path: file.clone(),
                message: format!("key `executor.{key}`: {message}"),
            })?;
        Ok(config)
    }

    /// The journal keys and titles of this study's steps: without the panel's two steps when
    /// the covariates are fixed, with the approval step when a person approves.
    pub fn plan(&self) -> (&'static [&'static str], &'static [&'static str]) {
        if self.covariates.is_some() {
            (&FIXED_STEP_KEYS, &FIXED_STEPS)
        } else if self.panel.approve {
            (&APPROVED_STEP_KEYS, &APPROVED_STEPS)
        } else {
            (&STUDY_STEP_KEYS, &STUDY_STEPS)
        }
    }

    /// A directory name made from the study's name.
    pub fn slug(&self) -> String {
        let slug: String = self
            .name
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        slug.trim_matches('-').to_string()
    }
}

/// The journal keys of a study's steps, in order.
/// The PheWAS step's key, in every plan (a Slurm job's submissions are journaled under it).
const PHEWAS_STEP: &str = "phewas/adjusted";

pub const STUDY_STEP_KEYS: [&str; 9] = [
    "data/clean",
    "screen/candidates",
    "panel/confounders",
    "panel/phenotypes",
    "phewas/adjusted",
    "report/summary",
    "validation/classify",
    "export/figures",
    "report/study",
];
/// The steps when a person approves the panel's set.
pub const APPROVED_STEP_KEYS: [&str; 10] = [
    "data/clean",
    "screen/candidates",
    "panel/confounders",
    "panel/approval",
    "panel/phenotypes",
    "phewas/adjusted",
    "report/summary",
    "validation/classify",
    "export/figures",
    "report/study",
];
const APPROVED_STEPS: [&str; 10] = [
    "load and clean",
    "screen candidate confounders",
    "panel: choose confounders",
    "approval of the confounder set",
    "panel: choose phenotypes per disease",
    "adjusted association of every phenotype with every factor",
    "write the summary",
    VALIDATION_STEPS[0],
    VALIDATION_STEPS[1],
    VALIDATION_STEPS[2],
];

/// What a person decided about the panel's confounder set (`DIR/approval.json`, written by
/// `meshagents study approve`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub covariates: Vec<String>,
    /// True when the person changed the panel's set.
    pub edited: bool,
}

/// The panel's proposal waiting for a person (`DIR/proposed_confounders.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub proposed: Vec<String>,
    pub candidates: Vec<String>,
    pub agreement: f64,
}

/// Records the approval of the proposal in `dir`, as proposed or with `covariates` instead.
pub fn approve(dir: &Path, covariates: Option<Vec<String>>) -> Result<Approval, WorkflowError> {
    let path = dir.join("proposed_confounders.json");
    let text = std::fs::read_to_string(&path).map_err(|_| WorkflowError::File {
        path: dir.display().to_string(),
        message: "no confounder set is waiting for approval here (no proposed_confounders.json)"
            .into(),
    })?;
    let proposal: Proposal = serde_json::from_str(&text).map_err(|e| WorkflowError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let approval = match covariates {
        Some(chosen) => {
            if let Some(unknown) = chosen.iter().find(|c| !proposal.candidates.contains(c)) {
                return Err(WorkflowError::Invalid(format!(
                    "'{unknown}' is not one of the candidates the panel considered: {}",
                    proposal.candidates.join(", ")
                )));
            }
            Approval {
                edited: chosen != proposal.proposed,
                covariates: chosen,
            }
        }
        None => Approval {
            covariates: proposal.proposed,
            edited: false,
        },
    };
    let out = dir.join("approval.json");
    let body = serde_json::to_string_pretty(&approval)
        .map_err(|e| WorkflowError::Invalid(e.to_string()))?
        + "\n";
    std::fs::write(&out, body).map_err(|e| WorkflowError::File {
        path: out.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(approval)
}

/// The steps when the configuration fixes the covariates (no screen, no panel).
pub const FIXED_STEP_KEYS: [&str; 3] = ["data/clean", "phewas/adjusted", "report/summary"];
const FIXED_STEPS: [&str; 3] = [
    "load and clean",
    "adjusted association of every phenotype with every factor",
    "write the summary",
];
const STUDY_STEPS: [&str; 9] = [
    "load and clean",
    "screen candidate confounders",
    "panel: choose confounders",
    "panel: choose phenotypes per disease",
    "adjusted association of every phenotype with every factor",
    "write the summary",
    VALIDATION_STEPS[0],
    VALIDATION_STEPS[1],
    VALIDATION_STEPS[2],
];

#[derive(Debug, Clone)]
pub struct StudyOutcome {
    pub out: PathBuf,
    pub covariates: Vec<String>,
    pub steps_run: usize,
    pub steps_replayed: usize,
    pub phewas: PhewasSummary,
}

/// Runs (or resumes) the study of `config` in `out`.
pub fn run_study(
    config: &StudyConfig,
    out: &Path,
    threads: usize,
    progress: &dyn Progress,
) -> Result<StudyOutcome, WorkflowError> {
    std::fs::create_dir_all(out).map_err(|e| WorkflowError::File {
        path: out.display().to_string(),
        message: format!("cannot create the study directory: {e}"),
    })?;
    let mut identity = StudyConfig {
        executor: ExecutorConfig::default(),
        ..config.clone()
    };
    identity.panel.protocol = config.panel.protocol.identity();
    write_study_config(out, "study", &identity)?;
    let toml_copy = toml::to_string(config).map_err(|e| WorkflowError::Invalid(e.to_string()))?;
    std::fs::write(out.join("STUDY.toml"), toml_copy).map_err(|e| WorkflowError::File {
        path: out.join("STUDY.toml").display().to_string(),
        message: e.to_string(),
    })?;

    let journal = Journal::open(&out.join("journal"))?;
    let panel_meets = config.covariates.is_none();
    let approval_gate = panel_meets && config.panel.approve;
    let (keys, titles) = config.plan();
    journal.event(
        "study/plan",
        serde_json::json!({ "study": "study", "steps": keys }),
    )?;
    let server = ModelServer::new(config.panel.server.clone(), out);
    let mut runner = Runner {
        journal,
        progress,
        titles,
        run: 0,
        replayed: 0,
        server: &server,
    };
    // Step numbers as the user sees them: the panel's two steps only when it meets.
    let (n_phewas, n_summary) = if approval_gate {
        (6, 7)
    } else if panel_meets {
        (5, 6)
    } else {
        (2, 3)
    };

    // The lists are resolved from the header and the dictionary, then only those columns load.
    let catalog = Catalog::open(
        &config.data,
        config.dictionary.as_deref(),
        config.id.as_deref(),
    )?;
    let phenotypes = resolve_list(&catalog, &config.phenotypes, &[])?;
    let fixed = config
        .covariates
        .as_ref()
        .map(|c| resolve_list(&catalog, c, &phenotypes))
        .transpose()?;
    let candidates = match &fixed {
        Some(_) => Vec::new(),
        None => resolve_list(&catalog, &config.candidates, &phenotypes)?,
    };
    let used: Vec<String> = phenotypes
        .iter()
        .chain(fixed.iter().flatten())
        .chain(&candidates)
        .cloned()
        .collect();
    let factors = resolve_list(&catalog, &config.factors, &used)?;
    if phenotypes.is_empty() || factors.is_empty() {
        return Err(WorkflowError::Invalid(format!(
            "`phenotypes` ({}) and `factors` ({}) must name at least one column each",
            phenotypes.len(),
            factors.len()
        )));
    }
    // The panel's second stage characterises the disease labels: load them too.
    let diseases: Vec<String> = if panel_meets {
        catalog
            .columns
            .iter()
            .filter(|c| catalog.role(c) == Role::Disease)
            .filter(|c| !used.contains(c) && !factors.contains(c))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let options = LoadOptions {
        id_column: config.id.clone(),
        columns: Some(
            used.iter()
                .chain(&factors)
                .chain(&diseases)
                .cloned()
                .collect(),
        ),
        ..LoadOptions::default()
    };
    let table: OnceCell<AnalysisTable> = OnceCell::new();
    let load = || -> Result<&AnalysisTable, WorkflowError> {
        if let Some(t) = table.get() {
            return Ok(t);
        }
        let loaded = AnalysisTable::load_catalog(&config.data, &catalog, &options)?;
        Ok(table.get_or_init(|| loaded))
    };
    // The panel sees the discovery part only; the classifiers are scored on the rest. Without
    // the panel there is no validation, so nothing is set aside.
    let split = StudySplit::new(config.validation.settings(), &load);
    let split_request = panel_meets.then(|| split.settings.request());

    let clean: CleanResult = runner.step(
        1,
        STUDY_STEP_KEYS[0],
        // The columns are part of the request: a fork that changes them must not replay. So
        // is the split, set aside here before anything else looks at the data.
        &serde_json::json!({ "rules": options.rules, "data": config.data, "columns": options.columns, "split": split_request }),
        |r: &CleanResult| format!("{} of {} factors kept", r.factors_kept, r.factors_in),
        |_| -> Result<_, WorkflowError> {
            let t = load()?;
            write_flow(&out.join("flow.csv"), t)?;
            let kept = |names: &[String]| names.iter().filter(|n| t.column(n).is_some()).count();
            Ok(CleanResult {
                split: panel_meets.then(|| split.summary()).transpose()?,
                ..CleanResult::from_table(
                    t,
                    kept(&phenotypes),
                    kept(&used) - kept(&phenotypes),
                    (factors.len(), kept(&factors)),
                    vec![record(out, "flow.csv")?],
                )
            })
        },
    )?;
    verify(out, &clean.files)?;

    let mut approved: Option<Approval> = None;
    let (covariates, decision, evidence) = match fixed {
        Some(fixed) => (fixed, None, Vec::new()),
        None => {
            let evidence: Vec<CovariateEvidence> = runner.step(
                2,
                STUDY_STEP_KEYS[1],
                &serde_json::json!({ "candidates": candidates, "strongest_pairs": 40, "split": split_request }),
                |e: &Vec<CovariateEvidence>| format!("{} candidates", e.len()),
                |_| -> Result<_, WorkflowError> {
                    // The discovery part only.
                    let t = split.discovery()?;
                    let present = |names: &[String]| {
                        names
                            .iter()
                            .filter(|n| t.column(n).is_some())
                            .cloned()
                            .collect::<Vec<_>>()
                    };
                    Ok(screen_candidates(
                        t,
                        &present(&candidates),
                        &present(&phenotypes),
                        &present(&factors),
                        40,
                    )?)
                },
            )?;
            let decision = panel_step(
                &mut runner,
                3,
                &evidence,
                (&phenotypes, &factors),
                &split,
                &config.panel,
                out,
                threads,
            )?;
            if !approval_gate {
                (decision.confounders.clone(), Some(decision), evidence)
            } else {
                // The gate: without a person's approval on file the study pauses here, with
                // the proposal written out for `study approve` (and the TUI).
                if !runner.journal.is_completed("panel/approval")?
                    && !out.join("approval.json").is_file()
                {
                    // What the panel said so far, for the person who approves.
                    write_decisions(
                        out,
                        &config.panel.describe(),
                        &decision.confounders,
                        Some(&decision),
                        None,
                        Some(&split.summary()?),
                    )?;
                    let proposal = Proposal {
                        proposed: decision.confounders.clone(),
                        candidates: decision.items.iter().map(|t| t.variable.clone()).collect(),
                        agreement: decision.rounds.last().and_then(|r| r.kappa).unwrap_or(1.0),
                    };
                    let path = out.join("proposed_confounders.json");
                    let body = serde_json::to_string_pretty(&proposal)
                        .map_err(|e| WorkflowError::Invalid(e.to_string()))?
                        + "\n";
                    std::fs::write(&path, body).map_err(|e| WorkflowError::File {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })?;
                    return Err(WorkflowError::AwaitingApproval {
                        dir: out.to_path_buf(),
                        proposed: decision.confounders.clone(),
                    });
                }
                let approval: Approval = runner.step(
                    4,
                    "panel/approval",
                    &decision.confounders,
                    |a: &Approval| {
                        format!(
                            "{} {}",
                            if a.edited {
                                "edited to"
                            } else {
                                "approved as proposed:"
                            },
                            a.covariates.join(", ")
                        )
                    },
                    |_| -> Result<_, WorkflowError> {
                        let path = out.join("approval.json");
                        let text =
                            std::fs::read_to_string(&path).map_err(|e| WorkflowError::File {
                                path: path.display().to_string(),
                                message: e.to_string(),
                            })?;
                        serde_json::from_str(&text).map_err(|e| WorkflowError::File {
                            path: path.display().to_string(),
                            message: e.to_string(),
                        })
                    },
                )?;
                approved = Some(approval.clone());
                (approval.covariates, Some(decision), evidence)
            }
        }
    };

    let stage_b = match &decision {
        Some(stage_a) => {
            let result = phenotype_step(
                &mut runner,
                n_phewas - 1,
                out,
                Some(stage_a),
                &covariates,
                &evidence,
                &split,
                &config.panel,
                out,
                threads,
            )?;
            verify(out, &result.files)?;
            runner.stop_model_server();
            Some(result.decision)
        }
        None => None,
    };

    let request = PhewasRequest {
        phenotypes: phenotypes.clone(),
        factors: factors.clone(),
        covariates: covariates.clone(),
        model: config.model,
        transform: config.transform,
        method: config.method,
        threads,
    };
    let phewas_key = serde_json::json!({ "phenotypes": request.phenotypes, "factors": request.factors, "covariates": request.covariates, "model": request.model, "transform": request.transform, "method": request.method });
    let phewas: PhewasResult = runner.step_in(
        n_phewas,
        PHEWAS_STEP,
        &phewas_key,
        |r: &PhewasResult| {
            format!(
                "{} rows, {} Bonferroni hits",
                r.summary.pairs, r.summary.bonferroni_hits
            )
        },
        |journal| -> Result<_, WorkflowError> {
            let rows = match config.executor.kind {
                ExecutorKind::Local => phewas::run(load()?, &request, &|_| {})?.rows,
                // On Slurm the shards run as one array job whose submissions are steps of
                // their own (`phewas/adjusted/slurm/...`): a restart re-attaches to the job.
                ExecutorKind::Slurm => sharded_rows(
                    journal, config, out, &catalog, &options, &used, &request, progress,
                )?,
            };
            let t = load()?;
            let mut frame = rows_to_frame(&rows)?;
            write_table(&mut frame, &out.join("associations.csv"))?;
            Ok(PhewasResult {
                summary: PhewasSummary::score(&rows, None, &t.dictionary),
                files: vec![record(out, "associations.csv")?],
            })
        },
    )?;
    verify(out, &phewas.files)?;

    let header = SummaryHeader {
        title: format!("Study: {}", config.name),
        intro: format!("`{}` analysed end to end: cleaning, {}, and covariate-adjusted associations of {} phenotypes with {} factors.", config.data.display(), if decision.is_some() { "a confounder panel" } else { "covariates fixed by the configuration" }, phenotypes.len(), factors.len()),
        cohort: format!("{} participants (`{}`)", clean.rows, config.data.display()),
    };
    let header = match &approved {
        Some(a) => SummaryHeader {
            intro: format!(
                "{} A person approved the confounder set{}.",
                header.intro,
                if a.edited {
                    format!(", editing it to: {}", a.covariates.join(", "))
                } else {
                    " as the panel proposed it".to_string()
                }
            ),
            ..header
        },
        None => header,
    };
    let summary_files: Vec<WrittenFile> = runner.step(
        n_summary,
        STUDY_STEP_KEYS[5],
        &serde_json::json!({ "format": "markdown", "version": 1 }),
        |_: &Vec<WrittenFile>| "summary.md".to_string(),
        |_| -> Result<_, WorkflowError> {
            write_summary(
                &out.join("summary.md"),
                &header,
                &clean,
                decision.as_ref(),
                stage_b.as_ref(),
                &covariates,
                &phewas.summary,
                None,
            )?;
            Ok(vec![record(out, "summary.md")?])
        },
    )?;
    verify(out, &summary_files)?;

    // With the panel's phenotypes per disease: classification (panel vs expert arm), the
    // paper's tables and figures, and the report.
    if let Some(stage_a) = &decision {
        let decisions = crate::validation::decisions_or_confounders(
            out,
            &covariates,
            stage_a.rounds.last().and_then(|r| r.kappa),
        )?;
        crate::validation::validation_steps(
            &mut runner,
            n_summary + 1,
            out,
            &split,
            &decisions,
            (config.panel.protocol.seed, threads),
            &clean,
            &config.name,
        )?;
    }
    Ok(StudyOutcome {
        out: out.to_path_buf(),
        covariates,
        steps_run: runner.run,
        steps_replayed: runner.replayed,
        phewas: phewas.summary,
    })
}

/// The PheWAS of a study as a Slurm array job: submitted (or re-attached to), waited for,
/// merged and corrected over the whole family.
#[allow(clippy::too_many_arguments)]
fn sharded_rows(
    journal: &Journal,
    config: &StudyConfig,
    out: &Path,
    catalog: &Catalog,
    options: &LoadOptions,
    used: &[String],
    request: &PhewasRequest,
    progress: &dyn Progress,
) -> Result<Vec<AssociationRow>, WorkflowError> {
    let key = format!("{}/slurm", PHEWAS_STEP);
    let spec = ShardSpec {
        data: config.data.clone(),
        dictionary: config.dictionary.clone(),
        id: config.id.clone(),
        keep_negative_codes: !options.negative_codes_to_missing,
        request: request.clone(),
        // The shards load (and clean) the same columns as the study did.
        load_also: used.to_vec(),
    };
    let observe = |event: &ArrayEvent| {
        progress.event(&serde_json::json!({ "step": PHEWAS_STEP, "slurm": event }));
        // Submissions and failures go to the journal's events too, for `study status`.
        if !matches!(event, ArrayEvent::Progress { .. }) {
            if let Ok(body) = serde_json::to_value(event) {
                if let Err(e) = journal.event(&key, body) {
                    tracing::warn!(error = %e, "cannot record a Slurm event in the journal");
                }
            }
        }
    };
    let (result, times) = run_sharded(
        journal,
        &key,
        &out.join("slurm"),
        catalog,
        &spec,
        &config.executor,
        &observe,
    )?;
    progress.event(&serde_json::json!({ "step": PHEWAS_STEP, "event": "merged", "shards": config.executor.shards, "array_seconds": times.array_seconds, "merge_seconds": times.merge_seconds, "family_size": result.family_size }));
    Ok(result.rows)
}
