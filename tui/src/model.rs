//! What the TUI reads from a study directory (all read-only: the events file and the result
//! files, never the journal itself) and the few files it writes (exports, STUDY.toml).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use meshagents_engine::{read_events, Event, EventLine, RecordKind};
use meshagents_stats::classify::{read_classification_if_any, ClassificationRow};
use meshagents_stats::data::dictionary::{Dictionary, Role};
use meshagents_stats::export::write_association_rows_with;
pub use meshagents_stats::export::ExportFormat;
use meshagents_stats::phewas::{read_associations, AssociationRow};
use meshagents_workflows::{transcript_entry, StudyState, StudyStatus};
use serde_json::Value;

use crate::TuiError;

/// One study of the list, flattened for display.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyRow {
    pub dir: PathBuf,
    pub name: String,
    pub state: StudyState,
    pub steps_done: usize,
    pub steps_total: usize,
    pub backend: String,
    pub started_ms: Option<u64>,
    pub last_event: String,
    /// The study directory holds a STUDY.toml (so `study run` can resume it).
    pub resumable: bool,
    /// The study has written its association table.
    pub has_results: bool,
    /// The steps of its plan in order, as (key, description), from STUDY.toml (empty without
    /// one): what a fork can start from.
    pub steps: Vec<(String, String)>,
    /// The study it was forked from (`fork.json`), for the compare view.
    pub parent: Option<PathBuf>,
}

impl StudyRow {
    pub fn from_status(s: &StudyStatus) -> StudyRow {
        let backend = s
            .config
            .pointer("/config/panel/backend")
            .or_else(|| s.config.pointer("/panel/backend"))
            .and_then(Value::as_str)
            .unwrap_or("embedded")
            .to_string();
        let last_event = s
            .last_event
            .as_ref()
            .map(|e| {
                let kind = match &e.body {
                    Some(Event::Retry { .. }) => Some("retry".to_string()),
                    Some(event) => transcript_entry(event).map(|t| t.kind),
                    None => None,
                };
                match kind {
                    Some(k) => format!("{} ({k})", e.step),
                    None => e.step.clone(),
                }
            })
            .unwrap_or_else(|| "-".into());
        StudyRow {
            dir: s.dir.clone(),
            name: s
                .dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| s.study.clone()),
            state: s.state.clone(),
            steps_done: s.steps_done,
            steps_total: s.steps_total,
            backend,
            started_ms: s.started_ms,
            last_event,
            resumable: s.dir.join("STUDY.toml").is_file(),
            has_results: s.dir.join("associations.csv").is_file(),
            steps: meshagents_workflows::study_run::StudyConfig::read(&s.dir.join("STUDY.toml"))
                .map(|c| {
                    let (keys, descriptions) = c.plan();
                    keys.iter()
                        .zip(descriptions)
                        .map(|(k, d)| (k.to_string(), d.to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            parent: fork_parent(&s.dir),
        }
    }
}

/// The parent a fork recorded, named as its sibling in the list when it is one (the record
/// holds the absolute path; the list may name the root by a relative one).
fn fork_parent(dir: &Path) -> Option<PathBuf> {
    let parent = meshagents_workflows::read_fork_origin(dir)?.parent;
    let sibling = dir.parent()?.join(parent.file_name()?);
    let same = |a: &Path, b: &Path| {
        std::fs::canonicalize(a)
            .ok()
            .is_some_and(|a| Some(a) == std::fs::canonicalize(b).ok())
    };
    Some(if same(&sibling, &parent) {
        sibling
    } else {
        parent
    })
}

/// Every study under `root`; a missing root is an empty list (the wizard creates it).
pub fn load_studies(root: &Path) -> Result<Vec<StudyRow>, TuiError> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    let list = meshagents_workflows::list_studies(root)?;
    Ok(list.iter().map(StudyRow::from_status).collect())
}

/// The result tables of a study, as their owners in `stats` read them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssociationTable {
    /// `associations.csv` (`stats::phewas::read_associations`); NaN where a row has no value.
    pub rows: Vec<AssociationRow>,
    /// `classification.csv` (`stats::classify::read_classification`), when the study has one.
    pub classification: Vec<ClassificationRow>,
    /// Column -> its description and category in the study's dictionary (empty without one).
    pub labels: HashMap<String, ColumnLabel>,
    /// Why the table has no descriptions although the study names a dictionary.
    pub dictionary_note: Option<String>,
}

/// What the dictionary says of a column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnLabel {
    pub description: String,
    pub category: String,
}

/// Reads `DIR/associations.csv`, when the validation has run `DIR/classification.csv`, and
/// the descriptions of the dictionary `DIR/STUDY.toml` names. The table does not depend on
/// the dictionary: one that cannot be read (moved, changed) leaves the descriptions out and
/// says why in `dictionary_note`.
pub fn load_associations(dir: &Path) -> Result<AssociationTable, TuiError> {
    let rows = read_associations(&dir.join("associations.csv"))?;
    let classification = read_classification_if_any(&dir.join("classification.csv"))?;
    let (labels, dictionary_note) = match meshagents_workflows::study_run::study_dictionary(dir) {
        Ok(Some(dictionary)) => (column_labels(&dictionary), None),
        Ok(None) => (HashMap::new(), None),
        Err(e) => (HashMap::new(), Some(format!("no descriptions: {e}"))),
    };
    Ok(AssociationTable {
        rows,
        classification,
        labels,
        dictionary_note,
    })
}

fn column_labels(dictionary: &Dictionary) -> HashMap<String, ColumnLabel> {
    dictionary
        .entries
        .iter()
        .map(|e| {
            (
                e.column.clone(),
                ColumnLabel {
                    description: e.description.clone(),
                    category: e.category.clone(),
                },
            )
        })
        .collect()
}

/// The cells the classification screen shows of a row: disease, arm, classifier, n, cases,
/// AUC, its CI, DeLong p, recall and F1; numbers to 3 decimals (small ones in scientific
/// notation), an empty cell where there is no value (one arm: no DeLong p).
pub fn classification_cells(row: &ClassificationRow) -> Vec<String> {
    let num = |v: f64| {
        if v.is_nan() {
            String::new()
        } else if v != 0.0 && v.abs() < 1e-3 {
            format!("{v:.1e}")
        } else {
            format!("{v:.3}")
        }
    };
    vec![
        row.disease.clone(),
        row.arm.clone(),
        row.classifier.clone(),
        row.n.to_string(),
        row.n_cases.to_string(),
        num(row.auc),
        num(row.auc_ci_low),
        num(row.auc_ci_high),
        num(row.delong_p),
        num(row.recall),
        num(row.f1),
    ]
}

/// The formats the results screen exports the rows it shows to.
pub const EXPORT_FORMATS: [ExportFormat; 3] =
    [ExportFormat::Csv, ExportFormat::Tsv, ExportFormat::Markdown];

/// Writes the rows given, in that order, to `path` through `stats::export` (the writer of
/// the study's own tables). The results screen names the file after its filter
/// (`app::export_file_name`) and asks before it overwrites one.
pub fn export_table(
    path: &Path,
    rows: &[AssociationRow],
    format: ExportFormat,
    labels: &HashMap<String, ColumnLabel>,
) -> Result<(), TuiError> {
    // The exports name each factor's description (a last `description` column in CSV/TSV,
    // next to the id in Markdown), as the study's own exports do.
    let descriptions: BTreeMap<String, String> = labels
        .iter()
        .filter(|(_, l)| !l.description.is_empty())
        .map(|(k, l)| (k.clone(), l.description.clone()))
        .collect();
    write_association_rows_with(rows, path, format, &descriptions)?;
    Ok(())
}

/// One line of the panel's transcript as journaled (`panel/transcript` events).
#[derive(Debug, Clone, PartialEq)]
pub struct PanelLine {
    pub stage: String,
    pub round: u32,
    pub agent: String,
    pub kind: String,
    pub text: String,
    pub data: Value,
}

/// Per-round agreement, from the `agreement` lines.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundMeter {
    pub stage: String,
    pub round: u32,
    pub kappa: Option<f64>,
    pub answered: usize,
}

/// What the live panel view shows of a study.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PanelData {
    pub lines: Vec<PanelLine>,
    pub steps_done: usize,
    pub steps_total: usize,
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_usd: f64,
    /// Number of events read (to tell whether anything new arrived).
    pub events: usize,
    /// The study's running step, or its last one when none runs.
    pub step: Option<StepClock>,
    /// The clock when the data were read (milliseconds since the Unix epoch): a running
    /// step's elapsed time is counted to it.
    pub now_ms: u64,
    /// The panel's round limit (`[panel.protocol] max_rounds` as the study recorded it).
    pub max_rounds: Option<u32>,
}

/// When a step of the study's plan started and, once it has, ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StepClock {
    pub step: String,
    pub started_ms: u64,
    pub ended_ms: Option<u64>,
}

/// The plan's step that runs (started last and not ended), or the one that ended last. Only
/// the plan's steps count: the panel's calls are journaled as steps within them.
pub fn step_clock(events: &[EventLine]) -> Option<StepClock> {
    let plan = meshagents_workflows::study::plan_steps(events);
    let mut clock: Option<StepClock> = None;
    for e in events.iter().filter(|e| plan.contains(&e.step)) {
        match e.kind {
            RecordKind::StepStarted => {
                clock = Some(StepClock {
                    step: e.step.clone(),
                    started_ms: e.at_ms,
                    ended_ms: None,
                })
            }
            RecordKind::StepCompleted | RecordKind::StepFailed => {
                if let Some(c) = clock.as_mut().filter(|c| c.step == e.step) {
                    c.ended_ms = Some(e.at_ms);
                }
            }
            RecordKind::Event => {}
        }
    }
    clock
}

impl PanelData {
    /// The agents in order of first appearance, the chair last (the "panel" pseudo-agent that
    /// speaks the agreement lines is left out: it has the meter).
    pub fn agents(&self) -> Vec<String> {
        let mut agents: Vec<String> = Vec::new();
        for l in &self.lines {
            if l.agent != "chair" && l.agent != "panel" && !agents.contains(&l.agent) {
                agents.push(l.agent.clone());
            }
        }
        if self.lines.iter().any(|l| l.agent == "chair") {
            agents.push("chair".into());
        }
        agents
    }

    pub fn meters(&self) -> Vec<RoundMeter> {
        self.lines
            .iter()
            .filter(|l| l.kind == "agreement")
            .map(|l| RoundMeter {
                stage: l.stage.clone(),
                round: l.round,
                kappa: l.data.get("kappa").and_then(Value::as_f64),
                answered: l
                    .data
                    .get("answered")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len),
            })
            .collect()
    }
}

/// Reads the panel's lines from `DIR/journal.events.jsonl` and the usage counters from
/// `decisions.json` when the panel has finished.
pub fn load_panel(dir: &Path) -> PanelData {
    let events = read_events(&dir.join("journal"));
    let mut data = PanelData {
        events: events.len(),
        step: step_clock(&events),
        now_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        ..PanelData::default()
    };
    for entry in events
        .iter()
        .filter_map(|e| e.body.as_ref().and_then(transcript_entry))
    {
        data.lines.push(PanelLine {
            stage: entry.stage,
            round: entry.round,
            agent: entry.agent,
            kind: entry.kind,
            text: entry.text,
            data: entry.data,
        });
    }
    if let Ok(status) = meshagents_workflows::study_status(dir) {
        data.steps_done = status.steps_done;
        data.steps_total = status.steps_total;
        data.max_rounds = status
            .config
            .pointer("/config/panel/protocol/max_rounds")
            .and_then(Value::as_u64)
            .map(|k| k as u32);
        // A study that stopped mid-step (killed, failed) is not running it any more: its
        // clock stops at its last event rather than counting on.
        if !matches!(
            status.state,
            meshagents_workflows::StudyState::Running { .. }
        ) {
            if let Some(c) = data.step.as_mut().filter(|c| c.ended_ms.is_none()) {
                c.ended_ms = events.last().map(|e| e.at_ms.max(c.started_ms));
            }
        }
    }
    // The panel writes decisions.json whole but not atomically: a live study may be caught
    // mid-write, and the next tick reads it again, so an unreadable file counts as no usage yet.
    if let Ok(usage) = meshagents_workflows::panel::read_usage(dir) {
        data.calls = usage.calls;
        data.prompt_tokens = usage.prompt_tokens;
        data.completion_tokens = usage.completion_tokens;
        data.cost_usd = usage.cost_usd;
    }
    data
}

/// The panel's proposal waiting for a person (`DIR/proposed_confounders.json`).
pub fn load_proposal(dir: &Path) -> Result<meshagents_workflows::study_run::Proposal, TuiError> {
    let path = dir.join("proposed_confounders.json");
    let text = std::fs::read_to_string(&path).map_err(|e| TuiError::Io {
        path: path.clone(),
        source: e,
    })?;
    serde_json::from_str(&text).map_err(|e| TuiError::Format(format!("{}: {e}", path.display())))
}

/// A category of the data dictionary with the role most of its columns have.
#[derive(Debug, Clone, PartialEq)]
pub struct DictCategory {
    pub name: String,
    pub role: String,
    pub columns: usize,
    /// A whole role (`imaging`, `factor`, ...; a LIST item too) rather than a category.
    pub whole_role: bool,
}

/// A column of the data dictionary, as the wizard's picker offers it.
#[derive(Debug, Clone, PartialEq)]
pub struct DictColumn {
    pub name: String,
    pub description: String,
    pub category: String,
    pub role: String,
}

/// What the wizard reads of a `dictionary.csv`: its roles and categories, and its columns
/// (the id column left out), in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WizardDictionary {
    pub categories: Vec<DictCategory>,
    pub columns: Vec<DictColumn>,
}

/// The roles, categories and columns of a `dictionary.csv` (read by
/// `stats::data::Dictionary`, so a bad dictionary is refused here as the study would refuse
/// it).
pub fn load_dictionary(path: &Path) -> Result<WizardDictionary, TuiError> {
    let dictionary = Dictionary::read_csv(path)?;
    let columns = dictionary
        .entries
        .iter()
        .filter(|e| e.role != Role::Id)
        .map(|e| DictColumn {
            name: e.column.clone(),
            description: e.description.clone(),
            category: e.category.clone(),
            role: e.role.as_str().to_string(),
        })
        .collect();
    Ok(WizardDictionary {
        categories: dictionary_categories(&dictionary),
        columns,
    })
}

/// The categories of a dictionary, the whole roles first, in file order.
fn dictionary_categories(dictionary: &Dictionary) -> Vec<DictCategory> {
    let mut cats: Vec<(String, BTreeMap<String, usize>)> = Vec::new();
    for entry in &dictionary.entries {
        let (cat, role) = (&entry.category, entry.role.as_str());
        if cat.is_empty() || entry.role == Role::Id {
            continue;
        }
        let entry = match cats.iter_mut().position(|(c, _)| c == cat) {
            Some(i) => &mut cats[i].1,
            None => {
                cats.push((cat.clone(), BTreeMap::new()));
                &mut cats.last_mut().expect("just pushed").1
            }
        };
        *entry.entry(role.to_string()).or_default() += 1;
    }
    // The roles first: a LIST takes them as items, and `imaging` / `factor` / `covariate` are
    // the CLI's defaults, so accepting the wizard's defaults gives the CLI's study.
    let mut role_counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, roles) in &cats {
        for (r, n) in roles {
            *role_counts.entry(r.clone()).or_default() += n;
        }
    }
    let order = ["imaging", "factor", "covariate", "disease"];
    let mut out: Vec<DictCategory> = order
        .iter()
        .filter_map(|r| {
            role_counts.get(*r).map(|&n| DictCategory {
                name: r.to_string(),
                role: r.to_string(),
                columns: n,
                whole_role: true,
            })
        })
        .collect();
    out.extend(cats.into_iter().map(|(name, roles)| {
        let columns = roles.values().sum();
        let role = roles
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(r, _)| r)
            .unwrap_or_default();
        DictCategory {
            name,
            role,
            columns,
            whole_role: false,
        }
    }));
    out
}

/// The folder of a new study called `name` under `root`, or `None` when the name has no
/// letter or digit. The name goes through the CLI's slug, so `study run` without `--out` and
/// the wizard agree. Until the TUI shared it, the TUI collapsed runs of dashes ("My Study #2"
/// was `my-study-2`, the CLI's `my-study--2`): when a folder by that older name exists, it is
/// that study's folder, so the wizard finds it (and refuses to overwrite it) rather than
/// starting a twin beside it.
pub fn study_dir(root: &Path, name: &str) -> Option<PathBuf> {
    let slug = meshagents_workflows::study_run::slug(name);
    if slug.is_empty() {
        return None;
    }
    let older: Vec<&str> = slug.split('-').filter(|p| !p.is_empty()).collect();
    let older = root.join(older.join("-"));
    if older.is_dir() {
        return Some(older);
    }
    Some(root.join(slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_go_through_the_owner_of_associations_csv() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let table = "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note\n\
LVEDV,age,Demo,linear,100,,,0.5,0.1,0.3,0.7,5.0,1e-6,6.0,1e-5,0.0001,ok,\"a, b|c\"\n\
LVEF,smoking,Life,logistic,90,10,80,,,,,,,,,,failed,separation\n";
        std::fs::write(tmp.path().join("associations.csv"), table).expect("table");
        let t = load_associations(tmp.path()).expect("reads");
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].beta, 0.5);
        assert_eq!(t.rows[0].note, "a, b|c");
        assert!(t.rows[1].p.is_nan());
        assert!(t.classification.is_empty());
        // Debug text, not ==: the failed row's numbers are NaN.
        let same =
            |a: &[AssociationRow], b: &[AssociationRow]| format!("{a:?}") == format!("{b:?}");
        // The dictionary's descriptions go into a last column, which the table's reader
        // accepts and leaves out.
        let labels: HashMap<String, ColumnLabel> = [(
            "age".to_string(),
            ColumnLabel {
                description: "Age at the imaging visit".into(),
                category: "Demo".into(),
            },
        )]
        .into();
        let csv = tmp.path().join("associations.export.csv");
        export_table(&csv, &t.rows, ExportFormat::Csv, &labels).expect("csv");
        assert!(same(&read_associations(&csv).expect("reads back"), &t.rows));
        let text = std::fs::read_to_string(&csv).expect("csv text");
        assert!(text.lines().next().unwrap().ends_with(",note,description"));
        assert!(text
            .lines()
            .nth(1)
            .unwrap()
            .ends_with(",Age at the imaging visit"));
        let tsv = tmp.path().join("associations.export.tsv");
        export_table(&tsv, &t.rows[1..], ExportFormat::Tsv, &labels).expect("tsv");
        assert!(same(
            &read_associations(&tsv).expect("reads back"),
            &t.rows[1..]
        ));
        let md = tmp.path().join("associations.export.md");
        export_table(&md, &t.rows, ExportFormat::Markdown, &labels).expect("md");
        let md = std::fs::read_to_string(md).expect("md text");
        assert!(md.starts_with("| phenotype | factor |"), "{md}");
        assert_eq!(md.lines().count(), 4, "{md}");
        assert!(md.contains("| a, b\\|c |"), "{md}");
    }

    #[test]
    fn study_dir_uses_the_cli_slug_and_finds_folders_named_by_the_older_tui_slug() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path();
        assert_eq!(
            study_dir(root, "  My Study #2 "),
            Some(root.join("my-study--2"))
        );
        assert_eq!(study_dir(root, "My study"), Some(root.join("my-study")));
        // A name without letters or digits still gets a folder of its own (issue 15, item 5).
        let odd = study_dir(root, " #! ").expect("a folder");
        assert!(odd.starts_with(root) && odd != root, "{}", odd.display());
        assert!(odd
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("study-"));
        std::fs::create_dir(root.join("my-study-2")).expect("older folder");
        assert_eq!(
            study_dir(root, "  My Study #2 "),
            Some(root.join("my-study-2"))
        );
    }
}
