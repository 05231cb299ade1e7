//! The PheWAS engine behind `meshagents phewas`: every requested phenotype x factor pair,
//! with the model its types call for, transforms, and multiple-testing correction.
//!
//! Models (sample set per pair: rows where phenotype, factor and all covariates are present):
//! - **linear**: `phenotype ~ factor + covariates` (continuous, integer, ordinal factors; and
//!   binary ones with `--model linear`); the factor's coefficient.
//! - **logistic**: `factor ~ phenotype + covariates` for binary factors; log odds ratio per
//!   unit of phenotype, Wald z and p, likelihood-ratio p in `note`. Firth's penalised
//!   likelihood is used, and flagged in `note`, when the smaller class has fewer than
//!   [`FIRTH_MIN_EVENTS`] members or the ordinary fit separates or does not converge.
//! - **categorical** factors (unordered): `phenotype ~ level dummies + covariates`, one row per
//!   level against the reference (the most common level), plus an `overall` row with the
//!   likelihood-ratio test of all levels together.
//! - **bai2020**: the phenotype residualised on the covariates, then Pearson r with the
//!   transformed factor (replicates Bai et al. 2020's tables).
//!
//! Categorical covariates are dummy-coded automatically (reference: most common level).

pub mod parts;
pub(crate) mod rows;

pub use rows::{
    apply_multiple_testing, benjamini_hochberg, neg_log10, read_associations, rows_to_frame,
    AssociationRow, ASSOCIATION_COLUMNS,
};

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::cohort::AnalysisTable;
use crate::data::dictionary::ValueType;
use crate::data::transform::Transform;
use crate::error::StatsError;
use crate::models::logistic::{self, lr_p, wald_p, z975};
use crate::models::ols::{complete_rows, fit_rows_many, FitError};

pub const FIRTH_MIN_EVENTS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelChoice {
    Auto,
    Linear,
    Logistic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Exact,
    Bai2020,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhewasRequest {
    pub phenotypes: Vec<String>,
    pub factors: Vec<String>,
    pub covariates: Vec<String>,
    pub model: ModelChoice,
    pub transform: Transform,
    pub method: Method,
    pub threads: usize,
}

/// Multiple-testing family and the rows.
#[derive(Debug, Clone)]
pub struct PhewasResult {
    pub rows: Vec<AssociationRow>,
    pub family_size: usize,
}

/// A covariate expanded into model columns (categorical covariates become dummies).
fn covariate_columns(
    table: &AnalysisTable,
    covariates: &[String],
) -> Result<Vec<Vec<f64>>, StatsError> {
    let mut out = Vec::new();
    for name in covariates {
        let column = table.numeric_column(name).ok_or_else(|| unknown(name))?;
        if column.value_type == ValueType::Categorical {
            let levels = levels_by_frequency(&column.values);
            // The most common level is the reference; no levels at all gives no columns.
            out.extend(level_dummies(
                &column.values,
                levels.get(1..).unwrap_or(&[]),
            ));
        } else {
            out.push(column.values.clone());
        }
    }
    Ok(out)
}

fn unknown(name: &str) -> StatsError {
    StatsError::Invalid(format!("column '{name}' is not in the analysis table (unknown, or dropped by cleaning: see the flow log)"))
}

/// Distinct present values, most common first (ties: smaller value first).
fn levels_by_frequency(values: &[f64]) -> Vec<f64> {
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

struct Context<'a> {
    table: &'a AnalysisTable,
    request: &'a PhewasRequest,
    covariates: Vec<Vec<f64>>,
    phenotypes: Vec<Vec<f64>>,
    /// Phenotypes grouped by missingness, for the linear kernel.
    groups: Vec<crate::models::fastlinear::PhenotypeGroup>,
    /// The group of each phenotype: phenotypes of a group share the null logistic model.
    group_of: Vec<usize>,
}

/// Checks the request against the table and computes what every work item shares: the
/// transformed phenotypes, the covariate columns, the phenotypes' missingness groups.
fn prepare<'a>(
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
    let covariates = covariate_columns(table, &request.covariates)?;
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
        phenotypes,
        groups,
        group_of,
    })
}

/// Runs every pair. `progress` is called with the number of factors finished so far.
pub fn run(
    table: &AnalysisTable,
    request: &PhewasRequest,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<PhewasResult, StatsError> {
    let started = std::time::Instant::now();
    let context = prepare(table, request)?;
    let prepared = started.elapsed().as_secs_f64();
    let items = work_items(&context);
    let per_factor = run_items(&context, &items, &|_| true, progress);
    let fitted = started.elapsed().as_secs_f64();
    let mut rows = phenotype_major(request.phenotypes.len(), per_factor)
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

/// One slice of a run's work: shard `index` (0-based) of `count`.
///
/// The work items (blocks of [`LINEAR_BLOCK`] linear factors, single other factors) are
/// numbered as a whole run numbers them and dealt out by [`assign_shards`]. Every factor is
/// therefore fitted in exactly the block, and so with exactly the arithmetic, of a whole run,
/// which is what makes merged shards byte-identical to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` (0 <= I < N).
    pub fn parse(text: &str) -> Result<Shard, StatsError> {
        let bad = || {
            StatsError::Invalid(format!(
                "--shard {text}: expected I/N with 0 <= I < N (e.g. 0/4)"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
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
    let context = prepare(table, request)?;
    let items = work_items(&context);
    let owner = assign_shards(&context, &items, shard.count);
    let per_factor = run_items(&context, &items, &|k| owner[k] == shard.index, progress);
    let factors = per_factor
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_some())
        .map(|(f, _)| f)
        .collect();
    let rows = phenotype_major(request.phenotypes.len(), per_factor);
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

/// The work items of a run, in a fixed order: single (logistic, categorical, Bai 2020, dropped
/// or unsupported) factors in factor order, then blocks of linear factors.
fn work_items(ctx: &Context) -> Vec<WorkItem> {
    let (table, request) = (ctx.table, ctx.request);
    let mut items: Vec<WorkItem> = Vec::new();
    let mut linear: Vec<usize> = Vec::new();
    for f in 0..request.factors.len() {
        match table.numeric_column(&request.factors[f]) {
            Some(c) if model_of(request, c.value_type) == "linear" => linear.push(f),
            _ => items.push(WorkItem::Single(f)),
        }
    }
    items.extend(
        linear
            .chunks(LINEAR_BLOCK)
            .map(|block| WorkItem::LinearBlock(block.to_vec())),
    );
    items
}

/// The shard of each work item: longest first, each to the least loaded shard (ties: the
/// lower index), by an estimate of its cost. The estimate needs only the table and the
/// request, so every task computes the same assignment.
///
/// Costs are relative to one linear factor (all phenotypes), measured on the simulated cohort
/// at n = 40,000 with 4 covariates: a logistic factor about 30 (a Newton fit per phenotype), a
/// categorical factor about 7 per level (a least-squares fit with a dummy per level, and the
/// restricted fit, per phenotype), a Bai 2020 factor about 2; a factor dropped by cleaning or
/// of an unsupported type costs nothing. Dealing the items out round-robin instead left one
/// shard of eight with 1.3x the mean work.
fn assign_shards(ctx: &Context, items: &[WorkItem], count: usize) -> Vec<usize> {
    let cost = |item: &WorkItem| -> f64 {
        match item {
            WorkItem::LinearBlock(block) => block.len() as f64,
            WorkItem::Single(f) => match ctx.table.numeric_column(&ctx.request.factors[*f]) {
                None => 0.0,
                Some(c) => match model_of(ctx.request, c.value_type) {
                    "logistic" => 30.0,
                    "categorical" => 7.0 * levels_by_frequency(&c.values).len() as f64,
                    "bai2020" => 2.0,
                    _ => 0.0,
                },
            },
        }
    };
    let mut order: Vec<(f64, usize)> = items.iter().map(cost).zip(0..).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut load = vec![0.0f64; count.max(1)];
    let mut owner = vec![0; items.len()];
    for (c, k) in order {
        let (least, _) = load
            .iter()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |best, (i, l)| if *l < best.1 { (i, *l) } else { best },
            );
        owner[k] = least;
        load[least] += c;
    }
    owner
}

/// Rows per factor (indexed by factor; `None` for factors of items not run), per phenotype.
type PerFactor = Vec<Option<Vec<Vec<AssociationRow>>>>;

/// Runs the items `wanted` accepts (by position) on the request's worker threads.
fn run_items(
    context: &Context,
    items: &[WorkItem],
    wanted: &(dyn Fn(usize) -> bool + Sync),
    progress: &(dyn Fn(usize) + Sync),
) -> PerFactor {
    let items: Vec<&WorkItem> = items
        .iter()
        .enumerate()
        .filter(|(k, _)| wanted(*k))
        .map(|(_, item)| item)
        .collect();
    let threads = context.request.threads.max(1).min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let mut per_factor: PerFactor = vec![None; context.request.factors.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let item = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(item) else {
                            break;
                        };
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

/// `(phenotype, factor, row)` in phenotype-major order, whatever the thread count.
fn phenotype_major(
    phenotypes: usize,
    per_factor: PerFactor,
) -> Vec<(usize, usize, AssociationRow)> {
    let mut per_factor: Vec<(usize, Vec<Vec<AssociationRow>>)> = per_factor
        .into_iter()
        .enumerate()
        .filter_map(|(f, r)| r.map(|r| (f, r)))
        .collect();
    let mut rows = Vec::new();
    for p in 0..phenotypes {
        for (f, factor_rows) in per_factor.iter_mut() {
            if let Some(r) = factor_rows.get_mut(p) {
                rows.extend(r.drain(..).map(|row| (p, *f, row)));
            }
        }
    }
    rows
}

/// Rows for one factor, indexed by phenotype (a categorical factor gives several per
/// phenotype).
fn factor_rows(ctx: &Context, f: usize) -> Vec<Vec<AssociationRow>> {
    let table = ctx.table;
    let name = &ctx.request.factors[f];
    let Some(column) = table.numeric_column(name) else {
        let reason = dropped_reason(table, name).unwrap_or_default();
        let category = table
            .dictionary
            .get(name)
            .map(|e| e.category.clone())
            .unwrap_or_default();
        return ctx
            .request
            .phenotypes
            .iter()
            .map(|p| {
                vec![unfitted(
                    p,
                    name,
                    &category,
                    "none",
                    "skipped",
                    format!("dropped by cleaning: {reason}"),
                )]
            })
            .collect();
    };
    let category = table
        .dictionary
        .get(name)
        .map(|e| e.category.clone())
        .unwrap_or_default();
    let value_type = column.value_type;
    let model = model_of(ctx.request, value_type);
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

fn unfitted(
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

fn status_of(error: &FitError) -> &'static str {
    match error {
        FitError::TooFewRows { .. } | FitError::ConstantFactor => "skipped",
        _ => "failed",
    }
}

/// (low, high) values of a two-valued column, or None.
fn binary_coding(values: &[f64]) -> Option<(f64, f64)> {
    let mut distinct: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    (distinct.len() == 2).then(|| (distinct[0], distinct[1]))
}

fn predictors<'a>(first: &'a [f64], covariates: &'a [Vec<f64>]) -> Vec<&'a [f64]> {
    let mut out: Vec<&[f64]> = Vec::with_capacity(covariates.len() + 1);
    out.push(first);
    out.extend(covariates.iter().map(Vec::as_slice));
    out
}

/// What a worker thread fits at a time.
enum WorkItem {
    /// Linear factors, fitted together by the shared-sums kernel.
    LinearBlock(Vec<usize>),
    /// One logistic, categorical, Bai 2020, dropped or unsupported factor.
    Single(usize),
}

/// A fitted row from an OLS coefficient.
fn coefficient_row(
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

/// The model a factor of this type gets under the request.
fn model_of(request: &PhewasRequest, value_type: ValueType) -> &'static str {
    match (request.method, request.model, value_type) {
        (Method::Bai2020, _, _) => "bai2020",
        (_, ModelChoice::Logistic, ValueType::Binary)
        | (_, ModelChoice::Auto, ValueType::Binary) => "logistic",
        (_, ModelChoice::Logistic, _) => "unsupported",
        (_, _, ValueType::Categorical) => "categorical",
        _ => "linear",
    }
}

/// Factors fitted together by the linear kernel (one matrix product per block and group).
const LINEAR_BLOCK: usize = 32;

/// Every phenotype against a block of linear factors, through the shared-sums kernel.
fn linear_block(ctx: &Context, block: &[usize]) -> Vec<(usize, Vec<Vec<AssociationRow>>)> {
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
                out[b][p] = vec![match result {
                    Ok(c) => coefficient_row(
                        &c,
                        (cases, cases.map(|k| c.n - k)),
                        phenotype,
                        &prep.name,
                        &prep.category,
                        "linear",
                        String::new(),
                    ),
                    Err(e) => unfitted(
                        phenotype,
                        &prep.name,
                        &prep.category,
                        "linear",
                        status_of(&e),
                        e.to_string(),
                    ),
                }];
            }
        }
    }
    block.iter().copied().zip(out).collect()
}

/// What every phenotype of a missingness group shares when a binary factor is the outcome:
/// the complete rows (the group's rows where the factor is present), the covariates gathered
/// on them, the 0/1 outcome, and the null model `factor ~ covariates`, fitted once.
struct LogisticGroup {
    rows: Vec<usize>,
    covariates: Vec<Vec<f64>>,
    outcome: Vec<f64>,
    cases: usize,
    null: Option<NullFit>,
    /// The null model as the fast kernel left it, when that kernel could fit it.
    fast_null: Option<crate::models::fastlogistic::NullModel>,
}

type LogisticGroups = std::cell::RefCell<std::collections::HashMap<usize, LogisticGroup>>;

impl LogisticGroup {
    fn new(ctx: &Context, y: &[f64], factor_values: &[f64], high: f64) -> LogisticGroup {
        let preds = predictors(y, &ctx.covariates);
        let rows = complete_rows(factor_values, &preds);
        let outcome: Vec<f64> = rows
            .iter()
            .map(|&i| if factor_values[i] == high { 1.0 } else { 0.0 })
            .collect();
        let covariates = ctx
            .covariates
            .iter()
            .map(|c| rows.iter().map(|&i| c[i]).collect())
            .collect();
        let cases = outcome.iter().filter(|v| **v == 1.0).count();
        LogisticGroup {
            rows,
            covariates,
            outcome,
            cases,
            null: None,
            fast_null: None,
        }
    }

    /// Fits the null model once: through the fast kernel, or the guarded fitter when that
    /// kernel cannot (`design` builds the guarded fitter's rows).
    fn ensure_null(&mut self, design: impl FnOnce(&LogisticGroup) -> Vec<f64>) {
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

#[allow(clippy::too_many_arguments)]
fn logistic_row(
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
    let k = ctx.covariates.len() + 2;
    let n = shared.rows.len();
    let cases = shared.cases;
    let controls = n - cases;
    let phenotype_values: Vec<f64> = shared.rows.iter().map(|&i| y[i]).collect();
    let mut note = Vec::new();
    if low != 0.0 || high != 1.0 {
        note.push(format!("coded {high} as case, {low} as control"));
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
            ..unfitted(
                phenotype,
                factor,
                category,
                model,
                status_of(&e),
                e.to_string(),
            )
        },
    }
}

/// What every phenotype shares when an unordered categorical factor is fitted: its levels
/// (the most common first: the reference), their labels, their 0/1 indicator columns, and per
/// phenotype missingness group the fits of all the group's phenotypes, computed together
/// ([`fit_rows_many`]: one design, one factorisation).
struct CategoricalFactor {
    levels: Vec<f64>,
    labels: Vec<String>,
    dummies: Vec<Vec<f64>>,
    groups: std::cell::RefCell<std::collections::HashMap<usize, std::rc::Rc<CategoricalGroup>>>,
}

/// The fits of one missingness group, in the order of the group's members.
struct CategoricalGroup {
    /// Complete rows at each level, in the order of `levels`.
    counts: Vec<usize>,
    full: Vec<Result<crate::models::ols::OlsFit, FitError>>,
    /// Log-likelihood of the same rows without the level indicators.
    restricted: Vec<Result<f64, FitError>>,
}

impl CategoricalFactor {
    fn new(
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
    fn group(
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

fn categorical_rows(
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
        Err(e) => {
            return vec![unfitted(
                phenotype,
                factor,
                category,
                "categorical",
                status_of(e),
                e.to_string(),
            )]
        }
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
            Err(e) => out.push(unfitted(
                phenotype,
                &name,
                category,
                "categorical",
                status_of(&e),
                e.to_string(),
            )),
        }
    }
    // Overall likelihood-ratio test: the same rows without the level dummies.
    match &group.restricted[member] {
        Ok(restricted) => {
            let (lr, p) = lr_p(full.log_likelihood(), *restricted, levels.len() - 1);
            out.push(AssociationRow { n: full.n, stat: lr, p, neg_log10_p: neg_log10(p), ..unfitted(phenotype, &format!("{factor}=overall"), category, "categorical", "ok", format!("likelihood-ratio test of {} levels vs reference '{reference}' (chi2, {} df)", levels.len(), levels.len() - 1)) });
        }
        Err(e) => out.push(unfitted(
            phenotype,
            &format!("{factor}=overall"),
            category,
            "categorical",
            status_of(e),
            e.to_string(),
        )),
    }
    out
}

fn bai2020(
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
            Err(e) => {
                return unfitted(
                    phenotype,
                    factor,
                    category,
                    model,
                    status_of(&e),
                    e.to_string(),
                )
            }
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

/// Resolves a LIST argument against a table's columns: comma-separated items, each a column
/// name (any UK Biobank style), `@file` (one name per line), a role (`imaging`, `covariate`,
/// `factor`, `disease`), a dictionary category (e.g. `Diet`), `all` (every non-id column not in
/// `exclude`) or `none`.
pub fn resolve_list(
    catalog: &crate::cohort::Catalog,
    spec: &str,
    exclude: &[String],
) -> Result<Vec<String>, StatsError> {
    use crate::data::dictionary::Role;
    let mut out: Vec<String> = Vec::new();
    let push = |name: String, out: &mut Vec<String>| {
        if !out.contains(&name) {
            out.push(name);
        }
    };
    let mut items: Vec<String> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(path) = item.strip_prefix('@') {
            let text = std::fs::read_to_string(path)
                .map_err(|e| StatsError::io(std::path::Path::new(path), e))?;
            items.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        } else {
            items.push(item.to_string());
        }
    }
    for item in items {
        let lower = item.to_ascii_lowercase();
        if lower == "none" {
            continue;
        }
        if lower == "all" {
            for c in &catalog.columns {
                if catalog.role(c) != Role::Id && !exclude.contains(c) {
                    push(c.clone(), &mut out);
                }
            }
            continue;
        }
        if let Ok(role) = lower.parse::<Role>() {
            catalog
                .columns
                .iter()
                .filter(|c| catalog.role(c) == role)
                .for_each(|c| push(c.clone(), &mut out));
            continue;
        }
        let canonical = crate::cohort::canonical_column_name(&item);
        if catalog.columns.contains(&canonical) {
            push(canonical, &mut out);
            continue;
        }
        let in_category: Vec<&String> = catalog
            .columns
            .iter()
            .filter(|c| {
                catalog
                    .entry(c)
                    .map(|e| e.category.eq_ignore_ascii_case(&item))
                    .unwrap_or(false)
            })
            .collect();
        if !in_category.is_empty() {
            in_category
                .into_iter()
                .for_each(|c| push(c.clone(), &mut out));
            continue;
        }
        return Err(StatsError::Invalid(format!("'{item}' is not a column, role (imaging, covariate, factor, disease), category, @file or 'all'")));
    }
    Ok(out)
}

fn dropped_reason(table: &AnalysisTable, name: &str) -> Option<String> {
    table
        .flow
        .iter()
        .find(|f| f.column == name && !f.kept)
        .map(|f| f.reason.clone())
}

/// The label of a code in an inline data-coding (`1=Yes;0=No`).
fn coding_label(coding: &str, code: f64) -> Option<String> {
    coding.split(';').find_map(|pair| {
        let (c, label) = pair.split_once('=')?;
        (c.trim().parse::<f64>().ok()? == code).then(|| label.trim().to_string())
    })
}

/// Row-major `[1, first, covariates...]` rows for the guarded logistic fitter.
fn row_major_design(first: &[f64], covariates: &[Vec<f64>]) -> Vec<f64> {
    let mut design = Vec::with_capacity(first.len() * (covariates.len() + 2));
    for (r, &value) in first.iter().enumerate() {
        design.push(1.0);
        design.push(value);
        design.extend(covariates.iter().map(|c| c[r]));
    }
    design
}

/// A cached null logistic model: its estimates (with the phenotype's coefficient at zero) and
/// log-likelihood, or why it could not be fitted.
type NullFit = Result<(Vec<f64>, f64), FitError>;

/// 0/1 indicator columns, one per level (missing stays missing).
fn level_dummies(values: &[f64], levels: &[f64]) -> Vec<Vec<f64>> {
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
