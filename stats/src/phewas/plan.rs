//! The work of a run cut into items (blocks of linear factors, single other factors), and the
//! items dealt to shards. A shard numbers the items exactly as a whole run does, which is what
//! makes a merged table equal a local one.

use super::context::{levels_by_frequency, Context};
use super::request::model_of;
use crate::error::StatsError;
use serde::{Deserialize, Serialize};

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

/// What a worker thread fits at a time.
pub(super) enum WorkItem {
    /// Linear factors, fitted together by the shared-sums kernel.
    LinearBlock(Vec<usize>),
    /// One logistic, categorical, Bai 2020, dropped or unsupported factor, or one that is also
    /// a covariate.
    Single(usize),
}

/// The work items of a run, each with the context (covariate list, see `drops`) it is fitted
/// in, in a fixed order: the items of the first context, then of the next, and so on; in each,
/// single (logistic, categorical, Bai 2020, dropped or unsupported) factors in factor order,
/// then blocks of linear factors. `context_of` gives each factor's context.
pub(super) fn work_items(contexts: &[Context], context_of: &[usize]) -> Vec<(usize, WorkItem)> {
    let mut items: Vec<(usize, WorkItem)> = Vec::new();
    for (k, ctx) in contexts.iter().enumerate() {
        let (table, request) = (ctx.table, ctx.request);
        let mut linear: Vec<usize> = Vec::new();
        for f in (0..request.factors.len()).filter(|&f| context_of[f] == k) {
            match table.numeric_column(&request.factors[f]) {
                // A factor that is also a covariate is not fitted (`run::factor_rows` says why).
                Some(c)
                    if model_of(request, c.value_type) == "linear"
                        && !request.covariates.contains(&request.factors[f]) =>
                {
                    linear.push(f)
                }
                _ => items.push((k, WorkItem::Single(f))),
            }
        }
        items.extend(
            linear
                .chunks(LINEAR_BLOCK)
                .map(|block| (k, WorkItem::LinearBlock(block.to_vec()))),
        );
    }
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
pub(super) fn assign_shards(
    ctx: &Context,
    items: &[(usize, WorkItem)],
    count: usize,
) -> Vec<usize> {
    // A factor's cost does not depend on its covariate list's context: the run's serves all.
    let cost = |(_, item): &(usize, WorkItem)| -> f64 {
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

/// Factors fitted together by the linear kernel (one matrix product per block and group).
pub(super) const LINEAR_BLOCK: usize = 32;
