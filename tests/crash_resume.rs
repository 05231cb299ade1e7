//! Durability through the real binary: a demo study killed with SIGKILL at arbitrary moments
//! and resumed each time ends with exactly the files of an uninterrupted run, and no step is
//! completed twice; a second writer is refused with the holder's PID.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use meshagents_engine::Journal;

mod common;
use common::{bin, completed_steps, kill_after};

const ARGS: [&str; 5] = ["demo", "--n", "3000", "--seed", "11"];
const OUTPUTS: [&str; 15] = [
    "associations.csv",
    "summary.md",
    "flow.csv",
    "cohort/truth.json",
    "decisions.json",
    "transcript.json",
    "transcript.md",
    "classification.csv",
    "predictions.csv",
    "associations.tex",
    "classification.parquet",
    "plots/manhattan.svg",
    "plots/roc.png",
    "report.html",
    "report.md",
];

fn demo(out: &Path) -> Command {
    let mut cmd = bin();
    cmd.args(ARGS).arg("--out").arg(out);
    cmd
}

fn outputs(dir: &Path) -> Vec<Vec<u8>> {
    OUTPUTS
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect()
}

#[test]
fn killed_at_random_moments_the_study_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    let status = demo(&reference).output().unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let expected = outputs(&reference);

    let crashed = dir.path().join("crashed");
    // Deterministic pseudo-random kill times over the run (about a second here). A study that
    // gets to finish is checked and started afresh, until 20 runs have been killed mid-work.
    let mut state = 0x9e3779b97f4a7c15u64;
    let (mut kills, mut runs, mut checked) = (0, 0, 0);
    while kills < 20 {
        runs += 1;
        assert!(runs < 400, "only {kills} kills in {runs} runs");
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay = Duration::from_millis(5 + state % 700);
        match kill_after(&mut demo(&crashed), delay) {
            None => kills += 1,
            Some(exit) => {
                assert!(exit.success(), "a resumed run failed");
                check(&crashed, &expected);
                checked += 1;
                std::fs::remove_dir_all(&crashed).unwrap();
            }
        }
    }
    let last = demo(&crashed).output().unwrap();
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );
    check(&crashed, &expected);
    eprintln!(
        "{kills} kills in {runs} runs; {} studies finished and checked",
        checked + 1
    );
}

/// The study in `dir` has exactly the reference files, and every step completed once.
fn check(dir: &Path, expected: &[Vec<u8>]) {
    assert_eq!(
        outputs(dir),
        expected,
        "resumed study differs from an uninterrupted one"
    );
    let mut completed: HashMap<String, usize> = HashMap::new();
    for (step, _) in completed_steps(dir) {
        *completed.entry(step).or_default() += 1;
    }
    // The study's ten steps, and the panel's journaled model and tool calls inside them.
    let steps = completed
        .keys()
        .filter(|k| k.matches('/').count() == 1)
        .count();
    assert_eq!(steps, 10, "{completed:?}");
    assert!(completed
        .keys()
        .any(|k| k.starts_with("panel/confounders/r1/statistician/call1")));
    assert!(
        completed.values().all(|c| *c == 1),
        "a step completed twice: {completed:?}"
    );
}

#[test]
fn a_second_writer_is_refused_and_told_who_holds_the_study() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    std::fs::create_dir_all(&out).unwrap();
    let _held = Journal::open(&out.join("journal")).unwrap();
    let second = demo(&out).output().unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("locked by another process"), "{stderr}");
    assert!(
        stderr.contains(&format!("PID {}", std::process::id())),
        "{stderr}"
    );
}
