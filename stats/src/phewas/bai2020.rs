//! Bai et al. 2020's method: the phenotype residualised on the covariates, then Pearson r
//! with the transformed factor.

use super::context::Context;
use super::fitted::{not_fitted, unfitted};
use super::rows::{neg_log10, AssociationRow};
use crate::models::ols::complete_rows;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

pub(super) fn bai2020(
    ctx: &Context,
    phenotype: &str,
    factor: &str,
    category: &str,
    y: &[f64],
    x: &[f64],
) -> AssociationRow {
    let model = "bai2020";
    let covs: Vec<&[f64]> = ctx.covariates.iter().map(Vec::as_slice).collect();
    // Residualise on the covariates over the rows where phenotype and covariates are present.
    let residual: Vec<f64> = if covs.is_empty() {
        y.to_vec()
    } else {
        let rows = complete_rows(y, &covs);
        match crate::models::ols::residuals(y, &covs, &rows) {
            Ok(r) => r,
            Err(e) => return not_fitted(phenotype, factor, category, model, &e),
        }
    };
    match crate::cohort::pairwise_r(&residual, x) {
        Some((r, n)) if n > 3 => {
            let df = (n - 2) as f64;
            let t = r * (df / (1.0 - r * r)).sqrt();
            let p = match StudentsT::new(0.0, 1.0, df) {
                Ok(d) => 2.0 * d.sf(t.abs()),
                Err(_) => f64::NAN,
            };
            let z = r.atanh();
            let half = Normal::new(0.0, 1.0)
                .expect("standard normal")
                .inverse_cdf(0.975)
                / ((n - 3) as f64).sqrt();
            AssociationRow {
                n,
                beta: r,
                se: ((1.0 - r * r) / df).sqrt(),
                ci_low: (z - half).tanh(),
                ci_high: (z + half).tanh(),
                stat: t,
                p,
                neg_log10_p: neg_log10(p),
                ..unfitted(
                    phenotype,
                    factor,
                    category,
                    model,
                    "ok",
                    "beta is Pearson r of the covariate-residualised phenotype with the factor"
                        .into(),
                )
            }
        }
        _ => unfitted(
            phenotype,
            factor,
            category,
            model,
            "skipped",
            "too few rows with both the residual and the factor, or no variation".into(),
        ),
    }
}
