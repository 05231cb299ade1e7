//! A terminal for the TUI's end-to-end tests: `meshagents tui` in a tmux session, driven by
//! keys and read from the screen. No wall-clock limit: every wait ends on what the screen
//! shows, or fails as soon as the TUI's pane is gone.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_meshagents");

/// Whether tmux can run here; `false` (after saying so) outside CI, a failure under CI.
pub fn available() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "tmux is required under CI (.ci/run installs it)"
    );
    eprintln!("SKIPPED: tmux is not installed (apt-get install -y tmux)");
    false
}

pub struct Tmux {
    pub socket: String,
    pub session: String,
    /// Where the shell writes the TUI's exit code when it ends.
    pub exit_file: PathBuf,
}

impl Tmux {
    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let out = self.cmd(&["send-keys", "-t", &self.session, k]);
            assert!(out.status.success(), "send-keys {k}: {out:?}");
        }
    }

    pub fn text(&self, text: &str) {
        let out = self.cmd(&["send-keys", "-t", &self.session, "-l", text]);
        assert!(out.status.success(), "send-keys -l {text}: {out:?}");
    }

    pub fn screen(&self) -> Option<String> {
        let out = self.cmd(&["capture-pane", "-p", "-t", &self.session]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits until the screen shows `needle`; panics when the TUI has gone away, or when the
    /// screen shows `failure` instead.
    pub fn wait_for(&self, needle: &str, failure: &str) -> String {
        self.wait_for_all(&[needle], failure)
    }

    /// As [`Tmux::wait_for`], until one screen shows every needle (a screen can be caught
    /// half-redrawn, or show one of them elsewhere first).
    pub fn wait_for_all(&self, needles: &[&str], failure: &str) -> String {
        let exit_file = &self.exit_file;
        let needle = needles.join(" + ");
        loop {
            if let Some(screen) = self.screen() {
                if needles.iter().all(|n| screen.contains(n)) {
                    return screen;
                }
                assert!(
                    failure.is_empty() || !screen.contains(failure),
                    "waiting for {needle:?}, the screen shows {failure:?}:\n{screen}"
                );
            }
            if exit_file.exists() {
                panic!(
                    "the TUI exited ({}) while waiting for {needle:?}",
                    std::fs::read_to_string(exit_file).unwrap_or_default()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

impl Tmux {
    /// `meshagents tui ROOT` in a new tmux session of `width` x `height` cells; `tag` keeps
    /// the sockets of tests running at once apart.
    pub fn start(tag: &str, root: &Path, scratch: &Path, width: u16, height: u16) -> Tmux {
        let exit_file = scratch.join(format!("tui-exit-{tag}"));
        let script = format!(
            "'{BIN}' tui '{}'; echo $? > '{}'",
            root.display(),
            exit_file.display()
        );
        let tmux = Tmux {
            socket: format!("meshagents-{tag}-{}", std::process::id()),
            session: "tui".into(),
            exit_file,
        };
        let (w, h) = (width.to_string(), height.to_string());
        let out = tmux.cmd(&[
            "new-session",
            "-d",
            "-s",
            "tui",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    /// Waits for the TUI to exit and returns its exit code.
    pub fn exit_code(&self) -> String {
        loop {
            if let Ok(code) = std::fs::read_to_string(&self.exit_file) {
                return code.trim().to_string();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

/// `meshagents simulate --n 400 --factors 30 --out SCRATCH/cohort`: the small cohort the TUI's
/// end-to-end tests make studies of; returns its folder.
pub fn small_cohort(scratch: &Path) -> PathBuf {
    let cohort = scratch.join("cohort");
    let status = Command::new(BIN)
        .args(["simulate", "--n", "400", "--factors", "30", "--out"])
        .arg(&cohort)
        .status()
        .expect("simulate runs");
    assert!(status.success());
    cohort
}

impl Tmux {
    /// From the study list: `n`, the wizard's first step, its name field emptied.
    pub fn open_wizard(&self) {
        self.keys(&["n"]);
        self.wait_for("new study: 1/6 files", "");
        for _ in 0.."my-study".len() {
            self.keys(&["BSpace"]);
        }
    }

    /// In the name field of the wizard's first step: the cohort's data and dictionary, then
    /// Enter (the dictionary is read).
    pub fn wizard_files(&self, cohort: &Path) {
        self.keys(&["Tab"]);
        self.text(&cohort.join("cohort.parquet").display().to_string());
        self.keys(&["Tab"]);
        self.text(&cohort.join("dictionary.csv").display().to_string());
        self.keys(&["Enter"]);
    }
}
