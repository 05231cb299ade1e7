//! From votes to a decision: the votes of the last round, and the tally under the
//! configured rule.

use std::collections::BTreeSet;

use super::{Answer, ConfounderItem, DecisionRule, Vote};

pub(super) fn collect_votes(answers: &[Answer]) -> Vec<Vote> {
    answers
        .iter()
        .flat_map(|a| {
            a.value["votes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| Vote {
                    agent: a.agent.clone(),
                    variable: v["variable"].as_str().unwrap_or_default().to_string(),
                    include: v["include"].as_bool().unwrap_or(false),
                    confidence: v["confidence"].as_f64().unwrap_or(0.5),
                    rationale: v["rationale"].as_str().unwrap_or_default().to_string(),
                })
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
