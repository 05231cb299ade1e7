//! The context budget: every prompt is fitted to `context_tokens` before it is sent.
//!
//! Small local models have small contexts (8k tokens is common), and a prompt that overflows
//! is either refused by the server or silently cut at the front, losing the task. So the panel
//! measures each prompt before the call and, when it does not fit with room for the answer,
//! condenses it in the order that loses least: tool results are reduced to their numbers and
//! first rows, then the oldest tool exchanges are replaced by a one-line note. What still does
//! not fit is an error naming the setting, never a cut the model cannot see.
//!
//! There is no tokenizer here (each server has its own); a token is taken as three characters
//! of text, which over-counts English and JSON for the tokenizers of today's models, so a
//! prompt judged to fit does fit.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::message::{tool_result, Message, Request, Speaker};

/// Characters per token, on the safe side.
const CHARS_PER_TOKEN: usize = 3;
/// Tokens a chat template adds around each message (role markers, separators).
const PER_MESSAGE: usize = 6;
/// Rows of a list kept when a tool result is condensed.
const ROWS_KEPT: usize = 8;
/// Text kept of a string field when a tool result is condensed.
const TEXT_KEPT: usize = 60;

/// Tokens a text takes, estimated.
pub fn tokens(text: &str) -> usize {
    text.chars().count().div_ceil(CHARS_PER_TOKEN)
}

/// The prompt's size in tokens, estimated: the messages, the tool descriptions, and the
/// schema when the backend writes it into the prompt.
pub fn prompt_tokens(request: &Request, schema_in_prompt: bool) -> usize {
    let messages: usize = request
        .messages
        .iter()
        .map(|m| {
            PER_MESSAGE
                + tokens(&m.content)
                + m.tool_calls
                    .iter()
                    .map(|c| tokens(&c.name) + tokens(&c.arguments.to_string()))
                    .sum::<usize>()
        })
        .sum();
    let tools: usize = request
        .tools
        .iter()
        .map(|t| tokens(&t.name) + tokens(&t.description) + tokens(&t.parameters.to_string()))
        .sum();
    let schema = if schema_in_prompt {
        tokens(&request.schema.to_string())
    } else {
        0
    };
    messages + tools + schema
}

/// What fitting one prompt did, for `decisions.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallSize {
    /// The journal key of the call.
    pub key: String,
    /// The prompt's estimated size when sent.
    pub prompt_estimate: usize,
    /// What the server counted (0 when it does not say, and for the embedded backend).
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// The completion limit sent.
    pub max_tokens: u32,
    /// Tool results condensed and tool exchanges dropped to make the prompt fit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub condensed: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The outcome of fitting a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fitted {
    pub estimate: usize,
    pub condensed: usize,
    pub dropped: usize,
}

/// Fits `request`'s messages into `context` tokens with room for `request.max_tokens`.
/// Returns the estimate after fitting, or the estimate that still does not fit.
pub fn fit(request: &mut Request, context: usize, schema_in_prompt: bool) -> Result<Fitted, usize> {
    let room = context.saturating_sub(request.max_tokens as usize);
    let mut fitted = Fitted {
        estimate: prompt_tokens(request, schema_in_prompt),
        condensed: 0,
        dropped: 0,
    };
    // Oldest tool results first: the latest one is what the agent is reading now.
    let mut index = 0;
    while fitted.estimate > room && index < request.messages.len() {
        let m = &mut request.messages[index];
        if m.speaker == Speaker::Tool && !m.content.starts_with("<data>\n{\"condensed\"") {
            let short = condense(&tool_result(&m.content));
            let text = format!("<data>\n{short}\n</data>");
            if text.len() < m.content.len() {
                m.content = text;
                fitted.condensed += 1;
                fitted.estimate = prompt_tokens(request, schema_in_prompt);
            }
        }
        index += 1;
    }
    // Then whole tool exchanges, oldest first: the assistant's calls and their results go
    // together (a result without its call is refused by servers), replaced by a note.
    while fitted.estimate > room {
        let Some(start) = request
            .messages
            .iter()
            .position(|m| m.speaker == Speaker::Assistant && !m.tool_calls.is_empty())
        else {
            break;
        };
        let end = request.messages[start + 1..]
            .iter()
            .position(|m| m.speaker != Speaker::Tool)
            .map(|p| start + 1 + p)
            .unwrap_or(request.messages.len());
        let names: Vec<String> = request.messages[start]
            .tool_calls
            .iter()
            .map(|c| c.name.clone())
            .collect();
        request.messages.splice(
            start..end,
            [Message::user(format!(
                "(Earlier you called {}; those results were left out to fit the context. Call again if you need them.)",
                names.join(", ")
            ))],
        );
        fitted.dropped += 1;
        fitted.estimate = prompt_tokens(request, schema_in_prompt);
    }
    if fitted.estimate > room {
        Err(fitted.estimate)
    } else {
        Ok(fitted)
    }
}

/// Characters kept of each text in the others' answers shown in a discussion round.
const BRIEF_TEXT: usize = 120;

/// Another agent's answer as shown in a discussion round: every decision, each rationale
/// shortened, so that four answers on twenty candidates still fit a small context.
pub fn brief(answer: &Value) -> Value {
    match answer {
        Value::String(s) if s.chars().count() > BRIEF_TEXT => Value::String(format!(
            "{}...",
            s.chars().take(BRIEF_TEXT).collect::<String>()
        )),
        Value::Array(items) => Value::Array(items.iter().map(brief).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), brief(v))).collect()),
        other => other.clone(),
    }
}

/// A tool result reduced to what a decision needs: numbers and short labels, the first rows
/// of each list with a count of the rest.
pub fn condense(result: &Value) -> Value {
    fn walk(v: &Value) -> Value {
        match v {
            Value::String(s) if s.chars().count() > TEXT_KEPT => Value::String(format!(
                "{}...",
                s.chars().take(TEXT_KEPT).collect::<String>()
            )),
            Value::Array(items) if items.len() > ROWS_KEPT => {
                let mut kept: Vec<Value> = items.iter().take(ROWS_KEPT).map(walk).collect();
                kept.push(json!(format!(
                    "... {} more rows left out to fit the context",
                    items.len() - ROWS_KEPT
                )));
                Value::Array(kept)
            }
            Value::Array(items) => Value::Array(items.iter().map(walk).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), walk(v))).collect())
            }
            other => other.clone(),
        }
    }
    json!({"condensed": true, "result": walk(result)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Reply, ToolCall};

    fn request(messages: Vec<Message>, max_tokens: u32) -> Request {
        Request {
            agent: "a".into(),
            messages,
            tools: vec![],
            schema: json!({}),
            schema_name: "s".into(),
            temperature: 0.0,
            seed: 0,
            task: Value::Null,
            max_tokens,
        }
    }

    fn exchange(id: &str, rows: usize) -> Vec<Message> {
        let call = ToolCall {
            id: id.into(),
            name: "list_variables".into(),
            arguments: json!({}),
        };
        let reply = Reply {
            content: String::new(),
            tool_calls: vec![call.clone()],
            usage: Default::default(),
            model: String::new(),
            truncated: false,
        };
        let result = json!({"variables": (0..rows).map(|i| json!({"name": format!("v{i}"), "description": "a long description of this variable, repeated to take room in the prompt"})).collect::<Vec<_>>()});
        vec![Message::assistant(&reply), Message::tool(&call, &result)]
    }

    #[test]
    fn a_prompt_that_fits_is_left_alone() {
        let mut r = request(vec![Message::system("s"), Message::user("u")], 100);
        let before = r.clone();
        let fitted = fit(&mut r, 8192, false).unwrap();
        assert_eq!((fitted.condensed, fitted.dropped), (0, 0));
        assert_eq!(r, before);
    }

    #[test]
    fn old_tool_results_are_condensed_then_dropped_and_the_rest_is_an_error() {
        let mut messages = vec![Message::system("s"), Message::user("task")];
        messages.extend(exchange("c1", 200));
        messages.extend(exchange("c2", 200));
        let full = request(messages, 500);
        let size = prompt_tokens(&full, false);
        // Room for a condensed result but not two full ones: the oldest is condensed.
        let mut r = full.clone();
        let fitted = fit(&mut r, size / 2 + 500 + 400, false).unwrap();
        assert!(fitted.condensed >= 1 && fitted.dropped == 0, "{fitted:?}");
        assert!(fitted.estimate + 500 <= size / 2 + 900);
        assert!(r.messages[3].content.contains("more rows left out"));
        // Less room: whole exchanges go, their calls with them, and a note says so.
        let mut r = full.clone();
        let fitted = fit(&mut r, 500 + 120, false).unwrap();
        assert_eq!(fitted.dropped, 2);
        assert!(r.messages.iter().all(|m| m.tool_calls.is_empty()));
        assert!(r.messages.iter().all(|m| m.speaker != Speaker::Tool));
        assert!(r.messages[2]
            .content
            .contains("left out to fit the context"));
        // No room even for the task: an error with the size.
        let mut r = full;
        assert!(fit(&mut r, 500, false).is_err());
    }

    #[test]
    fn the_schema_counts_only_when_it_is_in_the_prompt() {
        let mut r = request(vec![Message::user("u")], 0);
        r.schema = json!({"description": "x".repeat(3000)});
        assert!(prompt_tokens(&r, true) >= prompt_tokens(&r, false) + 1000);
    }
}
