//! The new-study wizard's state, its plan of the study to write, and keys. Steps: the files
//! (name, data, dictionary), a column picker each for phenotypes, factors and covariates
//! (`picker`), the panel, and a preview of the STUDY.toml to be written.

use super::picker::{PickItem, Picker};
use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardStep {
    Files,
    /// The picker of phenotypes, factors or covariates.
    Pick(Assign),
    Panel,
    /// The STUDY.toml as it will be written (scrolled by `Wizard::preview_scroll`).
    Preview,
}

/// The wizard's text and choice fields, in the order Tab visits them per step.
pub const FILE_FIELDS: [&str; 3] = ["name", "data", "dictionary"];

pub const PANEL_FIELDS: [&str; 6] = [
    "backend",
    "model",
    "rounds",
    "seed",
    "approval gate",
    "covariates",
];

/// The pickers in the order the wizard shows them.
pub const PICK_PAGES: [Assign; 3] = [Assign::Phenotype, Assign::Factor, Assign::Covariate];

#[derive(Debug, Clone, PartialEq)]
pub struct Wizard {
    pub step: WizardStep,
    pub field: usize,
    pub name: String,
    pub data: String,
    pub dictionary: String,
    /// What the pickers offer: the dictionary's roles and categories, then its columns.
    pub items: Vec<PickItem>,
    /// One per page of `PICK_PAGES`.
    pub pickers: Vec<Picker>,
    pub backend_openai: bool,
    pub model: String,
    pub rounds: String,
    pub seed: String,
    pub approve: bool,
    /// Covariates fixed by the study (no panel) instead of debated by the panel.
    pub fix_covariates: bool,
    /// "a study named X exists" while the name typed is taken; the wizard does not go on.
    pub clash: Option<String>,
    /// The plan and the STUDY.toml text the preview shows (and Enter writes).
    pub preview: Option<(WizardPlan, String)>,
    pub preview_scroll: usize,
    pub error: Option<String>,
}

impl Wizard {
    pub(super) fn new() -> Self {
        Wizard {
            step: WizardStep::Files,
            field: 0,
            name: "my-study".into(),
            data: String::new(),
            dictionary: String::new(),
            items: Vec::new(),
            pickers: Vec::new(),
            backend_openai: false,
            model: "gpt-4o-mini".into(),
            rounds: "3".into(),
            seed: "42".into(),
            approve: false,
            fix_covariates: false,
            clash: None,
            preview: None,
            preview_scroll: 0,
            error: None,
        }
    }

    /// The dictionary read: every page's picker starts from the CLI's default for its list
    /// (the whole `imaging`, `factor` and `covariate` roles).
    pub(super) fn set_dictionary(&mut self, dictionary: WizardDictionary) {
        self.items = super::picker::items(&dictionary);
        self.pickers = PICK_PAGES
            .iter()
            .map(|&page| Picker::new(&self.items, page))
            .collect();
        self.step = WizardStep::Pick(Assign::Phenotype);
        self.error = None;
    }

    pub fn picker(&self, page: Assign) -> Option<&Picker> {
        PICK_PAGES
            .iter()
            .position(|&p| p == page)
            .and_then(|i| self.pickers.get(i))
    }

    /// A page's picker with the items it picks from.
    fn page_mut(&mut self, page: Assign) -> Option<(&mut Picker, &[PickItem])> {
        let i = PICK_PAGES.iter().position(|&p| p == page)?;
        Some((self.pickers.get_mut(i)?, &self.items))
    }

    /// The LIST a page's picks make (STUDY.toml's `phenotypes`, `factors`, `covariates` or
    /// `candidates`), in the dictionary's order.
    pub fn list(&self, page: Assign) -> String {
        self.picker(page)
            .map(|p| p.list(&self.items))
            .unwrap_or_default()
    }

    /// The plan, or what is wrong with it.
    pub fn plan(&self, root: &std::path::Path) -> Result<WizardPlan, String> {
        let rounds: u32 = self
            .rounds
            .trim()
            .parse()
            .ok()
            .filter(|r| (1..=20).contains(r))
            .ok_or("rounds: a whole number from 1 to 20")?;
        let seed: u64 = self
            .seed
            .trim()
            .parse()
            .map_err(|_| "seed: a whole number")?;
        let phenotypes = self.list(Assign::Phenotype);
        let factors = self.list(Assign::Factor);
        if phenotypes.is_empty() || factors.is_empty() {
            return Err("choose at least one phenotype and one factor".into());
        }
        if self.backend_openai && self.model.trim().is_empty() {
            return Err("model: name the model the OpenAI-compatible server serves".into());
        }
        let dir =
            crate::model::study_dir(root, &self.name).ok_or("name: letters or digits, please")?;
        Ok(WizardPlan {
            dir,
            name: self.name.trim().to_string(),
            data: PathBuf::from(self.data.trim()),
            dictionary: (!self.dictionary.trim().is_empty())
                .then(|| PathBuf::from(self.dictionary.trim())),
            phenotypes,
            factors,
            covariates: self.list(Assign::Covariate),
            fix_covariates: self.fix_covariates,
            openai_model: self.backend_openai.then(|| self.model.trim().to_string()),
            rounds,
            seed,
            approve: self.approve,
        })
    }
}

/// What the wizard asks the runtime to create and start.
#[derive(Debug, Clone, PartialEq)]
pub struct WizardPlan {
    pub dir: PathBuf,
    pub name: String,
    pub data: PathBuf,
    pub dictionary: Option<PathBuf>,
    pub phenotypes: String,
    pub factors: String,
    /// Empty: no covariates at all (`none`), fixed or as the panel's candidates.
    pub covariates: String,
    pub fix_covariates: bool,
    pub openai_model: Option<String>,
    pub rounds: u32,
    pub seed: u64,
    pub approve: bool,
}

impl App {
    /// "a study named X exists" when a study (listed, or a folder on disk) already has the
    /// folder `name` would get; checked at each keystroke of the wizard and the fork dialog.
    pub(super) fn name_clash(&self, name: &str) -> Option<String> {
        let dir = crate::model::study_dir(&self.root, name)?;
        (self.studies.iter().any(|s| s.dir == dir) || dir.exists()).then(|| {
            format!(
                "a study named {} exists: choose another name",
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )
        })
    }

    pub(super) fn wizard_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let root = self.root.clone();
        let Some(step) = self.wizard.as_ref().map(|w| w.step) else {
            return self.back_to_list();
        };
        match step {
            WizardStep::Files => return self.wizard_files_key(code),
            WizardStep::Pick(page) => {
                let w = self.wizard.as_mut().expect("checked");
                match code {
                    KeyCode::Esc if w.picker(page).is_some_and(|p| !p.search.is_empty()) => {
                        if let Some((p, items)) = w.page_mut(page) {
                            p.set_search(String::new(), items);
                        }
                    }
                    KeyCode::Esc | KeyCode::BackTab => {
                        w.step = match page {
                            Assign::Phenotype => WizardStep::Files,
                            Assign::Covariate => WizardStep::Pick(Assign::Factor),
                            _ => WizardStep::Pick(Assign::Phenotype),
                        }
                    }
                    KeyCode::Tab if page == Assign::Covariate => {
                        w.fix_covariates = !w.fix_covariates
                    }
                    KeyCode::Enter => {
                        if page != Assign::Covariate && w.list(page).is_empty() {
                            w.error = Some(format!("pick at least one {}", page.label()));
                        } else {
                            w.error = None;
                            w.step = match page.next() {
                                Assign::Skip => WizardStep::Panel,
                                next => WizardStep::Pick(next),
                            };
                            w.field = 0;
                        }
                    }
                    code => {
                        if let Some((p, items)) = w.page_mut(page) {
                            p.key(code, items);
                        }
                    }
                }
            }
            WizardStep::Panel => {
                let w = self.wizard.as_mut().expect("checked");
                match code {
                    KeyCode::Esc => w.step = WizardStep::Pick(Assign::Covariate),
                    KeyCode::Tab | KeyCode::Down => w.field = (w.field + 1) % PANEL_FIELDS.len(),
                    KeyCode::BackTab | KeyCode::Up => {
                        w.field = (w.field + PANEL_FIELDS.len() - 1) % PANEL_FIELDS.len()
                    }
                    KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right
                        if !matches!(w.field, 1..=3) =>
                    {
                        match w.field {
                            0 => w.backend_openai = !w.backend_openai,
                            4 => w.approve = !w.approve,
                            _ => w.fix_covariates = !w.fix_covariates,
                        }
                    }
                    KeyCode::Backspace => {
                        match w.field {
                            1 => w.model.pop(),
                            2 => w.rounds.pop(),
                            3 => w.seed.pop(),
                            _ => None,
                        };
                    }
                    KeyCode::Char(c) => match w.field {
                        1 => w.model.push(c),
                        2 if c.is_ascii_digit() => w.rounds.push(c),
                        3 if c.is_ascii_digit() => w.seed.push(c),
                        _ => {}
                    },
                    KeyCode::Enter => match w.plan(&root) {
                        Ok(plan) => {
                            w.error = None;
                            return vec![Effect::PreviewStudy(Box::new(plan))];
                        }
                        Err(e) => w.error = Some(e),
                    },
                    _ => {}
                }
            }
            WizardStep::Preview => {
                let clash = self.wizard.as_ref().and_then(|w| self.name_clash(&w.name));
                let w = self.wizard.as_mut().expect("checked");
                match code {
                    KeyCode::Esc => {
                        w.step = WizardStep::Panel;
                        w.preview = None;
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        w.preview_scroll = w.preview_scroll.saturating_sub(1)
                    }
                    KeyCode::Down | KeyCode::Char('j') => w.preview_scroll += 1,
                    KeyCode::PageUp => w.preview_scroll = w.preview_scroll.saturating_sub(10),
                    KeyCode::PageDown => w.preview_scroll += 10,
                    KeyCode::Home => w.preview_scroll = 0,
                    KeyCode::Enter => {
                        // The name was free when typed; a study made since then still wins.
                        if let Some(clash) = clash {
                            w.error = Some(clash);
                            return vec![];
                        }
                        let Some((plan, toml)) = w.preview.take() else {
                            return vec![];
                        };
                        let dir = plan.dir.clone();
                        self.status = format!("starting {}", dir.display());
                        self.wizard = None;
                        self.screen = Screen::List;
                        self.select_dir = Some(dir.clone());
                        return vec![
                            Effect::CreateStudy {
                                plan: Box::new(plan),
                                toml,
                            },
                            Effect::RefreshStudies,
                            Effect::LoadPanel(dir),
                        ];
                    }
                    _ => {}
                }
                if let Some((_, text)) = &w.preview {
                    w.preview_scroll = w.preview_scroll.min(text.lines().count());
                }
            }
        }
        vec![]
    }

    fn wizard_files_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(w) = self.wizard.as_mut() else {
            return self.back_to_list();
        };
        let blocked = w.field == 0 && w.clash.is_some();
        let field = match w.field {
            0 => &mut w.name,
            1 => &mut w.data,
            _ => &mut w.dictionary,
        };
        match code {
            KeyCode::Esc => {
                self.wizard = None;
                return self.back_to_list();
            }
            // A taken name keeps the cursor in the name field.
            KeyCode::Tab | KeyCode::Down | KeyCode::BackTab | KeyCode::Up | KeyCode::Enter
                if blocked => {}
            KeyCode::Tab | KeyCode::Down => w.field = (w.field + 1) % FILE_FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => {
                w.field = (w.field + FILE_FIELDS.len() - 1) % FILE_FIELDS.len()
            }
            KeyCode::Backspace => {
                field.pop();
            }
            KeyCode::Char(c) => field.push(c),
            KeyCode::Enter => {
                if w.data.trim().is_empty() {
                    w.error =
                        Some("data: the path of the cohort table (.csv, .tsv or .parquet)".into());
                    w.field = 1;
                } else if w.dictionary.trim().is_empty() {
                    w.error = Some(
                        "dictionary: the path of dictionary.csv (it gives the columns to choose from)"
                            .into(),
                    );
                    w.field = 2;
                } else {
                    return vec![Effect::CheckFiles {
                        data: PathBuf::from(w.data.trim()),
                        dictionary: PathBuf::from(w.dictionary.trim()),
                    }];
                }
            }
            _ => {}
        }
        if w.field == 0 {
            let name = w.name.clone();
            let clash = self.name_clash(&name);
            if let Some(w) = self.wizard.as_mut() {
                w.clash = clash;
            }
        }
        vec![]
    }
}
