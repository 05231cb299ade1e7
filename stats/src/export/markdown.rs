//! The Markdown exports: pipe tables of the top hits (one table per model family, each row
//! written as the model fitted with the factor's description, its id, the model, and the
//! standardised β or the odds ratio with its 95% CI), of every row the TUI shows, and of the
//! classification in wide form. Numbers are rounded (3 significant digits for estimates,
//! p as `1.2e-8`); descriptions are whole, since a Markdown table has no page width.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::tables::{
    by_family, classification_wide, description, effect, effect_title, family_heading, family_note,
    p_text, sig3, split_note, top_hits, with_ci, CellStyle,
};
use crate::classify::ClassificationRow;
use crate::phewas::rows::AssociationRow;
use crate::phewas::Scale;

/// Escapes a Markdown table cell: pipes would end the cell, newlines the row.
pub fn markdown_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A Markdown table: (title, alignment such as `---` or `---:`) per column, then a line of
/// cells per row, already escaped.
pub fn markdown_table(columns: &[(&str, &str)], rows: impl Iterator<Item = Vec<String>>) -> String {
    let titles: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let aligns: Vec<&str> = columns.iter().map(|c| c.1).collect();
    let mut s = format!("| {} |\n|{}|\n", titles.join(" | "), aligns.join("|"));
    for cells in rows {
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    s
}

/// The model as fitted, the factor named by its description where `labels` has one.
fn fitted(r: &AssociationRow, labels: &BTreeMap<String, String>) -> String {
    let named = match description(labels, &r.factor) {
        "" => r.factor.as_str(),
        d => d,
    };
    r.formula_with(&r.phenotype, named)
}

/// n, with the cases for a logistic row: `4890 (312)`.
fn n_cell(r: &AssociationRow) -> String {
    match (r.scale(), r.n_cases) {
        (Scale::LogOdds, Some(cases)) => format!("{} ({cases})", r.n),
        _ => r.n.to_string(),
    }
}

/// The top `top_n` hits per phenotype (by p), one table per model family under a bold
/// heading that says what the effect column is: the model fitted (the factor by its
/// description), the factor's id, category, model, n, the standardised β or the odds ratio
/// with its 95% CI, p and q.
pub fn associations_markdown(
    rows: &[AssociationRow],
    top_n: usize,
    labels: &BTreeMap<String, String>,
) -> String {
    let hits = top_hits(rows, top_n);
    let mut s = String::new();
    for (k, (scale, mine)) in by_family(&hits).into_iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "**{}**: {}; the top {top_n} per phenotype by p.\n",
            family_heading(scale),
            family_note(scale)
        );
        let n_title = match scale {
            Scale::LogOdds => "n (cases)",
            Scale::StandardisedBeta => "n",
        };
        s.push_str(&markdown_table(
            &[
                ("Model fitted", "---"),
                ("Factor", "---"),
                ("Category", "---"),
                ("Model", "---"),
                (n_title, "---:"),
                (effect_title(scale), "---"),
                ("p", "---:"),
                ("q (BH)", "---:"),
            ],
            mine.into_iter().map(|r| {
                vec![
                    markdown_escape(&fitted(r, labels)),
                    markdown_escape(&r.factor),
                    markdown_escape(&r.category),
                    markdown_escape(&r.model),
                    n_cell(r),
                    effect(r).map_or_else(|| "--".into(), |i| with_ci(i, sig3)),
                    p_text(r.p),
                    p_text(r.q_bh),
                ]
            }),
        ));
    }
    if s.is_empty() {
        s.push_str("No association was tested.\n");
    }
    s
}

/// The rows given, in that order, as one Markdown table: the columns of the association
/// table, each factor's description and the model as fitted beside its id, numbers rounded,
/// and the effect in two columns (standardised β for linear rows, OR for logistic ones), so
/// no column mixes the two scales. What the TUI exports of the rows it shows.
pub fn association_rows_markdown(
    rows: &[AssociationRow],
    labels: &BTreeMap<String, String>,
) -> String {
    let beta = format!("standardised {}", effect_title(Scale::StandardisedBeta));
    markdown_table(
        &[
            ("phenotype", "---"),
            ("factor", "---"),
            ("description", "---"),
            ("model fitted", "---"),
            ("category", "---"),
            ("model", "---"),
            ("n", "---:"),
            ("n_cases", "---:"),
            (&beta, "---"),
            (effect_title(Scale::LogOdds), "---"),
            ("p", "---:"),
            ("q (BH)", "---:"),
            ("bonferroni", "---:"),
            ("status", "---"),
            ("note", "---"),
        ],
        rows.iter().map(|r| {
            let estimate = |scale: Scale| match effect(r) {
                Some(i) if r.scale() == scale => with_ci(i, sig3),
                _ => String::new(),
            };
            let text = [
                r.phenotype.as_str(),
                &r.factor,
                description(labels, &r.factor),
                &fitted(r, labels),
                &r.category,
                &r.model,
            ]
            .map(markdown_escape);
            let mut cells: Vec<String> = text.into_iter().collect();
            cells.extend([
                r.n.to_string(),
                r.n_cases.map(|c| c.to_string()).unwrap_or_default(),
                estimate(Scale::StandardisedBeta),
                estimate(Scale::LogOdds),
                p_text(r.p),
                p_text(r.q_bh),
                p_text(r.bonferroni),
                markdown_escape(&r.status),
                markdown_escape(&r.note),
            ]);
            cells
        }),
    )
}

/// The first cells of a classification row in a Markdown table: disease, arm and classifier
/// (escaped), n and cases; the tables that show it differ in how they print the scores.
pub fn classification_label_cells(r: &ClassificationRow) -> Vec<String> {
    vec![
        markdown_escape(&r.disease),
        markdown_escape(&r.arm),
        markdown_escape(&r.classifier),
        r.n.to_string(),
        r.n_cases.to_string(),
    ]
}

/// The classification table in wide form (one row per disease and classifier, each arm's
/// AUC with its 95% CI side by side, DeLong p), with the sentence that says who was scored.
pub fn classification_markdown(rows: &[ClassificationRow]) -> String {
    let style = CellStyle {
        text: markdown_escape,
        p: p_text,
    };
    let (header, cells) = classification_wide(rows, &style);
    let aligns: Vec<(&str, &str)> = header
        .iter()
        .enumerate()
        .map(|(k, h)| (h.as_str(), if k < 2 { "---" } else { "---:" }))
        .collect();
    let mut s = markdown_table(&aligns, cells.into_iter());
    if let Some(note) = split_note(rows) {
        let _ = writeln!(s, "\n{note}");
    }
    s
}
