//! From votes to a decision: the votes of the last round, and the tally under the
//! configured rule.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Answer, ConfounderItem, DecisionRule, Vote};

/// Each entry of the list `key` in every answer, with the agent who gave it (answers passed
/// the schema; a missing field reads as its default).
pub(super) fn answered<'a>(
    answers: &'a [Answer],
    key: &'a str,
) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
    answers.iter().flat_map(move |a| {
        a.value[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| (a.agent.as_str(), entry))
    })
}

/// A text field of an answer's entry, empty when missing.
pub(super) fn text(entry: &Value, field: &str) -> String {
    entry[field].as_str().unwrap_or_default().to_string()
}

pub(super) fn collect_votes(answers: &[Answer]) -> Vec<Vote> {
    answered(answers, "votes")
        .map(|(agent, v)| Vote {
            agent: agent.to_string(),
            variable: text(v, "variable"),
            include: v["include"].as_bool().unwrap_or(false),
            confidence: v["confidence"].as_f64().unwrap_or(0.5),
            rationale: text(v, "rationale"),
        })
        .collect()
}

pub(super) fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The decision on each candidate from the votes, by the configured rule.
pub(super) fn tally(
    names: &BTreeSet<String>,
    votes: &[Vote],
    rule: DecisionRule,
) -> Vec<ConfounderItem> {
    names
        .iter()
        .map(|name| {
            let on: Vec<&Vote> = votes.iter().filter(|v| &v.variable == name).collect();
            let votes_for: Vec<String> = on
                .iter()
                .filter(|v| v.include)
                .map(|v| v.agent.clone())
                .collect();
            let votes_against: Vec<String> = on
                .iter()
                .filter(|v| !v.include)
                .map(|v| v.agent.clone())
                .collect();
            let score = round3(
                on.iter()
                    .map(|v| {
                        if v.include {
                            v.confidence
                        } else {
                            -v.confidence
                        }
                    })
                    .sum(),
            );
            let include = match rule {
                DecisionRule::Vote => score > 0.0,
                DecisionRule::Consensus => !on.is_empty() && votes_against.is_empty(),
            };
            let reason = format!(
                "{}: {} for, {} against, confidence-weighted score {:+.2} ({})",
                if include { "adjust" } else { "do not adjust" },
                votes_for.len(),
                votes_against.len(),
                score,
                match rule {
                    DecisionRule::Vote => "weighted majority; a tie does not adjust",
                    DecisionRule::Consensus => "consensus: adjust only when no one objects",
                }
            );
            ConfounderItem {
                variable: name.clone(),
                include,
                votes_for,
                votes_against,
                weighted_score: score,
                evidence: vec![],
                reason,
            }
        })
        .collect()
}
