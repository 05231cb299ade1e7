//! The application as a state machine: `App::update(msg)` changes the state and returns the
//! effects the runtime must perform (spawn, signal, read files). Nothing here touches the
//! terminal or the file system, so every transition is tested without rendering.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEventKind};

use crate::model::{
    Association, AssociationTable, DictCategory, ExportFormat, PanelData, StudyRow,
};
use meshagents_workflows::StudyState;

/// What happened: a key, the mouse, a tick of the clock, or data the runtime read.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse {
        kind: MouseEventKind,
        row: u16,
    },
    Studies(Vec<StudyRow>),
    Results {
        dir: PathBuf,
        table: AssociationTable,
    },
    Panel {
        dir: PathBuf,
        data: PanelData,
    },
    Proposal {
        dir: PathBuf,
        proposed: Vec<String>,
        candidates: Vec<String>,
        agreement: f64,
    },
    Dictionary(Result<Vec<DictCategory>, String>),
    /// A line for the status bar (the outcome of an effect).
    Info(String),
    /// The runtime's children: study directories with a child process of this TUI.
    Children(Vec<PathBuf>),
    Tick,
}

/// What the runtime must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    RefreshStudies,
    LoadResults(PathBuf),
    LoadPanel(PathBuf),
    LoadProposal(PathBuf),
    /// `study run DIR/STUDY.toml --out DIR --headless` as a child.
    Resume(PathBuf),
    /// SIGINT to the child running this study (the study pauses at its next step boundary).
    Pause(PathBuf),
    /// SIGKILL to the child's process group: the study stops now; what the journal has is
    /// kept, so it can still be resumed.
    Cancel(PathBuf),
    /// `study fork DIR --from FROM [--set KEY=VALUE ...] --out DIR-fork`.
    Fork {
        dir: PathBuf,
        from: String,
        settings: Vec<String>,
    },
    Delete(PathBuf),
    /// Writes approval.json, then resumes.
    Approve {
        dir: PathBuf,
        covariates: Vec<String>,
    },
    Export {
        dir: PathBuf,
        format: ExportFormat,
        rows: Vec<usize>,
    },
    /// Checks the data file and reads the dictionary's categories.
    CheckFiles {
        data: PathBuf,
        dictionary: PathBuf,
    },
    CreateStudy(Box<WizardPlan>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Results,
    Panel,
    Approval,
    Wizard,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    ConfirmDelete(PathBuf),
    Export,
    /// Choose the step a fork starts from (Up/Down) and type its changed settings.
    Fork {
        dir: PathBuf,
        /// (key, description)
        steps: Vec<(String, String)>,
        selected: usize,
        settings: String,
    },
}

/// The step a fork starts from unless the user picks another: the PheWAS, so that a changed
/// model or transform reuses the data, the screen and the panel.
pub const DEFAULT_FORK_STEP: &str = "phewas/adjusted";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    P,
    Beta,
    Phenotype,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::P => "p",
            SortKey::Beta => "|beta|",
            SortKey::Phenotype => "phenotype",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResultsView {
    pub dir: PathBuf,
    pub table: AssociationTable,
    pub sort: SortKey,
    pub filter: String,
    pub editing_filter: bool,
    pub selected: usize,
    pub manhattan: bool,
    /// Shows the classification table (`classification.csv`) instead of the associations.
    pub classification: bool,
    /// The selected row of the classification table.
    pub class_selected: usize,
    /// Indices into `table.rows`, filtered and sorted.
    pub visible: Vec<usize>,
}

impl ResultsView {
    pub fn new(dir: PathBuf, table: AssociationTable) -> Self {
        let mut v = ResultsView {
            dir,
            table,
            sort: SortKey::P,
            filter: String::new(),
            editing_filter: false,
            selected: 0,
            manhattan: false,
            classification: false,
            class_selected: 0,
            visible: Vec::new(),
        };
        v.recompute();
        v
    }

    /// Recomputes the visible rows after a change of filter or sort.
    pub fn recompute(&mut self) {
        let needle = self.filter.to_lowercase();
        let rows = &self.table.rows;
        let mut visible: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let r = &rows[i];
                needle.is_empty()
                    || [&r.phenotype, &r.factor, &r.category, &r.status]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .collect();
        let key_f = |v: Option<f64>| v.unwrap_or(f64::INFINITY);
        match self.sort {
            SortKey::P => visible.sort_by(|&a, &b| key_f(rows[a].p).total_cmp(&key_f(rows[b].p))),
            SortKey::Beta => visible.sort_by(|&a, &b| {
                let m = |r: &Association| r.beta.map_or(f64::NEG_INFINITY, f64::abs);
                m(&rows[b]).total_cmp(&m(&rows[a]))
            }),
            SortKey::Phenotype => visible.sort_by(|&a, &b| {
                (&rows[a].phenotype, &rows[a].factor).cmp(&(&rows[b].phenotype, &rows[b].factor))
            }),
        }
        self.visible = visible;
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    pub fn current(&self) -> Option<&Association> {
        self.visible
            .get(self.selected)
            .map(|&i| &self.table.rows[i])
    }
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalView {
    pub dir: PathBuf,
    pub proposed: Vec<String>,
    pub candidates: Vec<String>,
    pub chosen: Vec<bool>,
    pub agreement: f64,
    pub selected: usize,
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
    fn next(self) -> Assign {
        match self {
            Assign::Phenotype => Assign::Factor,
            Assign::Factor => Assign::Covariate,
            Assign::Covariate => Assign::Skip,
            Assign::Skip => Assign::Phenotype,
        }
    }
    fn from_role(role: &str) -> Assign {
        match role {
            "imaging" => Assign::Phenotype,
            "factor" => Assign::Factor,
            "covariate" => Assign::Covariate,
            _ => Assign::Skip,
        }
    }
}

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
    fn new() -> Self {
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

    fn list(&self, a: Assign) -> String {
        self.categories
            .iter()
            .filter(|(_, x)| *x == a)
            .map(|(c, _)| c.name.clone())
            .collect::<Vec<_>>()
            .join(",")
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
        let slug = crate::model::slug(&self.name);
        if slug.is_empty() {
            return Err("name: letters or digits, please".into());
        }
        Ok(WizardPlan {
            dir: root.join(&slug),
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

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub root: PathBuf,
    pub screen: Screen,
    pub studies: Vec<StudyRow>,
    pub selected: usize,
    pub children: Vec<PathBuf>,
    pub dialog: Option<Dialog>,
    pub help: bool,
    pub status: String,
    pub results: Option<ResultsView>,
    pub panel: Option<PanelView>,
    pub approval: Option<ApprovalView>,
    pub wizard: Option<Wizard>,
    pub quit: bool,
}

/// Rows of the study list and results table start this many lines below the top of the
/// terminal (title bar, border, header): mouse clicks map to rows with it.
pub const TABLE_TOP: u16 = 3;

impl App {
    pub fn new(root: PathBuf) -> Self {
        App {
            root,
            screen: Screen::List,
            studies: Vec::new(),
            selected: 0,
            children: Vec::new(),
            dialog: None,
            help: false,
            status: "n: new study   Enter: open   ?: help   q: quit".into(),
            results: None,
            panel: None,
            approval: None,
            wizard: None,
            quit: false,
        }
    }

    pub fn selected_study(&self) -> Option<&StudyRow> {
        self.studies.get(self.selected)
    }

    /// True while a text field has the keyboard (then `q` and `?` are text).
    pub fn typing(&self) -> bool {
        match self.screen {
            Screen::Results => self.results.as_ref().is_some_and(|r| r.editing_filter),
            Screen::Wizard => self.wizard.as_ref().is_some_and(|w| match w.step {
                WizardStep::Files => true,
                WizardStep::Variables => w.editing_search,
                WizardStep::Panel => matches!(w.field, 1..=3),
            }),
            _ => false,
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.key(key),
            Msg::Mouse { kind, row } => self.mouse(kind, row),
            Msg::Studies(studies) => {
                self.studies = studies;
                self.selected = self.selected.min(self.studies.len().saturating_sub(1));
                vec![]
            }
            Msg::Results { dir, table } => {
                self.status = format!(
                    "{} associations from {}",
                    table.rows.len(),
                    dir.join("associations.csv").display()
                );
                self.results = Some(ResultsView::new(dir, table));
                self.screen = Screen::Results;
                vec![]
            }
            Msg::Panel { dir, data } => {
                match self.panel.as_mut().filter(|p| p.dir == dir) {
                    Some(p) => p.data = data,
                    None => {
                        self.panel = Some(PanelView {
                            dir,
                            data,
                            tab: 0,
                            scroll: 0,
                            follow: true,
                            unfold_tools: false,
                        })
                    }
                }
                self.screen = Screen::Panel;
                vec![]
            }
            Msg::Proposal {
                dir,
                proposed,
                candidates,
                agreement,
            } => {
                let chosen = candidates.iter().map(|c| proposed.contains(c)).collect();
                self.approval = Some(ApprovalView {
                    dir,
                    proposed,
                    candidates,
                    chosen,
                    agreement,
                    selected: 0,
                });
                self.screen = Screen::Approval;
                vec![]
            }
            Msg::Dictionary(result) => {
                if let Some(w) = self.wizard.as_mut() {
                    match result {
                        Ok(cats) => {
                            w.categories = cats
                                .into_iter()
                                .map(|c| {
                                    // Whole roles default to the CLI's defaults; categories
                                    // are opt-in refinements.
                                    let a = if c.whole_role {
                                        Assign::from_role(&c.role)
                                    } else {
                                        Assign::Skip
                                    };
                                    (c, a)
                                })
                                .collect();
                            w.step = WizardStep::Variables;
                            w.selected = 0;
                            w.error = None;
                        }
                        Err(e) => w.error = Some(e),
                    }
                }
                vec![]
            }
            Msg::Info(s) => {
                self.status = s;
                vec![]
            }
            Msg::Children(c) => {
                self.children = c;
                vec![]
            }
            Msg::Tick => match self.screen {
                Screen::List => vec![Effect::RefreshStudies],
                Screen::Panel => self
                    .panel
                    .as_ref()
                    .map(|p| vec![Effect::LoadPanel(p.dir.clone())])
                    .unwrap_or_default(),
                _ => vec![],
            },
        }
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return vec![Effect::Quit];
        }
        if self.help {
            // Any key closes the help overlay.
            self.help = false;
            return vec![];
        }
        if let Some(dialog) = self.dialog.clone() {
            return self.dialog_key(dialog, key.code);
        }
        if !self.typing() {
            match key.code {
                KeyCode::Char('q') => {
                    self.quit = true;
                    return vec![Effect::Quit];
                }
                KeyCode::Char('?') => {
                    self.help = true;
                    return vec![];
                }
                _ => {}
            }
        }
        match self.screen {
            Screen::List => self.list_key(key.code),
            Screen::Results => self.results_key(key.code),
            Screen::Panel => self.panel_key(key.code),
            Screen::Approval => self.approval_key(key.code),
            Screen::Wizard => self.wizard_key(key.code),
        }
    }

    fn dialog_key(&mut self, dialog: Dialog, code: KeyCode) -> Vec<Effect> {
        match (dialog, code) {
            (Dialog::ConfirmDelete(dir), KeyCode::Char('y')) => {
                self.dialog = None;
                self.status = format!("deleted {}", dir.display());
                vec![Effect::Delete(dir), Effect::RefreshStudies]
            }
            (Dialog::ConfirmDelete(_), KeyCode::Char('n') | KeyCode::Esc) => {
                self.dialog = None;
                self.status = "kept".into();
                vec![]
            }
            (Dialog::Export, KeyCode::Char(c @ ('c' | 't' | 'm'))) => {
                self.dialog = None;
                let format = match c {
                    'c' => ExportFormat::Csv,
                    't' => ExportFormat::Tsv,
                    _ => ExportFormat::Markdown,
                };
                match self.results.as_ref() {
                    Some(r) => vec![Effect::Export {
                        dir: r.dir.clone(),
                        format,
                        rows: r.visible.clone(),
                    }],
                    None => vec![],
                }
            }
            (Dialog::Export, KeyCode::Esc) => {
                self.dialog = None;
                vec![]
            }
            (
                Dialog::Fork {
                    dir,
                    steps,
                    selected,
                    mut settings,
                },
                code,
            ) => match code {
                KeyCode::Esc => {
                    self.dialog = None;
                    self.status = "not forked".into();
                    vec![]
                }
                KeyCode::Enter => {
                    self.dialog = None;
                    let from = steps[selected].0.clone();
                    let settings: Vec<String> = settings
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                    vec![Effect::Fork {
                        dir,
                        from,
                        settings,
                    }]
                }
                code => {
                    let selected = match code {
                        KeyCode::Up => selected.saturating_sub(1),
                        KeyCode::Down => (selected + 1).min(steps.len() - 1),
                        _ => selected,
                    };
                    match code {
                        KeyCode::Char(c) => settings.push(c),
                        KeyCode::Backspace => {
                            settings.pop();
                        }
                        _ => {}
                    }
                    self.dialog = Some(Dialog::Fork {
                        dir,
                        steps,
                        selected,
                        settings,
                    });
                    vec![]
                }
            },
            _ => vec![],
        }
    }

    fn list_key(&mut self, code: KeyCode) -> Vec<Effect> {
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

    fn study_key(&mut self, study: &StudyRow, code: KeyCode) -> Vec<Effect> {
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
            KeyCode::Char('s') => {
                if self.children.contains(&dir) {
                    vec![Effect::Pause(dir)]
                } else if running {
                    self.status = format!(
                        "{} runs in another process: pause it there (Ctrl-C); this view is read-only",
                        study.name
                    );
                    vec![]
                } else {
                    self.status = format!("{} is not running", study.name);
                    vec![]
                }
            }
            KeyCode::Char('x') => {
                if self.children.contains(&dir) {
                    vec![Effect::Cancel(dir)]
                } else if running {
                    self.status = format!(
                        "{} runs in another process: stop it there; this view is read-only",
                        study.name
                    );
                    vec![]
                } else {
                    self.status = format!("{} is not running", study.name);
                    vec![]
                }
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

    fn back_to_list(&mut self) -> Vec<Effect> {
        self.screen = Screen::List;
        vec![Effect::RefreshStudies]
    }

    fn results_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(r) = self.results.as_mut() else {
            return self.back_to_list();
        };
        if r.editing_filter {
            match code {
                KeyCode::Enter => r.editing_filter = false,
                KeyCode::Esc => {
                    r.editing_filter = false;
                    r.filter.clear();
                }
                KeyCode::Backspace => {
                    r.filter.pop();
                }
                KeyCode::Char(c) => r.filter.push(c),
                _ => return vec![],
            }
            r.selected = 0;
            r.recompute();
            return vec![];
        }
        if r.classification {
            let n = r.table.classification.len();
            match code {
                KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('c') => r.classification = false,
                KeyCode::Down | KeyCode::Char('j') => {
                    r.class_selected = (r.class_selected + 1).min(n.saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    r.class_selected = r.class_selected.saturating_sub(1)
                }
                KeyCode::PageDown => {
                    r.class_selected = (r.class_selected + 10).min(n.saturating_sub(1))
                }
                KeyCode::PageUp => r.class_selected = r.class_selected.saturating_sub(10),
                _ => {}
            }
            return vec![];
        }
        let n = r.visible.len();
        match code {
            KeyCode::Esc | KeyCode::Backspace => return self.back_to_list(),
            KeyCode::Char('c') => {
                if r.table.classification.is_empty() {
                    self.status =
                        "no classification.csv in this study (the validation has not run)".into();
                } else {
                    r.classification = true;
                    r.class_selected = 0;
                }
            }
            KeyCode::Down | KeyCode::Char('j') => {
                r.selected = (r.selected + 1).min(n.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => r.selected = r.selected.saturating_sub(1),
            KeyCode::PageDown => r.selected = (r.selected + 10).min(n.saturating_sub(1)),
            KeyCode::PageUp => r.selected = r.selected.saturating_sub(10),
            KeyCode::Home => r.selected = 0,
            KeyCode::End => r.selected = n.saturating_sub(1),
            KeyCode::Char('s') => {
                r.sort = match r.sort {
                    SortKey::P => SortKey::Beta,
                    SortKey::Beta => SortKey::Phenotype,
                    SortKey::Phenotype => SortKey::P,
                };
                r.recompute();
                self.status = format!("sorted by {}", r.sort.label());
            }
            KeyCode::Char('/') => r.editing_filter = true,
            KeyCode::Char('m') => r.manhattan = !r.manhattan,
            KeyCode::Char('x') => self.dialog = Some(Dialog::Export),
            KeyCode::Char('l') => return vec![Effect::LoadPanel(r.dir.clone())],
            _ => {}
        }
        vec![]
    }

    fn panel_key(&mut self, code: KeyCode) -> Vec<Effect> {
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

    fn approval_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(a) = self.approval.as_mut() else {
            return self.back_to_list();
        };
        let n = a.candidates.len();
        match code {
            KeyCode::Esc | KeyCode::Backspace => return self.back_to_list(),
            KeyCode::Down | KeyCode::Char('j') => {
                a.selected = (a.selected + 1).min(n.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => a.selected = a.selected.saturating_sub(1),
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

    fn wizard_key(&mut self, code: KeyCode) -> Vec<Effect> {
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
                    match code {
                        KeyCode::Enter => w.editing_search = false,
                        KeyCode::Esc => {
                            w.editing_search = false;
                            w.search.clear();
                        }
                        KeyCode::Backspace => {
                            w.search.pop();
                        }
                        KeyCode::Char(c) => w.search.push(c),
                        _ => {}
                    }
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

    fn mouse(&mut self, kind: MouseEventKind, row: u16) -> Vec<Effect> {
        let (down, up) = (KeyCode::Down, KeyCode::Up);
        let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
        match kind {
            MouseEventKind::ScrollDown if self.dialog.is_none() && !self.help => {
                self.update(key(down))
            }
            MouseEventKind::ScrollUp if self.dialog.is_none() && !self.help => self.update(key(up)),
            MouseEventKind::Down(_) if row >= TABLE_TOP && self.dialog.is_none() => {
                let i = usize::from(row - TABLE_TOP);
                if self.screen == Screen::List && i < self.studies.len() {
                    self.selected = i;
                }
                vec![]
            }
            _ => vec![],
        }
    }
}
