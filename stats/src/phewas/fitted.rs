//! Association rows built from fits: a coefficient's row, and the row of a pair that could not
//! be fitted (with its status and reason).

use super::rows::{neg_log10, AssociationRow};
use crate::models::ols::FitError;

pub(super) fn unfitted(
    phenotype: &str,
    factor: &str,
    category: &str,
    model: &str,
    status: &str,
    note: String,
) -> AssociationRow {
    AssociationRow {
        phenotype: phenotype.into(),
        factor: factor.into(),
        category: category.into(),
        model: model.into(),
        n: 0,
        n_cases: None,
        n_controls: None,
        beta: f64::NAN,
        se: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        stat: f64::NAN,
        p: f64::NAN,
        neg_log10_p: f64::NAN,
        q_bh: f64::NAN,
        bonferroni: f64::NAN,
        status: status.into(),
        note,
    }
}

pub(super) fn status_of(error: &FitError) -> &'static str {
    match error {
        FitError::TooFewRows { .. } | FitError::ConstantFactor => "skipped",
        _ => "failed",
    }
}

/// The row of a pair whose model could not be fitted: skipped or failed as `error` says, and
/// why.
pub(super) fn not_fitted(
    phenotype: &str,
    factor: &str,
    category: &str,
    model: &str,
    error: &FitError,
) -> AssociationRow {
    unfitted(
        phenotype,
        factor,
        category,
        model,
        status_of(error),
        error.to_string(),
    )
}

/// A fitted row from an OLS coefficient.
pub(super) fn coefficient_row(
    c: &crate::models::ols::Coefficient,
    counts: (Option<usize>, Option<usize>),
    phenotype: &str,
    factor: &str,
    category: &str,
    model: &str,
    note: String,
) -> AssociationRow {
    AssociationRow {
        n: c.n,
        n_cases: counts.0,
        n_controls: counts.1,
        beta: c.beta,
        se: c.se,
        ci_low: c.ci_low,
        ci_high: c.ci_high,
        stat: c.t,
        p: c.p,
        neg_log10_p: neg_log10(c.p),
        ..unfitted(phenotype, factor, category, model, "ok", note)
    }
}
