//! How marks look, and the legend that shows them exactly as drawn: category markers (a colour
//! and, once the colours run out, a shape), dashed and dotted lines (a real
//! `stroke-dasharray` in the SVG), and a legend whose glyphs are drawn by the same functions
//! as the marks (plotters' own legend draws every line solid).
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{err, font, px, Canvas, DrawResult, GREY, OKABE_ITO, TEXT};
use super::labels::Rect;

/// The shape of a marker. Shapes are equal in area, so none looks more important.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
}

/// The shapes, in the order categories take them.
pub const SHAPES: [Shape; 5] = [
    Shape::Circle,
    Shape::Square,
    Shape::TriangleUp,
    Shape::Diamond,
    Shape::TriangleDown,
];

/// A category's mark: colour and shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Marker {
    pub colour: RGBColor,
    pub shape: Shape,
}

/// The mark of the `index`-th category: the seven Okabe-Ito colours as circles, then the same
/// colours as squares, triangles and so on, so 35 categories differ by colour or shape (and
/// neighbours, which are next to each other on the axis, always by colour).
pub fn category_marker(index: usize) -> Marker {
    Marker {
        colour: OKABE_ITO[index % OKABE_ITO.len()],
        shape: SHAPES[(index / OKABE_ITO.len()) % SHAPES.len()],
    }
}

/// Draws a marker of `shape` centred on `(x, y)` (pixels of `area`), as large as a circle of
/// radius `r` pixels.
pub(super) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    r: f64,
    shape: Shape,
    style: ShapeStyle,
) -> DrawResult {
    let at = |dx: f64, dy: f64| (x + dx.round() as i32, y + dy.round() as i32);
    let polygon = |points: Vec<(i32, i32)>| area.draw(&Polygon::new(points, style));
    match shape {
        Shape::Circle => area.draw(&Circle::new((x, y), r.round().max(1.0) as i32, style)),
        Shape::Square => {
            let h = r * 0.886;
            polygon(vec![at(-h, -h), at(h, -h), at(h, h), at(-h, h)])
        }
        Shape::Diamond => {
            let h = r * 1.253;
            polygon(vec![at(0.0, -h), at(h, 0.0), at(0.0, h), at(-h, 0.0)])
        }
        Shape::TriangleUp | Shape::TriangleDown => {
            // An equilateral triangle of the circle's area, centred on its centroid.
            let c = r * 1.555;
            let sign = if shape == Shape::TriangleUp {
                1.0
            } else {
                -1.0
            };
            polygon(vec![
                at(0.0, -sign * c),
                at(c * 0.866, sign * c * 0.5),
                at(-c * 0.866, sign * c * 0.5),
            ])
        }
    }
    .map_err(err)
}

/// The dash of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
}

impl Dash {
    /// (dash, gap) in layout pixels; `None` when solid.
    pub fn pattern(self) -> Option<(f64, f64)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((6.0, 4.0)),
            Dash::Dotted => Some((2.0, 3.0)),
        }
    }

    /// The SVG attribute value, e.g. "6 4".
    pub fn dasharray(self) -> Option<String> {
        self.pattern().map(|(on, off)| format!("{on} {off}"))
    }

    /// plotters' SVG backend writes no dashes; a dashed path is written solid with this
    /// opacity, which [`finish_svg`] turns into the dash. No mark of a chart is this opaque.
    fn tag(self) -> f64 {
        match self {
            Dash::Solid => 1.0,
            Dash::Dashed => 0.999_001,
            Dash::Dotted => 0.999_002,
        }
    }
}

/// A line's colour, width (layout pixels) and dash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Pen {
    pub colour: RGBColor,
    pub width: f64,
    pub dash: Dash,
}

impl Pen {
    pub(super) const fn new(colour: RGBColor, width: f64, dash: Dash) -> Pen {
        Pen {
            colour,
            width,
            dash,
        }
    }
}

/// Strokes the path `points` (pixels of `area`) with `pen`: in the SVG one polyline that
/// [`finish_svg`] gives its `stroke-dasharray`, in the PNG the dashes themselves.
pub(super) fn stroke<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: Vec<(i32, i32)>,
    pen: Pen,
    c: Canvas,
) -> DrawResult {
    let width = px(pen.width, c.s).max(1) as u32;
    let Pen { colour, dash, .. } = pen;
    match dash.pattern() {
        Some((on, off)) if !c.vector => area.draw(&DashedPathElement::new(
            points,
            px(on, c.s),
            px(off, c.s),
            colour.stroke_width(width),
        )),
        _ => area.draw(&PathElement::new(
            points,
            RGBAColor(colour.0, colour.1, colour.2, dash.tag()).stroke_width(width),
        )),
    }
    .map_err(err)
}

/// The SVG as written by plotters, with each tagged path's opacity replaced by its dash.
pub(super) fn finish_svg(svg: &str) -> String {
    let mut out = svg.to_string();
    for dash in [Dash::Dashed, Dash::Dotted] {
        if let Some(array) = dash.dasharray() {
            out = out.replace(
                &format!("opacity=\"{}\"", dash.tag()),
                &format!("opacity=\"1\" stroke-dasharray=\"{array}\""),
            );
        }
    }
    out
}

/// What a legend entry shows before its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Glyph {
    Line(Pen),
    /// A marker of this radius (layout pixels).
    Mark(Marker, f64),
}

/// Where a legend sits inside the plotting area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Corner {
    UpperLeft,
    UpperRight,
    LowerRight,
}

/// Draws a legend of `entries` in `corner` of the plotting area `plot` (pixels), each glyph by
/// the function that draws the mark itself; returns its box, for labels to keep clear of.
pub(super) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: Rect,
    corner: Corner,
    entries: &[(Glyph, String)],
    c: Canvas,
) -> Result<Rect, String> {
    let style = font(TEXT.legend, c.s);
    let (pad, glyph, line) = (6.0 * c.s, 22.0 * c.s, TEXT.legend * 1.5 * c.s);
    let mut text_w = 0.0f64;
    for (_, text) in entries {
        text_w = text_w.max(root.estimate_text_size(text, &style).map_err(err)?.0 as f64);
    }
    let (w, h) = (
        2.0 * pad + glyph + pad + text_w,
        2.0 * pad + line * entries.len() as f64,
    );
    let inset = 8.0 * c.s;
    let x0 = match corner {
        Corner::UpperLeft => plot.x0 + inset,
        Corner::UpperRight | Corner::LowerRight => plot.x1 - inset - w,
    };
    let y0 = match corner {
        Corner::UpperLeft | Corner::UpperRight => plot.y0 + inset,
        Corner::LowerRight => plot.y1 - inset - h,
    };
    let rect = Rect::at((x0, y0), (w, h));
    let corners = [
        (x0.round() as i32, y0.round() as i32),
        ((x0 + w).round() as i32, (y0 + h).round() as i32),
    ];
    root.draw(&Rectangle::new(corners, WHITE.mix(0.85).filled()))
        .map_err(err)?;
    root.draw(&Rectangle::new(corners, GREY.stroke_width(1)))
        .map_err(err)?;
    for (i, (g, text)) in entries.iter().enumerate() {
        let y = (y0 + pad + line * (i as f64 + 0.5)).round() as i32;
        let gx = x0 + pad;
        match *g {
            Glyph::Line(pen) => stroke(
                root,
                vec![(gx.round() as i32, y), ((gx + glyph).round() as i32, y)],
                pen,
                c,
            )?,
            Glyph::Mark(m, r) => draw_marker(
                root,
                ((gx + glyph / 2.0).round() as i32, y),
                r * c.s,
                m.shape,
                m.colour.filled(),
            )?,
        }
        root.draw(&Text::new(
            text.clone(),
            ((gx + glyph + pad).round() as i32, y),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(rect)
}
