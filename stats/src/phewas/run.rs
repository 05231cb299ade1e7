//! Running a PheWAS: the items on worker threads, the rows put back in phenotype-major order,
//! then corrected; or one shard's items, and the merge of every shard's rows.

use super::bai2020::bai2020;
use super::categorical::{categorical_rows, CategoricalFactor};
use super::context::{binary_coding, Context};
use super::drops::Covariates;
use super::fitted::unfitted;
use super::linear::linear_block;
use super::list::dropped_reason;
use super::logistic::{logistic_row, LogisticGroups};
use super::plan::{assign_shards, work_items, Shard, WorkItem};
use super::request::{model_of, PhewasRequest, PhewasResult};
use super::rows::{apply_multiple_testing, AssociationRow};
use crate::cohort::AnalysisTable;
use crate::data::dictionary::ValueType;
use crate::error::StatsError;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs every pair. `progress` is called with the number of factors finished so far.
pub fn run(
    table: &AnalysisTable,
    request: &PhewasRequest,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<PhewasResult, StatsError> {
    let started = std::time::Instant::now();
    let covariates = Covariates::of(request)?;
    let contexts = covariates.contexts(table, request)?;
    let prepared = started.elapsed().as_secs_f64();
    let items = work_items(&contexts, &covariates.context_of);
    let per_factor = run_items(&contexts, &items, &|_| true, progress);
    let fitted = started.elapsed().as_secs_f64();
    let mut rows = phenotype_major(&contexts[0], per_factor, &covariates)
        .into_iter()
        .map(|(_, _, row)| row)
        .collect::<Vec<_>>();
    let ordered = started.elapsed().as_secs_f64();
    let family_size = apply_multiple_testing(&mut rows);
    tracing::debug!(
        prepared,
        fitted,
        ordered,
        corrected = started.elapsed().as_secs_f64(),
        "phewas phases (seconds since the start)"
    );
    Ok(PhewasResult { rows, family_size })
}

/// The rows of one shard, before multiple-testing correction: `(phenotype index, factor
/// index, row)` in phenotype-major order, with raw p and no `q_bh` or `bonferroni`.
#[derive(Debug, Clone)]
pub struct ShardRows {
    pub shard: Shard,
    /// The factors (indices into the request's list) this shard fitted.
    pub factors: Vec<usize>,
    pub rows: Vec<(usize, usize, AssociationRow)>,
}

/// Runs only `shard`'s work items. Merge the shards' rows with [`merge_shards`], which
/// applies the multiple-testing correction over the whole family.
pub fn run_shard(
    table: &AnalysisTable,
    request: &PhewasRequest,
    shard: Shard,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ShardRows, StatsError> {
    let covariates = Covariates::of(request)?;
    let contexts = covariates.contexts(table, request)?;
    let items = work_items(&contexts, &covariates.context_of);
    let owner = assign_shards(&contexts[0], &items, shard.count);
    let per_factor = run_items(&contexts, &items, &|k| owner[k] == shard.index, progress);
    let factors = per_factor
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_some())
        .map(|(f, _)| f)
        .collect();
    let rows = phenotype_major(&contexts[0], per_factor, &covariates);
    Ok(ShardRows {
        shard,
        factors,
        rows,
    })
}

/// Merges the rows of every shard of a run into the table a whole run gives: the same rows in
/// the same (phenotype-major) order, then Bonferroni and Benjamini-Hochberg over the whole
/// family. Every factor must come from exactly one shard, and every shard of the run must be
/// there.
pub fn merge_shards(
    request: &PhewasRequest,
    parts: Vec<ShardRows>,
) -> Result<PhewasResult, StatsError> {
    let count = parts.first().map(|p| p.shard.count).unwrap_or(0);
    let mut seen_shards = vec![false; count];
    let mut owner: Vec<Option<usize>> = vec![None; request.factors.len()];
    for part in &parts {
        if part.shard.count != count || part.shard.index >= count {
            return Err(StatsError::Invalid(format!(
                "shard {} does not belong to a run of {count} shards",
                part.shard
            )));
        }
        if std::mem::replace(&mut seen_shards[part.shard.index], true) {
            return Err(StatsError::Invalid(format!(
                "shard {} is there twice",
                part.shard
            )));
        }
        for &f in &part.factors {
            let slot = owner.get_mut(f).ok_or_else(|| {
                StatsError::Invalid(format!(
                    "shard {} has factor #{f}, but the run has {} factors",
                    part.shard,
                    request.factors.len()
                ))
            })?;
            if let Some(other) = slot.replace(part.shard.index) {
                return Err(StatsError::Invalid(format!(
                    "factor '{}' is in shards {other} and {} of {count}",
                    request.factors[f], part.shard.index
                )));
            }
        }
    }
    if let Some(missing) = seen_shards.iter().position(|s| !s) {
        return Err(StatsError::Invalid(format!(
            "shard {missing}/{count} is missing"
        )));
    }
    if let Some(f) = owner.iter().position(Option::is_none) {
        return Err(StatsError::Invalid(format!(
            "no shard has the rows of factor '{}'",
            request.factors[f]
        )));
    }
    let mut rows: Vec<(usize, usize, AssociationRow)> =
        parts.into_iter().flat_map(|p| p.rows).collect();
    for (p, f, row) in &rows {
        let (Some(phenotype), Some(factor)) = (request.phenotypes.get(*p), request.factors.get(*f))
        else {
            return Err(StatsError::Invalid(format!(
                "a shard row points at phenotype #{p} / factor #{f}, outside the run"
            )));
        };
        // A categorical factor's rows are named `factor=level`.
        if &row.phenotype != phenotype
            || !(row.factor == *factor || row.factor.starts_with(&format!("{factor}=")))
        {
            return Err(StatsError::Invalid(format!(
                "a shard row for '{}' x '{}' sits where '{phenotype}' x '{factor}' belongs: the shards come from another run",
                row.phenotype, row.factor
            )));
        }
    }
    // Stable: the rows of one pair (a categorical factor's levels) keep their order.
    rows.sort_by_key(|(p, f, _)| (*p, *f));
    let mut rows: Vec<AssociationRow> = rows.into_iter().map(|(_, _, row)| row).collect();
    let family_size = apply_multiple_testing(&mut rows);
    Ok(PhewasResult { rows, family_size })
}

/// Rows per factor (indexed by factor; `None` for factors of items not run), per phenotype.
pub(super) type PerFactor = Vec<Option<Vec<Vec<AssociationRow>>>>;

/// Runs the items `wanted` accepts (by position) on the request's worker threads, each in its
/// context (`contexts[0]` is the request's own).
pub(super) fn run_items(
    contexts: &[Context],
    items: &[(usize, WorkItem)],
    wanted: &(dyn Fn(usize) -> bool + Sync),
    progress: &(dyn Fn(usize) + Sync),
) -> PerFactor {
    let items: Vec<&(usize, WorkItem)> = items
        .iter()
        .enumerate()
        .filter(|(k, _)| wanted(*k))
        .map(|(_, item)| item)
        .collect();
    let request = contexts[0].request;
    let threads = request.threads.max(1).min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let mut per_factor: PerFactor = vec![None; request.factors.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let item = next.fetch_add(1, Ordering::Relaxed);
                        let Some((k, item)) = items.get(item) else {
                            break;
                        };
                        let context = &contexts[*k];
                        let finished = match item {
                            WorkItem::Single(f) => {
                                mine.push((*f, factor_rows(context, *f)));
                                1
                            }
                            WorkItem::LinearBlock(block) => {
                                mine.extend(linear_block(context, block));
                                block.len()
                            }
                        };
                        progress(done.fetch_add(finished, Ordering::Relaxed) + finished);
                    }
                    mine
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(part) => {
                    for (f, rows) in part {
                        per_factor[f] = Some(rows);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    per_factor
}

/// `(phenotype, factor, row)` in phenotype-major order, whatever the thread count, each row
/// [`checked`] and then noted with its factor's dropped covariates, if any (a skipped row
/// too: what the pair would have been adjusted for is part of its description).
pub(super) fn phenotype_major(
    context: &Context,
    per_factor: PerFactor,
    covariates: &Covariates,
) -> Vec<(usize, usize, AssociationRow)> {
    let constant: Vec<Option<f64>> = context
        .request
        .phenotypes
        .iter()
        .map(|name| {
            context
                .table
                .numeric_column(name)
                .and_then(|c| single_value(&c.values))
        })
        .collect();
    let mut per_factor: Vec<(usize, Vec<Vec<AssociationRow>>)> = per_factor
        .into_iter()
        .enumerate()
        .filter_map(|(f, r)| r.map(|r| (f, r)))
        .collect();
    let mut rows = Vec::new();
    for (p, constant) in constant.iter().enumerate() {
        for (f, factor_rows) in per_factor.iter_mut() {
            if let Some(r) = factor_rows.get_mut(p) {
                rows.extend(
                    r.drain(..)
                        .map(|row| (p, *f, covariates.noted(*f, checked(row, *constant)))),
                );
            }
        }
    }
    rows
}

/// The one value every present entry of `values` has, if they are all the same.
fn single_value(values: &[f64]) -> Option<f64> {
    let mut present = values.iter().filter(|v| !v.is_nan());
    let first = *present.next()?;
    present.all(|v| *v == first).then_some(first)
}

/// A row as the table may show it. A phenotype that does not vary (`constant` holds its one
/// value) has nothing to associate: its pairs are skipped and say so, whatever a fit made of
/// them. And an `ok` row always has its estimate: a fit that ended with no finite p, a beta
/// without a finite standard error, or a standard error of 0 (a perfect fit: the factor is an
/// exact function of the phenotype in these rows) is a failure that says why, and stays out
/// of the multiple-testing family.
fn checked(row: AssociationRow, constant: Option<f64>) -> AssociationRow {
    let unfitted_as = |status: &str, note: String| AssociationRow {
        n: row.n,
        n_cases: row.n_cases,
        n_controls: row.n_controls,
        ..unfitted(
            &row.phenotype,
            &row.factor,
            &row.category,
            &row.model,
            status,
            note,
        )
    };
    if let Some(value) = constant {
        if row.status != "skipped" {
            return unfitted_as(
                "skipped",
                format!("the phenotype does not vary (every present value is {value})"),
            );
        }
    }
    if row.status != "ok" {
        return row;
    }
    let estimated = row.beta.is_finite() || row.se.is_finite();
    let why = if !row.p.is_finite() {
        Some("the fit gave no finite p-value")
    } else if estimated && !(row.beta.is_finite() && row.se.is_finite()) {
        Some("the fit gave no finite estimate and standard error")
    } else if estimated && row.se <= 0.0 {
        Some("a perfect fit (standard error 0): the factor is an exact function of the phenotype in these rows")
    } else {
        None
    };
    match why {
        Some(why) => unfitted_as("failed", why.to_string()),
        None => row,
    }
}

/// Why the pairs of a factor that is also a covariate are not fitted.
fn adjusted_for_itself(factor: &str) -> String {
    format!("'{factor}' is also a covariate of this run: a factor is not adjusted for itself (a column plays one part)")
}

/// Rows for one factor, indexed by phenotype (a categorical factor gives several per
/// phenotype).
pub(super) fn factor_rows(ctx: &Context, f: usize) -> Vec<Vec<AssociationRow>> {
    let table = ctx.table;
    let name = &ctx.request.factors[f];
    let category = table
        .dictionary
        .get(name)
        .map(|e| e.category.clone())
        .unwrap_or_default();
    // One skipped row per phenotype, for a factor with nothing to fit.
    let skipped = |model: &str, note: String| -> Vec<Vec<AssociationRow>> {
        let row = |p: &String| vec![unfitted(p, name, &category, model, "skipped", note.clone())];
        ctx.request.phenotypes.iter().map(row).collect()
    };
    let Some(column) = table.numeric_column(name) else {
        let reason = dropped_reason(table, name).unwrap_or_default();
        return skipped("none", format!("dropped by cleaning: {reason}"));
    };
    let value_type = column.value_type;
    let model = model_of(ctx.request, value_type);
    // The lists a user names are refused when they share a column (`Columns::resolve` in
    // workflows), but a panel may adopt a factor as a confounder. Adjusted for itself a factor
    // has nothing left to estimate: a linear design is collinear, and a binary factor is
    // separated by its own column, which Firth's fit would "estimate" anyway.
    if ctx.request.covariates.contains(name) {
        return skipped(model, adjusted_for_itself(name));
    }
    let factor_values: Vec<f64> = match model {
        "linear" | "bai2020"
            if !matches!(value_type, ValueType::Binary | ValueType::Categorical) =>
        {
            ctx.request
                .transform
                .resolve(value_type)
                .apply(&column.values)
        }
        _ => column.values.clone(),
    };
    let binary_levels = if value_type == ValueType::Binary {
        binary_coding(&column.values)
    } else {
        None
    };
    // Null logistic models (factor ~ covariates) are the same for every phenotype of a
    // missingness group: fitted once per group.
    let logistic_groups: LogisticGroups = Default::default();
    let categorical = (model == "categorical").then(|| CategoricalFactor::new(ctx, name, column));
    (0..ctx.request.phenotypes.len())
        .map(|p| {
            let phenotype = &ctx.request.phenotypes[p];
            let y = &ctx.phenotypes[p];
            let base = |status: &str, note: String| {
                vec![unfitted(phenotype, name, &category, model, status, note)]
            };
            match model {
                "unsupported" => base(
                    "skipped",
                    format!("--model logistic needs a binary factor; this one is {value_type}"),
                ),
                "bai2020" => vec![bai2020(ctx, phenotype, name, &category, y, &factor_values)],
                "logistic" => match &binary_levels {
                    Some(levels) => vec![logistic_row(
                        ctx,
                        (&logistic_groups, ctx.group_of[p]),
                        phenotype,
                        name,
                        &category,
                        y,
                        &factor_values,
                        *levels,
                    )],
                    None => base(
                        "skipped",
                        "a binary factor needs exactly two distinct values".into(),
                    ),
                },
                "categorical" => categorical_rows(
                    ctx,
                    categorical.as_ref().expect("built for categorical factors"),
                    p,
                    (name, &category),
                ),
                _ => unreachable!("linear factors are fitted by linear_rows"),
            }
        })
        .collect()
}
