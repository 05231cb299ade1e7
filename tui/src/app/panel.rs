//! The live panel's state and keys.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct PanelView {
    pub dir: PathBuf,
    pub data: PanelData,
    /// 0 = every agent; then the agents of `data.agents()`.
    pub tab: usize,
    /// Lines scrolled back from the end: counted from the end so that new lines arriving
    /// while the user reads do not move what is on screen.
    pub scroll: usize,
    /// Follow new lines (the view sticks to the end until the user scrolls up).
    pub follow: bool,
    pub unfold_tools: bool,
}

impl App {
    pub(super) fn panel_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(p) = self.panel.as_mut() else {
            return self.back_to_list();
        };
        let tabs = p.data.agents().len() + 1;
        match code {
            KeyCode::Esc | KeyCode::Backspace => return self.back_to_list(),
            KeyCode::Tab | KeyCode::Right => {
                p.tab = (p.tab + 1) % tabs;
                p.scroll = 0;
            }
            KeyCode::BackTab | KeyCode::Left => {
                p.tab = (p.tab + tabs - 1) % tabs;
                p.scroll = 0;
            }
            KeyCode::Up | KeyCode::Char('k') => p.scroll += 1,
            KeyCode::Down | KeyCode::Char('j') => p.scroll = p.scroll.saturating_sub(1),
            KeyCode::PageUp => p.scroll += 10,
            KeyCode::PageDown => p.scroll = p.scroll.saturating_sub(10),
            KeyCode::End | KeyCode::Char('G') => p.scroll = 0,
            KeyCode::Char('t') => p.unfold_tools = !p.unfold_tools,
            KeyCode::Char('a') => return vec![Effect::LoadProposal(p.dir.clone())],
            KeyCode::Char('o') | KeyCode::Enter => return vec![Effect::LoadResults(p.dir.clone())],
            _ => {}
        }
        // Never further back than there are lines (the view clamps to the screen too).
        p.scroll = p.scroll.min(p.data.lines.len());
        p.follow = p.scroll == 0;
        vec![]
    }
}
