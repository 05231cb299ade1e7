//! The meeting's record as a document a reviewer reads (`transcript.md`).

use std::fmt::Write;

use crate::protocol::TranscriptEntry;

pub fn to_markdown(title: &str, entries: &[TranscriptEntry]) -> String {
    let mut md = format!("# {title}\n");
    let mut heading = (String::new(), u32::MAX);
    for e in entries {
        if (e.stage.clone(), e.round) != heading {
            heading = (e.stage.clone(), e.round);
            let _ = if e.round == 0 {
                writeln!(md, "\n## Stage {}: decision\n", e.stage)
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
            _ => writeln!(md, "- {} {}: {}", e.agent, e.kind, text),
        };
    }
    md
}
