//! The approval gate's state (each category's assignment) and keys.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalView {
    pub dir: PathBuf,
    pub proposed: Vec<String>,
    pub candidates: Vec<String>,
    pub chosen: Vec<bool>,
    pub agreement: f64,
    pub selected: usize,
    /// The panel's transcript (read after the proposal): the chair's tally of each candidate
    /// and the tool results it stands on.
    pub panel: PanelData,
    /// Lines the evidence pane is scrolled down (PgUp/PgDn); back to the top on a move.
    pub scroll: usize,
}

impl ApprovalView {
    /// The chair's tally of each candidate, in the order of `candidates` (`None` for one the
    /// transcript does not tally).
    pub fn tallies(&self) -> Vec<Option<crate::votes::Tally>> {
        let all = crate::votes::tallies(&self.panel.lines);
        self.candidates
            .iter()
            .map(|c| all.iter().find(|t| &t.variable == c).cloned())
            .collect()
    }
}

/// How a dictionary category enters the study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    Phenotype,
    Factor,
    Covariate,
    Skip,
}

impl Assign {
    pub fn label(self) -> &'static str {
        match self {
            Assign::Phenotype => "phenotype",
            Assign::Factor => "factor",
            Assign::Covariate => "covariate",
            Assign::Skip => "-",
        }
    }
    pub(super) fn next(self) -> Assign {
        match self {
            Assign::Phenotype => Assign::Factor,
            Assign::Factor => Assign::Covariate,
            Assign::Covariate => Assign::Skip,
            Assign::Skip => Assign::Phenotype,
        }
    }
    pub(super) fn from_role(role: &str) -> Assign {
        match role {
            "imaging" => Assign::Phenotype,
            "factor" => Assign::Factor,
            "covariate" => Assign::Covariate,
            _ => Assign::Skip,
        }
    }
}

impl App {
    pub(super) fn approval_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(a) = self.approval.as_mut() else {
            return self.back_to_list();
        };
        let n = a.candidates.len();
        match code {
            KeyCode::Esc | KeyCode::Backspace => return self.back_to_list(),
            KeyCode::Down | KeyCode::Char('j') => {
                a.selected = (a.selected + 1).min(n.saturating_sub(1));
                a.scroll = 0;
            }
            KeyCode::Up | KeyCode::Char('k') => {
                a.selected = a.selected.saturating_sub(1);
                a.scroll = 0;
            }
            KeyCode::PageDown => a.scroll += 5,
            KeyCode::PageUp => a.scroll = a.scroll.saturating_sub(5),
            KeyCode::Char(' ') => {
                if let Some(c) = a.chosen.get_mut(a.selected) {
                    *c = !*c;
                }
            }
            KeyCode::Char('p') => {
                a.chosen = a
                    .candidates
                    .iter()
                    .map(|c| a.proposed.contains(c))
                    .collect();
            }
            KeyCode::Enter => {
                let covariates: Vec<String> = a
                    .candidates
                    .iter()
                    .zip(&a.chosen)
                    .filter(|(_, &c)| c)
                    .map(|(c, _)| c.clone())
                    .collect();
                let dir = a.dir.clone();
                self.status = format!(
                    "approved: {}; resuming",
                    if covariates.is_empty() {
                        "no covariates".to_string()
                    } else {
                        covariates.join(", ")
                    }
                );
                self.screen = Screen::Panel;
                return vec![
                    Effect::Approve {
                        dir: dir.clone(),
                        covariates,
                    },
                    Effect::LoadPanel(dir),
                ];
            }
            _ => {}
        }
        vec![]
    }
}
