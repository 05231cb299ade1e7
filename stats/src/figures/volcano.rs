//! The volcano plot: effect against −log₁₀ p, significance by colour and marker.
use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{
    err, framed, house_legend, house_mesh, px, render_both, DrawResult, Frame, PlotFiles, GREY,
    OKABE_ITO,
};
use super::manhattan::{draw_labels, shorten};
use super::significance::{neg_log10_capped, tested, thresholds, y_cap};
use crate::error::StatsError;
use crate::phewas::AssociationRow;

/// The volcano plot's caption, margins and label areas.
const FRAME: Frame = Frame::new(17.0, (10.0, 10.0), (44.0, 50.0));

pub(super) struct VolcanoData {
    /// (beta clamped to the x range, -log10 p, class: 0 ns, 1 FDR, 2 Bonferroni, clamped?)
    pub(super) points: Vec<(f64, f64, usize, bool)>,
    pub(super) x_max: f64,
    pub(super) y_max: f64,
    pub(super) bonferroni: f64,
    pub(super) labels: Vec<(f64, f64, String)>,
    pub(super) title: String,
}

/// Volcano plot: beta against -log10 p, coloured and shaped by significance (Bonferroni,
/// FDR only, neither); the strongest `label_top` pairs labelled, factors by `factor_labels`
/// when given. Betas beyond the 99th percentile of |beta| are drawn at the edge as
/// triangles, so a few extreme estimates do not squash the rest.
pub fn volcano(
    rows: &[AssociationRow],
    stem: &Path,
    title: &str,
    label_top: usize,
    factor_labels: &BTreeMap<String, String>,
) -> Result<PlotFiles, StatsError> {
    let rows: Vec<&AssociationRow> = tested(rows)
        .into_iter()
        .filter(|r| r.beta.is_finite())
        .collect();
    if rows.is_empty() {
        return Err(StatsError::Invalid("no tested association to plot".into()));
    }
    let mut abs_beta: Vec<f64> = rows.iter().map(|r| r.beta.abs()).collect();
    abs_beta.sort_by(f64::total_cmp);
    let x_max = abs_beta[((abs_beta.len() - 1) as f64 * 0.99) as usize].max(1e-12) * 1.1;
    let y_max = y_cap(&rows);
    let (bonferroni, _) = thresholds(&rows, 0.05);
    let points = rows
        .iter()
        .map(|r| {
            let class = if r.p <= bonferroni {
                2
            } else if r.q_bh <= 0.05 {
                1
            } else {
                0
            };
            let clamped = r.beta.abs() > x_max;
            (
                r.beta.clamp(-x_max, x_max),
                neg_log10_capped(r.p, y_max),
                class,
                clamped,
            )
        })
        .collect();
    let mut ranked = rows.clone();
    ranked.sort_by(|a, b| a.p.total_cmp(&b.p).then_with(|| a.factor.cmp(&b.factor)));
    let labels = ranked
        .iter()
        .take(label_top)
        .map(|r| {
            (
                r.beta.clamp(-x_max, x_max),
                neg_log10_capped(r.p, y_max),
                format!(
                    "{} ~ {}",
                    r.phenotype,
                    shorten(factor_labels.get(&r.factor).unwrap_or(&r.factor), 22)
                ),
            )
        })
        .collect();
    let data = VolcanoData {
        points,
        x_max,
        y_max: y_max.max(-bonferroni.log10() * 1.1),
        bonferroni: -bonferroni.log10(),
        labels,
        title: title.to_string(),
    };
    render_both!(stem, (520, 400), draw_volcano, &data)
}

pub(super) fn draw_volcano<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    d: &VolcanoData,
) -> DrawResult {
    let ranges = (-d.x_max..d.x_max, 0.0..d.y_max * 1.08);
    let mut chart = framed(root, &d.title, FRAME, ranges, s)?;
    house_mesh(&mut chart, (14.0, 15.0), s)
        .x_desc("β (per unit of the factor)")
        .y_desc("−log₁₀ p")
        .x_labels(6)
        .draw()
        .map_err(err)?;
    let styles = [
        (GREY, "not significant"),
        (OKABE_ITO[1], "FDR 5 %"),
        (OKABE_ITO[0], "Bonferroni 5 %"),
    ];
    for (class, &(colour, name)) in styles.iter().enumerate() {
        let r = px(if class == 0 { 2.0 } else { 3.0 }, s);
        let style = colour.mix(0.8).filled();
        chart
            .draw_series(
                d.points
                    .iter()
                    .filter(|p| p.2 == class && !p.3)
                    .map(|&(x, y, _, _)| Circle::new((x, y), r, style)),
            )
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| Circle::new((x + px(8.0, s), y), r, colour.filled()));
        chart
            .draw_series(
                d.points
                    .iter()
                    .filter(|p| p.2 == class && p.3)
                    .map(|&(x, y, _, _)| TriangleMarker::new((x, y), r + px(1.0, s), style)),
            )
            .map_err(err)?;
    }
    chart
        .draw_series(DashedLineSeries::new(
            vec![(-d.x_max, d.bonferroni), (d.x_max, d.bonferroni)],
            px(6.0, s),
            px(4.0, s),
            ShapeStyle::from(&BLACK).stroke_width(1),
        ))
        .map_err(err)?;
    house_legend(&mut chart, SeriesLabelPosition::UpperLeft, (13.0, 0.85), s)?;
    draw_labels(root, s, &chart, &d.labels)
}
