//! `meshagents study status` and `study list` through the real binary: finished, running
//! (another process holds the journal), stopped by a kill and then resumed.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use meshagents_engine::Journal;

mod common;
use common::{assert_failed_saying, big_demo, meshagents};

fn status(dir: &Path) -> serde_json::Value {
    let out = meshagents(&["study", "status", dir.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn finished_running_and_stopped_studies_are_told_apart() {
    let root = tempfile::tempdir().unwrap();
    let done = root.path().join("done");
    let run = meshagents(&["demo", "--n", "400", "--out", done.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let s = status(&done);
    assert_eq!(s["state"], "finished");
    assert_eq!(
        (s["steps_done"].as_u64(), s["steps_total"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(s["study"], "demo");
    assert_eq!(s["config"]["config"]["n"], 400);

    // Another process (this test) holds the journal: the study is running, and the holder
    // is named.
    {
        let _held = Journal::open(&done.join("journal")).unwrap();
        let s = status(&done);
        assert_eq!(s["state"], "running");
        assert_eq!(s["pid"].as_u64(), Some(u64::from(std::process::id())));
    }

    // Killed after its first step: stopped, part done; run again: finished.
    let big = root.path().join("big");
    let mut child = big_demo(&big)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if big.join("study.json").exists() && status(&big)["steps_done"].as_u64().unwrap_or(0) >= 1
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let s = status(&big);
    assert_eq!(s["state"], "stopped", "{s}");
    let done_steps = s["steps_done"].as_u64().unwrap();
    assert!((1..10).contains(&done_steps), "{s}");
    let text = meshagents(&["study", "status", big.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("run the same command again"));

    let list = meshagents(&["study", "list", root.path().to_str().unwrap()]);
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("big") && l.contains("stopped")),
        "{listing}"
    );
    assert!(
        listing.lines().any(|l| l.starts_with("done")
            && l.contains("finished")
            && l.contains("10/10")
            && l.contains("embedded")),
        "{listing}"
    );

    let resumed = big_demo(&big).output().unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("from the journal"));
    assert_eq!(status(&big)["state"], "finished");
}

#[test]
fn a_directory_without_a_study_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = meshagents(&["study", "status", dir.path().to_str().unwrap()]);
    assert_failed_saying(&out, "not a study directory");
}
