//! The scaffold every chart stands on: the palette, the embedded font, sizes in layout pixels
//! scaled for the PNG, tick labels, and `render_both!`, which draws one figure as SVG and PNG
//! from one drawing function.
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Okabe & Ito (2008) colour-blind-safe palette, without yellow (too light on white).
/// Categories beyond these seven colours also change marker shape (`style::category_marker`).
pub const OKABE_ITO: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(0, 0, 0),       // black
];

/// The text sizes of every figure, in layout pixels: one set, so that a paper's figures (and
/// the report that shows them side by side) read alike. Ticks, point labels and legends share
/// one size, so a figure has at most three.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextSizes {
    pub title: f64,
    pub axis: f64,
    pub tick: f64,
    pub label: f64,
    pub legend: f64,
}

/// The sizes every chart uses; at 3.5 in (252 pt) for a 480 px figure, 13 px prints at 6.8 pt.
pub const TEXT: TextSizes = TextSizes {
    title: 16.0,
    axis: 14.0,
    tick: 13.0,
    label: 13.0,
    legend: 13.0,
};

pub(super) const GREY: RGBColor = RGBColor(150, 150, 150);

pub(super) const GRID: RGBColor = RGBColor(232, 232, 232);

pub(super) const FONT: &str = "sans-serif";

/// PNGs are drawn at this multiple of the layout size.
pub(super) const PNG_SCALE: f64 = 3.0;

pub(super) static FONT_INIT: Once = Once::new();

pub(super) fn register_font() {
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

pub(super) type DrawResult = Result<(), String>;

pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Which output a drawing function draws: the SVG at layout size (`vector`), or the PNG at
/// [`PNG_SCALE`]. `s` multiplies every layout length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Canvas {
    pub s: f64,
    pub vector: bool,
}

impl Canvas {
    pub(super) const SVG: Canvas = Canvas {
        s: 1.0,
        vector: true,
    };
    pub(super) const PNG: Canvas = Canvas {
        s: PNG_SCALE,
        vector: false,
    };
}

/// Draws the figure twice, on an SVG at layout size and a PNG at [`PNG_SCALE`], each on
/// white, from one generic drawing function `$draw(&root, canvas, args...)`. A macro, not a
/// function, because the drawing function is generic over the backend and a closure cannot
/// be; its paths are absolute so that the chart files need not import what it uses. The SVG
/// is drawn into a string and finished (its dashes, `style::finish_svg`) before it is written.
macro_rules! render_both {
    ($stem:expr, $size:expr, $draw:ident $(, $arg:expr)*) => {{
        use $crate::figures::chart::Canvas;
        $crate::figures::chart::register_font();
        let stem: &std::path::Path = $stem;
        let (w, h): (u32, u32) = $size;
        let files = $crate::figures::chart::PlotFiles {
            svg: stem.with_extension("svg"),
            png: stem.with_extension("png"),
        };
        if let Some(parent) = stem.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| $crate::error::StatsError::io(parent, e))?;
        }
        let fail = |path: &std::path::Path, message: String| $crate::error::StatsError::Plot {
            path: path.display().to_string(),
            message,
        };
        let mut text = String::new();
        {
            let root = plotters::prelude::SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
            root.fill(&plotters::prelude::WHITE).map_err(|e| fail(&files.svg, e.to_string()))?;
            $draw(&root, Canvas::SVG $(, $arg)*).map_err(|m| fail(&files.svg, m))?;
            root.present().map_err(|e| fail(&files.svg, e.to_string()))?;
        }
        std::fs::write(&files.svg, $crate::figures::style::finish_svg(&text))
            .map_err(|e| $crate::error::StatsError::io(&files.svg, e))?;
        {
            let size = ((w as f64 * Canvas::PNG.s) as u32, (h as f64 * Canvas::PNG.s) as u32);
            let root = plotters::prelude::BitMapBackend::new(&files.png, size).into_drawing_area();
            root.fill(&plotters::prelude::WHITE).map_err(|e| fail(&files.png, e.to_string()))?;
            $draw(&root, Canvas::PNG $(, $arg)*).map_err(|m| fail(&files.png, m))?;
            root.present().map_err(|e| fail(&files.png, e.to_string()))?;
        }
        Ok(files)
    }};
}
pub(super) use render_both;

/// A chart with numbers on both axes, as every figure draws them.
pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The chart's mesh in the style every chart shares: light grid lines, tick labels and axis
/// titles in the sizes of [`TEXT`], numbers by [`tick`]. One place, so the charts of a paper
/// look alike; the caller names its axes and draws it.
pub(super) fn house_mesh<'a, 'b, DB: DrawingBackend>(
    chart: &'b mut Chart<'a, DB>,
    s: f64,
) -> MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
    let mut mesh = chart.configure_mesh();
    mesh.label_style(font(TEXT.tick, s))
        .axis_desc_style(font(TEXT.axis, s))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick);
    mesh
}

/// Where a chart sits in its area, in layout pixels: the caption's font size (one of
/// [`TEXT`]'s), the margins
/// (the right one apart, for the last tick label) and the areas of the axis labels.
pub(super) struct Frame {
    pub caption: f64,
    pub margin: f64,
    pub margin_right: f64,
    pub x_labels: f64,
    pub y_labels: f64,
}

impl Frame {
    /// A frame from the caption's size, the (left/top/bottom, right) margins and the (x, y)
    /// label areas.
    pub(super) const fn new(
        caption: f64,
        (margin, margin_right): (f64, f64),
        (x_labels, y_labels): (f64, f64),
    ) -> Frame {
        Frame {
            caption,
            margin,
            margin_right,
            x_labels,
            y_labels,
        }
    }
}

/// A cartesian chart over `x` by `y` on `area`, captioned `title`, placed by `frame`.
pub(super) fn framed<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    frame: Frame,
    (x, y): (Range<f64>, Range<f64>),
    s: f64,
) -> Result<Chart<'a, DB>, String> {
    ChartBuilder::on(area)
        .caption(title, font(frame.caption, s))
        .margin(px(frame.margin, s))
        .margin_right(px(frame.margin_right, s))
        .x_label_area_size(px(frame.x_labels, s))
        .y_label_area_size(px(frame.y_labels, s))
        .build_cartesian_2d(x, y)
        .map_err(err)
}

/// The area under a figure's title, for figures of several panels: a little air above the
/// title, which plotters' `titled` puts flush with the top edge.
pub(super) fn under_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    s: f64,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.margin(px(6.0, s), 0, 0, 0)
        .titled(title, font(TEXT.title, s))
        .map_err(err)
}

/// A font of `size` layout pixels at scale `s`.
pub(super) fn font(size: f64, s: f64) -> TextStyle<'static> {
    (FONT, size * s).into_font().color(&BLACK)
}

/// Tick labels without a useless ".0" ("60", "0.5", "-0.25").
pub(super) fn tick(v: &f64) -> String {
    // A tick at zero computed as -1e-17 would read "-0".
    if v.abs() < 1e-9 {
        "0".to_string()
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v.round())
    } else {
        let t = format!("{v:.3}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub(super) fn px(v: f64, s: f64) -> i32 {
    (v * s).round() as i32
}
