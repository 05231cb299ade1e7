//! A scripted OpenAI-compatible model server as a real process, for the tests of
//! `[panel.server]` (tests/model_server.rs): the study starts it, polls its health path, sends
//! it the panel's calls, and stops (or loses) it. Not part of the product.
//!
//! fake-model-server --port N --log FILE [--startup-ms MS] [--exit-at-total N]
//!                   [--hold FILE [--hold-after N]]
//!
//! --log            one JSON line per event (listening, received, answered), appended, so the
//!                  lines of every run of a study add up in one file
//! --startup-ms     /health answers 503 for this long, as a server loading its model does
//! --exit-at-total  exits (status 3) right after answering the N-th request counted over the
//!                  whole log: the first run dies mid-study, a restarted one does not
//! --hold           while FILE exists, answers wait (logged as `held`, so a test knows a call
//!                  is in flight without guessing at timing); bounded to 600 s
//! --hold-after     only requests that arrive after this many answers (over the log) wait

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "../common/http.rs"]
mod http;
#[path = "../common/scripted.rs"]
mod scripted;
use http::read_request;

struct Options {
    port: u16,
    log: PathBuf,
    startup: Duration,
    exit_at_total: Option<usize>,
    hold: Option<PathBuf>,
    hold_after: usize,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut port, mut log, mut startup, mut exit_at_total, mut hold, mut hold_after) =
        (None, None, Duration::ZERO, None, None, 0);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => port = Some(value()?.parse().map_err(|e| format!("--port: {e}"))?),
            "--log" => log = Some(PathBuf::from(value()?)),
            "--startup-ms" => {
                startup = Duration::from_millis(
                    value()?.parse().map_err(|e| format!("--startup-ms: {e}"))?,
                )
            }
            "--exit-at-total" => {
                exit_at_total = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--exit-at-total: {e}"))?,
                )
            }
            "--hold" => hold = Some(PathBuf::from(value()?)),
            "--hold-after" => {
                hold_after = value()?.parse().map_err(|e| format!("--hold-after: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Options {
        port: port.ok_or("--port is required")?,
        log: log.ok_or("--log is required")?,
        startup,
        exit_at_total,
        hold,
        hold_after,
    })
}

struct Server {
    options: Options,
    started: Instant,
    log: Mutex<std::fs::File>,
    /// Requests answered, over every run that shared the log.
    answered: AtomicUsize,
    answering: Mutex<()>,
}

impl Server {
    fn log(&self, line: Value) {
        if let Ok(mut file) = self.log.lock() {
            let _ = writeln!(file, "{line}");
        }
    }

    fn handle(&self, mut stream: TcpStream) {
        let Ok(clone) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(clone);
        let Some((head, body)) = read_request(&mut reader) else {
            return;
        };
        let path = head
            .first()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_default();
        if path == "/health" {
            let (status, text) = if self.started.elapsed() < self.options.startup {
                (503, json!({"status": "loading model"}))
            } else {
                (200, json!({"status": "ok"}))
            };
            scripted::respond(&mut stream, status, "", &text.to_string());
            return;
        }
        if path != "/v1/chat/completions" {
            scripted::respond(&mut stream, 404, "", "{}");
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let step = scripted::step_of(&body);
        let pid = std::process::id();
        self.log(json!({"event": "received", "step": step, "pid": pid}));
        let holding = self.answered.load(Ordering::SeqCst) >= self.options.hold_after;
        if let Some(hold) = self.options.hold.as_ref().filter(|h| holding && h.exists()) {
            self.log(json!({"event": "held", "step": step, "pid": pid}));
            let until = Instant::now() + Duration::from_secs(600);
            while hold.exists() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // One answer at a time: an exit at the N-th answer cannot cut another between its
        // bytes and its log line, so the log says exactly which answers left.
        let _answering = self.answering.lock();
        scripted::respond(&mut stream, 200, "", &scripted::script(&body).to_string());
        let _ = stream.flush();
        let total = self.answered.fetch_add(1, Ordering::SeqCst) + 1;
        self.log(json!({"event": "answered", "step": step, "pid": pid, "total": total}));
        if self.options.exit_at_total == Some(total) {
            // The answer is in the socket's buffer; the kernel delivers it after exit.
            drop(stream);
            std::process::exit(3);
        }
    }
}

fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fake-model-server: {e}");
            std::process::exit(2);
        }
    };
    let answered = std::fs::read_to_string(&options.log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"event\":\"answered\""))
        .count();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&options.log)
        .unwrap_or_else(|e| {
            eprintln!("fake-model-server: {}: {e}", options.log.display());
            std::process::exit(2);
        });
    let listener = TcpListener::bind(("127.0.0.1", options.port)).unwrap_or_else(|e| {
        eprintln!("fake-model-server: port {}: {e}", options.port);
        std::process::exit(2);
    });
    eprintln!("fake-model-server: loading the model");
    let server: &'static Server = Box::leak(Box::new(Server {
        started: Instant::now(),
        log: Mutex::new(log),
        answered: AtomicUsize::new(answered),
        answering: Mutex::new(()),
        options,
    }));
    server
        .log(json!({"event": "listening", "pid": std::process::id(), "port": server.options.port}));
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || server.handle(stream));
    }
}
