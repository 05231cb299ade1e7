//! What the report is made of ([`ReportInput`]), apart from how it is drawn (`report`) and
//! worded (`report_methods`), so that both read it without importing each other.

use std::path::PathBuf;

use meshagents_stats::classify::ClassificationRow;
use meshagents_stats::phewas::AssociationRow;
use serde_json::Value;

/// One figure of the report.
#[derive(Debug, Clone)]
pub struct Figure {
    pub title: String,
    pub caption: String,
    /// The PNG embedded in the HTML (and linked from the Markdown).
    pub png: PathBuf,
    /// The SVG, linked from both for editing.
    pub svg: Option<PathBuf>,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub title: &'a str,
    /// The study configuration as the user wrote it (STUDY.toml or study.json text).
    pub config_text: &'a str,
    /// Data flow: (what, count) in reading order, the participants first (the Methods quote
    /// them), e.g. ("participants", 3000).
    pub flow_counts: &'a [(String, String)],
    /// Every dropped column with its reason (the report groups them by reason).
    pub dropped: &'a [(String, String)],
    /// `decisions.json`: "confounders", "phenotypes", "disease_phenotypes", and optionally
    /// "agreement", "provenance", "backend".
    pub decisions: &'a Value,
    pub associations: &'a [AssociationRow],
    pub classification: &'a [ClassificationRow],
    /// The two arms compared in the paper's summary (A - B), e.g. ("panel", "expert").
    pub arms: (&'a str, &'a str),
    pub figures: &'a [Figure],
    /// Column -> its dictionary description (every role: factors, covariates, phenotypes,
    /// diseases); the report names a column by both when there is one.
    pub labels: &'a std::collections::BTreeMap<String, String>,
    /// Hits per phenotype in the association table.
    pub top_n: usize,
    /// One sentence on the validation's protocol (held-out or not), shown with its summary.
    pub protocol: Option<String>,
    /// Diseases the validation could not evaluate, with the reason.
    pub skipped: &'a [(String, String)],
}

/// Every described column of the dictionary -> its description, for [`ReportInput::labels`].
pub fn column_labels(
    dictionary: Option<&meshagents_stats::data::dictionary::Dictionary>,
) -> std::collections::BTreeMap<String, String> {
    dictionary
        .map(|d| {
            d.entries
                .iter()
                .filter(|e| !e.description.is_empty())
                .map(|e| (e.column.clone(), e.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}
