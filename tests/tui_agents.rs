//! End to end (issue 17, item 3): a study with the approval gate runs its panel (embedded
//! backend) on a simulated cohort and stops for approval; `meshagents tui` opens its live
//! panel, Enter on a vote shows an agent's rationale, and the approval gate shows each
//! candidate's tally and score; approving resumes the study to its end. Every expected string
//! comes from the study's own files (`transcript.json`, `decisions.json`,
//! `proposed_confounders.json`, `study.json`).
//!
//! Skips (with a message) when tmux is missing, except under CI (`CI=true`), where it fails.
//! No wall-clock limit: every wait ends on what the screen shows.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;

use common::json_strings;

use common::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_meshagents");

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn enter_on_a_vote_shows_rationales_and_the_gate_shows_the_tally_in_tmux() {
    if !common::tmux::available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    common::simulate_csv(tmp.path(), "cohort", "400", "11", &["--factors", "30"]);
    let cohort = tmp.path().join("cohort");
    let root = tmp.path().join("studies");
    let dir = root.join("gated");
    std::fs::create_dir_all(&dir).expect("study folder");
    let toml = format!(
        "name = \"gated\"\ndata = \"{}\"\ndictionary = \"{}\"\n[panel]\napprove = true\n",
        cohort.join("cohort.csv").display(),
        cohort.join("dictionary.csv").display()
    );
    std::fs::write(tmp.path().join("STUDY.toml"), toml).expect("STUDY.toml");
    let first = Command::new(BIN)
        .arg("study")
        .arg("run")
        .arg(tmp.path().join("STUDY.toml"))
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("study runs");
    assert_eq!(
        first.status.code(),
        Some(3),
        "stops for approval: {}",
        String::from_utf8_lossy(&first.stderr)
    );

    // The last vote of the meeting and what the study recorded of it.
    let transcript = json(&dir.join("transcript.json"));
    let lines = transcript.as_array().expect("transcript lines");
    let last_vote = lines
        .iter()
        .rposition(|l| l["kind"] == "proposal" && l["data"]["votes"].is_array())
        .expect("a vote");
    let after = &lines[last_vote + 1..];
    assert!(
        after
            .iter()
            .all(|l| !l["kind"].as_str().unwrap_or("").starts_with("tool")),
        "only unfolded lines follow the last vote"
    );
    let vote = &lines[last_vote];
    let agent = vote["agent"].as_str().expect("agent");
    let round = vote["round"].as_u64().expect("round");
    let first_vote = &vote["data"]["votes"][0];
    let variable = first_vote["variable"].as_str().expect("variable");
    let rationale = first_vote["rationale"].as_str().expect("rationale");
    let opening: String = rationale.chars().take(40).collect();
    let config = json(&dir.join("study.json"));
    let max_rounds = config
        .pointer("/config/panel/protocol/max_rounds")
        .and_then(Value::as_u64)
        .expect("max_rounds");

    let tmux = Tmux::start("agents", &root, tmp.path(), 120, 40);
    tmux.wait_for("awaiting approval", "");
    tmux.keys(&["l"]);
    let panel = tmux.wait_for_all(&["the chair's decision", "transcript (following)"], "");
    assert!(!panel.contains(" r0 "), "no 'conf r0' label: {panel}");
    assert!(
        panel.contains(&format!("round {round} of at most {max_rounds}")),
        "{panel}"
    );
    assert!(panel.contains("took "), "the step's time: {panel}");
    // From the decision (the last line) up to the last vote, then Enter.
    for _ in 0..after.len() {
        tmux.keys(&["Up"]);
    }
    tmux.wait_for("transcript ─", "");
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for_all(
        &["each agent's answer", &format!("{variable}: rationales")],
        "",
    );
    assert!(detail.contains(agent), "{detail}");
    assert!(
        detail.contains(&opening),
        "{agent}'s rationale on {variable} ({opening:?}):\n{detail}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("transcript ─", "");

    // The approval gate: each candidate's tally and score, as decisions.json has them.
    tmux.keys(&["a"]);
    let gate = tmux.wait_for_all(&["approve the confounder set", "tally, evidence"], "");
    let proposal = json(&dir.join("proposed_confounders.json"));
    let candidates = json_strings(&proposal["candidates"]);
    let decisions = json(&dir.join("decisions.json"));
    let items = decisions
        .pointer("/provenance/confounders/items")
        .and_then(Value::as_array)
        .expect("the chair's items");
    for c in &candidates {
        let item = items
            .iter()
            .find(|i| i["variable"] == c.as_str())
            .expect("every candidate is tallied");
        let score = item["weighted_score"].as_f64().expect("score");
        let expected = vec![
            json_strings(&item["votes_for"]).len().to_string(),
            json_strings(&item["votes_against"]).len().to_string(),
            if score > 0.0 {
                format!("+{score}")
            } else {
                format!("{score}")
            },
        ];
        let row = gate
            .lines()
            .find(|l| l.contains(&format!("]  {c} ")))
            .unwrap_or_else(|| panic!("a row for {c}:\n{gate}"));
        let cells: Vec<&str> = row
            .split_whitespace()
            .skip_while(|w| w != c)
            .skip(1)
            .take(3)
            .collect();
        assert_eq!(cells, expected, "{c}: {row}");
    }
    let first = items
        .iter()
        .find(|i| i["variable"] == candidates[0].as_str())
        .expect("first candidate");
    let voters = json_strings(&first["votes_for"]);
    assert!(
        gate.contains(&format!("{}: tally, evidence", candidates[0])),
        "{gate}"
    );
    if let Some(v) = voters.first() {
        assert!(gate.contains(&format!("for {v}")), "{gate}");
    }

    // Approving resumes the study, which runs to its end.
    // (The status line says "approved", then "running", then "finished": too quick to wait
    // for each.)
    tmux.keys(&["Enter"]);
    let steps = meshagents_engine::read_events(&dir.join("journal"))
        .into_iter()
        .find_map(|e| match e.body {
            Some(meshagents_engine::Event::Plan { steps, .. }) => Some(steps.len()),
            _ => None,
        })
        .expect("the plan");
    tmux.wait_for(&format!("steps {steps}/{steps}"), "stopped with exit code");
    assert!(dir.join("approval.json").is_file());
    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_code(), "0");
}
