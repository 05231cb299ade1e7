//! The application as a state machine: `App::update(msg)` changes the state and returns the
//! effects the runtime must perform (spawn, signal, read files). Nothing here touches the
//! terminal or the file system, so every transition is tested without rendering.

mod approval;
pub mod compare;
pub mod filter;
mod list;
pub mod manhattan;
mod panel;
mod picker;
mod results;
mod vote;
mod wizard;

pub use approval::{ApprovalView, Assign};
pub use compare::{CompareView, Comparison, PairDiff};
pub use list::ForkDialog;
pub use panel::PanelView;
pub use picker::{PickItem, PickKind, Picker};
pub use results::{
    export_file_name, filter_slug, FactorLabel, PendingExport, ResultsView, SortKey,
};
pub use vote::Detail;
pub use wizard::{Wizard, WizardPlan, WizardStep, FILE_FIELDS, PANEL_FIELDS, PICK_PAGES};

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEventKind};

use crate::model::{AssociationTable, ExportFormat, PanelData, StudyRow, WizardDictionary};
use meshagents_stats::phewas::AssociationRow;
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
    Dictionary(Result<WizardDictionary, String>),
    /// The STUDY.toml text a wizard's plan makes, for its preview.
    Preview {
        plan: Box<WizardPlan>,
        toml: Result<String, String>,
    },
    /// Two studies' association tables, to compare (`base` is the parent).
    Compare {
        base: PathBuf,
        other: PathBuf,
        tables: Box<(AssociationTable, AssociationTable)>,
    },
    /// A line for the status bar (the outcome of an effect).
    Info(String),
    /// An export's file exists, so it was not written: the results screen asks.
    ExportExists(PendingExport),
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
    /// `study fork DIR --from FROM [--set KEY=VALUE ...] --name NAME --out OUT`.
    Fork {
        dir: PathBuf,
        from: String,
        settings: Vec<String>,
        name: String,
        out: PathBuf,
    },
    Delete(PathBuf),
    /// Writes approval.json, then resumes.
    Approve {
        dir: PathBuf,
        covariates: Vec<String>,
    },
    /// Writes `rows` of the results table to `path`; an existing file only with `overwrite`
    /// (otherwise the runtime answers `Msg::ExportExists`).
    Export {
        path: PathBuf,
        format: ExportFormat,
        rows: Vec<usize>,
        overwrite: bool,
    },
    /// Checks the data file and reads the dictionary's categories.
    CheckFiles {
        data: PathBuf,
        dictionary: PathBuf,
    },
    /// The STUDY.toml text of a plan (its paths made absolute), for the wizard's preview.
    PreviewStudy(Box<WizardPlan>),
    /// Writes `toml` (the text previewed) as the plan's STUDY.toml and starts the study.
    CreateStudy {
        plan: Box<WizardPlan>,
        toml: String,
    },
    /// Reads both studies' association tables to compare them.
    LoadCompare {
        base: PathBuf,
        other: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Results,
    Panel,
    Approval,
    Wizard,
    Compare,
}

impl Screen {
    /// Every screen, in the order `meshagents tui --help` lists their keys.
    pub const ALL: [Screen; 6] = [
        Screen::List,
        Screen::Results,
        Screen::Panel,
        Screen::Approval,
        Screen::Wizard,
        Screen::Compare,
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    ConfirmDelete(PathBuf),
    Export,
    /// Name the fork, choose the step it starts from and type its changed settings.
    Fork(ForkDialog),
}

/// The step a fork starts from unless the user picks another: the PheWAS, so that a changed
/// model or transform reuses the data, the screen and the panel.
pub const DEFAULT_FORK_STEP: &str = "phewas/adjusted";

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
    pub compare: Option<CompareView>,
    /// Studies marked with Space in the list (two of them are compared with C).
    pub marked: Vec<PathBuf>,
    /// A study to select once the list shows it (a study just created or forked).
    pub select_dir: Option<PathBuf>,
    pub quit: bool,
}

/// A key for a one-line text field being typed (the results filter, the wizard's search):
/// Enter keeps the text, Esc clears it, both end the typing. False for a key the field does
/// not take, which leaves everything as it was.
fn edit_line(text: &mut String, editing: &mut bool, code: KeyCode) -> bool {
    match code {
        KeyCode::Enter => *editing = false,
        KeyCode::Esc => {
            *editing = false;
            text.clear();
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) => text.push(c),
        _ => return false,
    }
    true
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
            compare: None,
            marked: Vec::new(),
            select_dir: None,
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
                WizardStep::Pick(_) => true,
                WizardStep::Panel => matches!(w.field, 1..=3),
                WizardStep::Preview => false,
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
                if let Some(i) = self
                    .select_dir
                    .as_ref()
                    .and_then(|d| self.studies.iter().position(|s| &s.dir == d))
                {
                    self.selected = i;
                    self.select_dir = None;
                }
                self.selected = self.selected.min(self.studies.len().saturating_sub(1));
                vec![]
            }
            Msg::Results { dir, table } => {
                self.status = format!(
                    "{} associations from {}",
                    table.rows.len(),
                    dir.join("associations.csv").display()
                );
                if let Some(note) = &table.dictionary_note {
                    self.status = format!("{}; {note}", self.status);
                }
                self.results = Some(ResultsView::new(dir, table));
                self.screen = Screen::Results;
                vec![]
            }
            Msg::Panel { dir, data } => {
                // The approval gate reads the transcript for the chair's tally and evidence.
                if let Some(a) = self
                    .approval
                    .as_mut()
                    .filter(|a| a.dir == dir && self.screen == Screen::Approval)
                {
                    a.panel = data;
                    return vec![];
                }
                match self.panel.as_mut().filter(|p| p.dir == dir) {
                    Some(p) => p.data = data,
                    None => self.panel = Some(PanelView::new(dir, data)),
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
                    dir: dir.clone(),
                    proposed,
                    candidates,
                    chosen,
                    agreement,
                    selected: 0,
                    panel: PanelData::default(),
                    scroll: 0,
                });
                self.screen = Screen::Approval;
                vec![Effect::LoadPanel(dir)]
            }
            Msg::Dictionary(result) => {
                if let Some(w) = self.wizard.as_mut() {
                    match result {
                        Ok(dictionary) => w.set_dictionary(dictionary),
                        Err(e) => w.error = Some(e),
                    }
                }
                vec![]
            }
            Msg::Preview { plan, toml } => {
                if let Some(w) = self.wizard.as_mut() {
                    match toml {
                        Ok(text) => {
                            w.preview = Some((*plan, text));
                            w.preview_scroll = 0;
                            w.step = WizardStep::Preview;
                        }
                        Err(e) => w.error = Some(e),
                    }
                }
                vec![]
            }
            Msg::Compare {
                base,
                other,
                tables,
            } => {
                self.compare = Some(CompareView::new(base, other, &tables.0, &tables.1));
                self.screen = Screen::Compare;
                vec![]
            }
            Msg::Info(s) => {
                self.status = s;
                vec![]
            }
            Msg::ExportExists(pending) => self.export_exists(pending),
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
            Screen::Compare => self.compare_key(key.code),
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
                self.export_rows(format)
            }
            (Dialog::Export, KeyCode::Esc) => {
                self.dialog = None;
                vec![]
            }
            (Dialog::Fork(fork), code) => self.fork_key(fork, code),
            _ => vec![],
        }
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
