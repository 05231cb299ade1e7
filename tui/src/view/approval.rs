//! The approval gate: the confounders the panel chose, waiting for a yes or a no; each
//! candidate with the chair's tally (votes for and against, the confidence-weighted score),
//! and under the table the selected candidate's reason, the last round's rationales and the
//! tool results the voters saw on it.

use super::vote::scrolled_pane;
use super::*;
use crate::tables::{json_lines, sig3};
use crate::votes::{evidence_row, key_speaker, RoundTable, Tally};

const CANDIDATE_COLUMNS: [(&str, Constraint); 6] = [
    ("adj", Constraint::Length(4)),
    ("candidate", Constraint::Length(22)),
    ("for", Constraint::Length(4)),
    ("against", Constraint::Length(8)),
    ("score", Constraint::Length(7)),
    ("", Constraint::Min(10)),
];

pub(super) fn render_approval(app: &App, f: &mut Frame, area: Rect) {
    let Some(a) = app.approval.as_ref() else {
        return;
    };
    let tallies = a.tallies();
    let rows = a
        .candidates
        .iter()
        .zip(&a.chosen)
        .zip(&tallies)
        .map(|((c, &on), t)| {
            let (votes_for, against, score) = match t {
                Some(t) => (
                    t.votes_for.len().to_string(),
                    t.votes_against.len().to_string(),
                    signed(t.weighted_score),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            Row::new(vec![
                if on { "[x]" } else { "[ ]" }.to_string(),
                c.clone(),
                votes_for,
                against,
                score,
                if a.proposed.contains(c) {
                    "proposed by the panel".into()
                } else {
                    String::new()
                },
            ])
        });
    let table_height = (a.candidates.len() as u16 + 3).min(area.height / 2).max(5);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(3)]).areas(area);
    selectable_table(
        f,
        top,
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
    let candidate = a.candidates.get(a.selected).cloned().unwrap_or_default();
    let tally = tallies.get(a.selected).cloned().flatten();
    let width = usize::from(bottom.width.saturating_sub(2));
    let lines = match &tally {
        Some(t) => evidence_lines(&a.panel.lines, t, width),
        None if a.panel.lines.is_empty() => vec![Line::from("reading the panel's transcript…")],
        None => vec![Line::from(format!(
            "the chair's decision does not tally {candidate}"
        ))],
    };
    let title = format!(" {candidate}: tally, evidence, rationales ");
    scrolled_pane(f, bottom, lines, a.scroll, (&title, " PgUp/PgDn scroll "));
}

/// The tally in words, the last round's answers on the candidate, and what each tool result
/// the voters saw says of it (one table row per call, numbers to 3 significant digits).
fn evidence_lines(lines: &[PanelLine], t: &Tally, width: usize) -> Vec<Line<'static>> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let names = |v: &[String]| {
        if v.is_empty() {
            "nobody".to_string()
        } else {
            v.join(", ")
        }
    };
    let tally = format!(
        "{}: for {}; against {}; weighted score {}",
        if t.include { "adjust" } else { "leave out" },
        names(&t.votes_for),
        names(&t.votes_against),
        signed(t.weighted_score)
    );
    let mut out: Vec<Line<'static>> = wrap(&tally, width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, bold)))
        .collect();
    out.extend(wrap(&t.reason, width).into_iter().map(Line::from));
    // Each call's row on this candidate, as one table: who called, then its numbers.
    let rows: Vec<serde_json::Value> = t
        .evidence
        .iter()
        .filter_map(|key| {
            let row = evidence_row(lines, key, &t.variable)?;
            let mut record = serde_json::Map::new();
            record.insert("call".into(), key_speaker(key).into());
            if let serde_json::Value::Object(fields) = row {
                record.extend(fields.into_iter().filter(|(_, v)| v.is_number()));
            }
            Some(serde_json::Value::Object(record))
        })
        .collect();
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        format!(
            "evidence: {} tool call{} the voters saw; the transcript's results on it:",
            t.evidence.len(),
            if t.evidence.len() == 1 { "" } else { "s" }
        ),
        bold,
    )));
    out.extend(
        json_lines(&serde_json::Value::Array(rows), width, None)
            .into_iter()
            .map(Line::from),
    );
    let rounds = RoundTable::rounds(lines, "confounders");
    if let Some(&last) = rounds.last().filter(|&&r| r > 0) {
        let table = RoundTable::of(lines, "confounders", last);
        out.push(Line::from(""));
        out.push(Line::from(Span::styled(
            format!("round {last} answers on {}", t.variable),
            bold,
        )));
        for agent in &table.agents {
            if let Some(o) = table.cell(&t.variable, agent) {
                let head = format!(
                    "{agent}: {}{} ",
                    o.verdict,
                    o.confidence.map(|c| format!(" {c:.2}")).unwrap_or_default()
                );
                let text = format!("{head}{}", o.rationale);
                let mut wrapped = wrap(&text, width.saturating_sub(2)).into_iter();
                if let Some(first) = wrapped.next() {
                    let rest = first
                        .strip_prefix(agent.as_str())
                        .unwrap_or(&first)
                        .to_string();
                    out.push(Line::from(vec![
                        Span::styled(agent.clone(), Style::default().fg(agent_color(agent))),
                        Span::raw(rest),
                    ]));
                }
                out.extend(wrapped.map(|w| Line::from(format!("  {w}"))));
            }
        }
    }
    out
}

/// A score with its sign ("+2.88", "-0.5"): which way the weighted vote leans.
fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", sig3(x))
    } else {
        sig3(x)
    }
}
