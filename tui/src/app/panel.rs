//! The live panel's state and keys. The transcript is a list of items (a line, or a folded
//! run of one agent's tool calls in one round); the cursor moves over them, and Enter opens
//! the item's detail (see `vote.rs`).

use super::vote::Detail;
use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct PanelView {
    pub dir: PathBuf,
    pub data: PanelData,
    /// 0 = every agent; then the agents of `data.agents()`.
    pub tab: usize,
    /// The item under the cursor, as an index into [`PanelView::items`]; ignored while
    /// following, when the cursor is on the last item.
    pub selected: usize,
    /// Follow new lines (the cursor sticks to the last item until the user moves it up).
    pub follow: bool,
    pub unfold_tools: bool,
    /// The detail opened with Enter (each agent's answers in a round, a tool's result).
    pub detail: Option<Detail>,
}

impl PanelView {
    pub fn new(dir: PathBuf, data: PanelData) -> PanelView {
        PanelView {
            dir,
            data,
            tab: 0,
            selected: 0,
            follow: true,
            unfold_tools: false,
            detail: None,
        }
    }

    /// The agent of the tab shown (`None`: every agent).
    pub fn agent(&self) -> Option<String> {
        self.tab
            .checked_sub(1)
            .and_then(|i| self.data.agents().get(i).cloned())
    }

    /// The transcript's items on this tab, each the indices of its lines in `data.lines`:
    /// folded (the default), a run of tool calls and results by one agent in one round is one
    /// item, so the agents' arguments stay readable.
    pub fn items(&self) -> Vec<Vec<usize>> {
        let agent = self.agent();
        let lines = &self.data.lines;
        let mut items: Vec<Vec<usize>> = Vec::new();
        let mut run: Vec<usize> = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if agent.as_ref().is_some_and(|a| &l.agent != a) {
                continue;
            }
            let tool = l.kind == "tool_call" || l.kind == "tool_result";
            if self.unfold_tools || !tool {
                if !run.is_empty() {
                    items.push(std::mem::take(&mut run));
                }
                items.push(vec![i]);
                continue;
            }
            let same = |f: &usize| {
                let f = &lines[*f];
                f.agent == l.agent && f.round == l.round && f.stage == l.stage
            };
            if run.first().is_some_and(|f| !same(f)) {
                items.push(std::mem::take(&mut run));
            }
            run.push(i);
        }
        if !run.is_empty() {
            items.push(run);
        }
        items
    }

    /// The item under the cursor (the last while following).
    pub fn cursor(&self) -> usize {
        let n = self.items().len();
        if self.follow {
            n.saturating_sub(1)
        } else {
            self.selected.min(n.saturating_sub(1))
        }
    }
}

impl App {
    pub(super) fn panel_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(p) = self.panel.as_mut() else {
            return self.back_to_list();
        };
        if p.detail.is_some() {
            return self.detail_key(code);
        }
        let tabs = p.data.agents().len() + 1;
        let last = p.items().len().saturating_sub(1);
        let cursor = p.cursor();
        match code {
            KeyCode::Esc | KeyCode::Backspace => return self.back_to_list(),
            KeyCode::Tab | KeyCode::Right => {
                p.tab = (p.tab + 1) % tabs;
                p.follow = true;
            }
            KeyCode::BackTab | KeyCode::Left => {
                p.tab = (p.tab + tabs - 1) % tabs;
                p.follow = true;
            }
            KeyCode::Up | KeyCode::Char('k') => move_to(p, cursor.saturating_sub(1), last),
            KeyCode::Down | KeyCode::Char('j') => move_to(p, cursor + 1, last),
            KeyCode::PageUp => move_to(p, cursor.saturating_sub(10), last),
            KeyCode::PageDown => move_to(p, cursor + 10, last),
            KeyCode::Home | KeyCode::Char('g') => move_to(p, 0, last),
            KeyCode::End | KeyCode::Char('G') => p.follow = true,
            KeyCode::Char('t') => {
                // The cursor stays on the line it was on, folded or not.
                let line = p.items().get(cursor).and_then(|i| i.first().copied());
                p.unfold_tools = !p.unfold_tools;
                if let Some(line) = line.filter(|_| !p.follow) {
                    p.selected = p
                        .items()
                        .iter()
                        .position(|i| i.contains(&line))
                        .unwrap_or(0);
                }
            }
            KeyCode::Enter => {
                let item = p.items().get(cursor).cloned().unwrap_or_default();
                match Detail::of(&p.data, &item) {
                    Some(d) => p.detail = Some(d),
                    None => self.status = "this line has nothing more to show".into(),
                }
            }
            KeyCode::Char('a') => return vec![Effect::LoadProposal(p.dir.clone())],
            KeyCode::Char('o') => return vec![Effect::LoadResults(p.dir.clone())],
            _ => {}
        }
        vec![]
    }
}

/// Puts the cursor on item `to` (at most the last); on the last, the view follows again.
fn move_to(p: &mut PanelView, to: usize, last: usize) {
    p.selected = to.min(last);
    p.follow = p.selected == last;
}
