//! Model servers a study starts itself (`[panel.server]`): on a GPU node or in a headless run
//! the study launches `llama-server`, `vllm serve` or any OpenAI-compatible server on a free
//! loopback port when the panel first needs a model call that is not in the journal, waits
//! until it is healthy, points the OpenAI backend at it, and stops its whole process group
//! when the panel is done or the study stops (paused, failed, or killed).
//!
//! The start is not a journaled step: it is a side effect every run needs again (a resumed
//! study has no server), so the journal only records events about it (`panel/server`) for
//! `study status` and the events file; what the server answered is journaled call by call.

use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meshagents_engine::{Journal, ServerEvent};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use crate::progress::Progress;

/// The journal key of the server's events (not a step: never replayed).
pub const SERVER_EVENT_KEY: &str = "panel/server";

/// How long a server has to exit after SIGTERM before its group gets SIGKILL. A model server
/// frees GPU memory on SIGTERM; ten seconds is ample for llama.cpp and vLLM.
const GRACE: Duration = Duration::from_secs(10);

/// How often the health path is asked while the server loads its model.
const HEALTH_POLL: Duration = Duration::from_millis(250);

/// Lines of the server's log quoted in an error.
const TAIL_LINES: usize = 20;

/// The `[panel.server]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The command line, with `{port}` where the port goes, e.g.
    /// `llama-server -m model.gguf -ngl 99 --port {port}`. Split into words like a shell does
    /// (quotes, backslashes) but run without a shell.
    pub command: String,
    /// The path polled until it answers HTTP 200.
    #[serde(default = "default_health")]
    pub health: String,
    /// Seconds the server has to become healthy (loading a large model takes minutes).
    #[serde(default = "default_startup_timeout")]
    pub startup_timeout_s: u64,
}

fn default_health() -> String {
    "/health".into()
}

fn default_startup_timeout() -> u64 {
    600
}

impl ServerConfig {
    /// Checks the table, with errors naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let words = shlex::split(&self.command).ok_or_else(|| {
            format!(
                "key `panel.server.command`: `{}` has an unbalanced quote or a trailing backslash",
                self.command
            )
        })?;
        if words.is_empty() {
            return Err("key `panel.server.command`: empty; give the server's command line".into());
        }
        if !self.command.contains("{port}") {
            return Err(format!(
                "key `panel.server.command`: `{}` has no {{port}}; the study picks a free port and puts it there (e.g. `--port {{port}}`)",
                self.command
            ));
        }
        if !self.health.starts_with('/') {
            return Err(format!(
                "key `panel.server.health`: '{}' must be a path starting with /",
                self.health
            ));
        }
        if self.startup_timeout_s == 0 {
            return Err("key `panel.server.startup_timeout_s`: must be at least 1".into());
        }
        Ok(())
    }

    /// The argument vector for `port`. Words are split first and `{port}` replaced in each,
    /// so the substitution can never change how the line splits.
    fn argv(&self, port: u16) -> Vec<String> {
        shlex::split(&self.command)
            .unwrap_or_default()
            .into_iter()
            .map(|w| w.replace("{port}", &port.to_string()))
            .collect()
    }
}

/// Why a managed model server could not serve the panel.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("key `panel.server.command`: cannot start `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the model server `{command}` exited with {status} before it became healthy at {url}; the last lines of its log ({}):\n{tail}", log.display())]
    ExitedEarly {
        command: String,
        status: String,
        url: String,
        log: PathBuf,
        tail: String,
    },
    #[error("the model server `{command}` did not answer {url} with HTTP 200 within {timeout_s} s (key `panel.server.startup_timeout_s`) and was stopped; the last lines of its log ({}):\n{tail}", log.display())]
    NotHealthy {
        command: String,
        url: String,
        timeout_s: u64,
        log: PathBuf,
        tail: String,
    },
    #[error("the model server `{command}` exited with {status} while the panel ran; the model calls it answered are journaled: run the same command again to restart it and resume (its log: {})", log.display())]
    Exited {
        command: String,
        status: String,
        log: PathBuf,
    },
    #[error("{}: cannot write the model server's log: {source}", path.display())]
    Log {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot find a free loopback port for the model server: {0}")]
    Port(#[source] std::io::Error),
    /// A pause was asked for while the server was loading.
    #[error("paused on request while the model server was starting")]
    Paused,
}

/// A server that was started and has not been stopped.
struct Running {
    command: String,
    pid: u32,
    port: u16,
    log: PathBuf,
    /// Set by the thread that waits for the process.
    exit: Arc<Mutex<Option<ExitStatus>>>,
    watcher: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn exit_status(&self) -> Option<ExitStatus> {
        self.exit.lock().ok().and_then(|s| *s)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// SIGTERM to the whole group, SIGKILL to whatever is left after the grace period.
    fn stop(mut self) -> Option<ExitStatus> {
        let group = Pid::from_raw(self.pid as i32);
        // Signal "none" only checks for the group's existence.
        let alive = || killpg(group, None).is_ok();
        if alive() {
            // The process group this study created (the server leads it).
            let _ = killpg(group, Signal::SIGTERM);
            let deadline = Instant::now() + GRACE;
            while alive() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if alive() {
                tracing::warn!(
                    pid = self.pid,
                    "the model server did not stop within {} s of SIGTERM; sending SIGKILL",
                    GRACE.as_secs()
                );
                let _ = killpg(group, Signal::SIGKILL);
            }
        }
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
        self.exit_status()
    }
}

/// The managed server of one study run, if `[panel.server]` asks for one. Shared by both panel
/// steps, so a model is loaded once per run.
pub(crate) struct ModelServer {
    config: Option<ServerConfig>,
    dir: PathBuf,
    running: Mutex<Option<Running>>,
    exit_reported: AtomicBool,
}

impl ModelServer {
    pub(crate) fn new(config: Option<ServerConfig>, dir: &Path) -> Self {
        ModelServer {
            config,
            dir: dir.to_path_buf(),
            running: Mutex::new(None),
            exit_reported: AtomicBool::new(false),
        }
    }

    pub(crate) fn none() -> Self {
        ModelServer::new(None, Path::new("."))
    }

    pub(crate) fn is_managed(&self) -> bool {
        self.config.is_some()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("logs").join("model-server.log")
    }

    /// The base URL of the running server, started (and waited for) if it is not running.
    /// `stop` is asked while the server loads: a pause does not wait for a model to load.
    pub(crate) async fn ensure(
        &self,
        journal: &Journal,
        progress: &dyn Progress,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<String, ServerError> {
        if let Some(e) = self.exited() {
            return Err(e);
        }
        if let Some(running) = self
            .running
            .lock()
            .ok()
            .and_then(|r| r.as_ref().map(Running::url))
        {
            return Ok(running);
        }
        let Some(config) = &self.config else {
            return Err(ServerError::Port(std::io::Error::other(
                "no [panel.server] configured",
            )));
        };
        let running = self.start(config, journal, progress, stop).await?;
        let url = running.url();
        if let Ok(mut slot) = self.running.lock() {
            *slot = Some(running);
        }
        Ok(url)
    }

    async fn start(
        &self,
        config: &ServerConfig,
        journal: &Journal,
        progress: &dyn Progress,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<Running, ServerError> {
        let log = self.log_path();
        let log_error = |source| ServerError::Log {
            path: log.clone(),
            source,
        };
        std::fs::create_dir_all(self.dir.join("logs")).map_err(log_error)?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(log_error)?;
        let port = free_port().map_err(ServerError::Port)?;
        let argv = config.argv(port);
        let command = argv.join(" ");
        writeln!(file, "== meshagents: starting `{command}`").map_err(log_error)?;
        let running = spawn(&argv, &command, port, &log, file)?;
        let health = format!("http://127.0.0.1:{port}{}", config.health);
        tracing::info!(
            pid = running.pid,
            port,
            "model server started; waiting for {health}"
        );
        let started = Instant::now();
        let limit = Duration::from_secs(config.startup_timeout_s);
        loop {
            if let Some(status) = running.exit_status() {
                let _ = running.stop();
                return Err(ServerError::ExitedEarly {
                    command,
                    status: status.to_string(),
                    url: health,
                    tail: tail(&log),
                    log,
                });
            }
            if stop() {
                let _ = running.stop();
                return Err(ServerError::Paused);
            }
            if healthy(port, &config.health).await {
                break;
            }
            if started.elapsed() >= limit {
                let _ = running.stop();
                return Err(ServerError::NotHealthy {
                    command,
                    url: health,
                    timeout_s: config.startup_timeout_s,
                    tail: tail(&log),
                    log,
                });
            }
            tokio::time::sleep(HEALTH_POLL).await;
        }
        let event = ServerEvent::Started {
            command,
            port,
            pid: running.pid,
            healthy_after_s: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            log,
        };
        record(journal, progress, event);
        Ok(running)
    }

    /// The error to report if the server has exited on its own.
    pub(crate) fn exited(&self) -> Option<ServerError> {
        let running = self.running.lock().ok()?;
        let running = running.as_ref()?;
        let status = running.exit_status()?;
        Some(ServerError::Exited {
            command: running.command.clone(),
            status: status.to_string(),
            log: running.log.clone(),
        })
    }

    /// Records (once) that the server exited on its own.
    pub(crate) fn report_exit(&self, journal: &Journal, progress: &dyn Progress) {
        let Some(ServerError::Exited { status, log, .. }) = self.exited() else {
            return;
        };
        if self.exit_reported.swap(true, Ordering::SeqCst) {
            return;
        }
        let pid = self
            .running
            .lock()
            .ok()
            .and_then(|r| r.as_ref().map(|r| r.pid));
        record(journal, progress, ServerEvent::Exited { pid, status, log });
    }

    /// Stops the server if one runs, and records it in the journal when one is given.
    pub(crate) fn stop(&self, journal: Option<&Journal>, progress: &dyn Progress) {
        let Some(running) = self.running.lock().ok().and_then(|mut r| r.take()) else {
            return;
        };
        let (pid, port) = (running.pid, running.port);
        let status = running.stop().map(|s| s.to_string());
        tracing::info!(pid, port, "model server stopped");
        let event = ServerEvent::Stopped { pid, port, status };
        match journal {
            Some(journal) => record(journal, progress, event),
            None => progress.event(&event.into()),
        }
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.get_mut().ok().and_then(|r| r.take()) {
            let _ = running.stop();
        }
    }
}

fn record(journal: &Journal, progress: &dyn Progress, event: ServerEvent) {
    let event = event.into();
    progress.event(&event);
    let _ = journal.event(SERVER_EVENT_KEY, &event);
}

/// A port free on loopback now. Another process could take it before the server binds it;
/// the server then exits before it is healthy and the error says so.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts the server in its own process group, stdout and stderr to `log`. A thread spawns it
/// and waits for it: Linux's parent-death signal follows the thread that forked, and this
/// thread lives exactly as long as the server, so a study killed with SIGKILL takes the
/// server (its leading process) with it.
fn spawn(
    argv: &[String],
    command: &str,
    port: u16,
    log: &Path,
    file: std::fs::File,
) -> Result<Running, ServerError> {
    let log_error = |source| ServerError::Log {
        path: log.to_path_buf(),
        source,
    };
    let stderr = file.try_clone().map_err(log_error)?;
    let mut child = std::process::Command::new(&argv[0]);
    child
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(stderr))
        // Its own group: a terminal's Ctrl-C reaches the study only (the study then stops
        // the server in order), and the study can signal the server's children too.
        .process_group(0);
    #[cfg(target_os = "linux")]
    {
        let study = nix::unistd::getpid();
        let hook = move || -> std::io::Result<()> {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
            // The study may have died before the signal was asked for.
            if nix::unistd::getppid() != study {
                return Err(std::io::Error::other("the study exited"));
            }
            Ok(())
        };
        // The one `unsafe` of this crate: `pre_exec` is unsafe in std.
        // SAFETY: the hook runs between fork and exec and only calls prctl and getppid (through
        // nix, no allocation on the success path), both async-signal-safe.
        #[allow(unsafe_code)]
        unsafe {
            child.pre_exec(hook);
        }
    }
    let exit = Arc::new(Mutex::new(None));
    let (tx, rx) = std::sync::mpsc::channel();
    let watched = exit.clone();
    let watcher = std::thread::Builder::new()
        .name("model-server".into())
        .spawn(move || match child.spawn() {
            Err(e) => {
                let _ = tx.send(Err(e));
            }
            Ok(mut process) => {
                let _ = tx.send(Ok(process.id()));
                let status = process.wait();
                if let (Ok(status), Ok(mut slot)) = (status, watched.lock()) {
                    *slot = Some(status);
                }
            }
        })
        .map_err(|source| ServerError::Spawn {
            command: command.to_string(),
            source,
        })?;
    let pid = rx
        .recv()
        .map_err(|_| std::io::Error::other("the thread that starts it ended"))
        .and_then(|r| r)
        .map_err(|source| ServerError::Spawn {
            command: command.to_string(),
            source,
        })?;
    Ok(Running {
        command: command.to_string(),
        pid,
        port,
        log: log.to_path_buf(),
        exit,
        watcher: Some(watcher),
    })
}

/// One GET of the health path; true on HTTP 200. A plain HTTP/1.0 request over loopback
/// needs no HTTP client in this crate.
async fn healthy(port: u16, path: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(
                format!(
                    "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .await?;
        let mut head = [0u8; 32];
        let mut read = 0;
        while read < head.len() {
            let n = stream.read(&mut head[read..]).await?;
            if n == 0 {
                break;
            }
            read += n;
        }
        let line = String::from_utf8_lossy(&head[..read]).into_owned();
        Ok::<bool, std::io::Error>(line.split_whitespace().nth(1) == Some("200"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), ask).await,
        Ok(Ok(true))
    )
}

/// The last lines of the server's log (its stderr and stdout).
fn tail(log: &Path) -> String {
    let Ok(file) = std::fs::File::open(log) else {
        return String::new();
    };
    let lines: Vec<String> = std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(command: &str) -> ServerConfig {
        ServerConfig {
            command: command.into(),
            health: default_health(),
            startup_timeout_s: 600,
        }
    }

    #[test]
    fn the_command_splits_like_a_shell_and_takes_the_port() {
        let c = config(r#"llama-server -m "/models/my model.gguf" --port {port} --alias 'a b'"#);
        c.validate().unwrap();
        assert_eq!(
            c.argv(8123),
            [
                "llama-server",
                "-m",
                "/models/my model.gguf",
                "--port",
                "8123",
                "--alias",
                "a b"
            ]
        );
        let missing = config("vllm serve model").validate().unwrap_err();
        assert!(missing.contains("panel.server.command") && missing.contains("{port}"));
        let broken = config("vllm serve 'model --port {port}")
            .validate()
            .unwrap_err();
        assert!(broken.contains("unbalanced"), "{broken}");
        let health = ServerConfig {
            health: "health".into(),
            ..config("x --port {port}")
        };
        assert!(health
            .validate()
            .unwrap_err()
            .contains("panel.server.health"));
    }
}
