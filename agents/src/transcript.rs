//! The meeting's record as a document a reviewer reads (`transcript.md`).

use std::fmt::Write;

use crate::protocol::{Proposal, TranscriptEntry};

/// The proposals of stage A as a Markdown table: who proposed what, in which round, what
/// became of it, and why (the reason shortened to a line).
pub fn proposals_markdown(proposals: &[Proposal]) -> String {
    let mut md = String::from(
        "| round | agent | variable | status | adopted | reason |\n|---|---|---|---|---|---|\n",
    );
    for p in proposals {
        // A pipe inside a cell is escaped, so "|r|" survives the table.
        let reason: String = p
            .reason
            .replace('\n', " ")
            .chars()
            .take(200)
            .collect::<String>()
            .replace('|', "\\|");
        let _ = writeln!(
            md,
            "| {} | {} | `{}` | {} | {} | {}{} |",
            if p.round == 0 {
                "proposals".to_string()
            } else {
                p.round.to_string()
            },
            p.agent,
            p.variable.replace('|', "/"),
            p.status,
            if p.adopted { "yes" } else { "no" },
            reason,
            if p.reason.chars().count() > 200 {
                "..."
            } else {
                ""
            }
        );
    }
    md
}

pub fn to_markdown(title: &str, entries: &[TranscriptEntry]) -> String {
    let mut md = format!("# {title}\n");
    let mut heading = (String::new(), u32::MAX, false);
    let mut proposals: Vec<(String, Proposal)> = Vec::new();
    let mut adopted: Vec<String> = Vec::new();
    for e in entries {
        if e.kind == "candidate_proposal" {
            if let Ok(p) = serde_json::from_value::<Proposal>(e.data.clone()) {
                proposals.push((e.stage.clone(), p));
            }
        }
        if e.kind == "decision" {
            adopted.extend(
                e.data["adjust_for"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string)),
            );
        }
        let key = (e.stage.clone(), e.round, e.kind == "decision");
        if key != heading {
            heading = key;
            let _ = if e.kind == "decision" {
                writeln!(md, "\n## Stage {}: decision\n", e.stage)
            } else if e.round == 0 {
                writeln!(md, "\n## Stage {}: proposals\n", e.stage)
            } else {
                writeln!(md, "\n## Stage {}, round {}\n", e.stage, e.round)
            };
        }
        let text = e.text.replace('\n', " ");
        let _ = match e.kind.as_str() {
            "tool_call" => writeln!(md, "- **{}** calls `{}`", e.agent, text),
            "tool_result" => writeln!(md, "  - result: {}", text),
            "proposal" => writeln!(
                md,
                "- **{}** proposes: {}\n\n  ```json\n  {}\n  ```",
                e.agent, text, e.data
            ),
            "message" if text.trim().is_empty() => Ok(()),
            "message" => writeln!(
                md,
                "- **{}** says: {}",
                e.agent,
                text.chars().take(400).collect::<String>()
            ),
            "invalid" => writeln!(md, "- **{}**: reply rejected: {}", e.agent, text),
            "abstain" => writeln!(md, "- **{}** abstains: {}", e.agent, text),
            "agreement" => writeln!(md, "\n*Agreement: {}*", text),
            "decision" => writeln!(md, "**{}** (chair): {}", e.agent, text),
            "candidate_proposal" => writeln!(
                md,
                "- **{}** {}",
                e.agent,
                text.chars().take(400).collect::<String>()
            ),
            "merge" => writeln!(
                md,
                "\n**{}** (chair) merges the proposals: {}",
                e.agent, text
            ),
            _ => writeln!(md, "- {} {}: {}", e.agent, e.kind, text),
        };
    }
    if !proposals.is_empty() {
        let mut all: Vec<Proposal> = proposals.into_iter().map(|(_, p)| p).collect();
        for p in &mut all {
            p.adopted = adopted.contains(&p.variable);
        }
        let _ = writeln!(md, "\n## Proposals of stage confounders\n");
        md.push_str(&proposals_markdown(&all));
    }
    md
}
