//! The new-study wizard: its fields, one step at a time; the column pickers; the preview.

use super::*;
use crate::app::{Assign, PickKind, Wizard, PICK_PAGES};

const PICK_COLUMNS: [(&str, Constraint); 4] = [
    ("", Constraint::Length(3)),
    ("id", Constraint::Length(22)),
    ("description", Constraint::Min(24)),
    ("category / role", Constraint::Length(32)),
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

/// The STUDY.toml key a page's picks go to.
fn page_key(w: &Wizard, page: Assign) -> &'static str {
    match page {
        Assign::Phenotype => "phenotypes",
        Assign::Factor => "factors",
        _ if w.list(page).is_empty() => "covariates = none",
        _ if w.fix_covariates => "covariates",
        _ => "candidates",
    }
}

pub(super) fn render_wizard(app: &App, f: &mut Frame, area: Rect) {
    let Some(w) = app.wizard.as_ref() else { return };
    let step = match w.step {
        WizardStep::Files => "1/6 files".to_string(),
        WizardStep::Pick(page) => {
            let n = PICK_PAGES.iter().position(|&p| p == page).unwrap_or(0) + 2;
            format!("{n}/6 {}s", page.label())
        }
        WizardStep::Panel => "5/6 panel".into(),
        WizardStep::Preview => "6/6 preview of STUDY.toml".into(),
    };
    let block = Block::bordered()
        .title(format!(" new study: {step} "))
        .title_bottom(match w.step {
            WizardStep::Preview => " Up/Down scroll  Enter write and start  Esc back ",
            // Letters are the search here, so ? is too.
            WizardStep::Pick(_) => " Enter next  Esc clear the search, back  Ctrl-C quit ",
            _ => " Enter next  Esc back  ? help ",
        });
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
                if i == 0 {
                    if let Some(clash) = &w.clash {
                        lines.push(Line::styled(
                            format!("  {:<14}! {clash}", ""),
                            Style::default().fg(VERMILLION),
                        ));
                        continue;
                    }
                }
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
        WizardStep::Pick(page) => render_picker(w, page, f, main, block),
        WizardStep::Panel => render_panel_fields(app, w, f, main, block),
        WizardStep::Preview => {
            let text = w.preview.as_ref().map_or("", |(_, t)| t.as_str());
            let dir = w
                .preview
                .as_ref()
                .map(|(p, _)| p.dir.join("STUDY.toml").display().to_string())
                .unwrap_or_default();
            let [head, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(main);
            f.render_widget(
                Paragraph::new(format!(" Enter writes {dir} and starts the study:")),
                head,
            );
            f.render_widget(
                Paragraph::new(text)
                    .scroll((w.preview_scroll.min(u16::MAX as usize) as u16, 0))
                    .block(block),
                body,
            );
        }
    }
}

fn render_picker(w: &Wizard, page: Assign, f: &mut Frame, area: Rect, block: Block) {
    let Some(p) = w.picker(page) else { return };
    let (picked, columns) = p.counts(&w.items);
    let mode = match page {
        Assign::Covariate if w.fix_covariates => "  · fixed, no panel (Tab: the panel chooses)",
        Assign::Covariate => "  · the panel chooses among them (Tab: fixed)",
        _ => "",
    };
    let [head, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
    f.render_widget(
        Paragraph::new(vec![
            Line::from(format!(
                "  search: {}_   {} of {} shown",
                p.search,
                p.visible.len(),
                w.items.len()
            )),
            Line::from(format!(
                "  picked: {picked} ({columns} columns) -> {}{mode}",
                page_key(w, page)
            )),
        ]),
        head,
    );
    let rows = p.shown().map(|i| {
        let it = &w.items[i];
        let tick = if p.picked[i] { "[x]" } else { "[ ]" };
        let (description, where_) = match it.kind {
            PickKind::Role => (
                format!("{} ({} columns)", it.description, it.columns.len()),
                "(role)".to_string(),
            ),
            PickKind::Category => (
                format!("{} ({} columns)", it.description, it.columns.len()),
                "(category)".to_string(),
            ),
            PickKind::Column => (
                it.description.clone(),
                format!("{} / {}", it.category, it.role),
            ),
        };
        Row::new(vec![
            Cell::from(tick),
            Cell::from(it.name.clone()),
            Cell::from(description),
            Cell::from(where_),
        ])
        .style(marked(p.picked[i]))
    });
    selectable_table(
        f,
        body,
        rows,
        &PICK_COLUMNS,
        block.title(format!(
            " {}s: type to search  Space picks  Enter next ",
            page.label()
        )),
        p.selected,
    );
}

fn render_panel_fields(app: &App, w: &Wizard, f: &mut Frame, area: Rect, block: Block) {
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
        w.rounds.clone(),
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
    lines.push(Line::from(""));
    for page in PICK_PAGES {
        lines.push(Line::from(format!(
            "  {:<11} {}",
            format!("{}s:", page.label()),
            match w.list(page) {
                l if l.is_empty() => "none".to_string(),
                l => l.replace(',', ", "),
            }
        )));
    }
    lines.extend([
        Line::from(""),
        Line::from(format!(
            "  Enter shows the {}/<name>/STUDY.toml to be written.",
            app.root.display()
        )),
    ]);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
