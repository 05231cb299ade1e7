//! The meeting: stage A (which confounders to adjust for) and stage B (which imaging
//! phenotypes characterise each disease). Each stage is a silent first round (proposals made
//! independently, in parallel, so no one anchors on another), then discussion rounds in which
//! every agent sees the others' proposals and may call tools again, until agreement reaches
//! the configured threshold or the round limit; the last round's proposals are the votes, and
//! the chair writes the decision with its provenance.
//!
//! Every model call and tool call goes through [`Effects`], which the workflow implements over
//! the journal: on resume, the meeting's code runs again and every call it already made is
//! replayed, not repeated. The meeting's own logic is therefore deterministic given the
//! replies.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::agreement::{fleiss_kappa, stability};
use crate::message::{Message, Reply, Request};
use crate::roles::{RoleKind, RoleSpec};
use crate::schema::{complete_object, extract_json, fit, violations};
use crate::tools::{check_call, tools_for};
use crate::AgentError;

/// A variable as agents see it: quoted data from the dataset's dictionary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    pub description: String,
    pub category: String,
}

/// One line of the meeting's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    pub stage: String,
    pub round: u32,
    pub agent: String,
    /// message | tool_call | tool_result | proposal | invalid | abstain | agreement | decision
    pub kind: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

/// The effects a meeting needs, performed durably by the workflow.
#[async_trait]
pub trait Effects: Send + Sync {
    /// Performs (or replays) these model calls, concurrently; the results in the order given.
    async fn chats(&self, calls: Vec<(String, Request)>) -> Result<Vec<Reply>, AgentError>;
    /// Performs (or replays) one tool call. Tool errors are data (`{"error": ...}`) for the
    /// agent, not failures of the meeting.
    fn tool(&self, key: &str, name: &str, arguments: &Value) -> Result<Value, AgentError>;
    /// A live copy of each transcript line (events for the TUI and `--headless`).
    fn record(&self, entry: &TranscriptEntry);
    /// Price per million prompt and completion tokens.
    fn prices(&self) -> (f64, f64);
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_usd: f64,
    /// Every call's prompt size (estimated before it was sent, and as the server counted).
    #[serde(default)]
    pub sizes: Vec<CallSize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundAgreement {
    pub round: u32,
    pub answered: Vec<String>,
    pub kappa: Option<f64>,
    /// Jaccard similarity of the decided set with the previous round's.
    pub stability: Option<f64>,
}

/// What every stage's meeting records besides its decision: the agreement of each round, the
/// chair's paragraph, the transcript and the cost per agent. Flattened into each decision, so
/// its fields stand in the decision's JSON as they always did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Minutes {
    pub rounds: Vec<RoundAgreement>,
    pub chair_summary: String,
    pub transcript: Vec<TranscriptEntry>,
    pub ledger: BTreeMap<String, Ledger>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vote {
    pub agent: String,
    pub variable: String,
    pub include: bool,
    pub confidence: f64,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfounderItem {
    pub variable: String,
    pub include: bool,
    pub votes_for: Vec<String>,
    pub votes_against: Vec<String>,
    pub weighted_score: f64,
    /// Tool calls whose results the voters saw on this variable (journal keys).
    pub evidence: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfounderDecision {
    pub confounders: Vec<String>,
    pub excluded: Vec<String>,
    pub items: Vec<ConfounderItem>,
    pub votes: Vec<Vote>,
    #[serde(flatten)]
    pub minutes: Minutes,
    /// The seed candidates (the study's `candidates` list) before any proposal.
    #[serde(default)]
    pub seeds: Vec<String>,
    /// Every proposal: who made it, in which round, its evidence, and what became of it.
    #[serde(default)]
    pub proposals: Vec<Proposal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    pub agent: String,
    pub target: String,
    pub phenotypes: Vec<String>,
    pub confidence: f64,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhenotypeItem {
    pub target: String,
    pub phenotype: String,
    pub pickers: Vec<String>,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhenotypeDecision {
    pub phenotypes: Vec<String>,
    pub disease_phenotypes: BTreeMap<String, Vec<String>>,
    pub items: Vec<PhenotypeItem>,
    pub picks: Vec<Pick>,
    #[serde(flatten)]
    pub minutes: Minutes,
}

pub const OVERALL: &str = "overall";

pub mod budget;
mod config;
mod confounders;
mod phenotypes;
pub mod schemas;
mod tally;
pub use budget::CallSize;
pub use config::{DecisionRule, ProtocolConfig, StageTokens};
pub use confounders::{Catalogue, Proposal};
use tally::{collect_votes, round3, tally};

/// Dataset text as quoted data: JSON-escaped inside a <data> block the system prompt tells
/// the model never to obey.
fn quoted(value: &Value) -> String {
    format!("<data>\n{}\n</data>", value)
}

/// What one agent answered in one round, checked.
#[derive(Debug, Clone)]
struct Answer {
    agent: String,
    value: Value,
    /// Journal keys of the tool calls this agent made in the round.
    tool_keys: Vec<(String, Value)>,
}

struct RoundSpec<'s> {
    stage: &'s str,
    round: u32,
    schema: Value,
    schema_name: &'s str,
    /// The user prompt and the machine-readable task for one role.
    prompt: &'s (dyn Fn(&RoleSpec) -> (String, Value) + Sync),
    /// Extra checks beyond the schema (e.g. unknown variable names).
    check: &'s (dyn Fn(&Value) -> Vec<String> + Sync),
    /// Model turns with tools before a final answer is required.
    tool_turns: u32,
    /// Completion tokens at most per reply (see [`answer_tokens`]).
    max_tokens: u32,
}

impl RoundSpec<'_> {
    /// A line of this round's transcript, said by `agent`.
    fn entry(&self, agent: &str, kind: &str, text: String, data: Value) -> TranscriptEntry {
        TranscriptEntry {
            stage: self.stage.into(),
            round: self.round,
            agent: agent.into(),
            kind: kind.into(),
            text,
            data,
        }
    }
}

/// A reply's token budget for an answer of `items` entries (votes, selections, proposals):
/// room for a short rationale each, so a model that rambles is stopped, and one that answers
/// as asked never is.
fn answer_tokens(items: usize) -> u32 {
    (200 + 120 * items).min(8192) as u32
}

/// What makes one stage different from another; [`Panel::stage_rounds`] does the rest.
struct StageSpec<'s> {
    name: &'static str,
    schema: Value,
    schema_name: &'static str,
    /// The round's instructions and the task's stage-specific fields, for one role.
    prompt: &'s (dyn Fn(u32, &RoleSpec) -> (String, Value) + Sync),
    check: &'s (dyn Fn(&Value) -> Vec<String> + Sync),
    /// A round's answers as ratings (item x answering agent, for Fleiss' kappa) and the set
    /// the decision rule would choose (for set stability).
    assess: &'s (dyn Fn(&[Answer]) -> Assessment + Sync),
    /// Completion tokens at most per reply.
    max_tokens: u32,
}

/// Ratings (item x answering agent) and the decided set of one round.
type Assessment = (Vec<Vec<bool>>, BTreeSet<String>);

pub struct Panel<'a> {
    pub roles: &'a [RoleSpec],
    pub config: &'a ProtocolConfig,
    pub effects: &'a dyn Effects,
}

impl Panel<'_> {
    fn voters(&self) -> Vec<&RoleSpec> {
        self.roles
            .iter()
            .filter(|r| r.kind != RoleKind::Chair)
            .collect()
    }

    fn chair(&self) -> Result<&RoleSpec, AgentError> {
        self.roles
            .iter()
            .find(|r| r.kind == RoleKind::Chair)
            .ok_or_else(|| AgentError::Config("the panel has no chair".into()))
    }

    fn note(&self, transcript: &mut Vec<TranscriptEntry>, entry: TranscriptEntry) {
        self.effects.record(&entry);
        transcript.push(entry);
    }

    /// Fits one request into the context budget, or says which setting to change; the
    /// call's size for the ledger (the server's counts are filled in by [`Self::charge`]).
    fn fit(&self, key: &str, request: &mut Request) -> Result<CallSize, AgentError> {
        let fitted = budget::fit(
            request,
            self.config.context_tokens,
            self.config.schema_in_prompt,
        )
        .map_err(|needed| {
            AgentError::Protocol(format!(
                "the prompt of {key} needs about {needed} tokens, and {} more are kept for the answer, more than `panel.protocol.context_tokens` = {}; raise it to the model's context (hosted models take 128000), or lower `max_tokens` or the number of candidates, phenotypes and diseases",
                request.max_tokens, self.config.context_tokens
            ))
        })?;
        Ok(CallSize {
            key: key.to_string(),
            prompt_estimate: fitted.estimate,
            prompt_tokens: 0,
            completion_tokens: 0,
            max_tokens: request.max_tokens,
            condensed: fitted.condensed,
            dropped: fitted.dropped,
        })
    }

    fn charge(
        &self,
        ledger: &mut BTreeMap<String, Ledger>,
        stage: &str,
        agent: &str,
        reply: &Reply,
        size: CallSize,
    ) {
        let (prompt_price, completion_price) = self.effects.prices();
        let entry = ledger.entry(format!("{stage}/{agent}")).or_default();
        entry.sizes.push(CallSize {
            prompt_tokens: reply.usage.prompt_tokens,
            completion_tokens: reply.usage.completion_tokens,
            ..size
        });
        entry.calls += 1;
        entry.prompt_tokens += reply.usage.prompt_tokens;
        entry.completion_tokens += reply.usage.completion_tokens;
        entry.cost_usd += (reply.usage.prompt_tokens as f64 * prompt_price
            + reply.usage.completion_tokens as f64 * completion_price)
            / 1e6;
    }

    /// One round: every voter, in lockstep turns (all model calls of a turn run in parallel),
    /// calls tools until it answers; an invalid answer is fed back once for repair.
    async fn round(
        &self,
        spec: &RoundSpec<'_>,
        minutes: &mut Minutes,
    ) -> Result<Vec<Answer>, AgentError> {
        let Minutes {
            transcript, ledger, ..
        } = minutes;
        struct Seat<'r> {
            role: &'r RoleSpec,
            messages: Vec<Message>,
            task: Value,
            tool_keys: Vec<(String, Value)>,
            repaired: bool,
            done: bool,
        }
        let mut seats: Vec<Seat> = self
            .voters()
            .into_iter()
            .map(|role| {
                let (prompt, task) = (spec.prompt)(role);
                Seat {
                    role,
                    messages: vec![Message::system(role.system_prompt()), Message::user(prompt)],
                    task,
                    tool_keys: vec![],
                    repaired: false,
                    done: false,
                }
            })
            .collect();
        let mut answers: Vec<Answer> = Vec::new();
        let turns = spec.tool_turns + 2;
        for turn in 1..=turns {
            let last_turn = turn == turns;
            let active: Vec<usize> = (0..seats.len()).filter(|i| !seats[*i].done).collect();
            if active.is_empty() {
                break;
            }
            let mut calls: Vec<(String, Request)> = active
                .iter()
                .map(|&i| {
                    let seat = &seats[i];
                    let tools = if turn > spec.tool_turns || !self.config.tools {
                        vec![]
                    } else {
                        tools_for(&seat.role.tools)
                    };
                    (
                        format!(
                            "panel/{}/r{}/{}/call{}",
                            spec.stage, spec.round, seat.role.id, turn
                        ),
                        Request {
                            agent: seat.role.id.clone(),
                            messages: seat.messages.clone(),
                            tools,
                            schema: spec.schema.clone(),
                            schema_name: spec.schema_name.to_string(),
                            temperature: self.config.temperature,
                            seed: self.config.seed,
                            task: seat.task.clone(),
                            max_tokens: spec.max_tokens,
                        },
                    )
                })
                .collect();
            let mut sizes = Vec::with_capacity(calls.len());
            for (key, request) in &mut calls {
                let size = self.fit(key, request)?;
                // The agent keeps working from the fitted history, so what was condensed
                // stays condensed and the next turn does not fit the same prompt again.
                if size.condensed + size.dropped > 0 {
                    if let Some(seat) = seats.iter_mut().find(|s| s.role.id == request.agent) {
                        seat.messages = request.messages.clone();
                    }
                }
                sizes.push(size);
            }
            let keys: Vec<String> = calls.iter().map(|(k, _)| k.clone()).collect();
            let replies = self.effects.chats(calls).await?;
            for (((&i, reply), key), size) in active.iter().zip(replies).zip(keys).zip(sizes) {
                let seat = &mut seats[i];
                let agent = seat.role.id.clone();
                self.charge(ledger, spec.stage, &agent, &reply, size);
                let cut_off = reply.truncated && reply.tool_calls.is_empty();
                // A reply cut at the limit is kept in the history only as its opening: the
                // whole of it would spend the context on text the repair asks to replace.
                let mut said = Message::assistant(&reply);
                if cut_off {
                    said.content = format!(
                        "{}... (cut off)",
                        said.content.chars().take(200).collect::<String>()
                    );
                }
                seat.messages.push(said);
                // Words said alongside tool calls; a final answer is recorded as a proposal.
                if !reply.content.trim().is_empty() && !reply.tool_calls.is_empty() {
                    let entry = spec.entry(&agent, "message", reply.content.clone(), Value::Null);
                    self.note(transcript, entry);
                }
                if !reply.tool_calls.is_empty() && turn <= spec.tool_turns && self.config.tools {
                    let allowed = tools_for(&seat.role.tools);
                    for (k, call) in reply.tool_calls.iter().enumerate() {
                        let tool_key = format!("{key}/tool{}", k + 1);
                        let said = format!("{}({})", call.name, call.arguments);
                        let data = json!({"key": tool_key, "name": call.name, "arguments": call.arguments});
                        self.note(transcript, spec.entry(&agent, "tool_call", said, data));
                        let result = match check_call(&allowed, &call.name, &call.arguments) {
                            Ok(()) => self.effects.tool(&tool_key, &call.name, &call.arguments)?,
                            Err(e) => json!({"error": e.to_string()}),
                        };
                        self.note(
                            transcript,
                            spec.entry(
                                &agent,
                                "tool_result",
                                summarise(&result),
                                json!({"key": tool_key, "result": result}),
                            ),
                        );
                        seat.tool_keys.push((tool_key, call.arguments.clone()));
                        seat.messages.push(Message::tool(call, &result));
                    }
                    continue;
                }
                // A reply cut at the limit is incomplete, unless a whole answer came before
                // the cut: without a grammar, small models write the object and then keep
                // talking until stopped. Only that first complete object is read.
                let parsed = if cut_off {
                    complete_object(&reply.content).ok_or_else(|| {
                        format!(
                            "the reply was cut off at the limit of {} tokens before it was complete",
                            spec.max_tokens
                        )
                    })
                } else {
                    extract_json(&reply.content)
                };
                let problems = match parsed {
                    Ok(mut value) => {
                        // Read leniently, judged strictly: fields the schema does not know are
                        // dropped, text past its length is shortened, a list past its bound
                        // keeps its first items; what is left must pass the schema. A model
                        // that adds a field (small ones copy the dictionary's `category`) has
                        // still given every decision asked of it.
                        fit(&spec.schema, &mut value);
                        // The protocol's own check first: it names a wrong variable with
                        // the reason and suggestions, where the schema only says "not one of".
                        let mut p = (spec.check)(&value);
                        p.extend(violations(&spec.schema, &value));
                        if p.is_empty() {
                            self.note(
                                transcript,
                                spec.entry(
                                    &agent,
                                    "proposal",
                                    value
                                        .get("summary")
                                        .and_then(Value::as_str)
                                        .unwrap_or_default()
                                        .to_string(),
                                    value.clone(),
                                ),
                            );
                            answers.push(Answer {
                                agent: agent.clone(),
                                value,
                                tool_keys: seat.tool_keys.clone(),
                            });
                            seat.done = true;
                            continue;
                        }
                        p
                    }
                    Err(e) => vec![e],
                };
                self.note(
                    transcript,
                    spec.entry(
                        &agent,
                        "invalid",
                        problems.join("; "),
                        json!({"reply": reply.content.chars().take(2000).collect::<String>()}),
                    ),
                );
                if seat.repaired || last_turn {
                    seat.done = true;
                    let said =
                        "no valid answer after one repair round: this agent abstains in this round";
                    self.note(
                        transcript,
                        spec.entry(&agent, "abstain", said.into(), Value::Null),
                    );
                } else {
                    seat.repaired = true;
                    seat.messages.push(Message::user(if cut_off {
                        format!(
                            "Your answer was cut off at the limit of {} tokens. Reply again with a much shorter JSON object matching the schema: one sentence of at most 300 characters per rationale, no text outside the JSON.",
                            spec.max_tokens
                        )
                    } else {
                        format!(
                            "Your answer could not be used: {}. Reply again with one JSON object only, matching the schema, naming only variables that exist.",
                            problems.join("; ")
                        )
                    }));
                }
            }
        }
        // Answers in the order of the roles, whatever turn they came in.
        let order: Vec<String> = self.voters().iter().map(|r| r.id.clone()).collect();
        answers.sort_by_key(|a| order.iter().position(|o| *o == a.agent));
        Ok(answers)
    }

    fn quorum(&self, stage: &str, answered: usize) -> Result<(), AgentError> {
        let voters = self.voters().len();
        let needed = (self.config.quorum * voters as f64).ceil() as usize;
        if answered < needed.max(1) {
            return Err(AgentError::NoQuorum {
                stage: stage.into(),
                answered,
                needed: needed.max(1),
                voters,
            });
        }
        Ok(())
    }

    /// The chair's paragraph on the tally `decision`, into the minutes.
    async fn chair_summary(
        &self,
        stage: &str,
        decision: Value,
        minutes: &mut Minutes,
    ) -> Result<(), AgentError> {
        let chair = self.chair()?;
        let prompt = format!(
            "Write the panel's decision for stage '{stage}' in a short paragraph for the study report: what was decided, by whom, on which evidence, and any dissent. The tally:\n{}\nReply as JSON: {{\"summary\": \"...\"}}.",
            quoted(&decision)
        );
        let request = Request {
            agent: chair.id.clone(),
            messages: vec![
                Message::system(chair.system_prompt()),
                Message::user(prompt),
            ],
            tools: vec![],
            schema: schemas::chair(),
            schema_name: "chair_summary".into(),
            temperature: self.config.temperature,
            seed: self.config.seed,
            task: json!({"stage": "chair", "for_stage": stage, "role": chair.id, "knowledge": chair.knowledge, "decision": decision}),
            max_tokens: self.config.max_tokens.or("chair", answer_tokens(4)),
        };
        let key = format!("panel/{stage}/chair/call1");
        let mut request = request;
        let size = self.fit(&key, &mut request)?;
        let reply = self
            .effects
            .chats(vec![(key, request)])
            .await?
            .pop()
            .ok_or_else(|| AgentError::Protocol("the chair's call returned nothing".into()))?;
        self.charge(&mut minutes.ledger, stage, &chair.id, &reply, size);
        // The decision stands on the votes; a chair that cannot write valid JSON only loses
        // its paragraph, and the transcript says so.
        let summary = match extract_json(&reply.content) {
            Ok(v) if violations(&schemas::chair(), &v).is_empty() => {
                v["summary"].as_str().unwrap_or_default().to_string()
            }
            _ => format!(
                "(the chair's reply was not valid JSON; the decision follows the tally) {}",
                reply.content.chars().take(500).collect::<String>()
            ),
        };
        self.note(
            &mut minutes.transcript,
            TranscriptEntry {
                stage: stage.into(),
                round: 0,
                agent: chair.id.clone(),
                kind: "decision".into(),
                text: summary.clone(),
                data: decision,
            },
        );
        minutes.chair_summary = summary;
        Ok(())
    }

    /// Measures one round's agreement, records it, and says whether the stage has converged:
    /// agreement reached, or nobody moved since the last round (the same decided set and the
    /// same agreement), so more rounds would only repeat it.
    fn agree(
        &self,
        spec: &RoundSpec<'_>,
        answers: &[Answer],
        (ratings, decided): Assessment,
        previous_set: &mut Option<BTreeSet<String>>,
        minutes: &mut Minutes,
    ) -> bool {
        let round = spec.round;
        let kappa = fleiss_kappa(&ratings);
        let agreement = RoundAgreement {
            round,
            answered: answers.iter().map(|a| a.agent.clone()).collect(),
            kappa,
            stability: previous_set.as_ref().map(|p| stability(p, &decided)),
        };
        self.note(
            &mut minutes.transcript,
            spec.entry(
                "panel",
                "agreement",
                format!(
                    "round {round}: {} of {} answered; Fleiss' kappa {}; set stability {}",
                    answers.len(),
                    self.voters().len(),
                    kappa
                        .map(|k| format!("{k:.3}"))
                        .unwrap_or_else(|| "n/a".into()),
                    agreement
                        .stability
                        .map(|s| format!("{s:.2}"))
                        .unwrap_or_else(|| "n/a".into())
                ),
                serde_json::to_value(&agreement).unwrap_or(Value::Null),
            ),
        );
        let rounds = &mut minutes.rounds;
        rounds.push(agreement);
        *previous_set = Some(decided);
        let settled = rounds.len() >= 2
            && rounds[rounds.len() - 1].stability == Some(1.0)
            && rounds[rounds.len() - 2].kappa == kappa;
        settled
            || kappa
                .map(|k| k >= self.config.agreement_threshold)
                .unwrap_or(true)
    }

    /// The rounds of one stage: a silent first round, then discussion rounds in which each
    /// agent sees the others' previous answers, until agreement reaches the threshold, a
    /// round changes nothing, or the round limit; then the quorum check. Returns the last
    /// round's answers (the votes); the agreement of every round is in the minutes.
    async fn stage_rounds(
        &self,
        stage: &StageSpec<'_>,
        minutes: &mut Minutes,
    ) -> Result<Vec<Answer>, AgentError> {
        let mut previous: Vec<Answer> = Vec::new();
        let mut previous_set: Option<BTreeSet<String>> = None;
        for round in 1..=self.config.max_rounds.max(1) {
            let others_of = |agent: &str| -> Value {
                Value::Array(
                    previous
                        .iter()
                        .filter(|a| a.agent != agent)
                        .map(|a| json!({"agent": a.agent, "proposal": a.value}))
                        .collect(),
                )
            };
            let own_of = |agent: &str| -> Value {
                previous
                    .iter()
                    .find(|a| a.agent == agent)
                    .map(|a| a.value.clone())
                    .unwrap_or(Value::Null)
            };
            let prompt = |role: &RoleSpec| -> (String, Value) {
                let (mut text, mut task) = (stage.prompt)(round, role);
                let (others, own) = (others_of(&role.id), own_of(&role.id));
                if round > 1 {
                    text.push_str(&format!(
                        "\n\nThe other panel members' answers from round {}:\n{}\nYour own was:\n{}\nReconsider in the light of their arguments and the evidence; change your answer only for a reason you can state.",
                        round - 1,
                        quoted(&budget::brief(&others)),
                        quoted(&budget::brief(&own))
                    ));
                }
                task["stage"] = json!(stage.name);
                task["round"] = json!(round);
                task["role"] = json!(role.id);
                task["knowledge"] = json!(role.knowledge);
                task["others"] = others;
                task["own"] = own;
                (text, task)
            };
            let spec = RoundSpec {
                stage: stage.name,
                round,
                schema: stage.schema.clone(),
                schema_name: stage.schema_name,
                prompt: &prompt,
                check: stage.check,
                tool_turns: self.config.max_tool_turns,
                max_tokens: stage.max_tokens,
            };
            let answers = self.round(&spec, minutes).await?;
            let converged = self.agree(
                &spec,
                &answers,
                (stage.assess)(&answers),
                &mut previous_set,
                minutes,
            );
            previous = answers;
            if round >= self.config.min_rounds && converged {
                break;
            }
        }
        self.quorum(stage.name, previous.len())?;
        Ok(previous)
    }
}

/// True when a tool call's arguments name the variable.
fn mentions(arguments: &Value, variable: &str) -> bool {
    match arguments {
        Value::String(s) => s == variable,
        Value::Array(a) => a.iter().any(|v| mentions(v, variable)),
        Value::Object(o) => o.values().any(|v| mentions(v, variable)),
        _ => false,
    }
}

/// A short, one-line view of a tool result for the transcript.
fn summarise(result: &Value) -> String {
    if let Some(error) = result.get("error").and_then(Value::as_str) {
        return format!("error: {error}");
    }
    let text = result.to_string();
    if text.chars().count() > 160 {
        format!("{}...", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}
