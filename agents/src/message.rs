//! The conversation types every backend speaks: OpenAI's chat-completions shape, which local
//! servers (Ollama, vLLM, llama.cpp) copy, so the embedded backend speaks it too.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    System,
    User,
    Assistant,
    Tool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub speaker: Speaker,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool result: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            speaker: Speaker::System,
            content: content.into(),
            tool_calls: vec![],
            tool_call_id: None,
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Message {
            speaker: Speaker::User,
            content: content.into(),
            tool_calls: vec![],
            tool_call_id: None,
        }
    }

    pub fn assistant(reply: &Reply) -> Self {
        Message {
            speaker: Speaker::Assistant,
            content: reply.content.clone(),
            tool_calls: reply.tool_calls.clone(),
            tool_call_id: None,
        }
    }

    /// A tool's result, quoted as data: it carries dataset text (descriptions, names).
    pub fn tool(call: &ToolCall, result: &serde_json::Value) -> Self {
        Message {
            speaker: Speaker::Tool,
            content: format!("<data>\n{result}\n</data>"),
            tool_calls: vec![],
            tool_call_id: Some(call.id.clone()),
        }
    }
}

/// A function the model may call: a name, what it does, and a JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// One chat-completion request. `task` is the same task in machine-readable form: the
/// embedded backend reads it instead of parsing prose; remote backends do not send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub agent: String,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    /// The JSON schema the final answer must satisfy.
    pub schema: serde_json::Value,
    pub schema_name: String,
    pub temperature: f64,
    pub seed: u64,
    pub task: serde_json::Value,
    /// Completion tokens at most, sized by the protocol to the answer its schema asks for
    /// (a backend's own setting may lower it). 0: no bound.
    #[serde(default)]
    pub max_tokens: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// What the model answered: text (the final JSON answer) or tool calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub content: String,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default)]
    pub model: String,
    /// The server stopped at the token limit (`finish_reason = "length"`): the content is
    /// incomplete, and is treated as an invalid answer rather than retried (a retry would pay
    /// for the same cut-off reply again).
    #[serde(default)]
    pub truncated: bool,
}

/// The JSON inside a tool message (`<data>` quoting removed).
pub fn tool_result(content: &str) -> serde_json::Value {
    let inner = content
        .trim()
        .trim_start_matches("<data>")
        .trim_end_matches("</data>");
    serde_json::from_str(inner.trim()).unwrap_or(serde_json::Value::Null)
}
