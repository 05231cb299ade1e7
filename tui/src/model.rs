//! What the TUI reads from a study directory (all read-only: the events file and the result
//! files, never the journal itself) and the few files it writes (exports, STUDY.toml).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meshagents_engine::{read_events, Event};
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
        }
    }
}

/// A state's short name for the list.
pub fn state_label(state: &StudyState) -> &'static str {
    match state {
        StudyState::Finished => "finished",
        StudyState::Running { .. } => "running",
        StudyState::AwaitingApproval => "awaiting approval",
        StudyState::Stopped => "stopped",
        StudyState::New => "new",
    }
}

/// Every study under `root`; a missing root is an empty list (the wizard creates it).
pub fn load_studies(root: &Path) -> Result<Vec<StudyRow>, TuiError> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    let list = meshagents_workflows::list_studies(root)?;
    Ok(list.iter().map(StudyRow::from_status).collect())
}

/// Splits one CSV line, honouring double quotes (the writers quote fields with commas).
pub use meshagents_stats::data::io::split_line as split_csv;

/// One row of `associations.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Association {
    pub phenotype: String,
    pub factor: String,
    pub category: String,
    pub model: String,
    pub n: String,
    pub beta: Option<f64>,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p: Option<f64>,
    pub neg_log10_p: Option<f64>,
    pub q_bh: Option<f64>,
    pub bonferroni: Option<f64>,
    pub status: String,
    pub note: String,
    /// Every field as written, in the file's column order (for export).
    pub fields: Vec<String>,
}

/// The association table of a study, with its header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssociationTable {
    pub header: Vec<String>,
    pub rows: Vec<Association>,
    /// `classification.csv` of the study, when it has one: display cells in the order of
    /// [`CLASSIFICATION_VIEW`].
    pub classification: Vec<Vec<String>>,
}

/// The columns of `classification.csv` the results screen shows, in order.
pub const CLASSIFICATION_VIEW: [&str; 11] = [
    "disease",
    "arm",
    "classifier",
    "n",
    "n_cases",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "delong_p",
    "recall",
    "f1",
];

/// Parses the text of `classification.csv` into display rows; numbers are shortened to 3
/// decimals, columns found by name.
pub fn parse_classification(text: &str) -> Result<Vec<Vec<String>>, TuiError> {
    let mut lines = text.lines();
    let header = split_csv(
        lines
            .next()
            .ok_or_else(|| TuiError::Format("classification.csv is empty".into()))?,
        ',',
    );
    let idx: Vec<usize> = CLASSIFICATION_VIEW
        .iter()
        .map(|name| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                TuiError::Format(format!("classification.csv has no column `{name}`"))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields = split_csv(line, ',');
            idx.iter()
                .map(|&i| {
                    let cell = fields.get(i).cloned().unwrap_or_default();
                    match cell.parse::<f64>() {
                        Ok(v) if cell.contains('.') || cell.contains('e') => {
                            if v != 0.0 && v.abs() < 1e-3 {
                                format!("{v:.1e}")
                            } else {
                                format!("{v:.3}")
                            }
                        }
                        _ => cell,
                    }
                })
                .collect()
        })
        .collect())
}

/// Parses the text of `associations.csv`; columns are found by name, so added columns are fine.
pub fn parse_associations(text: &str) -> Result<AssociationTable, TuiError> {
    let mut lines = text.lines();
    let header = split_csv(
        lines
            .next()
            .ok_or_else(|| TuiError::Format("associations.csv is empty".into()))?,
        ',',
    );
    let col = |name: &str| header.iter().position(|h| h == name);
    let required = ["phenotype", "factor", "p"];
    for r in required {
        if col(r).is_none() {
            return Err(TuiError::Format(format!(
                "associations.csv has no column `{r}`"
            )));
        }
    }
    let idx: BTreeMap<&str, Option<usize>> = [
        "phenotype",
        "factor",
        "category",
        "model",
        "n",
        "beta",
        "se",
        "ci_low",
        "ci_high",
        "p",
        "neg_log10_p",
        "q_bh",
        "bonferroni",
        "status",
        "note",
    ]
    .into_iter()
    .map(|k| (k, col(k)))
    .collect();
    let mut rows = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let fields = split_csv(line, ',');
        let s = |k: &str| {
            idx.get(k)
                .copied()
                .flatten()
                .and_then(|i| fields.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let f = |k: &str| s(k).parse::<f64>().ok().filter(|v| !v.is_nan());
        rows.push(Association {
            phenotype: s("phenotype"),
            factor: s("factor"),
            category: s("category"),
            model: s("model"),
            n: s("n"),
            beta: f("beta"),
            se: f("se"),
            ci_low: f("ci_low"),
            ci_high: f("ci_high"),
            p: f("p"),
            neg_log10_p: f("neg_log10_p")
                .or_else(|| f("p").filter(|p| *p > 0.0).map(|p| -p.log10())),
            q_bh: f("q_bh"),
            bonferroni: f("bonferroni"),
            status: s("status"),
            note: s("note"),
            fields,
        });
    }
    Ok(AssociationTable {
        header,
        rows,
        classification: Vec::new(),
    })
}

/// Reads `DIR/associations.csv`.
pub fn load_associations(dir: &Path) -> Result<AssociationTable, TuiError> {
    let path = dir.join("associations.csv");
    let text = std::fs::read_to_string(&path).map_err(|e| TuiError::Io {
        path: path.clone(),
        source: e,
    })?;
    let mut table = parse_associations(&text)?;
    // The validation's table is optional: studies without the panel have none.
    if let Ok(text) = std::fs::read_to_string(dir.join("classification.csv")) {
        table.classification = parse_classification(&text)?;
    }
    Ok(table)
}

/// Formats the TUI can export the association table to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Tsv,
    Markdown,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Tsv => "tsv",
            ExportFormat::Markdown => "md",
        }
    }
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// Renders the table (the rows given, in that order) in `format`.
pub fn render_export(header: &[String], rows: &[&Association], format: ExportFormat) -> String {
    let mut out = String::new();
    match format {
        ExportFormat::Csv | ExportFormat::Tsv => {
            let (sep, clean): (&str, fn(&str) -> String) = if format == ExportFormat::Csv {
                (",", csv_field)
            } else {
                // TSV has no quoting: tabs and newlines inside a field become spaces.
                ("\t", |f: &str| f.replace(['\t', '\n'], " "))
            };
            let line = |fields: &[String]| {
                fields
                    .iter()
                    .map(|f| clean(f))
                    .collect::<Vec<_>>()
                    .join(sep)
            };
            out.push_str(&line(header));
            out.push('\n');
            for r in rows {
                out.push_str(&line(&r.fields));
                out.push('\n');
            }
        }
        ExportFormat::Markdown => {
            let cell = |f: &str| f.replace('|', "\\|");
            let line = |fields: &[String]| {
                format!(
                    "| {} |",
                    fields
                        .iter()
                        .map(|f| cell(f))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            };
            out.push_str(&line(header));
            out.push('\n');
            out.push_str(&format!(
                "|{}|\n",
                header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
            ));
            for r in rows {
                out.push_str(&line(&r.fields));
                out.push('\n');
            }
        }
    }
    out
}

/// Writes `DIR/associations.export.EXT`; returns the path written.
pub fn export_table(
    dir: &Path,
    header: &[String],
    rows: &[&Association],
    format: ExportFormat,
) -> Result<PathBuf, TuiError> {
    let path = dir.join(format!("associations.export.{}", format.extension()));
    std::fs::write(&path, render_export(header, rows, format)).map_err(|e| TuiError::Io {
        path: path.clone(),
        source: e,
    })?;
    Ok(path)
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
    }
    if let Some(usage) = std::fs::read_to_string(dir.join("decisions.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|d| d.get("usage").cloned())
        .and_then(|u| u.as_object().cloned())
    {
        for ledger in usage.values() {
            let n = |k: &str| ledger.get(k).and_then(Value::as_u64).unwrap_or(0);
            data.calls += n("calls");
            data.prompt_tokens += n("prompt_tokens");
            data.completion_tokens += n("completion_tokens");
            data.cost_usd += ledger
                .get("cost_usd")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
        }
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

/// The categories of a `dictionary.csv` (columns `category` and `role`), in file order.
pub fn load_dictionary(path: &Path) -> Result<Vec<DictCategory>, TuiError> {
    let text = std::fs::read_to_string(path).map_err(|e| TuiError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut lines = text.lines();
    let header = split_csv(lines.next().unwrap_or(""), ',');
    let (Some(ci), Some(ri)) = (
        header.iter().position(|h| h == "category"),
        header.iter().position(|h| h == "role"),
    ) else {
        return Err(TuiError::Format(format!(
            "{}: a dictionary needs the columns `category` and `role`",
            path.display()
        )));
    };
    let mut cats: Vec<(String, BTreeMap<String, usize>)> = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f = split_csv(line, ',');
        let (Some(cat), Some(role)) = (f.get(ci), f.get(ri)) else {
            continue;
        };
        if cat.is_empty() || role == "id" {
            continue;
        }
        let entry = match cats.iter_mut().position(|(c, _)| c == cat) {
            Some(i) => &mut cats[i].1,
            None => {
                cats.push((cat.clone(), BTreeMap::new()));
                &mut cats.last_mut().expect("just pushed").1
            }
        };
        *entry.entry(role.clone()).or_default() += 1;
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
    Ok(out)
}

/// A lower-case, dash-separated directory name for a study name.
pub fn slug(name: &str) -> String {
    let s: String = name
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
    let parts: Vec<&str> = s.split('-').filter(|p| !p.is_empty()).collect();
    parts.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_split_honours_quotes() {
        assert_eq!(
            split_csv(r#"a,"b, c",,"d ""q""""#, ','),
            vec!["a", "b, c", "", "d \"q\""]
        );
    }

    #[test]
    fn associations_parse_by_column_name_and_export_round_trips() {
        let text = "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note\n\
LVEDV,age,Demo,linear,100,,,0.5,0.1,0.3,0.7,5,1e-6,6,1e-5,1e-4,ok,\"a, b\"\n\
LVEF,smoking,Life,logistic,90,10,80,,,,,,,,,,failed,separation\n";
        let t = parse_associations(text).expect("parses");
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].beta, Some(0.5));
        assert_eq!(t.rows[0].note, "a, b");
        assert_eq!(t.rows[1].p, None);
        let rows: Vec<&Association> = t.rows.iter().collect();
        let csv = render_export(&t.header, &rows, ExportFormat::Csv);
        assert_eq!(parse_associations(&csv).expect("again"), t);
        let md = render_export(&t.header, &rows, ExportFormat::Markdown);
        assert!(md.starts_with("| phenotype | factor |"));
        assert_eq!(md.lines().count(), 4);
        let tsv = render_export(&t.header, &rows, ExportFormat::Tsv);
        assert!(tsv.lines().nth(1).expect("row").contains("\ta, b\t") || tsv.contains("\ta, b"));
    }

    #[test]
    fn slug_is_a_safe_directory_name() {
        assert_eq!(slug("  My Study #2 "), "my-study-2");
    }
}
