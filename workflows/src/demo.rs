//! The demo study: simulate a cohort, clean it, let the panel choose confounders from the
//! statistics, run the adjusted association of every imaging phenotype with every factor, and
//! write the table and a summary. Every step is journaled; running again on the same directory
//! resumes, and a finished study is not recomputed.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use meshagents_agents::{convene, CandidateEvidence, PanelDecision};
use meshagents_engine::Journal;
use meshagents_stats::association::{rows_to_frame, screen_candidates, CovariateEvidence};
use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::dictionary::Role;
use meshagents_stats::io::write_table;
use meshagents_stats::phewas::{self, Method, ModelChoice, PhewasRequest};
use meshagents_stats::simulate::{
    simulate, write_cohort, OutputFormat, SimulationConfig, Truth, DEFAULT_FACTORS,
    GENERATOR_VERSION,
};
use meshagents_stats::transform::Transform;
use serde::{Deserialize, Serialize};

use crate::files::{record, verify, WrittenFile};
use crate::summary::{write_summary, PhewasSummary, SummaryHeader};
use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoConfig {
    pub n: usize,
    pub seed: u64,
    pub factors: usize,
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
            out: PathBuf::from("meshagents-out/demo"),
            threads: 2,
        }
    }
}

/// Where a study reports what it is doing (the CLI prints it; tests ignore it).
pub trait Progress {
    fn step_started(&self, index: usize, total: usize, title: &str);
    fn step_finished(&self, index: usize, total: usize, title: &str, replayed: bool, detail: &str);
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
    pub files: Vec<WrittenFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhewasResult {
    pub summary: PhewasSummary,
    pub files: Vec<WrittenFile>,
}

/// The journal keys of the demo's steps, in order.
pub const STEP_KEYS: [&str; 9] = [
    "cohort/simulate",
    "data/clean",
    "screen/candidates",
    "panel/confounders",
    "phewas/adjusted",
    "report/summary",
    "validation/classify",
    "export/figures",
    "report/study",
];

const STEPS: [&str; 9] = [
    "simulate the cohort",
    "load and clean",
    "screen candidate confounders",
    "panel: choose confounders",
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
}

impl Runner<'_> {
    pub(crate) fn step<Req, T, E>(
        &mut self,
        index: usize,
        key: &str,
        request: &Req,
        detail: impl Fn(&T) -> String,
        effect: impl FnOnce() -> Result<T, E>,
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
        let outcome = self.journal.step(key, request, effect)?;
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
    let mut runner = Runner {
        journal,
        progress,
        titles: &STEPS,
        run: 0,
        replayed: 0,
    };

    // 1. Simulate.
    let sim_config = SimulationConfig {
        n: config.n,
        seed: config.seed,
        factors: config.factors,
    };
    let cohort_dir = out.join("cohort");
    let request = serde_json::json!({ "n": config.n, "seed": config.seed, "factors": config.factors, "generator": GENERATOR_VERSION });
    let simulated: SimulateResult = runner.step(
        1,
        "cohort/simulate",
        &request,
        |r: &SimulateResult| format!("{} participants x {} columns", r.rows, r.columns),
        || -> Result<_, WorkflowError> {
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

    // 2. Load and clean.
    let clean: CleanResult = runner.step(
        2,
        "data/clean",
        &rules,
        |r: &CleanResult| {
            format!(
                "{} of {} factors kept, {} coded values set to missing",
                r.factors_kept, r.factors_in, r.recoded_values
            )
        },
        || -> Result<_, WorkflowError> {
            let t = load()?;
            write_flow(&out.join("flow.csv"), t)?;
            let count = |role: Role| {
                t.dictionary
                    .entries
                    .iter()
                    .filter(|e| e.role == role)
                    .count()
            };
            Ok(CleanResult::from_table(
                t,
                t.kept_with_role(Role::Imaging).len(),
                t.kept_with_role(Role::Covariate).len(),
                (count(Role::Factor), t.kept_with_role(Role::Factor).len()),
                vec![record(&out, "flow.csv")?],
            ))
        },
    )?;
    verify(&out, &clean.files)?;

    // 3. Evidence on the candidate confounders (every covariate in the dictionary).
    let screen_request =
        serde_json::json!({ "candidates": "role=covariate", "strongest_pairs": 40 });
    let evidence: Vec<CovariateEvidence> = runner.step(
        3,
        "screen/candidates",
        &screen_request,
        |e: &Vec<CovariateEvidence>| format!("{} candidates", e.len()),
        || -> Result<_, WorkflowError> {
            let t = load()?;
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

    // 4. The panel meets.
    let decision = panel_step(&mut runner, 4, &evidence)?;
    if decision.confounders.is_empty() {
        tracing::warn!("the panel chose no confounders; associations will be unadjusted");
    }

    // 5. Adjusted associations.
    let truth: Truth = read_truth(&cohort_dir.join("truth.json"))?;
    let phewas_request = serde_json::json!({ "model": "auto", "transform": "auto", "method": "exact", "covariates": decision.confounders });
    let phewas: PhewasResult = runner.step(
        5,
        "phewas/adjusted",
        &phewas_request,
        |r: &PhewasResult| {
            format!(
                "{} pairs, {} Bonferroni hits",
                r.summary.pairs, r.summary.bonferroni_hits
            )
        },
        || -> Result<_, WorkflowError> {
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
        6,
        "report/summary",
        &summary_request,
        |_: &Vec<WrittenFile>| "summary.md".to_string(),
        || -> Result<_, WorkflowError> {
            write_summary(
                &out.join("summary.md"),
                &SummaryHeader::demo(config, &simulated),
                &clean,
                Some(&decision),
                &decision.confounders,
                &phewas.summary,
                Some(&truth),
            )?;
            Ok(vec![record(&out, "summary.md")?])
        },
    )?;
    verify(&out, &summary_files)?;

    // 7-9. Validation, exports and figures, the report (workflows::validation).
    let decisions = crate::validation::decisions_or_confounders(
        &out,
        &decision.confounders,
        Some(decision.agreement),
    )?;
    crate::validation::demo_steps(&mut runner, 7, &out, &load, &decisions, config, &clean)?;
    write_study_toml(&out)?;

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
pub(crate) fn panel_step(
    runner: &mut Runner,
    index: usize,
    evidence: &[CovariateEvidence],
) -> Result<PanelDecision, WorkflowError> {
    let panel_input: Vec<CandidateEvidence> = evidence.iter().map(to_agent_evidence).collect();
    runner.step(
        index,
        "panel/confounders",
        &panel_input,
        |d: &PanelDecision| {
            format!(
                "adjust for {} (agreement {:.0}%)",
                d.confounders.join(", "),
                100.0 * d.agreement
            )
        },
        || Ok::<_, WorkflowError>(convene(&panel_input)),
    )
}

fn to_agent_evidence(e: &CovariateEvidence) -> CandidateEvidence {
    CandidateEvidence {
        column: e.column.clone(),
        description: e.description.clone(),
        phenotype_share: e.phenotype_share,
        phenotype_median_abs_r: e.phenotype_median_abs_r,
        factor_share: e.factor_share,
        factor_median_abs_r: e.factor_median_abs_r,
        change_in_estimate: e.change_in_estimate,
        most_correlated_with: e.most_correlated_with.clone(),
        max_abs_r_with_candidate: e.max_abs_r_with_candidate,
        missing_share: e.missing_share,
    }
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
fn write_study_toml(out: &Path) -> Result<(), WorkflowError> {
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
