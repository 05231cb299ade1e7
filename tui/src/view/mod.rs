//! Rendering: a pure function of the `App` state onto a ratatui frame. The palette is
//! Okabe–Ito, safe for the common forms of colour blindness; state is never shown by colour
//! alone (every status is also a word).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, TableState, Tabs, Wrap};
use ratatui::Frame;

mod approval;
mod compare;
mod list;
mod manhattan;
mod panel;
mod results;
mod vote;
mod wizard;

use approval::render_approval;
use compare::render_compare;
use list::render_list;
use panel::render_panel;
use results::render_results;
use wizard::render_wizard;

#[cfg(test)]
pub(crate) use manhattan::category_labels;

use crate::app::{App, Dialog, Screen, WizardStep, FILE_FIELDS, PANEL_FIELDS};
use crate::model::PanelLine;
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

/// A table the user moves through: bold column names and the selected row reversed, the
/// same on every screen so that a selection always looks the same. Each column is its name
/// with its width.
fn selectable_table<'a>(
    f: &mut Frame,
    area: Rect,
    rows: impl IntoIterator<Item = Row<'a>>,
    columns: &[(&'static str, Constraint)],
    block: Block<'a>,
    selected: usize,
) {
    let table = Table::new(rows, columns.iter().map(|&(_, width)| width))
        .header(
            Row::new(columns.iter().map(|&(name, _)| name))
                .style(Style::default().add_modifier(Modifier::BOLD)),
        )
        .row_highlight_style(selected_style())
        .block(block);
    let mut state = TableState::default().with_selected(Some(selected));
    f.render_stateful_widget(table, area, &mut state);
}

/// A row's style: orange where it stands out (a Bonferroni hit, the panel's arm).
fn marked(on: bool) -> Style {
    if on {
        Style::default().fg(ORANGE)
    } else {
        Style::default()
    }
}

/// A study's name as its directory's last component.
fn dir_name(dir: &std::path::Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
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
        Screen::Compare => "compare",
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
        Screen::Compare => render_compare(app, f, main),
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
        Some(Dialog::Fork(d)) => {
            let cursor = |on: bool| if on { "_" } else { "" };
            let mut lines = vec![
                format!("Fork {} into a new study", d.dir.display()),
                format!(
                    "named (type; Tab: settings): {}{}",
                    d.name,
                    cursor(d.on_name)
                ),
                match &d.clash {
                    Some(clash) => format!("  ! {clash}"),
                    None => String::new(),
                },
                "that reuses the steps before the one chosen (Up/Down):".into(),
                String::new(),
            ];
            let width = d.steps.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            lines.extend(d.steps.iter().enumerate().map(|(i, (key, description))| {
                let marker = if i == d.selected { ">" } else { " " };
                format!("{marker} {key:<width$}  {description}")
            }));
            lines.extend([
                String::new(),
                "Changed settings, KEY=VALUE separated by commas (Tab: name):".into(),
                format!("  {}{}", d.settings, cursor(!d.on_name)),
                "  e.g. model=linear, transform=rint".into(),
                "  (a setting of an earlier step, e.g. panel.protocol.max_rounds=2,".into(),
                "   needs the fork to start at that step)".into(),
                String::new(),
                "Enter: fork, then open its live panel   Esc: cancel".into(),
            ]);
            popup(f, "fork study", &lines)
        }
        None => {}
    }
    if app.help {
        popup(f, "keys (any key closes)", &help_lines(app.screen));
    }
}

/// An agent's colour, the same on every screen (the chair and the panel have their own).
pub(super) fn agent_color(agent: &str) -> Color {
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

/// Every screen's keys, as `meshagents tui --help` prints them: the help each screen shows on
/// `?`, so the two cannot disagree.
pub fn keys_help() -> String {
    let mut text = String::from("Keys (press ? in the TUI for the keys of the screen shown):\n");
    for screen in Screen::ALL {
        let lines = help_lines(screen);
        // The "Everywhere" line closes each screen's help; it is said once, at the end.
        let own = lines.iter().take_while(|l| !l.is_empty());
        for line in own {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
        text.push('\n');
    }
    text.push_str(EVERYWHERE);
    text.push_str("\nNeeds a terminal of at least 80x24.");
    text
}

/// The keys every screen has.
const EVERYWHERE: &str = "Everywhere: ? help   q quit (studies keep running headless)   Esc back";

/// The keys of a screen (the `?` popup; `meshagents tui --help` prints them all).
pub fn help_lines(screen: Screen) -> Vec<String> {
    let mut lines: Vec<&str> = match screen {
        Screen::List => vec![
            "Study list",
            "  Up/Down j/k  move        Enter/o  open (results, approval or panel)",
            "  n  new study (wizard)    l  live panel view    a  approve confounders",
            "  r  resume (study run)    s  pause a study this TUI started",
            "  x  cancel (stop now) a study this TUI started; finished steps are kept",
            "  f  fork: name it, choose the step to start from, change settings",
            "  d  delete (asks first)   Space  mark a study",
            "  C  compare: the selected fork with its parent, or the two marked studies",
        ],
        Screen::Results => vec![
            "Results",
            "  Up/Down PgUp/PgDn Home/End  move   s  sort: p, effect (|z|), phenotype",
            "  d  factor column: id and description, id, description",
            "  /  filter: words match names, ids, descriptions, categories (all words);",
            "     p<1e-8 q<0.05 model:logistic category:Diet status:ok; Esc clears",
            "  m  Manhattan plot / table; on the plot Left/Right previous/next point",
            "     (in x order), Up/Down next higher/lower point, Home the highest",
            "  x  export the rows shown (CSV, TSV, Markdown) to associations.FILTER.EXT;",
            "     y/n before overwriting a file",
            "  c  classification table (panel vs expert arm; c or Esc back)",
            "  l  panel transcript          Esc  back to the list",
        ],
        Screen::Panel => vec![
            "Live panel",
            "  Tab/Left/Right  agent tab (all, each agent, the chair)",
            "  Up/Down PgUp/PgDn Home/g  move the cursor   End/G  follow new lines",
            "  Enter  detail: on a VOTE, every agent's include/confidence/rationale",
            "         per variable (Up/Down variable, Left/Right round, PgUp/PgDn",
            "         rationales); on tool calls, their results as tables; Esc closes it",
            "  t  unfold tool calls and results   a  approval gate   o  results",
            "  Esc  back to the list",
        ],
        Screen::Approval => vec![
            "Approval gate (each candidate's votes for/against, weighted score, evidence)",
            "  Up/Down  move   PgUp/PgDn  scroll the evidence   Space  include / leave out",
            "  p  the panel's set again   Enter  approve this set and resume   Esc  back",
        ],
        Screen::Wizard => vec![
            "New study",
            "  Files: type paths; Tab/Up/Down next field; Enter checks them",
            "  Phenotypes, factors, covariates: type to search (id, description, category)",
            "    Up/Down move   Space picks roles, categories or single columns",
            "    Tab (covariates) the panel chooses among them / fixed, no panel",
            "    Esc clears the search, then goes back   Enter next",
            "  Panel: Space toggles; type model, rounds, seed; Enter shows the STUDY.toml",
            "  Preview: Up/Down PgUp/PgDn scroll; Enter writes it, starts, opens the live panel",
            "  Esc  previous step (cancels on the first)",
        ],
        Screen::Compare => vec![
            "Compare (base: the parent or first marked; other: the fork)",
            "  Tab/Left/Right or 1 2 3  hits gained, hits lost (Bonferroni < 0.05), Δβ",
            "  Up/Down PgUp/PgDn Home/End  move   Esc  back to the list",
        ],
    };
    lines.extend(["", EVERYWHERE]);
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

/// A number of the association table, NaN (no value: a skipped or failed row) as a dash.
fn num(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e4) {
        format!("{x:.2e}")
    } else {
        format!("{x:.3}")
    }
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
