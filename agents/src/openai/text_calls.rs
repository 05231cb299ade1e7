//! Tool calls written as text. Many servers pass a model's tool calls through as plain
//! `content` (no tool parser for that model, a template without tool support, or the prompt
//! mode, where no tools are sent at all), in one of a few conventions:
//!
//! - Hermes / Qwen tags: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, possibly
//!   several, possibly with words around them;
//! - a bare call object `{"name": ..., "arguments": {...}}` (Llama 3 writes `parameters`),
//!   alone, fenced as a code block, or ending the reply after some words;
//! - llama.cpp's generic format `{"tool_call": {...}}` or `{"tool_calls": [...]}`;
//! - a list of call objects.
//!
//! A final answer is also one JSON object, so a call is recognised only when it names a tool
//! the request offered, and a bare object only when it has nothing but the keys of a call.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::message::{ToolCall, ToolSpec};

/// Prefixes some models put before a bare call (Llama 3.1's `<|python_tag|>`, Mistral's
/// `[TOOL_CALLS]`) when the server leaves special tokens in the text.
const PREFIXES: [&str; 2] = ["<|python_tag|>", "[TOOL_CALLS]"];
const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

/// The tool calls written in a reply's text, when every one names an offered tool; `None`
/// when the text holds no call (a final answer, prose) or no tools were offered.
pub fn tool_calls_in_text(content: &str, offered: &[ToolSpec]) -> Option<Vec<ToolCall>> {
    split(content, offered).map(|(calls, _)| calls)
}

/// The calls in `content` (duplicates removed, ids `call_1`, `call_2`, ...) and the text left
/// around them, trimmed.
pub(crate) fn split(content: &str, offered: &[ToolSpec]) -> Option<(Vec<ToolCall>, String)> {
    if offered.is_empty() || content.trim().is_empty() {
        return None;
    }
    let names: BTreeSet<&str> = offered.iter().map(|t| t.name.as_str()).collect();
    let (calls, rest) = tagged(content, &names).or_else(|| bare(content, &names))?;
    let calls = with_ids(dedup(calls));
    Some((calls, rest.trim().to_string()))
}

/// Calls in `<tool_call>` tags. A tag whose inside is not a call of an offered tool stays in
/// the text (the protocol then reads that text as an answer and asks for a repair).
fn tagged(content: &str, names: &BTreeSet<&str>) -> Option<(Vec<ToolCall>, String)> {
    let mut calls = Vec::new();
    let mut rest = String::new();
    let mut tail = content;
    while let Some(start) = tail.find(OPEN) {
        let inner_start = start + OPEN.len();
        // A model that stops right after its last call may leave that tag open.
        let (inner, after) = match tail[inner_start..].find(CLOSE) {
            Some(end) => (
                &tail[inner_start..inner_start + end],
                &tail[inner_start + end + CLOSE.len()..],
            ),
            None => (&tail[inner_start..], ""),
        };
        match serde_json::from_str::<Value>(unfence(inner.trim()))
            .ok()
            .and_then(|v| calls_in(&v, names, true))
        {
            Some(found) => {
                rest.push_str(&tail[..start]);
                calls.extend(found);
            }
            None => rest.push_str(&tail[..tail.len() - after.len()]),
        }
        tail = after;
    }
    rest.push_str(tail);
    (!calls.is_empty()).then_some((calls, rest))
}

/// A call object that is the whole reply, a fenced block of it, or the end of it.
fn bare(content: &str, names: &BTreeSet<&str>) -> Option<(Vec<ToolCall>, String)> {
    let text = content.trim();
    let text = PREFIXES
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text)
        .trim();
    let parse = |s: &str| {
        serde_json::from_str::<Value>(s)
            .ok()
            .and_then(|v| calls_in(&v, names, false))
    };
    if let Some(calls) = parse(unfence(text)) {
        return Some((calls, String::new()));
    }
    // A fenced block among words: "I will look it up. ```json {...} ```".
    if let Some(open) = text.find("```") {
        if let Some(len) = text[open + 3..].find("```") {
            let end = open + 3 + len + 3;
            if let Some(calls) = parse(unfence(&text[open..end])) {
                return Some((calls, format!("{}{}", &text[..open], &text[end..])));
            }
        }
    }
    // Words, then a call that runs to the end of the reply. Only the end: an object in the
    // middle of a longer text may be a part of an answer, never a call.
    text.char_indices()
        .filter(|&(i, c)| (c == '{' || c == '[') && i > 0)
        .filter(|&(i, _)| text[..i].ends_with(char::is_whitespace))
        .find_map(|(i, _)| parse(&text[i..]).map(|calls| (calls, text[..i].to_string())))
}

/// The body of a Markdown code block, or the text itself.
fn unfence(text: &str) -> &str {
    let Some(inner) = text.strip_prefix("```").and_then(|t| t.strip_suffix("```")) else {
        return text;
    };
    // The language tag ("json") runs to the first line end.
    match inner.find('\n') {
        Some(nl) if !inner[..nl].contains(['{', '[']) => inner[nl + 1..].trim(),
        _ => inner.trim(),
    }
}

/// Every call a JSON value writes, all or nothing: a list, or a wrapper, with one entry that is
/// not a call of an offered tool is not a call block. `in_tag`: the value came from inside
/// `<tool_call>` tags, which say it is a call, so a missing `arguments` means none.
fn calls_in(value: &Value, names: &BTreeSet<&str>, in_tag: bool) -> Option<Vec<ToolCall>> {
    let all = |items: &[Value]| -> Option<Vec<ToolCall>> {
        let calls: Option<Vec<ToolCall>> = items.iter().map(|v| call(v, names, in_tag)).collect();
        calls.filter(|c| !c.is_empty())
    };
    match value {
        Value::Array(items) => all(items),
        Value::Object(map) if map.len() == 1 && map.contains_key("tool_call") => {
            all(std::slice::from_ref(&map["tool_call"]))
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("tool_calls") => {
            map["tool_calls"].as_array().and_then(|items| all(items))
        }
        v => call(v, names, in_tag).map(|c| vec![c]),
    }
}

/// One call object: `{"name", "arguments"}`, or OpenAI's `{"type": "function", "function":
/// {...}}` as some models copy it from their training data.
fn call(value: &Value, names: &BTreeSet<&str>, in_tag: bool) -> Option<ToolCall> {
    let outer = value.as_object()?;
    let (map, id) = match outer.get("function") {
        Some(Value::Object(f)) if only_keys(outer, &["function", "type", "id"]) => {
            (f, outer.get("id"))
        }
        _ => (outer, outer.get("id")),
    };
    if !only_keys(map, &["name", "arguments", "parameters", "id", "type"]) {
        return None;
    }
    let name = map.get("name")?.as_str()?;
    if !names.contains(name) {
        return None;
    }
    let arguments = match map.get("arguments").or_else(|| map.get("parameters")) {
        Some(v) => arguments(v)?,
        None if in_tag => json!({}),
        None => return None,
    };
    Some(ToolCall {
        id: id.and_then(Value::as_str).unwrap_or_default().to_string(),
        name: name.to_string(),
        arguments,
    })
}

fn only_keys(map: &Map<String, Value>, allowed: &[&str]) -> bool {
    map.keys().all(|k| allowed.contains(&k.as_str()))
}

/// Arguments as an object, or as JSON text of one (the wire format of OpenAI's own calls).
/// Anything else is not a call's arguments.
pub(crate) fn arguments(value: &Value) -> Option<Value> {
    match value {
        Value::Object(_) => Some(value.clone()),
        Value::Null => Some(json!({})),
        Value::String(s) if s.trim().is_empty() => Some(json!({})),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => Some(v),
            _ => None,
        },
        _ => None,
    }
}

/// The same call (name and arguments) written twice in one reply is asked once: small models
/// repeat themselves, and each repeat would cost a tool run and a turn of context. The first
/// of each keeps its place.
pub(crate) fn dedup(calls: Vec<ToolCall>) -> Vec<ToolCall> {
    let mut seen: Vec<(String, Value)> = Vec::new();
    calls
        .into_iter()
        .filter(|c| {
            let key = (c.name.clone(), c.arguments.clone());
            let new = !seen.contains(&key);
            if new {
                seen.push(key);
            }
            new
        })
        .collect()
}

/// Gives every call without an id one, `call_N` for its 1-based place, skipping ids the reply
/// already uses: deterministic, so a replayed reply is the same reply, and unique within it,
/// so each tool result answers exactly one call.
pub(crate) fn with_ids(mut calls: Vec<ToolCall>) -> Vec<ToolCall> {
    // An id used twice (some servers number each reply's calls from the same constant) is
    // kept by its first call only; the others get new ones.
    let mut taken = BTreeSet::new();
    for c in calls.iter_mut() {
        if !c.id.is_empty() && !taken.insert(c.id.clone()) {
            c.id.clear();
        }
    }
    for (i, c) in calls.iter_mut().enumerate() {
        if !c.id.is_empty() {
            continue;
        }
        let mut n = i + 1;
        while taken.contains(&format!("call_{n}")) {
            n += 1;
        }
        c.id = format!("call_{n}");
        taken.insert(c.id.clone());
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools() -> Vec<ToolSpec> {
        ["describe_variable", "list_variables"]
            .iter()
            .map(|n| ToolSpec {
                name: n.to_string(),
                description: String::new(),
                parameters: json!({"type": "object"}),
            })
            .collect()
    }

    fn calls(content: &str) -> Option<(Vec<ToolCall>, String)> {
        split(content, &tools())
    }

    fn pairs(found: &[ToolCall]) -> Vec<(&str, &str, Value)> {
        found
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.clone()))
            .collect()
    }

    #[test]
    fn tags_give_calls_and_leave_the_words_around_them() {
        let (found, rest) = calls("Let me look.\n<tool_call>\n{\"name\": \"describe_variable\", \"arguments\": {\"name\": \"age\"}}\n</tool_call>\n<tool_call>{\"name\": \"list_variables\", \"arguments\": {\"search\": \"blood\"}}</tool_call>").unwrap();
        assert_eq!(
            pairs(&found),
            vec![
                ("call_1", "describe_variable", json!({"name": "age"})),
                ("call_2", "list_variables", json!({"search": "blood"})),
            ]
        );
        assert_eq!(rest, "Let me look.");
    }

    #[test]
    fn arguments_as_a_json_string_a_missing_close_and_parameters_are_read() {
        let (found, rest) = calls(r#"<tool_call>{"name": "describe_variable", "arguments": "{\"name\": \"sbp\"}"}</tool_call>"#).unwrap();
        assert_eq!(found[0].arguments, json!({"name": "sbp"}));
        assert_eq!(rest, "");
        // Stopped right after the call, before the closing tag.
        let (found, _) =
            calls(r#"<tool_call>{"name": "describe_variable", "arguments": {"name": "bmi"}}"#)
                .unwrap();
        assert_eq!(found[0].arguments, json!({"name": "bmi"}));
        let (found, _) =
            calls(r#"<|python_tag|>{"name": "describe_variable", "parameters": {"name": "age"}}"#)
                .unwrap();
        assert_eq!(found[0].arguments, json!({"name": "age"}));
    }

    #[test]
    fn bare_objects_fenced_blocks_and_llama_cpp_generic_calls() {
        let expect = vec![("call_1", "describe_variable", json!({"name": "age"}))];
        for text in [
            r#"{"name": "describe_variable", "arguments": {"name": "age"}}"#,
            "```json\n{\"name\": \"describe_variable\", \"arguments\": {\"name\": \"age\"}}\n```",
            r#"{"tool_call": {"name": "describe_variable", "arguments": {"name": "age"}}}"#,
            r#"{"tool_calls": [{"name": "describe_variable", "arguments": "{\"name\": \"age\"}"}]}"#,
            r#"[{"type": "function", "function": {"name": "describe_variable", "arguments": {"name": "age"}}}]"#,
        ] {
            let (found, rest) = calls(text).unwrap_or_else(|| panic!("no call in {text}"));
            assert_eq!(pairs(&found), expect, "{text}");
            assert_eq!(rest, "", "{text}");
        }
        let (found, rest) =
            calls("I will check age first.\n{\"name\": \"describe_variable\", \"arguments\": {\"name\": \"age\"}}").unwrap();
        assert_eq!(pairs(&found), expect);
        assert_eq!(rest, "I will check age first.");
        let (found, rest) = calls("Checking:\n```\n{\"name\": \"describe_variable\", \"arguments\": {\"name\": \"age\"}}\n```\nthen I answer.").unwrap();
        assert_eq!(pairs(&found), expect);
        assert_eq!(rest, "Checking:\n\nthen I answer.");
    }

    #[test]
    fn a_final_answer_is_never_a_call() {
        // Answers that carry a `name` (even an offered tool's, even with `arguments`) among
        // other keys, answers quoting a call inside, prose and unknown tools stay content.
        for text in [
            r#"{"name": "describe_variable", "summary": "age and sex", "votes": []}"#,
            r#"{"name": "describe_variable", "arguments": {"name": "age"}, "summary": "done"}"#,
            r#"{"votes": [{"name": "describe_variable", "arguments": {}}], "summary": "s"}"#,
            r#"{"summary": "x"} and {"name": "describe_variable", "arguments": {}} in the middle"#,
            r#"{"name": "drop_table", "arguments": {"table": "x"}}"#,
            r#"<tool_call>{"name": "drop_table", "arguments": {}}</tool_call>"#,
            r#"<tool_call>not json</tool_call>"#,
            r#"{"tool_calls": [{"name": "describe_variable", "arguments": {}}, {"name": "drop_table", "arguments": {}}]}"#,
            r#"{"name": "describe_variable", "arguments": [1, 2]}"#,
            "The variable age is a confounder.",
        ] {
            assert_eq!(calls(text), None, "{text}");
        }
        // With no tools offered nothing is a call, however it is written.
        let tagged = r#"<tool_call>{"name": "describe_variable", "arguments": {}}</tool_call>"#;
        assert_eq!(tool_calls_in_text(tagged, &[]), None);
        assert!(tool_calls_in_text(tagged, &tools()).is_some());
    }

    #[test]
    fn a_tag_of_an_unknown_tool_stays_in_the_text_beside_a_real_call() {
        let (found, rest) = calls(r#"<tool_call>{"name": "drop_table", "arguments": {}}</tool_call> <tool_call>{"name": "list_variables"}</tool_call>"#).unwrap();
        assert_eq!(pairs(&found), vec![("call_1", "list_variables", json!({}))]);
        assert_eq!(
            rest,
            r#"<tool_call>{"name": "drop_table", "arguments": {}}</tool_call>"#
        );
    }

    #[test]
    fn the_same_call_twice_is_asked_once_in_its_first_place() {
        let text = r#"<tool_call>{"name": "describe_variable", "arguments": {"name": "age"}}</tool_call>
<tool_call>{"name": "list_variables", "arguments": {}}</tool_call>
<tool_call>{"name": "describe_variable", "arguments": "{\"name\": \"age\"}"}</tool_call>
<tool_call>{"name": "describe_variable", "arguments": {"name": "sex"}}</tool_call>"#;
        let (found, _) = calls(text).unwrap();
        assert_eq!(
            pairs(&found),
            vec![
                ("call_1", "describe_variable", json!({"name": "age"})),
                ("call_2", "list_variables", json!({})),
                ("call_3", "describe_variable", json!({"name": "sex"})),
            ]
        );
    }

    #[test]
    fn ids_are_kept_given_when_missing_and_unique() {
        let call = |id: &str, n: u32| ToolCall {
            id: id.into(),
            name: "describe_variable".into(),
            arguments: json!({"n": n}),
        };
        let ids: Vec<String> = with_ids(vec![
            call("", 1),
            call("call_1", 2),
            call("x", 3),
            call("x", 4),
        ])
        .into_iter()
        .map(|c| c.id)
        .collect();
        assert_eq!(ids, ["call_2", "call_1", "x", "call_4"]);
    }
}
