//! The live panel: the meeting's transcript, one speaker at a time, folded or unfolded.

use super::*;

/// The body of one transcript line; `None` when it is folded away.
pub(super) fn panel_body(l: &PanelLine, unfold: bool) -> Option<String> {
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

/// A transcript line, the speaker in front and the body wrapped to `width` columns so that
/// the agents' arguments are read whole (the view scrolls over these screen lines).
pub(super) fn speaker_lines(l: &PanelLine, body: &str, width: usize) -> Vec<Line<'static>> {
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
pub(super) fn transcript_lines<'a>(
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
