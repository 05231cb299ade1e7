//! The demo study: simulate a cohort, then run on it the steps of a study with the panel
//! (`plan::Plan::demo`): clean it, let the panel choose confounders and the phenotypes per
//! disease from the statistics, the adjusted association of every imaging phenotype with every
//! factor, the summary, the validation, the exports and the report. Every step is journaled;
//! running again on the same directory resumes, and a finished study is not recomputed.
//!
//! Its steps are the shared ones of `steps`; what differs from `study run` is where the cohort
//! comes from, the lists (roles of the simulated dictionary) and the scoring against the
//! planted truth. Its requests predate configured studies and are kept as they were, so old
//! demo journals resume.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use meshagents_engine::Journal;
use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::confounding::CovariateEvidence;
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::{self, Method, ModelChoice, PhewasRequest};
use meshagents_stats::simulate::{SimulationConfig, Truth, DEFAULT_FACTORS};
use serde::{Deserialize, Serialize};

use crate::files::{record, verify, write_study_config};
use crate::holdout::{SplitSettings, StudySplit};
use crate::model_server::ModelServer;
use crate::panel::PanelConfig;
use crate::plan::{Plan, Step};
use crate::progress::Progress;
use crate::runner::Runner;
use crate::steps::{self, CleanResult, PhewasResult, SimulateResult};
use crate::summary::{PanelScores, PhewasSummary, SummaryHeader};
use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoConfig {
    pub n: usize,
    pub seed: u64,
    pub factors: usize,
    /// Share of participants held out from the panel to validate its choice on (`[validation]
    /// holdout`); the split's seed is the demo's seed.
    #[serde(default = "default_holdout")]
    pub holdout: f64,
    #[serde(skip)]
    pub out: PathBuf,
    #[serde(skip)]
    pub threads: usize,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            n: 3_000,
            seed: 42,
            factors: DEFAULT_FACTORS,
            holdout: meshagents_stats::cohort::split::DEFAULT_HOLDOUT,
            out: PathBuf::from("meshagents-out/demo"),
            threads: 2,
        }
    }
}

fn default_holdout() -> f64 {
    meshagents_stats::cohort::split::DEFAULT_HOLDOUT
}

#[derive(Debug, Clone)]
pub struct DemoOutcome {
    pub out: PathBuf,
    pub association_table: PathBuf,
    pub summary: PathBuf,
    pub confounders: Vec<String>,
    pub steps_run: usize,
    pub steps_replayed: usize,
    pub phewas: PhewasSummary,
}

/// Runs (or resumes) the demo study in `config.out`.
pub fn run_demo(
    config: &DemoConfig,
    progress: &dyn Progress,
) -> Result<DemoOutcome, WorkflowError> {
    if config.n < 200 {
        return Err(WorkflowError::Invalid(format!(
            "--n must be at least 200 for the demo's statistics to mean anything (got {})",
            config.n
        )));
    }
    meshagents_stats::cohort::split::check_holdout(config.holdout)?;
    let out = config.out.clone();
    std::fs::create_dir_all(&out).map_err(|e| {
        WorkflowError::io(
            format!("{}: cannot create the study directory", out.display()),
            e,
        )
    })?;
    write_study_config(&out, "demo", config)?;
    let journal = Journal::open(&out.join("journal"))?;
    // The demo's panel is the embedded one: no model server.
    let server = ModelServer::none();
    let mut runner = Runner::start(journal, "demo", Plan::demo(), progress, &server)?;

    let sim_config = SimulationConfig {
        n: config.n,
        seed: config.seed,
        factors: config.factors,
        ..Default::default()
    };
    let simulated = steps::simulate::run(&mut runner, &sim_config, &out)?;
    let cohort_dir = out.join("cohort");

    // The analysis table is loaded only if a step that needs it has to run.
    let table: OnceCell<AnalysisTable> = OnceCell::new();
    let rules = CleaningRules::default();
    let load = || -> Result<&AnalysisTable, WorkflowError> {
        if let Some(t) = table.get() {
            return Ok(t);
        }
        let loaded = AnalysisTable::load(
            &cohort_dir.join("cohort.parquet"),
            &cohort_dir.join("dictionary.csv"),
            &rules,
        )?;
        Ok(table.get_or_init(|| loaded))
    };
    // The panel sees the discovery part only; the classifiers are scored on the rest.
    let split = StudySplit::new(
        SplitSettings {
            holdout: config.holdout,
            seed: config.seed,
        },
        &load,
    );
    let split_request = split.settings.request();

    // Every column of the simulated cohort, by its role in the dictionary.
    let clean = steps::clean::run(
        &mut runner,
        &out,
        &serde_json::json!({ "rules": rules, "split": split_request }),
        steps::clean::Detail::FactorsAndRecoded,
        || {
            let t = load()?;
            steps::clean::write_flow(&out.join("flow.csv"), t, &[])?;
            let count = |role: Role| {
                t.dictionary
                    .entries
                    .iter()
                    .filter(|e| e.role == role)
                    .count()
            };
            Ok(CleanResult {
                split: Some(split.summary()?),
                ..CleanResult::from_table(
                    t,
                    t.kept_with_role(Role::Imaging).len(),
                    t.kept_with_role(Role::Covariate).len(),
                    (count(Role::Factor), t.kept_with_role(Role::Factor).len()),
                    vec![record(&out, "flow.csv")?],
                )
            })
        },
    )?;

    // Evidence on the candidate confounders (every covariate in the dictionary).
    let evidence: Vec<CovariateEvidence> = steps::screen::run(
        &mut runner,
        &serde_json::json!({ "candidates": "role=covariate", "strongest_pairs": steps::screen::STRONGEST_PAIRS, "split": split_request }),
        &split,
        |t| steps::screen::Columns {
            candidates: t.kept_with_role(Role::Covariate),
            phenotypes: t.kept_with_role(Role::Imaging),
            factors: t.kept_with_role(Role::Factor),
        },
    )?;

    // The panel meets: confounders, then phenotypes per disease.
    let panel = PanelConfig::default();
    let (all_phenotypes, all_factors) = {
        let t = load()?;
        (
            t.kept_with_role(Role::Imaging),
            t.kept_with_role(Role::Factor),
        )
    };
    let decision = steps::confounders::run(
        &mut runner,
        &evidence,
        (&all_phenotypes, &all_factors),
        &split,
        &panel,
        &out,
        config.threads,
    )?;
    if decision.confounders.is_empty() {
        tracing::warn!("the panel chose no confounders; associations will be unadjusted");
    }
    let phenotypes = steps::phenotypes::run(
        &mut runner,
        &out,
        Some(&decision),
        &decision.confounders,
        &evidence,
        &split,
        &panel,
        &out,
        config.threads,
    )?;

    // Adjusted associations, scored against the planted truth.
    let truth: Truth = read_truth(&cohort_dir.join("truth.json"))?;
    let phewas_request = serde_json::json!({ "model": "auto", "transform": "auto", "method": "exact", "covariates": decision.confounders });
    let phewas: PhewasResult = runner.step(
        Step::Phewas,
        &phewas_request,
        steps::phewas::detail_pairs,
        |_| -> Result<_, WorkflowError> {
            let t = load()?;
            let request = PhewasRequest {
                phenotypes: t.kept_with_role(Role::Imaging),
                // Every factor of the cohort: those cleaning dropped get `skipped` rows that
                // say why, so every requested pair has a row.
                factors: t.dictionary.columns_with_role(Role::Factor),
                covariates: decision.confounders.clone(),
                model: ModelChoice::Auto,
                transform: Transform::Auto,
                method: Method::Exact,
                threads: config.threads,
                dropped_covariates: Vec::new(),
            };
            let rows = phewas::run(t, &request, &|_| {})?.rows;
            steps::phewas::write(&out, &rows, Some(&truth), &t.dictionary)
        },
    )?;
    verify(&out, &phewas.files)?;

    steps::summary::run(
        &mut runner,
        &out,
        steps::summary::Input {
            header: &header(config, &simulated),
            clean: &clean,
            decision: Some(&decision),
            phenotypes: Some(&phenotypes.decision),
            covariates: &decision.confounders,
            phewas: &phewas,
            truth: Some(&truth),
        },
    )?;

    // Validation, exports and figures, the report.
    let mut decisions = crate::validation::decisions_or_confounders(
        &out,
        &decision.confounders,
        decision.minutes.rounds.last().and_then(|r| r.kappa),
    )?;
    // The report shows how the panel did against the cohort's planted truth.
    decisions["truth_scores"] = serde_json::json!({
        "confounders": PanelScores::confounders(&decision.confounders, &truth),
        "disease_phenotypes": PanelScores::phenotypes(&phenotypes.decision.disease_phenotypes, &truth),
    });
    let validation = steps::classify::run(
        &mut runner,
        &out,
        &split,
        &decisions,
        (config.seed, config.threads),
    )?;
    steps::figures::run(&mut runner, &out, &split)?;
    steps::report::run(
        &mut runner,
        &out,
        &split,
        &decisions,
        &clean,
        &validation,
        "MESHAgents demo study",
    )?;
    write_study_toml(&out, config)?;

    Ok(DemoOutcome {
        association_table: out.join("associations.csv"),
        summary: out.join("summary.md"),
        out,
        confounders: decision.confounders,
        steps_run: runner.run,
        steps_replayed: runner.replayed,
        phewas: phewas.summary,
    })
}

/// The opening of the demo's summary.
fn header(config: &DemoConfig, simulated: &SimulateResult) -> SummaryHeader {
    SummaryHeader {
        title: "MESHAgents demo study".into(),
        intro: format!("A simulated UK Biobank-like cohort (n = {}, seed = {}, {} non-imaging fields) whose causal structure is known, analysed end to end: cleaning, a confounder panel, and covariate-adjusted associations of every imaging phenotype with every non-imaging factor.", config.n, config.seed, config.factors),
        cohort: format!("{} participants, {} columns (`cohort/cohort.parquet`, with `dictionary.csv` and `truth.json`)", simulated.rows, simulated.columns),
    }
}

fn read_truth(path: &Path) -> Result<Truth, WorkflowError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
    serde_json::from_str(&text)
        .map_err(|e| WorkflowError::json(format!("{}: not a truth file", path.display()), e))
}

/// The configuration this study runs with, so the directory says how it was made. A study
/// directory made with another configuration is refused rather than silently mixed.
/// `DIR/STUDY.toml`: the analysis part of the demo as a study configuration on the simulated
/// cohort, so `meshagents study run DIR/STUDY.toml` repeats it (and is a template for one's own).
fn write_study_toml(out: &Path, config: &DemoConfig) -> Result<(), WorkflowError> {
    let cohort = std::fs::canonicalize(out.join("cohort"))
        .map_err(|e| WorkflowError::io(out.join("cohort").display().to_string(), e))?;
    let config = crate::study_run::StudyConfig {
        name: "demo analysis".into(),
        data: cohort.join("cohort.parquet"),
        dictionary: Some(cohort.join("dictionary.csv")),
        id: None,
        showcase: None,
        codings: None,
        instance: None,
        instance_fallback: None,
        min_cases: None,
        diseases: Default::default(),
        phenotypes: "imaging".into(),
        factors: "factor".into(),
        covariates: None,
        candidates: "covariate".into(),
        model: ModelChoice::Auto,
        transform: Transform::Auto,
        method: Method::Exact,
        panel: Default::default(),
        executor: Default::default(),
        // The demo's split, so that the study repeats it.
        validation: crate::holdout::ValidationConfig {
            holdout: config.holdout,
            seed: Some(config.seed),
        },
    };
    let text = toml::to_string(&config).map_err(|e| WorkflowError::Invalid(e.to_string()))?;
    let path = out.join("STUDY.toml");
    std::fs::write(&path, text).map_err(|e| WorkflowError::io(path.display().to_string(), e))
}
