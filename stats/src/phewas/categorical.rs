//! Unordered categorical factors: one row per level against the most common one, and an
//! overall likelihood-ratio row.

use super::context::{coding_label, level_dummies, levels_by_frequency, Context};
use super::fitted::{coefficient_row, not_fitted, unfitted};
use super::rows::{neg_log10, AssociationRow};
use crate::models::logistic::lr_p;
use crate::models::ols::{complete_rows, fit_rows_many, FitError};

/// What every phenotype shares when an unordered categorical factor is fitted: its levels
/// (the most common first: the reference), their labels, their 0/1 indicator columns, and per
/// phenotype missingness group the fits of all the group's phenotypes, computed together
/// ([`fit_rows_many`]: one design, one factorisation).
pub(super) struct CategoricalFactor {
    pub(super) levels: Vec<f64>,
    pub(super) labels: Vec<String>,
    pub(super) dummies: Vec<Vec<f64>>,
    pub(super) groups:
        std::cell::RefCell<std::collections::HashMap<usize, std::rc::Rc<CategoricalGroup>>>,
}

impl CategoricalFactor {
    pub(super) fn new(
        ctx: &Context,
        factor: &str,
        column: &crate::cohort::NumericColumn,
    ) -> CategoricalFactor {
        let levels = levels_by_frequency(&column.values);
        let coding = ctx
            .table
            .dictionary
            .get(factor)
            .map(|e| e.coding.clone())
            .unwrap_or_default();
        let labels = levels
            .iter()
            .map(|&v| match &column.levels {
                Some(labels) => labels
                    .get(v as usize - 1)
                    .cloned()
                    .unwrap_or_else(|| v.to_string()),
                None => coding_label(&coding, v).unwrap_or_else(|| format!("{v}")),
            })
            .collect();
        let dummies = if levels.len() < 2 {
            Vec::new()
        } else {
            level_dummies(&column.values, &levels[1..])
        };
        CategoricalFactor {
            levels,
            labels,
            dummies,
            groups: Default::default(),
        }
    }

    /// The fits of phenotype `p`'s group, computed on first use.
    pub(super) fn group(
        &self,
        ctx: &Context,
        p: usize,
        column: &crate::cohort::NumericColumn,
    ) -> std::rc::Rc<CategoricalGroup> {
        let g = ctx.group_of[p];
        if let Some(done) = self.groups.borrow().get(&g) {
            return done.clone();
        }
        let members = &ctx.groups[g].members;
        let mut preds: Vec<&[f64]> = self.dummies.iter().map(Vec::as_slice).collect();
        preds.extend(ctx.covariates.iter().map(Vec::as_slice));
        // The phenotypes of a group are missing together, so they share their complete rows.
        let rows = complete_rows(&ctx.phenotypes[p], &preds);
        let ys: Vec<&[f64]> = members
            .iter()
            .map(|&m| ctx.phenotypes[m].as_slice())
            .collect();
        let counts = self
            .levels
            .iter()
            .map(|level| rows.iter().filter(|&&i| column.values[i] == *level).count())
            .collect();
        let full = fit_rows_many(&ys, &preds, &rows);
        let covs: Vec<&[f64]> = ctx.covariates.iter().map(Vec::as_slice).collect();
        let restricted = if covs.is_empty() {
            ys.iter()
                .map(|y| {
                    let n = rows.len() as f64;
                    let mean = rows.iter().map(|&i| y[i]).sum::<f64>() / n;
                    let rss = rows.iter().map(|&i| (y[i] - mean).powi(2)).sum::<f64>();
                    Ok(-0.5 * n * ((2.0 * std::f64::consts::PI).ln() + (rss / n).ln() + 1.0))
                })
                .collect()
        } else {
            fit_rows_many(&ys, &covs, &rows)
                .into_iter()
                .map(|f| f.map(|f| f.log_likelihood()))
                .collect()
        };
        let done = std::rc::Rc::new(CategoricalGroup {
            counts,
            full,
            restricted,
        });
        self.groups.borrow_mut().insert(g, done.clone());
        done
    }
}

/// The fits of one missingness group, in the order of the group's members.
pub(super) struct CategoricalGroup {
    /// Complete rows at each level, in the order of `levels`.
    pub(super) counts: Vec<usize>,
    pub(super) full: Vec<Result<crate::models::ols::OlsFit, FitError>>,
    /// Log-likelihood of the same rows without the level indicators.
    pub(super) restricted: Vec<Result<f64, FitError>>,
}

pub(super) fn categorical_rows(
    ctx: &Context,
    shared: &CategoricalFactor,
    p: usize,
    (factor, category): (&str, &str),
) -> Vec<AssociationRow> {
    let phenotype = &ctx.request.phenotypes[p];
    let levels = &shared.levels;
    if levels.len() < 2 {
        return vec![unfitted(
            phenotype,
            factor,
            category,
            "categorical",
            "skipped",
            "fewer than two levels".into(),
        )];
    }
    let column = ctx
        .table
        .numeric_column(factor)
        .expect("categorical factors are present columns");
    let group = shared.group(ctx, p, column);
    let member = ctx.groups[ctx.group_of[p]]
        .members
        .iter()
        .position(|&m| m == p)
        .expect("every phenotype is a member of its group");
    let reference = &shared.labels[0];
    let reference_count = group.counts[0];
    let full = match &group.full[member] {
        Ok(f) => f,
        Err(e) => return vec![not_fitted(phenotype, factor, category, "categorical", e)],
    };
    let mut out = Vec::new();
    for (j, label) in shared.labels[1..].iter().enumerate() {
        let name = format!("{factor}={label}");
        let present = group.counts[j + 1];
        match full.coefficient(j) {
            Ok(c) => out.push(coefficient_row(
                &c,
                (Some(present), Some(reference_count)),
                phenotype,
                &name,
                category,
                "categorical",
                format!("level vs reference '{reference}'"),
            )),
            Err(e) => out.push(not_fitted(phenotype, &name, category, "categorical", &e)),
        }
    }
    // Overall likelihood-ratio test: the same rows without the level dummies.
    match &group.restricted[member] {
        Ok(restricted) => {
            let (lr, p) = lr_p(full.log_likelihood(), *restricted, levels.len() - 1);
            out.push(AssociationRow { n: full.n, stat: lr, p, neg_log10_p: neg_log10(p), ..unfitted(phenotype, &format!("{factor}=overall"), category, "categorical", "ok", format!("likelihood-ratio test of {} levels vs reference '{reference}' (chi2, {} df)", levels.len(), levels.len() - 1)) });
        }
        Err(e) => out.push(not_fitted(
            phenotype,
            &format!("{factor}=overall"),
            category,
            "categorical",
            e,
        )),
    }
    out
}
