//! The OpenAI-compatible backend under the meeting protocol, against a scripted server on
//! loopback that answers the way small models on real servers do: tool calls written as
//! `<tool_call>` tags in the content (the same call twice), then native tool calls on the turn
//! that offers no tools (the server ignores that there are none), then the answer. Run in the
//! native mode and in the prompt mode, each voter's tool is asked once, the stray calls never
//! reach the protocol (whose repair turn asks again), and every history the server sees is one
//! a strict server accepts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use meshagents_agents::message::{Reply, Request};
use meshagents_agents::{
    load_roles, AgentError, Backend, ConfounderDecision, Effects, OpenAiBackend, OpenAiConfig,
    Panel, ProtocolConfig, RoleKind, StructuredOutput, TranscriptEntry, Variable,
};
use serde_json::{json, Value};

/// Every request body the server received, in order.
type Bodies = Arc<Mutex<Vec<Value>>>;

fn wants_votes(body: &Value) -> bool {
    let schema = match body.pointer("/response_format/json_schema/schema") {
        Some(schema) => schema.to_string(),
        // The prompt mode: the schema is in the system message.
        None => body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    schema.contains("\"votes\"")
}

/// The script: a tag call (twice) on the first turn, a native call on the second whatever
/// was offered, the answer on the third; the chair answers at once.
fn answer(body: &Value) -> Value {
    let message = if !wants_votes(body) {
        json!({"role": "assistant", "content": json!({"summary": "The panel adjusts for age and sex."}).to_string()})
    } else {
        // A final assistant message is the prompt mode's opening of the answer (`prefill`), not
        // an earlier turn.
        let messages = body["messages"].as_array().unwrap();
        let earlier = match messages.last() {
            Some(last) if last["role"] == "assistant" => &messages[..messages.len() - 1],
            _ => &messages[..],
        };
        let turn = earlier.iter().filter(|m| m["role"] == "assistant").count();
        match turn {
            0 => {
                let call = r#"<tool_call>{"name": "describe_variable", "arguments": {"name": "age"}}</tool_call>"#;
                json!({"role": "assistant", "content": format!("I will look at age.\n{call}\n{call}")})
            }
            1 => {
                json!({"role": "assistant", "content": null, "tool_calls": [{"id": "stray", "type": "function", "function": {"name": "describe_variable", "arguments": "{\"name\": \"sex\"}"}}]})
            }
            _ => {
                let vote = |v: &str| json!({"variable": v, "include": true, "role": "confounder", "confidence": 0.9, "rationale": "drives both sides"});
                json!({"role": "assistant", "content": json!({"votes": [vote("age"), vote("sex")], "summary": "age and sex"}).to_string()})
            }
        }
    };
    json!({"choices": [{"message": message, "finish_reason": "stop"}], "usage": {"prompt_tokens": 10, "completion_tokens": 5}, "model": "scripted"})
}

fn handle(stream: TcpStream, bodies: &Bodies) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let reply = answer(&body).to_string();
    bodies.lock().unwrap().push(body);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
}

fn start_server() -> (String, Bodies) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let bodies: Bodies = Arc::default();
    let log = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || handle(stream, &log));
        }
    });
    (url, bodies)
}

/// The protocol's effects over the backend: model calls go to the server, tool calls are
/// answered here and remembered.
struct OverHttp {
    backend: OpenAiBackend,
    tools: Mutex<Vec<(String, String, Value)>>,
    transcript: Mutex<Vec<TranscriptEntry>>,
}

#[async_trait]
impl Effects for OverHttp {
    async fn chats(&self, calls: Vec<(String, Request)>) -> Result<Vec<Reply>, AgentError> {
        let mut replies = Vec::new();
        for (step, request) in calls {
            let reply = self
                .backend
                .chat(&request)
                .await
                .map_err(|e| AgentError::Call {
                    step,
                    message: e.to_string(),
                })?;
            replies.push(reply);
        }
        Ok(replies)
    }
    fn tool(&self, key: &str, name: &str, arguments: &Value) -> Result<Value, AgentError> {
        self.tools
            .lock()
            .unwrap()
            .push((key.to_string(), name.to_string(), arguments.clone()));
        Ok(json!({"name": arguments["name"], "mean": 55.0, "missing": 0}))
    }
    fn record(&self, entry: &TranscriptEntry) {
        self.transcript.lock().unwrap().push(entry.clone());
    }
    fn prices(&self) -> (f64, f64) {
        (0.0, 0.0)
    }
}

fn run(mode: StructuredOutput) -> (ConfounderDecision, OverHttp, Vec<Value>) {
    let (url, bodies) = start_server();
    let backend = OpenAiBackend::new(OpenAiConfig {
        base_url: url,
        model: "scripted".into(),
        api_key_env: String::new(),
        structured_output: mode,
        requests_per_minute: 0,
        top_p: Some(0.9),
        seed: Some(99),
        ..OpenAiConfig::default()
    })
    .unwrap();
    let effects = OverHttp {
        backend,
        tools: Mutex::default(),
        transcript: Mutex::default(),
    };
    let roles = load_roles(None).unwrap();
    let config = ProtocolConfig {
        propose: false,
        max_rounds: 1,
        max_tool_turns: 1,
        ..ProtocolConfig::default()
    };
    let seeds: Vec<Variable> = ["age", "sex"]
        .iter()
        .map(|n| Variable {
            name: n.to_string(),
            description: String::new(),
            category: String::new(),
        })
        .collect();
    let decision = {
        let panel = Panel {
            roles: &roles,
            config: &config,
            effects: &effects,
        };
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(panel.confounders(&seeds, None))
            .unwrap()
    };
    let bodies = bodies.lock().unwrap().clone();
    (decision, effects, bodies)
}

/// Checks what every run shares: each voter's tag call ran once, the stray native calls were
/// dropped and repaired, and the panel decided.
fn check_run(decision: &ConfounderDecision, effects: &OverHttp, bodies: &[Value]) {
    let voters = load_roles(None)
        .unwrap()
        .iter()
        .filter(|r| r.kind != RoleKind::Chair)
        .count();
    assert!(voters >= 2, "the shipped roles have voters");
    let tools = effects.tools.lock().unwrap().clone();
    assert_eq!(tools.len(), voters, "one tool run per voter: {tools:?}");
    for (_, name, arguments) in &tools {
        assert_eq!(
            (name.as_str(), arguments),
            ("describe_variable", &json!({"name": "age"}))
        );
    }
    let transcript = effects.transcript.lock().unwrap().clone();
    let kinds = |kind: &str| transcript.iter().filter(|e| e.kind == kind).count();
    // The words beside the tag call are kept as the agent's message.
    assert_eq!(kinds("message"), voters);
    assert!(transcript
        .iter()
        .filter(|e| e.kind == "message")
        .all(|e| e.text == "I will look at age."));
    assert_eq!(kinds("tool_call"), voters);
    // The turn whose reply held only dropped calls is an invalid answer, then repaired.
    assert_eq!(kinds("invalid"), voters);
    assert_eq!(kinds("proposal"), voters);
    assert_eq!(kinds("abstain"), 0);
    assert_eq!(decision.confounders, ["age", "sex"]);
    // Per voter: the tag turn, the stray-call turn, the repaired answer; then the chair.
    assert_eq!(bodies.len(), 3 * voters + 1);
    for body in bodies {
        assert_eq!(body["top_p"], 0.9);
        assert_eq!(body["seed"], 99);
        // Each call in the history is answered by a tool result, and the stray one is gone.
        let messages = body["messages"].as_array().unwrap();
        let calls: Vec<&Value> = messages
            .iter()
            .flat_map(|m| m["tool_calls"].as_array().into_iter().flatten())
            .collect();
        let results: Vec<&Value> = messages
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(|m| &m["tool_call_id"])
            .collect();
        assert_eq!(calls.iter().map(|c| &c["id"]).collect::<Vec<_>>(), results);
        assert!(!body.to_string().contains("stray"), "{body}");
    }
}

#[test]
fn native_mode_reads_tag_calls_and_drops_calls_when_no_tools_were_offered() {
    let (decision, effects, bodies) = run(StructuredOutput::JsonSchema);
    check_run(&decision, &effects, &bodies);
    let with_tools: Vec<&Value> = bodies.iter().filter(|b| b.get("tools").is_some()).collect();
    assert!(!with_tools.is_empty());
    assert!(with_tools.iter().all(|b| b["tool_choice"] == "auto"));
    // The tag call went back to the server as a native call, answered by a tool message.
    let last = bodies.iter().rev().find(|b| wants_votes(b)).unwrap();
    let messages = last["messages"].as_array().unwrap();
    assert_eq!(messages[2]["tool_calls"][0]["id"], "call_1");
    assert_eq!(messages[2]["tool_calls"].as_array().unwrap().len(), 1);
    assert_eq!(messages[3]["role"], "tool");
}

#[test]
fn prompt_mode_sends_no_tools_and_a_plain_text_history() {
    let (decision, effects, bodies) = run(StructuredOutput::Prompt);
    check_run(&decision, &effects, &bodies);
    for body in &bodies {
        assert!(body.get("tools").is_none() && body.get("response_format").is_none());
        let messages = body["messages"].as_array().unwrap();
        for m in messages {
            assert!(m.get("tool_calls").is_none() && m["role"] != "tool", "{m}");
            assert!(m["content"].is_string(), "{m}");
        }
        // As text, too, each call in the history has its result (the stray one is gone).
        let count = |tag: &str| {
            messages
                .iter()
                .skip(1)
                .map(|m| m["content"].as_str().unwrap().matches(tag).count())
                .sum::<usize>()
        };
        assert_eq!(count("<tool_call>"), count("<tool_response>"), "{body}");
    }
    let first = bodies.iter().find(|b| wants_votes(b)).unwrap();
    let system = first["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("- describe_variable(name: string): "),
        "{system}"
    );
    assert!(system.contains("<tool_call>"), "{system}");
    let last = bodies.iter().rev().find(|b| wants_votes(b)).unwrap();
    let messages = last["messages"].as_array().unwrap();
    assert_eq!(
        messages[2]["content"],
        "I will look at age.\n<tool_call>{\"name\": \"describe_variable\", \"arguments\": {\"name\":\"age\"}}</tool_call>"
    );
    assert_eq!(messages[3]["role"], "user");
    let response = messages[3]["content"].as_str().unwrap();
    assert!(
        response.starts_with("<tool_response>\n<data>") && response.ends_with("</tool_response>"),
        "{response}"
    );
}
