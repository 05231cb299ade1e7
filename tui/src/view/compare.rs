//! The compare view: a study and its fork (or two studies), hits gained and lost, and Δβ.

use super::*;
use crate::app::compare::{Side, COMPARE_TABS, HIT_LEVEL};
use crate::app::PairDiff;

const COMPARE_COLUMNS: [(&str, Constraint); 8] = [
    ("phenotype", Constraint::Length(12)),
    ("factor", Constraint::Length(14)),
    ("description", Constraint::Min(14)),
    ("β base", Constraint::Length(8)),
    ("β other", Constraint::Length(8)),
    ("Δβ", Constraint::Length(8)),
    ("bonf base", Constraint::Length(9)),
    ("bonf other", Constraint::Length(10)),
];

fn cells(d: &PairDiff, description: &str) -> Vec<String> {
    let side = |s: &Option<Side>, f: fn(&Side) -> f64| s.as_ref().map_or("-".into(), |s| num(f(s)));
    vec![
        d.phenotype.clone(),
        d.factor.clone(),
        description.to_string(),
        side(&d.base, |s| s.beta),
        side(&d.other, |s| s.beta),
        match d.delta() {
            Some(x) => num(x),
            // Both fitted, on different scales (linear in one, logistic in the other).
            None if d.base.is_some() && d.other.is_some() => "scale≠".into(),
            None => "-".into(),
        },
        side(&d.base, |s| s.bonferroni),
        side(&d.other, |s| s.bonferroni),
    ]
}

pub(super) fn render_compare(app: &App, f: &mut Frame, area: Rect) {
    let Some(c) = app.compare.as_ref() else {
        return;
    };
    let cmp = &c.comparison;
    let [head, tabs, body] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    let lines = vec![
        Line::from(format!(
            " base:  {}   {} hits (Bonferroni < {HIT_LEVEL})",
            dir_name(&c.base),
            cmp.base_hits
        )),
        Line::from(format!(
            " other: {}   {} hits",
            dir_name(&c.other),
            cmp.other_hits
        )),
        Line::from(vec![
            Span::styled(
                format!(" gained {}", cmp.gained.len()),
                Style::default().fg(GREEN),
            ),
            Span::raw("   "),
            Span::styled(
                format!("lost {}", cmp.lost.len()),
                Style::default().fg(VERMILLION),
            ),
            Span::raw(format!(
                "   shared pairs {} (Δβ = β other - β base, by |Δβ|)",
                cmp.shared.len()
            )),
        ]),
    ];
    f.render_widget(Paragraph::new(lines), head);
    let counts = [cmp.gained.len(), cmp.lost.len(), cmp.shared.len()];
    let titles: Vec<String> = COMPARE_TABS
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (t, n))| format!("{} {t} ({n})", i + 1))
        .collect();
    f.render_widget(
        Tabs::new(titles)
            .select(c.tab)
            .highlight_style(selected_style()),
        tabs,
    );
    let rows = c.rows().iter().map(|d| {
        let description = c
            .labels
            .get(&d.factor)
            .map(|l| l.description.as_str())
            .unwrap_or("");
        Row::new(cells(d, description))
    });
    selectable_table(
        f,
        body,
        rows,
        &COMPARE_COLUMNS,
        Block::bordered()
            .title(format!(
                " compare {} with {} ",
                dir_name(&c.base),
                dir_name(&c.other)
            ))
            .title_bottom(" Tab / 1 2 3 list  Up/Down move  Esc back "),
        c.selected,
    );
}
