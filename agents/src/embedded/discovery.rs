//! The embedded backend's stage A when the panel proposes: a stepwise change-in-estimate
//! search over the whole catalogue with the `confounder_screen` tool, judged by rules that read
//! only the evidence (so a variable is judged the same whatever it is called), then refined by
//! the role's knowledge (a known mediator or proxy is left out; a known confounder that the
//! causal order alone flags is kept).
//!
//! The rules follow VanderWeele's (2019) modified disjunctive cause criterion as far as data
//! can: adjust for a variable that moves the factor-phenotype associations because it is
//! associated with both sides (a cause of the exposure, the outcome or both); not for one that
//! comes after the factors it moves in the causal order (likely on their path: a mediator); not
//! for a proxy of what the set already holds (nearly all of it explained by the set).
//!
//! `confounder_screen` results it reads (the workflow's `ToolHost` contract): `candidates` and
//! `members`, each a list of `{variable, description, status, pairs_moved, share_moved,
//! median_move_associated, phenotype_share, phenotype_max_abs_r, factors_associated,
//! missing_share, r2_with_set, most_correlated_member, mediator_risk}`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{
    named, reply_with_answer, reply_with_calls, results_seen, round2, tool_call, EmbeddedBackend,
};
use crate::message::{Reply, Request};
use crate::tools::screen_summary;

/// A variable moves the study's estimates when adding it changes at least this share of the
/// informative pairs by more than 10 % (pairs whose factor it is associated with)...
pub const MIN_SHARE_MOVED: f64 = 0.02;
/// ...at least this many of them (a couple of pairs is a coincidence, not confounding)...
pub const MIN_PAIRS_MOVED: f64 = 5.0;
/// ...over at least this many factors: a confounder of the study acts on several exposures,
/// while a second measurement of one exposure only moves its twin.
pub const MIN_FACTORS_MOVED: f64 = 3.0;
/// Moved pairs whose factor comes earlier in the causal order, above which the variable is
/// more likely a mediator of those factors than their common cause.
pub const MEDIATOR_RISK: f64 = 0.6;
/// R^2 with the set above which a variable is a proxy of what the set already holds.
pub const PROXY_R2: f64 = 0.9;
/// Missing share above which adjusting costs too many participants.
pub const MAX_MISSING: f64 = 0.2;
/// Variables added at most by one search.
const MAX_STEPS: usize = 12;
/// Candidates asked of each screen.
const TOP: usize = 40;

/// How one role judges one variable.
#[derive(Debug, Clone)]
pub(super) struct Verdict {
    pub include: bool,
    pub confidence: f64,
    /// confounder | proxy | mediator | other
    pub role: &'static str,
    pub rationale: String,
}

fn num(e: &Value, key: &str) -> f64 {
    e[key].as_f64().unwrap_or(0.0)
}

fn pct(v: f64) -> String {
    format!("{:.0}%", 100.0 * v)
}

/// The numbers every rationale cites.
fn cite(e: &Value) -> String {
    let mut text = format!(
        "adding it moves {} of {} informative pairs ({}, over {} factors) by more than 10%",
        num(e, "pairs_moved"),
        num(e, "pairs_screened"),
        pct(num(e, "share_moved")),
        num(e, "factors_moved"),
    );
    if num(e, "pairs_moved") == 0.0 {
        text = "adding it moves no informative pair by more than 10%".into();
    }
    if let Some(m) = e["median_move_associated"].as_f64() {
        text.push_str(&format!(
            " (median move {} over the {} pairs whose factor it is associated with)",
            pct(m),
            num(e, "pairs_associated")
        ));
    }
    text.push_str(&format!(
        "; |r| >= 0.1 with {} of phenotypes (max {:.2}) and {} factors; R^2 with the set {:.2}",
        pct(num(e, "phenotype_share")),
        num(e, "phenotype_max_abs_r"),
        num(e, "factors_associated"),
        num(e, "r2_with_set")
    ));
    if let Some(r) = e["mediator_risk"].as_f64() {
        text.push_str(&format!(
            "; {} of the moved pairs' factors come earlier in the causal order",
            pct(r)
        ));
    }
    text
}

/// The data rule, the same for every variable whatever its name.
pub(super) fn data_verdict(e: &Value) -> Verdict {
    let name = e["variable"].as_str().unwrap_or_default();
    let status = e["status"].as_str().unwrap_or("missing");
    if status != "ok" {
        return Verdict {
            include: false,
            confidence: 0.8,
            role: "other",
            rationale: format!("No evidence for {name}: {status}."),
        };
    }
    if num(e, "missing_share") > MAX_MISSING {
        return Verdict {
            include: false,
            confidence: 0.7,
            role: "other",
            rationale: format!(
                "{} missing: adjusting would cost that share of every analysis; {}.",
                pct(num(e, "missing_share")),
                cite(e)
            ),
        };
    }
    if num(e, "r2_with_set") >= PROXY_R2 {
        return Verdict {
            include: false,
            confidence: 0.75,
            role: "proxy",
            rationale: format!(
                "A proxy of the adjustment set: R^2 {:.3} on it (closest: {}); {}.",
                num(e, "r2_with_set"),
                e["most_correlated_member"].as_str().unwrap_or("?"),
                cite(e)
            ),
        };
    }
    let strong = num(e, "share_moved") >= MIN_SHARE_MOVED
        && num(e, "pairs_moved") >= MIN_PAIRS_MOVED
        && num(e, "factors_moved") >= MIN_FACTORS_MOVED
        && num(e, "phenotype_share") > 0.0
        && num(e, "factors_associated") >= 1.0;
    if !strong {
        return Verdict {
            include: false,
            confidence: round2(
                0.55 + 0.3 * (1.0 - num(e, "share_moved") / MIN_SHARE_MOVED).clamp(0.0, 1.0),
            ),
            role: "other",
            rationale: format!("Too little confounding to adjust for: {}.", cite(e)),
        };
    }
    if e["mediator_risk"].as_f64().unwrap_or(0.0) >= MEDIATOR_RISK {
        return Verdict {
            include: false,
            confidence: 0.6,
            role: "mediator",
            rationale: format!(
                "Strong on both sides, but most of the factors it moves come before it in the causal order, so it is more likely on their path to the heart (a mediator) than their common cause: {}.",
                cite(e)
            ),
        };
    }
    Verdict {
        include: true,
        confidence: round2((0.6 + 0.7 * num(e, "share_moved")).min(0.95)),
        role: "confounder",
        rationale: format!("Confounds the study's associations: {}.", cite(e)),
    }
}

impl EmbeddedBackend {
    /// The data rule refined by the role's knowledge of the variable, when it has any.
    fn judge(&self, e: &Value, knowledge: &str) -> Verdict {
        let data = data_verdict(e);
        let name = e["variable"].as_str().unwrap_or_default();
        let description = e["description"].as_str().unwrap_or_default();
        let Some(concept) = self.knowledge.concept(name, description) else {
            return data;
        };
        let Some(stance) = concept.stance.get(knowledge) else {
            return data;
        };
        let kind = match concept.kind.as_str() {
            "mediator" => "mediator",
            "proxy" => "proxy",
            "confounder" => "confounder",
            _ => "other",
        };
        if !stance.include && data.include && matches!(kind, "mediator" | "proxy") {
            return Verdict {
                include: false,
                confidence: stance.confidence,
                role: kind,
                rationale: format!(
                    "{}; the data alone would adjust: {}",
                    stance.reason, data.rationale
                ),
            };
        }
        // A known confounder that only the causal order argues against, or whose confounding
        // shows on a few factors only (real, if below the study-wide bar).
        let some_confounding = num(e, "pairs_moved") >= MIN_PAIRS_MOVED
            && e["median_move_associated"].as_f64().unwrap_or(0.0) > 0.1;
        if stance.include
            && !data.include
            && (data.role == "mediator" || (data.role == "other" && some_confounding))
            && e["status"] == "ok"
            && num(e, "missing_share") <= MAX_MISSING
            && num(e, "r2_with_set") < PROXY_R2
        {
            return Verdict {
                include: true,
                confidence: round2(stance.confidence * 0.8),
                role: kind,
                rationale: format!(
                    "{}; {}: {}",
                    stance.reason,
                    if data.role == "mediator" {
                        "the causal order alone flags it"
                    } else {
                        "the data show it on fewer factors than the study-wide bar"
                    },
                    data.rationale
                ),
            };
        }
        data
    }

    /// The proposal part: forward selection by change in estimate with backward checks, one
    /// `confounder_screen` call per step.
    pub(super) fn propose(&self, request: &Request, task: &Value) -> Reply {
        let knowledge = task["knowledge"].as_str().unwrap_or_default();
        match self.search(request, knowledge, &BTreeSet::new()) {
            Search::Call(args) => reply_with_calls(vec![tool_call(0, "confounder_screen", args)]),
            Search::Done(steps) => {
                let proposals: Vec<Value> = steps
                    .iter()
                    .map(|(name, e, verdict)| {
                        json!({"variable": name, "reason": verdict.rationale, "numbers": screen_summary(e)})
                    })
                    .collect();
                let names: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
                reply_with_answer(json!({
                    "proposals": proposals,
                    "summary": if names.is_empty() {
                        "No variable moves the study's associations enough to adjust for.".to_string()
                    } else {
                        format!("Stepwise change-in-estimate search: adjust for {}.", names.join(", "))
                    },
                }))
            }
        }
    }

    /// Walks the screens already in the conversation: adds the strongest variable the role
    /// would adjust for, drops members that no longer earn their place, and asks for the next
    /// screen, until nothing is left to add (or no tool turn is left).
    fn search(
        &self,
        request: &Request,
        knowledge: &str,
        dropped_before: &BTreeSet<String>,
    ) -> Search {
        let seen = results_seen(request);
        let can_call = request.tools.iter().any(|t| t.name == "confounder_screen");
        let mut set: Vec<String> = Vec::new();
        let mut steps: Vec<(String, Value, Verdict)> = Vec::new();
        let mut dropped: BTreeSet<String> = dropped_before.clone();
        for _ in 0..MAX_STEPS * 2 {
            let args = json!({"adjusted_for": set, "top": TOP});
            let Some(result) = seen.get(&("confounder_screen".to_string(), args.to_string()))
            else {
                return if can_call {
                    Search::Call(args)
                } else {
                    Search::Done(steps)
                };
            };
            if result.get("error").is_some() {
                return Search::Done(steps);
            }
            // Backward: a member that no longer confounds given the others leaves the set.
            let weak: Vec<String> = result["members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| !self.judge(e, knowledge).include)
                .filter_map(|e| e["variable"].as_str().map(str::to_string))
                .collect();
            if let Some(out) = weak.first() {
                set.retain(|s| s != out);
                steps.retain(|s| &s.0 != out);
                dropped.insert(out.clone());
                continue;
            }
            if set.len() >= MAX_STEPS {
                break;
            }
            // Forward: the candidate moving the most pairs among those the role would adjust for.
            let best = result["candidates"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| !dropped.contains(e["variable"].as_str().unwrap_or_default()))
                .map(|e| (e, self.judge(e, knowledge)))
                .filter(|(_, v)| v.include)
                .max_by(|a, b| {
                    num(a.0, "pairs_moved")
                        .total_cmp(&num(b.0, "pairs_moved"))
                        .then_with(|| b.0["variable"].as_str().cmp(&a.0["variable"].as_str()))
                });
            match best {
                Some((e, verdict)) => {
                    let name = e["variable"].as_str().unwrap_or_default().to_string();
                    set.push(name.clone());
                    steps.push((name, e.clone(), verdict));
                }
                None => break,
            }
        }
        Search::Done(steps)
    }

    /// A voting round when the panel proposes: one screen given this agent's own proposals
    /// (members judged as left out and added back, the others as added), and in discussion
    /// rounds one given the panel's current decision, to propose what it still misses.
    pub(super) fn vote_open(&self, request: &Request, task: &Value) -> Reply {
        let seen = results_seen(request);
        let allowed: BTreeSet<String> = request.tools.iter().map(|t| t.name.clone()).collect();
        let knowledge = task["knowledge"].as_str().unwrap_or_default();
        let candidates = named(&task["candidates"]);
        let names: Vec<String> = candidates.iter().map(|c| c.0.clone()).collect();
        let own: Vec<String> = task["own_proposals"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|n| names.iter().any(|c| c == n))
            .map(str::to_string)
            .collect();
        let decided: Vec<String> = task["decided_before"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let round = task["round"].as_u64().unwrap_or(1);
        let mine = json!({"adjusted_for": own, "variables": names, "top": names.len().max(1)});
        let panel = json!({"adjusted_for": decided, "top": TOP});
        let mut wanted = vec![("confounder_screen".to_string(), mine.clone())];
        if round > 1 {
            wanted.push(("confounder_screen".to_string(), panel.clone()));
        }
        let missing = super::missing_calls(wanted, &seen, &allowed);
        if !missing.is_empty() {
            return reply_with_calls(missing);
        }
        let get = |args: &Value| seen.get(&("confounder_screen".to_string(), args.to_string()));
        let evidence: BTreeMap<String, Value> = get(&mine)
            .into_iter()
            .flat_map(|r| {
                ["members", "candidates"]
                    .into_iter()
                    .flat_map(move |k| r[k].as_array().into_iter().flatten())
            })
            .filter_map(|e| Some((e["variable"].as_str()?.to_string(), e.clone())))
            .collect();
        let mut votes = Vec::new();
        for (name, _) in &candidates {
            let verdict = match evidence.get(name) {
                Some(e) => self.judge(e, knowledge),
                None => Verdict {
                    include: false,
                    confidence: 0.3,
                    role: "other",
                    rationale: format!("No evidence could be computed for {name}."),
                },
            };
            votes.push(json!({"variable": name, "include": verdict.include, "role": verdict.role, "confidence": verdict.confidence, "rationale": verdict.rationale}));
        }
        self.reconsider_votes(&mut votes, task);
        let mut answer = json!({"votes": votes});
        if round > 1 {
            let proposals: Vec<Value> = get(&panel)
                .and_then(|r| r["candidates"].as_array())
                .into_iter()
                .flatten()
                .filter(|e| !names.iter().any(|n| Some(n.as_str()) == e["variable"].as_str()))
                .map(|e| (e, self.judge(e, knowledge)))
                .filter(|(_, v)| v.include)
                .take(3)
                .map(|(e, v)| json!({"variable": e["variable"], "reason": v.rationale, "numbers": screen_summary(e)}))
                .collect();
            answer["proposals"] = json!(proposals);
        }
        let adjusted: Vec<&str> = answer["votes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["include"].as_bool() == Some(true))
            .filter_map(|v| v["variable"].as_str())
            .collect();
        answer["summary"] = json!(format!(
            "Adjust for: {}.",
            if adjusted.is_empty() {
                "nothing".to_string()
            } else {
                adjusted.join(", ")
            }
        ));
        reply_with_answer(answer)
    }
}

enum Search {
    Call(Value),
    Done(Vec<(String, Value, Verdict)>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    fn evidence(variable: &str, description: &str) -> Value {
        json!({"variable": variable, "description": description, "status": "ok",
            "pairs_screened": 400, "pairs_moved": 120, "factors_moved": 12, "share_moved": 0.3,
            "pairs_associated": 90, "median_move_associated": 0.8,
            "phenotype_share": 0.2, "phenotype_max_abs_r": 0.3, "factors_associated": 30,
            "missing_share": 0.01, "r2_with_set": 0.05, "mediator_risk": 0.1})
    }

    #[test]
    fn the_data_rule_reads_numbers_not_names() {
        let backend = EmbeddedBackend::new(Knowledge::shipped().unwrap());
        // A confounder with no concept in the knowledge base: adopted on its numbers, by every
        // role, at the same confidence whatever it is called.
        let named = backend.judge(
            &evidence("household_income", "Household income"),
            "cardiologist",
        );
        let opaque = backend.judge(&evidence("v0042", ""), "cardiologist");
        assert!(named.include && opaque.include);
        assert_eq!(named.confidence, opaque.confidence);
        assert_eq!(named.role, "confounder");
        assert!(
            named.rationale.contains("120 of 400 informative pairs"),
            "{}",
            named.rationale
        );
    }

    #[test]
    fn no_data_heavy_missingness_proxies_weak_and_late_variables_are_left_out() {
        // Strong evidence but for the fields changed; each change alone leaves it out.
        let with = |changes: &[(&str, Value)]| {
            let mut e = evidence("x", "");
            for (key, value) in changes {
                e[*key] = value.clone();
            }
            data_verdict(&e)
        };
        for changes in [
            vec![("status", json!("no data"))],
            vec![("missing_share", json!(0.5))],
            vec![("share_moved", json!(0.01)), ("pairs_moved", json!(4))],
            // A twin measurement of one exposure: many pairs, but of one or two factors.
            vec![("factors_moved", json!(2))],
        ] {
            assert!(!with(&changes).include, "{changes:?}");
        }
        assert_eq!(with(&[("r2_with_set", json!(0.97))]).role, "proxy");
        let v = with(&[("mediator_risk", json!(0.95))]);
        assert!(!v.include && v.role == "mediator", "{v:?}");
    }

    #[test]
    fn knowledge_refines_known_mediators_and_confounders() {
        let backend = EmbeddedBackend::new(Knowledge::shipped().unwrap());
        // Strong data, but blood pressure is a known mediator for the clinical roles...
        let sbp = backend.judge(&evidence("sbp", "Systolic blood pressure"), "cardiologist");
        assert!(!sbp.include && sbp.role == "mediator", "{sbp:?}");
        // ...while the statistician, who has no stance on it, goes by the data.
        assert!(
            backend
                .judge(&evidence("sbp", "Systolic blood pressure"), "statistician")
                .include
        );
        // A known confounder that only the causal order flags is kept.
        let mut e = evidence("weight", "Weight, kg");
        e["mediator_risk"] = json!(0.9);
        let w = backend.judge(&e, "cardiologist");
        assert!(w.include, "{w:?}");
        // A known confounder whose confounding shows on fewer factors than the study-wide bar.
        e["mediator_risk"] = json!(0.1);
        e["factors_moved"] = json!(2);
        assert!(backend.judge(&e, "cardiologist").include);
        assert!(!backend.judge(&e, "statistician").include);
        // ...nor a heavily missing one.
        let mut m = e.clone();
        m["missing_share"] = json!(0.6);
        assert!(!backend.judge(&m, "cardiologist").include);
        // ...but the knowledge base does not rescue an absence of evidence.
        e["mediator_risk"] = json!(0.1);
        e["share_moved"] = json!(0.0);
        e["pairs_moved"] = json!(0);
        assert!(!backend.judge(&e, "cardiologist").include);
    }
}
