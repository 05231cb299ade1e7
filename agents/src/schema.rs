//! A local check of replies against the JSON-schema subset our schemas use (type, required,
//! properties, items, enum, minimum, maximum). Replies are only ever read as schema JSON: a
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
            out.push(format!(
                "{path}: {value} is not one of {}",
                Value::Array(options.clone())
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
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, sub) in properties {
                if let Some(v) = object.get(name) {
                    check(sub, v, &format!("{path}.{name}"), out);
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            check(items, v, &format!("{path}[{i}]"), out);
        }
    }
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
        assert!(extract_json("{\"a\":").is_err());
        assert!(extract_json("no").is_err());
    }
}
