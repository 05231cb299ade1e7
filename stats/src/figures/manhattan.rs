//! The Manhattan plot: −log₁₀ p of every tested pair, factors grouped by category.
use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{
    err, font, framed, house_mesh, px, render_both, Canvas, DrawResult, Frame, PlotFiles, GREY,
    TEXT,
};
use super::labels::{abbreviate, area_rect, draw_labels, Rect, LABEL_CHARS};
use super::significance::{neg_log10_capped, tested, thresholds, y_cap, BONFERRONI_PEN, FDR_PEN};
use super::style::{category_marker, draw_legend, draw_marker, stroke, Corner, Glyph};
use crate::error::StatsError;
use crate::phewas::AssociationRow;

/// Options of the Manhattan plot.
#[derive(Debug, Clone)]
pub struct ManhattanOptions {
    pub title: String,
    /// How many of the strongest factors to label.
    pub label_top: usize,
    /// Display names of factors (e.g. field descriptions); the column name otherwise.
    pub factor_labels: BTreeMap<String, String>,
    /// Family-wise level of the Bonferroni and FDR lines.
    pub alpha: f64,
}

impl Default for ManhattanOptions {
    fn default() -> Self {
        ManhattanOptions {
            title: "Phenome-wide associations".into(),
            label_top: 8,
            factor_labels: BTreeMap::new(),
            alpha: 0.05,
        }
    }
}

pub(super) struct ManhattanPoint {
    pub(super) x: f64,
    pub(super) y: f64,
    /// The category's index, for its mark (`style::category_marker`).
    pub(super) category: usize,
    pub(super) radius: f64,
}

/// The Manhattan plot's caption, margins and label areas; the x label area holds the
/// category names.
const FRAME: Frame = Frame::new(TEXT.title, (10.0, 16.0), (70.0, 52.0));

pub(super) struct ManhattanData {
    pub(super) points: Vec<ManhattanPoint>,
    /// (category, first x, last x) of each group.
    pub(super) groups: Vec<(String, f64, f64)>,
    pub(super) x_max: f64,
    pub(super) y_max: f64,
    pub(super) bonferroni: f64,
    pub(super) fdr: Option<f64>,
    /// (x, y, text) of the labelled hits.
    pub(super) labels: Vec<(f64, f64, String)>,
    pub(super) title: String,
    pub(super) family: usize,
}

/// Manhattan plot: one column per factor, grouped and coloured by category (categories in
/// order of first appearance, factors by name inside), every tested phenotype pair as a point
/// at -log10 p; point area grows with |beta| (relative to the 95th percentile of |beta|);
/// dashed line at Bonferroni, dotted at the BH-FDR threshold; the strongest factors labelled
/// with the model as fitted (`factor ~ phenotype` for a logistic row).
pub fn manhattan(
    rows: &[AssociationRow],
    stem: &Path,
    options: &ManhattanOptions,
) -> Result<PlotFiles, StatsError> {
    let rows = tested(rows);
    if rows.is_empty() {
        return Err(StatsError::Invalid(
            "no tested association to plot (every row was skipped or failed)".into(),
        ));
    }
    let mut categories: Vec<&str> = Vec::new();
    for r in &rows {
        if !categories.contains(&r.category.as_str()) {
            categories.push(&r.category);
        }
    }
    // x position of each factor: categories in order, factors sorted by name, a gap between
    // groups so they read as blocks.
    let gap = 3.0;
    let mut x_of: BTreeMap<&str, f64> = BTreeMap::new();
    let mut groups = Vec::new();
    let mut x = 0.0;
    for (g, c) in categories.iter().enumerate() {
        let mut factors: Vec<&str> = rows
            .iter()
            .filter(|r| r.category == *c)
            .map(|r| r.factor.as_str())
            .collect();
        factors.sort_unstable();
        factors.dedup();
        if g > 0 {
            x += gap;
        }
        let first = x;
        for f in factors {
            x_of.insert(f, x);
            x += 1.0;
        }
        groups.push((c.to_string(), first, x - 1.0));
    }
    let mut abs_beta: Vec<f64> = rows
        .iter()
        .map(|r| r.beta.abs())
        .filter(|b| b.is_finite())
        .collect();
    abs_beta.sort_by(f64::total_cmp);
    let scale = abs_beta
        .get(((abs_beta.len() as f64) * 0.95) as usize)
        .or(abs_beta.last())
        .copied()
        .filter(|v| *v > 0.0)
        .unwrap_or(1.0);
    let y_max = y_cap(&rows);
    let points = rows
        .iter()
        .map(|r| {
            let g = categories
                .iter()
                .position(|c| *c == r.category)
                .unwrap_or(0);
            let rel = if r.beta.is_finite() {
                (r.beta.abs() / scale).min(1.0)
            } else {
                0.0
            };
            ManhattanPoint {
                x: x_of.get(r.factor.as_str()).copied().unwrap_or(0.0),
                y: neg_log10_capped(r.p, y_max),
                category: g,
                radius: 1.6 + 3.0 * rel.sqrt(),
            }
        })
        .collect();
    // Label the strongest factors: each factor once, at its best phenotype.
    let mut best: BTreeMap<&str, &AssociationRow> = BTreeMap::new();
    for r in &rows {
        let e = best.entry(r.factor.as_str()).or_insert(r);
        if r.p < e.p {
            *e = r;
        }
    }
    let mut ranked: Vec<&&AssociationRow> = best.values().collect();
    ranked.sort_by(|a, b| a.p.total_cmp(&b.p).then_with(|| a.factor.cmp(&b.factor)));
    let (bonferroni, fdr) = thresholds(&rows, options.alpha);
    let labels = ranked
        .iter()
        .filter(|r| r.p <= bonferroni)
        .take(options.label_top)
        .map(|r| {
            let name = options.factor_labels.get(&r.factor).unwrap_or(&r.factor);
            (
                x_of.get(r.factor.as_str()).copied().unwrap_or(0.0),
                neg_log10_capped(r.p, y_max),
                r.formula_with(&r.phenotype, &abbreviate(name, LABEL_CHARS)),
            )
        })
        .collect();
    let data = ManhattanData {
        points,
        groups,
        x_max: x.max(1.0),
        y_max: y_max.max(-bonferroni.log10() * 1.1),
        bonferroni: -bonferroni.log10(),
        fdr: fdr.map(|p| -p.log10()),
        labels,
        title: options.title.clone(),
        family: rows.len(),
    };
    render_both!(stem, (1000, 460), draw_manhattan, &data)
}

pub(super) fn draw_manhattan<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: Canvas,
    d: &ManhattanData,
) -> DrawResult {
    let s = c.s;
    let ranges = (-1.0..d.x_max + 1.0, 0.0..d.y_max * 1.08);
    let mut chart = framed(root, &d.title, FRAME, ranges, s)?;
    house_mesh(&mut chart, s)
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("−log₁₀ p")
        .draw()
        .map_err(err)?;
    let mut obstacles = Vec::with_capacity(d.points.len() + 1);
    for p in &d.points {
        let at = chart.backend_coord(&(p.x, p.y));
        let m = category_marker(p.category);
        let r = p.radius * s;
        draw_marker(root, at, r, m.shape, m.colour.mix(0.75).filled())?;
        obstacles.push(Rect::around((at.0 as f64, at.1 as f64), r + s));
    }
    let plot = area_rect(chart.plotting_area().get_pixel_range());
    let line = |y: f64| {
        vec![
            chart.backend_coord(&(-1.0, y)),
            chart.backend_coord(&(d.x_max + 1.0, y)),
        ]
    };
    stroke(root, line(d.bonferroni), BONFERRONI_PEN, c)?;
    let mut legend = vec![(
        Glyph::Line(BONFERRONI_PEN),
        format!("Bonferroni (m = {})", d.family),
    )];
    if let Some(fdr) = d.fdr {
        stroke(root, line(fdr), FDR_PEN, c)?;
        legend.push((Glyph::Line(FDR_PEN), "FDR 5 %".to_string()));
    }
    obstacles.push(draw_legend(root, plot, Corner::UpperRight, &legend, c)?);
    // Category names under their blocks, each after its mark (colour and shape, as in the
    // plot), staggered over three rows so long names fit.
    let axis_y = chart.backend_coord(&(0.0, 0.0)).1;
    for (g, (name, first, last)) in d.groups.iter().enumerate() {
        let (x0, _) = chart.backend_coord(&(*first, 0.0));
        let (x1, _) = chart.backend_coord(&(*last, 0.0));
        let mark = category_marker(g);
        let row = (g % 3) as f64;
        let y = axis_y + px(6.0 + 19.0 * row, s);
        root.draw(&PathElement::new(
            vec![
                (x0, axis_y + px(3.0, s)),
                (x1.max(x0 + 1), axis_y + px(3.0, s)),
            ],
            mark.colour.stroke_width(px(3.0, s).max(1) as u32),
        ))
        .map_err(err)?;
        root.draw(&PathElement::new(
            vec![((x0 + x1) / 2, axis_y + px(3.0, s)), ((x0 + x1) / 2, y)],
            GREY.stroke_width(1),
        ))
        .map_err(err)?;
        // Keep the mark and name inside the figure: shift them in when near an edge.
        let name = abbreviate(name, LABEL_CHARS);
        let style = font(TEXT.label, s).pos(Pos::new(HPos::Left, VPos::Top));
        let (tw, th) = root.estimate_text_size(&name, &style).map_err(err)?;
        let glyph = px(12.0, s);
        let (width, _) = root.dim_in_pixel();
        let half = (glyph + tw as i32) / 2 + px(2.0, s);
        let cx = ((x0 + x1) / 2).clamp(half, (width as i32 - half).max(half));
        let left = cx - (glyph + tw as i32) / 2;
        draw_marker(
            root,
            (
                left + glyph / 2 - px(1.0, s),
                y + th as i32 / 2 + px(1.0, s),
            ),
            4.0 * s,
            mark.shape,
            mark.colour.filled(),
        )?;
        root.draw(&Text::new(name, (left + glyph, y + px(1.0, s)), style))
            .map_err(err)?;
    }
    let labels: Vec<((i32, i32), String)> = d
        .labels
        .iter()
        .map(|(x, y, t)| (chart.backend_coord(&(*x, *y)), t.clone()))
        .collect();
    draw_labels(root, c, &labels, &obstacles, plot)
}
