//! Rendering: a pure function of the `App` state onto a ratatui frame. The palette is
//! Okabe–Ito, safe for the common forms of colour blindness; state is never shown by colour
//! alone (every status is also a word).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Clear, Dataset, GraphType, Paragraph, Row, Table, TableState, Tabs,
    Wrap,
};
use ratatui::Frame;

use crate::app::{App, Dialog, Screen, WizardStep, FILE_FIELDS, PANEL_FIELDS};
use crate::model::{state_label, PanelLine};
use meshagents_workflows::StudyState;

/// Okabe–Ito colours.
pub const ORANGE: Color = Color::Rgb(0xE6, 0x9F, 0x00);
pub const SKY: Color = Color::Rgb(0x56, 0xB4, 0xE9);
pub const GREEN: Color = Color::Rgb(0x00, 0x9E, 0x73);
pub const YELLOW: Color = Color::Rgb(0xF0, 0xE4, 0x42);
pub const BLUE: Color = Color::Rgb(0x00, 0x72, 0xB2);
pub const VERMILLION: Color = Color::Rgb(0xD5, 0x5E, 0x00);
pub const PURPLE: Color = Color::Rgb(0xCC, 0x79, 0xA7);
const CYCLE: [Color; 7] = [SKY, ORANGE, GREEN, PURPLE, BLUE, YELLOW, VERMILLION];

/// The smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

fn selected_style() -> Style {
    Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
}

fn state_color(state: &StudyState) -> Color {
    match state {
        StudyState::Finished => GREEN,
        StudyState::Running { .. } => SKY,
        StudyState::AwaitingApproval => ORANGE,
        StudyState::Stopped => VERMILLION,
        StudyState::New => Color::Reset,
    }
}

pub fn render(app: &App, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}x{}, meshagents tui needs {MIN_WIDTH}x{MIN_HEIGHT} (q quits)",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [title, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let screen = match app.screen {
        Screen::List => "studies",
        Screen::Results => "results",
        Screen::Panel => "panel",
        Screen::Approval => "approval",
        Screen::Wizard => "new study",
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" meshagents ", Style::default().fg(Color::Black).bg(SKY)),
            Span::raw(format!(" {screen} · {} ", app.root.display())),
        ])),
        title,
    );
    match app.screen {
        Screen::List => render_list(app, f, main),
        Screen::Results => render_results(app, f, main),
        Screen::Panel => render_panel(app, f, main),
        Screen::Approval => render_approval(app, f, main),
        Screen::Wizard => render_wizard(app, f, main),
    }
    f.render_widget(
        Paragraph::new(format!(" {}", app.status))
            .style(Style::default().fg(Color::Black).bg(Color::Gray)),
        status,
    );
    match &app.dialog {
        Some(Dialog::ConfirmDelete(dir)) => popup(
            f,
            "delete study",
            &[
                format!("Delete {} and all its files?", dir.display()),
                String::new(),
                "y: delete   n / Esc: keep".into(),
            ],
        ),
        Some(Dialog::Export) => popup(
            f,
            "export the table",
            &[
                "Write the rows shown (filter and sort kept) into the study directory:".into(),
                String::new(),
                "c: CSV   t: TSV   m: Markdown   Esc: cancel".into(),
            ],
        ),
        Some(Dialog::Fork {
            dir,
            steps,
            selected,
            settings,
        }) => {
            let mut lines = vec![
                format!("Fork {} into a new study that reuses", dir.display()),
                "the steps before the one chosen (Up/Down):".into(),
                String::new(),
            ];
            let width = steps.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            lines.extend(steps.iter().enumerate().map(|(i, (key, description))| {
                let marker = if i == *selected { ">" } else { " " };
                format!("{marker} {key:<width$}  {description}")
            }));
            lines.extend([
                String::new(),
                "Changed settings, KEY=VALUE separated by commas (type):".into(),
                format!("  {settings}_"),
                "  e.g. model=linear, transform=rint".into(),
                "  (a setting of an earlier step, e.g. panel.protocol.max_rounds=2,".into(),
                "   needs the fork to start at that step)".into(),
                String::new(),
                "Enter: fork   Esc: cancel".into(),
            ]);
            popup(f, "fork study", &lines)
        }
        None => {}
    }
    if app.help {
        popup(f, "keys (any key closes)", &help_lines(app.screen));
    }
}

/// The keys of a screen (also shown by `meshagents tui --help`).
pub fn help_lines(screen: Screen) -> Vec<String> {
    let mut lines: Vec<&str> = match screen {
        Screen::List => vec![
            "Study list",
            "  Up/Down j/k  move        Enter/o  open (results, approval or panel)",
            "  n  new study (wizard)    l  live panel view    a  approve confounders",
            "  r  resume (study run)    s  pause a study this TUI started",
            "  x  cancel (stop now) a study this TUI started; finished steps are kept",
            "  f  fork: choose the step to start from, change settings   d  delete (asks first)",
        ],
        Screen::Results => vec![
            "Results",
            "  Up/Down PgUp/PgDn Home/End  move   s  sort: p, |beta|, phenotype",
            "  /  filter (phenotype, factor, category, status; Enter keeps, Esc clears)",
            "  m  Manhattan plot / table    x  export (CSV, TSV, Markdown)",
            "  c  classification table (panel vs expert arm; c or Esc back)",
            "  l  panel transcript          Esc  back to the list",
        ],
        Screen::Panel => vec![
            "Live panel",
            "  Tab/Left/Right  agent tab (all, each agent, the chair)",
            "  Up/Down PgUp/PgDn  scroll    End/G  follow new lines",
            "  t  unfold tool calls and results   a  approval gate   o  results",
            "  Esc  back to the list",
        ],
        Screen::Approval => vec![
            "Approval gate",
            "  Up/Down  move   Space  include / leave out   p  the panel's set again",
            "  Enter  approve this set and resume the study   Esc  back",
        ],
        Screen::Wizard => vec![
            "New study",
            "  Files: type paths; Tab/Up/Down next field; Enter checks them",
            "  Categories: Space cycles phenotype/factor/covariate/-; p f c - set it",
            "              / search; Enter next",
            "  Panel: Space toggles; type model, rounds, seed; Enter creates and starts",
            "  Esc  previous step (cancels on the first)",
        ],
    };
    lines.extend([
        "",
        "Everywhere: ? help   q quit (studies keep running headless)",
    ]);
    lines.into_iter().map(String::from).collect()
}

fn popup(f: &mut Frame, title: &str, lines: &[String]) {
    let area = f.area();
    let width =
        (lines.iter().map(|l| l.chars().count()).max().unwrap_or(10) as u16 + 4).min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(
            lines
                .iter()
                .map(|l| Line::from(l.as_str()))
                .collect::<Vec<_>>(),
        )
        .block(
            Block::bordered()
                .title(title.to_string())
                .border_style(Style::default().fg(ORANGE)),
        ),
        rect,
    );
}

fn fmt_time(ms: Option<u64>) -> String {
    ms.map(|ms| meshagents_workflows::study::UtcTime::from_ms(ms).to_minutes())
        .unwrap_or_else(|| "-".into())
}

fn render_list(app: &App, f: &mut Frame, area: Rect) {
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
        let mut state = state_label(&s.state).to_string();
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

fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e4) => format!("{x:.2e}"),
        Some(x) => format!("{x:.3}"),
        None => "-".into(),
    }
}

fn render_results(app: &App, f: &mut Frame, area: Rect) {
    let Some(r) = app.results.as_ref() else {
        return;
    };
    let [top, detail] = Layout::vertical([Constraint::Min(5), Constraint::Length(6)]).areas(area);
    let name = r
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let filter = if r.editing_filter {
        format!(" filter: {}_ ", r.filter)
    } else if r.filter.is_empty() {
        String::new()
    } else {
        format!(" filter: {} ", r.filter)
    };
    let title = format!(
        " {name}: {} of {} associations, sorted by {}{filter}",
        r.visible.len(),
        r.table.rows.len(),
        r.sort.label()
    );
    let bottom = " s sort  / filter  m plot  c classification  x export  l panel  Esc back ";
    if r.classification {
        render_classification(r, f, area, &name);
        return;
    }
    if r.manhattan {
        render_manhattan(r, f, top, &title);
    } else {
        let rows = r.visible.iter().map(|&i| {
            let a = &r.table.rows[i];
            let hit = a.bonferroni.is_some_and(|b| b < 0.05);
            Row::new(vec![
                a.phenotype.clone(),
                a.factor.clone(),
                num(a.beta),
                num(a.p),
                num(a.q_bh),
                if hit { "yes".into() } else { String::new() },
            ])
            .style(if hit {
                Style::default().fg(ORANGE)
            } else {
                Style::default()
            })
        });
        let table = Table::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Min(20),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(5),
            ],
        )
        .header(
            Row::new(["phenotype", "factor", "beta", "p", "q (BH)", "Bonf"])
                .style(Style::default().add_modifier(Modifier::BOLD)),
        )
        .row_highlight_style(selected_style())
        .block(Block::bordered().title(title).title_bottom(bottom));
        let mut state = TableState::default().with_selected(Some(r.selected));
        f.render_stateful_widget(table, top, &mut state);
    }
    let text = match r.current() {
        Some(a) => vec![
            Line::from(vec![
                Span::styled(
                    format!("{} ~ {}", a.phenotype, a.factor),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
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
fn render_classification(r: &crate::app::ResultsView, f: &mut Frame, area: Rect, name: &str) {
    let rows = r.table.classification.iter().map(|cells| {
        let mut cells = cells.clone();
        // AUC with its CI in one cell: auc (low-high).
        let ci = format!(
            "{} ({}-{})",
            cells.get(5).cloned().unwrap_or_default(),
            cells.get(6).cloned().unwrap_or_default(),
            cells.get(7).cloned().unwrap_or_default()
        );
        cells.splice(5..8.min(cells.len()), [ci]);
        let panel_arm = cells.get(1).is_some_and(|a| a == "panel");
        Row::new(cells).style(if panel_arm {
            Style::default().fg(ORANGE)
        } else {
            Style::default()
        })
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(12),
            Constraint::Length(6),
            Constraint::Length(13),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(19),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(6),
        ],
    )
    .header(
        Row::new([
            "disease",
            "arm",
            "classifier",
            "n",
            "cases",
            "AUC (95% CI)",
            "DeLong",
            "recall",
            "F1",
        ])
        .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(selected_style())
    .block(
        Block::bordered()
            .title(format!(
                " {name}: classification, {} rows (out-of-fold, 5-fold CV) ",
                r.table.classification.len()
            ))
            .title_bottom(" Up/Down move  c or Esc back to the associations "),
    );
    let mut state = TableState::default().with_selected(Some(r.class_selected));
    f.render_stateful_widget(table, area, &mut state);
}

fn render_manhattan(r: &crate::app::ResultsView, f: &mut Frame, area: Rect, title: &str) {
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
            a.neg_log10_p,
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
    let tests = r.table.rows.iter().filter(|a| a.p.is_some()).count().max(1);
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

/// The body of one transcript line; `None` when it is folded away.
fn panel_body(l: &PanelLine, unfold: bool) -> Option<String> {
    Some(match l.kind.as_str() {
        "tool_result" if !unfold => return None,
        "tool_result" => format!(
            "  <- {}",
            l.data
                .get("result")
                .map(|r| r.to_string())
                .unwrap_or_default()
        ),
        "tool_call" => format!("tool {}", l.text),
        "proposal" => {
            let votes = l
                .data
                .get("votes")
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            if votes > 0 {
                format!("VOTE {} ({votes} votes)", l.text)
            } else {
                format!("VOTE {}", l.text)
            }
        }
        "agreement" => format!("AGREEMENT {}", l.text),
        "decision" => format!("DECISION {}", l.text),
        // A candidate brought in from the catalogue, with whether it joined the list.
        "candidate_proposal" => format!(
            "PROPOSES {} [{}]: {}",
            l.data
                .get("variable")
                .and_then(|v| v.as_str())
                .unwrap_or_default(),
            l.data
                .get("status")
                .and_then(|v| v.as_str())
                .unwrap_or_default(),
            l.data
                .get("reason")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
        ),
        "merge" => format!("MERGE {}", l.text),
        _ => l.text.clone(),
    })
}

/// Width of "stage round agent " before a transcript line's body.
const SPEAKER_WIDTH: usize = 22;

/// Greedy word wrap to `width` columns (a word longer than a line is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: String = word.to_string();
        loop {
            let used = line.chars().count();
            let need = word.chars().count() + usize::from(used > 0);
            if used + need <= width {
                if used > 0 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if used > 0 {
                out.push(std::mem::take(&mut line));
                continue;
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            out.push(head);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// A transcript line, the speaker in front and the body wrapped to `width` columns so that
/// the agents' arguments are read whole (the view scrolls over these screen lines).
fn speaker_lines(l: &PanelLine, body: &str, width: usize) -> Vec<Line<'static>> {
    let agent: String = l.agent.chars().take(13).collect();
    let stage: String = l.stage.chars().take(4).collect();
    let round = format!("r{}", l.round);
    let chunks = wrap(body, width.saturating_sub(SPEAKER_WIDTH).max(10));
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            if i == 0 {
                Line::from(vec![
                    Span::raw(format!("{stage:<4} {round:<3}")),
                    Span::styled(
                        format!("{agent:<14}"),
                        Style::default().fg(agent_color(&l.agent)),
                    ),
                    Span::raw(chunk),
                ])
            } else {
                Line::from(format!("{}{chunk}", " ".repeat(SPEAKER_WIDTH)))
            }
        })
        .collect()
}

/// The transcript as screen lines. Folded (the default), a run of tool calls and results by
/// one agent in one round is a single line naming the tools, so the arguments stay readable.
fn transcript_lines<'a>(
    lines: impl Iterator<Item = &'a PanelLine>,
    unfold: bool,
    width: usize,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if unfold {
        for l in lines {
            if let Some(body) = panel_body(l, true) {
                out.extend(speaker_lines(l, &body, width));
            }
        }
        return out;
    }
    let mut run: Vec<&PanelLine> = Vec::new();
    let flush = |run: &mut Vec<&PanelLine>, out: &mut Vec<Line<'static>>| {
        let calls: Vec<&str> = run
            .iter()
            .filter(|l| l.kind == "tool_call")
            .map(|l| {
                l.data
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("tool")
            })
            .collect();
        if let Some(first) = run.first() {
            let mut names: Vec<&str> = Vec::new();
            for c in &calls {
                if !names.contains(c) {
                    names.push(c);
                }
            }
            let body = format!(
                "{} tool call{}: {} [t unfolds]",
                calls.len(),
                if calls.len() == 1 { "" } else { "s" },
                names.join(", ")
            );
            out.extend(speaker_lines(first, &body, width));
        }
        run.clear();
    };
    for l in lines {
        let tool = l.kind == "tool_call" || l.kind == "tool_result";
        if tool {
            if run
                .first()
                .is_some_and(|f| f.agent != l.agent || f.round != l.round || f.stage != l.stage)
            {
                flush(&mut run, &mut out);
            }
            run.push(l);
        } else {
            flush(&mut run, &mut out);
            if let Some(body) = panel_body(l, false) {
                out.extend(speaker_lines(l, &body, width));
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

fn agent_color(agent: &str) -> Color {
    match agent {
        "chair" => ORANGE,
        "panel" => YELLOW,
        _ => {
            let h = agent
                .bytes()
                .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
            [SKY, GREEN, PURPLE, BLUE][h % 4]
        }
    }
}

fn render_panel(app: &App, f: &mut Frame, area: Rect) {
    let Some(p) = app.panel.as_ref() else { return };
    let agents = p.data.agents();
    let mut titles = vec!["all".to_string()];
    // Short tab names so that every agent and the chair fit in 80 columns.
    titles.extend(
        agents
            .iter()
            .map(|a| a.chars().take(12).collect::<String>()),
    );
    let [tabs, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let name = p
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    f.render_widget(
        Tabs::new(titles)
            .select(p.tab)
            .highlight_style(selected_style())
            .block(Block::bordered().title(format!(" {name}: the panel (Tab switches agent) "))),
        tabs,
    );
    let [left, right] =
        Layout::horizontal([Constraint::Min(40), Constraint::Length(24)]).areas(body);
    let agent = p.tab.checked_sub(1).and_then(|i| agents.get(i));
    let lines = transcript_lines(
        p.data
            .lines
            .iter()
            .filter(|l| agent.is_none_or(|a| &l.agent == a)),
        p.unfold_tools,
        usize::from(left.width.saturating_sub(2)),
    );
    let height = left.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(height);
    let scroll = max_scroll.saturating_sub(p.scroll);
    let empty = lines.is_empty();
    f.render_widget(
        Paragraph::new(if empty {
            vec![Line::from(
                "no panel lines yet: the panel speaks after the data are cleaned and screened",
            )]
        } else {
            lines
        })
        .scroll((scroll.min(u16::MAX as usize) as u16, 0))
        .block(
            Block::bordered()
                .title(if p.follow {
                    " transcript (following) "
                } else {
                    " transcript "
                })
                .title_bottom(" t tools  a approve  o results  Esc back "),
        ),
        left,
    );
    let mut side = vec![
        Line::from(format!(
            "steps {}/{}",
            p.data.steps_done, p.data.steps_total
        )),
        Line::from(""),
        Line::from(Span::styled(
            "agreement (kappa)",
            Style::default().add_modifier(Modifier::BOLD),
        )),
    ];
    for m in p.data.meters() {
        let k = m.kappa.unwrap_or(0.0).clamp(0.0, 1.0);
        let filled = (k * 8.0).round() as usize;
        side.push(Line::from(vec![
            Span::raw(format!(
                "{:<4} r{} ",
                m.stage.chars().take(4).collect::<String>(),
                m.round
            )),
            Span::styled("#".repeat(filled), Style::default().fg(GREEN)),
            Span::raw(".".repeat(8 - filled)),
            Span::raw(match m.kappa {
                Some(k) => format!(" {k:.2}"),
                None => " n/a".into(),
            }),
        ]));
    }
    side.extend([
        Line::from(""),
        Line::from(Span::styled(
            "usage",
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::from(format!("calls  {}", p.data.calls)),
        Line::from(format!("tokens {} in", p.data.prompt_tokens)),
        Line::from(format!("       {} out", p.data.completion_tokens)),
        Line::from(format!("cost   ${:.4}", p.data.cost_usd)),
    ]);
    f.render_widget(
        Paragraph::new(side).block(Block::bordered().title(" progress ")),
        right,
    );
}

fn render_approval(app: &App, f: &mut Frame, area: Rect) {
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

/// A wizard field; `text` fields show a cursor when active, choice fields do not.
fn field_line(label: &str, value: &str, active: bool, text: bool, hint: &str) -> Line<'static> {
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

fn render_wizard(app: &App, f: &mut Frame, area: Rect) {
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
            let table = Table::new(
                rows,
                [
                    Constraint::Length(10),
                    Constraint::Min(24),
                    Constraint::Length(10),
                    Constraint::Length(8),
                ],
            )
            .header(
                Row::new(["use as", "category", "role", "columns"])
                    .style(Style::default().add_modifier(Modifier::BOLD)),
            )
            .row_highlight_style(selected_style())
            .block(block.title(format!(" Space cycles  p/f/c/- set  / search{search}")));
            let mut state = TableState::default().with_selected(Some(w.selected));
            f.render_stateful_widget(table, main, &mut state);
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
            let summary = |a| {
                w.categories
                    .iter()
                    .filter(|(_, x)| *x == a)
                    .map(|(c, _)| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
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
