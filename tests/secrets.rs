//! The API key never leaves the environment, even when the model server says it back: a 401
//! that names the refused key, a proxy's error page that quotes the `Authorization` header,
//! and a "successful" reply that repeats the key. Through the real binary, against a server in
//! the test; after each run, neither its output nor any file of the study holds the key.

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;

mod common;
use common::http::read_request;
use common::scripted::respond;
use common::{bin, files_containing, openai_table, panel_cohort, panel_study, text};

const KEY: &str = "sk-proj-SECRET-9f31c7-never-shown";

/// How the server answers every request.
#[derive(Clone, Copy)]
enum Echo {
    /// 401 naming the refused key, as OpenAI does.
    Refused,
    /// 502 with an HTML page that quotes the request's headers.
    ProxyPage,
    /// 200 with an answer whose text repeats the key and the header.
    Repeated,
}

fn answer(mut stream: TcpStream, echo: Echo) {
    let Some((head, _)) = read_request(&mut BufReader::new(stream.try_clone().unwrap())) else {
        return;
    };
    let authorization = head
        .iter()
        .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
        .map(|l| l.trim_end().to_string())
        .unwrap_or_default();
    assert!(authorization.ends_with(KEY), "the key is sent: {head:?}");
    match echo {
        Echo::Refused => respond(
            &mut stream,
            401,
            "",
            &format!(
                r#"{{"error":{{"message":"Incorrect API key provided: {KEY}. You can find your API key at https://example.invalid.","type":"invalid_request_error","code":"invalid_api_key"}}}}"#
            ),
        ),
        Echo::ProxyPage => respond(
            &mut stream,
            502,
            "",
            &format!("<html><body>upstream failed for request with {authorization}</body></html>"),
        ),
        Echo::Repeated => {
            let content = format!("I was called with {KEY} ({authorization}).");
            let body = serde_json::json!({
                "id": "x",
                "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
            });
            respond(&mut stream, 200, "", &body.to_string());
        }
    }
}

/// A server on loopback answering every request as `echo` says; its base URL.
fn server(echo: Echo) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, echo));
        }
    });
    url
}

fn study(dir: &Path, url: &str) {
    panel_cohort(dir);
    let openai = r#"timeout_s = 5
requests_per_minute = 0

[panel.retry]
initial_interval = 20
maximum_interval = 50
maximum_attempts = 2
"#;
    let toml = panel_study("secret", "openai")
        + &openai_table(url, "echo", "MESHAGENTS_TEST_SECRET_KEY")
        + openai;
    std::fs::write(dir.join("STUDY.toml"), toml).unwrap();
}

fn run(echo: Echo, args: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    study(dir.path(), &server(echo));
    let o = bin()
        .current_dir(dir.path())
        .env("MESHAGENTS_TEST_SECRET_KEY", KEY)
        .args(args)
        .output()
        .unwrap();
    (dir, o)
}

fn assert_nowhere(dir: &Path, o: &Output) {
    assert!(
        !text(o).contains(KEY),
        "the key in the output:\n{}",
        text(o)
    );
    let leaked = files_containing(dir, KEY.as_bytes());
    assert!(leaked.is_empty(), "the key in {leaked:?}");
}

#[test]
fn a_server_that_echoes_the_key_never_gets_it_into_output_or_files() {
    for echo in [Echo::Refused, Echo::ProxyPage, Echo::Repeated] {
        let (dir, o) = run(echo, &["study", "run", "STUDY.toml"]);
        // Every one of these ends the panel: refused, failing, or answering nonsense.
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        // What the server said is kept, with the key cut out of it.
        match echo {
            Echo::Repeated => assert!(
                !files_containing(dir.path(), b"[redacted]").is_empty(),
                "the reply is journaled, redacted"
            ),
            _ => assert!(text(&o).contains("[redacted]"), "{}", text(&o)),
        }
        assert_nowhere(dir.path(), &o);
        // Nor do the study's status and its events as JSON.
        for args in [
            vec!["study", "status", "meshagents-out/secret"],
            vec!["study", "status", "meshagents-out/secret", "--json"],
        ] {
            let s = bin().current_dir(dir.path()).args(&args).output().unwrap();
            assert_nowhere(dir.path(), &s);
        }
    }
}
