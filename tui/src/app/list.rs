//! The study list: moving through studies and what a key does to the selected one.

use super::*;

impl App {
    pub(super) fn list_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let n = self.studies.len();
        match code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
                vec![]
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected = self.selected.saturating_sub(1);
                vec![]
            }
            KeyCode::Char('n') => {
                self.wizard = Some(Wizard::new());
                self.screen = Screen::Wizard;
                vec![]
            }
            KeyCode::Char('g') => vec![Effect::RefreshStudies],
            _ => {
                let Some(study) = self.selected_study().cloned() else {
                    self.status = "no study yet: press n to start one".into();
                    return vec![];
                };
                self.study_key(&study, code)
            }
        }
    }

    pub(super) fn study_key(&mut self, study: &StudyRow, code: KeyCode) -> Vec<Effect> {
        let dir = study.dir.clone();
        let running = matches!(study.state, StudyState::Running { .. });
        match code {
            KeyCode::Enter | KeyCode::Char('o') => {
                if study.has_results {
                    vec![Effect::LoadResults(dir)]
                } else if study.state == StudyState::AwaitingApproval {
                    vec![Effect::LoadProposal(dir)]
                } else {
                    vec![Effect::LoadPanel(dir)]
                }
            }
            KeyCode::Char('l') => vec![Effect::LoadPanel(dir)],
            KeyCode::Char('a') if study.state == StudyState::AwaitingApproval => {
                vec![Effect::LoadProposal(dir)]
            }
            KeyCode::Char('r') => {
                if running {
                    self.status = format!("{} is already running", study.name);
                    vec![]
                } else if study.state == StudyState::Finished {
                    self.status = format!("{} has finished: press f to fork it", study.name);
                    vec![]
                } else if study.state == StudyState::AwaitingApproval {
                    self.status = "the panel's confounders wait for approval: press a".into();
                    vec![]
                } else if !study.resumable {
                    self.status = format!(
                        "{} has no STUDY.toml (a demo?): resume it with the command that started it",
                        study.name
                    );
                    vec![]
                } else {
                    vec![Effect::Resume(dir)]
                }
            }
            KeyCode::Char('s') => self.signal_child(
                study,
                running,
                Effect::Pause(dir),
                "pause it there (Ctrl-C)",
            ),
            KeyCode::Char('x') => {
                self.signal_child(study, running, Effect::Cancel(dir), "stop it there")
            }
            KeyCode::Char('f') => {
                if running {
                    self.status = "fork a study once it has stopped or finished".into();
                    vec![]
                } else {
                    let steps = if study.steps.is_empty() {
                        vec![(
                            DEFAULT_FORK_STEP.to_string(),
                            "the association step".to_string(),
                        )]
                    } else {
                        study.steps.clone()
                    };
                    let selected = steps
                        .iter()
                        .position(|(key, _)| key == DEFAULT_FORK_STEP)
                        .unwrap_or(0);
                    self.dialog = Some(Dialog::Fork {
                        dir,
                        steps,
                        selected,
                        settings: String::new(),
                    });
                    vec![]
                }
            }
            KeyCode::Char('d') | KeyCode::Delete => {
                if running {
                    self.status = format!("{} is running: pause it before deleting it", study.name);
                } else {
                    self.dialog = Some(Dialog::ConfirmDelete(dir));
                }
                vec![]
            }
            _ => vec![],
        }
    }

    /// Pausing and cancelling signal a child of this TUI; a study another process runs is
    /// only followed (read-only), so the status line says where to act instead.
    fn signal_child(
        &mut self,
        study: &StudyRow,
        running: bool,
        effect: Effect,
        elsewhere: &str,
    ) -> Vec<Effect> {
        if self.children.contains(&study.dir) {
            vec![effect]
        } else {
            self.status = if running {
                format!(
                    "{} runs in another process: {elsewhere}; this view is read-only",
                    study.name
                )
            } else {
                format!("{} is not running", study.name)
            };
            vec![]
        }
    }

    pub(super) fn back_to_list(&mut self) -> Vec<Effect> {
        self.screen = Screen::List;
        vec![Effect::RefreshStudies]
    }
}
