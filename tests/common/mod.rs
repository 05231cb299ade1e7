//! Helpers shared by the end-to-end tests: running the real binary and reading what it says.
//! Each test file uses part of them.
#![allow(dead_code)]

pub mod http;
pub mod scripted;
pub mod tmux;

use std::path::Path;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::Duration;

use meshagents_engine::{Journal, RecordKind};

/// The `meshagents` binary cargo built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meshagents"))
}

/// Runs the binary to its end.
pub fn meshagents(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .expect("the meshagents binary runs")
}

/// Runs the binary to its end inside `dir`, where the relative paths of `args` point.
pub fn meshagents_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the meshagents binary runs")
}

/// Both streams, for an assertion message that shows whatever the binary said.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `meshagents simulate` of `n` participants from `seed` (then `extra` flags) as CSV into
/// `out`, run inside `dir`; it must succeed.
pub fn simulate_csv(dir: &Path, out: &str, n: &str, seed: &str, extra: &[&str]) -> Output {
    let mut args = vec!["simulate", "--n", n, "--seed", seed];
    args.extend(extra);
    args.extend(["--format", "csv", "--out", out]);
    let sim = meshagents_in(dir, &args);
    assert!(sim.status.success(), "{}", text(&sim));
    sim
}

/// What every study whose panel met writes (the demo's and `study run`'s alike).
pub const PANEL_STUDY_FILES: &[&str] = &[
    "associations.csv",
    "summary.md",
    "flow.csv",
    "study.json",
    "STUDY.toml",
    "decisions.json",
    "transcript.md",
    "classification.csv",
    "predictions.csv",
    "report.html",
    "report.md",
    "plots/manhattan.png",
];

/// Every one of `files` (paths relative to `dir`) is a file in `dir`.
pub fn assert_files(dir: &Path, files: &[&str]) {
    let missing: Vec<&&str> = files.iter().filter(|f| !dir.join(f).is_file()).collect();
    assert!(
        missing.is_empty(),
        "missing in {}: {missing:?}",
        dir.display()
    );
}

/// `o` failed, and its stderr says `needle`.
pub fn assert_failed_saying(o: &Output, needle: &str) {
    assert!(!o.status.success(), "should fail: {}", text(o));
    assert!(stderr(o).contains(needle), "{}", stderr(o));
}

/// `o` exited with `code`, and its stderr says `needle`.
pub fn assert_exit_saying(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    assert!(stderr(o).contains(needle), "{}", stderr(o));
}

/// The cohort of the tests whose panel talks to a scripted server: 600 participants from
/// seed 9 with 40 factors, as CSV in `dir/cohort`.
pub fn panel_cohort(dir: &Path) {
    simulate_csv(dir, "cohort", "600", "9", &["--factors", "40"]);
}

/// The opening of a STUDY.toml on [`panel_cohort`], up to and with `[panel.protocol]`: three
/// phenotypes, physical activity, three seed candidates, and a panel of `backend` that meets
/// for exactly two rounds of at most two tool turns. The caller adds its model's tables.
pub fn panel_study(name: &str, backend: &str) -> String {
    format!(
        r#"name = "{name}"
data = "cohort/cohort.csv"
dictionary = "cohort/dictionary.csv"
phenotypes = "LVEDV,LVM,AAo distensibility"
factors = "Physical activity"
candidates = "age,sex,sbp"

[panel]
backend = "{backend}"

[panel.protocol]
min_rounds = 2
max_rounds = 2
max_tool_turns = 2
"#
    )
}

/// The start of a `[panel.openai]` table for a server at `url`: its model and the variable
/// holding the key (empty for none); the caller adds the table's other keys after it.
pub fn openai_table(url: &str, model: &str, key_env: &str) -> String {
    format!("\n[panel.openai]\nbase_url = \"{url}\"\nmodel = \"{model}\"\napi_key_env = \"{key_env}\"\n")
}

/// Every file under `dir` whose bytes hold `needle` (to prove a secret reached no file).
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
            found.push(path.display().to_string());
        }
    }
    found
}

/// The steps the journal of the study in `dir` has completed, with the time of each
/// completion, in the journal's order (a step completed twice is there twice).
pub fn completed_steps(dir: &Path) -> Vec<(String, u64)> {
    let journal = Journal::open(&dir.join("journal")).unwrap();
    journal
        .records()
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == RecordKind::StepCompleted)
        .map(|r| (r.step, r.at_ms))
        .collect()
}

/// A JSON array of strings (truth.json's and decisions.json's lists of columns).
pub fn json_strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("not a string: {s}"))
                .to_string()
        })
        .collect()
}

/// The `--headless` events a run printed, one JSON value a line.
pub fn events(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Starts `cmd` with its output discarded and SIGKILLs it after `delay`: `None` when it was
/// killed, its exit status when it ended first.
pub fn kill_after(cmd: &mut Command, delay: Duration) -> Option<ExitStatus> {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    match child.try_wait().unwrap() {
        None => {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            None
        }
        Some(exit) => Some(exit),
    }
}

/// A demo study large enough (40,000 participants) that a test can act on it while it runs.
pub fn big_demo(out: &Path) -> Command {
    let mut cmd = bin();
    cmd.args(["demo", "--n", "40000", "--out", p(out)]);
    cmd
}
