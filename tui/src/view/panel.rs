//! The live panel: the meeting's transcript, one speaker at a time, folded or unfolded, with
//! a heading where each part of the meeting starts (a round, the proposals, the decision), a
//! cursor on one item (Enter opens its detail), and the step's progress on the right.

use super::vote::render_detail;
use super::*;
use crate::app::PanelView;
use crate::tables::json_lines;
use crate::votes::{elapsed, round_tag, round_title, Progress};

/// Rows of a list shown inline in the transcript; Enter shows them all.
const INLINE_ROWS: usize = 5;

/// The body of one transcript line (its first screen line's text).
pub(super) fn panel_body(l: &PanelLine) -> String {
    let data_str = |key: &str| {
        l.data
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    match l.kind.as_str() {
        "tool_result" => format!("<- {}", data_str("key").rsplit('/').next().unwrap_or("")),
        "tool_call" => format!("tool {}", l.text),
        // How many answers it holds, by their kind (Enter shows every agent's).
        "proposal" => {
            let counted = [
                ("VOTE", "votes"),
                ("PICKS", "selections"),
                ("PROPOSES", "proposals"),
            ]
            .iter()
            .find_map(|(word, k)| {
                let n = l.data.get(*k)?.as_array()?.len();
                (n > 0).then(|| format!("{word} {} ({n} {k})", l.text))
            });
            counted.unwrap_or_else(|| format!("VOTE {}", l.text))
        }
        "agreement" => format!("AGREEMENT {}", l.text),
        "decision" => format!("DECISION {}", l.text),
        // A candidate brought in from the catalogue, with whether it joined the list.
        "candidate_proposal" => format!(
            "PROPOSES {} [{}]: {}",
            data_str("variable"),
            data_str("status"),
            data_str("reason")
        ),
        "merge" => format!("MERGE {}", l.text),
        _ => l.text.clone(),
    }
}

/// A transcript line, the speaker in front and the body wrapped to `width` columns so that
/// the agents' arguments are read whole (the view scrolls over these screen lines).
pub(super) fn speaker_lines(
    l: &PanelLine,
    body: &str,
    width: usize,
    max_rounds: Option<u32>,
) -> Vec<Line<'static>> {
    let agent: String = l.agent.chars().take(12).collect();
    let stage: String = l.stage.chars().take(4).collect();
    let round = round_tag(l, max_rounds);
    let chunks = wrap(body, width.saturating_sub(SPEAKER_WIDTH).max(10));
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            if i == 0 {
                Line::from(vec![
                    Span::raw(format!("{stage:<4} {round:<4}")),
                    Span::styled(
                        format!("{agent:<13}"),
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

/// The screen lines of one item: a folded run of tool calls is one line naming the tools;
/// an unfolded tool result is its rounded tables, the first rows of each list.
fn item_lines(p: &PanelView, item: &[usize], width: usize) -> Vec<Line<'static>> {
    let lines = &p.data.lines;
    let max_rounds = p.data.max_rounds;
    let Some(first) = item.first().map(|&i| &lines[i]) else {
        return Vec::new();
    };
    if item.len() > 1 {
        let mut names: Vec<&str> = Vec::new();
        let calls = item
            .iter()
            .filter(|&&i| lines[i].kind == "tool_call")
            .inspect(|&&i| {
                let name = lines[i]
                    .data
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("tool");
                if !names.contains(&name) {
                    names.push(name);
                }
            })
            .count();
        let body = format!(
            "{calls} tool call{}: {} [Enter shows results, t unfolds]",
            if calls == 1 { "" } else { "s" },
            names.join(", ")
        );
        return speaker_lines(first, &body, width, max_rounds);
    }
    let mut out = speaker_lines(first, &panel_body(first), width, max_rounds);
    if first.kind == "tool_result" {
        if let Some(result) = first.data.get("result") {
            let room = width.saturating_sub(SPEAKER_WIDTH);
            out.extend(
                json_lines(result, room, Some(INLINE_ROWS))
                    .into_iter()
                    .map(|t| Line::from(format!("{}{t}", " ".repeat(SPEAKER_WIDTH)))),
            );
        }
    }
    out
}

/// The transcript as screen lines, a heading before each part of the meeting, and the range
/// of screen lines of the item under the cursor.
fn transcript(p: &PanelView, width: usize) -> (Vec<Line<'static>>, std::ops::Range<usize>) {
    let cursor = p.cursor();
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut part: Option<String> = None;
    let mut selected = 0..0;
    for (n, item) in p.items().iter().enumerate() {
        let Some(first) = item.first().map(|&i| &p.data.lines[i]) else {
            continue;
        };
        let title = round_title(first, p.data.max_rounds);
        if part.as_ref() != Some(&title) {
            out.push(Line::from(Span::styled(
                format!("── {title} ──"),
                Style::default().add_modifier(Modifier::BOLD),
            )));
            part = Some(title);
        }
        let start = out.len();
        let mut lines = item_lines(p, item, width.saturating_sub(1));
        for (k, line) in lines.iter_mut().enumerate() {
            let mark = if n == cursor && k == 0 { "›" } else { " " };
            line.spans.insert(0, Span::raw(mark));
            if n == cursor {
                *line = std::mem::take(line).style(Style::default().add_modifier(Modifier::BOLD));
            }
        }
        out.extend(lines);
        if n == cursor {
            selected = start..out.len();
        }
    }
    (out, selected)
}

pub(super) fn render_panel(app: &App, f: &mut Frame, area: Rect) {
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
    let name = dir_name(&p.dir);
    f.render_widget(
        Tabs::new(titles)
            .select(p.tab)
            .highlight_style(selected_style())
            .block(Block::bordered().title(format!(" {name}: the panel (Tab switches agent) "))),
        tabs,
    );
    if let Some(detail) = &p.detail {
        render_detail(p, detail, f, body);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Min(40), Constraint::Length(28)]).areas(body);
    let (lines, selected) = transcript(p, usize::from(left.width.saturating_sub(2)));
    let height = left.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(height);
    // Following: the end; otherwise the item under the cursor in the middle of the view.
    let scroll = if p.follow {
        max_scroll
    } else {
        let middle = (selected.start + selected.end) / 2;
        middle.saturating_sub(height / 2).min(max_scroll)
    };
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
                .title_bottom(" Enter detail  t tools  a approve  o results  Esc back "),
        ),
        left,
    );
    f.render_widget(
        Paragraph::new(side_lines(p)).block(Block::bordered().title(" progress ")),
        right,
    );
}

/// The progress pane: the step and its time, the round and who has answered, the agreement
/// of each round, the usage.
fn side_lines(p: &PanelView) -> Vec<Line<'static>> {
    let bold = |s: &str| {
        Line::from(Span::styled(
            s.to_string(),
            Style::default().add_modifier(Modifier::BOLD),
        ))
    };
    let progress = Progress::of(&p.data);
    let mut side = vec![Line::from(format!(
        "steps {}/{}",
        p.data.steps_done, p.data.steps_total
    ))];
    if !progress.step.is_empty() {
        side.push(Line::from(
            progress.step.chars().take(26).collect::<String>(),
        ));
        side.push(Line::from(format!(
            "{} {}",
            if progress.running { "running" } else { "took" },
            elapsed(progress.elapsed_ms)
        )));
    }
    if let Some(stage) = &progress.stage {
        side.push(Line::from(match progress.max_rounds {
            Some(k) => format!("{stage} round {} of {k}", progress.round),
            None => format!("{stage} round {}", progress.round),
        }));
        side.push(Line::from(format!(
            "answered {} of {}",
            progress.answered, progress.voters
        )));
    }
    side.extend([Line::from(""), bold("agreement (kappa)")]);
    for m in p.data.meters() {
        let k = m.kappa.unwrap_or(0.0).clamp(0.0, 1.0);
        let filled = (k * 8.0).round() as usize;
        let round = match p.data.max_rounds {
            Some(max) => format!("{}/{max}", m.round),
            None => format!("r{}", m.round),
        };
        side.push(Line::from(vec![
            Span::raw(format!(
                "{:<4} {round:<4} ",
                m.stage.chars().take(4).collect::<String>(),
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
        bold("usage"),
        Line::from(format!("calls  {}", p.data.calls)),
        Line::from(format!("tokens {} in", p.data.prompt_tokens)),
        Line::from(format!("       {} out", p.data.completion_tokens)),
        Line::from(format!("cost   ${:.4}", p.data.cost_usd)),
    ]);
    side
}
