//! The JSON schemas of the panel's answers, built from the names actually offered.
//!
//! A grammar-constrained decoder (llama.cpp, vLLM, Ollama) compiles the schema into a grammar
//! and can then only write what it allows. So every schema here is one such a decoder must
//! finish, and finish short:
//! - names are `enum`s of what was offered, or a `const` per position, so nothing can be
//!   invented;
//! - arrays have exact or bounded lengths: one vote per candidate, in the order shown (a
//!   `prefixItems` tuple bounded by `maxItems`, since an `enum` array lets a small model vote
//!   twice on one name; llama.cpp refuses the boolean `items: false`);
//! - every free-text field has a `maxLength`, so a rationale that loops ends;
//! - objects are closed (`additionalProperties: false`);
//! - the decision fields come before the prose, so a reply cut short still holds the decision
//!   the model had made before it started explaining; an answer's summary is optional (small
//!   models drop it, and the decision does not need it).
//!
//! Key order is part of the schema for the decoders (llama.cpp writes properties in the order
//! given), which is why the workspace builds `serde_json` with `preserve_order`.

use serde_json::{json, Value};

use crate::tools::SCREEN_SUMMARY_FIELDS;

/// Characters at most in one rationale or reason: a sentence or two with the numbers.
pub const RATIONALE_CHARS: usize = 300;
/// Characters at most in an answer's summary, and in the chair's paragraph.
const SUMMARY_CHARS: usize = 300;
const CHAIR_CHARS: usize = 1200;
/// Beyond this many names, an `enum` makes the grammar (and, in the prompt mode, the prompt)
/// too large to be worth it: the name is a bounded string and the protocol's own check
/// refuses unknown names with suggestions.
const MAX_ENUM: usize = 400;
const NAME_CHARS: usize = 120;

fn text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max})
}

fn confidence() -> Value {
    json!({"type": "number", "minimum": 0, "maximum": 1})
}

/// One of `names`, as an enum when the list is small enough to compile into a grammar.
fn one_of(names: &[String]) -> Value {
    if names.is_empty() || names.len() > MAX_ENUM {
        text(NAME_CHARS)
    } else {
        json!({"type": "string", "enum": names})
    }
}

/// Proposals of candidates from `eligible`, at most `max` of them.
fn proposal_list(eligible: &[String], max: usize) -> Value {
    json!({"type": "array", "maxItems": max, "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["variable", "reason"],
        "properties": {
            "variable": one_of(eligible),
            "reason": text(RATIONALE_CHARS),
            // The screen's numbers the agent cites, by their names in the screen.
            "numbers": {
                "type": "object",
                "additionalProperties": false,
                "properties": SCREEN_SUMMARY_FIELDS
                    .iter()
                    .filter(|f| **f != "status")
                    .map(|f| (f.to_string(), json!({"type": "number"})))
                    .collect::<serde_json::Map<String, Value>>()
            }
        }
    }})
}

/// Stage A's proposal part: every variable the agent would adjust for.
pub fn proposals(eligible: &[String], max: usize) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["proposals"],
        "properties": {
            "proposals": proposal_list(eligible, max),
            "summary": text(SUMMARY_CHARS)
        }
    })
}

/// Stage A's votes: exactly one per candidate, in the order of `candidates`; with `open`, up
/// to that many new proposals from the eligible names.
pub fn votes(candidates: &[String], open: Option<(&[String], usize)>) -> Value {
    let vote = |name: &String| {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["variable", "include", "role", "confidence", "rationale"],
            "properties": {
                "variable": {"type": "string", "const": name},
                "include": {"type": "boolean"},
                "role": {"type": "string", "enum": ["confounder", "proxy", "mediator", "collider", "exposure", "other"]},
                "confidence": confidence(),
                "rationale": text(RATIONALE_CHARS)
            }
        })
    };
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["votes"],
        "properties": {
            "votes": {
                "type": "array",
                "minItems": candidates.len(),
                "maxItems": candidates.len(),
                "prefixItems": candidates.iter().map(vote).collect::<Vec<_>>()
            }
        }
    });
    if let Some((eligible, max)) = open {
        schema["properties"]["proposals"] = proposal_list(eligible, max);
    }
    schema["properties"]["summary"] = text(SUMMARY_CHARS);
    schema
}

/// Stage B: exactly one selection per target, in the order of `targets`, each of at most
/// `per_target` of the `phenotypes`; the first target (`overall`) may gather what was chosen
/// for every disease.
pub fn selections(targets: &[String], phenotypes: &[String], per_target: usize) -> Value {
    let per_target = per_target.max(1);
    let overall =
        (per_target * targets.len().saturating_sub(1).max(1)).min(phenotypes.len().max(per_target));
    let selection = |(i, target): (usize, &String)| {
        let most = if i == 0 { overall } else { per_target };
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["target", "phenotypes", "confidence", "rationale"],
            "properties": {
                "target": {"type": "string", "const": target},
                "phenotypes": {"type": "array", "maxItems": most, "items": one_of(phenotypes)},
                "confidence": confidence(),
                "rationale": text(RATIONALE_CHARS)
            }
        })
    };
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["selections"],
        "properties": {
            "selections": {
                "type": "array",
                "minItems": targets.len(),
                "maxItems": targets.len(),
                "prefixItems": targets.iter().enumerate().map(selection).collect::<Vec<_>>()
            },
            "summary": text(SUMMARY_CHARS)
        }
    })
}

/// The chair's paragraph for the report.
pub fn chair() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["summary"],
        "properties": {"summary": text(CHAIR_CHARS)}
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::violations;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn votes_are_one_per_candidate_in_order() {
        let schema = votes(&names(&["age", "sex"]), None);
        let vote = |v: &str| json!({"variable": v, "include": true, "role": "confounder", "confidence": 0.8, "rationale": "r"});
        let ok = json!({"votes": [vote("age"), vote("sex")], "summary": "s"});
        assert!(violations(&schema, &ok).is_empty());
        for bad in [
            json!({"votes": [vote("age"), vote("age")], "summary": "s"}),
            json!({"votes": [vote("sex"), vote("age")], "summary": "s"}),
            json!({"votes": [vote("age")], "summary": "s"}),
            json!({"votes": [vote("age"), vote("sex"), vote("sex")], "summary": "s"}),
            json!({"votes": [vote("age"), vote("sex")], "summary": "s", "extra": 1}),
            json!({"votes": [vote("age"), vote("sex")], "summary": "x".repeat(301)}),
        ] {
            assert!(!violations(&schema, &bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn the_decision_comes_before_the_prose() {
        let schema = votes(&names(&["age"]), Some((&names(&["age", "tdi"]), 3)));
        let top: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(top, ["votes", "proposals", "summary"]);
        let vote: Vec<&String> = schema["properties"]["votes"]["prefixItems"][0]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(
            vote,
            ["variable", "include", "role", "confidence", "rationale"]
        );
        // The text a server receives keeps that order.
        let wire = schema.to_string();
        assert!(wire.find("\"include\"").unwrap() < wire.find("\"rationale\"").unwrap());
    }

    #[test]
    fn long_catalogues_are_bounded_strings_not_enums() {
        let many: Vec<String> = (0..MAX_ENUM + 1).map(|i| format!("f{i}")).collect();
        let schema = proposals(&many, 5);
        let variable = &schema["properties"]["proposals"]["items"]["properties"]["variable"];
        assert!(variable.get("enum").is_none());
        assert_eq!(variable["maxLength"], NAME_CHARS);
        let small = proposals(&names(&["a", "b"]), 5);
        assert_eq!(
            small["properties"]["proposals"]["items"]["properties"]["variable"]["enum"],
            json!(["a", "b"])
        );
        let answer = json!({"proposals": [{"variable": "c", "reason": "r"}], "summary": ""});
        assert!(!violations(&small, &answer).is_empty());
    }

    #[test]
    fn selections_bound_each_target() {
        let schema = selections(&names(&["overall", "hf"]), &names(&["LVM", "LVEF"]), 1);
        let pick = |t: &str, p: &[&str]| json!({"target": t, "phenotypes": p, "confidence": 0.5, "rationale": "r"});
        let ok = json!({"selections": [pick("overall", &["LVM"]), pick("hf", &["LVEF"])], "summary": ""});
        assert!(violations(&schema, &ok).is_empty());
        let too_many = json!({"selections": [pick("overall", &["LVM"]), pick("hf", &["LVM", "LVEF"])], "summary": ""});
        assert!(!violations(&schema, &too_many).is_empty());
        let unknown =
            json!({"selections": [pick("overall", &["RVM"]), pick("hf", &[])], "summary": ""});
        assert!(!violations(&schema, &unknown).is_empty());
    }
}
