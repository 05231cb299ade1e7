//! The results screen's Manhattan chart: factors grouped by category along x, -log10 p up,
//! every category named under the x axis, the caption below the plot (never over its
//! points), and the cursor's point marked. Drawn on a canvas rather than ratatui's `Chart`,
//! whose axis labels are spread evenly rather than under their categories and whose axis
//! titles are drawn inside the plot.

use ratatui::layout::Position;
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Points};
use ratatui::widgets::Borders;

use super::*;
use crate::app::manhattan::ManhattanPlot;
use crate::app::ResultsView;

/// Rows under the plot for the category names (staggered over two rows when one is not
/// enough).
const LABEL_ROWS: usize = 2;

pub(super) fn render_manhattan(r: &ResultsView, f: &mut Frame, area: Rect, title: &str) {
    let plot = &r.plot;
    let block = Block::bordered()
        .title(title.to_string())
        .title_bottom(" Left/Right previous/next point  Up/Down higher/lower  Home top  m table ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [chart, labels, caption] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(LABEL_ROWS as u16),
        Constraint::Length(1),
    ])
    .areas(inner);
    let tests = r.table.rows.iter().filter(|a| !a.p.is_nan()).count().max(1);
    let bonf = -(0.05 / tests as f64).log10();
    let ymax = plot.ymax.max(bonf) * 1.05;
    let y_labels = [
        format!("{ymax:.0}"),
        format!("{:.0}", ymax / 2.0),
        "0".into(),
    ];
    let y_width = y_labels.iter().map(String::len).max().unwrap_or(1) as u16 + 1;
    let [y_axis, canvas_area] =
        Layout::horizontal([Constraint::Length(y_width), Constraint::Min(4)]).areas(chart);
    // The canvas's own border is the axes: its left and bottom lines.
    let axes = Block::new().borders(Borders::LEFT | Borders::BOTTOM);
    let plot_area = axes.inner(canvas_area);
    let x_bounds = [-0.5, plot.factors.max(1) as f64 - 0.5];
    let y_bounds = [0.0, ymax];
    let mut by_category: Vec<Vec<(f64, f64)>> = vec![Vec::new(); plot.categories.len()];
    for p in &plot.points {
        by_category[p.category].push((p.x, p.y));
    }
    let cursor = plot.point_at(r.selected).copied();
    let canvas = Canvas::default()
        .block(axes)
        .x_bounds(x_bounds)
        .y_bounds(y_bounds)
        .paint(|ctx| {
            if let Some(c) = cursor {
                ctx.draw(&CanvasLine::new(c.x, 0.0, c.x, ymax, Color::DarkGray));
                ctx.layer();
            }
            for (k, pts) in by_category.iter().enumerate() {
                ctx.draw(&Points::new(pts, CYCLE[k % CYCLE.len()]));
            }
            ctx.draw(&CanvasLine::new(
                x_bounds[0],
                bonf,
                x_bounds[1],
                bonf,
                VERMILLION,
            ));
        });
    f.render_widget(canvas, canvas_area);
    if let Some(c) = cursor {
        let cell = braille_cell(plot_area, x_bounds, y_bounds, c.x, c.y);
        if let Some(cell) = f.buffer_mut().cell_mut(cell) {
            cell.set_symbol("◆").set_style(selected_style().fg(YELLOW));
        }
    }
    let mut y_text = vec![Line::from(format!(
        "{:>w$}",
        y_labels[0],
        w = y_width as usize - 1
    ))];
    let rows = plot_area.height.max(1) as usize;
    y_text.resize(rows / 2, Line::from(""));
    y_text.push(Line::from(format!(
        "{:>w$}",
        y_labels[1],
        w = y_width as usize - 1
    )));
    y_text.resize(rows.saturating_sub(1), Line::from(""));
    y_text.push(Line::from(format!(
        "{:>w$}",
        y_labels[2],
        w = y_width as usize - 1
    )));
    f.render_widget(Paragraph::new(y_text), y_axis);

    let labels_area = Rect {
        x: plot_area.x,
        width: plot_area.width,
        ..labels
    };
    let middles: Vec<(String, usize)> = plot
        .categories
        .iter()
        .map(|c| {
            let (column, _) = braille_column(plot_area.width, x_bounds, c.middle());
            (c.name.clone(), column)
        })
        .collect();
    let placed = category_labels(&middles, usize::from(plot_area.width), LABEL_ROWS);
    for (row, line) in placed.iter().enumerate() {
        let mut spans: Vec<Span> = Vec::new();
        let mut at = 0;
        for (start, k, text) in line {
            spans.push(Span::raw(" ".repeat(start.saturating_sub(at))));
            spans.push(Span::styled(
                text.clone(),
                Style::default().fg(CYCLE[k % CYCLE.len()]),
            ));
            at = start + text.chars().count();
        }
        let area = Rect {
            y: labels_area.y + row as u16,
            height: 1,
            ..labels_area
        };
        if row < usize::from(labels_area.height) {
            f.render_widget(Paragraph::new(Line::from(spans)), area);
        }
    }
    f.render_widget(Paragraph::new(caption_text(r, plot, tests, bonf)), caption);
}

/// Below the plot: what the axes and the line are, and the point under the cursor.
fn caption_text(r: &ResultsView, plot: &ManhattanPlot, tests: usize, bonf: f64) -> String {
    let at = match (plot.point_at(r.selected), r.current()) {
        (Some(p), Some(a)) => format!("◆ {} (-log10 p {:.2}) · ", a.formula(), p.y),
        _ => String::new(),
    };
    format!(
        " {at}y: -log10 p · line Bonferroni 0.05/{tests} at {bonf:.1} · {} categories",
        plot.categories.len()
    )
}

/// The column of x in a plot `width` cells wide, and its braille sub-column, as the canvas
/// places a point.
fn braille_column(width: u16, x_bounds: [f64; 2], x: f64) -> (usize, usize) {
    let dots = f64::from(width) * 2.0 - 1.0;
    let px = ((x - x_bounds[0]) * dots / (x_bounds[1] - x_bounds[0])).round() as usize;
    (px / 2, px)
}

/// The cell the canvas puts the point (x, y) in.
fn braille_cell(area: Rect, x_bounds: [f64; 2], y_bounds: [f64; 2], x: f64, y: f64) -> Position {
    let (column, _) = braille_column(area.width, x_bounds, x);
    let dots = f64::from(area.height) * 4.0 - 1.0;
    let py = ((y_bounds[1] - y) * dots / (y_bounds[1] - y_bounds[0])).round() as usize;
    Position {
        x: area.x + column as u16,
        y: area.y + (py / 4) as u16,
    }
}

/// Places each category's name under its middle column: on one row when every name fits
/// whole, otherwise staggered over `rows` rows (category `i` on row `i % rows`), each name
/// given the room up to half-way to its neighbours on its row and abbreviated to it (cut,
/// with a final `.`). Returns, per row, (start column, category index, text) left to right.
pub(crate) fn category_labels(
    middles: &[(String, usize)],
    width: usize,
    rows: usize,
) -> Vec<Vec<(usize, usize, String)>> {
    let place = |rows: usize| {
        let mut out: Vec<Vec<(usize, usize, String)>> = vec![Vec::new(); rows];
        let mut whole = true;
        for (i, (name, middle)) in middles.iter().enumerate() {
            let left = if i >= rows {
                (middles[i - rows].1 + middle) / 2 + 1
            } else {
                0
            };
            let right = match middles.get(i + rows) {
                Some((_, next)) => (middle + next) / 2,
                None => width,
            }
            .min(width);
            let room = right.saturating_sub(left).max(1);
            let text = abbreviate(name, room);
            whole &= text == *name;
            let len = text.chars().count();
            let start = middle
                .saturating_sub(len / 2)
                .max(left)
                .min(right.saturating_sub(len).max(left));
            out[i % rows].push((start, i, text));
        }
        (out, whole)
    };
    let (one, whole) = place(1);
    if whole || rows <= 1 {
        return one;
    }
    place(rows).0
}

/// `name` in at most `room` characters: whole, or cut and ended with `.`.
pub(super) fn abbreviate(name: &str, room: usize) -> String {
    if name.chars().count() <= room {
        return name.to_string();
    }
    if room <= 1 {
        return name.chars().take(1).collect();
    }
    let cut: String = name.chars().take(room - 1).collect();
    format!("{}.", cut.trim_end())
}
