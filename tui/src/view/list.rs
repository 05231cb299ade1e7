//! The study list: every study under the root, its state, progress and times.

use super::*;

pub(super) fn render_list(app: &App, f: &mut Frame, area: Rect) {
    let block = Block::bordered().title(format!(" studies under {} ", app.root.display()));
    if app.studies.is_empty() {
        f.render_widget(
            Paragraph::new(vec![
                Line::from(""),
                Line::from("  No study here yet."),
                Line::from(""),
                Line::from("  Press n to create one with the wizard (you need a cohort table and"),
                Line::from("  its dictionary.csv; `meshagents simulate --out DIR` makes both)."),
            ])
            .block(block),
            area,
        );
        return;
    }
    let rows = app.studies.iter().map(|s| {
        let progress = if s.steps_total > 0 {
            format!("{}/{}", s.steps_done, s.steps_total)
        } else {
            "-".into()
        };
        let mut state = s.state.label().to_string();
        if app.children.contains(&s.dir) {
            state.push('*');
        }
        Row::new(vec![
            Cell::from(s.name.clone()),
            Cell::from(state).style(Style::default().fg(state_color(&s.state))),
            Cell::from(progress),
            Cell::from(s.backend.clone()),
            Cell::from(fmt_time(s.started_ms)),
            Cell::from(s.last_event.clone()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(16),
            Constraint::Length(18),
            Constraint::Length(5),
            Constraint::Length(8),
            Constraint::Length(16),
            Constraint::Min(8),
        ],
    )
    .header(
        Row::new([
            "study",
            "status",
            "steps",
            "backend",
            "started (UTC)",
            "last event",
        ])
        .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(selected_style())
    .block(block.title_bottom(
        " n new  Enter open  r resume  s pause  x cancel  f fork  d delete  ? help  q quit (*: started here) ",
    ));
    let mut state = TableState::default().with_selected(Some(app.selected));
    f.render_stateful_widget(table, area, &mut state);
}
