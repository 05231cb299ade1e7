//! `structured_output = "prompt"`: for servers or models with neither JSON mode nor tool
//! support. Nothing structured is sent: the tools and the answer's schema are described in the
//! system prompt, the model calls a tool by writing `<tool_call>` tags (read back by
//! [`super::text_calls`]), and the history is rendered as plain text turns, because such
//! servers reject `tool_calls` on assistant messages and the `tool` role.

use serde_json::{json, Value};

use crate::message::{Message, Speaker, ToolSpec};

/// The system prompt's addition: the tools, if any are offered, how to call one, and the shape
/// of the final answer. `history_has_calls`: earlier turns called tools, so a turn without
/// tools says that none can be called now (otherwise the model copies its earlier calls).
pub(crate) fn instructions(tools: &[ToolSpec], schema: &Value, history_has_calls: bool) -> String {
    // The shape itself is shown at the end of the last message (an instance of the schema):
    // small models copy a raw JSON schema rather than answer it, so here it is described in
    // words.
    let answer = format!(
        "When you give your final answer, reply with one JSON object only, of the shape shown at the end of the last message: {}",
        crate::schema::describe(schema)
    );
    if tools.is_empty() {
        return if history_has_calls {
            format!("No tools can be called any more: do not write <tool_call>. {answer}")
        } else {
            answer
        };
    }
    let mut text = String::from("You may call these tools:\n");
    for tool in tools {
        text.push_str(&format!(
            "- {}({}): {}\n",
            tool.name,
            signature(&tool.parameters),
            one_line(&tool.description)
        ));
    }
    text.push_str(
        "To call a tool, write exactly this, one line per call, and nothing after the last call:\n\
         <tool_call>{\"name\": \"TOOL_NAME\", \"arguments\": {\"ARGUMENT\": VALUE}}</tool_call>\n\
         Arguments marked ? are optional. The results come back in <tool_response> blocks, in \
         the order of the calls.\n",
    );
    text.push_str(&format!(
        "When you have what you need, stop calling tools and give the final answer: one JSON object only, no <tool_call> tags, of the shape shown at the end of the last message: {}",
        crate::schema::describe(schema)
    ));
    text
}

/// The first sentence of a description on one line: the prompt describes every tool on every
/// turn, so it stays short.
fn one_line(description: &str) -> String {
    let line = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = match line.find(". ") {
        Some(end) => &line[..=end],
        None => line.as_str(),
    };
    if sentence.chars().count() > 200 {
        format!("{}...", sentence.chars().take(200).collect::<String>())
    } else {
        sentence.to_string()
    }
}

/// `name: string, covariates?: string[]` from an argument schema: required ones first, each
/// group in the order of the schema's properties.
fn signature(parameters: &Value) -> String {
    let required: Vec<&str> = parameters["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = parameters["properties"].as_object() else {
        return String::new();
    };
    let mut args: Vec<(bool, String)> = properties
        .iter()
        .map(|(name, schema)| {
            let needed = required.contains(&name.as_str());
            let mark = if needed { "" } else { "?" };
            (!needed, format!("{name}{mark}: {}", type_of(schema)))
        })
        .collect();
    args.sort_by_key(|(optional, _)| *optional);
    args.into_iter()
        .map(|(_, a)| a)
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_of(schema: &Value) -> String {
    if let Some(options) = schema["enum"].as_array() {
        return options
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("|");
    }
    match schema["type"].as_str() {
        Some("array") => format!("{}[]", type_of(&schema["items"])),
        Some(t) => t.to_string(),
        None => "any".into(),
    }
}

/// The conversation as plain turns: an assistant's tool calls become `<tool_call>` tags after
/// its words, and the tool results that follow become one user message of `<tool_response>`
/// blocks (one message, because many chat templates require user and assistant turns to
/// alternate).
pub(crate) fn history(messages: &[Message]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut responses: Vec<String> = Vec::new();
    let flush = |out: &mut Vec<Value>, responses: &mut Vec<String>| {
        if !responses.is_empty() {
            out.push(json!({"role": "user", "content": responses.join("\n")}));
            responses.clear();
        }
    };
    for m in messages {
        if m.speaker == Speaker::Tool {
            responses.push(format!("<tool_response>\n{}\n</tool_response>", m.content));
            continue;
        }
        flush(&mut out, &mut responses);
        let role = match m.speaker {
            Speaker::System => "system",
            Speaker::User => "user",
            _ => "assistant",
        };
        let mut content = m.content.clone();
        for call in &m.tool_calls {
            if !content.is_empty() {
                content.push('\n');
            }
            content.push_str(&tag(&call.name, &call.arguments));
        }
        out.push(json!({"role": role, "content": content}));
    }
    flush(&mut out, &mut responses);
    out
}

/// One call as the model is told to write it, name first (a JSON map would sort `arguments`
/// before `name`, and the model copies what it sees).
pub(crate) fn tag(name: &str, arguments: &Value) -> String {
    format!(
        "<tool_call>{{\"name\": {}, \"arguments\": {arguments}}}</tool_call>",
        Value::String(name.to_string())
    )
}

/// The opening of the final answer, written for the model as the start of its own reply (an
/// assistant message the server continues): `{"votes":[` for a schema whose first property is
/// a required array, `{"summary":"` for a required string. A model of a few hundred million
/// parameters asked for JSON often answers with a sentence about JSON instead; one that finds
/// its reply already open continues it.
pub(crate) fn prefill(schema: &Value) -> String {
    let first = schema["properties"]
        .as_object()
        .and_then(|p| p.iter().next())
        .filter(|(name, _)| {
            schema["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|n| n.as_str() == Some(name.as_str())))
        });
    match first {
        Some((name, property)) => {
            let open = match property["type"].as_str() {
                Some("array") => "[",
                Some("string") => "\"",
                _ => "",
            };
            format!("{{{}:{open}", Value::String(name.clone()))
        }
        None => "{".to_string(),
    }
}

/// The whole answer from a reply to a prefilled turn. llama.cpp returns the opening with its
/// continuation, vLLM (`continue_final_message`) the continuation alone, and a server that
/// does not continue a final assistant message answers afresh; the text is read as the first
/// of these that holds a complete JSON object.
pub(crate) fn continued(opening: &str, content: &str) -> String {
    if content.trim_start().starts_with(opening) {
        return content.to_string();
    }
    let joined = format!("{opening}{content}");
    if crate::schema::complete_object(&joined).is_some()
        || crate::schema::complete_object(content).is_none()
    {
        joined
    } else {
        content.to_string()
    }
}
