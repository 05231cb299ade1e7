//! The runtime: owns the terminal, the clock and the child processes, and performs the
//! effects `App::update` asks for.

use std::collections::BTreeMap;
use std::io::stdout;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use meshagents_workflows::StudyConfig;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind,
};
use ratatui::crossterm::execute;
use ratatui::DefaultTerminal;

use crate::app::{App, Effect, Msg, WizardPlan};
use crate::model;
use crate::TuiError;

/// How often the list and the panel view re-read the study files.
const TICK: Duration = Duration::from_millis(500);

/// Runs the TUI on the terminal until the user quits. `exe` is the `meshagents` binary that
/// runs studies.
pub fn run(root: PathBuf, exe: PathBuf) -> Result<(), TuiError> {
    // Raw mode and the alternate screen need a terminal on both ends; without one ratatui's
    // init panics, so say so first.
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(TuiError::NoTerminal("standard input"));
    }
    if !std::io::stdout().is_terminal() {
        return Err(TuiError::NoTerminal("standard output"));
    }
    // ratatui's init enters the alternate screen and raw mode and installs a panic hook that
    // restores the terminal before the panic message prints; ours also releases the mouse.
    let mut terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(e) => {
            // It may have entered raw mode before failing.
            ratatui::restore();
            return Err(TuiError::Terminal(e));
        }
    };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        hook(info);
    }));
    let _ = execute!(stdout(), EnableMouseCapture);
    let result = Runtime::new(root, exe).main_loop(&mut terminal);
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

pub struct Runtime {
    pub app: App,
    exe: PathBuf,
    children: BTreeMap<PathBuf, Child>,
}

impl Runtime {
    pub fn new(root: PathBuf, exe: PathBuf) -> Self {
        Runtime {
            app: App::new(root),
            exe,
            children: BTreeMap::new(),
        }
    }

    fn main_loop(&mut self, terminal: &mut DefaultTerminal) -> Result<(), TuiError> {
        self.dispatch(Msg::Tick);
        while !self.app.quit {
            terminal
                .draw(|f| crate::view::render(&self.app, f))
                .map_err(TuiError::Terminal)?;
            let msg = if event::poll(TICK).map_err(TuiError::Terminal)? {
                match event::read().map_err(TuiError::Terminal)? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => Msg::Key(k),
                    Event::Mouse(m) => Msg::Mouse {
                        kind: m.kind,
                        row: m.row,
                    },
                    _ => continue,
                }
            } else {
                self.reap();
                Msg::Tick
            };
            self.dispatch(msg);
        }
        Ok(())
    }

    /// Feeds a message to the app and performs the effects, feeding back what they produce.
    pub fn dispatch(&mut self, msg: Msg) {
        let mut queue = vec![msg];
        while let Some(msg) = queue.pop() {
            for effect in self.app.update(msg) {
                if let Some(reply) = self.perform(effect) {
                    queue.push(reply);
                }
            }
        }
    }

    /// Children that ended: forget them and say how they ended.
    pub(crate) fn reap(&mut self) {
        let mut ended = Vec::new();
        for (dir, child) in self.children.iter_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                ended.push((dir.clone(), status.code()));
            }
        }
        for (dir, code) in ended {
            self.children.remove(&dir);
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let what = match code {
                Some(0) => "finished".to_string(),
                Some(3) => "waits for approval of its confounders: press a".to_string(),
                Some(130) => "paused: r resumes".to_string(),
                Some(c) => format!(
                    "stopped with exit code {c}: see {}",
                    dir.join(meshagents_workflows::RUN_LOG).display()
                ),
                None => "was stopped by a signal".to_string(),
            };
            self.dispatch(Msg::Info(format!("{name} {what}")));
            self.dispatch(Msg::Children(self.children.keys().cloned().collect()));
        }
    }

    fn spawn(&mut self, dir: &Path, args: &[&std::ffi::OsStr]) -> Msg {
        let log_path = dir.join(meshagents_workflows::RUN_LOG);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path);
        let (out, err) = match log.and_then(|l| Ok((l.try_clone()?, l))) {
            Ok((a, b)) => (Stdio::from(a), Stdio::from(b)),
            Err(e) => return Msg::Info(format!("cannot write {}: {e}", log_path.display())),
        };
        let mut cmd = Command::new(&self.exe);
        cmd.args(args).stdin(Stdio::null()).stdout(out).stderr(err);
        // Its own process group: Ctrl-C in the TUI's terminal does not reach the study, and the
        // study outlives the TUI.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        match cmd.spawn() {
            Ok(child) => {
                self.children.insert(dir.to_path_buf(), child);
                Msg::Children(self.children.keys().cloned().collect())
            }
            Err(e) => Msg::Info(format!("cannot start {}: {e}", self.exe.display())),
        }
    }

    fn resume(&mut self, dir: &Path) -> Msg {
        let toml = dir.join("STUDY.toml");
        let args = [
            "study".as_ref(),
            "run".as_ref(),
            toml.as_os_str(),
            "--out".as_ref(),
            dir.as_os_str(),
            "--headless".as_ref(),
        ];
        let msg = self.spawn(dir, &args);
        match msg {
            Msg::Children(_) => {
                self.dispatch(msg);
                Msg::Info(format!(
                    "running {} (output in {})",
                    dir.display(),
                    meshagents_workflows::RUN_LOG
                ))
            }
            other => other,
        }
    }

    /// Performs one effect; the message it produces, if any.
    pub fn perform(&mut self, effect: Effect) -> Option<Msg> {
        match effect {
            Effect::Quit => None,
            Effect::RefreshStudies => Some(match model::load_studies(&self.app.root) {
                Ok(s) => Msg::Studies(s),
                Err(e) => Msg::Info(e.to_string()),
            }),
            Effect::LoadResults(dir) => Some(match model::load_associations(&dir) {
                Ok(table) => Msg::Results { dir, table },
                Err(_) => {
                    Msg::Info("no associations.csv yet: the study has not reached its table".into())
                }
            }),
            Effect::LoadPanel(dir) => {
                let data = model::load_panel(&dir);
                Some(Msg::Panel { dir, data })
            }
            Effect::LoadProposal(dir) => Some(match model::load_proposal(&dir) {
                Ok(p) => Msg::Proposal {
                    dir,
                    proposed: p.proposed,
                    candidates: p.candidates,
                    agreement: p.agreement,
                },
                Err(_) => Msg::Info("no confounder set waits for approval in this study".into()),
            }),
            Effect::Resume(dir) => Some(self.resume(&dir)),
            Effect::Pause(dir) => Some(match self.children.get(&dir) {
                Some(child) => {
                    // SIGINT: the study stops at its next step boundary and exits 130.
                    let pid = child.id();
                    // A PID of a child we spawned and have not reaped.
                    let sent = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
                    if sent.is_ok() {
                        Msg::Info("pausing at the next step boundary…".into())
                    } else {
                        Msg::Info(format!("cannot signal process {pid}"))
                    }
                }
                None => Msg::Info("this TUI did not start that study".into()),
            }),
            Effect::Cancel(dir) => Some(match self.children.get(&dir) {
                Some(child) => {
                    // The child leads its own process group: kill the group, so nothing the
                    // study started outlives it. The journal keeps every finished step.
                    let pid = child.id();
                    let sent = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
                    if sent.is_ok() {
                        Msg::Info(
                            "cancelled: stopped now; finished steps are kept (r resumes)".into(),
                        )
                    } else {
                        Msg::Info(format!("cannot signal process group {pid}"))
                    }
                }
                None => Msg::Info("this TUI did not start that study".into()),
            }),
            Effect::Fork {
                dir,
                from,
                settings,
                name,
                out,
            } => {
                if out.exists() {
                    return Some(Msg::Info(format!("{} exists: not forked", out.display())));
                }
                if let Err(e) = std::fs::create_dir_all(&out) {
                    return Some(Msg::Info(format!("cannot create {}: {e}", out.display())));
                }
                let mut args: Vec<&std::ffi::OsStr> = vec![
                    "study".as_ref(),
                    "fork".as_ref(),
                    dir.as_os_str(),
                    "--from".as_ref(),
                    from.as_ref(),
                ];
                for setting in &settings {
                    args.push("--set".as_ref());
                    args.push(setting.as_ref());
                }
                args.extend([
                    "--name".as_ref(),
                    name.as_ref(),
                    "--out".as_ref(),
                    out.as_os_str(),
                    "--headless".as_ref(),
                ]);
                let msg = self.spawn(&out, &args);
                if let Msg::Children(_) = msg {
                    self.dispatch(msg);
                    let changed = if settings.is_empty() {
                        String::new()
                    } else {
                        format!(" with {}", settings.join(", "))
                    };
                    return Some(Msg::Info(format!(
                        "forking into {} (from {from}{changed})",
                        out.display()
                    )));
                }
                Some(msg)
            }
            Effect::Delete(dir) => Some(match std::fs::remove_dir_all(&dir) {
                Ok(()) => Msg::Info(format!("deleted {}", dir.display())),
                Err(e) => Msg::Info(format!("cannot delete {}: {e}", dir.display())),
            }),
            Effect::Approve { dir, covariates } => {
                let same = model::load_proposal(&dir).is_ok_and(|p| {
                    let mut a = p.proposed.clone();
                    let mut b = covariates.clone();
                    a.sort();
                    b.sort();
                    a == b
                });
                match meshagents_workflows::approve(&dir, (!same).then_some(covariates)) {
                    Ok(_) => Some(self.resume(&dir)),
                    Err(e) => Some(Msg::Info(format!("approval failed: {e}"))),
                }
            }
            Effect::Export {
                path,
                format,
                rows,
                overwrite,
            } => {
                if !overwrite && path.exists() {
                    let pending = crate::app::PendingExport { path, format, rows };
                    return Some(Msg::ExportExists(pending));
                }
                let result = self.app.results.as_ref().map(|r| {
                    let picked: Vec<_> = rows
                        .iter()
                        .filter_map(|&i| r.table.rows.get(i).cloned())
                        .collect();
                    model::export_table(&path, &picked, format, &r.table.labels)
                });
                Some(match result {
                    Some(Ok(())) => {
                        Msg::Info(format!("wrote {} ({} rows)", path.display(), rows.len()))
                    }
                    Some(Err(e)) => Msg::Info(format!("export failed: {e}")),
                    None => Msg::Info("no table open".into()),
                })
            }
            Effect::CheckFiles { data, dictionary } => Some(Msg::Dictionary(if !data.is_file() {
                Err(format!("data: {} is not a file", data.display()))
            } else {
                model::load_dictionary(&dictionary).map_err(|e| format!("dictionary: {e}"))
            })),
            Effect::PreviewStudy(plan) => {
                let toml = study_toml(&plan).map_err(|e| format!("cannot write the study: {e}"));
                Some(Msg::Preview { plan, toml })
            }
            Effect::CreateStudy { plan, toml } => Some(match write_study_toml(&plan.dir, &toml) {
                Ok(()) => self.resume(&plan.dir),
                Err(e) => Msg::Info(format!("cannot create the study: {e}")),
            }),
            Effect::LoadCompare { base, other } => {
                let read = |dir: &Path| {
                    model::load_associations(dir)
                        .map_err(|e| format!("cannot compare: {}: {e}", dir.display()))
                };
                Some(match read(&base).and_then(|a| Ok((a, read(&other)?))) {
                    Ok(tables) => Msg::Compare {
                        base,
                        other,
                        tables: Box::new(tables),
                    },
                    Err(e) => Msg::Info(e),
                })
            }
        }
    }
}

/// The STUDY.toml the wizard writes: the CLI's own `StudyConfig`, built from the plan with the
/// CLI's defaults for everything the wizard does not ask.
pub fn study_config(plan: &WizardPlan) -> Result<StudyConfig, TuiError> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut json = serde_json::json!({
        "name": plan.name,
        "data": abs(&plan.data),
        "phenotypes": plan.phenotypes,
        "factors": plan.factors,
    });
    if let Some(d) = &plan.dictionary {
        json["dictionary"] = serde_json::json!(abs(d));
    }
    // Nothing picked is no covariate at all (and nothing for a panel to debate), not the
    // CLI's default.
    if plan.covariates.is_empty() {
        json["covariates"] = serde_json::json!("none");
    } else {
        let key = if plan.fix_covariates {
            "covariates"
        } else {
            "candidates"
        };
        json[key] = serde_json::json!(plan.covariates);
    }
    let mut config: StudyConfig =
        serde_json::from_value(json).map_err(|e| TuiError::Format(e.to_string()))?;
    config.panel.approve = plan.approve;
    config.panel.protocol.max_rounds = plan.rounds;
    config.panel.protocol.min_rounds = config.panel.protocol.min_rounds.min(plan.rounds);
    config.panel.protocol.seed = plan.seed;
    if let Some(model) = &plan.openai_model {
        config.panel.backend = "openai".into();
        config.panel.openai.model = model.clone();
    }
    Ok(config)
}

/// The text of the plan's STUDY.toml, as the wizard previews and writes it.
pub fn study_toml(plan: &WizardPlan) -> Result<String, TuiError> {
    let config = study_config(plan)?;
    let text = toml::to_string(&config).map_err(|e| TuiError::Format(e.to_string()))?;
    Ok(format!("# written by `meshagents tui`\n{text}"))
}

/// Writes `DIR/STUDY.toml` for the plan.
pub fn write_study(plan: &WizardPlan) -> Result<(), TuiError> {
    write_study_toml(&plan.dir, &study_toml(plan)?)
}

/// Writes `text` (the STUDY.toml previewed) as `dir/STUDY.toml`.
fn write_study_toml(dir: &Path, text: &str) -> Result<(), TuiError> {
    std::fs::create_dir_all(dir).map_err(|e| TuiError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let path = dir.join("STUDY.toml");
    std::fs::write(&path, text).map_err(|e| TuiError::Io { path, source: e })
}
