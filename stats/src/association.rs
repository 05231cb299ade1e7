//! Covariate-adjusted association of imaging phenotypes with non-imaging factors, the
//! confounder screen the panel reads, and multiple-testing correction.

use serde::{Deserialize, Serialize};

use crate::cohort::{pairwise_r, AnalysisTable};
use crate::dictionary::ValueType;
use crate::error::StatsError;
use crate::ols::first_coefficient;
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

/// The association table as a data frame with exactly [`ASSOCIATION_COLUMNS`].
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
pub fn read_associations(path: &std::path::Path) -> Result<Vec<AssociationRow>, StatsError> {
    let df = crate::io::read_table_with_columns(path, &ASSOCIATION_COLUMNS)?;
    rows_from_frame(&df)
}

/// The rows of a frame holding (at least) [`ASSOCIATION_COLUMNS`]; empty cells become NaN or
/// `None`.
pub(crate) fn rows_from_frame(df: &DataFrame) -> Result<Vec<AssociationRow>, StatsError> {
    let text = |name: &str| crate::io::text_column(df, name);
    let num = |name: &str| crate::io::number_column(df, name);
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

/// What the data say about one candidate adjustment variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateEvidence {
    pub column: String,
    pub description: String,
    /// Share of phenotypes with |r| >= 0.1 with the candidate.
    pub phenotype_share: f64,
    pub phenotype_median_abs_r: f64,
    /// Share of factors with |r| >= 0.1 with the candidate.
    pub factor_share: f64,
    pub factor_median_abs_r: f64,
    /// Median relative change of the factor's slope, over the strongest unadjusted pairs,
    /// when this candidate is added to the model.
    pub change_in_estimate: f64,
    /// The other candidate it correlates with most, and that |r|.
    pub most_correlated_with: String,
    pub max_abs_r_with_candidate: f64,
    pub missing_share: f64,
}

/// Evidence for each candidate covariate from the data alone.
pub fn screen_candidates(
    table: &AnalysisTable,
    candidates: &[String],
    phenotypes: &[String],
    factors: &[String],
    strongest_pairs: usize,
) -> Result<Vec<CovariateEvidence>, StatsError> {
    let get = |name: &str| {
        table.column(name).ok_or_else(|| {
            StatsError::Invalid(format!("column '{name}' is not in the analysis table"))
        })
    };
    let share_and_median = |c: &[f64], others: &[String]| -> Result<(f64, f64), StatsError> {
        let mut rs: Vec<f64> = Vec::with_capacity(others.len());
        for o in others {
            if let Some((r, _)) = pairwise_r(c, get(o)?) {
                rs.push(r.abs());
            }
        }
        if rs.is_empty() {
            return Ok((0.0, 0.0));
        }
        let share = rs.iter().filter(|r| **r >= 0.1).count() as f64 / rs.len() as f64;
        Ok((share, median(&mut rs)))
    };
    // The strongest unadjusted phenotype-factor pairs: where confounding would matter most.
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (pi, p) in phenotypes.iter().enumerate() {
        let y = get(p)?;
        for (fi, f) in factors.iter().enumerate() {
            if table.dictionary.get(f).map(|e| e.value_type) == Some(ValueType::Categorical) {
                continue;
            }
            if let Some((r, _)) = pairwise_r(y, get(f)?) {
                pairs.push((r.abs(), pi, fi));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    pairs.truncate(strongest_pairs);

    let mut out = Vec::with_capacity(candidates.len());
    for c in candidates {
        let values = get(c)?;
        let (phenotype_share, phenotype_median_abs_r) = share_and_median(values, phenotypes)?;
        let (factor_share, factor_median_abs_r) = share_and_median(values, factors)?;
        let mut changes = Vec::new();
        for &(_, pi, fi) in &pairs {
            let y = get(&phenotypes[pi])?;
            let x = get(&factors[fi])?;
            // Same rows for both fits: those where the candidate is present too.
            let x_masked: Vec<f64> = x
                .iter()
                .zip(values)
                .map(|(a, b)| if b.is_nan() { f64::NAN } else { *a })
                .collect();
            let (Ok(crude), Ok(adjusted)) = (
                first_coefficient(y, &[&x_masked]),
                first_coefficient(y, &[&x_masked, values]),
            ) else {
                continue;
            };
            if crude.beta != 0.0 {
                changes.push(((adjusted.beta - crude.beta) / crude.beta).abs());
            }
        }
        let mut best = (String::new(), 0.0f64);
        for other in candidates.iter().filter(|o| *o != c) {
            if let Some((r, _)) = pairwise_r(values, get(other)?) {
                if r.abs() > best.1 {
                    best = (other.clone(), r.abs());
                }
            }
        }
        let missing =
            values.iter().filter(|v| v.is_nan()).count() as f64 / values.len().max(1) as f64;
        out.push(CovariateEvidence {
            column: c.clone(),
            description: table
                .dictionary
                .get(c)
                .map(|e| e.description.clone())
                .unwrap_or_default(),
            phenotype_share,
            phenotype_median_abs_r,
            factor_share,
            factor_median_abs_r,
            change_in_estimate: if changes.is_empty() {
                0.0
            } else {
                median(&mut changes)
            },
            most_correlated_with: best.0,
            max_abs_r_with_candidate: best.1,
            missing_share: missing,
        });
    }
    Ok(out)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
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
