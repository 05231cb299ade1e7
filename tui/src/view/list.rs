//! The study list: every study under the root, its state, progress and times.

use super::*;

const STUDY_COLUMNS: [(&str, Constraint); 6] = [
    ("study", Constraint::Length(20)),
    ("status", Constraint::Length(18)),
    ("steps", Constraint::Length(5)),
    ("backend", Constraint::Length(8)),
    ("started (UTC)", Constraint::Length(16)),
    ("last event", Constraint::Min(2)),
];

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
        // + marked for comparing; a fork names its parent.
        let mark = if app.marked.contains(&s.dir) { "+" } else { "" };
        let name = match &s.parent {
            Some(parent) => format!("{mark}{} <{}", s.name, dir_name(parent)),
            None => format!("{mark}{}", s.name),
        };
        Row::new(vec![
            Cell::from(name),
            Cell::from(state).style(Style::default().fg(state_color(&s.state))),
            Cell::from(progress),
            Cell::from(s.backend.clone()),
            Cell::from(fmt_time(s.started_ms)),
            Cell::from(s.last_event.clone()),
        ])
    });
    selectable_table(
        f,
        area,
        rows,
        &STUDY_COLUMNS,
        block.title_bottom(
            " n new  Enter open  r resume  s pause  x cancel  f fork  C compare  d delete  ? help  q quit (*: started here) ",
        ),
        app.selected,
    );
}
