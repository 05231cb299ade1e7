//! The Manhattan plot: −log₁₀ p of every tested pair, factors grouped by category.
use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{
    err, font, framed, house_legend, house_mesh, px, render_both, Chart, DrawResult, Frame,
    PlotFiles, GREY, OKABE_ITO,
};
use super::significance::{neg_log10_capped, tested, thresholds, y_cap};
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
    pub(super) colour: usize,
    pub(super) radius: f64,
}

/// The Manhattan plot's caption, margins and label areas; the x label area holds the
/// category names.
const FRAME: Frame = Frame::new(18.0, (10.0, 16.0), (70.0, 52.0));

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
/// dashed line at Bonferroni, dotted at the BH-FDR threshold; the strongest factors labelled.
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
                colour: g % OKABE_ITO.len(),
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
                format!("{} ({})", shorten(name, 28), r.phenotype),
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

pub(super) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

pub(super) fn draw_manhattan<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    d: &ManhattanData,
) -> DrawResult {
    let ranges = (-1.0..d.x_max + 1.0, 0.0..d.y_max * 1.08);
    let mut chart = framed(root, &d.title, FRAME, ranges, s)?;
    house_mesh(&mut chart, (14.0, 15.0), s)
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("−log₁₀ p")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(d.points.iter().map(|p| {
            Circle::new(
                (p.x, p.y),
                px(p.radius, s),
                OKABE_ITO[p.colour].mix(0.75).filled(),
            )
        }))
        .map_err(err)?;
    let line = |y: f64| vec![(-1.0, y), (d.x_max + 1.0, y)];
    chart
        .draw_series(DashedLineSeries::new(
            line(d.bonferroni),
            px(6.0, s),
            px(4.0, s),
            ShapeStyle::from(&BLACK).stroke_width(px(1.2, s).max(1) as u32),
        ))
        .map_err(err)?
        .label(format!("Bonferroni (m = {})", d.family))
        .legend(move |(x, y)| {
            PathElement::new(
                vec![(x, y), (x + px(20.0, s), y)],
                BLACK.stroke_width(px(1.2, s).max(1) as u32),
            )
        });
    if let Some(fdr) = d.fdr {
        chart
            .draw_series(DashedLineSeries::new(
                line(fdr),
                px(2.0, s),
                px(3.0, s),
                ShapeStyle::from(&GREY).stroke_width(px(1.2, s).max(1) as u32),
            ))
            .map_err(err)?
            .label("FDR 5 %")
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(20.0, s), y)],
                    GREY.stroke_width(px(1.2, s).max(1) as u32),
                )
            });
    }
    house_legend(&mut chart, SeriesLabelPosition::UpperRight, (13.0, 0.85), s)?;
    // Category names under their blocks, staggered over three rows so long names fit.
    let axis_y = chart.backend_coord(&(0.0, 0.0)).1;
    for (g, (name, first, last)) in d.groups.iter().enumerate() {
        let (x0, _) = chart.backend_coord(&(*first, 0.0));
        let (x1, _) = chart.backend_coord(&(*last, 0.0));
        let colour = OKABE_ITO[g % OKABE_ITO.len()];
        let row = (g % 3) as f64;
        let y = axis_y + px(6.0 + 19.0 * row, s);
        root.draw(&PathElement::new(
            vec![
                (x0, axis_y + px(3.0, s)),
                (x1.max(x0 + 1), axis_y + px(3.0, s)),
            ],
            colour.stroke_width(px(3.0, s).max(1) as u32),
        ))
        .map_err(err)?;
        root.draw(&PathElement::new(
            vec![((x0 + x1) / 2, axis_y + px(3.0, s)), ((x0 + x1) / 2, y)],
            GREY.stroke_width(1),
        ))
        .map_err(err)?;
        // Keep the name inside the figure: shift it in when its centre is near an edge.
        let style = font(13.0, s).pos(Pos::new(HPos::Center, VPos::Top));
        let (tw, _) = root.estimate_text_size(name, &style).map_err(err)?;
        let (width, _) = root.dim_in_pixel();
        let half = tw as i32 / 2 + px(2.0, s);
        let cx = ((x0 + x1) / 2).clamp(half, (width as i32 - half).max(half));
        root.draw(&Text::new(name.clone(), (cx, y), style))
            .map_err(err)?;
    }
    draw_labels(root, s, &chart, &d.labels)
}

/// Labels next to their points, given as (x, y, text) on `chart`, pushed apart vertically so
/// they do not overlap, with a leader line from point to label.
pub(super) fn draw_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    chart: &Chart<'_, DB>,
    labels: &[(f64, f64, String)],
) -> DrawResult {
    let labels: Vec<((i32, i32), &str)> = labels
        .iter()
        .map(|(x, y, t)| (chart.backend_coord(&(*x, *y)), t.as_str()))
        .collect();
    let (width, _) = root.dim_in_pixel();
    let mut placed: Vec<(i32, i32, i32, &str, bool)> = Vec::new(); // point x, y, label y, text, left?
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|i| labels[*i].0 .1);
    let step = px(16.0, s);
    let mut last_y = i32::MIN / 2;
    for i in order {
        let ((x, y), text) = labels[i];
        let ly = (y - px(4.0, s)).max(last_y + step);
        last_y = ly;
        let left = x > (width as i32) * 3 / 4;
        placed.push((x, y, ly, text, left));
    }
    for (x, y, ly, text, left) in placed {
        // Flip to the left of the point when the text would run off the right edge.
        let (tw, _) = root.estimate_text_size(text, &font(12.5, s)).map_err(err)?;
        let left = left || x + px(10.0, s) + tw as i32 > width as i32 - px(4.0, s);
        let lx = if left {
            x - px(10.0, s)
        } else {
            x + px(10.0, s)
        };
        root.draw(&PathElement::new(
            vec![(x, y), (lx, ly)],
            GREY.stroke_width(1),
        ))
        .map_err(err)?;
        let anchor = if left { HPos::Right } else { HPos::Left };
        root.draw(&Text::new(
            text.to_string(),
            (lx, ly),
            font(12.5, s).pos(Pos::new(anchor, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}
