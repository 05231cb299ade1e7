//! Paper-ready exports of a study's two tables, the association table (the 18-column
//! contract of [`crate::phewas::rows::ASSOCIATION_COLUMNS`]) and the classification table
//! ([`crate::classify::CLASSIFICATION_COLUMNS`]): whole tables as CSV, TSV or Parquet for
//! analysis, and Markdown or LaTeX for a paper, where the association table is cut to the top
//! hits of each phenotype as in Bai et al. 2020's tables and the classification is wide.
//!
//! The room: `tables` is what a paper table holds whatever its format (hits, model
//! families, rounding, abbreviations, the wide classification), `markdown` and `latex`
//! write it. The exported CSV, TSV and Parquet tables are the 18 columns of the contract and
//! a last column, `description`: the factor's dictionary description (the study's own
//! `associations.csv` keeps exactly the 18).
//!
//! Everything here is a pure function of the rows: no timestamps, fixed row order, so the
//! files of a study are byte-identical on a rerun.

mod latex;
mod markdown;
mod tables;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::Column;

pub use latex::{associations_latex, classification_latex, latex_escape, p_latex};
pub use latex::{LatexOptions, LatexSize};
pub use markdown::{
    association_rows_markdown, associations_markdown, classification_label_cells,
    classification_markdown, markdown_escape, markdown_table,
};
pub use tables::{
    abbreviate, classification_wide, effect, p_text, sig3, split_note, top_hits, CellStyle,
    WideClassification, WideRow,
};

use crate::classify::{write_classification, ClassificationRow};
use crate::data::delimited::{self, Cell};
use crate::error::StatsError;
use crate::phewas::rows::{
    association_cells, rows_to_frame, write_associations, AssociationRow, ASSOCIATION_COLUMNS,
    DESCRIPTION_COLUMN,
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

/// What an export of the association table shows besides the rows: the hits per phenotype
/// in the Markdown and LaTeX tables, the factors' descriptions (column -> dictionary
/// description), and the LaTeX layout.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub top_n: usize,
    pub factor_labels: BTreeMap<String, String>,
    pub latex: LatexOptions,
}

/// The columns of an exported association table: the contract, then `description`.
pub const EXPORT_ASSOCIATION_COLUMNS: [&str; 19] = {
    let mut columns = [""; 19];
    let mut k = 0;
    while k < 18 {
        columns[k] = ASSOCIATION_COLUMNS[k];
        k += 1;
    }
    columns[18] = DESCRIPTION_COLUMN;
    columns
};

/// Writes the association table with the factors' descriptions as its last column to
/// `path` (CSV, TSV or Parquet by extension): the 18 columns exactly as
/// `associations.csv` holds them, then `description` (empty where `labels` has none).
pub fn write_described_associations(
    rows: &[AssociationRow],
    labels: &BTreeMap<String, String>,
    path: &Path,
) -> Result<(), StatsError> {
    let described: Vec<(&AssociationRow, &str)> = rows
        .iter()
        .map(|r| (r, tables::description(labels, &r.factor)))
        .collect();
    delimited::write_rows(
        path,
        &EXPORT_ASSOCIATION_COLUMNS,
        &described,
        |(r, d)| {
            let mut cells = [Cell::Text(""); 19];
            cells[..18].copy_from_slice(&association_cells(r));
            cells[18] = Cell::Text(d);
            cells
        },
        |described| {
            let mut frame = rows_to_frame(rows)?;
            let texts: Vec<&str> = described.iter().map(|(_, d)| *d).collect();
            frame.with_column(Column::new(DESCRIPTION_COLUMN.into(), texts))?;
            Ok(frame)
        },
    )
}

fn write_text(path: &Path, text: &str) -> Result<(), StatsError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StatsError::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| StatsError::io(path, e))
}

/// Writes the association table as `DIR/STEM.EXT` for each format: CSV, TSV and Parquet
/// whole with the descriptions as a last column, Markdown and LaTeX with the top hits per
/// phenotype; returns the paths written, in format order.
pub fn export_associations(
    rows: &[AssociationRow],
    dir: &Path,
    stem: &str,
    formats: &[ExportFormat],
    options: &ExportOptions,
) -> Result<Vec<PathBuf>, StatsError> {
    let labels = &options.factor_labels;
    export_each(dir, stem, formats, |format, path| match format {
        ExportFormat::Csv | ExportFormat::Tsv | ExportFormat::Parquet => {
            write_described_associations(rows, labels, path)
        }
        ExportFormat::Markdown => {
            write_text(path, &associations_markdown(rows, options.top_n, labels))
        }
        ExportFormat::Latex => write_text(
            path,
            &associations_latex(rows, options.top_n, labels, options.latex),
        ),
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

/// Writes the rows given, in that order, to `path` in `format`: CSV, TSV and Parquet with the
/// 18 columns by the writer of `associations.csv` itself (so they read back as a study's
/// table), Markdown as [`association_rows_markdown`], LaTeX as the paper table of
/// [`associations_latex`]. [`write_association_rows_with`] adds the factors' descriptions
/// (what the TUI exports of the rows it shows); [`crate::phewas::read_associations`] reads either.
pub fn write_association_rows(
    rows: &[AssociationRow],
    path: &Path,
    format: ExportFormat,
) -> Result<(), StatsError> {
    match format {
        ExportFormat::Csv | ExportFormat::Tsv | ExportFormat::Parquet => {
            write_associations(rows, path)
        }
        _ => write_association_rows_with(rows, path, format, &BTreeMap::new()),
    }
}

/// [`write_association_rows`] with the factors' descriptions (column -> dictionary
/// description): in the Markdown and LaTeX tables, and as the last column of CSV, TSV and
/// Parquet (as [`write_described_associations`]).
pub fn write_association_rows_with(
    rows: &[AssociationRow],
    path: &Path,
    format: ExportFormat,
    labels: &BTreeMap<String, String>,
) -> Result<(), StatsError> {
    match format {
        ExportFormat::Csv | ExportFormat::Tsv | ExportFormat::Parquet => {
            write_described_associations(rows, labels, path)
        }
        ExportFormat::Markdown => write_text(path, &association_rows_markdown(rows, labels)),
        ExportFormat::Latex => write_text(
            path,
            &associations_latex(rows, rows.len(), labels, LatexOptions::default()),
        ),
    }
}

/// Writes the classification table as `DIR/STEM.EXT` for each format: CSV, TSV and Parquet
/// long (a row per disease, arm and classifier), Markdown and LaTeX wide.
pub fn export_classification(
    rows: &[ClassificationRow],
    dir: &Path,
    stem: &str,
    formats: &[ExportFormat],
    latex: LatexOptions,
) -> Result<Vec<PathBuf>, StatsError> {
    export_each(dir, stem, formats, |format, path| match format {
        ExportFormat::Csv | ExportFormat::Tsv | ExportFormat::Parquet => {
            write_classification(rows, path)
        }
        ExportFormat::Markdown => write_text(path, &classification_markdown(rows)),
        ExportFormat::Latex => write_text(path, &classification_latex(rows, latex)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_exported_columns_are_the_contract_then_description() {
        assert_eq!(EXPORT_ASSOCIATION_COLUMNS[..18], ASSOCIATION_COLUMNS);
        assert_eq!(EXPORT_ASSOCIATION_COLUMNS[18], "description");
    }
}
