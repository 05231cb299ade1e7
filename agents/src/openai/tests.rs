//! The backend's request bodies and reply reading, without a server.

use super::*;
use crate::tools::tools_for;

fn backend(config: OpenAiConfig) -> OpenAiBackend {
    OpenAiBackend::new(OpenAiConfig {
        api_key_env: String::new(),
        ..config
    })
    .unwrap()
}

fn request(messages: Vec<Message>, tools: Vec<ToolSpec>) -> Request {
    Request {
        agent: "a".into(),
        messages,
        tools,
        schema: json!({"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}),
        schema_name: "answer".into(),
        temperature: 0.2,
        seed: 7,
        task: Value::Null,
        max_tokens: 0,
    }
}

fn reply(content: &str, tool_calls: Vec<ToolCall>) -> Reply {
    Reply {
        content: content.into(),
        tool_calls,
        usage: Usage::default(),
        model: String::new(),
        truncated: false,
    }
}

fn describe(id: &str, variable: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: "describe_variable".into(),
        arguments: json!({"name": variable}),
    }
}

/// A conversation that called two tools and got their results.
fn history_with_calls() -> Vec<Message> {
    let calls = reply(
        "Checking two.",
        vec![describe("call_1", "age"), describe("call_2", "sex")],
    );
    vec![
        Message::system("You are the Statistician."),
        Message::user("Which confounders?"),
        Message::assistant(&calls),
        Message::tool(&calls.tool_calls[0], &json!({"mean": 55})),
        Message::tool(&calls.tool_calls[1], &json!({"levels": 2})),
    ]
}

#[test]
fn reads_the_variants_compatible_servers_send() {
    let plain = parse_reply(r#"{"choices":[{"message":{"role":"assistant","content":"{\"a\":1}"}}],"usage":{"prompt_tokens":5,"completion_tokens":2},"model":"m"}"#).unwrap();
    assert_eq!(plain.content, "{\"a\":1}");
    assert_eq!(plain.usage.prompt_tokens, 5);
    let parts = parse_reply(r#"{"choices":[{"message":{"content":[{"type":"text","text":"he"},{"type":"text","text":"llo"}]}}]}"#).unwrap();
    assert_eq!(parts.content, "hello");
    let tools = parse_reply(r#"{"choices":[{"message":{"content":null,"tool_calls":[{"type":"function","function":{"name":"describe_variable","arguments":"{\"name\":\"age\"}"}},{"id":"x","function":{"name":"list_variables","arguments":{"category":"Physical measures"}}}]}}]}"#).unwrap();
    assert_eq!(tools.tool_calls.len(), 2);
    assert_eq!(tools.tool_calls[0].id, "call_1");
    assert_eq!(tools.tool_calls[0].arguments["name"], "age");
    assert_eq!(
        tools.tool_calls[1].arguments["category"],
        "Physical measures"
    );
    let ollama = parse_reply(r#"{"message":{"role":"assistant","content":"ok"}}"#).unwrap();
    assert_eq!(ollama.content, "ok");
}

#[test]
fn truncated_and_empty_replies_are_retryable_errors() {
    let cut = parse_reply(r#"{"choices":[{"message":{"content":"{\"vo"#).unwrap_err();
    assert_eq!(cut.class, "invalid_reply");
    assert!(cut.retryable);
    let empty = parse_reply(r#"{"choices":[{"message":{"content":""}}]}"#).unwrap_err();
    assert_eq!(empty.class, "invalid_reply");
}

#[test]
fn a_reply_cut_at_the_token_limit_is_flagged_not_retried() {
    let cut = parse_reply(r#"{"choices":[{"message":{"content":"{\"votes\": [{\"variable\": \"age\", \"rationale\": \"age and"},"finish_reason":"length"}]}"#).unwrap();
    assert!(cut.truncated);
    let whole = parse_reply(r#"{"choices":[{"message":{"content":"{}"},"finish_reason":"stop"}]}"#)
        .unwrap();
    assert!(!whole.truncated);
    // Cut off before a word: still the length limit, not an empty reply to retry.
    assert!(
        parse_reply(r#"{"choices":[{"message":{"content":""},"finish_reason":"length"}]}"#)
            .unwrap()
            .truncated
    );
}

#[test]
fn every_request_carries_the_token_bound() {
    let backend = |max_tokens: u32| {
        OpenAiBackend::new(OpenAiConfig {
            api_key_env: String::new(),
            max_tokens,
            ..OpenAiConfig::default()
        })
        .unwrap()
    };
    let request = |max_tokens: u32| Request {
        agent: "a".into(),
        messages: vec![Message::user("hi")],
        tools: vec![],
        schema: json!({"type": "object"}),
        schema_name: "s".into(),
        temperature: 0.2,
        seed: 1,
        task: Value::Null,
        max_tokens,
    };
    assert_eq!(backend(0).body(&request(800))["max_tokens"], 800);
    assert_eq!(backend(300).body(&request(800))["max_tokens"], 300);
    assert_eq!(backend(300).body(&request(0))["max_tokens"], 300);
    assert!(backend(0).body(&request(0)).get("max_tokens").is_none());
}

#[test]
fn a_missing_key_names_the_variable_and_debug_never_shows_the_key() {
    let config = OpenAiConfig {
        api_key_env: "MESHAGENTS_TEST_SURELY_UNSET".into(),
        ..OpenAiConfig::default()
    };
    let err = OpenAiBackend::new(config).unwrap_err();
    assert!(err.message.contains("MESHAGENTS_TEST_SURELY_UNSET"));
    let backend = OpenAiBackend::new(OpenAiConfig {
        api_key_env: String::new(),
        ..OpenAiConfig::default()
    })
    .unwrap();
    assert!(!format!("{backend:?}").contains("sk-"));
}

#[test]
fn sampling_settings_are_sent_only_when_set() {
    let plain = backend(OpenAiConfig::default()).body(&request(vec![Message::user("hi")], vec![]));
    for key in ["top_p", "frequency_penalty", "presence_penalty"] {
        assert!(plain.get(key).is_none(), "{key} sent unset");
    }
    assert_eq!(
        plain["seed"], 7,
        "the protocol's seed when none is configured"
    );
    let set = backend(OpenAiConfig {
        top_p: Some(0.9),
        frequency_penalty: Some(0.5),
        presence_penalty: Some(-0.25),
        seed: Some(42),
        ..OpenAiConfig::default()
    })
    .body(&request(vec![Message::user("hi")], vec![]));
    assert_eq!(set["top_p"], 0.9);
    assert_eq!(set["frequency_penalty"], 0.5);
    assert_eq!(set["presence_penalty"], -0.25);
    assert_eq!(set["seed"], 42);
}

#[test]
fn out_of_range_settings_name_their_key() {
    let check = |config: OpenAiConfig| config.validate().map_err(|e| (e.key, e.to_string()));
    assert_eq!(check(OpenAiConfig::default()), Ok(()));
    // The default configuration with one setting out of its range.
    let with = |set: fn(&mut OpenAiConfig)| {
        let mut config = OpenAiConfig::default();
        set(&mut config);
        config
    };
    let cases = [
        (with(|c| c.top_p = Some(0.0)), "panel.openai.top_p"),
        (with(|c| c.top_p = Some(1.5)), "panel.openai.top_p"),
        (with(|c| c.top_p = Some(f64::NAN)), "panel.openai.top_p"),
        (
            with(|c| c.frequency_penalty = Some(2.5)),
            "panel.openai.frequency_penalty",
        ),
        (
            with(|c| c.presence_penalty = Some(-3.0)),
            "panel.openai.presence_penalty",
        ),
        (with(|c| c.temperature = -0.1), "panel.openai.temperature"),
    ];
    for (config, key) in cases {
        let (named, text) = check(config).unwrap_err();
        assert_eq!(named, key);
        assert!(text.contains(key), "{text}");
    }
    let edges = OpenAiConfig {
        top_p: Some(1.0),
        frequency_penalty: Some(-2.0),
        presence_penalty: Some(2.0),
        temperature: 0.0,
        ..OpenAiConfig::default()
    };
    assert_eq!(check(edges), Ok(()));
    // The backend refuses a bad configuration too, naming the key.
    let err = OpenAiBackend::new(OpenAiConfig {
        api_key_env: String::new(),
        top_p: Some(2.0),
        ..OpenAiConfig::default()
    })
    .unwrap_err();
    assert_eq!(err.class, "configuration");
    assert!(err.message.contains("panel.openai.top_p"));
}

#[test]
fn native_modes_send_tools_with_tool_choice_auto_and_calls_natively() {
    for mode in [StructuredOutput::JsonSchema, StructuredOutput::JsonObject] {
        let config = OpenAiConfig {
            structured_output: mode,
            ..OpenAiConfig::default()
        };
        let body = backend(config).body(&request(
            history_with_calls(),
            tools_for(&["describe_variable".into()]),
        ));
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(body["tools"][0]["function"]["name"], "describe_variable");
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages[2]["tool_calls"][1]["id"], "call_2");
        assert_eq!(messages[3]["role"], "tool");
        assert_eq!(messages[4]["tool_call_id"], "call_2");
        // No tools offered: neither key.
        let last = backend(OpenAiConfig::default()).body(&request(history_with_calls(), vec![]));
        assert!(last.get("tools").is_none() && last.get("tool_choice").is_none());
    }
}

#[test]
fn the_prompt_mode_describes_the_tools_and_sends_the_history_as_text() {
    let config = OpenAiConfig {
        structured_output: StructuredOutput::Prompt,
        ..OpenAiConfig::default()
    };
    let offered = tools_for(&["describe_variable".into(), "association_screen".into()]);
    let body = backend(config.clone()).body(&request(history_with_calls(), offered));
    assert!(body.get("tools").is_none(), "tools sent in the prompt mode");
    assert!(body.get("tool_choice").is_none() && body.get("response_format").is_none());
    let messages = body["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    // The two results are one user turn, so user and assistant turns alternate.
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert!(messages
        .iter()
        .all(|m| m.get("tool_calls").is_none() && m["content"].is_string()));
    let system = messages[0]["content"].as_str().unwrap();
    assert!(system.starts_with("You are the Statistician."), "{system}");
    assert!(
        system.contains("- describe_variable(name: string): Describe one variable:"),
        "{system}"
    );
    assert!(
        system.contains("- association_screen(variable: string, covariates?: string[]): "),
        "{system}"
    );
    assert!(
        system.contains(
            r#"<tool_call>{"name": "TOOL_NAME", "arguments": {"ARGUMENT": VALUE}}</tool_call>"#
        ),
        "{system}"
    );
    assert!(system.contains("one JSON object only"), "{system}");
    // The schema in words; its instance is shown at the end of the last message.
    assert!(
        system.contains(r#""summary" is text"#) || system.contains("of the shape shown"),
        "the schema: {system}"
    );
    assert!(!system.contains(r#""required""#), "no raw schema: {system}");
    assert_eq!(
        messages[2]["content"],
        "Checking two.\n<tool_call>{\"name\": \"describe_variable\", \"arguments\": {\"name\":\"age\"}}</tool_call>\n<tool_call>{\"name\": \"describe_variable\", \"arguments\": {\"name\":\"sex\"}}</tool_call>"
    );
    // The last message ends with the answer's shape, an instance of the schema.
    let results = messages[3]["content"].as_str().unwrap();
    let (results, shape) = results
        .split_once("\n\nYour final answer is one JSON object of exactly this shape")
        .expect("the shape is shown last");
    assert_eq!(
        results,
        "<tool_response>\n<data>\n{\"mean\":55}\n</data>\n</tool_response>\n<tool_response>\n<data>\n{\"levels\":2}\n</data>\n</tool_response>"
    );
    assert!(shape.ends_with(r#"{"summary":"..."}"#), "{shape}");
    // The turn without tools keeps the text history, describes no tool and says none can be
    // called.
    let last = backend(config).body(&request(history_with_calls(), vec![]));
    let system = last["messages"][0]["content"].as_str().unwrap();
    assert!(!system.contains("describe_variable("), "{system}");
    assert!(system.contains("No tools can be called"), "{system}");
    assert_eq!(last["messages"][3]["role"], "user");
    // ... and opens the answer for the model, which the server continues up to a blank line.
    assert_eq!(
        last["messages"][4],
        json!({"role": "assistant", "content": "{\"summary\":\""})
    );
    assert_eq!(last["continue_final_message"], true);
    assert_eq!(last["stop"], json!(["\n\n"]));
    // A turn with tools is not opened: the model may call one.
    let offered = tools_for(&["describe_variable".into()]);
    let with_tools = backend(OpenAiConfig {
        structured_output: StructuredOutput::Prompt,
        ..OpenAiConfig::default()
    })
    .body(&request(history_with_calls(), offered));
    assert_eq!(
        with_tools["messages"].as_array().unwrap().last().unwrap()["role"],
        "user"
    );
    assert!(with_tools.get("stop").is_none());
}

#[test]
fn the_opening_follows_the_schema_and_is_turned_off_by_prefill_false() {
    let votes = json!({"type": "object", "required": ["votes"], "properties": {
        "votes": {"type": "array"}, "summary": {"type": "string"}}});
    assert_eq!(prompt_mode::prefill(&votes), "{\"votes\":[");
    let optional_first = json!({"type": "object", "required": ["b"], "properties": {
        "a": {"type": "string"}, "b": {"type": "string"}}});
    assert_eq!(prompt_mode::prefill(&optional_first), "{");
    let number =
        json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "number"}}});
    assert_eq!(prompt_mode::prefill(&number), "{\"n\":");
    let off = backend(OpenAiConfig {
        structured_output: StructuredOutput::Prompt,
        prefill: false,
        ..OpenAiConfig::default()
    })
    .body(&request(history_with_calls(), vec![]));
    assert_eq!(
        off["messages"].as_array().unwrap().last().unwrap()["role"],
        "user"
    );
    assert!(off.get("stop").is_none() && off.get("continue_final_message").is_none());
    // The native modes never open an answer: their grammar already shapes it.
    let native = backend(OpenAiConfig::default()).body(&request(history_with_calls(), vec![]));
    assert!(native.get("stop").is_none());
}

#[test]
fn a_continued_answer_is_read_whole_whatever_the_server_returns() {
    let opening = "{\"votes\":[";
    let whole = r#"{"votes":[{"variable":"age"}]}"#;
    // llama.cpp: the opening with its continuation.
    assert_eq!(prompt_mode::continued(opening, whole), whole);
    // vLLM with continue_final_message: the continuation alone.
    assert_eq!(
        prompt_mode::continued(opening, r#"{"variable":"age"}]}"#),
        whole
    );
    // A server that answered afresh, with a sentence around its object.
    let fresh = r#"Here it is: {"votes": [{"variable": "age"}]}"#;
    assert_eq!(prompt_mode::continued(opening, fresh), fresh);
    // Nothing whole either way: the continuation is kept joined, for the repair turn to quote.
    assert_eq!(
        prompt_mode::continued(opening, r#"{"variable":"ag"#),
        r#"{"votes":[{"variable":"ag"#
    );
}

#[test]
fn the_prompt_mode_reads_back_the_calls_it_asked_for() {
    // What the prompt tells the model to write is what the reply reading recognises.
    let offered = tools_for(&["describe_variable".into()]);
    let written = prompt_mode::tag("describe_variable", &json!({"name": "age"}));
    let read = calls_for(reply(&format!("Checking.\n{written}"), vec![]), &offered);
    assert_eq!(read.tool_calls, vec![describe("call_1", "age")]);
    assert_eq!(read.content, "Checking.");
}

#[test]
fn text_calls_are_read_only_when_tools_were_offered() {
    let offered = tools_for(&["describe_variable".into()]);
    let text = r#"<tool_call>{"name": "describe_variable", "arguments": "{\"name\": \"age\"}"}</tool_call>"#;
    let read = calls_for(reply(text, vec![]), &offered);
    assert_eq!(read.tool_calls, vec![describe("call_1", "age")]);
    assert_eq!(read.content, "");
    // The last turn offers none: the text is left for the protocol to judge as an answer.
    let unread = calls_for(reply(text, vec![]), &[]);
    assert!(unread.tool_calls.is_empty());
    assert_eq!(unread.content, text);
    // A final answer with a `name` is an answer.
    let answer = r#"{"name": "describe_variable", "summary": "age"}"#;
    let kept = calls_for(reply(answer, vec![]), &offered);
    assert!(kept.tool_calls.is_empty());
    assert_eq!(kept.content, answer);
    // Native calls win over anything in the text.
    let native = calls_for(reply(text, vec![describe("n1", "sex")]), &offered);
    assert_eq!(native.tool_calls, vec![describe("n1", "sex")]);
    assert_eq!(native.content, text);
}

#[test]
fn calls_returned_when_no_tools_were_offered_are_dropped() {
    // A server that ignores the empty tool list: the calls would go unanswered, so they are
    // dropped and the (empty) content goes to the protocol, whose repair turn asks again.
    let dropped = calls_for(reply("", vec![describe("call_1", "age")]), &[]);
    assert!(dropped.tool_calls.is_empty());
    assert_eq!(dropped.content, "");
    let with_words = calls_for(
        reply("{\"summary\": \"s\"}", vec![describe("call_1", "age")]),
        &[],
    );
    assert!(with_words.tool_calls.is_empty());
    assert_eq!(with_words.content, "{\"summary\": \"s\"}");
    // Offered: passed on.
    let offered = tools_for(&["describe_variable".into()]);
    let kept = calls_for(reply("", vec![describe("call_1", "age")]), &offered);
    assert_eq!(kept.tool_calls.len(), 1);
}

#[test]
fn a_native_call_repeated_in_one_reply_is_kept_once() {
    let parsed = parse_reply(
        r#"{"choices":[{"message":{"content":null,"tool_calls":[
        {"id":"a","function":{"name":"describe_variable","arguments":"{\"name\":\"age\"}"}},
        {"id":"b","function":{"name":"describe_variable","arguments":{"name":"age"}}},
        {"id":"","function":{"name":"describe_variable","arguments":"{\"name\":\"sex\"}"}}]}}]}"#,
    )
    .unwrap();
    assert_eq!(
        parsed.tool_calls,
        vec![describe("a", "age"), describe("call_2", "sex")]
    );
}

#[test]
fn prefill_is_written_only_when_off_so_older_studies_keep_their_configuration() {
    let on = serde_json::to_value(OpenAiConfig::default()).unwrap();
    assert!(on.get("prefill").is_none(), "{on}");
    let back: OpenAiConfig = serde_json::from_value(on).unwrap();
    assert!(back.prefill);
    let off = OpenAiConfig {
        prefill: false,
        ..OpenAiConfig::default()
    };
    let written = serde_json::to_value(&off).unwrap();
    assert_eq!(written["prefill"], false);
    assert_eq!(
        serde_json::from_value::<OpenAiConfig>(written).unwrap(),
        off
    );
}
