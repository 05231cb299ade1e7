//! Figures for a paper, each written as SVG (for the report and for editing) and PNG (at 3x,
//! for slides and previews): Manhattan, volcano and QQ plots of the association table, the
//! ROC curves of the classification validation, and a forest plot of the top hits.
//!
//! Legibility at a paper's column width: a figure is laid out in "pixels" where text is at
//! least 14 px; a single-column figure is 480 px wide, so printed at 3.5 in (252 pt) text is
//! at least 7 pt. Double-column figures (Manhattan, ROC grid) are about twice as wide.
//! Colours are Okabe & Ito's colour-blind-safe palette; lines also differ by dash, and
//! significance by marker, so nothing relies on colour alone.
//!
//! Text is measured with an embedded DejaVu Sans (`assets/fonts`, Bitstream Vera licence)
//! through plotters' pure-Rust `ab_glyph` path, so no fontconfig or freetype is needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::classify::metrics::auc;
use crate::classify::PredictionRow;
use crate::error::StatsError;
use crate::phewas::rows::AssociationRow;

/// Okabe & Ito (2008) colour-blind-safe palette, without yellow (too light on white).
pub const OKABE_ITO: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(0, 0, 0),       // black
];
const GREY: RGBColor = RGBColor(150, 150, 150);
const GRID: RGBColor = RGBColor(232, 232, 232);
const FONT: &str = "sans-serif";
/// PNGs are drawn at this multiple of the layout size.
const PNG_SCALE: f64 = 3.0;

static FONT_INIT: Once = Once::new();

fn register_font() {
    FONT_INIT.call_once(|| {
        // The bytes are compiled in and known to parse; a failure would only leave text
        // unmeasured, which plotters reports as a drawing error later.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

/// The two files of one figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFiles {
    pub svg: PathBuf,
    pub png: PathBuf,
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws the figure twice, on an SVG at layout size and a PNG at [`PNG_SCALE`], from one
/// generic drawing function `$draw(&root, scale, args...)`.
macro_rules! render_both {
    ($stem:expr, $size:expr, $draw:ident $(, $arg:expr)*) => {{
        register_font();
        let stem: &Path = $stem;
        let (w, h): (u32, u32) = $size;
        let files = PlotFiles {
            svg: stem.with_extension("svg"),
            png: stem.with_extension("png"),
        };
        if let Some(parent) = stem.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StatsError::io(parent, e))?;
        }
        let fail = |path: &Path, message: String| StatsError::Plot {
            path: path.display().to_string(),
            message,
        };
        {
            let root = SVGBackend::new(&files.svg, (w, h)).into_drawing_area();
            $draw(&root, 1.0 $(, $arg)*).map_err(|m| fail(&files.svg, m))?;
            root.present().map_err(|e| fail(&files.svg, e.to_string()))?;
        }
        {
            let size = ((w as f64 * PNG_SCALE) as u32, (h as f64 * PNG_SCALE) as u32);
            let root = BitMapBackend::new(&files.png, size).into_drawing_area();
            $draw(&root, PNG_SCALE $(, $arg)*).map_err(|m| fail(&files.png, m))?;
            root.present().map_err(|e| fail(&files.png, e.to_string()))?;
        }
        Ok(files)
    }};
}

/// A font of `size` layout pixels at scale `s`.
fn font(size: f64, s: f64) -> TextStyle<'static> {
    (FONT, size * s).into_font().color(&BLACK)
}

/// Tick labels without a useless ".0" ("60", "0.5", "-0.25").
fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v.round())
    } else {
        let t = format!("{v:.3}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn px(v: f64, s: f64) -> i32 {
    (v * s).round() as i32
}

/// -log10 p, with p = 0 (underflow) shown at the top of the finite range.
fn neg_log10_capped(p: f64, cap: f64) -> f64 {
    if p > 0.0 {
        (-p.log10()).min(cap)
    } else {
        cap
    }
}

/// The rows that were tested, with a usable p.
fn tested(rows: &[AssociationRow]) -> Vec<&AssociationRow> {
    rows.iter()
        .filter(|r| r.status == "ok" && r.p.is_finite() && (0.0..=1.0).contains(&r.p))
        .collect()
}

/// Significance lines of a family: Bonferroni at alpha / m, and the Benjamini-Hochberg
/// threshold (the largest p with q <= alpha), when any row passes it.
fn thresholds(rows: &[&AssociationRow], alpha: f64) -> (f64, Option<f64>) {
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

fn y_cap(rows: &[&AssociationRow]) -> f64 {
    let finite = rows
        .iter()
        .filter(|r| r.p > 0.0)
        .map(|r| -r.p.log10())
        .fold(0.0f64, f64::max);
    // Underflowed p-values (0) are drawn just above the largest finite value.
    (finite * 1.05).max(1.0)
}

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

struct ManhattanPoint {
    x: f64,
    y: f64,
    colour: usize,
    radius: f64,
}

struct ManhattanData {
    points: Vec<ManhattanPoint>,
    /// (category, first x, last x) of each group.
    groups: Vec<(String, f64, f64)>,
    x_max: f64,
    y_max: f64,
    bonferroni: f64,
    fdr: Option<f64>,
    /// (x, y, text) of the labelled hits.
    labels: Vec<(f64, f64, String)>,
    title: String,
    family: usize,
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

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

fn draw_manhattan<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    d: &ManhattanData,
) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(&d.title, font(18.0, s))
        .margin(px(10.0, s))
        .margin_right(px(16.0, s))
        .x_label_area_size(px(70.0, s))
        .y_label_area_size(px(52.0, s))
        .build_cartesian_2d(-1.0..d.x_max + 1.0, 0.0..d.y_max * 1.08)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("−log₁₀ p")
        .label_style(font(14.0, s))
        .axis_desc_style(font(15.0, s))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
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
    chart
        .configure_series_labels()
        .legend_area_size(px(26.0, s))
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(13.0, s))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .draw()
        .map_err(err)?;
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
    draw_labels(
        root,
        s,
        &d.labels
            .iter()
            .map(|(x, y, t)| (chart.backend_coord(&(*x, *y)), t.as_str()))
            .collect::<Vec<_>>(),
    )
}

/// Labels next to their points, pushed apart vertically so they do not overlap, with a
/// leader line from point to label.
fn draw_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    labels: &[((i32, i32), &str)],
) -> DrawResult {
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

struct VolcanoData {
    /// (beta clamped to the x range, -log10 p, class: 0 ns, 1 FDR, 2 Bonferroni, clamped?)
    points: Vec<(f64, f64, usize, bool)>,
    x_max: f64,
    y_max: f64,
    bonferroni: f64,
    labels: Vec<(f64, f64, String)>,
    title: String,
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

fn draw_volcano<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    d: &VolcanoData,
) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(&d.title, font(17.0, s))
        .margin(px(10.0, s))
        .x_label_area_size(px(44.0, s))
        .y_label_area_size(px(50.0, s))
        .build_cartesian_2d(-d.x_max..d.x_max, 0.0..d.y_max * 1.08)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("β (per unit of the factor)")
        .y_desc("−log₁₀ p")
        .label_style(font(14.0, s))
        .axis_desc_style(font(15.0, s))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .x_labels(6)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
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
    chart
        .configure_series_labels()
        .legend_area_size(px(26.0, s))
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(font(13.0, s))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .draw()
        .map_err(err)?;
    draw_labels(
        root,
        s,
        &d.labels
            .iter()
            .map(|(x, y, t)| (chart.backend_coord(&(*x, *y)), t.as_str()))
            .collect::<Vec<_>>(),
    )
}

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

struct QqData {
    /// (expected, observed) -log10 p, ascending.
    points: Vec<(f64, f64)>,
    /// Pointwise 95 % band of the expected order statistics: (expected, low, high).
    band: Vec<(f64, f64, f64)>,
    max: f64,
    lambda: f64,
    title: String,
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

fn draw_qq<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: f64, d: &QqData) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let x_max = d.points.iter().map(|p| p.0).fold(1.0f64, f64::max) * 1.05;
    let mut chart = ChartBuilder::on(root)
        .caption(&d.title, font(17.0, s))
        .margin(px(10.0, s))
        .margin_right(px(18.0, s))
        .x_label_area_size(px(44.0, s))
        .y_label_area_size(px(50.0, s))
        .build_cartesian_2d(0.0..x_max, 0.0..d.max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("Expected −log₁₀ p")
        .y_desc("Observed −log₁₀ p")
        .label_style(font(14.0, s))
        .axis_desc_style(font(15.0, s))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
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
        font(15.0, s).pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .map_err(err)?;
    Ok(())
}

/// The ROC curve of scores (higher = case): (false positive rate, true positive rate) from
/// (0, 0) to (1, 1), one vertex per distinct score.
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let m = labels.iter().filter(|l| **l).count().max(1) as f64;
    let n = labels.iter().filter(|l| !**l).count().max(1) as f64;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let mut out = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let t = scores[order[i]];
        while i < order.len() && scores[order[i]] == t {
            if labels[order[i]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        out.push((fp / n, tp / m));
    }
    out
}

/// One arm's ROC curve in a panel: (arm, (fpr, tpr) vertices, AUC).
type ArmCurve = (String, Vec<(f64, f64)>, f64);

struct RocPanel {
    disease: String,
    curves: Vec<ArmCurve>,
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

fn draw_roc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    panels: &[RocPanel],
    cols: usize,
    title: &str,
) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    // A little air above the title, which `titled` puts flush with the top edge.
    let root = root
        .margin(px(6.0, s), 0, 0, 0)
        .titled(title, font(17.0, s))
        .map_err(err)?;
    let rows = panels.len().div_ceil(cols);
    let areas = root.split_evenly((rows, cols));
    for (panel, area) in panels.iter().zip(areas.iter()) {
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.disease, font(15.0, s))
            .margin(px(8.0, s))
            .margin_right(px(20.0, s))
            .x_label_area_size(px(36.0, s))
            .y_label_area_size(px(40.0, s))
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("1 − specificity")
            .y_desc("Sensitivity")
            .x_labels(3)
            .y_labels(3)
            .label_style(font(13.0, s))
            .axis_desc_style(font(13.0, s))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                GREY.stroke_width(1),
            ))
            .map_err(err)?;
        for (k, (arm, curve, area_under)) in panel.curves.iter().enumerate() {
            let colour = if k == 0 { OKABE_ITO[0] } else { OKABE_ITO[3] };
            let width = px(2.0, s).max(1) as u32;
            let label = format!("{arm} {area_under:.3}");
            if k == 0 {
                chart
                    .draw_series(LineSeries::new(curve.clone(), colour.stroke_width(width)))
                    .map_err(err)?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(
                            vec![(x, y), (x + px(18.0, s), y)],
                            colour.stroke_width(width),
                        )
                    });
            } else {
                chart
                    .draw_series(DashedLineSeries::new(
                        curve.clone(),
                        px(5.0, s),
                        px(3.0, s),
                        ShapeStyle::from(&colour).stroke_width(width),
                    ))
                    .map_err(err)?
                    .label(label)
                    .legend(move |(x, y)| {
                        // Two dashes, like the curve.
                        let style = colour.stroke_width(width);
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (px(7.0, s), 0)], style)
                            + PathElement::new(vec![(px(11.0, s), 0), (px(18.0, s), 0)], style)
                    });
            }
        }
        chart
            .configure_series_labels()
            .legend_area_size(px(26.0, s))
            .position(SeriesLabelPosition::LowerRight)
            .label_font(font(12.5, s))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

struct ForestRow {
    label: String,
    beta: f64,
    low: f64,
    high: f64,
    p: String,
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

fn draw_forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: f64,
    d: &[ForestRow],
) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let lo = d.iter().map(|r| r.low).fold(0.0f64, f64::min);
    let hi = d.iter().map(|r| r.high).fold(0.0f64, f64::max);
    let pad = (hi - lo).max(1e-12) * 0.06;
    let n = d.len() as f64;
    let (w, _) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally(px(250.0, s).min(w as i32 / 2));
    let (plot, pcol) =
        right.split_horizontally((right.dim_in_pixel().0 as i32 - px(64.0, s)).max(1));
    let mut chart = ChartBuilder::on(&plot)
        .caption("Top associations: β and 95 % CI", font(16.0, s))
        .margin(px(8.0, s))
        .x_label_area_size(px(40.0, s))
        .build_cartesian_2d(lo - pad..hi + pad, -0.5..n - 0.5)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(5)
        .x_desc("β")
        .label_style(font(13.0, s))
        .axis_desc_style(font(14.0, s))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
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
