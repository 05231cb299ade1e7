//! The approval gate: the confounders the panel chose, waiting for a yes or a no.

use super::*;

pub(super) fn render_approval(app: &App, f: &mut Frame, area: Rect) {
    let Some(a) = app.approval.as_ref() else {
        return;
    };
    let rows = a.candidates.iter().zip(&a.chosen).map(|(c, &on)| {
        Row::new(vec![
            if on {
                "[x]".to_string()
            } else {
                "[ ]".to_string()
            },
            c.clone(),
            if a.proposed.contains(c) {
                "proposed by the panel".into()
            } else {
                String::new()
            },
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Length(24),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["adj", "candidate", ""]).style(Style::default().add_modifier(Modifier::BOLD)))
    .row_highlight_style(selected_style())
    .block(
        Block::bordered()
            .title(format!(
                " approve the confounder set (panel agreement {:.2}) ",
                a.agreement
            ))
            .title_bottom(" Space toggle  p panel's set  Enter approve and resume  Esc back "),
    );
    let mut state = TableState::default().with_selected(Some(a.selected));
    f.render_stateful_widget(table, area, &mut state);
}
