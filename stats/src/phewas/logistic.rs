//! Logistic pairs (`factor ~ phenotype + covariates`): the fast kernel from the null model's
//! estimates, and the guarded fitter (with Firth) when it does not settle.

use super::context::{constant_covariates, dropped_note, predictors, row_major_design, Context};
use super::fitted::{not_fitted, unfitted};
use super::request::FIRTH_MIN_EVENTS;
use super::rows::{neg_log10, AssociationRow};
use crate::models::logistic::{self, lr_p, wald_p, z975};
use crate::models::ols::{complete_rows, FitError};

/// What every phenotype of a missingness group shares when a binary factor is the outcome:
/// the complete rows (the group's rows where the factor is present), the covariates gathered
/// on them, the 0/1 outcome, and the null model `factor ~ covariates`, fitted once.
pub(super) struct LogisticGroup {
    pub(super) rows: Vec<usize>,
    pub(super) covariates: Vec<Vec<f64>>,
    pub(super) outcome: Vec<f64>,
    pub(super) cases: usize,
    /// The covariates left out (indices into the run's), constant in these rows: see
    /// [`constant_covariates`].
    pub(super) constant: Vec<usize>,
    pub(super) null: Option<NullFit>,
    /// The null model as the fast kernel left it, when that kernel could fit it.
    pub(super) fast_null: Option<crate::models::fastlogistic::NullModel>,
}

impl LogisticGroup {
    pub(super) fn new(ctx: &Context, y: &[f64], factor_values: &[f64], high: f64) -> LogisticGroup {
        let preds = predictors(y, &ctx.covariates);
        let rows = complete_rows(factor_values, &preds);
        let outcome: Vec<f64> = rows
            .iter()
            .map(|&i| if factor_values[i] == high { 1.0 } else { 0.0 })
            .collect();
        // A covariate constant in these rows always makes the design collinear with the
        // intercept (the fitters' Cholesky refuses it), so it is left out here, before any
        // fit, rather than after a failed one as in the linear kernel: the group's phenotypes
        // share the null model fitted without it.
        let constant = constant_covariates(&ctx.covariates, &rows);
        let covariates = ctx
            .covariates
            .iter()
            .enumerate()
            .filter(|(j, _)| !constant.contains(j))
            .map(|(_, c)| rows.iter().map(|&i| c[i]).collect())
            .collect();
        let cases = outcome.iter().filter(|v| **v == 1.0).count();
        LogisticGroup {
            rows,
            covariates,
            outcome,
            cases,
            constant,
            null: None,
            fast_null: None,
        }
    }

    /// Fits the null model once: through the fast kernel, or the guarded fitter when that
    /// kernel cannot (`design` builds the guarded fitter's rows).
    pub(super) fn ensure_null(&mut self, design: impl FnOnce(&LogisticGroup) -> Vec<f64>) {
        if self.null.is_some() {
            return;
        }
        let columns: Vec<&[f64]> = self.covariates.iter().map(Vec::as_slice).collect();
        self.fast_null = crate::models::fastlogistic::fit_null(&columns, &self.outcome);
        self.null = Some(match &self.fast_null {
            Some(null) => {
                let mut beta = null.beta.clone();
                beta.insert(1, 0.0);
                Ok((beta, null.log_likelihood))
            }
            None => {
                let k = self.covariates.len() + 2;
                logistic::fit_constrained(&design(self), k, &self.outcome, false, Some(1))
                    .map(|f| (f.beta, f.objective))
            }
        });
    }
}

pub(super) type LogisticGroups =
    std::cell::RefCell<std::collections::HashMap<usize, LogisticGroup>>;

#[allow(clippy::too_many_arguments)]
pub(super) fn logistic_row(
    ctx: &Context,
    (groups, group): (&LogisticGroups, usize),
    phenotype: &str,
    factor: &str,
    category: &str,
    y: &[f64],
    factor_values: &[f64],
    (low, high): (f64, f64),
) -> AssociationRow {
    // factor ~ phenotype + covariates, on the rows the group shares.
    let mut groups = groups.borrow_mut();
    let shared = groups
        .entry(group)
        .or_insert_with(|| LogisticGroup::new(ctx, y, factor_values, high));
    let k = shared.covariates.len() + 2;
    let n = shared.rows.len();
    let cases = shared.cases;
    let controls = n - cases;
    let phenotype_values: Vec<f64> = shared.rows.iter().map(|&i| y[i]).collect();
    let mut note = Vec::new();
    if low != 0.0 || high != 1.0 {
        note.push(format!("coded {high} as case, {low} as control"));
    }
    if !shared.constant.is_empty() {
        note.push(dropped_note(&ctx.covariate_names, &shared.constant));
    }
    if cases == 0 || controls == 0 {
        return AssociationRow {
            n,
            n_cases: Some(cases),
            n_controls: Some(controls),
            ..unfitted(
                phenotype,
                factor,
                category,
                "logistic",
                "skipped",
                "no cases or no controls among the complete rows".into(),
            )
        };
    }
    let few = cases.min(controls) < FIRTH_MIN_EVENTS;
    if !few {
        shared.ensure_null(|g| row_major_design(&phenotype_values, &g.covariates));
    }
    let shared = &*shared;
    let outcome = &shared.outcome;
    // The row-major design of the guarded fitter, built only if a fit needs it.
    let design_cell = std::cell::OnceCell::new();
    let design =
        || design_cell.get_or_init(|| row_major_design(&phenotype_values, &shared.covariates));
    // (coefficient of the phenotype, its standard error, objective)
    type Full = (f64, f64, f64);
    let of = |fit: logistic::LogisticFit| (fit.beta[1], fit.se[1], fit.objective);
    let mut known_null: Option<NullFit> = None;
    let ordinary: Option<Result<(Full, NullFit), FitError>> = match &shared.null {
        Some(null) if !few => {
            let fast = shared.fast_null.as_ref().and_then(|fast_null| {
                let covariates: Vec<&[f64]> = shared.covariates.iter().map(Vec::as_slice).collect();
                crate::models::fastlogistic::fit_added(
                    fast_null,
                    &phenotype_values,
                    &covariates,
                    outcome,
                )
            });
            Some(match fast {
                Some(fit) => Ok(((fit.beta[1], fit.se[1], fit.log_likelihood), null.clone())),
                None => match null {
                    Ok((start, _)) => {
                        logistic::fit_from(design(), k, outcome, false, None, Some(start))
                    }
                    Err(_) => logistic::fit(design(), k, outcome, false),
                }
                .map(|fit| (of(fit), null.clone())),
            })
        }
        _ => None,
    };
    let (fit, firth) = match ordinary {
        Some(Ok((fit, null))) => {
            known_null = Some(null);
            (Ok(fit), false)
        }
        Some(Err(e @ FitError::Collinear(_))) | Some(Err(e @ FitError::TooFewRows { .. })) => {
            (Err(e), false)
        }
        Some(Err(e)) => {
            note.push(format!("Firth penalised likelihood ({e})"));
            (logistic::fit(design(), k, outcome, true).map(of), true)
        }
        None => {
            note.push(format!(
                "Firth penalised likelihood ({} events, fewer than {FIRTH_MIN_EVENTS})",
                cases.min(controls)
            ));
            (logistic::fit(design(), k, outcome, true).map(of), true)
        }
    };
    let model = if firth { "firth" } else { "logistic" };
    match fit {
        Ok((beta, se, objective)) => {
            let null = match known_null {
                Some(Ok((_, objective))) => Ok(objective),
                _ => logistic::fit_constrained(design(), k, outcome, firth, Some(1))
                    .map(|f| f.objective),
            };
            let p = wald_p(beta, se);
            match null {
                Ok(null) => {
                    let (lr, lrp) = lr_p(objective, null, 1);
                    note.push(format!("LR chi2 = {lr}, LR p = {lrp:e}"));
                }
                Err(e) => note.push(format!("no likelihood-ratio test: null model {e}")),
            }
            let z = z975();
            AssociationRow {
                n,
                n_cases: Some(cases),
                n_controls: Some(controls),
                beta,
                se,
                ci_low: beta - z * se,
                ci_high: beta + z * se,
                stat: beta / se,
                p,
                neg_log10_p: neg_log10(p),
                ..unfitted(phenotype, factor, category, model, "ok", note.join("; "))
            }
        }
        Err(e) => AssociationRow {
            n,
            n_cases: Some(cases),
            n_controls: Some(controls),
            ..not_fitted(phenotype, factor, category, model, &e)
        },
    }
}

/// A cached null logistic model: its estimates (with the phenotype's coefficient at zero) and
/// log-likelihood, or why it could not be fitted.
pub(super) type NullFit = Result<(Vec<f64>, f64), FitError>;
