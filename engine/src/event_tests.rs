//! Each variant against the JSON the code wrote before the type existed: the `json!`
//! expressions of the old producers, and literal lines as old studies hold them.

use std::path::PathBuf;

use serde_json::json;

use super::{ArrayEvent, Event, ServerEvent, TaskFailure};

/// Serialises `event` and checks it against the old text, then reads the old text back.
fn same_bytes(event: &Event, old: &serde_json::Value, literal: &str) {
    let old_text = serde_json::to_string(old).expect("old json");
    assert_eq!(old_text, literal, "the old producer's text");
    assert_eq!(serde_json::to_string(event).expect("event"), literal);
    assert_eq!(
        serde_json::to_value(event).expect("event as value"),
        *old,
        "the journal's payload"
    );
    let read: Event = serde_json::from_str(literal).expect("old line reads");
    assert_eq!(&read, event);
}

#[test]
fn plan() {
    let steps = vec!["cohort/simulate", "data/clean"];
    same_bytes(
        &Event::Plan {
            study: "demo".into(),
            steps: steps.iter().map(|s| s.to_string()).collect(),
        },
        &json!({ "study": "demo", "steps": steps }),
        r#"{"study":"demo","steps":["cohort/simulate","data/clean"]}"#,
    );
}

#[test]
fn retry() {
    let (number, class, message, wait_ms) = (2u32, "http_503", "busy", 1500u64);
    same_bytes(
        &Event::retry(number, class, message, wait_ms),
        &json!({
            "kind": "retry",
            "attempt": number,
            "class": class,
            "message": message,
            "wait_ms": wait_ms,
        }),
        r#"{"kind":"retry","attempt":2,"class":"http_503","message":"busy","wait_ms":1500}"#,
    );
}

fn submitted() -> ArrayEvent {
    ArrayEvent::Submitted {
        job_id: "41".into(),
        tasks: vec![0, 2],
        number: 1,
        reattached: false,
    }
}

fn task_failed() -> ArrayEvent {
    ArrayEvent::TaskFailed {
        failure: TaskFailure {
            task: 2,
            job_id: "41".into(),
            state: "FAILED".into(),
            attempts: 1,
            log: PathBuf::from("/w/logs/0-2.log"),
        },
        retrying: true,
    }
}

fn progress() -> ArrayEvent {
    ArrayEvent::Progress {
        done: 1,
        running: 2,
        pending: 0,
        tasks: 3,
    }
}

#[test]
fn slurm_in_the_journal() {
    same_bytes(
        &Event::Array(submitted()),
        &json!({"event": "submitted", "job_id": "41", "tasks": [0, 2], "number": 1, "reattached": false}),
        r#"{"event":"submitted","job_id":"41","tasks":[0,2],"number":1,"reattached":false}"#,
    );
    same_bytes(
        &Event::Array(task_failed()),
        &json!({"event": "task_failed", "task": 2, "job_id": "41", "state": "FAILED", "attempts": 1, "log": "/w/logs/0-2.log", "retrying": true}),
        r#"{"event":"task_failed","task":2,"job_id":"41","state":"FAILED","attempts":1,"log":"/w/logs/0-2.log","retrying":true}"#,
    );
    same_bytes(
        &Event::Array(progress()),
        &json!({"event": "progress", "done": 1, "running": 2, "pending": 0, "tasks": 3}),
        r#"{"event":"progress","done":1,"running":2,"pending":0,"tasks":3}"#,
    );
}

#[test]
fn slurm_live() {
    let event = progress();
    same_bytes(
        &Event::Slurm {
            step: None,
            slurm: event.clone(),
        },
        &json!({ "slurm": event }),
        r#"{"slurm":{"event":"progress","done":1,"running":2,"pending":0,"tasks":3}}"#,
    );
    let event = submitted();
    let step = "phewas/adjusted";
    same_bytes(
        &Event::Slurm {
            step: Some(step.into()),
            slurm: event.clone(),
        },
        &json!({ "step": step, "slurm": event }),
        r#"{"step":"phewas/adjusted","slurm":{"event":"submitted","job_id":"41","tasks":[0,2],"number":1,"reattached":false}}"#,
    );
}

#[test]
fn merged() {
    let (shards, array_seconds, merge_seconds, family_size) = (3usize, 12.0, 0.25, 600usize);
    let old = json!({ "event": "merged", "shards": shards, "array_seconds": array_seconds, "merge_seconds": merge_seconds, "family_size": family_size });
    same_bytes(
        &Event::merged(None, shards, array_seconds, merge_seconds, family_size),
        &old,
        r#"{"event":"merged","shards":3,"array_seconds":12.0,"merge_seconds":0.25,"family_size":600}"#,
    );
    // The old code put the step first, then the rest.
    let mut with_step = json!({ "step": "phewas/adjusted" });
    if let (Some(w), Some(b)) = (with_step.as_object_mut(), old.as_object()) {
        w.extend(b.clone());
    }
    same_bytes(
        &Event::merged(
            Some("phewas/adjusted"),
            shards,
            array_seconds,
            merge_seconds,
            family_size,
        ),
        &with_step,
        r#"{"step":"phewas/adjusted","event":"merged","shards":3,"array_seconds":12.0,"merge_seconds":0.25,"family_size":600}"#,
    );
}

#[test]
fn model_server() {
    let (command, port, pid, log) = (
        "srv --port 4000",
        4000u16,
        77u32,
        PathBuf::from("/d/logs/model-server.log"),
    );
    let healthy_after_s = (2.04f64 * 10.0).round() / 10.0;
    same_bytes(
        &ServerEvent::Started {
            command: command.into(),
            port,
            pid,
            healthy_after_s,
            log: log.clone(),
        }
        .into(),
        &json!({"model_server": {
            "event": "started",
            "command": command,
            "port": port,
            "pid": pid,
            "healthy_after_s": healthy_after_s,
            "log": log,
        }}),
        r#"{"model_server":{"event":"started","command":"srv --port 4000","port":4000,"pid":77,"healthy_after_s":2.0,"log":"/d/logs/model-server.log"}}"#,
    );
    let status = "signal: 9 (SIGKILL)".to_string();
    for pid in [Some(pid), None] {
        let literal = format!(
            r#"{{"model_server":{{"event":"exited","pid":{},"status":"signal: 9 (SIGKILL)","log":"/d/logs/model-server.log"}}}}"#,
            pid.map_or("null".to_string(), |p| p.to_string())
        );
        same_bytes(
            &ServerEvent::Exited {
                pid,
                status: status.clone(),
                log: log.clone(),
            }
            .into(),
            &json!({"model_server": {"event": "exited", "pid": pid, "status": status, "log": log}}),
            &literal,
        );
    }
    for status in [Some("exit status: 0".to_string()), None] {
        let literal = format!(
            r#"{{"model_server":{{"event":"stopped","pid":77,"port":4000,"status":{}}}}}"#,
            status
                .as_ref()
                .map_or("null".to_string(), |s| format!("\"{s}\""))
        );
        same_bytes(
            &ServerEvent::Stopped {
                pid,
                port,
                status: status.clone(),
            }
            .into(),
            &json!({"model_server": {"event": "stopped", "pid": pid, "port": port, "status": status}}),
            &literal,
        );
    }
}

#[test]
fn transcript() {
    let line = r#"{"stage":"confounders","round":0,"agent":"cardiologist","kind":"tool_call","text":"confounder_screen({\"adjusted_for\":[],\"top\":40})","data":{"key":"panel/confounders/r0/cardiologist/call1/tool1","name":"confounder_screen","arguments":{"adjusted_for":[],"top":40}}}"#;
    let value: serde_json::Value = serde_json::from_str(line).expect("line");
    same_bytes(&Event::Transcript(value.clone()), &value, line);
    // An agreement line has a number where a retry has one, but not a retry's kind.
    let agreement = r#"{"stage":"confounders","round":1,"agent":"panel","kind":"agreement","text":"kappa 0.66","data":{"kappa":0.66,"answered":["a","b"]}}"#;
    let value: serde_json::Value = serde_json::from_str(agreement).expect("line");
    same_bytes(&Event::Transcript(value.clone()), &value, agreement);
}

#[test]
fn events_file_lines_read_typed() {
    let line = r#"{"seq":0,"kind":"event","step":"study/plan","at_ms":1796102061366,"body":{"study":"demo","steps":["cohort/simulate","data/clean"]}}"#;
    let read: crate::EventLine = serde_json::from_str(line).expect("line");
    assert!(matches!(read.body, Some(Event::Plan { ref study, .. }) if study == "demo"));
    assert_eq!(serde_json::to_string(&read).expect("line"), line);
    let line = r#"{"seq":3,"kind":"step_completed","step":"data/clean","at_ms":1796102061400}"#;
    let read: crate::EventLine = serde_json::from_str(line).expect("line");
    assert_eq!(read.body, None);
    assert_eq!(serde_json::to_string(&read).expect("line"), line);
}
