//! The first screen the panel reads: for each candidate adjustment variable, its correlation
//! with the phenotypes and the factors, and how much adding it moves the slopes of the
//! strongest unadjusted pairs.

use serde::{Deserialize, Serialize};

use crate::cohort::{pairwise_r, AnalysisTable};
use crate::data::describe::median;
use crate::data::dictionary::ValueType;
use crate::error::StatsError;
use crate::models::ols::first_coefficient;

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
        Ok((share, median(&mut rs).unwrap_or(f64::NAN)))
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
                median(&mut changes).unwrap_or(f64::NAN)
            },
            most_correlated_with: best.0,
            max_abs_r_with_candidate: best.1,
            missing_share: missing,
        });
    }
    Ok(out)
}
