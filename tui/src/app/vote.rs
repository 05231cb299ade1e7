//! The detail Enter opens on a live panel line: every agent's answers in that line's round
//! (include, confidence and rationale per variable), or the whole of a line with its data (a
//! tool's result as tables, the chair's tally).

use super::*;
use crate::votes::{opinions, RoundTable};

#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// The answers of every agent in one round of one stage; `selected` is the row (item),
    /// `scroll` how far its rationales are scrolled down (PgUp/PgDn).
    Round {
        stage: String,
        round: u32,
        selected: usize,
        scroll: usize,
    },
    /// Lines of the transcript in full (indices into `PanelData::lines`), scrolled by
    /// `scroll` screen lines.
    Lines { lines: Vec<usize>, scroll: usize },
}

impl Detail {
    /// The detail of a transcript item: its round's table for an agent's answer, the lines
    /// in full for anything that has more than its one line says (`None` otherwise).
    pub fn of(data: &PanelData, item: &[usize]) -> Option<Detail> {
        let first = data.lines.get(*item.first()?)?;
        if !opinions(first).is_empty() {
            let table = RoundTable::of(&data.lines, &first.stage, first.round);
            let selected = table
                .items
                .iter()
                .position(|i| opinions(first).first().is_some_and(|o| &o.item == i))
                .unwrap_or(0);
            return Some(Detail::Round {
                stage: first.stage.clone(),
                round: first.round,
                selected,
                scroll: 0,
            });
        }
        let has_more = item.len() > 1 || !first.data.is_null() || first.text.chars().count() > 60;
        has_more.then(|| Detail::Lines {
            lines: item.to_vec(),
            scroll: 0,
        })
    }
}

impl App {
    pub(super) fn detail_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(p) = self.panel.as_mut() else {
            return vec![];
        };
        if matches!(code, KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('h')) {
            p.detail = None;
            return vec![];
        }
        let lines = &p.data.lines;
        match (p.detail.as_mut(), code) {
            (
                Some(Detail::Round {
                    stage,
                    round,
                    selected,
                    scroll,
                }),
                code,
            ) => {
                // The rationales of another variable or round start at their top.
                *scroll = match code {
                    KeyCode::PageDown => *scroll + 5,
                    KeyCode::PageUp => scroll.saturating_sub(5),
                    _ => 0,
                };
                let rows = RoundTable::of(lines, stage, *round).items.len();
                let rounds = RoundTable::rounds(lines, stage);
                let at = rounds.iter().position(|r| r == round);
                match code {
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (*selected + 1).min(rows.saturating_sub(1))
                    }
                    KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                    KeyCode::Home => *selected = 0,
                    KeyCode::End => *selected = rows.saturating_sub(1),
                    // The same table a round earlier or later: how the answers moved.
                    KeyCode::Left | KeyCode::BackTab => {
                        if let Some(r) = at.and_then(|i| i.checked_sub(1)).map(|i| rounds[i]) {
                            *round = r;
                        }
                    }
                    KeyCode::Right | KeyCode::Tab => {
                        if let Some(&r) = at.and_then(|i| rounds.get(i + 1)) {
                            *round = r;
                        }
                    }
                    _ => {}
                }
                let rows = RoundTable::of(lines, stage, *round).items.len();
                *selected = (*selected).min(rows.saturating_sub(1));
            }
            (Some(Detail::Lines { scroll, .. }), code) => match code {
                KeyCode::Down | KeyCode::Char('j') => *scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::PageDown => *scroll += 10,
                KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                KeyCode::Home => *scroll = 0,
                _ => {}
            },
            (None, _) => {}
        }
        vec![]
    }
}
