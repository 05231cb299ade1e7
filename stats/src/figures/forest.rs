//! The forest plot of the top hits: estimates with their 95 % intervals, one panel per model
//! family.
use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{
    err, font, framed, house_mesh, px, register_font, render_both, under_title, Canvas, DrawResult,
    Frame, PlotFiles, FONT, GREY, OKABE_ITO, TEXT,
};
use super::labels::{abbreviate, LABEL_CHARS};
use super::significance::tested;
use super::style::{stroke, Dash, Pen};
use crate::error::StatsError;
use crate::phewas::{by_family, AssociationRow, Scale};

pub(super) struct ForestRow {
    pub(super) label: String,
    pub(super) beta: f64,
    pub(super) low: f64,
    pub(super) high: f64,
    pub(super) p: String,
    /// The odds ratio and its CI, printed beside a logistic row.
    pub(super) odds_ratio: Option<String>,
}

pub(super) struct ForestPanel {
    pub(super) scale: Scale,
    pub(super) rows: Vec<ForestRow>,
}

pub(super) struct ForestData {
    pub(super) panels: Vec<ForestPanel>,
    /// Widths of the label column and of the text columns on the right, in layout pixels.
    pub(super) left: f64,
    pub(super) right: f64,
}

/// Height of a row, and of a panel without rows (caption and x axis), in layout pixels.
const ROW: u32 = 22;
const PANEL: u32 = 72;
const PLOT_WIDTH: f64 = 330.0;
const P_COLUMN: f64 = 64.0;
const OR_COLUMN: f64 = 136.0;
const ZERO_PEN: Pen = Pen::new(GREY, 1.0, Dash::Dashed);

/// Forest plot of the `top_n` strongest associations (by p) of each model family present, one
/// panel per family: the estimate with its 95 % CI on the family's scale (standardised β, or
/// the log odds ratio with the odds ratio and its CI printed beside it: a log axis in effect,
/// with the zero line at OR = 1), labelled with the model as fitted on the left and p on the
/// right, zero line dashed.
pub fn forest(
    rows: &[AssociationRow],
    stem: &Path,
    top_n: usize,
    factor_labels: &BTreeMap<String, String>,
) -> Result<PlotFiles, StatsError> {
    let usable: Vec<&AssociationRow> = tested(rows)
        .into_iter()
        .filter(|r| r.beta.is_finite() && r.ci_low.is_finite() && r.ci_high.is_finite())
        .collect();
    let mut panels = Vec::new();
    for (scale, mut ranked) in by_family(usable.iter().copied()) {
        ranked.sort_by(|a, b| {
            a.p.total_cmp(&b.p)
                .then_with(|| a.phenotype.cmp(&b.phenotype))
                .then_with(|| a.factor.cmp(&b.factor))
        });
        ranked.truncate(top_n);
        if ranked.is_empty() {
            continue;
        }
        let rows = ranked
            .iter()
            .map(|r| {
                let name = factor_labels.get(&r.factor).unwrap_or(&r.factor);
                ForestRow {
                    label: r.formula_with(&r.phenotype, &abbreviate(name, LABEL_CHARS)),
                    beta: r.beta,
                    low: r.ci_low,
                    high: r.ci_high,
                    p: format!("{:.1e}", r.p),
                    odds_ratio: r
                        .odds_ratio()
                        .map(|or| format!("{:.2} ({:.2}–{:.2})", or.estimate, or.low, or.high)),
                }
            })
            .collect();
        panels.push(ForestPanel { scale, rows });
    }
    if panels.is_empty() {
        return Err(StatsError::Invalid(
            "no tested association with a confidence interval to plot".into(),
        ));
    }
    // The label column is as wide as its longest label, measured in the figures' own font.
    register_font();
    let style = (FONT, TEXT.label).into_font();
    let mut left: f64 = 120.0;
    for r in panels.iter().flat_map(|p| &p.rows) {
        let (w, _) = style
            .box_size(&r.label)
            .map_err(|e| StatsError::Invalid(format!("cannot measure a label: {e}")))?;
        left = left.max(w as f64 + 16.0);
    }
    let right = if panels.iter().any(|p| p.scale == Scale::LogOdds) {
        P_COLUMN + OR_COLUMN
    } else {
        P_COLUMN
    };
    let height = 30
        + panels
            .iter()
            .map(|p| PANEL + ROW * p.rows.len() as u32)
            .sum::<u32>();
    let width = (left + PLOT_WIDTH + right).ceil() as u32;
    let data = ForestData {
        panels,
        left,
        right,
    };
    render_both!(stem, (width, height), draw_forest, &data)
}

pub(super) fn draw_forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: Canvas,
    d: &ForestData,
) -> DrawResult {
    let s = c.s;
    let mut rest = under_title(root, "Top associations: estimates and 95 % CI", s)?;
    for p in &d.panels {
        let h = px((PANEL + ROW * p.rows.len() as u32) as f64, s);
        let (area, below) = rest.split_vertically(h);
        rest = below;
        draw_panel(root, &area, c, d, p)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    c: Canvas,
    d: &ForestData,
    panel: &ForestPanel,
) -> DrawResult {
    let s = c.s;
    let rows = &panel.rows;
    let lo = rows.iter().map(|r| r.low).fold(0.0f64, f64::min);
    let hi = rows.iter().map(|r| r.high).fold(0.0f64, f64::max);
    let pad = (hi - lo).max(1e-12) * 0.06;
    let n = rows.len() as f64;
    let (left, right) = area.split_horizontally(px(d.left, s));
    let (plot, columns) =
        right.split_horizontally((right.dim_in_pixel().0 as i32 - px(d.right, s)).max(1));
    let mut chart = framed(
        &plot,
        panel.scale.family(),
        Frame::new(TEXT.axis, (8.0, 8.0), (40.0, 0.0)),
        (lo - pad..hi + pad, -0.5..n - 0.5),
        s,
    )?;
    house_mesh(&mut chart, s)
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(5)
        .x_desc(panel.scale.axis_label())
        .draw()
        .map_err(err)?;
    stroke(
        root,
        vec![
            chart.backend_coord(&(0.0, -0.5)),
            chart.backend_coord(&(0.0, n - 0.5)),
        ],
        ZERO_PEN,
        c,
    )?;
    let width = px(1.6, s).max(1) as u32;
    let (_, top) = chart.backend_coord(&(lo, n - 0.5));
    // Text is drawn on `root` in absolute pixels: the label column ends at `label_x`, the
    // text columns start at `column_x`.
    let label_x = left.get_base_pixel().0 + left.dim_in_pixel().0 as i32 - px(6.0, s);
    let column_x = columns.get_base_pixel().0;
    let header = |text: &str, x: f64| {
        root.draw(&Text::new(
            text.to_string(),
            (column_x + px(x, s), top - px(4.0, s)),
            font(TEXT.label, s).pos(Pos::new(HPos::Left, VPos::Bottom)),
        ))
    };
    header("p", 4.0).map_err(err)?;
    if panel.scale == Scale::LogOdds {
        header("OR (95 % CI)", P_COLUMN).map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
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
        let py = chart.backend_coord(&(r.beta, y)).1;
        let text = font(TEXT.label, s);
        root.draw(&Text::new(
            r.label.clone(),
            (label_x, py),
            text.pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
        let cell = |value: &str, x: f64| {
            root.draw(&Text::new(
                value.to_string(),
                (column_x + px(x, s), py),
                text.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
        };
        cell(&r.p, 4.0).map_err(err)?;
        if let Some(or) = &r.odds_ratio {
            cell(or, P_COLUMN).map_err(err)?;
        }
    }
    Ok(())
}
