//! The new-study wizard's state, its plan of the study to write, and keys.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardStep {
    Files,
    Variables,
    Panel,
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

#[derive(Debug, Clone, PartialEq)]
pub struct Wizard {
    pub step: WizardStep,
    pub field: usize,
    pub name: String,
    pub data: String,
    pub dictionary: String,
    pub categories: Vec<(DictCategory, Assign)>,
    pub search: String,
    pub editing_search: bool,
    pub selected: usize,
    pub backend_openai: bool,
    pub model: String,
    pub rounds: String,
    pub seed: String,
    pub approve: bool,
    /// Covariates fixed by the study (no panel) instead of debated by the panel.
    pub fix_covariates: bool,
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
            categories: Vec::new(),
            search: String::new(),
            editing_search: false,
            selected: 0,
            backend_openai: false,
            model: "gpt-4o-mini".into(),
            rounds: "3".into(),
            seed: "42".into(),
            approve: false,
            fix_covariates: false,
            error: None,
        }
    }

    /// Indices of the categories the search shows.
    pub fn visible_categories(&self) -> Vec<usize> {
        let needle = self.search.to_lowercase();
        (0..self.categories.len())
            .filter(|&i| {
                needle.is_empty() || self.categories[i].0.name.to_lowercase().contains(&needle)
            })
            .collect()
    }

    /// The names of the categories assigned `a`, in the dictionary's order.
    pub fn assigned(&self, a: Assign) -> Vec<&str> {
        self.categories
            .iter()
            .filter(|(_, x)| *x == a)
            .map(|(c, _)| c.name.as_str())
            .collect()
    }

    fn list(&self, a: Assign) -> String {
        self.assigned(a).join(",")
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
            return Err("choose at least one phenotype and one factor category".into());
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
    pub covariates: String,
    pub fix_covariates: bool,
    pub openai_model: Option<String>,
    pub rounds: u32,
    pub seed: u64,
    pub approve: bool,
}

impl App {
    pub(super) fn wizard_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let root = self.root.clone();
        let Some(w) = self.wizard.as_mut() else {
            return self.back_to_list();
        };
        match w.step {
            WizardStep::Files => {
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
                            w.error = Some(
                                "data: the path of the cohort table (.csv, .tsv or .parquet)"
                                    .into(),
                            );
                            w.field = 1;
                        } else if w.dictionary.trim().is_empty() {
                            w.error = Some("dictionary: the path of dictionary.csv (it gives the categories to choose from)".into());
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
            }
            WizardStep::Variables => {
                if w.editing_search {
                    edit_line(&mut w.search, &mut w.editing_search, code);
                    w.selected = 0;
                    return vec![];
                }
                let visible = w.visible_categories();
                match code {
                    KeyCode::Esc => w.step = WizardStep::Files,
                    KeyCode::Down | KeyCode::Char('j') => {
                        w.selected = (w.selected + 1).min(visible.len().saturating_sub(1))
                    }
                    KeyCode::Up | KeyCode::Char('k') => w.selected = w.selected.saturating_sub(1),
                    KeyCode::Char('/') => w.editing_search = true,
                    KeyCode::Char(' ') => {
                        if let Some(&i) = visible.get(w.selected) {
                            w.categories[i].1 = w.categories[i].1.next();
                        }
                    }
                    KeyCode::Char(c @ ('p' | 'f' | 'c' | '-')) => {
                        if let Some(&i) = visible.get(w.selected) {
                            w.categories[i].1 = match c {
                                'p' => Assign::Phenotype,
                                'f' => Assign::Factor,
                                'c' => Assign::Covariate,
                                _ => Assign::Skip,
                            };
                        }
                    }
                    KeyCode::Enter => {
                        w.step = WizardStep::Panel;
                        w.field = 0;
                        w.error = None;
                    }
                    _ => {}
                }
            }
            WizardStep::Panel => match code {
                KeyCode::Esc => w.step = WizardStep::Variables,
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
                        if self.studies.iter().any(|s| s.dir == plan.dir) || plan.dir.exists() {
                            w.error = Some(format!(
                                "{} exists: choose another name (Esc twice to go back)",
                                plan.dir.display()
                            ));
                            return vec![];
                        }
                        self.status = format!("starting {}", plan.dir.display());
                        self.wizard = None;
                        self.screen = Screen::List;
                        return vec![Effect::CreateStudy(Box::new(plan)), Effect::RefreshStudies];
                    }
                    Err(e) => w.error = Some(e),
                },
                _ => {}
            },
        }
        vec![]
    }
}
