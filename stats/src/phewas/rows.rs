//! The rows of the association table (the output contract of `phewas`) and the files that
//! hold them (`associations.csv`, its TSV and Parquet exports, and shard parts through
//! frames), and the multiple-testing correction over them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::delimited::{self, Cell};
use crate::data::io::TableFormat;
use crate::error::StatsError;
use polars::prelude::*;

/// One row of the association table (the output contract of `phewas`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssociationRow {
    pub phenotype: String,
    pub factor: String,
    pub category: String,
    pub model: String,
    pub n: usize,
    pub n_cases: Option<usize>,
    pub n_controls: Option<usize>,
    pub beta: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub stat: f64,
    pub p: f64,
    pub neg_log10_p: f64,
    pub q_bh: f64,
    pub bonferroni: f64,
    pub status: String,
    pub note: String,
}

/// The column an export adds after the 18 (the factor's description in the study's
/// dictionary); [`read_associations`] reads such a file too, without it.
pub const DESCRIPTION_COLUMN: &str = "description";

pub const ASSOCIATION_COLUMNS: [&str; 18] = [
    "phenotype",
    "factor",
    "category",
    "model",
    "n",
    "n_cases",
    "n_controls",
    "beta",
    "se",
    "ci_low",
    "ci_high",
    "stat",
    "p",
    "neg_log10_p",
    "q_bh",
    "bonferroni",
    "status",
    "note",
];

pub fn neg_log10(p: f64) -> f64 {
    if p > 0.0 {
        -p.log10()
    } else if p == 0.0 {
        f64::INFINITY
    } else {
        f64::NAN
    }
}

/// Bonferroni and Benjamini-Hochberg over the rows with status `ok` (the family actually
/// tested). Returns the family size.
pub fn apply_multiple_testing(rows: &mut [AssociationRow]) -> usize {
    let tested: Vec<usize> = (0..rows.len())
        .filter(|i| rows[*i].status == "ok")
        .collect();
    let m = tested.len();
    let ps: Vec<f64> = tested.iter().map(|i| rows[*i].p).collect();
    let qs = benjamini_hochberg(&ps);
    for (k, &i) in tested.iter().enumerate() {
        rows[i].bonferroni = (rows[i].p * m as f64).min(1.0);
        rows[i].q_bh = qs[k];
    }
    m
}

/// Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1), as
/// `statsmodels.stats.multitest.multipletests(method="fdr_bh")`.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut q = vec![0.0; m];
    let mut running = 1.0f64;
    for rank in (0..m).rev() {
        let i = order[rank];
        let candidate = p[i] * m as f64 / (rank + 1) as f64;
        running = running.min(candidate);
        q[i] = running.min(1.0);
    }
    q
}

/// The cells of a row in the order of [`ASSOCIATION_COLUMNS`], as the CSV and TSV files and
/// the Markdown export print them.
pub(crate) fn association_cells(r: &AssociationRow) -> [Cell<'_>; 18] {
    let count = |v: Option<usize>| Cell::Count(v.map(|v| v as u64));
    [
        Cell::Text(&r.phenotype),
        Cell::Text(&r.factor),
        Cell::Text(&r.category),
        Cell::Text(&r.model),
        count(Some(r.n)),
        count(r.n_cases),
        count(r.n_controls),
        Cell::value(r.beta),
        Cell::value(r.se),
        Cell::value(r.ci_low),
        Cell::value(r.ci_high),
        Cell::value(r.stat),
        Cell::value(r.p),
        Cell::value(r.neg_log10_p),
        Cell::value(r.q_bh),
        Cell::value(r.bonferroni),
        Cell::Text(&r.status),
        Cell::Text(&r.note),
    ]
}

/// Writes the association table to `path`: CSV or TSV through [`delimited`], Parquet (by
/// extension) through polars; empty cells for NaN and `None`.
pub fn write_associations(rows: &[AssociationRow], path: &Path) -> Result<(), StatsError> {
    delimited::write_rows(
        path,
        &ASSOCIATION_COLUMNS,
        rows,
        association_cells,
        rows_to_frame,
    )
}

/// The association table as a data frame with exactly [`ASSOCIATION_COLUMNS`] (for Parquet:
/// the exports and the shard parts).
pub fn rows_to_frame(rows: &[AssociationRow]) -> Result<DataFrame, StatsError> {
    let text = |f: &dyn Fn(&AssociationRow) -> &str| {
        rows.iter().map(|r| f(r).to_string()).collect::<Vec<_>>()
    };
    let num = |f: &dyn Fn(&AssociationRow) -> f64| {
        rows.iter()
            .map(|r| {
                let v = f(r);
                if v.is_nan() {
                    None
                } else {
                    Some(v)
                }
            })
            .collect::<Vec<Option<f64>>>()
    };
    let count = |f: &dyn Fn(&AssociationRow) -> Option<usize>| {
        rows.iter()
            .map(|r| f(r).map(|v| v as u64))
            .collect::<Vec<Option<u64>>>()
    };
    let columns = vec![
        Column::new("phenotype".into(), text(&|r| &r.phenotype)),
        Column::new("factor".into(), text(&|r| &r.factor)),
        Column::new("category".into(), text(&|r| &r.category)),
        Column::new("model".into(), text(&|r| &r.model)),
        Column::new(
            "n".into(),
            rows.iter().map(|r| r.n as u64).collect::<Vec<_>>(),
        ),
        Column::new("n_cases".into(), count(&|r| r.n_cases)),
        Column::new("n_controls".into(), count(&|r| r.n_controls)),
        Column::new("beta".into(), num(&|r| r.beta)),
        Column::new("se".into(), num(&|r| r.se)),
        Column::new("ci_low".into(), num(&|r| r.ci_low)),
        Column::new("ci_high".into(), num(&|r| r.ci_high)),
        Column::new("stat".into(), num(&|r| r.stat)),
        Column::new("p".into(), num(&|r| r.p)),
        Column::new("neg_log10_p".into(), num(&|r| r.neg_log10_p)),
        Column::new("q_bh".into(), num(&|r| r.q_bh)),
        Column::new("bonferroni".into(), num(&|r| r.bonferroni)),
        Column::new("status".into(), text(&|r| &r.status)),
        Column::new("note".into(), text(&|r| &r.note)),
    ];
    Ok(DataFrame::new_infer_height(columns)?)
}

/// Reads an association table (CSV, TSV or Parquet, exactly [`ASSOCIATION_COLUMNS`]) back
/// into rows; empty cells become NaN or `None`.
pub fn read_associations(path: &Path) -> Result<Vec<AssociationRow>, StatsError> {
    if TableFormat::from_path(path)? == TableFormat::Parquet {
        let df = crate::data::io::read_table_with_columns_then(
            path,
            &ASSOCIATION_COLUMNS,
            Some(DESCRIPTION_COLUMN),
        )?;
        return rows_from_frame(&df);
    }
    let records: Vec<AssociationRecord> = delimited::read_rows(
        path,
        delimited::exactly_then(&ASSOCIATION_COLUMNS, Some(DESCRIPTION_COLUMN)),
    )?;
    Ok(records.into_iter().map(AssociationRow::from).collect())
}

/// A row of the CSV or TSV file as it is read: empty numbers are `None`.
#[derive(Deserialize)]
struct AssociationRecord {
    phenotype: String,
    factor: String,
    category: String,
    model: String,
    n: usize,
    n_cases: Option<usize>,
    n_controls: Option<usize>,
    beta: Option<f64>,
    se: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    stat: Option<f64>,
    p: Option<f64>,
    neg_log10_p: Option<f64>,
    q_bh: Option<f64>,
    bonferroni: Option<f64>,
    status: String,
    note: String,
}

impl From<AssociationRecord> for AssociationRow {
    fn from(r: AssociationRecord) -> Self {
        let value = |v: Option<f64>| v.unwrap_or(f64::NAN);
        AssociationRow {
            phenotype: r.phenotype,
            factor: r.factor,
            category: r.category,
            model: r.model,
            n: r.n,
            n_cases: r.n_cases,
            n_controls: r.n_controls,
            beta: value(r.beta),
            se: value(r.se),
            ci_low: value(r.ci_low),
            ci_high: value(r.ci_high),
            stat: value(r.stat),
            p: value(r.p),
            neg_log10_p: value(r.neg_log10_p),
            q_bh: value(r.q_bh),
            bonferroni: value(r.bonferroni),
            status: r.status,
            note: r.note,
        }
    }
}

/// The rows of a frame holding (at least) [`ASSOCIATION_COLUMNS`] (a Parquet table or a
/// shard part); empty cells become NaN or `None`.
pub(crate) fn rows_from_frame(df: &DataFrame) -> Result<Vec<AssociationRow>, StatsError> {
    let text = |name: &str| crate::data::io::text_column(df, name);
    let num = |name: &str| crate::data::io::number_column(df, name);
    let count = |name: &str| -> Result<Vec<Option<usize>>, StatsError> {
        Ok(num(name)?
            .into_iter()
            .map(|v| (v.is_finite() && v >= 0.0).then_some(v as usize))
            .collect())
    };
    let (phenotype, factor, category, model) = (
        text("phenotype")?,
        text("factor")?,
        text("category")?,
        text("model")?,
    );
    let (status, note) = (text("status")?, text("note")?);
    let n = count("n")?;
    let (n_cases, n_controls) = (count("n_cases")?, count("n_controls")?);
    let f: Vec<Vec<f64>> = ASSOCIATION_COLUMNS[7..16]
        .iter()
        .map(|c| num(c))
        .collect::<Result<_, _>>()?;
    Ok((0..df.height())
        .map(|i| AssociationRow {
            phenotype: phenotype[i].clone(),
            factor: factor[i].clone(),
            category: category[i].clone(),
            model: model[i].clone(),
            n: n[i].unwrap_or(0),
            n_cases: n_cases[i],
            n_controls: n_controls[i],
            beta: f[0][i],
            se: f[1][i],
            ci_low: f[2][i],
            ci_high: f[3][i],
            stat: f[4][i],
            p: f[5][i],
            neg_log10_p: f[6][i],
            q_bh: f[7][i],
            bonferroni: f[8][i],
            status: status[i].clone(),
            note: note[i].clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_matches_hand_computation() {
        // p sorted: 0.01, 0.02, 0.03, 0.5 with m = 4 -> 0.04, 0.04, 0.04, 0.5
        let q = benjamini_hochberg(&[0.03, 0.5, 0.01, 0.02]);
        let expected = [0.04, 0.5, 0.04, 0.04];
        for (a, b) in q.iter().zip(expected) {
            assert!((a - b).abs() < 1e-15, "{q:?}");
        }
    }
}
