//! ROC curves of the classification validation, one panel per disease.
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{
    err, framed, house_mesh, render_both, under_title, Canvas, DrawResult, Frame, PlotFiles, GREY,
    OKABE_ITO, TEXT,
};
use super::labels::area_rect;
use super::style::{draw_legend, stroke, Corner, Dash, Glyph, Pen};
use crate::classify::metrics::{auc, threshold_sweep};
use crate::classify::PredictionRow;
use crate::error::StatsError;

/// The ROC curve of scores (higher = case): (false positive rate, true positive rate) from
/// (0, 0) to (1, 1), one vertex per distinct score.
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let m = labels.iter().filter(|l| **l).count().max(1) as f64;
    let n = labels.iter().filter(|l| !**l).count().max(1) as f64;
    let mut out = vec![(0.0, 0.0)];
    out.extend(
        threshold_sweep(scores, labels)
            .into_iter()
            .map(|(_, tp, fp)| (fp as f64 / n, tp as f64 / m)),
    );
    out
}

/// One arm's ROC curve in a panel: (arm, (fpr, tpr) vertices, AUC).
pub(super) type ArmCurve = (String, Vec<(f64, f64)>, f64);

pub(super) struct RocPanel {
    pub(super) disease: String,
    pub(super) curves: Vec<ArmCurve>,
}

/// ROC curves of one classifier's out-of-fold scores: one panel per disease (diseases in
/// order of first appearance), every arm in it (first arm solid blue, second dashed
/// vermillion), AUCs in the legend.
pub fn roc(
    predictions: &[PredictionRow],
    classifier: &str,
    stem: &Path,
) -> Result<PlotFiles, StatsError> {
    let mine: Vec<&PredictionRow> = predictions
        .iter()
        .filter(|p| p.classifier == classifier)
        .collect();
    let mut diseases: Vec<&str> = Vec::new();
    let mut arms: Vec<&str> = Vec::new();
    for p in &mine {
        if !diseases.contains(&p.disease.as_str()) {
            diseases.push(&p.disease);
        }
        if !arms.contains(&p.arm.as_str()) {
            arms.push(&p.arm);
        }
    }
    if diseases.is_empty() {
        return Err(StatsError::Invalid(format!(
            "no predictions of classifier '{classifier}' to plot"
        )));
    }
    let mut panels = Vec::new();
    for d in &diseases {
        let mut curves = Vec::new();
        for a in &arms {
            let (scores, labels): (Vec<f64>, Vec<bool>) = mine
                .iter()
                .filter(|p| p.disease == *d && p.arm == *a)
                .map(|p| (p.score, p.label))
                .unzip();
            if scores.is_empty() {
                continue;
            }
            let area = auc(&scores, &labels).map_err(StatsError::from)?;
            curves.push((a.to_string(), roc_curve(&scores, &labels), area));
        }
        panels.push(RocPanel {
            disease: d.to_string(),
            curves,
        });
    }
    let cols = panels.len().min(3);
    let rows = panels.len().div_ceil(cols);
    let size = (300 * cols as u32, 300 * rows as u32 + 30);
    let title = format!("ROC, out-of-fold ({classifier})");
    render_both!(stem, size, draw_roc, &panels, cols, &title)
}

/// The pens of the first arm (solid blue) and of every other (dashed vermillion).
const ARM_PENS: [Pen; 2] = [
    Pen::new(OKABE_ITO[0], 2.0, Dash::Solid),
    Pen::new(OKABE_ITO[3], 2.0, Dash::Dashed),
];

pub(super) fn draw_roc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: Canvas,
    panels: &[RocPanel],
    cols: usize,
    title: &str,
) -> DrawResult {
    let s = c.s;
    let titled = under_title(root, title, s)?;
    let rows = panels.len().div_ceil(cols);
    let areas = titled.split_evenly((rows, cols));
    for (panel, area) in panels.iter().zip(areas.iter()) {
        let mut chart = framed(
            area,
            &panel.disease,
            Frame::new(TEXT.axis, (8.0, 20.0), (36.0, 40.0)),
            (0.0..1.0, 0.0..1.0),
            s,
        )?;
        house_mesh(&mut chart, s)
            .x_desc("1 − specificity")
            .y_desc("Sensitivity")
            .x_labels(3)
            .y_labels(3)
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                GREY.stroke_width(1),
            ))
            .map_err(err)?;
        let mut legend = Vec::new();
        for (k, (arm, curve, area_under)) in panel.curves.iter().enumerate() {
            let pen = ARM_PENS[k.min(1)];
            let points = curve.iter().map(|p| chart.backend_coord(p)).collect();
            stroke(root, points, pen, c)?;
            legend.push((Glyph::Line(pen), format!("{arm} {area_under:.3}")));
        }
        let plot = area_rect(chart.plotting_area().get_pixel_range());
        draw_legend(root, plot, Corner::LowerRight, &legend, c)?;
    }
    Ok(())
}
