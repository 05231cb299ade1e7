//! A model call that was answered is never paid for twice, even when the study is killed while
//! another call of the same turn is still waiting: through the real binary, against a scripted
//! OpenAI-compatible server in the test that answers three agents at once and keeps the fourth
//! waiting; the study is SIGKILLed once the three answers are in, then resumed, and the server
//! must never see those three calls again.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::http::read_request;
use common::scripted::{agent_of, respond, script, step_of};
use common::{bin, openai_table, panel_cohort, panel_study, text};

/// Answers every request from the script; while `hold` is set, the Statistician's calls wait
/// (until released or two minutes pass). Counts the answers given per journal step.
struct Server {
    url: String,
    answered: Arc<Mutex<BTreeMap<String, usize>>>,
    hold: Arc<AtomicBool>,
}

fn serve(mut stream: TcpStream, answered: &Mutex<BTreeMap<String, usize>>, hold: &AtomicBool) {
    let Some((_, body)) = read_request(&mut BufReader::new(stream.try_clone().unwrap())) else {
        return;
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if agent_of(&body) == "Statistician" {
        let until = Instant::now() + Duration::from_secs(120);
        while hold.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let reply = script(&body).to_string();
    respond(&mut stream, 200, "", &reply);
    *answered.lock().unwrap().entry(step_of(&body)).or_default() += 1;
}

fn start() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let answered = Arc::new(Mutex::new(BTreeMap::new()));
    let hold = Arc::new(AtomicBool::new(true));
    let (a, h) = (answered.clone(), hold.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (a, h) = (a.clone(), h.clone());
            std::thread::spawn(move || serve(stream, &a, &h));
        }
    });
    Server {
        url,
        answered,
        hold,
    }
}

fn study(dir: &Path, url: &str) {
    panel_cohort(dir);
    let openai = r#"structured_output = "json_schema"
timeout_s = 300
requests_per_minute = 0
concurrency = 4

[panel.retry]
start_to_close = 300000
schedule_to_close = 600000
"#;
    let toml = panel_study("kill", "openai") + &openai_table(url, "scripted-model", "") + openai;
    std::fs::write(dir.join("STUDY.toml"), toml).unwrap();
}

#[test]
fn answers_that_came_back_before_a_kill_are_not_asked_for_again() {
    let server = start();
    let dir = tempfile::tempdir().unwrap();
    study(dir.path(), &server.url);

    let mut child = bin()
        .current_dir(dir.path())
        .args(["study", "run", "STUDY.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first turn: four agents asked at once, three answered, one held.
    let until = Instant::now() + Duration::from_secs(120);
    let first: Vec<String> = loop {
        let answered: Vec<String> = server.answered.lock().unwrap().keys().cloned().collect();
        if answered.len() >= 3 {
            break answered;
        }
        assert!(child.try_wait().unwrap().is_none(), "the study ended early");
        assert!(
            Instant::now() < until,
            "three answers never came: {answered:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        first.iter().all(|k| !k.contains("statistician")),
        "{first:?}"
    );
    // Long enough for the binary to read the answers and journal them; the held call keeps
    // the turn open, so before the fix nothing of it was on disk yet.
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();

    server.hold.store(false, Ordering::SeqCst);
    let resumed = bin()
        .current_dir(dir.path())
        .args(["study", "run", "STUDY.toml"])
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed));
    let answered = server.answered.lock().unwrap().clone();
    for key in &first {
        assert_eq!(answered[key], 1, "{key} was asked for again: {answered:?}");
    }
    assert!(answered.keys().any(|k| k.contains("statistician")));
}
