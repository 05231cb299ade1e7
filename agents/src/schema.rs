//! A local check of replies against the JSON-schema subset our schemas use (type, required,
//! properties, additionalProperties, items, prefixItems, minItems, maxItems, enum, const,
//! minimum, maximum, maxLength). Replies are only ever read as schema JSON: a
//! reply that does not pass is fed back to the agent once, never acted on.

use serde_json::Value;

/// Every way `value` breaks `schema`, as `path: problem` lines (empty when it conforms).
pub fn violations(schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, value, "$", &mut out);
    out
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn check(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    // The boolean schemas: `true` allows anything, `false` nothing (`items: false` closes a
    // tuple after its `prefixItems`).
    if let Some(allowed) = schema.as_bool() {
        if !allowed {
            out.push(format!("{path}: not allowed here"));
        }
        return;
    }
    if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        if !type_matches(expected, value) {
            out.push(format!(
                "{path}: expected {expected}, found {}",
                kind(value)
            ));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            // A long list (a catalogue of names) is not worth repeating to the model.
            out.push(if options.len() <= 12 {
                format!(
                    "{path}: {value} is not one of {}",
                    Value::Array(options.clone())
                )
            } else {
                format!(
                    "{path}: {value} is not one of the {} allowed names",
                    options.len()
                )
            });
        }
    }
    if let Some(wanted) = schema.get("const") {
        if wanted != value {
            out.push(format!("{path}: {value} should be {wanted}"));
        }
    }
    if let (Some(max), Some(text)) = (
        schema.get("maxLength").and_then(Value::as_u64),
        value.as_str(),
    ) {
        let length = text.chars().count();
        if length as u64 > max {
            out.push(format!(
                "{path}: {length} characters, more than the {max} allowed"
            ));
        }
    }
    if let Some(x) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if x < min {
                out.push(format!("{path}: {x} is below the minimum {min}"));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if x > max {
                out.push(format!("{path}: {x} is above the maximum {max}"));
            }
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                out.push(format!("{path}: missing required field '{name}'"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, v) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(sub) => check(sub, v, &format!("{path}.{name}"), out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        out.push(format!("{path}: unexpected field '{name}'"))
                    }
                    Some(sub) => check(sub, v, &format!("{path}.{name}"), out),
                    None => {}
                },
            }
        }
    }
    if let Some(array) = value.as_array() {
        let count = array.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if count < min {
                out.push(format!(
                    "{path}: {count} items, fewer than the {min} required"
                ));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if count > max {
                out.push(format!(
                    "{path}: {count} items, more than the {max} allowed"
                ));
            }
        }
        let prefix = schema
            .get("prefixItems")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (i, v) in array.iter().enumerate() {
            let sub = match prefix.get(i) {
                Some(sub) => sub,
                None => match schema.get("items") {
                    Some(sub) => sub,
                    None => continue,
                },
            };
            check(sub, v, &format!("{path}[{i}]"), out);
        }
    }
}

/// An instance of `schema` with placeholder values (the first option of an enum, the
/// constant of a `const`, mid-range numbers, `"..."` for text), for prompts to servers that
/// cannot enforce the schema. Optional fields are left out, lists get one item (or as many as
/// a tuple names).
pub fn example(schema: &Value) -> Value {
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|o| o.first())
    {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let properties = schema.get("properties").and_then(Value::as_object);
            Value::Object(
                properties
                    .into_iter()
                    .flatten()
                    .filter(|(name, _)| required.contains(&name.as_str()))
                    .map(|(name, sub)| (name.clone(), example(sub)))
                    .collect(),
            )
        }
        Some("array") => match schema.get("prefixItems").and_then(Value::as_array) {
            Some(tuple) => Value::Array(tuple.iter().map(example).collect()),
            None => match schema.get("items").filter(|i| i.is_object()) {
                Some(items) => Value::Array(vec![example(items)]),
                None => Value::Array(vec![]),
            },
        },
        Some("boolean") => Value::Bool(true),
        Some("integer") => schema.get("minimum").cloned().unwrap_or(Value::from(0)),
        Some("number") => {
            let low = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            let high = schema.get("maximum").and_then(Value::as_f64).unwrap_or(1.0);
            Value::from((low + high) / 2.0)
        }
        Some("string") => Value::String("...".into()),
        _ => Value::Null,
    }
}

/// The rules of `schema` in words, for prompts: which names are fixed, which fields take one
/// of a few values, number ranges and text lengths.
pub fn describe(schema: &Value) -> String {
    fn walk(schema: &Value, name: &str, rules: &mut Vec<String>) {
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if options.len() <= 12 {
                let list: Vec<String> = options.iter().map(|o| o.to_string()).collect();
                rules.push(format!("{name} is one of {}", list.join(", ")));
            } else {
                rules.push(format!("{name} is one of the names listed above"));
            }
        }
        if let Some(text) = schema.get("maxLength").and_then(Value::as_u64) {
            rules.push(format!("{name} is text of at most {text} characters"));
        }
        if schema.get("type").and_then(Value::as_str) == Some("number") {
            let low = schema.get("minimum").and_then(Value::as_f64);
            let high = schema.get("maximum").and_then(Value::as_f64);
            if let (Some(low), Some(high)) = (low, high) {
                rules.push(format!("{name} is a number from {low} to {high}"));
            }
        }
        if schema.get("type").and_then(Value::as_str) == Some("boolean") {
            rules.push(format!("{name} is true or false"));
        }
        if let Some(tuple) = schema.get("prefixItems").and_then(Value::as_array) {
            rules.push(format!(
                "{name} has exactly {} items, in the order shown, with the names shown",
                tuple.len()
            ));
            if let Some(first) = tuple.first() {
                walk(first, "each item's", rules);
            }
        } else if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                rules.push(format!("{name} has at most {max} items"));
            }
            walk(items, "each item's", rules);
        }
        for (field, sub) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            walk(sub, &format!("\"{field}\""), rules);
        }
    }
    let mut rules = Vec::new();
    walk(schema, "the answer", &mut rules);
    let mut seen = std::collections::BTreeSet::new();
    rules.retain(|r| seen.insert(r.clone()));
    format!("{}.", rules.join("; "))
}

/// Brings an answer of our own making within `schema`'s bounds: strings longer than their
/// `maxLength` end at a word boundary with an ellipsis, lists keep their first `maxItems`
/// (the expert lists the strongest first), and fields a closed or typed
/// `additionalProperties` does not allow are dropped. For the embedded backend, whose
/// answers are built from data and would otherwise need every sentence sized by hand.
pub fn fit(schema: &Value, value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                clip(text, max as usize);
            }
        }
        Value::Object(object) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties");
            object.retain(|name, v| match properties.and_then(|p| p.get(name)) {
                Some(_) => true,
                None => match extra {
                    Some(Value::Bool(false)) => false,
                    Some(sub) if sub.is_object() => violations(sub, v).is_empty(),
                    _ => true,
                },
            });
            for (name, v) in object.iter_mut() {
                match properties.and_then(|p| p.get(name)) {
                    Some(sub) => fit(sub, v),
                    None => {
                        if let Some(sub) = extra.filter(|e| e.is_object()) {
                            fit(sub, v)
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                items.truncate(max as usize);
            }
            let prefix = schema.get("prefixItems").and_then(Value::as_array);
            for (i, v) in items.iter_mut().enumerate() {
                match prefix
                    .and_then(|p| p.get(i))
                    .or_else(|| schema.get("items"))
                {
                    Some(sub) if sub.is_object() => fit(sub, v),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Shortens `text` to at most `max` characters, at a word boundary, ending with "...".
fn clip(text: &mut String, max: usize) {
    if text.chars().count() <= max {
        return;
    }
    let room = max.saturating_sub(3);
    let head: String = text.chars().take(room).collect();
    let cut = head
        .rfind(char::is_whitespace)
        .filter(|&i| i > room / 2)
        .unwrap_or(head.len());
    *text = format!("{}...", head[..cut].trim_end());
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The first complete JSON object in `text` (from its first `{`), if one closes: what a
/// reply cut at the token limit may still hold whole.
pub fn complete_object(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) if v.is_object() => Some(v),
        _ => None,
    }
}

/// The JSON object in a reply: the whole text, or the text inside a ```json fence, or from
/// the first `{` to the last `}` (models like to add a sentence around it).
pub fn extract_json(text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return Ok(v);
    }
    let unfenced = trimmed
        .split("```")
        .nth(1)
        .map(|s| s.trim_start_matches("json").trim());
    if let Some(inner) = unfenced {
        if let Ok(v) = serde_json::from_str::<Value>(inner) {
            return Ok(v);
        }
    }
    // The first complete object from the first `{`: a model that writes its answer and then
    // repeats it ("Your final answer is: {...}") still answered.
    if let Some(v) = complete_object(trimmed) {
        return Ok(v);
    }
    match (trimmed.find('{'), trimmed.rfind('}')) {
        (Some(start), Some(end)) if end > start => serde_json::from_str(&trimmed[start..=end])
            .map_err(|e| format!("the reply is not valid JSON: {e}")),
        (Some(start), _) => Err(format!(
            "the reply is not valid JSON (cut off?): {}",
            serde_json::from_str::<Value>(&trimmed[start..])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        )),
        _ => Err("the reply contains no JSON object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_each_violation_with_its_path() {
        let schema = json!({"type": "object", "required": ["votes"], "properties": {"votes": {"type": "array", "items": {"type": "object", "required": ["variable", "confidence"], "properties": {"variable": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}, "role": {"enum": ["confounder", "mediator"]}}}}}});
        assert!(violations(
            &schema,
            &json!({"votes": [{"variable": "age", "confidence": 0.9}]})
        )
        .is_empty());
        let v = violations(
            &schema,
            &json!({"votes": [{"variable": 3, "confidence": 1.5, "role": "x"}, {}]}),
        );
        assert_eq!(v.len(), 5, "{v:?}");
        assert!(v
            .iter()
            .any(|m| m.starts_with("$.votes[0].variable: expected string")));
        assert!(v
            .iter()
            .any(|m| m.contains("$.votes[1]: missing required field 'variable'")));
        assert_eq!(
            violations(&schema, &json!([])),
            vec!["$: expected object, found array"]
        );
    }

    #[test]
    fn an_example_passes_its_own_schema() {
        let schema = json!({"type": "object", "required": ["votes", "summary"], "properties": {
            "votes": {"type": "array", "minItems": 2, "maxItems": 2, "prefixItems": [
                {"type": "object", "required": ["variable", "include", "confidence"], "properties": {"variable": {"const": "age"}, "include": {"type": "boolean"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}}},
                {"type": "object", "required": ["variable", "include", "confidence"], "properties": {"variable": {"const": "sex"}, "include": {"type": "boolean"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}]},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            "summary": {"type": "string", "maxLength": 10}}});
        let e = example(&schema);
        assert_eq!(
            e,
            json!({"votes": [{"variable": "age", "include": true, "confidence": 0.5}, {"variable": "sex", "include": true, "confidence": 0.5}], "summary": "..."})
        );
        assert!(violations(&schema, &e).is_empty());
    }

    #[test]
    fn the_rules_of_a_schema_in_words() {
        let schema = json!({"type": "object", "properties": {
            "votes": {"type": "array", "prefixItems": [{"type": "object", "properties": {
                "include": {"type": "boolean"},
                "role": {"enum": ["confounder", "mediator"]},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}]},
            "summary": {"type": "string", "maxLength": 300}}});
        assert_eq!(
            describe(&schema),
            "\"votes\" has exactly 1 items, in the order shown, with the names shown; \"include\" is true or false; \"role\" is one of \"confounder\", \"mediator\"; \"confidence\" is a number from 0 to 1; \"summary\" is text of at most 300 characters."
        );
    }

    #[test]
    fn fit_shortens_text_and_drops_what_is_not_allowed() {
        let schema = json!({"type": "object", "additionalProperties": false, "properties": {
            "reason": {"type": "string", "maxLength": 20},
            "numbers": {"type": "object", "additionalProperties": {"type": "number"}}}});
        let mut answer = json!({"reason": "the quick brown fox jumps over the lazy dog", "numbers": {"share": 0.4, "status": "ok"}, "extra": 1});
        fit(&schema, &mut answer);
        assert_eq!(
            answer,
            json!({"reason": "the quick brown...", "numbers": {"share": 0.4}})
        );
        assert!(violations(&schema, &answer).is_empty());
    }

    #[test]
    fn finds_the_object_in_chatty_or_fenced_replies() {
        assert_eq!(extract_json("{\"a\":1}").unwrap(), json!({"a": 1}));
        assert_eq!(
            extract_json("Here:\n```json\n{\"a\":2}\n```").unwrap(),
            json!({"a": 2})
        );
        assert_eq!(
            extract_json("Sure! {\"a\":3} hope it helps").unwrap(),
            json!({"a": 3})
        );
        assert_eq!(
            extract_json("Here: {\"a\":4}\n\nYour final answer is: {\"a\":4}").unwrap(),
            json!({"a": 4})
        );
        assert!(extract_json("{\"a\":").is_err());
        assert!(extract_json("no").is_err());
    }
}
