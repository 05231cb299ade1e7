//! `[panel.server]` and SIGTERM, through the real binary: the study starts a model server
//! process (`fake-model-server`, a scripted OpenAI-compatible server, tests/bin/) on a free
//! port, waits for its health path, sends it the panel's calls, and stops its process group;
//! a command that cannot start or dies while loading is a clear error; a server that dies
//! mid-study stops the study resumably and the next run restarts it; SIGTERM (Slurm's time
//! limit, `scancel`) pauses the study during a model call without waiting for it; a study
//! killed outright takes its server along. In every case the server's own log shows that no
//! call the journal has complete was sent again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;

mod common;
use common::{bin, completed_steps, meshagents_in, p, panel_cohort, panel_study, text};

const FAKE: &str = env!("CARGO_BIN_EXE_fake-model-server");

/// A study whose panel talks to the server `command` starts (`backend` as given).
fn study_toml(backend: &str, command: &str) -> String {
    // A JSON string is a valid TOML basic string: quotes and backslashes stay intact.
    let command = serde_json::to_string(command).unwrap();
    format!(
        r#"{}
[panel.openai]
base_url = "http://192.0.2.1:9/v1"
model = "scripted-model"
api_key_env = ""
timeout_s = 30
requests_per_minute = 0
concurrency = 4

[panel.server]
command = {command}
startup_timeout_s = 120

[panel.retry]
initial_interval = 50
maximum_interval = 200
maximum_attempts = 6
start_to_close = 30000
schedule_to_close = 120000
"#,
        panel_study("managed server", backend)
    )
}

/// A study directory `dir/name` configured to start `command`.
fn setup(dir: &Path, name: &str, backend: &str, command: &str) -> (PathBuf, PathBuf) {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, study_toml(backend, command)).unwrap();
    (config, dir.join(name))
}

fn run_args<'a>(config: &'a Path, out: &'a Path) -> [&'a str; 5] {
    ["study", "run", p(config), "--out", p(out)]
}

fn run(dir: &Path, config: &Path, out: &Path) -> Output {
    meshagents_in(dir, &run_args(config, out))
}

/// The fake server's log: one JSON object per line (a line being written while a running
/// server is watched is left for the next look).
fn served(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn with_event<'a>(log: &'a [Value], event: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    log.iter().filter(move |l| l["event"] == event)
}

/// The `model_server` events the study journaled (`panel/server`).
fn server_events(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("journal.events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["step"] == "panel/server")
        .map(|e| e["body"]["model_server"].clone())
        .collect()
}

/// Model-call steps with a result in the journal.
fn journaled_calls(out: &Path) -> BTreeSet<String> {
    completed_steps(out)
        .into_iter()
        .map(|(step, _)| step)
        .filter(|step| step.contains("/call") && !step.contains("/tool"))
        .collect()
}

/// Every call the journal has was answered by a server exactly once, over all runs, and the
/// servers answered nothing else.
fn assert_each_call_answered_once(log: &Path, out: &Path) {
    let mut answered: BTreeMap<String, usize> = BTreeMap::new();
    for line in with_event(&served(log), "answered") {
        *answered
            .entry(line["step"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let twice: Vec<_> = answered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "calls answered more than once: {twice:?}");
    let journaled = journaled_calls(out);
    assert_eq!(
        answered.keys().cloned().collect::<BTreeSet<_>>(),
        journaled,
        "the calls answered are the calls journaled"
    );
}

/// Whether a process exists and is not a zombie (a server orphaned by a killed study is
/// reaped by whoever adopts it, possibly later).
fn alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z"),
        Err(_) => false,
    }
}

/// kill(pid, 0): the process is gone, not merely quiet.
fn assert_gone(pid: u64) {
    // SAFETY: signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert!(
        rc == -1 && errno == Some(libc::ESRCH),
        "the model server (pid {pid}) is still there"
    );
}

fn fake(log: &Path, extra: &str) -> String {
    format!("{FAKE} --port {{port}} --log {} {extra}", log.display())
}

/// The cohort and a study `dir/study` whose server is the fake one with `extra` flags: the
/// study's configuration, its directory, and the server's log.
fn fake_study(d: &Path, extra: &str) -> (PathBuf, PathBuf, PathBuf) {
    panel_cohort(d);
    let log = d.join("served.jsonl");
    let (config, out) = setup(d, "study", "openai", &fake(&log, extra));
    (config, out, log)
}

/// A run that failed before its end (exit code 1), saying each of `needles`.
fn assert_exit_1_saying(failed: &Output, needles: &[&str]) {
    let message = text(failed);
    assert_eq!(failed.status.code(), Some(1), "{message}");
    for needle in needles {
        assert!(message.contains(needle), "no {needle:?} in: {message}");
    }
}

#[test]
fn a_server_that_cannot_start_or_dies_loading_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    panel_cohort(d);

    // Each fails before the panel meets, saying why.
    let fails_saying = |name: &str, backend: &str, command: &str, needles: &[&str]| {
        let (config, out) = setup(d, name, backend, command);
        assert_exit_1_saying(&run(d, &config, &out), needles);
    };
    fails_saying(
        "no-port",
        "openai",
        "llama-server -m model.gguf",
        &["key `panel.server.command`", "{port}"],
    );
    fails_saying(
        "embedded",
        "embedded",
        "llama-server --port {port}",
        &["key `panel.server`"],
    );
    fails_saying(
        "missing",
        "openai",
        "no-such-model-server-4242 --port {port}",
        &["cannot start `no-such-model-server-4242 --port "],
    );
    fails_saying(
        "dies",
        "openai",
        r#"sh -c "echo loading weights >&2; echo 'CUDA error: out of memory' >&2; exit 7" {port}"#,
        &[
            "the model server `sh -c",
            "exited with exit status: 7 before it became healthy",
            "CUDA error: out of memory",
            "logs/model-server.log",
        ],
    );
}

#[test]
fn a_managed_server_serves_the_panel_and_is_stopped_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // /health answers 503 at first, as while a model loads.
    let (config, out, log) = fake_study(d, "--startup-ms 300");

    let first = run(d, &config, &out);
    let output = text(&first);
    assert!(first.status.success(), "{output}");
    assert!(output.contains("model server started on port"), "{output}");
    assert!(output.contains("model server stopped"), "{output}");
    let events = server_events(&out);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["event"], "started");
    assert_eq!(events[1]["event"], "stopped");
    let pid = events[0]["pid"].as_u64().unwrap();
    assert_eq!(events[1]["pid"], events[0]["pid"]);
    let listening: Vec<Value> = with_event(&served(&log), "listening").cloned().collect();
    assert_eq!(listening.len(), 1);
    assert_eq!(listening[0]["pid"].as_u64(), Some(pid));
    assert_eq!(listening[0]["port"], events[0]["port"]);
    assert_gone(pid);
    assert_each_call_answered_once(&log, &out);
    assert!(out.join("logs/model-server.log").is_file());

    let status = meshagents_in(d, &["study", "status", out.to_str().unwrap()]);
    assert!(
        text(&status).contains("model server stopped"),
        "{}",
        text(&status)
    );

    // Everything replays from the journal: no server is started for a panel with nothing
    // left to ask.
    let again = run(d, &config, &out);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(with_event(&served(&log), "listening").count(), 1);
    assert_eq!(server_events(&out).len(), 2);
}

#[test]
fn a_server_that_dies_mid_study_stops_it_resumably_and_the_next_run_restarts_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (config, out, log) = fake_study(d, "--exit-at-total 6");

    assert_exit_1_saying(
        &run(d, &config, &out),
        &[
            "exited with exit status: 3 while the panel ran",
            "run the same command again",
            "model-server.log",
        ],
    );
    let events = server_events(&out);
    assert!(events.iter().any(|e| e["event"] == "exited"), "{events:?}");
    let first_pid = events[0]["pid"].as_u64().unwrap();
    assert_gone(first_pid);
    assert!(!journaled_calls(&out).is_empty(), "calls before the exit");

    let resumed = run(d, &config, &out);
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_eq!(with_event(&served(&log), "listening").count(), 2);
    assert_each_call_answered_once(&log, &out);
    for e in server_events(&out) {
        assert_gone(e["pid"].as_u64().unwrap());
    }
}

/// Starts the study in the background with its server holding answers after `hold_after`,
/// and waits until a call is held (in flight) at the server.
fn start_held(d: &Path, hold_after: usize) -> (std::process::Child, PathBuf, PathBuf, PathBuf) {
    let hold = d.join("hold");
    std::fs::write(&hold, "").unwrap();
    let extra = format!("--hold {} --hold-after {hold_after}", hold.display());
    let (config, out, log) = fake_study(d, &extra);
    let stderr = std::fs::File::create(d.join("stderr.txt")).unwrap();
    let mut child = bin()
        .current_dir(d)
        .args(run_args(&config, &out))
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    while with_event(&served(&log), "held").next().is_none() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the study ended ({status}) before a call was in flight: {}",
                std::fs::read_to_string(d.join("stderr.txt")).unwrap()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    (child, config, out, log)
}

#[test]
fn sigterm_during_a_model_call_pauses_at_once_and_the_study_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (child, config, out, log) = start_held(d, 5);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let result = child.wait_with_output().unwrap();
    let stderr = std::fs::read_to_string(d.join("stderr.txt")).unwrap();
    assert_eq!(result.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("paused on request during step"), "{stderr}");
    // The held calls were never answered: the study did not wait for them (the hold file
    // is still there, so their answers could not have come).
    let lines = served(&log);
    let held: BTreeSet<&str> = with_event(&lines, "held")
        .map(|l| l["step"].as_str().unwrap())
        .collect();
    assert!(with_event(&lines, "answered").all(|l| !held.contains(l["step"].as_str().unwrap())));
    let journaled = journaled_calls(&out);
    assert!(
        journaled.len() >= 5,
        "calls answered before the pause are journaled: {journaled:?}"
    );
    assert!(held.iter().all(|s| !journaled.contains(*s)));
    let events = server_events(&out);
    assert_eq!(events.last().unwrap()["event"], "stopped", "{events:?}");
    assert_gone(events[0]["pid"].as_u64().unwrap());

    std::fs::remove_file(d.join("hold")).unwrap();
    let resumed = run(d, &config, &out);
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_each_call_answered_once(&log, &out);
}

#[test]
fn a_study_killed_outright_takes_its_server_along() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (mut child, config, out, log) = start_held(d, 0);
    let pid = with_event(&served(&log), "listening").next().unwrap()["pid"]
        .as_u64()
        .unwrap();
    child.kill().unwrap(); // SIGKILL: no handler, no Drop; only the parent-death signal.
    child.wait().unwrap();
    while alive(pid) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::fs::remove_file(d.join("hold")).unwrap();
    let resumed = run(d, &config, &out);
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_each_call_answered_once(&log, &out);
}
