//! Stage A's protocol with a scripted model: refusals fed back, merges, the limit, and the
//! closed list.

use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::message::{Reply, Request, Usage};
use crate::protocol::{Effects, ProtocolConfig};
use crate::roles::load_roles;

/// Answers model calls with a script (agent, part, round, previous user message) and tool
/// calls with a fixed screen; remembers every request.
struct Scripted {
    answer: Box<dyn Fn(&Request) -> Value + Send + Sync>,
    requests: Mutex<Vec<Request>>,
    tools: Mutex<Vec<(String, Value)>>,
}

#[async_trait]
impl Effects for Scripted {
    async fn chats(&self, calls: Vec<(String, Request)>) -> Result<Vec<Reply>, AgentError> {
        Ok(calls
            .into_iter()
            .map(|(_, r)| {
                // Every scripted answer carries the summary the schemas require.
                let mut answer = (self.answer)(&r);
                if let Some(object) = answer.as_object_mut() {
                    object.entry("summary").or_insert(json!("s"));
                }
                let content = answer.to_string();
                self.requests.lock().unwrap().push(r);
                Reply {
                    content,
                    tool_calls: vec![],
                    usage: Usage::default(),
                    model: "scripted".into(),
                    truncated: false,
                }
            })
            .collect())
    }
    fn tool(&self, key: &str, name: &str, arguments: &Value) -> Result<Value, AgentError> {
        self.tools
            .lock()
            .unwrap()
            .push((format!("{key} {name}"), arguments.clone()));
        Ok(
            json!({"candidates": [{"variable": "income", "status": "ok", "pairs_moved": 40, "share_moved": 0.3}], "members": []}),
        )
    }
    fn record(&self, _: &TranscriptEntry) {}
    fn prices(&self) -> (f64, f64) {
        (0.0, 0.0)
    }
}

fn var(name: &str) -> Variable {
    Variable {
        name: name.into(),
        description: String::new(),
        category: String::new(),
    }
}

fn catalogue() -> Catalogue {
    Catalogue {
        eligible: ["age", "sex", "income", "diet_score"].map(var).to_vec(),
        excluded: [
            ("LVEDV", "an imaging phenotype"),
            ("diabetes", "a disease label"),
            ("eid", "the participant id"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    }
}

fn votes_for_all(request: &Request, include: &[&str]) -> Value {
    let votes: Vec<Value> = request.task["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap();
            json!({"variable": name, "include": include.contains(&name), "role": "confounder", "confidence": 0.9, "rationale": "r"})
        })
        .collect();
    json!({"votes": votes})
}

fn run(script: Scripted, config: ProtocolConfig, seeds: &[&str]) -> (ConfounderDecision, Scripted) {
    let roles = load_roles(None).unwrap();
    let seeds: Vec<Variable> = seeds.iter().map(|s| var(s)).collect();
    let cat = catalogue();
    let decision = {
        let panel = Panel {
            roles: &roles,
            config: &config,
            effects: &script,
        };
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(panel.confounders(&seeds, Some(&cat)))
            .unwrap()
    };
    (decision, script)
}

fn last_user(request: &Request) -> String {
    request
        .messages
        .iter()
        .rev()
        .find(|m| m.speaker == crate::message::Speaker::User)
        .map(|m| m.content.clone())
        .unwrap_or_default()
}

#[test]
fn refused_proposals_are_fed_back_and_the_repair_is_merged() {
    let script = Scripted {
        answer: Box::new(|r| match r.task["part"].as_str() {
            Some("propose") if r.task["role"] == "statistician" => {
                if last_user(r).contains("proposal refused") {
                    json!({"proposals": [{"variable": "income", "reason": "moves 30% of pairs", "numbers": {"share_moved": 0.3}}]})
                } else {
                    json!({"proposals": [
                        {"variable": "LVEDV", "reason": "x"},
                        {"variable": "diabetes", "reason": "x"},
                        {"variable": "eid", "reason": "x"},
                        {"variable": "incme", "reason": "x"}]})
                }
            }
            Some("propose") => json!({"proposals": [{"variable": "age", "reason": "a seed"}]}),
            Some("chair") | None if r.task["stage"] == "chair" => json!({"summary": "s"}),
            _ => votes_for_all(r, &["age", "income"]),
        }),
        requests: Mutex::new(vec![]),
        tools: Mutex::new(vec![]),
    };
    let (decision, script) = run(script, ProtocolConfig::default(), &["age", "sex"]);
    let requests = script.requests.lock().unwrap();
    let repair = requests
        .iter()
        .find(|r| r.task["role"] == "statistician" && last_user(r).contains("proposal refused"))
        .map(last_user)
        .expect("the refusal reached the agent");
    for why in [
        "'LVEDV' cannot be proposed: it is an imaging phenotype",
        "'diabetes' cannot be proposed: it is a disease label",
        "'eid' cannot be proposed: it is the participant id",
        "'incme' is not a variable of this dataset (did you mean: income?)",
    ] {
        assert!(repair.contains(why), "{why} in {repair}");
    }
    assert_eq!(decision.seeds, vec!["age", "sex"]);
    let income: Vec<&Proposal> = decision
        .proposals
        .iter()
        .filter(|p| p.variable == "income")
        .collect();
    assert_eq!(income.len(), 1);
    assert_eq!(
        (
            income[0].agent.as_str(),
            income[0].round,
            income[0].status.as_str()
        ),
        ("statistician", 0, "added")
    );
    assert!(income[0].adopted && decision.confounders.contains(&"income".to_string()));
    assert!(decision.proposals.iter().all(|p| p.variable != "LVEDV"));
    // The merged list's evidence was computed once, through the journaled tool call.
    let tools = script.tools.lock().unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(
        tools[0].0,
        "panel/confounders/r0/chair/evidence confounder_screen"
    );
    assert_eq!(tools[0].1["variables"], json!(["age", "sex", "income"]));
}

#[test]
fn a_discussion_round_can_add_a_candidate_and_the_limit_holds() {
    let script = Scripted {
        answer: Box::new(|r| match r.task["part"].as_str() {
            Some("propose") => json!({"proposals": []}),
            Some("vote") => {
                let mut v = votes_for_all(r, &["age", "diet_score"]);
                if r.task["round"] == 1 && r.task["role"] == "cardiologist" {
                    v["proposals"] = json!([
                        {"variable": "diet_score", "reason": "moves lifestyle slopes"},
                        {"variable": "income", "reason": "also"}]);
                }
                v
            }
            _ => json!({"summary": "s"}),
        }),
        requests: Mutex::new(vec![]),
        tools: Mutex::new(vec![]),
    };
    let config = ProtocolConfig {
        max_candidates: 3,
        ..ProtocolConfig::default()
    };
    let (decision, script) = run(script, config, &["age", "sex"]);
    let status = |v: &str| {
        decision
            .proposals
            .iter()
            .find(|p| p.variable == v)
            .map(|p| (p.round, p.status.clone()))
    };
    assert_eq!(status("diet_score"), Some((1, "added".into())));
    assert_eq!(status("income"), Some((1, "over the limit".into())));
    assert_eq!(decision.confounders, vec!["age", "diet_score"]);
    // Round 1 agreed, but it added a candidate: round 2 voted on it.
    assert_eq!(decision.minutes.rounds.len(), 2);
    let round2 = script
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.task["round"] == 2 && r.task["part"] == "vote")
        .count();
    assert_eq!(round2, 4);
}

#[test]
fn a_reply_cut_at_the_token_limit_is_asked_for_a_shorter_one() {
    /// Cuts every first answer of the statistician at the limit, and every answer of the
    /// biomechanist.
    struct Cutting(Scripted);
    #[async_trait]
    impl Effects for Cutting {
        async fn chats(&self, calls: Vec<(String, Request)>) -> Result<Vec<Reply>, AgentError> {
            let limits: Vec<(String, u32, bool)> = calls
                .iter()
                .map(|(_, r)| {
                    let repairing = last_user(r).contains("cut off at the limit");
                    (
                        r.task["role"].as_str().unwrap_or_default().to_string(),
                        r.max_tokens,
                        repairing,
                    )
                })
                .collect();
            let mut replies = self.0.chats(calls).await?;
            for (reply, (role, max_tokens, repairing)) in replies.iter_mut().zip(limits) {
                assert!(max_tokens > 0, "every request is bounded");
                if role == "biomechanist" || (role == "statistician" && !repairing) {
                    reply.truncated = true;
                    reply.content = reply.content.chars().take(20).collect();
                }
                // A whole answer, then talk until the limit: the answer before the cut counts.
                if role == "clinical_researcher" {
                    reply.truncated = true;
                    reply.content = format!(
                        "Here it is: {} The evidence is that the evidence is that the evidence",
                        reply.content
                    );
                }
            }
            Ok(replies)
        }
        fn tool(&self, key: &str, name: &str, arguments: &Value) -> Result<Value, AgentError> {
            self.0.tool(key, name, arguments)
        }
        fn record(&self, entry: &TranscriptEntry) {
            self.0.record(entry)
        }
        fn prices(&self) -> (f64, f64) {
            (0.0, 0.0)
        }
    }
    let script = Cutting(Scripted {
        answer: Box::new(|r| match r.task["part"].as_str() {
            Some("propose") => json!({"proposals": [{"variable": "age", "reason": "r"}]}),
            Some("vote") => votes_for_all(r, &["age"]),
            _ => json!({"summary": "s"}),
        }),
        requests: Mutex::new(vec![]),
        tools: Mutex::new(vec![]),
    });
    let roles = load_roles(None).unwrap();
    let config = ProtocolConfig::default();
    let panel = Panel {
        roles: &roles,
        config: &config,
        effects: &script,
    };
    let seeds = vec![var("age"), var("sex")];
    let cat = catalogue();
    let decision = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(panel.confounders(&seeds, Some(&cat)))
        .unwrap();
    let text = |kind: &str, agent: &str| -> Vec<String> {
        decision
            .minutes
            .transcript
            .iter()
            .filter(|e| e.kind == kind && e.agent == agent)
            .map(|e| e.text.clone())
            .collect()
    };
    // The statistician's cut answer was refused, then repaired shorter; the biomechanist,
    // cut twice, abstained; the decision stands on the others.
    assert!(text("invalid", "statistician")[0].contains("cut off at the limit of"));
    assert!(text("invalid", "clinical_researcher").is_empty());
    assert!(decision
        .votes
        .iter()
        .any(|v| v.agent == "clinical_researcher"));
    assert!(decision.votes.iter().any(|v| v.agent == "statistician"));
    assert!(!text("abstain", "biomechanist").is_empty());
    assert!(decision.votes.iter().all(|v| v.agent != "biomechanist"));
    assert_eq!(decision.confounders, vec!["age"]);
}

#[test]
fn propose_false_keeps_the_closed_list() {
    let script = Scripted {
        answer: Box::new(|r| match r.task["part"].as_str() {
            Some("propose") => panic!("no proposal part when propose = false"),
            Some("vote") => {
                assert_eq!(r.task["open"], false);
                votes_for_all(r, &["age"])
            }
            _ => json!({"summary": "s"}),
        }),
        requests: Mutex::new(vec![]),
        tools: Mutex::new(vec![]),
    };
    let config = ProtocolConfig {
        propose: false,
        ..ProtocolConfig::default()
    };
    let (decision, script) = run(script, config, &["age", "sex"]);
    assert!(decision.proposals.is_empty());
    assert_eq!(decision.confounders, vec!["age"]);
    assert!(script.tools.lock().unwrap().is_empty());
}
