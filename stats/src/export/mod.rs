//! Paper-ready exports of a study's two tables, the association table (the 18-column
//! contract of [`crate::phewas::rows::ASSOCIATION_COLUMNS`]) and the classification table
//! ([`crate::classify::CLASSIFICATION_COLUMNS`]): whole tables as CSV, TSV or Parquet for
//! analysis, and Markdown or LaTeX (booktabs) for a paper, where the association table is cut
//! to the top hits of each phenotype as in Bai et al. 2020's tables.
//!
//! Everything here is a pure function of the rows: no timestamps, fixed row order, so the
//! files of a study are byte-identical on a rerun.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::classify::{write_classification, ClassificationRow};
use crate::error::StatsError;
use crate::phewas::rows::{
    association_cells, write_associations, AssociationRow, ASSOCIATION_COLUMNS,
};

/// A file format an export can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExportFormat {
    Csv,
    Tsv,
    Parquet,
    Markdown,
    Latex,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Csv,
        ExportFormat::Tsv,
        ExportFormat::Parquet,
        ExportFormat::Markdown,
        ExportFormat::Latex,
    ];

    /// The file extension, which is also the name on the command line (`md`, `tex`, ...).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Tsv => "tsv",
            ExportFormat::Parquet => "parquet",
            ExportFormat::Markdown => "md",
            ExportFormat::Latex => "tex",
        }
    }

    /// Parses `csv|tsv|parquet|md|tex|all` (also `markdown`, `latex`).
    pub fn parse_list(text: &str) -> Result<Vec<ExportFormat>, StatsError> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let formats: &[ExportFormat] = match part.to_ascii_lowercase().as_str() {
                "all" => &ExportFormat::ALL,
                "csv" => &[ExportFormat::Csv],
                "tsv" => &[ExportFormat::Tsv],
                "parquet" => &[ExportFormat::Parquet],
                "md" | "markdown" => &[ExportFormat::Markdown],
                "tex" | "latex" => &[ExportFormat::Latex],
                other => {
                    return Err(StatsError::Invalid(format!(
                        "unknown export format '{other}': use csv, tsv, parquet, md, tex or all"
                    )))
                }
            };
            out.extend_from_slice(formats);
        }
        out.sort();
        out.dedup();
        if out.is_empty() {
            return Err(StatsError::Invalid("no export format given".into()));
        }
        Ok(out)
    }
}

/// Escapes text for LaTeX's text mode: the ten special characters, and `<`, `>` and `|`,
/// which the default OT1 font encoding prints as other glyphs.
pub fn latex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a Markdown table cell: pipes would end the cell, newlines the row.
pub fn markdown_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A number with `digits` decimals; an em dash for NaN (a skipped row).
fn fixed(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "--".into()
    }
}

/// A p-value in the papers' style: 3 decimals down to 0.001, then mantissa x 10^exponent.
fn p_parts(p: f64) -> Option<(String, Option<i32>)> {
    if !p.is_finite() {
        return None;
    }
    if p >= 0.001 {
        return Some((format!("{p:.3}"), None));
    }
    if p <= 0.0 {
        return Some(("0".into(), None));
    }
    let exponent = p.log10().floor() as i32;
    let mut mantissa = p / 10f64.powi(exponent);
    let mut exponent = exponent;
    // 9.96e-5 rounds to "10.0": carry into the exponent.
    if (mantissa * 10.0).round() >= 100.0 {
        mantissa /= 10.0;
        exponent += 1;
    }
    Some((format!("{mantissa:.1}"), Some(exponent)))
}

fn p_markdown(p: f64) -> String {
    match p_parts(p) {
        None => "--".into(),
        Some((m, None)) => m,
        Some((m, Some(e))) => format!("{m}e{e}"),
    }
}

fn p_latex(p: f64) -> String {
    match p_parts(p) {
        None => "--".into(),
        Some((m, None)) => m,
        Some((m, Some(e))) => format!("${m} \\times 10^{{{e}}}$"),
    }
}

/// The top `top_n` tested rows (status ok) of each phenotype by p (ties by factor name), in
/// the phenotypes' order of first appearance.
pub fn top_hits(rows: &[AssociationRow], top_n: usize) -> Vec<&AssociationRow> {
    let mut phenotypes: Vec<&str> = Vec::new();
    for r in rows {
        if !phenotypes.contains(&r.phenotype.as_str()) {
            phenotypes.push(&r.phenotype);
        }
    }
    let mut out = Vec::new();
    for ph in phenotypes {
        let mut mine: Vec<&AssociationRow> = rows
            .iter()
            .filter(|r| r.phenotype == ph && r.status == "ok" && r.p.is_finite())
            .collect();
        mine.sort_by(|a, b| a.p.total_cmp(&b.p).then_with(|| a.factor.cmp(&b.factor)));
        out.extend(mine.into_iter().take(top_n));
    }
    out
}

/// The top hits per phenotype as a Markdown table.
pub fn associations_markdown(rows: &[AssociationRow], top_n: usize) -> String {
    markdown_table(
        &[
            ("Phenotype", "---"),
            ("Factor", "---"),
            ("Category", "---"),
            ("Model", "---"),
            ("n", "---:"),
            ("beta (95% CI)", "---"),
            ("p", "---:"),
            ("q (BH)", "---:"),
        ],
        top_hits(rows, top_n).into_iter().map(|r| {
            [&r.phenotype, &r.factor, &r.category, &r.model]
                .map(|s| markdown_escape(s))
                .into_iter()
                .chain(hit_numbers(r, p_markdown))
                .collect()
        }),
    )
}

/// The numbers of a top hit as both tables show them: n, the estimate with its interval, p
/// and q, the p-values written by `p`.
fn hit_numbers(r: &AssociationRow, p: fn(f64) -> String) -> [String; 4] {
    [
        r.n.to_string(),
        estimate_ci(r.beta, r.ci_low, r.ci_high),
        p(r.p),
        p(r.q_bh),
    ]
}

/// An estimate and its 95% interval, each to 3 decimals: `1.234 (0.500, 1.968)`.
fn estimate_ci(estimate: f64, low: f64, high: f64) -> String {
    format!(
        "{} ({}, {})",
        fixed(estimate, 3),
        fixed(low, 3),
        fixed(high, 3)
    )
}

/// A Markdown table: the header of (title, alignment) columns, then the rows, whose cells
/// are already escaped.
/// A Markdown table: (title, alignment such as `---` or `---:`) per column, then a line of
/// cells per row.
pub fn markdown_table(columns: &[(&str, &str)], rows: impl Iterator<Item = Vec<String>>) -> String {
    let titles: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let aligns: Vec<&str> = columns.iter().map(|c| c.1).collect();
    let mut s = format!("| {} |\n|{}|\n", titles.join(" | "), aligns.join("|"));
    for cells in rows {
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    s
}

/// The top hits per phenotype as a LaTeX booktabs table (needs `\usepackage{booktabs}`),
/// phenotypes separated by `\midrule` and named once, as in Bai 2020's tables.
pub fn associations_latex(rows: &[AssociationRow], top_n: usize) -> String {
    let mut s = latex_grouped(
        &format!(
            "% Top {top_n} associations per imaging phenotype; needs \\usepackage{{booktabs}}"
        ),
        "lllrrrr",
        "Phenotype & Factor & Category & $n$ & $\\beta$ (95\\% CI) & $p$ & $q$",
        top_hits(rows, top_n).into_iter().map(|r| {
            (
                r.phenotype.as_str(),
                [&r.factor, &r.category]
                    .map(|s| latex_escape(s))
                    .into_iter()
                    .chain(hit_numbers(r, p_latex))
                    .collect(),
            )
        }),
    );
    let _ = writeln!(s, "\\end{{tabular}}");
    s
}

/// A booktabs tabular up to its `\bottomrule`: a comment line, the column spec, the header,
/// then rows grouped by their first column, each group after a `\midrule` and named on its
/// first row only (as in Bai 2020's tables). `rest` is each row's other cells, already
/// written as LaTeX.
fn latex_grouped<'a>(
    comment: &str,
    spec: &str,
    header: &str,
    rows: impl Iterator<Item = (&'a str, Vec<String>)>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{comment}");
    let _ = writeln!(s, "\\begin{{tabular}}{{{spec}}}");
    let _ = writeln!(s, "\\toprule");
    let _ = writeln!(s, "{header} \\\\");
    let mut last: Option<&str> = None;
    for (group, rest) in rows {
        let first = last != Some(group);
        if first {
            let _ = writeln!(s, "\\midrule");
        }
        last = Some(group);
        let name = if first {
            latex_escape(group)
        } else {
            String::new()
        };
        let _ = writeln!(s, "{name} & {} \\\\", rest.join(" & "));
    }
    let _ = writeln!(s, "\\bottomrule");
    s
}

/// Which participants the rows were scored on, in one sentence (the `split` column of
/// `classification.csv`, which the Markdown and LaTeX tables leave out to stay narrow).
pub fn split_note(rows: &[ClassificationRow]) -> Option<String> {
    let held_out = rows.iter().filter(|r| r.split == "holdout").count();
    match (held_out, rows.len()) {
        (_, 0) => None,
        (h, n) if h == n => Some(
            "Scored on the held-out participants, whom the panel's selection never saw.".into(),
        ),
        (0, _) => {
            Some("Scored on all participants: the panel's selection saw them (holdout = 0).".into())
        }
        (h, n) => Some(format!(
            "Rows scored on the held-out participants: {h} of {n}; the others on all participants."
        )),
    }
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

/// The whole classification table in Markdown.
pub fn classification_markdown(rows: &[ClassificationRow]) -> String {
    let mut s = markdown_table(
        &[
            ("Disease", "---"),
            ("Arm", "---"),
            ("Classifier", "---"),
            ("n", "---:"),
            ("Cases", "---:"),
            ("AUC (95% CI)", "---"),
            ("DeLong p", "---:"),
            ("Recall", "---:"),
            ("Precision", "---:"),
            ("F1", "---:"),
            ("Balanced accuracy", "---:"),
        ],
        rows.iter().map(|r| {
            let mut cells = classification_label_cells(r);
            cells.extend([
                estimate_ci(r.auc, r.auc_ci_low, r.auc_ci_high),
                p_markdown(r.delong_p),
                fixed(r.recall, 3),
                fixed(r.precision, 3),
                fixed(r.f1, 3),
                fixed(r.balanced_accuracy, 3),
            ]);
            cells
        }),
    );
    if let Some(note) = split_note(rows) {
        let _ = writeln!(s, "\n{note}");
    }
    s
}

/// The whole classification table as a LaTeX booktabs table, diseases separated by rules.
pub fn classification_latex(rows: &[ClassificationRow]) -> String {
    let mut s = latex_grouped(
        "% Disease classification, out-of-fold; needs \\usepackage{booktabs}",
        "lllrrrrr",
        "Disease & Arm & Classifier & Cases/$n$ & AUC (95\\% CI) & DeLong $p$ & Recall & Bal.\\ acc.",
        rows.iter().map(|r| {
            (
                r.disease.as_str(),
                vec![
                    latex_escape(&r.arm),
                    latex_escape(&r.classifier),
                    format!("{}/{}", r.n_cases, r.n),
                    estimate_ci(r.auc, r.auc_ci_low, r.auc_ci_high),
                    p_latex(r.delong_p),
                    fixed(r.recall, 3),
                    fixed(r.balanced_accuracy, 3),
                ],
            )
        }),
    );
    if let Some(note) = split_note(rows) {
        let _ = writeln!(
            s,
            "\\multicolumn{{8}}{{l}}{{\\footnotesize {}}} \\\\",
            latex_escape(&note)
        );
    }
    let _ = writeln!(s, "\\end{{tabular}}");
    s
}

fn write_text(path: &Path, text: &str) -> Result<(), StatsError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StatsError::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| StatsError::io(path, e))
}

/// Writes the association table as `DIR/STEM.EXT` for each format (Markdown and LaTeX with
/// the top `top_n` hits per phenotype); returns the paths written, in format order.
pub fn export_associations(
    rows: &[AssociationRow],
    dir: &Path,
    stem: &str,
    formats: &[ExportFormat],
    top_n: usize,
) -> Result<Vec<PathBuf>, StatsError> {
    export_each(dir, stem, formats, |format, path| match format {
        ExportFormat::Csv | ExportFormat::Tsv | ExportFormat::Parquet => {
            write_associations(rows, path)
        }
        ExportFormat::Markdown => write_text(path, &associations_markdown(rows, top_n)),
        ExportFormat::Latex => write_text(path, &associations_latex(rows, top_n)),
    })
}

/// Writes `DIR/STEM.EXT` for each format with `write`; returns the paths written, in format
/// order.
fn export_each(
    dir: &Path,
    stem: &str,
    formats: &[ExportFormat],
    write: impl Fn(ExportFormat, &Path) -> Result<(), StatsError>,
) -> Result<Vec<PathBuf>, StatsError> {
    formats
        .iter()
        .map(|&format| {
            let path = dir.join(format!("{stem}.{}", format.extension()));
            write(format, &path)?;
            Ok(path)
        })
        .collect()
}

/// Every column of the association table as one Markdown pipe table, the rows given in that
/// order, each cell as the CSV file prints it (unquoted; empty for a missing value).
pub fn association_rows_markdown(rows: &[AssociationRow]) -> String {
    let columns: Vec<(&str, &str)> = ASSOCIATION_COLUMNS.iter().map(|c| (*c, "---")).collect();
    markdown_table(
        &columns,
        rows.iter().map(|r| {
            association_cells(r)
                .iter()
                .map(|c| markdown_escape(&c.plain()))
                .collect()
        }),
    )
}

/// Writes the rows given, in that order, with every column of the association table to
/// `path` in `format`: CSV, TSV and Parquet by the writer of `associations.csv` itself,
/// Markdown as [`association_rows_markdown`], LaTeX as the paper table of
/// [`associations_latex`]. What the TUI exports of the rows it shows.
pub fn write_association_rows(
    rows: &[AssociationRow],
    path: &Path,
    format: ExportFormat,
) -> Result<(), StatsError> {
    match format {
        ExportFormat::Csv | ExportFormat::Tsv | ExportFormat::Parquet => {
            write_associations(rows, path)
        }
        ExportFormat::Markdown => write_text(path, &association_rows_markdown(rows)),
        ExportFormat::Latex => write_text(path, &associations_latex(rows, rows.len())),
    }
}

/// Writes the classification table as `DIR/STEM.EXT` for each format.
pub fn export_classification(
    rows: &[ClassificationRow],
    dir: &Path,
    stem: &str,
    formats: &[ExportFormat],
) -> Result<Vec<PathBuf>, StatsError> {
    export_each(dir, stem, formats, |format, path| match format {
        ExportFormat::Csv | ExportFormat::Tsv | ExportFormat::Parquet => {
            write_classification(rows, path)
        }
        ExportFormat::Markdown => write_text(path, &classification_markdown(rows)),
        ExportFormat::Latex => write_text(path, &classification_latex(rows)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_escapes_every_special_character() {
        assert_eq!(
            latex_escape(r"a_b & 5% $x$ #1 {y} ~z ^w \ <>|"),
            r"a\_b \& 5\% \$x\$ \#1 \{y\} \textasciitilde{}z \textasciicircum{}w \textbackslash{} \textless{}\textgreater{}\textbar{}"
        );
    }

    #[test]
    fn p_values_in_paper_style() {
        assert_eq!(p_markdown(0.0312), "0.031");
        assert_eq!(p_markdown(1.23e-8), "1.2e-8");
        assert_eq!(p_markdown(9.96e-5), "1.0e-4");
        assert_eq!(p_latex(2.5e-12), "$2.5 \\times 10^{-12}$");
        assert_eq!(p_latex(f64::NAN), "--");
    }

    #[test]
    fn format_lists_parse() {
        assert_eq!(
            ExportFormat::parse_list("all").unwrap(),
            ExportFormat::ALL.to_vec()
        );
        assert_eq!(
            ExportFormat::parse_list("tex,csv").unwrap(),
            vec![ExportFormat::Csv, ExportFormat::Latex]
        );
        assert!(ExportFormat::parse_list("xlsx").is_err());
    }
}
