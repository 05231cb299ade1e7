//! The detail of a live panel line: every agent's answer per variable in one round (a table,
//! then the rationales on the selected variable), or lines in full with their data as tables.

use super::*;
use crate::app::{Detail, PanelView};
use crate::tables::json_lines;
use crate::votes::{round_title, RoundTable};

pub(super) fn render_detail(p: &PanelView, detail: &Detail, f: &mut Frame, area: Rect) {
    match detail {
        Detail::Round {
            stage,
            round,
            selected,
            scroll,
        } => {
            let table = RoundTable::of(&p.data.lines, stage, *round);
            render_round(p, &table, (*selected, *scroll), f, area)
        }
        Detail::Lines { lines, scroll } => render_lines(p, lines, *scroll, f, area),
    }
}

/// A cell of the round's table: the verdict and the confidence ("yes 0.93").
fn verdict_cell(t: &RoundTable, item: &str, agent: &str) -> String {
    match t.cell(item, agent) {
        Some(o) => match o.confidence {
            Some(c) => format!("{} {c:.2}", o.short),
            None => o.short.clone(),
        },
        None => "-".into(),
    }
}

fn render_round(
    p: &PanelView,
    t: &RoundTable,
    (selected, scroll): (usize, usize),
    f: &mut Frame,
    area: Rect,
) {
    let item_width = t
        .items
        .iter()
        .map(|i| i.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 24) as u16;
    let mut widths = vec![Constraint::Length(item_width)];
    widths.extend(t.agents.iter().map(|_| Constraint::Length(13)));
    let mut header = vec![Cell::from("variable")];
    header.extend(t.agents.iter().map(|a| {
        Cell::from(Span::styled(
            a.chars().take(12).collect::<String>(),
            Style::default().fg(agent_color(a)),
        ))
    }));
    let rows = t.items.iter().map(|item| {
        let mut cells = vec![Cell::from(item.clone())];
        cells.extend(t.agents.iter().map(|a| {
            let text = verdict_cell(t, item, a);
            let style = marked(text.starts_with("yes"));
            Cell::from(text).style(style)
        }));
        Row::new(cells)
    });
    let table_height = (t.items.len() as u16 + 3).min(area.height / 2).max(4);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(3)]).areas(area);
    let first = p
        .data
        .lines
        .iter()
        .find(|l| l.stage == t.stage && l.round == t.round);
    let title = first
        .map(|l| round_title(l, p.data.max_rounds))
        .unwrap_or_default();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default().add_modifier(Modifier::BOLD)))
        .row_highlight_style(selected_style())
        .block(
            Block::bordered()
                .title(format!(" {title}: each agent's answer "))
                .title_bottom(
                    " Up/Down variable  Left/Right round  PgUp/PgDn rationales  Esc back ",
                ),
        );
    let mut state = TableState::default().with_selected(Some(selected));
    f.render_stateful_widget(table, top, &mut state);

    let item = t.items.get(selected).cloned().unwrap_or_default();
    let width = usize::from(bottom.width.saturating_sub(4)).max(20);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for agent in &t.agents {
        let Some(o) = t.cell(&item, agent) else {
            lines.push(Line::from(format!("{agent}: no answer on {item}")));
            continue;
        };
        let confidence = o
            .confidence
            .map(|c| format!(", confidence {c:.2}"))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                agent.clone(),
                Style::default()
                    .fg(agent_color(agent))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(": {}{confidence}", o.verdict)),
        ]));
        lines.extend(
            wrap(&o.rationale, width)
                .into_iter()
                .map(|w| Line::from(format!("  {w}"))),
        );
    }
    let title = format!(" {item}: rationales ");
    scrolled_pane(f, bottom, lines, scroll, (&title, " PgUp/PgDn scroll "));
}

fn render_lines(p: &PanelView, indices: &[usize], scroll: usize, f: &mut Frame, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2));
    let mut out: Vec<Line<'static>> = Vec::new();
    for l in indices.iter().filter_map(|&i| p.data.lines.get(i)) {
        out.push(Line::from(vec![
            Span::styled(
                l.agent.clone(),
                Style::default()
                    .fg(agent_color(&l.agent))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                " {} · {}",
                l.kind,
                round_title(l, p.data.max_rounds)
            )),
        ]));
        let shown = match l.kind.as_str() {
            // The result's text is its JSON: the tables below say it readably.
            "tool_result" => l.data.get("result"),
            "tool_call" => {
                out.extend(wrap(&l.text, width).into_iter().map(Line::from));
                l.data.get("arguments")
            }
            _ => {
                out.extend(wrap(&l.text, width).into_iter().map(Line::from));
                Some(&l.data).filter(|d| !d.is_null())
            }
        };
        if let Some(v) = shown {
            out.extend(json_lines(v, width, None).into_iter().map(Line::from));
        }
        out.push(Line::from(""));
    }
    let titles = (" in full ", " Up/Down PgUp/PgDn scroll  Esc back ");
    scrolled_pane(f, area, out, scroll, titles);
}

/// Lines in a bordered pane scrolled down by `scroll` lines, never past the last screenful;
/// `titles` are the top and bottom titles.
pub(super) fn scrolled_pane(
    f: &mut Frame,
    area: Rect,
    lines: Vec<Line<'static>>,
    scroll: usize,
    (title, bottom): (&str, &str),
) {
    let height = usize::from(area.height.saturating_sub(2));
    let scroll = scroll.min(lines.len().saturating_sub(height));
    f.render_widget(
        Paragraph::new(lines)
            .scroll((scroll.min(u16::MAX as usize) as u16, 0))
            .block(
                Block::bordered()
                    .title(title.to_string())
                    .title_bottom(bottom.to_string()),
            ),
        area,
    );
}
