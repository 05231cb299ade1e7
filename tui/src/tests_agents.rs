//! The agents in view (issue 17, item 3), without a terminal: Enter on a vote and its round's
//! table, tool results as rounded tables, the round labels, the step's progress, and the
//! approval gate's tally; a few screens rendered onto ratatui's `TestBackend`.

use std::path::PathBuf;

use ratatui::crossterm::event::KeyCode;
use serde_json::{json, Value};

use crate::app::{App, Detail, Effect, Msg, Screen};
use crate::model::{step_clock, PanelData, PanelLine, StepClock};
use crate::tables::{json_lines, sig3};
use crate::tests::{draw, key};
use crate::votes::{elapsed, round_tag, round_title, tallies, Progress, RoundTable};

fn line(round: u32, agent: &str, kind: &str, text: &str, data: Value) -> PanelLine {
    PanelLine {
        stage: "confounders".into(),
        round,
        agent: agent.into(),
        kind: kind.into(),
        text: text.into(),
        data,
    }
}

fn vote(variable: &str, include: bool, confidence: f64, rationale: &str) -> Value {
    json!({"variable": variable, "include": include, "role": "confounder",
           "confidence": confidence, "rationale": rationale})
}

/// A meeting as the events file holds it: proposals in round 0, two rounds of votes by two
/// agents with a tool call each, agreement lines, and the chair's decision.
fn meeting() -> PanelData {
    let screen = json!({"adjusted_for": ["sex"], "pairs": {"total": 20746, "informative_abs_r": 0.2722024000130747},
        "candidates": [
            {"variable": "age", "share_moved": 0.8114942528735632, "pairs_moved": 353},
            {"variable": "bmi", "share_moved": 1.1102230246251565e-16, "pairs_moved": 0}]});
    let mut lines = vec![line(
        0,
        "alice",
        "proposal",
        "Stepwise search: adjust for age.",
        json!({"proposals": [{"variable": "age", "reason": "age precedes every exposure"}]}),
    )];
    for round in 1..=2 {
        for (agent, bmi) in [("alice", round == 2), ("bob", false)] {
            let key = format!("panel/confounders/r{round}/{agent}/call1/tool1");
            lines.push(line(
                round,
                agent,
                "tool_call",
                "confounder_screen({})",
                json!({"key": key, "name": "confounder_screen", "arguments": {"top": 10}}),
            ));
            lines.push(line(
                round,
                agent,
                "tool_result",
                &screen.to_string(),
                json!({"key": key, "result": screen}),
            ));
            lines.push(line(
                round,
                agent,
                "proposal",
                "Adjust for: age.",
                json!({"votes": [
                    vote("age", true, 0.9, &format!("{agent} r{round}: age moves 353 pairs")),
                    vote("bmi", bmi, 0.6, &format!("{agent} r{round}: bmi is a proxy")),
                ]}),
            ));
        }
        lines.push(line(
            round,
            "panel",
            "agreement",
            "round",
            json!({"round": round, "kappa": 0.5, "answered": ["alice", "bob"]}),
        ));
    }
    lines.push(line(0, "chair", "decision", "The panel adjusts for age.", json!({"items": [
        {"variable": "age", "include": true, "votes_for": ["alice", "bob"], "votes_against": [],
         "weighted_score": 1.8, "reason": "adjust: 2 for, 0 against",
         "evidence": ["panel/confounders/r2/alice/call1/tool1", "panel/confounders/r2/bob/call1/tool1"]},
        {"variable": "bmi", "include": false, "votes_for": ["alice"], "votes_against": ["bob"],
         "weighted_score": 0.0, "reason": "do not adjust: a tie does not adjust", "evidence": []}]})));
    PanelData {
        lines,
        steps_done: 3,
        steps_total: 10,
        max_rounds: Some(3),
        step: Some(StepClock {
            step: "panel/confounders".into(),
            started_ms: 1_000,
            ended_ms: None,
        }),
        now_ms: 1_000 + 83_000,
        ..PanelData::default()
    }
}

fn panel_app(data: PanelData) -> App {
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Panel {
        dir: "/r/s".into(),
        data,
    });
    app
}

#[test]
fn numbers_are_rounded_to_three_significant_digits() {
    assert_eq!(sig3(0.2722024000130747), "0.272");
    assert_eq!(sig3(0.8114942528735632), "0.811");
    assert_eq!(sig3(1.1102230246251565e-16), "1.11e-16");
    assert_eq!(sig3(20746.0), "20746");
    assert_eq!(sig3(2.5), "2.5");
    assert_eq!(sig3(-1.49), "-1.49");
    assert_eq!(sig3(123.456), "123");
    assert_eq!(sig3(0.0), "0");
}

#[test]
fn a_tool_result_is_tables_with_aligned_columns_and_no_long_numbers() {
    let data = meeting();
    let result = &data.lines[2].data["result"];
    let text = json_lines(result, 80, None);
    let all = text.join("\n");
    assert!(!all.contains("0.8114942528735632"), "{all}");
    assert!(!all.contains('{'), "no JSON left: {all}");
    assert!(all.contains("informative_abs_r  0.272"), "{all}");
    let header = text
        .iter()
        .position(|l| l.contains("variable") && l.contains("share_moved"))
        .expect("a header row");
    let age = &text[header + 2];
    let bmi = &text[header + 3];
    assert!(
        age.contains("age") && age.contains("0.811") && age.contains("353"),
        "{age}"
    );
    assert!(bmi.contains("1.11e-16"), "{bmi}");
    // Numbers are right aligned: both rows end in the same column.
    assert_eq!(age.chars().count(), bmi.chars().count(), "{all}");
    // Too narrow for every column: blocks that repeat the first column, none wider.
    let narrow = json_lines(result, 30, Some(1));
    assert!(narrow.iter().all(|l| l.chars().count() <= 30), "{narrow:?}");
    assert!(
        narrow
            .iter()
            .filter(|l| l.trim_start().starts_with("variable"))
            .count()
            >= 2
    );
    assert!(
        narrow.iter().any(|l| l.contains("1 more row (Enter: all)")),
        "{narrow:?}"
    );
}

#[test]
fn rounds_are_labelled_by_what_they_are() {
    let data = meeting();
    let decision = data.lines.last().expect("decision");
    assert_eq!(round_tag(decision, Some(3)), "dec");
    assert_eq!(
        round_title(decision, Some(3)),
        "stage A, confounders: the chair's decision"
    );
    assert_eq!(round_tag(&data.lines[0], Some(3)), "prop");
    assert!(round_title(&data.lines[0], None).contains("proposals"));
    assert_eq!(round_tag(&data.lines[1], Some(3)), "1/3");
    assert_eq!(
        round_title(&data.lines[1], Some(3)),
        "stage A, confounders: round 1 of at most 3"
    );
    assert_eq!(round_tag(&data.lines[1], None), "r1");
}

#[test]
fn progress_counts_the_round_the_answers_and_the_step_time() {
    let mut data = meeting();
    let p = Progress::of(&data);
    assert_eq!((p.step.as_str(), p.running), ("panel/confounders", true));
    assert_eq!(elapsed(p.elapsed_ms), "1m 23s");
    assert_eq!(
        (p.round, p.max_rounds, p.answered, p.voters),
        (2, Some(3), 2, 2)
    );
    // Mid-round: bob has not answered round 2 yet.
    let bob_r2 = data
        .lines
        .iter()
        .rposition(|l| l.agent == "bob" && l.kind == "proposal")
        .expect("bob's vote");
    data.lines.truncate(bob_r2);
    let p = Progress::of(&data);
    assert_eq!((p.round, p.answered, p.voters), (2, 1, 2));
    data.step = Some(StepClock {
        step: "panel/confounders".into(),
        started_ms: 0,
        ended_ms: Some(4_200),
    });
    let p = Progress::of(&data);
    assert!(!p.running);
    assert_eq!(elapsed(p.elapsed_ms), "4.2s");
    assert_eq!(elapsed(3_725_000), "1h 02m");
}

#[test]
fn the_step_clock_is_the_running_plan_step_not_a_call_within_it() {
    let events: Vec<meshagents_engine::EventLine> = [
        json!({"seq": 0, "kind": "event", "step": "study/plan", "at_ms": 5, "body": {"study": "study", "steps": ["data/clean", "panel/confounders"]}}),
        json!({"seq": 1, "kind": "step_started", "step": "data/clean", "at_ms": 10}),
        json!({"seq": 2, "kind": "step_completed", "step": "data/clean", "at_ms": 20}),
        json!({"seq": 3, "kind": "step_started", "step": "panel/confounders", "at_ms": 30}),
        json!({"seq": 4, "kind": "step_started", "step": "panel/confounders/r1/alice/call1", "at_ms": 40}),
        json!({"seq": 5, "kind": "step_completed", "step": "panel/confounders/r1/alice/call1", "at_ms": 50}),
    ]
    .into_iter()
    .map(|v| serde_json::from_value(v).expect("an event line"))
    .collect();
    let clock = step_clock(&events).expect("a clock");
    assert_eq!(clock.step, "panel/confounders");
    assert_eq!((clock.started_ms, clock.ended_ms), (30, None));
    let done = step_clock(&events[..3]).expect("a clock");
    assert_eq!(
        (done.step.as_str(), done.ended_ms),
        ("data/clean", Some(20))
    );
}

#[test]
fn enter_on_a_vote_opens_every_agents_answers_in_its_round() {
    let mut app = panel_app(meeting());
    let p = app.panel.as_ref().expect("panel");
    // Folded: each agent's tool call and result are one item.
    let items = p.items();
    assert_eq!(items[1].len(), 2, "{items:?}");
    // From the decision (following), up past the agreement to bob's round-2 vote.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    let detail = app.panel.as_ref().and_then(|p| p.detail.clone());
    assert_eq!(
        detail,
        Some(Detail::Round {
            stage: "confounders".into(),
            round: 2,
            selected: 0,
            scroll: 0
        })
    );
    let table = RoundTable::of(
        &app.panel.as_ref().expect("panel").data.lines,
        "confounders",
        2,
    );
    assert_eq!(table.agents, vec!["alice", "bob"]);
    assert_eq!(table.items, vec!["age", "bmi"]);
    assert_eq!(
        table.cell("bmi", "alice").map(|o| o.short.as_str()),
        Some("yes")
    );
    assert_eq!(
        table.cell("bmi", "bob").map(|o| o.confidence),
        Some(Some(0.6))
    );
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("round 2 of at most 3"), "{screen}");
    assert!(screen.contains("alice r2: age moves 353 pairs"), "{screen}");
    assert!(screen.contains("bob r2: age moves 353 pairs"), "{screen}");
    key(&mut app, KeyCode::PageDown);
    assert!(matches!(
        app.panel.as_ref().and_then(|p| p.detail.clone()),
        Some(Detail::Round { scroll: 5, .. })
    ));
    key(&mut app, KeyCode::Down);
    assert!(matches!(
        app.panel.as_ref().and_then(|p| p.detail.clone()),
        Some(Detail::Round {
            selected: 1,
            scroll: 0,
            ..
        })
    ));
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("bob r2: bmi is a proxy"), "{screen}");
    assert!(screen.contains("yes 0.60"), "{screen}");
    // Left: the same variable a round earlier; then to the proposals of round 0.
    key(&mut app, KeyCode::Left);
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("bob r1: bmi is a proxy"), "{screen}");
    key(&mut app, KeyCode::Left);
    assert!(matches!(
        app.panel.as_ref().and_then(|p| p.detail.clone()),
        Some(Detail::Round {
            round: 0,
            selected: 0,
            ..
        })
    ));
    assert!(draw(&app, 100, 30).contains("age precedes every exposure"));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Panel, "Esc closes the detail only");
    assert_eq!(app.panel.as_ref().and_then(|p| p.detail.clone()), None);
}

#[test]
fn enter_on_a_tool_run_shows_its_result_as_tables_and_the_panel_shows_progress() {
    let mut app = panel_app(meeting());
    let screen = draw(&app, 110, 40);
    assert!(screen.contains("running 1m 23s"), "{screen}");
    assert!(screen.contains("confounders round 2 of 3"), "{screen}");
    assert!(screen.contains("answered 2 of 2"), "{screen}");
    assert!(
        screen.contains("── stage A, confounders: the chair's decision ──"),
        "{screen}"
    );
    assert!(!screen.contains(" r0 "), "{screen}");
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.panel.as_ref().and_then(|p| p.detail.clone()),
        Some(Detail::Lines { ref lines, scroll: 0 }) if lines == &vec![1, 2]
    ));
    let screen = draw(&app, 110, 40);
    assert!(screen.contains("informative_abs_r  0.272"), "{screen}");
    assert!(!screen.contains("0.2722024"), "{screen}");
    key(&mut app, KeyCode::Esc);
    // Unfolded, the result is inline, rounded.
    key(&mut app, KeyCode::Char('t'));
    let screen = draw(&app, 110, 60);
    assert!(screen.contains("0.811"), "{screen}");
    assert!(!screen.contains("0.8114942"), "{screen}");
}

#[test]
fn the_approval_gate_reads_the_transcript_for_the_tally_and_evidence() {
    let mut app = App::new(PathBuf::from("/r"));
    let effects = app.update(Msg::Proposal {
        dir: "/r/w".into(),
        proposed: vec!["age".into()],
        candidates: vec!["bmi".into(), "age".into(), "sbp".into()],
        agreement: 0.5,
    });
    assert_eq!(effects, vec![Effect::LoadPanel("/r/w".into())]);
    let effects = app.update(Msg::Panel {
        dir: "/r/w".into(),
        data: meeting(),
    });
    assert!(effects.is_empty());
    assert_eq!(app.screen, Screen::Approval, "the gate stays open");
    let a = app.approval.as_ref().expect("gate");
    let t = a.tallies();
    assert_eq!(t[0].as_ref().map(|t| t.votes_for.len()), Some(1));
    assert_eq!(t[1].as_ref().map(|t| t.weighted_score), Some(1.8));
    assert_eq!(t[2], None, "sbp is not tallied");
    assert_eq!(tallies(&a.panel.lines).len(), 2);
    key(&mut app, KeyCode::Down);
    let screen = draw(&app, 100, 40);
    assert!(screen.contains("+1.8"), "{screen}");
    assert!(
        screen.contains("for alice, bob; against nobody"),
        "{screen}"
    );
    assert!(screen.contains("alice r2"), "evidence rows: {screen}");
    assert!(screen.contains("0.811"), "{screen}");
    assert!(screen.contains("alice r2: age moves 353 pairs"), "{screen}");
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.approval.as_ref().map(|a| a.scroll), Some(5));
    key(&mut app, KeyCode::Up);
    assert_eq!(app.approval.as_ref().map(|a| a.scroll), Some(0));
}
