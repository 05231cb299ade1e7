//! The run's columns, transformed once before any pair is fitted, and the designs built from
//! them (covariates dummy-coded, levels by frequency, row-major designs for the general
//! fitters).

use super::list::dropped_reason;
use super::request::PhewasRequest;
use crate::cohort::AnalysisTable;
use crate::data::dictionary::ValueType;
use crate::error::StatsError;
use std::sync::Arc;

/// The covariates expanded into model columns (categorical covariates become dummies), each
/// with its name for notes: the covariate's, or `name=level` for a level's dummy.
pub(super) fn named_covariate_columns(
    table: &AnalysisTable,
    covariates: &[String],
) -> Result<Vec<(String, Vec<f64>)>, StatsError> {
    let mut out = Vec::new();
    for name in covariates {
        let column = table.numeric_column(name).ok_or_else(|| unknown(name))?;
        if column.value_type == ValueType::Categorical {
            let levels = levels_by_frequency(&column.values);
            // The most common level is the reference; no levels at all gives no columns.
            let levels = levels.get(1..).unwrap_or(&[]);
            out.extend(
                levels
                    .iter()
                    .map(|level| format!("{name}={level}"))
                    .zip(level_dummies(&column.values, levels)),
            );
        } else {
            out.push((name.clone(), column.values.clone()));
        }
    }
    Ok(out)
}

pub(super) fn unknown(name: &str) -> StatsError {
    StatsError::Invalid(format!("column '{name}' is not in the analysis table (unknown, or dropped by cleaning: see the flow log)"))
}

/// Distinct present values, most common first (ties: smaller value first).
pub(super) fn levels_by_frequency(values: &[f64]) -> Vec<f64> {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    for v in sorted {
        match counts.last_mut() {
            Some((last, c)) if *last == v => *c += 1,
            _ => counts.push((v, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.total_cmp(&b.0)));
    counts.into_iter().map(|(v, _)| v).collect()
}

pub(super) struct Context<'a> {
    pub(super) table: &'a AnalysisTable,
    pub(super) request: &'a PhewasRequest,
    pub(super) covariates: Vec<Vec<f64>>,
    /// The name of each covariate column, for notes.
    pub(super) covariate_names: Vec<String>,
    /// Shared by the contexts of one run (see [`with_phenotypes`]).
    pub(super) phenotypes: Arc<[Vec<f64>]>,
    /// Phenotypes grouped by missingness, for the linear kernel.
    pub(super) groups: Vec<crate::models::fastlinear::PhenotypeGroup>,
    /// The group of each phenotype: phenotypes of a group share the null logistic model.
    pub(super) group_of: Vec<usize>,
}

/// Checks the request against the table and computes what every work item shares: the
/// transformed phenotypes, the covariate columns, the phenotypes' missingness groups.
pub(super) fn prepare<'a>(
    table: &'a AnalysisTable,
    request: &'a PhewasRequest,
) -> Result<Context<'a>, StatsError> {
    for name in &request.phenotypes {
        table.numeric_column(name).ok_or_else(|| unknown(name))?;
    }
    for name in &request.factors {
        if table.numeric_column(name).is_none() && dropped_reason(table, name).is_none() {
            return Err(unknown(name));
        }
    }
    let phenotype_transform = request.transform.resolve(ValueType::Continuous);
    let phenotypes: Vec<Vec<f64>> = request
        .phenotypes
        .iter()
        .map(|p| phenotype_transform.apply(table.column(p).unwrap_or(&[])))
        .collect();
    with_phenotypes(table, request, phenotypes.into())
}

/// The context of `request` on phenotypes already transformed. A run whose factors leave
/// covariates out has one context per covariate list (`drops`); they share the phenotypes
/// rather than each holding a copy of the largest matrix of the run.
pub(super) fn with_phenotypes<'a>(
    table: &'a AnalysisTable,
    request: &'a PhewasRequest,
    phenotypes: Arc<[Vec<f64>]>,
) -> Result<Context<'a>, StatsError> {
    let (covariate_names, covariates): (Vec<String>, Vec<Vec<f64>>) =
        named_covariate_columns(table, &request.covariates)?
            .into_iter()
            .unzip();
    let groups = {
        let p_refs: Vec<&[f64]> = phenotypes.iter().map(Vec::as_slice).collect();
        let c_refs: Vec<&[f64]> = covariates.iter().map(Vec::as_slice).collect();
        crate::models::fastlinear::prepare(&p_refs, &c_refs)
    };
    let mut group_of = vec![0; phenotypes.len()];
    for (g, group) in groups.iter().enumerate() {
        group.members.iter().for_each(|&m| group_of[m] = g);
    }
    Ok(Context {
        table,
        request,
        covariates,
        covariate_names,
        phenotypes,
        groups,
        group_of,
    })
}

/// The covariates (indices into `covariates`) that hold one value in every one of `rows`: a
/// factor recorded in one sex, adjusted for sex, has sex constant in its pairs' rows. Such a
/// column adds nothing the intercept does not hold, so R and statsmodels estimate the factor
/// without it, and the linear and logistic pairs leave it out the same way. Empty when `rows`
/// is.
pub(super) fn constant_covariates(covariates: &[Vec<f64>], rows: &[usize]) -> Vec<usize> {
    let Some(&first) = rows.first() else {
        return Vec::new();
    };
    covariates
        .iter()
        .enumerate()
        .filter(|(_, c)| rows.iter().all(|&i| c[i] == c[first]))
        .map(|(j, _)| j)
        .collect()
}

/// The note of a pair fitted without the covariates constant in its rows.
pub(super) fn dropped_note(names: &[String], dropped: &[usize]) -> String {
    let dropped: Vec<&str> = dropped.iter().map(|&j| names[j].as_str()).collect();
    format!(
        "adjusted without {}: constant in this pair's complete rows",
        dropped.join(", ")
    )
}

/// (low, high) values of a two-valued column, or None.
pub(super) fn binary_coding(values: &[f64]) -> Option<(f64, f64)> {
    let mut distinct: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    (distinct.len() == 2).then(|| (distinct[0], distinct[1]))
}

pub(super) fn predictors<'a>(first: &'a [f64], covariates: &'a [Vec<f64>]) -> Vec<&'a [f64]> {
    let mut out: Vec<&[f64]> = Vec::with_capacity(covariates.len() + 1);
    out.push(first);
    out.extend(covariates.iter().map(Vec::as_slice));
    out
}

/// The label of a code in an inline data-coding (`1=Yes;0=No`).
pub(super) fn coding_label(coding: &str, code: f64) -> Option<String> {
    coding.split(';').find_map(|pair| {
        let (c, label) = pair.split_once('=')?;
        (c.trim().parse::<f64>().ok()? == code).then(|| label.trim().to_string())
    })
}

/// Row-major `[1, first, covariates...]` rows for the guarded logistic fitter.
pub(super) fn row_major_design(first: &[f64], covariates: &[Vec<f64>]) -> Vec<f64> {
    let mut design = Vec::with_capacity(first.len() * (covariates.len() + 2));
    for (r, &value) in first.iter().enumerate() {
        design.push(1.0);
        design.push(value);
        design.extend(covariates.iter().map(|c| c[r]));
    }
    design
}

/// 0/1 indicator columns, one per level (missing stays missing).
pub(super) fn level_dummies(values: &[f64], levels: &[f64]) -> Vec<Vec<f64>> {
    levels
        .iter()
        .map(|level| {
            values
                .iter()
                .map(|v| {
                    if v.is_nan() {
                        f64::NAN
                    } else if v == level {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}
