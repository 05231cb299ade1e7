//! A backend for any server that speaks OpenAI's chat-completions API: OpenAI itself, Ollama,
//! vLLM, llama.cpp's server. Servers that call themselves compatible differ in details, so
//! replies are read leniently (content as a string or as parts, tool arguments as a string or
//! an object, missing ids and usage) while the answer itself must still pass the schema.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::{Mutex, Semaphore};

use crate::backend::{Backend, BackendError};
use crate::message::{Message, Reply, Request, Speaker, ToolCall, ToolSpec, Usage};

mod prompt_mode;
mod redact;
mod text_calls;

pub use text_calls::tool_calls_in_text;

/// How the server is asked for structured output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StructuredOutput {
    /// `response_format: {type: json_schema}` (OpenAI, vLLM, llama.cpp, recent Ollama).
    #[default]
    JsonSchema,
    /// `response_format: {type: json_object}`; the schema goes in the prompt.
    JsonObject,
    /// Nothing structured is sent, for servers without JSON mode or tool support: the schema
    /// and the tools are described in the system prompt, tool calls are read from
    /// `<tool_call>` tags in the reply, and the history is sent as plain text turns.
    Prompt,
}

/// The `[panel.openai]` table of a study configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenAiConfig {
    /// Up to and including `/v1`, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1`.
    pub base_url: String,
    pub model: String,
    /// The name of the environment variable holding the API key (never the key itself).
    /// Empty for local servers that need none.
    pub api_key_env: String,
    pub structured_output: StructuredOutput,
    pub temperature: f64,
    /// Nucleus sampling, in (0, 1]; sent only when set (servers differ in their defaults).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// In [-2, 2]; sent only when set. Positive values discourage repeating the same words,
    /// which keeps a small model from looping until the token limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// In [-2, 2]; sent only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// When set, every request carries this seed instead of the protocol's
    /// (`[panel.protocol] seed`), e.g. to vary one server's sampling without changing the study.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Limit on one model call, in seconds: the HTTP request's timeout. `[panel.retry]
    /// start_to_close` may not be shorter (a configuration error names both keys).
    pub timeout_s: u64,
    /// Completion tokens at most per reply; 0 (the default) uses the protocol's size for each
    /// answer (about 120 tokens per item the schema asks for), a set value caps it.
    pub max_tokens: u32,
    pub requests_per_minute: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// US dollars per million prompt / completion tokens, for the cost ledger.
    pub price_prompt_per_million: f64,
    pub price_completion_per_million: f64,
    /// `structured_output = "prompt"` only: a turn that must give the final answer ends with
    /// the opening of that answer (`{"votes":[`) as the start of the model's own reply, which
    /// llama.cpp and vLLM (sent `continue_final_message`) continue, and generation stops at
    /// the first blank line after it. Small models that answer a request for JSON with
    /// sentences about JSON then write the JSON. `false` for a server that rejects a final
    /// assistant message or those fields. Written only when off, so that the configuration of
    /// a study made before this key existed is unchanged and the study still resumes.
    #[serde(skip_serializing_if = "is_true")]
    pub prefill: bool,
}

fn is_true(value: &bool) -> bool {
    *value
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            structured_output: StructuredOutput::JsonSchema,
            temperature: 0.2,
            top_p: None,
            frequency_penalty: None,
            presence_penalty: None,
            seed: None,
            timeout_s: 120,
            max_tokens: 0,
            requests_per_minute: 60,
            concurrency: 4,
            price_prompt_per_million: 0.0,
            price_completion_per_million: 0.0,
            prefill: true,
        }
    }
}

/// A `[panel.openai]` value out of the range servers accept, named by its key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("key `{key}`: {value} is {expected}")]
pub struct InvalidSetting {
    /// The full key, e.g. `panel.openai.top_p`.
    pub key: &'static str,
    pub value: f64,
    /// What the value should be, e.g. `not in (0, 1]`.
    pub expected: &'static str,
}

impl OpenAiConfig {
    /// Checks the sampling settings against the ranges OpenAI and vLLM enforce, so a bad value
    /// stops the study before it starts rather than failing every model call with HTTP 400.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |key, value, expected| {
            Err(InvalidSetting {
                key,
                value,
                expected,
            })
        };
        let t = self.temperature;
        if !(t.is_finite() && (0.0..=2.0).contains(&t)) {
            return invalid("panel.openai.temperature", t, "not between 0 and 2");
        }
        if let Some(p) = self.top_p {
            // vLLM rejects 0 (no token could be drawn); OpenAI's upper bound is 1.
            if !(p.is_finite() && p > 0.0 && p <= 1.0) {
                return invalid("panel.openai.top_p", p, "not in (0, 1]");
            }
        }
        for (key, v) in [
            ("panel.openai.frequency_penalty", self.frequency_penalty),
            ("panel.openai.presence_penalty", self.presence_penalty),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && (-2.0..=2.0).contains(&v)) {
                    return invalid(key, v, "not between -2 and 2");
                }
            }
        }
        Ok(())
    }
}

pub struct OpenAiBackend {
    config: OpenAiConfig,
    /// Read from the environment once; never serialised, logged or journaled.
    api_key: Option<String>,
    client: reqwest::Client,
    in_flight: Semaphore,
    next_start: Mutex<Instant>,
}

impl std::fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("base_url", &self.config.base_url)
            .field("model", &self.config.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl OpenAiBackend {
    /// Builds the backend, reading the API key from the environment variable the config names.
    pub fn new(config: OpenAiConfig) -> Result<Self, BackendError> {
        config
            .validate()
            .map_err(|e| BackendError::fatal("configuration", e.to_string()))?;
        let api_key = if config.api_key_env.is_empty() {
            None
        } else {
            match std::env::var(&config.api_key_env) {
                Ok(key) if !key.trim().is_empty() => Some(key.trim().to_string()),
                _ => {
                    return Err(BackendError::fatal(
                        "configuration",
                        format!(
                            "the environment variable {} (key `panel.openai.api_key_env`) is not set; export the API key there, or set api_key_env = \"\" for a local server that needs none",
                            config.api_key_env
                        ),
                    ))
                }
            }
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_s.max(1)))
            .build()
            .map_err(|e| BackendError::fatal("configuration", format!("HTTP client: {e}")))?;
        Ok(OpenAiBackend {
            in_flight: Semaphore::new(config.concurrency.max(1)),
            next_start: Mutex::new(Instant::now()),
            config,
            api_key,
            client,
        })
    }

    /// The opening written for the model on a prefilled turn (see [`OpenAiConfig::prefill`]):
    /// a final-answer turn (no tools offered) in the prompt mode.
    fn opening(&self, request: &Request) -> Option<String> {
        (self.config.structured_output == StructuredOutput::Prompt
            && self.config.prefill
            && request.tools.is_empty())
        .then(|| prompt_mode::prefill(&request.schema))
    }

    fn body(&self, request: &Request) -> Value {
        let prompt = self.config.structured_output == StructuredOutput::Prompt;
        let mut messages: Vec<Value> = if prompt {
            prompt_mode::history(&request.messages)
        } else {
            request.messages.iter().map(wire_message).collect()
        };
        let instructions = match self.config.structured_output {
            StructuredOutput::JsonSchema => None,
            StructuredOutput::JsonObject => Some(format!("When you give your final answer, reply with one JSON object only, matching this JSON schema:\n{}", request.schema)),
            StructuredOutput::Prompt => {
                let called = request.messages.iter().any(|m| !m.tool_calls.is_empty());
                Some(prompt_mode::instructions(&request.tools, &request.schema, called))
            }
        };
        if let Some(text) = instructions {
            // Into the leading system message rather than a second one at the end: the chat
            // templates of some models (Gemma's, Mistral's) refuse a system message anywhere
            // but first.
            match messages.first_mut() {
                Some(first) if first["role"] == "system" => {
                    let own = first["content"].as_str().unwrap_or_default();
                    first["content"] = Value::String(format!("{own}\n\n{text}"));
                }
                _ => messages.insert(0, json!({"role": "system", "content": text})),
            }
        }
        // Without a grammar, the answer's shape is shown once more at the end, where a small
        // model looks last: an instance of the schema with placeholders to replace. Models of
        // a few hundred million parameters copy a shape far more reliably than they follow a
        // JSON schema.
        if self.config.structured_output != StructuredOutput::JsonSchema {
            let shape = format!(
                "\n\nYour final answer is one JSON object of exactly this shape, with your own values in place of these:\n{}",
                crate::schema::example(&request.schema)
            );
            match messages.last_mut() {
                Some(last) if last["role"] == "user" => {
                    let own = last["content"].as_str().unwrap_or_default();
                    last["content"] = Value::String(format!("{own}{shape}"));
                }
                _ => messages.push(json!({"role": "user", "content": shape.trim_start()})),
            }
        }
        let opening = self.opening(request);
        if let Some(opening) = &opening {
            messages.push(json!({"role": "assistant", "content": opening}));
        }
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "seed": self.config.seed.unwrap_or(request.seed),
        });
        if opening.is_some() {
            // vLLM continues a final assistant message only when told to; llama.cpp does so
            // unasked and ignores these keys. A JSON answer never holds a blank line (a string
            // cannot hold a raw newline), so one ends the answer: without it a small model
            // repeats its answer, or talks about it, until the token limit.
            body["continue_final_message"] = json!(true);
            body["add_generation_prompt"] = json!(false);
            body["stop"] = json!(["\n\n"]);
        }
        // Only what the configuration sets: an absent key leaves the server's own default.
        for (key, value) in [
            ("top_p", self.config.top_p),
            ("frequency_penalty", self.config.frequency_penalty),
            ("presence_penalty", self.config.presence_penalty),
        ] {
            if let Some(v) = value {
                body[key] = json!(v);
            }
        }
        // Bounded generation: a small model that rambles stops at the limit instead of
        // generating for minutes (`max_tokens` 0 in the configuration keeps the protocol's
        // size; a set value caps it).
        let limit = match (request.max_tokens, self.config.max_tokens) {
            (0, c) => c,
            (r, 0) => r,
            (r, c) => r.min(c),
        };
        if limit > 0 {
            body["max_tokens"] = json!(limit);
        }
        // The prompt mode described the tools in the system message; sending them too would
        // make servers without tool support reject the request.
        if !request.tools.is_empty() && !prompt {
            // Stated, not left to the server's default: some servers only call tools when asked
            // to, and "auto" still lets the model answer directly.
            body["tool_choice"] = json!("auto");
            body["tools"] = Value::Array(
                request
                    .tools
                    .iter()
                    .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
                    .collect(),
            );
        }
        match self.config.structured_output {
            StructuredOutput::JsonSchema => {
                body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": request.schema_name, "schema": request.schema}});
            }
            StructuredOutput::JsonObject => {
                body["response_format"] = json!({"type": "json_object"});
            }
            StructuredOutput::Prompt => {}
        }
        body
    }

    /// Spaces request starts so that no more than `requests_per_minute` begin in any minute.
    async fn pace(&self) {
        if self.config.requests_per_minute == 0 {
            return;
        }
        let gap = Duration::from_secs_f64(60.0 / self.config.requests_per_minute as f64);
        let wait = {
            let mut next = self.next_start.lock().await;
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + gap;
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

fn wire_message(m: &Message) -> Value {
    match m.speaker {
        Speaker::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
            "content": m.content,
        }),
        Speaker::Assistant if !m.tool_calls.is_empty() => json!({
            "role": "assistant",
            "content": if m.content.is_empty() { Value::Null } else { Value::String(m.content.clone()) },
            "tool_calls": m.tool_calls.iter().map(|c| json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments.to_string()},
            })).collect::<Vec<_>>(),
        }),
        speaker => json!({
            "role": match speaker { Speaker::System => "system", Speaker::User => "user", _ => "assistant" },
            "content": m.content,
        }),
    }
}

/// `Retry-After` as seconds (the HTTP-date form is rare from these servers and ignored).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

/// The server's own words about an error, shortened.
fn error_text(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let text = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message").or_else(|| v.get("error")))
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| body.to_string());
    text.chars().take(300).collect()
}

/// Reads a chat-completions reply, tolerating the variations of compatible servers.
pub fn parse_reply(body: &str) -> Result<Reply, BackendError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        BackendError::retryable(
            "invalid_reply",
            format!(
                "the server's reply is not JSON ({e}); it may have been cut off: {}",
                body.chars().take(120).collect::<String>()
            ),
        )
    })?;
    let message = value
        .pointer("/choices/0/message")
        .or_else(|| value.get("message"))
        .ok_or_else(|| {
            BackendError::retryable(
                "invalid_reply",
                "the server's reply has no choices[0].message",
            )
        })?;
    let content = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str).or_else(|| p.as_str()))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    };
    let mut tool_calls = Vec::new();
    let raw_calls = match message.get("tool_calls") {
        Some(Value::Array(calls)) => calls.clone(),
        _ => message
            .get("function_call")
            .map(|f| vec![json!({"function": f})])
            .unwrap_or_default(),
    };
    for call in &raw_calls {
        let function = call.get("function").unwrap_or(call);
        let Some(name) = function.get("name").and_then(Value::as_str) else {
            continue;
        };
        let arguments = match function.get("arguments") {
            Some(Value::String(s)) if s.trim().is_empty() => json!({}),
            Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_else(|_| {
                // Kept as text so the agent is told its arguments were not JSON.
                json!({ "_unparsed": s })
            }),
            Some(v @ Value::Object(_)) => v.clone(),
            _ => json!({}),
        };
        tool_calls.push(ToolCall {
            // Missing (or empty, as some servers send) ids are given below.
            id: call
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            name: name.to_string(),
            arguments,
        });
    }
    let tool_calls = text_calls::with_ids(text_calls::dedup(tool_calls));
    let truncated = value
        .pointer("/choices/0/finish_reason")
        .and_then(Value::as_str)
        == Some("length");
    if content.trim().is_empty() && tool_calls.is_empty() && !truncated {
        return Err(BackendError::retryable(
            "invalid_reply",
            "the server replied with neither content nor tool calls",
        ));
    }
    let usage = value
        .get("usage")
        .map(|u| Usage {
            prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
            completion_tokens: u
                .get("completion_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        })
        .unwrap_or_default();
    Ok(Reply {
        truncated,
        content,
        tool_calls,
        usage,
        model: value
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// Fits a reply's tool calls to the tools its request offered.
///
/// - Tools offered, no native calls: calls written in the text (`<tool_call>` tags, a bare
///   call object) of an offered tool become calls, and the words around them stay the content.
/// - No tools offered (the protocol's last turn): a server that ignores this and still returns
///   calls has them dropped, never passed on: a call there would go unanswered, and OpenAI
///   rejects a history whose assistant calls have no tool results. The content is kept as it
///   is, empty if the model only called, so the protocol reads it as an invalid answer and its
///   repair turn asks again for the JSON answer.
pub(crate) fn calls_for(mut reply: Reply, offered: &[ToolSpec]) -> Reply {
    if offered.is_empty() {
        if !reply.tool_calls.is_empty() {
            tracing::warn!(
                calls = reply.tool_calls.len(),
                "the server returned tool calls when no tools were offered; they are dropped"
            );
            reply.tool_calls.clear();
        }
    } else if reply.tool_calls.is_empty() {
        if let Some((calls, rest)) = text_calls::split(&reply.content, offered) {
            reply.tool_calls = calls;
            reply.content = rest;
        }
    }
    reply
}

#[async_trait]
impl Backend for OpenAiBackend {
    fn describe(&self) -> String {
        format!(
            "openai-compatible:{} at {}",
            self.config.model, self.config.base_url
        )
    }

    fn prices(&self) -> (f64, f64) {
        (
            self.config.price_prompt_per_million,
            self.config.price_completion_per_million,
        )
    }

    async fn chat(&self, request: &Request) -> Result<Reply, BackendError> {
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| BackendError::fatal("configuration", "the request limiter closed"))?;
        self.pace().await;
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut http = self.client.post(&url).json(&self.body(request));
        if let Some(key) = &self.api_key {
            http = http.bearer_auth(key);
        }
        let response = http.send().await.map_err(|e| {
            // reqwest's messages name the URL, never the headers: the key stays out.
            let class = if e.is_timeout() {
                "timeout"
            } else {
                "connection"
            };
            BackendError::retryable(class, format!("request to {url} failed: {e}"))
        })?;
        let status = response.status();
        let after = retry_after(response.headers());
        let body = response.text().await.map_err(|e| {
            BackendError::retryable("connection", format!("reading the reply from {url}: {e}"))
        })?;
        // Before anything reads it: a server may echo the key (see `redact`).
        let body = redact::redact(&body, self.api_key.as_deref());
        if status.is_success() {
            let mut reply = calls_for(parse_reply(&body)?, &request.tools);
            if let Some(opening) = self.opening(request) {
                reply.content = prompt_mode::continued(&opening, &reply.content);
            }
            return Ok(reply);
        }
        let text = error_text(&body);
        let mut error = match status.as_u16() {
            429 => {
                BackendError::retryable("rate_limited", format!("HTTP 429 (rate limited): {text}"))
            }
            408 => BackendError::retryable("timeout", format!("HTTP 408: {text}")),
            401 | 403 => BackendError::fatal(
                "unauthorized",
                format!(
                    "HTTP {}: the server refused the API key from ${}: {text}",
                    status.as_u16(),
                    self.config.api_key_env
                ),
            ),
            s if s >= 500 => BackendError::retryable("server", format!("HTTP {s}: {text}")),
            s => BackendError::fatal("invalid_request", format!("HTTP {s}: {text}")),
        };
        error.retry_after = after;
        Err(error)
    }
}

#[cfg(test)]
mod tests;
