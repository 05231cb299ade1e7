//! The demo study: simulate a cohort, clean it, let the panel choose confounders from the
//! statistics, run the adjusted association of every imaging phenotype with every factor, and
//! write the table and a summary. Every step is journaled; running again on the same directory
//! resumes, and a finished study is not recomputed.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use meshagents_agents::{ConfounderDecision, PhenotypeDecision};
use meshagents_engine::Journal;
use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::confounding::{screen_candidates, CovariateEvidence};
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::data::io::write_table;
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::rows_to_frame;
use meshagents_stats::phewas::{self, Method, ModelChoice, PhewasRequest};
use meshagents_stats::simulate::{
    simulate, write_cohort, OutputFormat, SimulationConfig, Truth, DEFAULT_FACTORS,
    GENERATOR_VERSION,
};
use serde::{Deserialize, Serialize};

use crate::files::{record, verify, WrittenFile};
use crate::holdout::{SplitSettings, StudySplit};
use crate::model_server::ModelServer;
use crate::panel::{variables, write_decisions, Meeting, PanelConfig};
use crate::summary::{write_summary, PhewasSummary, SummaryHeader};
use crate::tool_host::StatsToolHost;
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

/// Where a study reports what it is doing (the CLI prints it; tests ignore it).
pub trait Progress: Sync {
    fn step_started(&self, index: usize, total: usize, title: &str);
    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str);
    /// A line of the panel's transcript as it happens (agents' messages, tool calls, votes).
    fn panel_event(&self, _entry: &serde_json::Value) {}
    /// Something a long step is doing (a Slurm job submitted, its tasks' progress); a JSON
    /// object. Ignored unless the front end shows it.
    fn event(&self, _body: &serde_json::Value) {}
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulateResult {
    pub files: Vec<WrittenFile>,
    pub rows: usize,
    pub columns: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanResult {
    pub rows: usize,
    pub imaging: usize,
    pub covariates: usize,
    pub factors_in: usize,
    pub factors_kept: usize,
    pub diseases: usize,
    pub recoded_values: usize,
    pub recoded_fields: usize,
    /// (column, reason) for every dropped column.
    pub dropped: Vec<(String, String)>,
    /// The discovery/validation split set aside here, before anything else looks at the data
    /// (absent when the study has no validation).
    #[serde(default)]
    pub split: Option<meshagents_stats::cohort::split::SplitSummary>,
    pub files: Vec<WrittenFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhewasResult {
    pub summary: PhewasSummary,
    pub files: Vec<WrittenFile>,
}

/// The journal keys of the demo's steps, in order.
pub const STEP_KEYS: [&str; 10] = [
    "cohort/simulate",
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

const STEPS: [&str; 10] = [
    "simulate the cohort",
    "load and clean",
    "screen candidate confounders",
    "panel: choose confounders",
    "panel: choose phenotypes per disease",
    "adjusted association of every phenotype with every factor",
    "write the summary",
    "classify diseases: panel versus expert phenotypes",
    "export tables and figures",
    "write the study report",
];

/// Runs a study's steps through the journal and reports each to the user.
pub(crate) struct Runner<'a> {
    pub(crate) journal: Journal,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) titles: &'static [&'static str],
    pub(crate) run: usize,
    pub(crate) replayed: usize,
    /// The model server the panel steps share (`[panel.server]`), if any.
    pub(crate) server: &'a ModelServer,
}

impl Drop for Runner<'_> {
    /// However the study ends (finished, paused, failed), a model server it started is
    /// stopped while the journal can still record it.
    fn drop(&mut self) {
        self.server.stop(Some(&self.journal), self.progress);
    }
}

impl Runner<'_> {
    /// Stops the model server now (the panel is done): its GPU memory is free for what follows.
    pub(crate) fn stop_model_server(&self) {
        self.server.stop(Some(&self.journal), self.progress);
    }

    pub(crate) fn step<Req, T, E>(
        &mut self,
        index: usize,
        key: &str,
        request: &Req,
        detail: impl Fn(&T) -> String,
        effect: impl FnOnce(&Journal) -> Result<T, E>,
    ) -> Result<T, WorkflowError>
    where
        Req: Serialize,
        T: Serialize + serde::de::DeserializeOwned,
        E: std::fmt::Display,
    {
        let title = self.titles[index - 1];
        // A pause asked for (Ctrl-C) takes effect between steps: what is done is journaled.
        if crate::interrupt::requested() {
            return Err(WorkflowError::Interrupted {
                step: index,
                title: title.to_string(),
            });
        }
        self.progress.step_started(index, self.titles.len(), title);
        let journal = &self.journal;
        let outcome = journal.step(key, request, || effect(journal))?;
        self.finish(index, outcome, detail)
    }

    /// A step whose effect journals steps of its own (a Slurm job's submissions, a meeting's
    /// model calls) in the same journal. The effect's own error comes back as it is (a pause
    /// while a job runs or a model call is in flight is still a pause), after the journal has
    /// recorded the step as failed.
    pub(crate) fn step_in<Req, T>(
        &mut self,
        index: usize,
        key: &str,
        request: &Req,
        detail: impl Fn(&T) -> String,
        effect: impl FnOnce(&Journal) -> Result<T, WorkflowError>,
    ) -> Result<T, WorkflowError>
    where
        Req: Serialize,
        T: Serialize + serde::de::DeserializeOwned,
    {
        let title = self.titles[index - 1];
        if crate::interrupt::requested() {
            return Err(WorkflowError::Interrupted {
                step: index,
                title: title.to_string(),
            });
        }
        self.progress.step_started(index, self.titles.len(), title);
        let journal = &self.journal;
        let mut failure: Option<WorkflowError> = None;
        let outcome = journal.step(key, request, || {
            effect(journal).map_err(|e| {
                let message = e.to_string();
                failure = Some(e);
                message
            })
        });
        let outcome = match (outcome, failure) {
            (Ok(outcome), _) => outcome,
            (Err(_), Some(e)) => return Err(e),
            (Err(e), None) => return Err(e.into()),
        };
        self.finish(index, outcome, detail)
    }

    fn finish<T>(
        &mut self,
        index: usize,
        outcome: meshagents_engine::StepOutcome<T>,
        detail: impl Fn(&T) -> String,
    ) -> Result<T, WorkflowError> {
        let title = self.titles[index - 1];
        if outcome.replayed {
            self.replayed += 1;
        } else {
            self.run += 1;
        }
        self.progress.step_finished(
            index,
            self.titles.len(),
            title,
            outcome.replayed,
            &detail(&outcome.value),
        );
        Ok(outcome.value)
    }
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
    std::fs::create_dir_all(&out).map_err(|e| WorkflowError::File {
        path: out.display().to_string(),
        message: format!("cannot create the study directory: {e}"),
    })?;
    write_study_config(&out, "demo", config)?;
    let journal = Journal::open(&out.join("journal"))?;
    // Readers (`study status`, the TUI) learn the plan from the events file.
    journal.event(
        "study/plan",
        serde_json::json!({ "study": "demo", "steps": STEP_KEYS }),
    )?;
    // The demo's panel is the embedded one: no model server.
    let server = ModelServer::none();
    let mut runner = Runner {
        journal,
        progress,
        titles: &STEPS,
        run: 0,
        replayed: 0,
        server: &server,
    };

    // 1. Simulate.
    let sim_config = SimulationConfig {
        n: config.n,
        seed: config.seed,
        factors: config.factors,
        ..Default::default()
    };
    let cohort_dir = out.join("cohort");
    let request = serde_json::json!({ "n": config.n, "seed": config.seed, "factors": config.factors, "generator": GENERATOR_VERSION });
    let simulated: SimulateResult = runner.step(
        1,
        "cohort/simulate",
        &request,
        |r: &SimulateResult| format!("{} participants x {} columns", r.rows, r.columns),
        |_| -> Result<_, WorkflowError> {
            let mut cohort = simulate(&sim_config)?;
            write_cohort(&mut cohort, &cohort_dir, OutputFormat::Parquet)?;
            Ok(SimulateResult {
                files: vec![
                    record(&out, "cohort/cohort.parquet")?,
                    record(&out, "cohort/dictionary.csv")?,
                    record(&out, "cohort/truth.json")?,
                ],
                rows: cohort.data.height(),
                columns: cohort.data.width(),
            })
        },
    )?;
    verify(&out, &simulated.files)?;

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

    // 2. Load and clean, and set the validation's participants aside.
    let clean: CleanResult = runner.step(
        2,
        "data/clean",
        &serde_json::json!({ "rules": rules, "split": split_request }),
        |r: &CleanResult| {
            format!(
                "{} of {} factors kept, {} coded values set to missing",
                r.factors_kept, r.factors_in, r.recoded_values
            )
        },
        |_| -> Result<_, WorkflowError> {
            let t = load()?;
            write_flow(&out.join("flow.csv"), t)?;
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
    verify(&out, &clean.files)?;

    // 3. Evidence on the candidate confounders (every covariate in the dictionary).
    let screen_request = serde_json::json!({ "candidates": "role=covariate", "strongest_pairs": 40, "split": split_request });
    let evidence: Vec<CovariateEvidence> = runner.step(
        3,
        "screen/candidates",
        &screen_request,
        |e: &Vec<CovariateEvidence>| format!("{} candidates", e.len()),
        |_| -> Result<_, WorkflowError> {
            let t = split.discovery()?;
            let candidates = t.kept_with_role(Role::Covariate);
            Ok(screen_candidates(
                t,
                &candidates,
                &t.kept_with_role(Role::Imaging),
                &t.kept_with_role(Role::Factor),
                40,
            )?)
        },
    )?;

    // 4-5. The panel meets: confounders, then phenotypes per disease.
    let panel = PanelConfig::default();
    let (all_phenotypes, all_factors) = {
        let t = load()?;
        (
            t.kept_with_role(Role::Imaging),
            t.kept_with_role(Role::Factor),
        )
    };
    let decision = panel_step(
        &mut runner,
        4,
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
    let phenotypes = phenotype_step(
        &mut runner,
        5,
        &out,
        Some(&decision),
        &decision.confounders,
        &evidence,
        &split,
        &panel,
        &out,
        config.threads,
    )?;
    verify(&out, &phenotypes.files)?;

    // 5. Adjusted associations.
    let truth: Truth = read_truth(&cohort_dir.join("truth.json"))?;
    let phewas_request = serde_json::json!({ "model": "auto", "transform": "auto", "method": "exact", "covariates": decision.confounders });
    let phewas: PhewasResult = runner.step(
        6,
        "phewas/adjusted",
        &phewas_request,
        |r: &PhewasResult| {
            format!(
                "{} pairs, {} Bonferroni hits",
                r.summary.pairs, r.summary.bonferroni_hits
            )
        },
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
            };
            let rows = phewas::run(t, &request, &|_| {})?.rows;
            let mut frame = rows_to_frame(&rows)?;
            write_table(&mut frame, &out.join("associations.csv"))?;
            Ok(PhewasResult {
                summary: PhewasSummary::score(&rows, Some(&truth), &t.dictionary),
                files: vec![record(&out, "associations.csv")?],
            })
        },
    )?;
    verify(&out, &phewas.files)?;

    // 6. Summary.
    let summary_request = serde_json::json!({ "format": "markdown", "version": 1 });
    let summary_files: Vec<WrittenFile> = runner.step(
        7,
        "report/summary",
        &summary_request,
        |_: &Vec<WrittenFile>| "summary.md".to_string(),
        |_| -> Result<_, WorkflowError> {
            write_summary(
                &out.join("summary.md"),
                &SummaryHeader::demo(config, &simulated),
                &clean,
                Some(&decision),
                Some(&phenotypes.decision),
                &decision.confounders,
                &phewas.summary,
                Some(&truth),
            )?;
            Ok(vec![record(&out, "summary.md")?])
        },
    )?;
    verify(&out, &summary_files)?;

    // 8-10. Validation, exports and figures, the report (workflows::validation).
    let mut decisions = crate::validation::decisions_or_confounders(
        &out,
        &decision.confounders,
        decision.rounds.last().and_then(|r| r.kappa),
    )?;
    // The report shows how the panel did against the cohort's planted truth.
    decisions["truth_scores"] = serde_json::json!({
        "confounders": crate::summary::PanelScores::confounders(&decision.confounders, &truth),
        "disease_phenotypes": crate::summary::PanelScores::phenotypes(&phenotypes.decision.disease_phenotypes, &truth),
    });
    crate::validation::validation_steps(
        &mut runner,
        8,
        &out,
        &split,
        &decisions,
        (config.seed, config.threads),
        &clean,
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

impl CleanResult {
    /// The clean step's result: the counts given, and what the table's flow log says.
    pub(crate) fn from_table(
        t: &AnalysisTable,
        imaging: usize,
        covariates: usize,
        (factors_in, factors_kept): (usize, usize),
        files: Vec<WrittenFile>,
    ) -> Self {
        CleanResult {
            rows: t.n_rows(),
            imaging,
            covariates,
            factors_in,
            factors_kept,
            diseases: t.kept_with_role(Role::Disease).len(),
            recoded_values: t.flow.iter().map(|f| f.recoded_to_missing).sum(),
            recoded_fields: t.flow.iter().filter(|f| f.recoded_to_missing > 0).count(),
            split: None,
            dropped: t
                .flow
                .iter()
                .filter(|f| !f.kept)
                .map(|f| (f.column.clone(), f.reason.clone()))
                .collect(),
            files,
        }
    }
}

/// The panel meets on the screened candidates (the `panel/confounders` step).
#[allow(clippy::too_many_arguments)]
pub(crate) fn panel_step(
    runner: &mut Runner,
    index: usize,
    evidence: &[CovariateEvidence],
    pairs: (&[String], &[String]),
    split: &StudySplit,
    panel: &PanelConfig,
    base_dir: &Path,
    threads: usize,
) -> Result<ConfounderDecision, WorkflowError> {
    let (phenotypes, factors) = pairs;
    // The study's pairs are part of the meeting's identity: the screen looks at them.
    let request = serde_json::json!({ "evidence": evidence, "backend": panel.describe(), "protocol": panel.protocol.identity(), "roles": panel.roles, "causal_order": panel.causal_order, "phenotypes": phenotypes, "factors": factors, "split": split.settings.request() });
    let (progress, server) = (runner.progress, runner.server);
    let title = runner.titles[index - 1];
    runner.step_in(
        index,
        "panel/confounders",
        &request,
        |d: &ConfounderDecision| {
            let new = d.proposals.iter().filter(|p| p.status == "added").count();
            format!(
                "adjust for {} ({} proposals, {} new candidates; kappa {})",
                d.confounders.join(", "),
                d.proposals.len(),
                new,
                d.rounds
                    .last()
                    .and_then(|r| r.kappa)
                    .map(|k| format!("{k:.2}"))
                    .unwrap_or_else(|| "n/a".into())
            )
        },
        |journal| -> Result<_, WorkflowError> {
            // The discovery part only: the validation's participants stay unseen.
            let t = split.discovery()?;
            let (scope, catalogue) =
                crate::panel::discovery(t, phenotypes, factors, panel, base_dir)?;
            let host = StatsToolHost::new(t, evidence, threads).with_scope(scope);
            let names: Vec<String> = evidence.iter().map(|e| e.column.clone()).collect();
            Meeting {
                config: panel,
                journal,
                host: &host,
                base_dir,
                progress,
                spent_before: 0,
                server,
                step: (index, title),
            }
            .confounders(&variables(t, &names), Some(&catalogue))
        },
    )
}

/// Stage B (the `panel/phenotypes` step): phenotypes per disease, then `decisions.json` and
/// the transcripts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn phenotype_step(
    runner: &mut Runner,
    index: usize,
    out: &Path,
    stage_a: Option<&ConfounderDecision>,
    confounders: &[String],
    evidence: &[CovariateEvidence],
    split: &StudySplit,
    panel: &PanelConfig,
    base_dir: &Path,
    threads: usize,
) -> Result<PanelResult, WorkflowError> {
    let request = serde_json::json!({ "confounders": confounders, "backend": panel.describe(), "protocol": panel.protocol.identity(), "roles": panel.roles, "stage_a": stage_a.map(|a| &a.items), "split": split.settings.request() });
    let (progress, server) = (runner.progress, runner.server);
    let title = runner.titles[index - 1];
    runner.step_in(
        index,
        "panel/phenotypes",
        &request,
        |r: &PanelResult| {
            format!(
                "{} phenotypes chosen across {} diseases",
                r.decision.phenotypes.len(),
                r.decision.disease_phenotypes.len()
            )
        },
        |journal| -> Result<_, WorkflowError> {
            // The association of each disease with the phenotypes, and every other tool's
            // answer, come from the discovery part only.
            let t = split.discovery()?;
            let host = StatsToolHost::new(t, evidence, threads);
            let decision = Meeting {
                config: panel,
                journal,
                host: &host,
                base_dir,
                progress,
                spent_before: stage_a
                    .map(|a| {
                        a.ledger
                            .values()
                            .map(|l| l.prompt_tokens + l.completion_tokens)
                            .sum()
                    })
                    .unwrap_or(0),
                server,
                step: (index, title),
            }
            .phenotypes(
                confounders,
                &variables(t, &t.kept_with_role(Role::Imaging)),
                &variables(t, &t.kept_with_role(Role::Disease)),
            )?;
            let files = write_decisions(
                out,
                &panel.describe(),
                confounders,
                stage_a,
                Some(&decision),
                Some(&split.summary()?),
            )?;
            Ok(PanelResult { decision, files })
        },
    )
}

/// The `panel/phenotypes` step's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelResult {
    pub decision: PhenotypeDecision,
    pub files: Vec<WrittenFile>,
}

fn read_truth(path: &Path) -> Result<Truth, WorkflowError> {
    let text = std::fs::read_to_string(path).map_err(|e| WorkflowError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| WorkflowError::File {
        path: path.display().to_string(),
        message: format!("not a truth file: {e}"),
    })
}

/// The configuration this study runs with, so the directory says how it was made. A study
/// directory made with another configuration is refused rather than silently mixed.
/// `DIR/STUDY.toml`: the analysis part of the demo as a study configuration on the simulated
/// cohort, so `meshagents study run DIR/STUDY.toml` repeats it (and is a template for one's own).
fn write_study_toml(out: &Path, config: &DemoConfig) -> Result<(), WorkflowError> {
    let cohort = std::fs::canonicalize(out.join("cohort")).map_err(|e| WorkflowError::File {
        path: out.join("cohort").display().to_string(),
        message: e.to_string(),
    })?;
    let config = crate::study_run::StudyConfig {
        name: "demo analysis".into(),
        data: cohort.join("cohort.parquet"),
        dictionary: Some(cohort.join("dictionary.csv")),
        id: None,
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
    std::fs::write(&path, text).map_err(|e| WorkflowError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Writes `DIR/study.json` (`{"study": KIND, "config": ...}`), or checks that the directory's
/// existing one is the same: a directory holding a study made with another configuration is
/// refused rather than mixed.
pub(crate) fn write_study_config(
    out: &Path,
    kind: &str,
    config: &impl Serialize,
) -> Result<(), WorkflowError> {
    let path = out.join("study.json");
    let body =
        serde_json::to_string_pretty(&serde_json::json!({ "study": kind, "config": config }))
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?
            + "\n";
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing != body {
            return Err(WorkflowError::File {
                path: path.display().to_string(),
                message: format!("this directory holds a study with another configuration:\n{existing}choose another --out, or remove the directory to start again"),
            });
        }
        return Ok(());
    }
    std::fs::write(&path, body).map_err(|e| WorkflowError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

pub(crate) fn write_flow(path: &Path, table: &AnalysisTable) -> Result<(), WorkflowError> {
    let mut text = String::from("column,role,kept,recoded_to_missing,missing_share,reason\n");
    for f in &table.flow {
        text.push_str(&format!(
            "{},{},{},{},{:.4},{}\n",
            csv_field(&f.column),
            f.role,
            f.kept,
            f.recoded_to_missing,
            f.missing_share,
            csv_field(&f.reason)
        ));
    }
    std::fs::write(path, text).map_err(|e| WorkflowError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
