//! The QQ plot of the p values against the uniform, with the genomic inflation λ.
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use statrs::distribution::{ContinuousCDF, Normal};

use super::chart::{
    err, font, framed, house_mesh, px, render_both, Canvas, DrawResult, Frame, PlotFiles,
    OKABE_ITO, TEXT,
};
use super::significance::{neg_log10_capped, tested, y_cap};
use crate::error::StatsError;
use crate::phewas::AssociationRow;

/// The genomic inflation factor lambda: the median of the 1-df chi-square statistics that
/// the p-values correspond to, over its null expectation 0.4549364 (chi-square(1) median).
/// The statistic is z^2 with z = Phi^-1(p / 2), accurate for tiny p where 1 - p would round.
pub fn genomic_inflation(p: &[f64]) -> Option<f64> {
    let normal = Normal::new(0.0, 1.0).ok()?;
    let mut chi2: Vec<f64> = p
        .iter()
        .filter(|v| v.is_finite() && **v > 0.0 && **v <= 1.0)
        .map(|v| normal.inverse_cdf(v / 2.0).powi(2))
        .collect();
    if chi2.is_empty() {
        return None;
    }
    chi2.sort_by(f64::total_cmp);
    let n = chi2.len();
    let median = if n % 2 == 1 {
        chi2[n / 2]
    } else {
        0.5 * (chi2[n / 2 - 1] + chi2[n / 2])
    };
    // qchisq(0.5, 1) = qnorm(0.75)^2.
    let null_median = normal.inverse_cdf(0.75).powi(2);
    Some(median / null_median)
}

pub(super) struct QqData {
    /// (expected, observed) -log10 p, ascending.
    pub(super) points: Vec<(f64, f64)>,
    /// Pointwise 95 % band of the expected order statistics: (expected, low, high).
    pub(super) band: Vec<(f64, f64, f64)>,
    pub(super) max: f64,
    pub(super) lambda: f64,
    pub(super) title: String,
}

/// QQ plot of the tested p-values against the uniform, with a pointwise 95 % band
/// (Beta(i, m - i + 1) quantiles of the i-th smallest p) and lambda in the corner.
/// Returns lambda as well.
pub fn qq(
    rows: &[AssociationRow],
    stem: &Path,
    title: &str,
) -> Result<(PlotFiles, f64), StatsError> {
    let rows = tested(rows);
    let cap = y_cap(&rows);
    let mut ps: Vec<f64> = rows.iter().map(|r| r.p).collect();
    ps.sort_by(f64::total_cmp);
    let m = ps.len();
    if m == 0 {
        return Err(StatsError::Invalid("no tested association to plot".into()));
    }
    let lambda = genomic_inflation(&ps).unwrap_or(f64::NAN);
    let expected = |i: usize| -(((i as f64) + 0.5) / m as f64).log10();
    let points: Vec<(f64, f64)> = ps
        .iter()
        .enumerate()
        .map(|(i, p)| (expected(i), neg_log10_capped(*p, cap)))
        .rev()
        .collect();
    // The band at up to 120 ranks spread evenly on the log scale keeps it cheap for large m.
    let mut ranks: Vec<usize> = (0..120)
        .map(|k| ((m as f64).powf(k as f64 / 119.0) - 1.0).round() as usize)
        .filter(|i| *i < m)
        .collect();
    ranks.dedup();
    let band = ranks
        .into_iter()
        .filter_map(|i| {
            let beta = statrs::distribution::Beta::new((i + 1) as f64, (m - i) as f64).ok()?;
            Some((
                expected(i),
                -beta.inverse_cdf(0.975).log10(),
                -beta.inverse_cdf(0.025).log10(),
            ))
        })
        .collect::<Vec<_>>();
    let max_obs = points.iter().map(|p| p.1).fold(0.0f64, f64::max);
    let max_exp = expected(0);
    let data = QqData {
        points,
        band,
        max: max_obs.max(max_exp).max(1.0) * 1.05,
        lambda,
        title: title.to_string(),
    };
    let files: Result<PlotFiles, StatsError> = render_both!(stem, (460, 440), draw_qq, &data);
    Ok((files?, lambda))
}

pub(super) fn draw_qq<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: Canvas,
    d: &QqData,
) -> DrawResult {
    let s = c.s;
    let x_max = d.points.iter().map(|p| p.0).fold(1.0f64, f64::max) * 1.05;
    let mut chart = framed(
        root,
        &d.title,
        Frame::new(TEXT.title, (10.0, 18.0), (44.0, 50.0)),
        (0.0..x_max, 0.0..d.max),
        s,
    )?;
    house_mesh(&mut chart, s)
        .x_desc("Expected −log₁₀ p")
        .y_desc("Observed −log₁₀ p")
        .draw()
        .map_err(err)?;
    if d.band.len() >= 2 {
        let mut outline: Vec<(f64, f64)> = d.band.iter().map(|b| (b.0, b.1.min(d.max))).collect();
        outline.extend(d.band.iter().rev().map(|b| (b.0, b.2.min(d.max))));
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                OKABE_ITO[4].mix(0.25).filled(),
            )))
            .map_err(err)?;
    }
    let top = x_max.min(d.max);
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 0.0), (top, top)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    chart
        .draw_series(
            d.points
                .iter()
                .map(|&(x, y)| Circle::new((x, y), px(2.2, s), OKABE_ITO[0].mix(0.8).filled())),
        )
        .map_err(err)?;
    let (x0, y0) = chart.backend_coord(&(0.0, d.max));
    root.draw(&Text::new(
        format!("λ = {:.3}", d.lambda),
        (x0 + px(10.0, s), y0 + px(8.0, s)),
        font(TEXT.label, s).pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .map_err(err)?;
    Ok(())
}
