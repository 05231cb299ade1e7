//! The approval gate: the confounders the panel chose, waiting for a yes or a no.

use super::*;

const CANDIDATE_COLUMNS: [(&str, Constraint); 3] = [
    ("adj", Constraint::Length(4)),
    ("candidate", Constraint::Length(24)),
    ("", Constraint::Min(10)),
];

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
    selectable_table(
        f,
        area,
        rows,
        &CANDIDATE_COLUMNS,
        Block::bordered()
            .title(format!(
                " approve the confounder set (panel agreement {:.2}) ",
                a.agreement
            ))
            .title_bottom(" Space toggle  p panel's set  Enter approve and resume  Esc back "),
        a.selected,
    );
}
