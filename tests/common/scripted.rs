//! The scripted panel conversation shared by the tests that talk to the panel over an
//! OpenAI-compatible server: `tests/panel_llm.rs` (a server inside the test) and
//! `tests/bin/fake_model_server.rs` (a server process the study starts). Each uses part of it.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpStream;

use serde_json::{json, Value};

/// The journal key of the model call a request is, read from its content the way the panel
/// builds it: `panel/confounders/r{round}/{agent}/call{turn}` or the chair's call.
pub fn step_of(body: &Value) -> String {
    let id = match agent_of(body).as_str() {
        "Cardiologist" => "cardiologist",
        "Biomechanics expert" => "biomechanist",
        "Statistician" => "statistician",
        "Clinical researcher" => "clinical_researcher",
        "Chair" => "chair",
        _ => "unknown",
    };
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let first_user = messages
        .iter()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    if id == "chair" {
        let stage = if first_user.contains("stage 'phenotypes'") {
            "phenotypes"
        } else {
            "confounders"
        };
        return format!("panel/{stage}/chair/call1");
    }
    let stage = if first_user.starts_with("Stage B") {
        "phenotypes"
    } else {
        "confounders"
    };
    let round = if first_user.starts_with("Stage A, proposals") {
        0
    } else if first_user.contains("round 2") {
        2
    } else {
        1
    };
    let turn = 1 + messages.iter().filter(|m| m["role"] == "assistant").count();
    format!("panel/{stage}/r{round}/{id}/call{turn}")
}

pub fn agent_of(body: &Value) -> String {
    let system = body["messages"][0]["content"].as_str().unwrap_or_default();
    for title in [
        "Cardiologist",
        "Biomechanics expert",
        "Statistician",
        "Clinical researcher",
        "Chair",
    ] {
        if system.contains(&format!("You are the {title}")) {
            return title.to_string();
        }
    }
    "unknown".into()
}

pub fn votes(sbp: bool) -> String {
    json!({"votes": [
        {"variable": "age", "include": true, "role": "confounder", "confidence": 0.9, "rationale": "age drives both sides"},
        {"variable": "sex", "include": true, "role": "confounder", "confidence": 0.9, "rationale": "sex sets heart size"},
        {"variable": "sbp", "include": sbp, "role": "mediator", "confidence": 0.6, "rationale": "blood pressure is on the pathway"}
    ], "summary": "age and sex"})
    .to_string()
}

/// The canned conversation: what each agent says given where it is.
pub fn script(body: &Value) -> Value {
    let agent = agent_of(body);
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let users: Vec<&str> = messages
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect();
    let round2 = users
        .first()
        .map(|u| u.contains("round 2"))
        .unwrap_or(false);
    let tools_seen = messages.iter().any(|m| m["role"] == "tool");
    let repairing = users
        .last()
        .map(|u| u.starts_with("Your answer could not be used"))
        .unwrap_or(false);
    let content = |text: String| json!({"choices": [{"message": {"role": "assistant", "content": text}}], "usage": {"prompt_tokens": 100, "completion_tokens": 20}, "model": "scripted"});
    if agent == "Chair" {
        return content(json!({"summary": "The panel adjusts for age and sex."}).to_string());
    }
    if users
        .first()
        .map(|u| u.starts_with("Stage B"))
        .unwrap_or(false)
    {
        // One selection per target, in the order the schema sent with the request asks for.
        let targets: Vec<String> = body
            .pointer("/response_format/json_schema/schema/properties/selections/prefixItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.pointer("/properties/target/const")?.as_str())
            .map(str::to_string)
            .collect();
        assert!(targets.len() >= 2, "the schema names the targets");
        let selections: Vec<Value> = targets
            .iter()
            .map(|t| match t.as_str() {
                "overall" => json!({"target": t, "phenotypes": ["LVM"], "confidence": 0.7, "rationale": "pressure load"}),
                "hypertension" => json!({"target": t, "phenotypes": ["LVM", "AAo distensibility"], "confidence": 0.8, "rationale": "LV mass and aortic stiffness"}),
                _ => json!({"target": t, "phenotypes": [], "confidence": 0.3, "rationale": "no clear signal"}),
            })
            .collect();
        return content(
            json!({"selections": selections, "summary": "LVM for hypertension"}).to_string(),
        );
    }
    // Stage A opens with proposals from the whole catalogue: one agent screens over the real
    // tool host first, one proposes an imaging column (refused and fed back), then repairs.
    if users
        .first()
        .is_some_and(|u| u.starts_with("Stage A, proposals"))
    {
        let propose = |names: &[&str]| {
            json!({"proposals": names.iter().map(|n| json!({"variable": n, "reason": format!("{n} confounds"), "numbers": {"share_moved": 0.5}})).collect::<Vec<_>>(), "summary": "demographics"}).to_string()
        };
        if agent == "Cardiologist" && !tools_seen {
            let calls = vec![
                json!({"id": "s1", "type": "function", "function": {"name": "confounder_screen", "arguments": "{\"adjusted_for\": [\"age\"], \"top\": 5}"}}),
            ];
            return json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": calls}}], "usage": {"prompt_tokens": 80, "completion_tokens": 10}});
        }
        if agent == "Statistician" && !repairing {
            return content(propose(&["age", "LVM"]));
        }
        return content(propose(&["age", "sex"]));
    }
    if !tools_seen && !round2 && !repairing {
        let mut calls = vec![
            json!({"id": "c1", "type": "function", "function": {"name": "change_in_estimate", "arguments": "{\"candidate\": \"sbp\"}"}}),
        ];
        if agent == "Statistician" {
            // A hallucinated variable: the tool answers with an error the agent reads.
            calls.push(json!({"id": "c2", "type": "function", "function": {"name": "describe_variable", "arguments": "{\"name\": \"age_at_death\"}"}}));
        }
        return json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": calls}}], "usage": {"prompt_tokens": 80, "completion_tokens": 10}});
    }
    if repairing {
        return content(format!("Corrected:\n```json\n{}\n```", votes(false)));
    }
    match (agent.as_str(), round2) {
        // Broken JSON, then a vote on a variable that does not exist: both fed back once.
        ("Clinical researcher", false) => content("{\"votes\": [{\"variable\": \"age\"".into()),
        ("Biomechanics expert", false) => content(
            json!({"votes": [{"variable": "bmi_fake", "include": true, "confidence": 0.5, "rationale": "?"}]}).to_string(),
        ),
        ("Statistician", false) => content(votes(true)),
        _ => content(votes(false)),
    }
}

pub fn respond(stream: &mut TcpStream, status: u16, headers: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
}
