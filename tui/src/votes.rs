//! What the panel's transcript says, read for display: each agent's answer per variable (its
//! votes, selections or proposals), what a line's round means, how far the running step has
//! got, and the chair's tally per candidate with the tool results it stands on. Pure functions
//! of the lines the events file holds (`PanelData`), so every one is tested without a study.

use serde_json::Value;

use crate::model::{PanelData, PanelLine};

/// One agent's answer on one item (a candidate variable, or a disease in stage B).
#[derive(Debug, Clone, PartialEq)]
pub struct Opinion {
    pub agent: String,
    pub item: String,
    /// "adjust (confounder)", "leave out (mediator)", the phenotypes chosen, or "proposes".
    pub verdict: String,
    /// The verdict in a few characters, for a cell of the round's table.
    pub short: String,
    pub confidence: Option<f64>,
    pub rationale: String,
}

fn text_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The answers a `proposal` line holds, in the protocol's three shapes: `votes` (stage A),
/// `selections` (stage B) and `proposals` (candidates brought in from the catalogue).
pub fn opinions(line: &PanelLine) -> Vec<Opinion> {
    if line.kind != "proposal" {
        return Vec::new();
    }
    let list = |key: &str| {
        line.data
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for v in list("votes") {
        let include = v.get("include").and_then(Value::as_bool).unwrap_or(false);
        let role = text_of(&v, "role");
        let word = if include { "adjust" } else { "leave out" };
        out.push(Opinion {
            agent: line.agent.clone(),
            item: text_of(&v, "variable"),
            verdict: if role.is_empty() {
                word.to_string()
            } else {
                format!("{word} ({role})")
            },
            short: if include { "yes" } else { "no" }.into(),
            confidence: v.get("confidence").and_then(Value::as_f64),
            rationale: text_of(&v, "rationale"),
        });
    }
    for v in list("selections") {
        let chosen: Vec<&str> = v
            .get("phenotypes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push(Opinion {
            agent: line.agent.clone(),
            item: text_of(&v, "target"),
            verdict: chosen.join(", "),
            short: format!("{} picked", chosen.len()),
            confidence: v.get("confidence").and_then(Value::as_f64),
            rationale: text_of(&v, "rationale"),
        });
    }
    for v in list("proposals") {
        out.push(Opinion {
            agent: line.agent.clone(),
            item: text_of(&v, "variable"),
            verdict: "proposes".into(),
            short: "prop".into(),
            confidence: None,
            rationale: text_of(&v, "reason"),
        });
    }
    out
}

/// Every agent's answers in one round of one stage: the rows are the items in order of first
/// mention, the columns the agents in the order they answered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoundTable {
    pub stage: String,
    pub round: u32,
    pub agents: Vec<String>,
    pub items: Vec<String>,
    pub opinions: Vec<Opinion>,
}

impl RoundTable {
    pub fn of(lines: &[PanelLine], stage: &str, round: u32) -> RoundTable {
        let mut t = RoundTable {
            stage: stage.into(),
            round,
            ..RoundTable::default()
        };
        for l in lines
            .iter()
            .filter(|l| l.stage == stage && l.round == round)
        {
            for o in opinions(l) {
                if !t.agents.contains(&o.agent) {
                    t.agents.push(o.agent.clone());
                }
                if !t.items.contains(&o.item) {
                    t.items.push(o.item.clone());
                }
                t.opinions.push(o);
            }
        }
        t
    }

    /// What `agent` said on `item` (its last word, when it answered twice).
    pub fn cell(&self, item: &str, agent: &str) -> Option<&Opinion> {
        self.opinions
            .iter()
            .rev()
            .find(|o| o.item == item && o.agent == agent)
    }

    /// The rounds of `stage` that hold answers, in order (Left/Right move between them).
    pub fn rounds(lines: &[PanelLine], stage: &str) -> Vec<u32> {
        let mut rounds: Vec<u32> = lines
            .iter()
            .filter(|l| l.stage == stage && !opinions(l).is_empty())
            .map(|l| l.round)
            .collect();
        rounds.sort_unstable();
        rounds.dedup();
        rounds
    }
}

/// A line's round in a few characters: the chair's decision and the opening search of the
/// catalogue are both journaled as round 0, but are no round of voting.
pub fn round_tag(l: &PanelLine, max_rounds: Option<u32>) -> String {
    match (l.round, l.kind.as_str()) {
        (0, "decision") => "dec".into(),
        (0, _) => "prop".into(),
        (r, _) => match max_rounds {
            Some(k) => format!("{r}/{k}"),
            None => format!("r{r}"),
        },
    }
}

/// The heading of a line's part of the meeting, said in words.
pub fn round_title(l: &PanelLine, max_rounds: Option<u32>) -> String {
    let stage = match l.stage.as_str() {
        "confounders" => "stage A, confounders",
        "phenotypes" => "stage B, phenotypes",
        other => other,
    };
    match (l.round, l.kind.as_str()) {
        (0, "decision") => format!("{stage}: the chair's decision"),
        (0, _) => format!("{stage}: proposals (each agent searches the catalogue)"),
        (r, _) => match max_rounds {
            Some(k) => format!("{stage}: round {r} of at most {k}"),
            None => format!("{stage}: round {r}"),
        },
    }
}

/// How far the study has got: its running (or last) step, how long it has taken, and, while
/// the panel meets, the round and how many agents have answered in it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    pub step: String,
    pub elapsed_ms: u64,
    pub running: bool,
    /// The stage and round of the panel's last line (`None` before the panel speaks).
    pub stage: Option<String>,
    pub round: u32,
    pub max_rounds: Option<u32>,
    pub answered: usize,
    pub voters: usize,
}

impl Progress {
    pub fn of(data: &PanelData) -> Progress {
        let mut p = Progress {
            max_rounds: data.max_rounds,
            ..Progress::default()
        };
        if let Some(clock) = &data.step {
            p.step = clock.step.clone();
            p.running = clock.ended_ms.is_none();
            let end = clock.ended_ms.unwrap_or(data.now_ms);
            p.elapsed_ms = end.saturating_sub(clock.started_ms);
        }
        let Some(last) = data.lines.iter().rev().find(|l| l.round > 0) else {
            return p;
        };
        p.stage = Some(last.stage.clone());
        p.round = last.round;
        let stage_lines = || data.lines.iter().filter(|l| l.stage == last.stage);
        let mut voters: Vec<&str> = Vec::new();
        for l in stage_lines() {
            if !matches!(l.agent.as_str(), "chair" | "panel") && !voters.contains(&l.agent.as_str())
            {
                voters.push(&l.agent);
            }
        }
        p.voters = voters.len();
        let mut answered: Vec<&str> = Vec::new();
        for l in stage_lines().filter(|l| l.round == last.round) {
            if matches!(l.kind.as_str(), "proposal" | "abstain")
                && !answered.contains(&l.agent.as_str())
            {
                answered.push(&l.agent);
            }
        }
        p.answered = answered.len();
        p
    }
}

/// A duration as "1h 02m", "3m 07s" or "12.3s".
pub fn elapsed(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

/// One candidate as the chair tallied it (an item of the `decision` line of stage A).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tally {
    pub variable: String,
    pub include: bool,
    pub votes_for: Vec<String>,
    pub votes_against: Vec<String>,
    pub weighted_score: f64,
    pub reason: String,
    /// The journal keys of the tool calls whose results the voters saw on it.
    pub evidence: Vec<String>,
}

/// The chair's tally of stage A, from the last decision line (empty before the decision).
pub fn tallies(lines: &[PanelLine]) -> Vec<Tally> {
    let Some(decision) = lines
        .iter()
        .rev()
        .find(|l| l.kind == "decision" && l.stage == "confounders")
    else {
        return Vec::new();
    };
    let names = |v: &Value, key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    decision
        .data
        .get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|v| Tally {
                    variable: text_of(v, "variable"),
                    include: v.get("include").and_then(Value::as_bool).unwrap_or(false),
                    votes_for: names(v, "votes_for"),
                    votes_against: names(v, "votes_against"),
                    weighted_score: v
                        .get("weighted_score")
                        .and_then(Value::as_f64)
                        .unwrap_or(f64::NAN),
                    reason: text_of(v, "reason"),
                    evidence: names(v, "evidence"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the tool call journaled under `key` returned about `variable`: the object of its
/// result that names it (a row of a screen), or `None` when the result does not mention it.
pub fn evidence_row(lines: &[PanelLine], key: &str, variable: &str) -> Option<Value> {
    let result = lines
        .iter()
        .find(|l| {
            l.kind == "tool_result" && l.data.get("key").and_then(Value::as_str) == Some(key)
        })?
        .data
        .get("result")?;
    find_named(result, variable).cloned()
}

fn find_named<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    match v {
        Value::Object(map) => {
            let names_it = ["variable", "column", "name"]
                .iter()
                .any(|k| map.get(*k).and_then(Value::as_str) == Some(name));
            if names_it {
                return Some(v);
            }
            map.values().find_map(|c| find_named(c, name))
        }
        Value::Array(items) => items.iter().find_map(|c| find_named(c, name)),
        _ => None,
    }
}

/// Who made a tool call, read from its journal key (`panel/STAGE/rN/AGENT/callK/toolJ`):
/// "AGENT rN toolJ" (an agent may call a tool more than once in a round).
pub fn key_speaker(key: &str) -> String {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        [_, _, round, agent, .., tool] => format!("{agent} {round} {tool}"),
        _ => key.to_string(),
    }
}
