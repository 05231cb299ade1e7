//! Point labels: abbreviated by one rule, and placed so that no two overlap, none covers a
//! point or the legend, and none leaves the plotting area. The placement is a pure function of
//! boxes in pixels, so it is tested without drawing.
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{err, font, px, Canvas, DrawResult, GREY, TEXT};
pub use crate::text::abbreviate;

/// How many characters of a name a label keeps: every figure abbreviates to this width.
pub const LABEL_CHARS: usize = 30;

/// A box in pixels, `x0 <= x1` left to right and `y0 <= y1` top to bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    /// The box of `w` by `h` whose top-left corner is `(x, y)`.
    pub fn at((x, y): (f64, f64), (w, h): (f64, f64)) -> Rect {
        Rect {
            x0: x,
            y0: y,
            x1: x + w,
            y1: y + h,
        }
    }

    /// The square of half-side `r` around `(x, y)`: a marker's box.
    pub fn around((x, y): (f64, f64), r: f64) -> Rect {
        Rect::at((x - r, y - r), (2.0 * r, 2.0 * r))
    }

    /// Whether the two boxes share any area (touching edges do not).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// Whether `self` lies wholly inside `outer`.
    pub fn inside(&self, outer: &Rect) -> bool {
        self.x0 >= outer.x0 && self.x1 <= outer.x1 && self.y0 >= outer.y0 && self.y1 <= outer.y1
    }

    /// The point of the box nearest to `(x, y)`: where a leader line ends.
    pub fn nearest(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (x.clamp(self.x0, self.x1), y.clamp(self.y0, self.y1))
    }
}

/// Where a label went: its box, and whether it sits away from its point (drawn with a leader
/// line back to it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub rect: Rect,
    pub leader: bool,
}

/// Distances (in multiples of `gap`) at which labels are tried around their point; beyond
/// the first ring a leader line joins label and point, so no label is further from its point
/// than the last ring.
pub const RINGS: [f64; 8] = [1.0, 2.5, 4.0, 6.0, 9.0, 13.0, 18.0, 24.0];

/// Places labels greedily, in the order given (the most important first): label `i` of size
/// `sizes[i]` belongs to the point `anchors[i]`, and is tried right, left, above, below, at
/// the four diagonals of it and above or below flush with it, `gap` pixels away and then on
/// the wider [`RINGS`]. The first position
/// that lies inside `area`, overlaps no label placed before and no `obstacles` box (every
/// marker, the legend) is taken; a label with no free position is left out (`None`), never
/// drawn over something.
pub fn place_labels(
    anchors: &[(f64, f64)],
    sizes: &[(f64, f64)],
    obstacles: &[Rect],
    area: Rect,
    gap: f64,
) -> Vec<Option<Placement>> {
    let mut placed: Vec<Rect> = Vec::new();
    anchors
        .iter()
        .zip(sizes)
        .map(|(&(ax, ay), &(w, h))| {
            let free = |r: &Rect| {
                r.inside(&area)
                    && !placed.iter().any(|p| p.overlaps(r))
                    && !obstacles.iter().any(|o| o.overlaps(r))
            };
            let found = RINGS.iter().enumerate().find_map(|(ring, k)| {
                let d = gap * k;
                let diag = d * std::f64::consts::FRAC_1_SQRT_2;
                [
                    (ax + d, ay - h / 2.0),
                    (ax - d - w, ay - h / 2.0),
                    (ax - w / 2.0, ay - d - h),
                    (ax - w / 2.0, ay + d),
                    (ax + diag, ay - diag - h),
                    (ax - diag - w, ay - diag - h),
                    (ax + diag, ay + diag),
                    (ax - diag - w, ay + diag),
                    // Straight above or below, starting or ending at the point: near an edge
                    // of the plot the centred positions do not fit.
                    (ax, ay - d - h),
                    (ax - w, ay - d - h),
                    (ax, ay + d),
                    (ax - w, ay + d),
                ]
                .into_iter()
                .map(|corner| Rect::at(corner, (w, h)))
                .find(|r| free(r))
                .map(|rect| Placement {
                    rect,
                    leader: ring > 0,
                })
            });
            if let Some(p) = found {
                placed.push(p.rect);
            }
            found
        })
        .collect()
}

/// The pixel box of a chart's plotting area.
pub(super) fn area_rect((x, y): (std::ops::Range<i32>, std::ops::Range<i32>)) -> Rect {
    Rect {
        x0: x.start as f64,
        y0: y.start as f64,
        x1: x.end as f64,
        y1: y.end as f64,
    }
}

/// Draws `labels` (point in backend pixels, text; the most important first) on `root`,
/// placed by [`place_labels`] inside `area` clear of `obstacles`.
pub(super) fn draw_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: Canvas,
    labels: &[((i32, i32), String)],
    obstacles: &[Rect],
    area: Rect,
) -> DrawResult {
    let style = font(TEXT.label, c.s);
    let pad = px(2.0, c.s);
    let mut sizes = Vec::with_capacity(labels.len());
    for (_, text) in labels {
        let (w, h) = root.estimate_text_size(text, &style).map_err(err)?;
        sizes.push(((w as i32 + 2 * pad) as f64, (h as i32 + 2 * pad) as f64));
    }
    let anchors: Vec<(f64, f64)> = labels
        .iter()
        .map(|((x, y), _)| (*x as f64, *y as f64))
        .collect();
    let placed = place_labels(&anchors, &sizes, obstacles, area, 6.0 * c.s);
    for (((x, y), text), at) in labels.iter().zip(placed) {
        let Some(at) = at else { continue };
        if at.leader {
            let (lx, ly) = at.rect.nearest((*x as f64, *y as f64));
            root.draw(&PathElement::new(
                vec![(*x, *y), (lx.round() as i32, ly.round() as i32)],
                GREY.stroke_width(1),
            ))
            .map_err(err)?;
        }
        root.draw(&Text::new(
            text.clone(),
            (
                at.rect.x0.round() as i32 + pad,
                at.rect.y0.round() as i32 + pad,
            ),
            style.pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(err)?;
    }
    Ok(())
}
