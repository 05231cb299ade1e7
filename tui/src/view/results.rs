//! The results screen: the association table, the classification table and the Manhattan chart.

use super::*;

const ASSOCIATION_COLUMNS: [(&str, Constraint); 6] = [
    ("phenotype", Constraint::Length(14)),
    ("factor  description", Constraint::Min(20)),
    ("beta", Constraint::Length(10)),
    ("p", Constraint::Length(10)),
    ("q (BH)", Constraint::Length(10)),
    ("Bonf", Constraint::Length(5)),
];

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
    let [top, detail] = Layout::vertical([Constraint::Min(5), Constraint::Length(6)]).areas(area);
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
            " filter: {} {errors} / edit  s sort  m plot  x export  Esc back ",
            r.filter
        )
    } else {
        " s sort  / filter  m plot  c classification  x export  l panel  Esc back ".to_string()
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
        let rows = r.visible.iter().skip(first).take(height).map(|&i| {
            let a = &r.table.rows[i];
            let hit = a.bonferroni < 0.05;
            let description = r.description(&a.factor);
            let factor = if description.is_empty() {
                a.factor.clone()
            } else {
                format!("{}  {description}", a.factor)
            };
            Row::new(vec![
                a.phenotype.clone(),
                factor,
                num(a.beta),
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
            &ASSOCIATION_COLUMNS,
            Block::bordered().title(title.clone()).title_bottom(bottom),
            r.selected - first,
        );
    }
    let text = match r.current() {
        Some(a) => vec![
            Line::from(vec![
                Span::styled(
                    format!("{} ~ {}", a.phenotype, a.factor),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(match r.description(&a.factor) {
                    "" => String::new(),
                    d => format!(" {d}"),
                }),
                Span::raw(format!(
                    "  ({}, {} model, status {})",
                    a.category, a.model, a.status
                )),
            ]),
            Line::from(format!(
                "n {}   beta {}  (95% CI {} to {})   se {}",
                a.n,
                num(a.beta),
                num(a.ci_low),
                num(a.ci_high),
                num(a.se)
            )),
            Line::from(format!(
                "p {}   -log10 p {}   q (BH) {}   Bonferroni {}",
                num(a.p),
                num(a.neg_log10_p),
                num(a.q_bh),
                num(a.bonferroni)
            )),
            Line::from(a.note.clone()),
        ],
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
pub(super) fn render_classification(
    r: &crate::app::ResultsView,
    f: &mut Frame,
    area: Rect,
    name: &str,
) {
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

pub(super) fn render_manhattan(
    r: &crate::app::ResultsView,
    f: &mut Frame,
    area: Rect,
    title: &str,
) {
    // Factors grouped by category along x (in order of first appearance), -log10 p up.
    let mut categories: Vec<&str> = Vec::new();
    let mut factors: Vec<(&str, &str)> = Vec::new();
    for &i in &r.visible {
        let a = &r.table.rows[i];
        if !categories.contains(&a.category.as_str()) {
            categories.push(&a.category);
        }
    }
    for cat in &categories {
        for &i in &r.visible {
            let a = &r.table.rows[i];
            if a.category == *cat && !factors.contains(&(cat, a.factor.as_str())) {
                factors.push((cat, &a.factor));
            }
        }
    }
    let mut points: Vec<Vec<(f64, f64)>> = vec![Vec::new(); categories.len()];
    let mut ymax: f64 = 1.0;
    for &i in &r.visible {
        let a = &r.table.rows[i];
        let (Some(y), Some(x)) = (
            Some(a.neg_log10_p).filter(|v| !v.is_nan()),
            factors
                .iter()
                .position(|(c, fa)| *c == a.category && *fa == a.factor),
        ) else {
            continue;
        };
        let c = categories
            .iter()
            .position(|c| *c == a.category)
            .unwrap_or(0);
        let y = y.min(300.0);
        ymax = ymax.max(y);
        points[c].push((x as f64, y));
    }
    let tests = r.table.rows.iter().filter(|a| !a.p.is_nan()).count().max(1);
    let bonf = -(0.05 / tests as f64).log10();
    ymax = ymax.max(bonf) * 1.05;
    let xmax = factors.len().max(1) as f64;
    let line = vec![(0.0, bonf), (xmax, bonf)];
    let mut datasets: Vec<Dataset> = points
        .iter()
        .enumerate()
        .map(|(i, pts)| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Scatter)
                .style(Style::default().fg(CYCLE[i % CYCLE.len()]))
                .data(pts)
        })
        .collect();
    datasets.push(
        Dataset::default()
            .name(format!("Bonferroni 0.05/{tests}"))
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(VERMILLION))
            .data(&line),
    );
    // Short axis labels: ratatui keeps the first x label's width free left of the plot.
    let short = |c: &str| c.chars().take(8).collect::<String>();
    let first = short(categories.first().copied().unwrap_or(""));
    let last = short(categories.last().copied().unwrap_or(""));
    let chart = Chart::new(datasets)
        .block(
            Block::bordered()
                .title(title.to_string())
                .title_bottom(format!(
                    " {} categories, coloured in turn; line: Bonferroni 0.05/{tests} (-log10 p {bonf:.1}); m table ",
                    categories.len()
                )),
        )
        .x_axis(
            Axis::default()
                .title("factors by category")
                .bounds([0.0, xmax])
                .labels([first, last]),
        )
        .y_axis(
            Axis::default()
                .title("-log10 p")
                .bounds([0.0, ymax])
                .labels([
                    "0".to_string(),
                    format!("{:.0}", ymax / 2.0),
                    format!("{ymax:.0}"),
                ]),
        );
    f.render_widget(chart, area);
}
