//! What the association charts share: the rows actually tested, the Bonferroni and FDR lines,
//! and the cap of the y axis.

use plotters::style::BLACK;

use super::chart::GREY;
use super::style::{Dash, Pen};
use crate::phewas::AssociationRow;

/// The Bonferroni line and the BH-FDR line, in every plot and its legend.
pub(super) const BONFERRONI_PEN: Pen = Pen::new(BLACK, 1.2, Dash::Dashed);
pub(super) const FDR_PEN: Pen = Pen::new(GREY, 1.2, Dash::Dotted);

/// -log10 p, with p = 0 (underflow) shown at the top of the finite range.
pub(super) fn neg_log10_capped(p: f64, cap: f64) -> f64 {
    if p > 0.0 {
        (-p.log10()).min(cap)
    } else {
        cap
    }
}

/// The rows that were tested, with a usable p.
pub(super) fn tested(rows: &[AssociationRow]) -> Vec<&AssociationRow> {
    rows.iter()
        .filter(|r| r.status == "ok" && r.p.is_finite() && (0.0..=1.0).contains(&r.p))
        .collect()
}

/// Significance lines of a family: Bonferroni at alpha / m, and the Benjamini-Hochberg
/// threshold (the largest p with q <= alpha), when any row passes it.
pub(super) fn thresholds(rows: &[&AssociationRow], alpha: f64) -> (f64, Option<f64>) {
    let m = rows.len().max(1) as f64;
    let fdr = rows
        .iter()
        .filter(|r| r.q_bh <= alpha)
        .map(|r| r.p)
        .fold(None, |acc: Option<f64>, p| {
            Some(acc.map_or(p, |a| a.max(p)))
        });
    (alpha / m, fdr)
}

pub(super) fn y_cap(rows: &[&AssociationRow]) -> f64 {
    let finite = rows
        .iter()
        .filter(|r| r.p > 0.0)
        .map(|r| -r.p.log10())
        .fold(0.0f64, f64::max);
    // Underflowed p-values (0) are drawn just above the largest finite value.
    (finite * 1.05).max(1.0)
}
