//! The volcano plot: effect against −log₁₀ p, one panel per model family, significance by
//! colour and marker.
use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{
    err, framed, house_mesh, render_both, under_title, Canvas, DrawResult, Frame, PlotFiles, GREY,
    OKABE_ITO, TEXT,
};
use super::labels::{abbreviate, area_rect, draw_labels, Rect, LABEL_CHARS};
use super::significance::{neg_log10_capped, tested, thresholds, y_cap, BONFERRONI_PEN, FDR_PEN};
use super::style::{draw_legend, draw_marker, stroke, Corner, Glyph, Marker, Shape};
use crate::error::StatsError;
use crate::phewas::{by_family, AssociationRow, Scale};

/// A panel's caption, margins and label areas.
const FRAME: Frame = Frame::new(TEXT.axis, (10.0, 12.0), (44.0, 50.0));

/// The marks of the three classes (neither, FDR only, Bonferroni) and their radii; a β beyond
/// the axis is drawn at its edge as a triangle of its class's colour.
const CLASSES: [(Marker, f64, &str); 3] = [
    (
        Marker {
            colour: GREY,
            shape: Shape::Circle,
        },
        2.0,
        "not significant",
    ),
    (
        Marker {
            colour: OKABE_ITO[1],
            shape: Shape::Square,
        },
        3.0,
        "FDR 5 %",
    ),
    (
        Marker {
            colour: OKABE_ITO[0],
            shape: Shape::Diamond,
        },
        3.0,
        "Bonferroni 5 %",
    ),
];

/// One model family's panel.
pub(super) struct VolcanoPanel {
    pub(super) scale: Scale,
    /// (beta clamped to the x range, -log10 p, class: 0 ns, 1 FDR, 2 Bonferroni, clamped?)
    pub(super) points: Vec<(f64, f64, usize, bool)>,
    pub(super) x_max: f64,
    pub(super) labels: Vec<(f64, f64, String)>,
}

pub(super) struct VolcanoData {
    pub(super) panels: Vec<VolcanoPanel>,
    pub(super) y_max: f64,
    pub(super) bonferroni: f64,
    pub(super) fdr: Option<f64>,
    pub(super) title: String,
}

/// Volcano plot: beta against -log10 p, one panel per model family present (standardised β of
/// linear models, log odds ratio of logistic ones: never one axis for both), on a shared y
/// axis with the Bonferroni (dashed) and BH-FDR (dotted) lines of the whole table; points
/// coloured and shaped by significance (Bonferroni, FDR only, neither); each panel's
/// strongest `label_top` pairs labelled with the model as fitted, factors by `factor_labels`
/// when given. Betas beyond the 99th percentile of a panel's |beta| (and its largest
/// Bonferroni hit) are drawn at the edge as triangles, so a few extreme estimates do not
/// squash the rest.
pub fn volcano(
    rows: &[AssociationRow],
    stem: &Path,
    title: &str,
    label_top: usize,
    factor_labels: &BTreeMap<String, String>,
) -> Result<PlotFiles, StatsError> {
    let tested = tested(rows);
    let (bonferroni, fdr) = thresholds(&tested, 0.05);
    let rows: Vec<&AssociationRow> = tested.into_iter().filter(|r| r.beta.is_finite()).collect();
    if rows.is_empty() {
        return Err(StatsError::Invalid("no tested association to plot".into()));
    }
    let y_max = y_cap(&rows);
    let panels: Vec<VolcanoPanel> = by_family(rows.iter().copied())
        .into_iter()
        .map(|(scale, mine)| panel(scale, &mine, (bonferroni, y_max), label_top, factor_labels))
        .collect();
    let width = 520 * panels.len() as u32;
    let data = VolcanoData {
        panels,
        y_max: y_max.max(-bonferroni.log10() * 1.1),
        bonferroni: -bonferroni.log10(),
        fdr: fdr.map(|p| -p.log10()),
        title: title.to_string(),
    };
    render_both!(stem, (width, 430), draw_volcano, &data)
}

fn panel(
    scale: Scale,
    rows: &[&AssociationRow],
    (bonferroni, y_max): (f64, f64),
    label_top: usize,
    factor_labels: &BTreeMap<String, String>,
) -> VolcanoPanel {
    let mut abs_beta: Vec<f64> = rows.iter().map(|r| r.beta.abs()).collect();
    abs_beta.sort_by(f64::total_cmp);
    // Significant pairs are never clamped: in a family of mostly null rows (the logistic
    // ones) the 99th percentile would push every real hit to the edge.
    let hits = rows
        .iter()
        .filter(|r| r.p <= bonferroni)
        .map(|r| r.beta.abs())
        .fold(0.0f64, f64::max);
    let x_max = abs_beta[((abs_beta.len() - 1) as f64 * 0.99) as usize]
        .max(hits)
        .max(1e-12)
        * 1.1;
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
            (
                r.beta.clamp(-x_max, x_max),
                neg_log10_capped(r.p, y_max),
                class,
                r.beta.abs() > x_max,
            )
        })
        .collect();
    let mut ranked = rows.to_vec();
    ranked.sort_by(|a, b| a.p.total_cmp(&b.p).then_with(|| a.factor.cmp(&b.factor)));
    let labels = ranked
        .iter()
        .take(label_top)
        .map(|r| {
            let name = factor_labels.get(&r.factor).unwrap_or(&r.factor);
            (
                r.beta.clamp(-x_max, x_max),
                neg_log10_capped(r.p, y_max),
                r.formula_with(&r.phenotype, &abbreviate(name, LABEL_CHARS)),
            )
        })
        .collect();
    VolcanoPanel {
        scale,
        points,
        x_max,
        labels,
    }
}

pub(super) fn draw_volcano<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: Canvas,
    d: &VolcanoData,
) -> DrawResult {
    let s = c.s;
    let titled = under_title(root, &d.title, s)?;
    let areas = titled.split_evenly((1, d.panels.len()));
    for (k, (p, area)) in d.panels.iter().zip(areas.iter()).enumerate() {
        let ranges = (-p.x_max..p.x_max, 0.0..d.y_max * 1.08);
        let mut chart = framed(area, p.scale.family(), FRAME, ranges, s)?;
        house_mesh(&mut chart, s)
            .x_desc(p.scale.axis_label())
            .y_desc("−log₁₀ p")
            .x_labels(6)
            .draw()
            .map_err(err)?;
        let mut obstacles = Vec::with_capacity(p.points.len() + 1);
        for (class, &(mark, r, _)) in CLASSES.iter().enumerate() {
            for &(x, y, _, clamped) in p.points.iter().filter(|q| q.2 == class) {
                let at = chart.backend_coord(&(x, y));
                let (shape, r) = if clamped {
                    (Shape::TriangleUp, (r + 1.0) * s)
                } else {
                    (mark.shape, r * s)
                };
                draw_marker(root, at, r, shape, mark.colour.mix(0.8).filled())?;
                obstacles.push(Rect::around((at.0 as f64, at.1 as f64), r + s));
            }
        }
        let line = |y: f64| {
            vec![
                chart.backend_coord(&(-p.x_max, y)),
                chart.backend_coord(&(p.x_max, y)),
            ]
        };
        stroke(root, line(d.bonferroni), BONFERRONI_PEN, c)?;
        if let Some(fdr) = d.fdr {
            stroke(root, line(fdr), FDR_PEN, c)?;
        }
        let plot = area_rect(chart.plotting_area().get_pixel_range());
        // One legend for the figure, in its first panel.
        if k == 0 {
            let mut legend: Vec<(Glyph, String)> = CLASSES
                .iter()
                .map(|(m, r, name)| (Glyph::Mark(*m, *r + 1.0), name.to_string()))
                .collect();
            legend.push((Glyph::Line(BONFERRONI_PEN), "Bonferroni line".into()));
            if d.fdr.is_some() {
                legend.push((Glyph::Line(FDR_PEN), "FDR line".into()));
            }
            obstacles.push(draw_legend(root, plot, Corner::UpperLeft, &legend, c)?);
        }
        let labels: Vec<((i32, i32), String)> = p
            .labels
            .iter()
            .map(|(x, y, t)| (chart.backend_coord(&(*x, *y)), t.clone()))
            .collect();
        draw_labels(root, c, &labels, &obstacles, plot)?;
    }
    Ok(())
}
