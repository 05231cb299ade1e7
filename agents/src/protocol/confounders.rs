//! Stage A: which variables every association is adjusted for.
//!
//! Unless `propose = false`, the stage opens with proposals: each voter searches the whole
//! catalogue with its tools (any non-imaging variable that is not the id or a disease label,
//! factors included) and proposes candidates with its reason and the numbers it saw. A name
//! that cannot be a confounder is refused, and the refusal is fed back to the agent. The chair
//! merges the proposals into the seed list (at most `max_candidates`, the most supported
//! first), the evidence on the merged list is computed as a journaled tool call, and the panel
//! votes in rounds. In every discussion round an agent may propose more; the stage ends when a
//! round adds no candidate and agreement has reached the threshold, or at `max_rounds`.
//!
//! Proposing is the point of the paper's panel: a confounder no list names (a
//! sociodemographic field among thousands of factors) can only be adjusted for if someone can
//! bring it to the table.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    collect_votes, mentions, quoted, schemas, tally, Answer, ConfounderDecision, Minutes, Panel,
    RoundSpec, TranscriptEntry, Variable,
};
use crate::roles::RoleSpec;
use crate::tools::{screen_summary, suggestions};
use crate::AgentError;

const STAGE: &str = "confounders";
/// New candidates one agent may add in one discussion round.
const NEW_PER_ROUND: usize = 3;
/// Rows of the catalogue's screen put in the prompt when agents have no tools.
const EVIDENCE_ROWS: usize = 15;
/// Variables one agent may propose in the proposal part: enough for a full adjustment set,
/// few enough that a model repeating itself stops soon.
const PROPOSALS_PER_AGENT: usize = 8;

/// The variables that may be proposed, and why the others may not.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// Any non-imaging column that is not the id or a disease label.
    pub eligible: Vec<Variable>,
    /// Names in the dataset that cannot be proposed, with the reason ("an imaging phenotype").
    pub excluded: BTreeMap<String, String>,
}

impl Catalogue {
    /// Why `name` cannot be proposed, in words the agent can act on; `None` when it can.
    pub fn refusal(&self, name: &str) -> Option<String> {
        if self.eligible.iter().any(|v| v.name == name) {
            return None;
        }
        Some(match self.excluded.get(name) {
            Some(why) => format!("'{name}' cannot be proposed: it is {why}"),
            None => {
                let near = suggestions(name, self.eligible.iter().map(|v| v.name.as_str()));
                format!(
                    "'{name}' is not a variable of this dataset{}",
                    if near.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean: {}?)", near.join(", "))
                    }
                )
            }
        })
    }

    fn get(&self, name: &str) -> Option<&Variable> {
        self.eligible.iter().find(|v| v.name == name)
    }
}

/// One proposal of a candidate by one agent, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub agent: String,
    /// 0 for the proposal part, then the discussion round it was made in.
    pub round: u32,
    pub variable: String,
    pub reason: String,
    /// The numbers the agent cited.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub numbers: Value,
    /// `added` (a new candidate), `seed` (already a seed candidate), `already proposed`,
    /// `over the limit` (`max_candidates` reached) or `too late` (made in the last round, so
    /// never voted on).
    pub status: String,
    /// The panel adjusts for it.
    pub adopted: bool,
}

/// (variable, reason, numbers) of each proposal in an answer; a name proposed twice counts
/// once (small models repeat themselves until the array's bound).
fn proposals_in(answer: &Value) -> Vec<(String, String, Value)> {
    let mut seen = BTreeSet::new();
    answer["proposals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["variable"].as_str().unwrap_or_default().to_string(),
                p["reason"].as_str().unwrap_or_default().to_string(),
                p.get("numbers").cloned().unwrap_or(Value::Null),
            )
        })
        .filter(|(name, _, _)| seen.insert(name.clone()))
        .collect()
}

/// The refusals of an answer's proposals, as problems to feed back.
fn refusals(answer: &Value, catalogue: &Catalogue) -> Vec<String> {
    proposals_in(answer)
        .iter()
        .filter_map(|(name, _, _)| catalogue.refusal(name))
        .map(|why| format!("proposal refused: {why}"))
        .collect()
}

/// The compact evidence of each variable in a `confounder_screen` result, for prompts.
fn evidence_by_variable(screen: &Value) -> BTreeMap<String, Value> {
    ["members", "candidates"]
        .iter()
        .flat_map(|k| screen[*k].as_array().into_iter().flatten())
        .filter_map(|e| Some((e["variable"].as_str()?.to_string(), screen_summary(e))))
        .collect()
}

/// What the meeting knows about the candidate list as it grows.
#[derive(Default)]
struct Table {
    candidates: Vec<Variable>,
    seeds: BTreeSet<String>,
    proposals: Vec<Proposal>,
    /// Who proposed each candidate.
    proposers: BTreeMap<String, Vec<String>>,
    /// Each agent's proposals so far.
    own: BTreeMap<String, Vec<String>>,
    /// The latest evidence on the list (compact, by variable) and the journal keys it came from.
    evidence: BTreeMap<String, Value>,
    evidence_keys: Vec<String>,
}

impl Table {
    fn names(&self) -> BTreeSet<String> {
        self.candidates.iter().map(|c| c.name.clone()).collect()
    }

    /// The candidates as agents see them: who proposed each, and the screen's evidence.
    fn view(&self) -> Value {
        Value::Array(
            self.candidates
                .iter()
                .map(|c| {
                    let mut v = json!({"name": c.name, "description": c.description, "category": c.category});
                    if self.seeds.contains(&c.name) {
                        v["seed"] = json!(true);
                    }
                    if let Some(p) = self.proposers.get(&c.name) {
                        v["proposed_by"] = json!(p);
                    }
                    if let Some(e) = self.evidence.get(&c.name) {
                        v["evidence"] = e.clone();
                    }
                    v
                })
                .collect(),
        )
    }
}

impl Panel<'_> {
    /// Stage A: proposals from the whole `catalogue` (when given and `propose` is on) merged
    /// into the `seeds`, then votes on every candidate until agreement.
    pub async fn confounders(
        &self,
        seeds: &[Variable],
        catalogue: Option<&Catalogue>,
    ) -> Result<ConfounderDecision, AgentError> {
        let open = catalogue.filter(|_| self.config.propose);
        let eligible: Vec<String> = open
            .map(|c| c.eligible.iter().map(|v| v.name.clone()).collect())
            .unwrap_or_default();
        let mut minutes = Minutes::default();
        let mut table = Table {
            candidates: seeds.to_vec(),
            seeds: seeds.iter().map(|s| s.name.clone()).collect(),
            ..Table::default()
        };
        if let Some(catalogue) = open {
            let check = |value: &Value| refusals(value, catalogue);
            let per_agent = PROPOSALS_PER_AGENT.min(self.config.max_candidates);
            let seeds_view = quoted(&serde_json::to_value(seeds).unwrap_or(Value::Null));
            // Without tools the agents cannot search: the screen of the whole catalogue,
            // strongest first, is put in every prompt instead (one journaled tool call).
            let given = if self.config.tools {
                String::new()
            } else {
                let key = format!("panel/{STAGE}/r0/evidence");
                let screen =
                    self.effects
                        .tool(&key, "confounder_screen", &json!({"top": EVIDENCE_ROWS}))?;
                let rows: Vec<Value> = ["candidates"]
                    .iter()
                    .flat_map(|k| screen[*k].as_array().into_iter().flatten())
                    .map(|e| {
                        let mut row = screen_summary(e);
                        row["variable"] = e["variable"].clone();
                        row
                    })
                    .collect();
                format!(
                    "\nNo tools are available in this meeting; the confounder screen of the whole catalogue (no adjustment, strongest first) is:\n{}",
                    quoted(&Value::Array(rows))
                )
            };
            let prompt = |_: &RoleSpec| -> (String, Value) {
                let (text, task) = (
                    format!(
                        "Stage A, proposals: which variables should every association of an imaging phenotype with a non-imaging factor be adjusted for? Search the whole catalogue, not only the seed list: any of its {} non-imaging variables that is not the participant id or a disease label may be proposed, factors included. Propose confounders: variables that come before the factors and cause them, the phenotypes, or both (VanderWeele's modified disjunctive cause criterion). Do not propose mediators (on the path from a factor to the heart), instruments, or proxies of variables you already propose.\nSeed candidates:\n{}\nFind variables with list_variables (filter by role or category, search names and descriptions, page through) and describe_variable; rank them with confounder_screen, which reports what adding each variable to an adjustment set does to every phenotype x factor association (pass the set you have so far as adjusted_for). Answer {{\"proposals\": [{{\"variable\", \"reason\", \"numbers\"}}], \"summary\"}}: every variable you would adjust for, seeds included, each with the numbers you saw.",
                        catalogue.eligible.len(),
                        seeds_view
                    ),
                    json!({"stage": STAGE, "part": "propose", "round": 0, "seeds": seeds}),
                );
                (format!("{text}{given}"), task)
            };
            let with_role = |role: &RoleSpec| {
                let (text, mut task) = prompt(role);
                task["role"] = json!(role.id);
                task["knowledge"] = json!(role.knowledge);
                (text, task)
            };
            let spec = RoundSpec {
                stage: STAGE,
                round: 0,
                schema: schemas::proposals(&eligible, per_agent),
                schema_name: "confounder_proposals",
                prompt: &with_role,
                check: &check,
                tool_turns: self.config.proposal_tool_turns,
                max_tokens: self
                    .config
                    .max_tokens
                    .or("proposals", super::answer_tokens(per_agent)),
            };
            let answers = self.round(&spec, &mut minutes).await?;
            self.merge(0, &answers, catalogue, &mut table, &mut minutes.transcript)?;
        }

        if !self.config.tools && table.evidence.is_empty() {
            let key = format!("panel/{STAGE}/r1/evidence");
            let names: Vec<String> = table.candidates.iter().map(|c| c.name.clone()).collect();
            let arguments = json!({"variables": names, "top": names.len().max(1)});
            let result = self.effects.tool(&key, "confounder_screen", &arguments)?;
            table.evidence = evidence_by_variable(&result);
            table.evidence_keys.push(key);
        }
        let mut previous: Vec<Answer> = Vec::new();
        let mut previous_set: Option<BTreeSet<String>> = None;
        let mut voted_on: BTreeSet<String> = BTreeSet::new();
        for round in 1..=self.config.max_rounds.max(1) {
            let names = table.names();
            let check = |value: &Value| -> Vec<String> {
                let mut problems = Vec::new();
                let mut seen = BTreeSet::new();
                for vote in value["votes"].as_array().into_iter().flatten() {
                    let name = vote["variable"].as_str().unwrap_or_default();
                    if !names.contains(name) {
                        problems.push(format!("'{name}' is not one of the candidates"));
                    }
                    seen.insert(name.to_string());
                }
                let missing: Vec<&str> = names
                    .iter()
                    .filter(|n| !seen.contains(*n))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    problems.push(format!("no vote on: {}", missing.join(", ")));
                }
                if let Some(catalogue) = open {
                    problems.extend(refusals(value, catalogue));
                }
                problems
            };
            let decided_before: Vec<String> = table
                .candidates
                .iter()
                .filter(|c| previous_set.as_ref().is_some_and(|s| s.contains(&c.name)))
                .map(|c| c.name.clone())
                .collect();
            let view = table.view();
            // New candidates are voted on in the next round: the last round invites none.
            let invite = open.is_some() && round < self.config.max_rounds.max(1);
            let prompt = |role: &RoleSpec| -> (String, Value) {
                let others: Vec<Value> = previous
                    .iter()
                    .filter(|a| a.agent != role.id)
                    .map(|a| json!({"agent": a.agent, "proposal": a.value}))
                    .collect();
                let own = previous
                    .iter()
                    .find(|a| a.agent == role.id)
                    .map(|a| a.value.clone())
                    .unwrap_or(Value::Null);
                let mut text = format!(
                    "Stage A, round {round}: decide which candidate variables every association of an imaging phenotype with a non-imaging factor should be adjusted for. Adjust for confounders (causes of both, or of either, that come before the factor); do not adjust for mediators (on the path from factor to heart), instruments, or proxies of variables already adjusted for.\nCandidates (who proposed them, and the screen's evidence when the list was merged):\n{}\nUse your tools to look at the evidence, then vote on every candidate: {{\"votes\": [{{\"variable\", \"include\", \"role\", \"confidence\", \"rationale\"}}], \"summary\"}}. Cite the numbers you saw in each rationale.",
                    quoted(&view)
                );
                if !self.config.tools {
                    text = text.replace(
                        "Use your tools to look at the evidence, then vote",
                        "Read the evidence above (no tools are available in this meeting), then vote",
                    );
                }
                if invite {
                    text.push_str(" If the evidence points at a variable that is not a candidate yet, add it: \"proposals\": [{\"variable\", \"reason\", \"numbers\"}]; it is voted on in the next round.");
                }
                if round > 1 {
                    text.push_str(&format!(
                        "\n\nThe other panel members' answers from round {}:\n{}\nYour own was:\n{}\nReconsider in the light of their arguments and the evidence; change your answer only for a reason you can state.",
                        round - 1,
                        quoted(&super::budget::brief(&Value::Array(others.clone()))),
                        quoted(&super::budget::brief(&own))
                    ));
                }
                let task = json!({
                    "stage": STAGE,
                    "part": "vote",
                    "open": open.is_some(),
                    "round": round,
                    "role": role.id,
                    "knowledge": role.knowledge,
                    "candidates": table.candidates,
                    "proposers": table.proposers,
                    "own_proposals": table.own.get(&role.id).cloned().unwrap_or_default(),
                    "decided_before": decided_before,
                    "others": others,
                    "own": own,
                });
                (text, task)
            };
            let spec = RoundSpec {
                stage: STAGE,
                round,
                schema: schemas::votes(
                    &table
                        .candidates
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>(),
                    open.filter(|_| invite)
                        .map(|_| (eligible.as_slice(), NEW_PER_ROUND)),
                ),
                schema_name: "confounder_votes",
                prompt: &prompt,
                check: &check,
                tool_turns: self.config.max_tool_turns,
                // A vote per candidate, and room for a few new proposals.
                max_tokens: self.config.max_tokens.or(
                    "confounders",
                    super::answer_tokens(names.len() + NEW_PER_ROUND),
                ),
            };
            let answers = self.round(&spec, &mut minutes).await?;
            let votes = collect_votes(&answers);
            let ratings: Vec<Vec<bool>> = names
                .iter()
                .map(|n| {
                    answers
                        .iter()
                        .map(|a| {
                            votes
                                .iter()
                                .any(|v| v.agent == a.agent && &v.variable == n && v.include)
                        })
                        .collect()
                })
                .collect();
            let decided: BTreeSet<String> = tally(&names, &votes, self.config.decision_rule)
                .into_iter()
                .filter(|i| i.include)
                .map(|i| i.variable)
                .collect();
            let converged = self.agree(
                &spec,
                &answers,
                (ratings, decided),
                &mut previous_set,
                &mut minutes,
            );
            voted_on = names;
            let added = match open {
                Some(catalogue) if round < self.config.max_rounds => self.merge(
                    round,
                    &answers,
                    catalogue,
                    &mut table,
                    &mut minutes.transcript,
                )?,
                Some(_) => {
                    // Proposals of the last round cannot be voted on any more: recorded only.
                    self.record_late(round, &answers, &mut table);
                    0
                }
                None => 0,
            };
            previous = answers;
            if round >= self.config.min_rounds && converged && added == 0 {
                break;
            }
        }
        self.quorum(STAGE, previous.len())?;
        let votes = collect_votes(&previous);
        let mut items = tally(&voted_on, &votes, self.config.decision_rule);
        for item in &mut items {
            item.evidence = previous
                .iter()
                .flat_map(|a| a.tool_keys.iter())
                .filter(|(_, args)| mentions(args, &item.variable))
                .map(|(k, _)| k.clone())
                .collect();
            if table.proposers.contains_key(&item.variable) {
                item.evidence.extend(table.evidence_keys.iter().cloned());
            }
        }
        // Keep the candidates' order for the decided lists.
        let ordered = |include: bool| -> Vec<String> {
            table
                .candidates
                .iter()
                .filter(|c| {
                    items
                        .iter()
                        .any(|i| i.variable == c.name && i.include == include)
                })
                .map(|c| c.name.clone())
                .collect()
        };
        let (confounders, excluded) = (ordered(true), ordered(false));
        for p in &mut table.proposals {
            p.adopted = confounders.contains(&p.variable);
        }
        let proposals_view: Vec<Value> = table
            .proposers
            .iter()
            .map(|(v, by)| json!({"variable": v, "proposed_by": by, "adopted": confounders.contains(v)}))
            .collect();
        let chair_input = json!({"adjust_for": confounders, "do_not_adjust_for": excluded, "items": items, "rounds": minutes.rounds, "proposals": proposals_view});
        self.chair_summary(STAGE, chair_input, &mut minutes).await?;
        Ok(ConfounderDecision {
            confounders,
            excluded,
            items,
            votes,
            minutes,
            seeds: seeds.iter().map(|s| s.name.clone()).collect(),
            proposals: table.proposals,
        })
    }

    /// The chair merges one round's proposals into the list, the most supported first, up to
    /// `max_candidates`, and has the evidence on the merged list computed (a journaled tool
    /// call). Returns how many candidates were added.
    fn merge(
        &self,
        round: u32,
        answers: &[Answer],
        catalogue: &Catalogue,
        table: &mut Table,
        transcript: &mut Vec<TranscriptEntry>,
    ) -> Result<usize, AgentError> {
        // New names with their supporters, in order of first mention.
        let mut fresh: Vec<(String, Vec<String>)> = Vec::new();
        let mut made: Vec<Proposal> = Vec::new();
        for answer in answers {
            for (variable, reason, numbers) in proposals_in(&answer.value) {
                if catalogue.refusal(&variable).is_some() {
                    continue;
                }
                let own = table.own.entry(answer.agent.clone()).or_default();
                if !own.contains(&variable) {
                    own.push(variable.clone());
                }
                let status = if table.seeds.contains(&variable) {
                    "seed"
                } else if table.candidates.iter().any(|c| c.name == variable) {
                    "already proposed"
                } else {
                    match fresh.iter_mut().find(|(v, _)| *v == variable) {
                        Some((_, by)) => by.push(answer.agent.clone()),
                        None => fresh.push((variable.clone(), vec![answer.agent.clone()])),
                    }
                    "added"
                };
                let by = table.proposers.entry(variable.clone()).or_default();
                if !by.contains(&answer.agent) {
                    by.push(answer.agent.clone());
                }
                made.push(Proposal {
                    agent: answer.agent.clone(),
                    round,
                    variable,
                    reason,
                    numbers,
                    status: status.into(),
                    adopted: false,
                });
            }
        }
        // The most supported first; a stable sort keeps the order of first mention on ties.
        fresh.sort_by_key(|(_, by)| std::cmp::Reverse(by.len()));
        let room = self
            .config
            .max_candidates
            .saturating_sub(table.candidates.len());
        let (kept, cut): (Vec<_>, Vec<_>) =
            fresh.into_iter().enumerate().partition(|(i, _)| *i < room);
        let cut: BTreeSet<String> = cut.into_iter().map(|(_, (v, _))| v).collect();
        for p in made.iter_mut().filter(|p| cut.contains(&p.variable)) {
            p.status = "over the limit".into();
        }
        for p in &made {
            self.note(
                transcript,
                TranscriptEntry {
                    stage: STAGE.into(),
                    round,
                    agent: p.agent.clone(),
                    kind: "candidate_proposal".into(),
                    text: format!("proposes {} ({}): {}", p.variable, p.status, p.reason),
                    data: serde_json::to_value(p).unwrap_or(Value::Null),
                },
            );
        }
        table.proposals.extend(made);
        let added: Vec<String> = kept.into_iter().map(|(_, (v, _))| v).collect();
        for name in &added {
            if let Some(v) = catalogue.get(name) {
                table.candidates.push(v.clone());
            }
        }
        if added.is_empty() && round > 0 {
            return Ok(0);
        }
        // Evidence on the merged list, given what most of the panel proposes to adjust for.
        let answered = answers.len().max(1);
        let majority: Vec<String> = table
            .candidates
            .iter()
            .filter(|c| {
                table
                    .own
                    .values()
                    .filter(|own| own.contains(&c.name))
                    .count()
                    * 2
                    >= answered
                    && table.proposers.contains_key(&c.name)
            })
            .map(|c| c.name.clone())
            .collect();
        let key = format!("panel/{STAGE}/r{round}/chair/evidence");
        let arguments = json!({
            "adjusted_for": majority,
            "variables": table.candidates.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            "top": table.candidates.len(),
        });
        let result = self.effects.tool(&key, "confounder_screen", &arguments)?;
        table.evidence = evidence_by_variable(&result);
        table.evidence_keys.push(key.clone());
        let chair = self.chair()?;
        self.note(
            transcript,
            TranscriptEntry {
                stage: STAGE.into(),
                round,
                agent: chair.id.clone(),
                kind: "merge".into(),
                text: format!(
                    "{}; the panel votes on {} candidates: {}",
                    if added.is_empty() {
                        "no new candidate".to_string()
                    } else {
                        format!("new candidates: {}", added.join(", "))
                    },
                    table.candidates.len(),
                    table
                        .candidates
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                data: json!({"added": added, "over_the_limit": cut, "evidence": key, "adjusted_for": majority}),
            },
        );
        Ok(added.len())
    }

    /// Records the proposals of the last round, which nobody can vote on any more.
    fn record_late(&self, round: u32, answers: &[Answer], table: &mut Table) {
        for answer in answers {
            for (variable, reason, numbers) in proposals_in(&answer.value) {
                if table.candidates.iter().any(|c| c.name == variable) {
                    continue;
                }
                table.proposals.push(Proposal {
                    agent: answer.agent.clone(),
                    round,
                    variable,
                    reason,
                    numbers,
                    status: "too late".into(),
                    adopted: false,
                });
            }
        }
    }
}

#[cfg(test)]
#[path = "confounders_tests.rs"]
mod tests;
