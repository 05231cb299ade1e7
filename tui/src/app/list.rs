//! The study list: moving through studies and what a key does to the selected one.

use super::*;

/// The fork dialog: the fork's name, the step it starts from (Up/Down) and its changed
/// settings; Tab moves between the name and the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ForkDialog {
    pub dir: PathBuf,
    /// (key, description)
    pub steps: Vec<(String, String)>,
    pub selected: usize,
    pub settings: String,
    pub name: String,
    /// The name field has the keyboard (else the settings).
    pub on_name: bool,
    /// "a study named X exists" while the name is taken (Enter does not fork).
    pub clash: Option<String>,
}

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
                let mut wizard = Wizard::new();
                wizard.clash = self.name_clash(&wizard.name);
                self.wizard = Some(wizard);
                self.screen = Screen::Wizard;
                vec![]
            }
            KeyCode::Char('C') => self.compare_key_from_list(),
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
                    // `<parent>-fork`, or `-fork2`, ... : the first name not taken.
                    let name = (1..100)
                        .map(|i| match i {
                            1 => format!("{}-fork", study.name),
                            i => format!("{}-fork{i}", study.name),
                        })
                        .find(|n| self.name_clash(n).is_none())
                        .unwrap_or_else(|| format!("{}-fork", study.name));
                    let clash = self.name_clash(&name);
                    self.dialog = Some(Dialog::Fork(ForkDialog {
                        dir,
                        steps,
                        selected,
                        settings: String::new(),
                        name,
                        on_name: true,
                        clash,
                    }));
                    vec![]
                }
            }
            KeyCode::Char(' ') => {
                match self.marked.iter().position(|d| *d == dir) {
                    Some(i) => {
                        self.marked.remove(i);
                    }
                    None => self.marked.push(dir),
                }
                self.status = match self.marked.len() {
                    0 => "no study marked".into(),
                    1 => "1 study marked: mark another with Space, then C compares them".into(),
                    n => format!("{n} studies marked: C compares the first two"),
                };
                vec![]
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

    /// A key of the fork dialog: text goes to the name or the settings (Tab switches), Up and
    /// Down choose the step, Enter forks unless the name is taken.
    pub(super) fn fork_key(&mut self, mut d: ForkDialog, code: KeyCode) -> Vec<Effect> {
        match code {
            KeyCode::Esc => {
                self.dialog = None;
                self.status = "not forked".into();
                return vec![];
            }
            KeyCode::Enter if d.clash.is_none() => {
                self.dialog = None;
                let Some(out) = crate::model::study_dir(&self.root, &d.name) else {
                    return vec![];
                };
                let settings: Vec<String> = d
                    .settings
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                self.select_dir = Some(out.clone());
                return vec![
                    Effect::Fork {
                        from: d.steps[d.selected].0.clone(),
                        dir: d.dir,
                        settings,
                        name: d.name.trim().to_string(),
                        out: out.clone(),
                    },
                    Effect::RefreshStudies,
                    Effect::LoadPanel(out),
                ];
            }
            KeyCode::Tab | KeyCode::BackTab => d.on_name = !d.on_name,
            KeyCode::Up => d.selected = d.selected.saturating_sub(1),
            KeyCode::Down => d.selected = (d.selected + 1).min(d.steps.len() - 1),
            KeyCode::Char(c) if d.on_name => d.name.push(c),
            KeyCode::Backspace if d.on_name => {
                d.name.pop();
            }
            KeyCode::Char(c) => d.settings.push(c),
            KeyCode::Backspace => {
                d.settings.pop();
            }
            _ => {}
        }
        if d.on_name {
            d.clash = self.name_clash(&d.name);
        }
        self.dialog = Some(Dialog::Fork(d));
        vec![]
    }

    /// C on the list: two marked studies, or the selected fork and the parent it recorded.
    fn compare_key_from_list(&mut self) -> Vec<Effect> {
        if let [a, b, ..] = self.marked.as_slice() {
            // The parent first when one is the other's fork; else in the order marked.
            let (base, other) = if self.parent_of(a).as_ref() == Some(b) {
                (b.clone(), a.clone())
            } else {
                (a.clone(), b.clone())
            };
            return vec![Effect::LoadCompare { base, other }];
        }
        let Some(study) = self.selected_study() else {
            return vec![];
        };
        match &study.parent {
            Some(parent) => vec![Effect::LoadCompare {
                base: parent.clone(),
                other: study.dir.clone(),
            }],
            None => {
                self.status = format!(
                    "{} is not a fork: C compares a fork with its parent, or two studies marked with Space",
                    study.name
                );
                vec![]
            }
        }
    }

    fn parent_of(&self, dir: &PathBuf) -> Option<PathBuf> {
        self.studies
            .iter()
            .find(|s| &s.dir == dir)
            .and_then(|s| s.parent.clone())
    }

    pub(super) fn back_to_list(&mut self) -> Vec<Effect> {
        self.screen = Screen::List;
        vec![Effect::RefreshStudies]
    }
}
