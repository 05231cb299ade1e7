//! `meshagents study run STUDY.toml`: the study on a user's own cohort. The same journaled
//! steps as the demo without the simulation: load and clean, let the panel choose the
//! confounders (unless the configuration fixes the covariates), the PheWAS, the summary.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use meshagents_engine::Journal;
use meshagents_stats::cohort::{AnalysisTable, Catalog, LoadOptions};
use meshagents_stats::data::dictionary::{Dictionary, Role};
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::{self, Method, ModelChoice, PhewasRequest};
use meshagents_stats::ukb::{Diseases, UkbOptions};
use serde::{Deserialize, Serialize};

use crate::cluster::{CohortSource, ExecutorConfig, ExecutorKind, ShardSpec};
use crate::files::{record, verify, write_study_config};
use crate::holdout::StudySplit;
pub use crate::holdout::ValidationConfig;
use crate::model_server::ModelServer;
pub use crate::panel::PanelConfig;
use crate::phewas::Columns;
use crate::plan::{Plan, Step};
use crate::progress::Progress;
use crate::runner::Runner;
pub use crate::steps::approval::{approve, Approval, Proposal};
use crate::steps::{self, CleanResult, PhewasResult};
use crate::summary::{PhewasSummary, SummaryHeader};
use crate::WorkflowError;

/// `STUDY.toml`. Unknown keys are errors, so a typo cannot silently fall back to a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// A name for the study (also the default output directory under `meshagents-out/`).
    /// Control characters and ANSI escape sequences are dropped on reading: the name is
    /// printed to terminals (`study list`, the TUI) and written into every report, where an
    /// escape sequence would recolour or rewrite the screen of whoever reads them.
    #[serde(deserialize_with = "printable_name")]
    pub name: String,
    /// The cohort table (.csv, .tsv or .parquet); relative paths are relative to STUDY.toml.
    pub data: PathBuf,
    /// The data dictionary (`dictionary.csv` format); optional.
    #[serde(default)]
    pub dictionary: Option<PathBuf>,
    /// The participant id column, when neither the dictionary nor the usual names give it.
    #[serde(default)]
    pub id: Option<String>,
    /// UK Biobank's Showcase data dictionary (`Data_Dictionary_Showcase.tsv`): `data` is then
    /// an extract as UK Biobank delivers it, derived into `DIR/ukb/` before the first step
    /// (`meshagents ukb --help` says how), and `dictionary`, if given, only overlays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub showcase: Option<PathBuf>,
    /// UK Biobank's `Codings.tsv`: the meanings of coded values (with `showcase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codings: Option<PathBuf>,
    /// The instance fields are taken from (with `showcase`; default 2, the imaging visit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    /// The instance taken for participants missing at `instance` (with `showcase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_fallback: Option<u32>,
    /// A code of a multi-valued field is tested when this many participants have it
    /// (with `showcase`; default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cases: Option<usize>,
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
    /// Diseases defined by codes (`[diseases.NAME] self_report = [...]`, `icd10 = [...]`),
    /// with `showcase`: each replaces a dictionary column of the same name.
    #[serde(default, skip_serializing_if = "Diseases::is_empty")]
    pub diseases: Diseases,
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
        let text = std::fs::read_to_string(path).map_err(|e| WorkflowError::io(file.clone(), e))?;
        let mut config: StudyConfig = toml::from_str(&text).map_err(|e| WorkflowError::Toml {
            path: file.clone(),
            source: e,
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        // Each input named by a key must be a file: said for the key, before any work.
        let input = |key: &str, given: &Path| -> Result<PathBuf, WorkflowError> {
            let fail = |message: String| WorkflowError::File {
                path: file.clone(),
                message,
            };
            if given.as_os_str().is_empty() {
                return Err(fail(format!(
                    "key `{key}` is empty: name the file (a path relative to this STUDY.toml, or absolute)"
                )));
            }
            let resolved = base.join(given);
            if resolved.is_dir() {
                return Err(fail(format!(
                    "key `{key}`: {} is a directory, not a file",
                    resolved.display()
                )));
            }
            if !resolved.is_file() {
                return Err(fail(format!(
                    "key `{key}`: {} does not exist",
                    resolved.display()
                )));
            }
            Ok(resolved)
        };
        config.data = input("data", &config.data)?;
        config.dictionary = config
            .dictionary
            .as_deref()
            .map(|d| input("dictionary", d))
            .transpose()?;
        for (key, path) in [
            ("showcase", &mut config.showcase),
            ("codings", &mut config.codings),
        ] {
            if let Some(given) = path.take() {
                let resolved = input(key, &given)?;
                *path = Some(std::fs::canonicalize(&resolved).unwrap_or(resolved));
            }
        }
        if config.showcase.is_none() {
            let without = [
                ("codings", config.codings.is_some()),
                ("instance", config.instance.is_some()),
                ("instance_fallback", config.instance_fallback.is_some()),
                ("min_cases", config.min_cases.is_some()),
                ("diseases", !config.diseases.is_empty()),
            ];
            if let Some((key, _)) = without.iter().find(|(_, set)| *set) {
                return Err(WorkflowError::File {
                    path: file,
                    message: format!("key `{key}` reads a UK Biobank extract: it needs `showcase = \"Data_Dictionary_Showcase.tsv\"` too"),
                });
            }
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

    /// This study's steps: without the screen, the panel and the validation when the
    /// covariates are fixed, with the approval step when a person approves.
    pub fn steps(&self) -> Plan {
        Plan::study(self.covariates.is_none(), self.panel.approve)
    }

    /// The journal keys and titles of this study's steps, side by side (the TUI's fork
    /// dialog shows both).
    pub fn plan(&self) -> (Vec<&'static str>, Vec<&'static str>) {
        let plan = self.steps();
        (plan.keys(), plan.titles())
    }

    /// What to derive when `data` is a UK Biobank extract (`showcase` is set).
    pub fn ukb_request(&self) -> Option<crate::ukb::UkbRequest> {
        let defaults = UkbOptions::default();
        Some(crate::ukb::UkbRequest {
            data: self.data.clone(),
            showcase: self.showcase.clone()?,
            codings: self.codings.clone(),
            overlay: self.dictionary.clone(),
            id: self.id.clone(),
            options: UkbOptions {
                instance: self.instance.unwrap_or(defaults.instance),
                instance_fallback: self.instance_fallback,
                min_cases: self.min_cases.unwrap_or(defaults.min_cases),
            },
            diseases: self.diseases.clone(),
        })
    }

    /// A directory name made from the study's name ([`slug`]).
    pub fn slug(&self) -> String {
        slug(&self.name)
    }
}

/// The dictionary of the study in `dir`, as its `STUDY.toml` names it (the demo writes one
/// too); `None` when the study has no `STUDY.toml` or no dictionary. The TUI's descriptions
/// and `study export`'s figure labels both come from here.
pub fn study_dictionary(dir: &Path) -> Result<Option<Dictionary>, WorkflowError> {
    let toml = dir.join("STUDY.toml");
    if !toml.is_file() {
        return Ok(None);
    }
    let config = StudyConfig::read(&toml)?;
    // A study on a UK Biobank extract reads the dictionary it derived (when it has got that
    // far), not the overlay.
    let derived = dir
        .join(UKB_DIR)
        .join(meshagents_stats::ukb::DICTIONARY_FILE);
    if config.showcase.is_some() && derived.is_file() {
        return Ok(Some(Dictionary::read_csv(&derived)?));
    }
    match config.dictionary {
        Some(path) => Ok(Some(Dictionary::read_csv(&path)?)),
        None => Ok(None),
    }
}

fn printable_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = String::deserialize(d)?;
    Ok(without_control_characters(&raw))
}

/// `text` without ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL/ESC \`, and
/// two-character `ESC x`) and without any other control character; tabs and newlines become
/// spaces, so words stay apart.
pub fn without_control_characters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates up to a final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC (a window title, a hyperlink): up to BEL or the string terminator.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The directory name of a study called `name`: transliterated to ASCII ("Étude" is `etude`,
/// "Исследование" is `issledovanie`), letters and digits lower-cased, every other character a
/// dash, dashes trimmed at the ends. The one slug of the workspace: `study run` without `--out`
/// and the TUI's wizard name folders with it. Runs of dashes are kept ("My Study #2" is
/// `my-study--2`) because the CLI's study folders have always been named so. A name that still
/// gives nothing ("...", emoji) would have the study written into the root itself (issue 15,
/// item 5): it becomes `study-` and the first 8 hex digits of the name's SHA-256, the same for
/// the same name and different for another.
pub fn slug(name: &str) -> String {
    let slug: String = deunicode::deunicode(name.trim())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    if !slug.is_empty() {
        return slug.to_string();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("study-{hex}")
}

#[cfg(test)]
mod slug_tests {
    use super::{slug, without_control_characters};

    /// `f` makes of each name in `cases` what it is paired with.
    fn gives(f: fn(&str) -> String, cases: &[(&str, &str)]) {
        for (name, made) in cases {
            assert_eq!(f(name), *made, "{name:?}");
        }
    }

    #[test]
    fn control_characters_and_escape_sequences_are_dropped() {
        gives(
            without_control_characters,
            &[
                ("LV \u{1b}[31mred\u{1b}[0m study", "LV red study"),
                ("a\u{1b}]0;title\u{7}b", "ab"),
                ("a\u{1b}]8;;http://x\u{1b}\\b", "ab"),
                ("tab\there\nnew\u{0}\u{7f}", "tab here new"),
                ("Étude #2", "Étude #2"),
            ],
        );
    }

    #[test]
    fn a_slug_is_never_empty_and_keeps_the_old_names() {
        gives(
            slug,
            &[
                ("My Study #2", "my-study--2"),
                ("  LV remodelling  ", "lv-remodelling"),
                ("Étude cardiaque", "etude-cardiaque"),
                ("Исследование 2", "issledovanie-2"),
            ],
        );
        assert_ne!(slug("Исследование 2"), slug("研究 2"));
        for name in ["...", "   ", "", "#!", "—"] {
            let s = slug(name);
            assert!(s.starts_with("study-") && s.len() == 14, "{name:?} -> {s}");
            assert!(s[6..].chars().all(|c| c.is_ascii_hexdigit()), "{s}");
            assert_eq!(slug(name), s, "the same name, the same folder");
        }
        assert_ne!(slug("..."), slug("...."));
    }
}

#[derive(Debug, Clone)]
pub struct StudyOutcome {
    pub out: PathBuf,
    pub covariates: Vec<String>,
    pub steps_run: usize,
    pub steps_replayed: usize,
    pub phewas: PhewasSummary,
}

/// Where a study on a UK Biobank extract keeps the cohort it derived.
pub const UKB_DIR: &str = "ukb";

/// Runs (or resumes) the study of `config` in `out`.
pub fn run_study(
    config: &StudyConfig,
    out: &Path,
    threads: usize,
    progress: &dyn Progress,
) -> Result<StudyOutcome, WorkflowError> {
    std::fs::create_dir_all(out).map_err(|e| {
        WorkflowError::io(
            format!("{}: cannot create the study directory", out.display()),
            e,
        )
    })?;
    let mut identity = StudyConfig {
        executor: ExecutorConfig::default(),
        ..config.clone()
    };
    identity.panel.protocol = config.panel.protocol.identity();
    write_study_config(out, "study", &identity)?;
    let toml_copy = toml::to_string(config).map_err(|e| WorkflowError::Invalid(e.to_string()))?;
    std::fs::write(out.join("STUDY.toml"), toml_copy)
        .map_err(|e| WorkflowError::io(out.join("STUDY.toml").display().to_string(), e))?;

    let journal = Journal::open(&out.join("journal"))?;
    let inputs: Vec<&Path> = std::iter::once(config.data.as_path())
        .chain(config.dictionary.as_deref())
        .chain(config.showcase.as_deref())
        .chain(config.codings.as_deref())
        .collect();
    crate::inputs::check(&journal, out, &inputs)?;
    // A UK Biobank extract is derived into DIR/ukb first; from there on the study reads that
    // cohort and its dictionary, like any other.
    let source = config;
    let prepared = match config.ukb_request() {
        Some(request) => Some(request.prepare(&out.join(UKB_DIR))?),
        None => None,
    };
    let derived_config;
    let config = match &prepared {
        Some(p) => {
            derived_config = StudyConfig {
                data: p.data.clone(),
                dictionary: Some(p.dictionary.clone()),
                ..config.clone()
            };
            &derived_config
        }
        None => config,
    };
    let panel_meets = config.covariates.is_none();
    let approval_gate = panel_meets && config.panel.approve;
    let server = ModelServer::new(config.panel.server.clone(), out);
    let mut runner = Runner::start(journal, "study", config.steps(), progress, &server)?;

    // The lists are resolved from the header and the dictionary, then only those columns load.
    let mut catalog = Catalog::open(
        &config.data,
        config.dictionary.as_deref(),
        config.id.as_deref(),
    )?;
    // The covariates the configuration fixes, or the candidates the panel debates.
    let adjust = config.covariates.as_deref().unwrap_or(&config.candidates);
    let adjust_list = if config.covariates.is_some() {
        "covariates"
    } else {
        "candidates"
    };
    let columns = Columns::resolve(
        &catalog,
        (&config.phenotypes, Some(adjust), &config.factors),
        ["phenotypes", adjust_list, "factors"],
        |_, e| e.into(),
    )?;
    if prepared.is_some() {
        columns.assign_roles(&mut catalog);
    }
    let used = columns.used();
    let Columns {
        phenotypes,
        adjust,
        factors,
    } = columns;
    let (fixed, candidates) = match panel_meets {
        false => (Some(adjust), Vec::new()),
        true => (None, adjust),
    };
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

    let clean = steps::clean::run(
        &mut runner,
        out,
        // The columns are part of the request: a fork that changes them must not replay. So
        // is the split, set aside here before anything else looks at the data.
        &serde_json::json!({ "rules": options.rules, "data": source.data, "columns": options.columns, "split": split_request }),
        steps::clean::Detail::Factors,
        || {
            let t = load()?;
            let adjusted = fixed.as_deref().unwrap_or(&candidates);
            crate::phewas::require_values(t, &config.data, adjusted, adjust_list)?;
            steps::clean::write_flow(
                &out.join("flow.csv"),
                t,
                prepared.as_ref().map_or(&[], |p| p.notes.as_slice()),
            )?;
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

    let mut approved: Option<Approval> = None;
    let (covariates, decision, evidence) = match fixed {
        Some(fixed) => (fixed, None, Vec::new()),
        None => {
            let evidence = steps::screen::run(
                &mut runner,
                &serde_json::json!({ "candidates": candidates, "strongest_pairs": steps::screen::STRONGEST_PAIRS, "split": split_request }),
                &split,
                |t| {
                    let present = |names: &[String]| {
                        names
                            .iter()
                            .filter(|n| t.column(n).is_some())
                            .cloned()
                            .collect::<Vec<_>>()
                    };
                    steps::screen::Columns {
                        candidates: present(&candidates),
                        phenotypes: present(&phenotypes),
                        factors: present(&factors),
                    }
                },
            )?;
            let decision = steps::confounders::run(
                &mut runner,
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
                let approval =
                    steps::approval::run(&mut runner, out, &decision, &split, &config.panel)?;
                approved = Some(approval.clone());
                (approval.covariates, Some(decision), evidence)
            }
        }
    };

    let stage_b = match &decision {
        Some(stage_a) => {
            let result = steps::phenotypes::run(
                &mut runner,
                out,
                Some(stage_a),
                &covariates,
                &evidence,
                &split,
                &config.panel,
                out,
                threads,
            )?;
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
        // A field the Showcase records for one sex is not adjusted for sex.
        dropped_covariates: prepared.as_ref().map_or_else(Vec::new, |p| {
            p.sex_drops(catalog.dictionary.as_ref(), &factors, &covariates)
        }),
    };
    let mut phewas_key = serde_json::json!({ "phenotypes": request.phenotypes, "factors": request.factors, "covariates": request.covariates, "model": request.model, "transform": request.transform, "method": request.method });
    if !request.dropped_covariates.is_empty() {
        phewas_key["dropped_covariates"] = serde_json::json!(request.dropped_covariates);
    }
    let phewas: PhewasResult = runner.step_in(
        Step::Phewas,
        &phewas_key,
        steps::phewas::detail_rows,
        |journal| -> Result<_, WorkflowError> {
            let rows = match config.executor.kind {
                ExecutorKind::Local => phewas::run(load()?, &request, &|_| {})?.rows,
                // On Slurm the shards run as one array job whose submissions are steps of
                // their own (`phewas/adjusted/slurm/...`): a restart re-attaches to the job.
                ExecutorKind::Slurm => {
                    let spec = ShardSpec {
                        cohort: CohortSource {
                            data: config.data.clone(),
                            dictionary: config.dictionary.clone(),
                            id: config.id.clone(),
                            keep_negative_codes: !options.negative_codes_to_missing,
                        },
                        request: request.clone(),
                        // The shards load (and clean) the same columns as the study did.
                        load_also: used.to_vec(),
                    };
                    crate::phewas::study_rows_on_slurm(
                        journal,
                        Step::Phewas.key(),
                        &out.join("slurm"),
                        &catalog,
                        &spec,
                        &config.executor,
                        progress,
                    )?
                }
            };
            steps::phewas::write(out, &rows, None, &load()?.dictionary)
        },
    )?;
    verify(out, &phewas.files)?;

    let header = SummaryHeader {
        title: format!("Study: {}", config.name),
        intro: format!("`{}` analysed end to end: cleaning, {}, and covariate-adjusted associations of {} phenotypes with {} factors.", source.data.display(), if decision.is_some() { "a confounder panel" } else { "covariates fixed by the configuration" }, phenotypes.len(), factors.len()),
        cohort: format!("{} participants (`{}`)", clean.rows, source.data.display()),
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
    steps::summary::run(
        &mut runner,
        out,
        steps::summary::Input {
            header: &header,
            clean: &clean,
            decision: decision.as_ref(),
            phenotypes: stage_b.as_ref(),
            covariates: &covariates,
            phewas: &phewas,
            truth: None,
        },
    )?;

    // With the panel's phenotypes per disease: classification (panel vs expert arm), the
    // paper's tables and figures, and the report.
    if let Some(stage_a) = &decision {
        let decisions = crate::validation::decisions_or_confounders(
            out,
            &covariates,
            stage_a.minutes.rounds.last().and_then(|r| r.kappa),
        )?;
        let validation = steps::classify::run(
            &mut runner,
            out,
            &split,
            &decisions,
            (config.panel.protocol.seed, threads),
        )?;
        steps::figures::run(&mut runner, out, &split)?;
        steps::report::run(
            &mut runner,
            out,
            &split,
            &decisions,
            &clean,
            &validation,
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
