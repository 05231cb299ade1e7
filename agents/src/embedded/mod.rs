//! The embedded expert backend: offline and deterministic, and not canned text. It reads the
//! task it is given, calls the same tools an LLM agent calls (by answering with tool calls and
//! reading the results from the conversation), and writes proposals whose confidence and
//! rationale come from its knowledge base (`data/knowledge.toml`) and the numbers it saw.
//!
//! Tool results it reads (the workflow's `ToolHost` contract):
//! - `change_in_estimate`: `phenotype_share`, `phenotype_median_abs_r`, `factor_share`,
//!   `change_in_estimate`, `most_correlated_with`, `max_abs_r_with_candidate`, `missing_share`;
//! - `association_screen`: `bonferroni_threshold` and `results: [{phenotype, beta, p}]`.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::backend::{Backend, BackendError};
use crate::knowledge::Knowledge;
use crate::message::{tool_result, Reply, Request, Speaker, ToolCall, Usage};
use crate::protocol::OVERALL;

mod discovery;

pub struct EmbeddedBackend {
    knowledge: Knowledge,
}

impl EmbeddedBackend {
    pub fn new(knowledge: Knowledge) -> Self {
        EmbeddedBackend { knowledge }
    }
}

/// Tool results already in the conversation, by (tool name, canonical arguments).
fn results_seen(request: &Request) -> BTreeMap<(String, String), Value> {
    let mut calls: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for m in &request.messages {
        for c in &m.tool_calls {
            calls.insert(c.id.clone(), (c.name.clone(), c.arguments.to_string()));
        }
        if m.speaker == Speaker::Tool {
            if let Some(call) = m.tool_call_id.as_ref().and_then(|id| calls.get(id)) {
                let value = tool_result(&m.content);
                seen.insert(call.clone(), value);
            }
        }
    }
    seen
}

/// (name, description) of each variable in a task's list of [`crate::Variable`]s.
fn named(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or_default().to_string(),
                v["description"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The strings of a JSON list, comma-separated (`None` when it is not a list).
fn joined(list: &Value) -> Option<String> {
    list.as_array().map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn p_text(p: f64) -> String {
    if p < 1e-300 {
        "p < 1e-300".into()
    } else {
        format!("p = {p:.1e}")
    }
}

/// The evidence in the words every stage-A rationale uses.
fn cite(e: &Value) -> String {
    format!(
        "|r| >= 0.1 with {:.0}% of phenotypes (median |r| {:.2}) and {:.0}% of factors; adding it moves the strongest slopes by a median {:.0}%",
        100.0 * e["phenotype_share"].as_f64().unwrap_or(0.0),
        e["phenotype_median_abs_r"].as_f64().unwrap_or(0.0),
        100.0 * e["factor_share"].as_f64().unwrap_or(0.0),
        100.0 * e["change_in_estimate"].as_f64().unwrap_or(0.0)
    )
}

/// The statistician's reading of the data alone: (include, confidence, rationale).
fn data_rule(name: &str, e: &Value, all: &BTreeMap<String, Value>) -> (bool, f64, String) {
    let num = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    let partner = e["most_correlated_with"].as_str().unwrap_or_default();
    if num(e, "max_abs_r_with_candidate") > 0.9 {
        if let Some(other) = all.get(partner) {
            if num(other, "phenotype_median_abs_r") > num(e, "phenotype_median_abs_r") {
                return (false, 0.8, format!("Collinearity: {name} correlates at |r| = {:.3} with '{partner}', which carries more of the signal (median |r| {:.2} vs {:.2}); adding both inflates variance without removing bias.", num(e, "max_abs_r_with_candidate"), num(other, "phenotype_median_abs_r"), num(e, "phenotype_median_abs_r")));
            }
        }
    }
    let missing = num(e, "missing_share");
    if missing > 0.2 {
        return (
            false,
            0.7,
            format!(
                "{:.0}% missing: adjusting would cost that share of every analysis.",
                100.0 * missing
            ),
        );
    }
    let strong = num(e, "phenotype_share") >= 0.25
        && num(e, "factor_share") >= 0.05
        && num(e, "change_in_estimate") >= 0.10;
    let strength = (num(e, "phenotype_median_abs_r") * 2.0 + num(e, "change_in_estimate")).min(1.0);
    if strong {
        (
            true,
            round2(0.55 + 0.4 * strength),
            format!("Associated with both sides: {}.", cite(e)),
        )
    } else {
        (
            false,
            round2(0.5 + 0.3 * (1.0 - strength)),
            format!("Weak evidence of confounding: {}.", cite(e)),
        )
    }
}

fn tool_call(i: usize, name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: format!("call_{i}"),
        name: name.into(),
        arguments,
    }
}

fn reply_with_calls(calls: Vec<ToolCall>) -> Reply {
    Reply {
        content: String::new(),
        tool_calls: calls,
        usage: Usage::default(),
        model: "embedded".into(),
        truncated: false,
    }
}

fn reply_with_answer(answer: Value) -> Reply {
    Reply {
        content: answer.to_string(),
        tool_calls: vec![],
        usage: Usage::default(),
        model: "embedded".into(),
        truncated: false,
    }
}

/// The calls still needed: those in `wanted` whose results are not in the conversation.
fn missing_calls(
    wanted: Vec<(String, Value)>,
    seen: &BTreeMap<(String, String), Value>,
    allowed: &BTreeSet<String>,
) -> Vec<ToolCall> {
    wanted
        .into_iter()
        .filter(|(name, _)| allowed.contains(name))
        .filter(|(name, args)| !seen.contains_key(&(name.clone(), args.to_string())))
        .enumerate()
        .map(|(i, (name, args))| tool_call(i, &name, args))
        .collect()
}

impl EmbeddedBackend {
    fn confounders(&self, request: &Request, task: &Value) -> Reply {
        let seen = results_seen(request);
        let allowed: BTreeSet<String> = request.tools.iter().map(|t| t.name.clone()).collect();
        let candidates = named(&task["candidates"]);
        let wanted: Vec<(String, Value)> = candidates
            .iter()
            .map(|(n, _)| ("change_in_estimate".to_string(), json!({"candidate": n})))
            .collect();
        let missing = missing_calls(wanted, &seen, &allowed);
        if !missing.is_empty() {
            return reply_with_calls(missing);
        }
        let evidence: BTreeMap<String, Value> = candidates
            .iter()
            .map(|(n, _)| {
                let key = (
                    "change_in_estimate".to_string(),
                    json!({"candidate": n}).to_string(),
                );
                (n.clone(), seen.get(&key).cloned().unwrap_or(Value::Null))
            })
            .collect();
        let knowledge = task["knowledge"].as_str().unwrap_or_default();
        let mut votes = Vec::new();
        for (name, description) in &candidates {
            let e = &evidence[name];
            let concept = self.knowledge.concept(name, description);
            let (include, confidence, rationale, part) = if e.get("error").is_some() || e.is_null()
            {
                (
                    false,
                    0.3,
                    format!(
                        "No evidence could be computed for {name}: {}.",
                        e["error"].as_str().unwrap_or("missing")
                    ),
                    "other".to_string(),
                )
            } else {
                match concept.and_then(|c| c.stance.get(knowledge).map(|s| (c, s))) {
                    Some((c, stance)) => (
                        stance.include,
                        stance.confidence,
                        format!("{}; {}.", stance.reason, cite(e)),
                        c.kind.clone(),
                    ),
                    None => {
                        let (include, confidence, why) = data_rule(name, e, &evidence);
                        match concept {
                            // The statistician reads the data; its own knowledge is the rules.
                            Some(c) => (include, confidence, why, c.kind.clone()),
                            None if knowledge == "statistician" => {
                                (include, confidence, why, "other".into())
                            }
                            None => (
                                include,
                                round2(confidence * 0.6),
                                format!(
                                    "No clinical prior for this variable; going by the data: {why}"
                                ),
                                "other".into(),
                            ),
                        }
                    }
                }
            };
            let part = if part == "proxy"
                || part == "mediator"
                || part == "confounder"
                || part == "exposure"
            {
                part
            } else {
                "other".to_string()
            };
            votes.push(json!({"variable": name, "include": include, "role": part, "confidence": confidence, "rationale": rationale}));
        }
        self.reconsider_votes(&mut votes, task);
        let adjusted: Vec<&str> = votes
            .iter()
            .filter(|v| v["include"].as_bool() == Some(true))
            .filter_map(|v| v["variable"].as_str())
            .collect();
        reply_with_answer(
            json!({"votes": votes, "summary": format!("Adjust for: {}.", if adjusted.is_empty() { "nothing".to_string() } else { adjusted.join(", ") })}),
        )
    }

    /// In a discussion round, a weakly held vote gives way to a confident majority of the
    /// others, and says whose argument moved it.
    fn reconsider_votes(&self, votes: &mut [Value], task: &Value) {
        let others: Vec<(String, Value)> = task["others"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                (
                    o["agent"].as_str().unwrap_or_default().to_string(),
                    o["proposal"].clone(),
                )
            })
            .collect();
        if others.is_empty() {
            return;
        }
        for vote in votes.iter_mut() {
            let name = vote["variable"].as_str().unwrap_or_default().to_string();
            let mine = vote["include"].as_bool().unwrap_or(false);
            let confidence = vote["confidence"].as_f64().unwrap_or(0.5);
            let theirs: Vec<(&str, bool, f64, String)> = others
                .iter()
                .flat_map(|(agent, p)| {
                    p["votes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|v| v["variable"].as_str() == Some(name.as_str()))
                        .map(move |v| {
                            (
                                agent.as_str(),
                                v["include"].as_bool().unwrap_or(false),
                                v["confidence"].as_f64().unwrap_or(0.5),
                                v["rationale"].as_str().unwrap_or_default().to_string(),
                            )
                        })
                })
                .collect();
            let opposed: Vec<&(&str, bool, f64, String)> =
                theirs.iter().filter(|t| t.1 != mine).collect();
            let with_me: f64 = confidence
                + theirs
                    .iter()
                    .filter(|t| t.1 == mine)
                    .map(|t| t.2)
                    .sum::<f64>();
            let against: f64 = opposed.iter().map(|t| t.2).sum();
            let mean_against = if opposed.is_empty() {
                0.0
            } else {
                against / opposed.len() as f64
            };
            if confidence < 0.65 && against > with_me && mean_against >= 0.7 {
                let who: Vec<&str> = opposed.iter().map(|t| t.0).collect();
                let strongest = opposed
                    .iter()
                    .max_by(|a, b| a.2.total_cmp(&b.2))
                    .map(|t| t.3.clone())
                    .unwrap_or_default();
                vote["include"] = json!(!mine);
                vote["confidence"] = json!(0.6);
                let before = vote["rationale"].as_str().unwrap_or_default().to_string();
                vote["rationale"] = json!(format!(
                    "Persuaded by {} (\"{}\"); my round-one view was: {}",
                    who.join(", "),
                    strongest,
                    before
                ));
            }
        }
    }

    fn phenotypes(&self, request: &Request, task: &Value) -> Reply {
        let seen = results_seen(request);
        let allowed: BTreeSet<String> = request.tools.iter().map(|t| t.name.clone()).collect();
        let confounders = task["confounders"].clone();
        let diseases = named(&task["diseases"]);
        let screen_args = |d: &str| json!({"variable": d, "covariates": confounders});
        let wanted: Vec<(String, Value)> = diseases
            .iter()
            .map(|(d, _)| ("association_screen".to_string(), screen_args(d)))
            .collect();
        let missing = missing_calls(wanted, &seen, &allowed);
        if !missing.is_empty() {
            return reply_with_calls(missing);
        }
        let descriptions: BTreeMap<String, String> =
            named(&task["phenotypes"]).into_iter().collect();
        let knowledge = task["knowledge"].as_str().unwrap_or_default();
        let interest = self.knowledge.interest(knowledge);
        let per_target = task["per_target"].as_u64().unwrap_or(6) as usize;
        let n_diseases = diseases.len().max(1) as f64;
        let mut selections = Vec::new();
        let mut overall: BTreeSet<String> = BTreeSet::new();
        for (disease, description) in &diseases {
            let screen = seen
                .get(&(
                    "association_screen".to_string(),
                    screen_args(disease).to_string(),
                ))
                .cloned()
                .unwrap_or(Value::Null);
            let rows: Vec<(String, f64)> = screen["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| Some((r["phenotype"].as_str()?.to_string(), r["p"].as_f64()?)))
                .filter(|(_, p)| p.is_finite())
                .collect();
            // Bonferroni over every disease-phenotype pair the panel looks at.
            let alpha = screen["bonferroni_threshold"]
                .as_f64()
                .unwrap_or(0.05 / rows.len().max(1) as f64)
                / n_diseases;
            let prior: Vec<String> = match knowledge {
                "cardiologist" => self
                    .knowledge
                    .disease(disease, description)
                    .map(|d| d.phenotypes.clone())
                    .unwrap_or_default(),
                _ => interest.focus.clone(),
            };
            // The id of the knowledge base's concept for a phenotype, if it knows one.
            let concept = |phenotype: &str| {
                self.knowledge
                    .phenotype_concept(
                        phenotype,
                        descriptions
                            .get(phenotype)
                            .map(String::as_str)
                            .unwrap_or(""),
                    )
                    .map(|c| c.id.as_str())
            };
            let favoured = |phenotype: &str| {
                interest.prefer_columns.iter().any(|c| c == phenotype)
                    || concept(phenotype)
                        .map(|id| prior.iter().any(|p| p == id))
                        .unwrap_or(false)
            };
            let segmental = |phenotype: &str| {
                concept(phenotype)
                    .map(|id| id == "segmental")
                    .unwrap_or(false)
            };
            // Global summaries before segments, each by strength of evidence.
            let mut rows = rows;
            rows.sort_by(|a, b| {
                segmental(&a.0)
                    .cmp(&segmental(&b.0))
                    .then(a.1.total_cmp(&b.1))
            });
            let mut chosen: Vec<(String, f64, bool)> = Vec::new();
            // What the role's knowledge points at, if the data back it (nominal p < 0.01)...
            for (phenotype, p) in &rows {
                if chosen.len() < per_target / 2 && *p < 0.01 && favoured(phenotype) {
                    chosen.push((phenotype.clone(), *p, true));
                }
            }
            // ...then the strongest adjusted evidence, family-wise significant.
            for (phenotype, p) in &rows {
                if chosen.len() >= per_target {
                    break;
                }
                if *p < alpha && !chosen.iter().any(|c| &c.0 == phenotype) {
                    chosen.push((phenotype.clone(), *p, false));
                }
            }
            // In discussion, adopt what two or more others chose when this screen confirms it.
            let mut adopted = Vec::new();
            if let Some(others) = task["others"].as_array() {
                let mut count: BTreeMap<String, usize> = BTreeMap::new();
                for o in others {
                    for s in o["proposal"]["selections"].as_array().into_iter().flatten() {
                        if s["target"].as_str() == Some(disease.as_str()) {
                            for p in s["phenotypes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                            {
                                *count.entry(p.to_string()).or_default() += 1;
                            }
                        }
                    }
                }
                for (phenotype, n) in count {
                    let p = rows
                        .iter()
                        .find(|r| r.0 == phenotype)
                        .map(|r| r.1)
                        .unwrap_or(1.0);
                    if n >= 2 && p < 0.001 && !chosen.iter().any(|c| c.0 == phenotype) {
                        adopted.push(phenotype.clone());
                        chosen.push((phenotype, p, false));
                    }
                }
            }
            // The schema bounds the list: with what the others brought, keep the strongest.
            let most = task["per_target"].as_u64().unwrap_or(6).max(1) as usize;
            if chosen.len() > most {
                chosen.sort_by(|a, b| a.1.total_cmp(&b.1));
                chosen.truncate(most);
                adopted.retain(|a| chosen.iter().any(|c| &c.0 == a));
            }
            let best = chosen.iter().map(|c| c.1).fold(1.0_f64, f64::min);
            let confidence = round2((0.5 + 0.03 * (-best.max(1e-300).log10())).min(0.95));
            let mut rationale = if chosen.is_empty() {
                format!("No phenotype reaches the family-wise threshold (p < {alpha:.1e}) for {disease} after adjustment; the strongest is {}.", rows.first().map(|(n, p)| format!("{n} ({})", p_text(*p))).unwrap_or_else(|| "none".into()))
            } else {
                format!(
                    "{disease}: {} (adjusted for the stage-A confounders; family-wise threshold p < {alpha:.1e}).",
                    chosen
                        .iter()
                        .map(|(n, p, f)| format!("{n} ({}{})", p_text(*p), if *f { ", expected from my field" } else { "" }))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            if !adopted.is_empty() {
                rationale.push_str(&format!(
                    " Adopted from the discussion, confirmed by my screen: {}.",
                    adopted.join(", ")
                ));
            }
            overall.extend(chosen.iter().map(|c| c.0.clone()));
            selections.push(json!({"target": disease, "phenotypes": chosen.iter().map(|c| c.0.clone()).collect::<Vec<_>>(), "confidence": confidence, "rationale": rationale}));
        }
        let overall: Vec<String> = overall.into_iter().collect();
        selections.insert(0, json!({"target": OVERALL, "phenotypes": overall, "confidence": 0.7, "rationale": "Every phenotype I chose for at least one disease."}));
        reply_with_answer(
            json!({"selections": selections, "summary": format!("{} phenotypes across {} diseases.", overall.len(), diseases.len())}),
        )
    }

    fn chair(&self, task: &Value) -> Reply {
        let decision = &task["decision"];
        let summary = match task["for_stage"].as_str() {
            Some("confounders") => {
                let mut text = format!(
                    "The panel adjusts for {}.",
                    joined(&decision["adjust_for"])
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "nothing".into())
                );
                for item in decision["items"].as_array().into_iter().flatten() {
                    let against = item["votes_against"]
                        .as_array()
                        .map(|a| a.len())
                        .unwrap_or(0);
                    let for_ = item["votes_for"].as_array().map(|a| a.len()).unwrap_or(0);
                    if against > 0 && for_ > 0 {
                        text.push_str(&format!(
                            " {} was contested ({} for, {} against: {}); {}.",
                            item["variable"].as_str().unwrap_or_default(),
                            for_,
                            against,
                            joined(&item["votes_for"]).unwrap_or_default(),
                            item["reason"].as_str().unwrap_or_default()
                        ));
                    }
                }
                if let Some(last) = decision["rounds"].as_array().and_then(|r| r.last()) {
                    text.push_str(&format!(
                        " Final round {}: Fleiss' kappa {}.",
                        last["round"],
                        last["kappa"]
                            .as_f64()
                            .map(|k| format!("{k:.2}"))
                            .unwrap_or_else(|| "n/a".into())
                    ));
                }
                text
            }
            _ => {
                let map = decision["disease_phenotypes"].as_object();
                let parts: Vec<String> = map
                    .into_iter()
                    .flatten()
                    .map(|(d, ps)| {
                        format!(
                            "{d}: {}",
                            joined(ps)
                                .filter(|s| !s.is_empty())
                                .unwrap_or_else(|| "none".into())
                        )
                    })
                    .collect();
                format!(
                    "Phenotypes chosen by at least half of the panel, per disease: {}.",
                    parts.join("; ")
                )
            }
        };
        reply_with_answer(json!({"summary": summary}))
    }
}

#[async_trait]
impl Backend for EmbeddedBackend {
    fn describe(&self) -> String {
        "embedded".into()
    }

    async fn chat(&self, request: &Request) -> Result<Reply, BackendError> {
        let mut reply = self.answer(request)?;
        // The expert's sentences cite every number it used; the schema bounds their length
        // for small models, so they are shortened to it here rather than written twice.
        if reply.tool_calls.is_empty() {
            if let Ok(mut answer) = serde_json::from_str::<Value>(&reply.content) {
                crate::schema::fit(&request.schema, &mut answer);
                reply.content = answer.to_string();
            }
        }
        Ok(reply)
    }
}

impl EmbeddedBackend {
    fn answer(&self, request: &Request) -> Result<Reply, BackendError> {
        let task = &request.task;
        match task["stage"].as_str() {
            Some("confounders") => Ok(match task["part"].as_str() {
                Some("propose") => self.propose(request, task),
                Some("vote") if task["open"].as_bool() == Some(true) => {
                    self.vote_open(request, task)
                }
                _ => self.confounders(request, task),
            }),
            Some("phenotypes") => Ok(self.phenotypes(request, task)),
            Some("chair") => Ok(self.chair(task)),
            other => Err(BackendError::fatal(
                "invalid_request",
                format!("the embedded backend has no expertise for task {other:?}"),
            )),
        }
    }
}
