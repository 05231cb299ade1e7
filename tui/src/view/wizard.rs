//! The new-study wizard: its fields, one step at a time.

use super::*;

const CATEGORY_COLUMNS: [(&str, Constraint); 4] = [
    ("use as", Constraint::Length(10)),
    ("category", Constraint::Min(24)),
    ("role", Constraint::Length(10)),
    ("columns", Constraint::Length(8)),
];

/// A wizard field; `text` fields show a cursor when active, choice fields do not.
pub(super) fn field_line(
    label: &str,
    value: &str,
    active: bool,
    text: bool,
    hint: &str,
) -> Line<'static> {
    let style = if active {
        selected_style()
    } else {
        Style::default()
    };
    Line::from(vec![
        Span::raw(format!("  {label:<14}")),
        Span::styled(
            format!("{value}{}", if active && text { "_" } else { "" }),
            style,
        ),
        Span::styled(format!("  {hint}"), Style::default().fg(Color::DarkGray)),
    ])
}

pub(super) fn render_wizard(app: &App, f: &mut Frame, area: Rect) {
    let Some(w) = app.wizard.as_ref() else { return };
    let step = match w.step {
        WizardStep::Files => "1/3 files",
        WizardStep::Variables => "2/3 categories",
        WizardStep::Panel => "3/3 panel",
    };
    let block = Block::bordered()
        .title(format!(" new study: {step} "))
        .title_bottom(" Enter next  Esc back  ? help ");
    let [main, err] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    if let Some(e) = &w.error {
        f.render_widget(
            Paragraph::new(format!(" ! {e}")).style(Style::default().fg(VERMILLION)),
            err,
        );
    }
    match w.step {
        WizardStep::Files => {
            let values = [&w.name, &w.data, &w.dictionary];
            let hints = [
                "the study directory is ROOT/<name>",
                "cohort table: .csv, .tsv or .parquet",
                "dictionary.csv (categories and roles)",
            ];
            let mut lines = vec![Line::from("")];
            for (i, label) in FILE_FIELDS.iter().enumerate() {
                lines.push(field_line(label, values[i], w.field == i, true, hints[i]));
                lines.push(Line::from(""));
            }
            lines.push(Line::from(
                "  Type the paths (relative to where you started the TUI, or absolute).",
            ));
            lines.push(Line::from(
                "  Tab moves between fields; Enter checks them and reads the dictionary.",
            ));
            f.render_widget(Paragraph::new(lines).block(block), main);
        }
        WizardStep::Variables => {
            let visible = w.visible_categories();
            let rows = visible.iter().map(|&i| {
                let (c, a) = &w.categories[i];
                Row::new(vec![
                    a.label().to_string(),
                    if c.whole_role {
                        format!("every {} column", c.name)
                    } else {
                        c.name.clone()
                    },
                    if c.whole_role {
                        "(role)".to_string()
                    } else {
                        c.role.clone()
                    },
                    c.columns.to_string(),
                ])
            });
            let search = if w.editing_search || !w.search.is_empty() {
                format!(
                    " search: {}{} ",
                    w.search,
                    if w.editing_search { "_" } else { "" }
                )
            } else {
                String::new()
            };
            selectable_table(
                f,
                main,
                rows,
                &CATEGORY_COLUMNS,
                block.title(format!(" Space cycles  p/f/c/- set  / search{search}")),
                w.selected,
            );
        }
        WizardStep::Panel => {
            let rounds = w.rounds.clone();
            let values = [
                if w.backend_openai {
                    "openai".to_string()
                } else {
                    "embedded".to_string()
                },
                if w.backend_openai {
                    w.model.clone()
                } else {
                    format!("{} (used with openai)", w.model)
                },
                rounds,
                w.seed.clone(),
                if w.approve {
                    "yes: pause for my approval".into()
                } else {
                    "no".into()
                },
                if w.fix_covariates {
                    "fixed: no panel".into()
                } else {
                    "the panel chooses".into()
                },
            ];
            let hints = [
                "Space: embedded (offline) / openai",
                "model name on the server",
                "at most this many panel rounds",
                "random seed of the panel",
                "Space toggles",
                "Space toggles",
            ];
            let mut lines = vec![Line::from("")];
            for (i, label) in PANEL_FIELDS.iter().enumerate() {
                lines.push(field_line(
                    label,
                    &values[i],
                    w.field == i,
                    matches!(i, 1..=3),
                    hints[i],
                ));
            }
            let summary = |a| w.assigned(a).join(", ");
            lines.extend([
                Line::from(""),
                Line::from(format!(
                    "  phenotypes: {}",
                    summary(crate::app::Assign::Phenotype)
                )),
                Line::from(format!(
                    "  factors:    {}",
                    summary(crate::app::Assign::Factor)
                )),
                Line::from(format!(
                    "  covariates: {}",
                    summary(crate::app::Assign::Covariate)
                )),
                Line::from(""),
                Line::from(format!(
                    "  Enter writes {}/<name>/STUDY.toml and starts the study.",
                    app.root.display()
                )),
            ]);
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                main,
            );
        }
    }
}
