//! The results screen: the association table, the classification table and the Manhattan chart.

use super::manhattan::{abbreviate, render_manhattan};
use super::*;
use crate::app::{FactorLabel, ResultsView};
use meshagents_stats::phewas::{AssociationRow, Scale};

/// The association table's columns; the first is the model as it was fitted, the factor
/// named as `d` chose.
fn association_columns(label: FactorLabel) -> [(&'static str, Constraint); 6] {
    let first = match label {
        FactorLabel::Both => "as fitted (factor: id  description)",
        FactorLabel::Id => "as fitted (factor: id)",
        FactorLabel::Description => "as fitted (factor: description)",
    };
    [
        (first, Constraint::Min(20)),
        ("model", Constraint::Length(5)),
        ("β or OR (95% CI)", Constraint::Length(20)),
        ("p", Constraint::Length(8)),
        ("q (BH)", Constraint::Length(8)),
        ("Bonf", Constraint::Length(4)),
    ]
}

/// The widths of the columns after the first, with the spaces between columns and the
/// borders: what the first column leaves to the others.
const OTHER_COLUMNS: usize = 5 + 20 + 8 + 8 + 4 + 5 + 2;

/// The model as fitted in `width` characters when it can be: the factor's description is
/// cut (never an id), so that the phenotype stays in view after a long description.
fn fitted_cell(r: &ResultsView, a: &AssociationRow, width: usize) -> String {
    let full = a.formula_with(&a.phenotype, &r.factor_name(&a.factor));
    let over = full.chars().count().saturating_sub(width);
    let description = r.description(&a.factor);
    if over == 0 || r.factor_label == FactorLabel::Id || description.is_empty() {
        return full;
    }
    let keep = description.chars().count().saturating_sub(over);
    // Fewer letters than this say nothing: the id alone, then.
    let name = match (r.factor_label, keep >= 6) {
        (FactorLabel::Both, true) => format!("{}  {}", a.factor, abbreviate(description, keep)),
        (FactorLabel::Both, false) => a.factor.clone(),
        _ => abbreviate(description, keep.max(6)),
    };
    a.formula_with(&a.phenotype, &name)
}

/// `text` with each number of more than four decimals rounded (a model's note holds them at
/// full precision: `LR chi2 = 58.970004250333375`).
fn rounded(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_digit()
                    || c == '.'
                    || ((c == 'e' || c == 'E') && i > 0)
                    || ((c == '-' || c == '+') && tail[..i].ends_with(['e', 'E'])))
            })
            .map_or(tail.len(), |(i, _)| i);
        let token = &tail[..end];
        let decimals = token
            .split(['e', 'E'])
            .next()
            .and_then(|m| m.split_once('.'))
            .map_or(0, |(_, d)| d.len());
        match token.parse::<f64>() {
            Ok(v) if decimals > 4 => out.push_str(&num(v)),
            _ => out.push_str(token),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The model family in a few letters.
pub(crate) fn model_short(model: &str) -> &str {
    match model {
        "linear" => "lin",
        "logistic" => "logit",
        "firth" => "firth",
        "categorical" => "cat",
        "bai2020" => "bai",
        other => other,
    }
}

/// An odds ratio: two decimals, or scientific notation far from 1.
pub(crate) fn ratio(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if !(0.01..1000.0).contains(&x) {
        format!("{x:.1e}")
    } else {
        format!("{x:.2}")
    }
}

/// The effect cell: the odds ratio with its CI for a logistic row, the standardised beta
/// otherwise.
pub(crate) fn effect_cell(a: &AssociationRow) -> String {
    match a.odds_ratio() {
        Some(or) => format!(
            "OR {} ({}, {})",
            ratio(or.estimate),
            ratio(or.low),
            ratio(or.high)
        ),
        None if a.beta.is_nan() => "-".into(),
        None => format!("β {}", num(a.beta)),
    }
}

/// The detail pane's effect lines, labelled by the row's scale: the odds ratio first for a
/// logistic row, then the estimate on its scale with se and z, and n.
fn effect_lines(a: &AssociationRow) -> Vec<String> {
    let z = a.z();
    let z = if z.is_nan() {
        "-".into()
    } else {
        format!("{z:.2}")
    };
    let estimate = format!(
        "{} {} (95% CI {} to {})   se {}   z {z}",
        a.scale().ascii_label(),
        num(a.beta),
        num(a.ci_low),
        num(a.ci_high),
        num(a.se)
    );
    let n = match (a.n_cases, a.n_controls) {
        (Some(c), Some(k)) => format!("n {} ({c} cases, {k} controls)", a.n),
        _ => format!("n {}", a.n),
    };
    match (a.scale(), a.odds_ratio()) {
        (Scale::LogOdds, Some(or)) => vec![
            format!(
                "OR {} (95% CI {} to {}) per SD of {}   {n}",
                ratio(or.estimate),
                ratio(or.low),
                ratio(or.high),
                a.phenotype
            ),
            estimate,
        ],
        _ => vec![format!("{estimate}   {n}")],
    }
}

const CLASSIFICATION_COLUMNS: [(&str, Constraint); 9] = [
    ("disease", Constraint::Min(12)),
    ("arm", Constraint::Length(6)),
    ("classifier", Constraint::Length(13)),
    ("n", Constraint::Length(5)),
    ("cases", Constraint::Length(5)),
    ("AUC (95% CI)", Constraint::Length(19)),
    ("DeLong", Constraint::Length(7)),
    ("recall", Constraint::Length(6)),
    ("F1", Constraint::Length(6)),
];

pub(super) fn render_results(app: &App, f: &mut Frame, area: Rect) {
    let Some(r) = app.results.as_ref() else {
        return;
    };
    let [top, detail] = Layout::vertical([Constraint::Min(5), Constraint::Length(8)]).areas(area);
    let name = dir_name(&r.dir);
    let title = format!(
        " {name}: {} of {} associations, sorted by {} ",
        r.visible.len(),
        r.table.rows.len(),
        r.sort.label()
    );
    // The filter line: what is typed, and each term that could not be read (it filters
    // nothing out until it reads as a term).
    let errors: String = r.query.errors.iter().map(|e| format!(" ! {e} ")).collect();
    let bottom = if r.editing_filter {
        format!(" filter: {}_ {errors} Enter keep  Esc clear ", r.filter)
    } else if !r.filter.is_empty() {
        format!(
            " filter: {} {errors} / edit  s sort  d factor  m plot  x export  Esc back ",
            r.filter
        )
    } else {
        " s sort  / filter  d factor  m plot  c classification  x export  l panel  Esc back "
            .to_string()
    };
    if r.classification {
        render_classification(r, f, area, &name);
        return;
    }
    if r.manhattan {
        render_manhattan(r, f, top, &title);
    } else {
        // Only the rows that fit are built (the table is drawn at every keystroke, and may
        // have 200,000 rows): the window ends at the selected row once it passes the bottom,
        // as ratatui scrolls a table drawn from its first row.
        let height = usize::from(top.height.saturating_sub(3)).max(1);
        let first = r.selected.saturating_sub(height - 1);
        let width = usize::from(top.width).saturating_sub(OTHER_COLUMNS);
        let rows = r.visible.iter().skip(first).take(height).map(|&i| {
            let a = &r.table.rows[i];
            let hit = a.bonferroni < 0.05;
            Row::new(vec![
                fitted_cell(r, a, width),
                model_short(&a.model).to_string(),
                effect_cell(a),
                num(a.p),
                num(a.q_bh),
                if hit { "yes".into() } else { String::new() },
            ])
            .style(marked(hit))
        });
        selectable_table(
            f,
            top,
            rows,
            &association_columns(r.factor_label),
            Block::bordered().title(title.clone()).title_bottom(bottom),
            r.selected - first,
        );
    }
    let text = match r.current() {
        Some(a) => {
            let described = |column: &str| match r.description(column) {
                "" => column.to_string(),
                d => format!("{column}: {d}"),
            };
            let mut lines = vec![Line::from(vec![
                Span::styled(a.formula(), Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(format!("   {} model, status {}", a.model, a.status)),
            ])];
            lines.extend(effect_lines(a).into_iter().map(Line::from));
            lines.push(Line::from(format!(
                "p {}   -log10 p {}   q (BH) {}   Bonferroni {}",
                num(a.p),
                num(a.neg_log10_p),
                num(a.q_bh),
                num(a.bonferroni),
            )));
            // The names last: a long description wrapping on a small terminal pushes only
            // itself out of view.
            lines.push(Line::from(format!(
                "factor {} ({})   phenotype {}",
                described(&a.factor),
                a.category,
                described(&a.phenotype)
            )));
            if !a.note.is_empty() {
                lines.push(Line::from(rounded(&a.note)));
            }
            lines
        }
        None => vec![Line::from("no row matches the filter")],
    };
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" detail ")),
        detail,
    );
}

/// `classification.csv`: each disease, arm and classifier with AUC (DeLong 95 % CI), the
/// paired DeLong p between the arms, recall and F1.
pub(super) fn render_classification(r: &ResultsView, f: &mut Frame, area: Rect, name: &str) {
    let rows = r.table.classification.iter().map(|row| {
        let mut cells = crate::model::classification_cells(row);
        // AUC with its CI in one cell: auc (low-high).
        let ci = format!(
            "{} ({}-{})",
            cells.get(5).cloned().unwrap_or_default(),
            cells.get(6).cloned().unwrap_or_default(),
            cells.get(7).cloned().unwrap_or_default()
        );
        cells.splice(5..8.min(cells.len()), [ci]);
        let panel_arm = cells.get(1).is_some_and(|a| a == "panel");
        Row::new(cells).style(marked(panel_arm))
    });
    selectable_table(
        f,
        area,
        rows,
        &CLASSIFICATION_COLUMNS,
        Block::bordered()
            .title(format!(
                " {name}: classification, {} rows (out-of-fold, 5-fold CV) ",
                r.table.classification.len()
            ))
            .title_bottom(" Up/Down move  c or Esc back to the associations "),
        r.class_selected,
    );
}
