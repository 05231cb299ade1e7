//! `--headless` JSON events and Ctrl-C pausing, through the real binary.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{big_demo, events, meshagents, p, stderr};

fn steps_done(dir: &Path) -> u64 {
    let out = meshagents(&["study", "status", p(dir), "--json"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v["steps_done"].as_u64())
        .unwrap_or(0)
}

#[test]
fn headless_prints_one_json_event_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let run = meshagents(&["demo", "--n", "400", "--headless", "--out", p(&out)]);
    assert!(run.status.success(), "{}", stderr(&run));
    let events = events(&run.stdout);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "step_started").count(), 10);
    assert_eq!(kinds.iter().filter(|k| **k == "step_finished").count(), 10);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "study_finished");
    assert_eq!(last["steps_run"], 10);
    assert!(Path::new(last["associations"].as_str().unwrap()).is_file());
    // stderr is not a terminal here: no human progress lines.
    assert!(!String::from_utf8_lossy(&run.stderr).contains("[1/10]"));
}

#[test]
fn ctrl_c_pauses_between_steps_and_the_study_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big");
    let child = big_demo(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && !(out.join("study.json").exists() && steps_done(&out) >= 1) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let result = child.wait_with_output().unwrap();
    assert_eq!(
        result.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(String::from_utf8_lossy(&result.stderr).contains("paused on request"));
    let done = steps_done(&out);
    assert!((1..10).contains(&done), "paused after {done} steps");

    let resumed = big_demo(&out).output().unwrap();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("from the journal"));
    assert_eq!(steps_done(&out), 10);
}
