//! The forest plot of the top hits: estimates with their 95 % intervals.
use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{
    err, font, framed, house_mesh, px, render_both, DrawResult, Frame, PlotFiles, GREY, OKABE_ITO,
};
use super::manhattan::shorten;
use super::significance::tested;
use crate::error::StatsError;
use crate::phewas::AssociationRow;

pub(super) struct ForestRow {
    pub(super) label: String,
    pub(super) beta: f64,
    pub(super) low: f64,
    pub(super) high: f64,
    pub(super) p: String,
}

/// Forest plot of the `top_n` strongest associations (by p): beta with its 95 % CI per row,
/// labelled "phenotype ~ factor" on the left and p on the right, zero line dashed.
pub fn forest(
    rows: &[AssociationRow],
    stem: &Path,
    top_n: usize,
    factor_labels: &BTreeMap<String, String>,
) -> Result<PlotFiles, StatsError> {
    let mut ranked: Vec<&AssociationRow> = tested(rows)
        .into_iter()
        .filter(|r| r.beta.is_finite() && r.ci_low.is_finite() && r.ci_high.is_finite())
        .collect();
    ranked.sort_by(|a, b| {
        a.p.total_cmp(&b.p)
            .then_with(|| a.phenotype.cmp(&b.phenotype))
            .then_with(|| a.factor.cmp(&b.factor))
    });
    ranked.truncate(top_n);
    if ranked.is_empty() {
        return Err(StatsError::Invalid(
            "no tested association with a confidence interval to plot".into(),
        ));
    }
    let data: Vec<ForestRow> = ranked
        .iter()
        .map(|r| ForestRow {
            label: format!(
                "{} ~ {}",
                r.phenotype,
                shorten(factor_labels.get(&r.factor).unwrap_or(&r.factor), 26)
            ),
            beta: r.beta,
            low: r.ci_low,
            high: r.ci_high,
            p: format!("{:.1e}", r.p),
        })
        .collect();
    let height = 70 + 22 * data.len() as u32;
    render_both!(stem, (620, height), draw_forest, &data)
}

pub(super) fn draw_forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    d: &[ForestRow],
) -> DrawResult {
    let lo = d.iter().map(|r| r.low).fold(0.0f64, f64::min);
    let hi = d.iter().map(|r| r.high).fold(0.0f64, f64::max);
    let pad = (hi - lo).max(1e-12) * 0.06;
    let n = d.len() as f64;
    let (w, _) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally(px(250.0, s).min(w as i32 / 2));
    let (plot, pcol) =
        right.split_horizontally((right.dim_in_pixel().0 as i32 - px(64.0, s)).max(1));
    let mut chart = framed(
        &plot,
        "Top associations: β and 95 % CI",
        Frame::new(16.0, (8.0, 8.0), (40.0, 0.0)),
        (lo - pad..hi + pad, -0.5..n - 0.5),
        s,
    )?;
    house_mesh(&mut chart, (13.0, 14.0), s)
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(5)
        .x_desc("β")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, -0.5), (0.0, n - 0.5)],
            px(4.0, s),
            px(3.0, s),
            ShapeStyle::from(&GREY).stroke_width(1),
        ))
        .map_err(err)?;
    let width = px(1.6, s).max(1) as u32;
    let (_, top) = chart.backend_coord(&(lo, n - 0.5));
    pcol.draw(&Text::new(
        "p",
        (px(4.0, s), top - px(4.0, s)),
        font(13.0, s).pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))
    .map_err(err)?;
    for (i, r) in d.iter().enumerate() {
        // The strongest hit on top.
        let y = n - 1.0 - i as f64;
        chart
            .draw_series(LineSeries::new(
                vec![(r.low, y), (r.high, y)],
                OKABE_ITO[0].stroke_width(width),
            ))
            .map_err(err)?;
        // A square of fixed pixel size at the estimate, whatever the axis ranges.
        let half = px(3.5, s);
        chart
            .plotting_area()
            .draw(
                &(EmptyElement::at((r.beta, y))
                    + Rectangle::new([(-half, -half), (half, half)], OKABE_ITO[0].filled())),
            )
            .map_err(err)?;
        let (_, py) = chart.backend_coord(&(r.beta, y));
        let (lw, _) = left.dim_in_pixel();
        // Shorten a label until it fits the left panel.
        let style = font(13.0, s);
        let mut label = r.label.clone();
        let room = lw as i32 - px(12.0, s);
        while label.chars().count() > 8
            && left.estimate_text_size(&label, &style).map_err(err)?.0 as i32 > room
        {
            let keep = label
                .trim_end_matches('…')
                .chars()
                .count()
                .saturating_sub(2);
            label = format!(
                "{}…",
                label.chars().take(keep).collect::<String>().trim_end()
            );
        }
        left.draw(&Text::new(
            label,
            (lw as i32 - px(6.0, s), py),
            font(13.0, s).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        pcol.draw(&Text::new(
            r.p.clone(),
            (px(4.0, s), py),
            font(12.5, s).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}
