//! Linear pairs, a block of factors at a time, through the shared-sums kernel
//! (`models::fastlinear`).

use super::context::{binary_coding, constant_covariates, dropped_note, predictors, Context};
use super::fitted::{coefficient_row, not_fitted};
use super::rows::AssociationRow;
use crate::data::dictionary::ValueType;
use crate::data::transform::Transform;
use crate::models::ols::{complete_rows, fit_rows, Coefficient, FitError};

/// A pair whose design is collinear because covariates do not vary in its complete rows (a
/// factor recorded for women only, adjusted for sex): fitted again on the same rows without
/// them, as R's `lm` and statsmodels estimate it (see [`constant_covariates`]). The fit and
/// its note; `None` when the error is another one, or every covariate varies (then the
/// collinearity is real).
fn without_constant_covariates(
    ctx: &Context,
    p: usize,
    x: &[f64],
    error: &FitError,
) -> Option<(Result<Coefficient, FitError>, String)> {
    if !matches!(error, FitError::Collinear(_)) {
        return None;
    }
    let y = &ctx.phenotypes[p];
    let rows = complete_rows(y, &predictors(x, &ctx.covariates));
    let constant = constant_covariates(&ctx.covariates, &rows);
    if constant.is_empty() {
        return None;
    }
    let kept: Vec<&[f64]> = std::iter::once(x)
        .chain(
            ctx.covariates
                .iter()
                .enumerate()
                .filter(|(j, _)| !constant.contains(j))
                .map(|(_, c)| c.as_slice()),
        )
        .collect();
    let fit = fit_rows(y, &kept, &rows).and_then(|f| f.coefficient(0));
    Some((fit, dropped_note(&ctx.covariate_names, &constant)))
}

/// Every phenotype against a block of linear factors, through the shared-sums kernel.
pub(super) fn linear_block(
    ctx: &Context,
    block: &[usize],
) -> Vec<(usize, Vec<Vec<AssociationRow>>)> {
    struct Prepared<'a> {
        name: String,
        category: String,
        /// The column itself when it is used untransformed (no copy).
        x: std::borrow::Cow<'a, [f64]>,
        binary_high: Option<f64>,
    }
    let prepared: Vec<Prepared> = block
        .iter()
        .map(|&f| {
            let name = ctx.request.factors[f].clone();
            let column = ctx
                .table
                .numeric_column(&name)
                .expect("linear blocks hold only present columns");
            let binary = column.value_type == ValueType::Binary;
            let x = match ctx.request.transform.resolve(column.value_type) {
                _ if binary => std::borrow::Cow::Borrowed(column.values.as_slice()),
                Transform::None | Transform::Auto => {
                    std::borrow::Cow::Borrowed(column.values.as_slice())
                }
                t => std::borrow::Cow::Owned(t.apply(&column.values)),
            };
            let category = ctx
                .table
                .dictionary
                .get(&name)
                .map(|e| e.category.clone())
                .unwrap_or_default();
            let binary_high = if binary {
                binary_coding(&column.values).map(|(_, h)| h)
            } else {
                None
            };
            Prepared {
                name,
                category,
                x,
                binary_high,
            }
        })
        .collect();
    let xs: Vec<&[f64]> = prepared.iter().map(|p| p.x.as_ref()).collect();
    let mut out: Vec<Vec<Vec<AssociationRow>>> =
        vec![vec![Vec::new(); ctx.request.phenotypes.len()]; block.len()];
    for group in &ctx.groups {
        let results = crate::models::fastlinear::fit_block(group, &xs);
        for (b, (factor_results, prep)) in results.into_iter().zip(&prepared).enumerate() {
            let cases = prep
                .binary_high
                .map(|high| group.count_in_base(&prep.x, high));
            for (result, &p) in factor_results.into_iter().zip(&group.members) {
                let phenotype = &ctx.request.phenotypes[p];
                // A collinear design may be a covariate constant in the pair's rows: then
                // the pair is fitted again without it, and the note says so.
                let (result, note) = match result {
                    Err(e) => match without_constant_covariates(ctx, p, &prep.x, &e) {
                        Some(again) => again,
                        None => (Err(e), String::new()),
                    },
                    fitted => (fitted, String::new()),
                };
                out[b][p] = vec![match result {
                    Ok(c) => coefficient_row(
                        &c,
                        (cases, cases.map(|k| c.n - k)),
                        phenotype,
                        &prep.name,
                        &prep.category,
                        "linear",
                        note,
                    ),
                    Err(e) => not_fitted(phenotype, &prep.name, &prep.category, "linear", &e),
                }];
            }
        }
    }
    block.iter().copied().zip(out).collect()
}
