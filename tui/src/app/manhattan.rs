//! The Manhattan chart of the results screen as data: where each row shown is drawn (factors
//! grouped by category along x, -log10 p up) and how the cursor moves from point to point.
//! The view draws it; the keys move through it; neither needs a terminal to be tested.

use std::collections::HashMap;

use meshagents_stats::phewas::AssociationRow;

/// A category's run of factors along x: factors `start..end`.
#[derive(Debug, Clone, PartialEq)]
pub struct CategorySpan {
    pub name: String,
    pub start: usize,
    pub end: usize,
}

impl CategorySpan {
    /// The x of the middle of the run, in the chart's coordinates (factor `i` sits at `i`).
    pub fn middle(&self) -> f64 {
        (self.start + self.end) as f64 / 2.0 - 0.5
    }
}

/// One row drawn: its position in the rows shown (`ResultsView::visible`), where it sits, and
/// the index of its category in [`ManhattanPlot::categories`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub shown: usize,
    pub x: f64,
    pub y: f64,
    pub category: usize,
}

/// How the cursor moves: Left/Right to the previous/next point in x order (ties by height),
/// Up/Down to the next higher/lower point of the whole chart (the next smaller/larger p),
/// Top to the highest point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Left,
    Right,
    Up,
    Down,
    Top,
}

/// The chart of the rows shown. Rows without a p value (skipped, failed) are not drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManhattanPlot {
    /// In the table's row order (first appearance), so sorting the table does not move them.
    pub categories: Vec<CategorySpan>,
    /// The number of factors along x.
    pub factors: usize,
    /// Sorted by x, then by height: the order Left/Right walk.
    pub points: Vec<Point>,
    pub ymax: f64,
    /// Point indices from lowest to highest (ties by x): the order Up/Down walk.
    by_height: Vec<usize>,
    /// The inverse of `by_height`.
    height_rank: Vec<usize>,
    /// Position in the rows shown -> point index.
    at_shown: HashMap<usize, usize>,
}

/// -log10 p is capped so that a p of 0 stays on the chart.
const Y_CAP: f64 = 300.0;

impl ManhattanPlot {
    /// The chart of `rows[shown[..]]`.
    pub fn new(rows: &[AssociationRow], shown: &[usize]) -> ManhattanPlot {
        // Each category and factor is placed by its first row in the table.
        let mut category_first: HashMap<&str, usize> = HashMap::new();
        let mut factor_first: HashMap<(&str, &str), usize> = HashMap::new();
        let drawn: Vec<(usize, usize)> = shown
            .iter()
            .enumerate()
            .filter(|(_, &i)| !rows[i].neg_log10_p.is_nan())
            .map(|(pos, &i)| (pos, i))
            .collect();
        for &(_, i) in &drawn {
            let a = &rows[i];
            let c = category_first.entry(a.category.as_str()).or_insert(i);
            *c = (*c).min(i);
            let f = factor_first
                .entry((a.category.as_str(), a.factor.as_str()))
                .or_insert(i);
            *f = (*f).min(i);
        }
        let mut categories: Vec<(&str, usize)> = category_first.into_iter().collect();
        categories.sort_by_key(|&(_, first)| first);
        let category_index: HashMap<&str, usize> = categories
            .iter()
            .enumerate()
            .map(|(k, &(c, _))| (c, k))
            .collect();
        let mut factors: Vec<((&str, &str), usize)> = factor_first.into_iter().collect();
        factors.sort_by_key(|&((c, _), first)| (category_index[c], first));
        let factor_x: HashMap<(&str, &str), usize> = factors
            .iter()
            .enumerate()
            .map(|(x, &(key, _))| (key, x))
            .collect();
        let mut spans: Vec<CategorySpan> = categories
            .iter()
            .map(|&(name, _)| CategorySpan {
                name: if name.is_empty() {
                    "(no category)".into()
                } else {
                    name.to_string()
                },
                start: usize::MAX,
                end: 0,
            })
            .collect();
        for (x, &((c, _), _)) in factors.iter().enumerate() {
            let span = &mut spans[category_index[c]];
            span.start = span.start.min(x);
            span.end = span.end.max(x + 1);
        }
        let mut ymax: f64 = 1.0;
        let mut points: Vec<Point> = drawn
            .iter()
            .map(|&(pos, i)| {
                let a = &rows[i];
                let y = a.neg_log10_p.min(Y_CAP);
                ymax = ymax.max(y);
                Point {
                    shown: pos,
                    x: factor_x[&(a.category.as_str(), a.factor.as_str())] as f64,
                    y,
                    category: category_index[a.category.as_str()],
                }
            })
            .collect();
        points.sort_by(|a, b| {
            a.x.total_cmp(&b.x)
                .then(a.y.total_cmp(&b.y))
                .then(a.shown.cmp(&b.shown))
        });
        let mut by_height: Vec<usize> = (0..points.len()).collect();
        by_height.sort_by(|&a, &b| {
            let (p, q) = (&points[a], &points[b]);
            p.y.total_cmp(&q.y).then(p.x.total_cmp(&q.x))
        });
        let mut height_rank = vec![0; points.len()];
        for (rank, &p) in by_height.iter().enumerate() {
            height_rank[p] = rank;
        }
        let at_shown = points
            .iter()
            .enumerate()
            .map(|(k, p)| (p.shown, k))
            .collect();
        ManhattanPlot {
            categories: spans,
            factors: factors.len(),
            points,
            ymax,
            by_height,
            height_rank,
            at_shown,
        }
    }

    /// The point of the row at position `shown` of the rows shown, if it is drawn.
    pub fn point_at(&self, shown: usize) -> Option<&Point> {
        self.at_shown.get(&shown).map(|&k| &self.points[k])
    }

    /// Where the cursor goes from the row at position `shown` (as a position in the rows
    /// shown); from a row that is not drawn, to the highest point. `None` on an empty chart.
    pub fn step(&self, shown: usize, m: Move) -> Option<usize> {
        let top = *self.by_height.last()?;
        let next = match (self.at_shown.get(&shown), m) {
            (None, _) | (_, Move::Top) => top,
            (Some(&k), Move::Left) => k.saturating_sub(1),
            (Some(&k), Move::Right) => (k + 1).min(self.points.len() - 1),
            (Some(&k), Move::Up) => {
                self.by_height[(self.height_rank[k] + 1).min(self.points.len() - 1)]
            }
            (Some(&k), Move::Down) => self.by_height[self.height_rank[k].saturating_sub(1)],
        };
        Some(self.points[next].shown)
    }
}
