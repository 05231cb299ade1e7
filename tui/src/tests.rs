//! State transitions without a terminal, and rendering onto ratatui's `TestBackend`.

use std::path::PathBuf;

use meshagents_workflows::StudyState;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEventKind};
use ratatui::Terminal;
use serde_json::json;

use crate::app::{App, Dialog, Effect, Msg, Screen, SortKey};
use crate::model::{AssociationTable, PanelData, PanelLine, StudyRow};

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn study(name: &str, state: StudyState, has_results: bool) -> StudyRow {
    StudyRow {
        dir: PathBuf::from("/r").join(name),
        name: name.into(),
        state,
        steps_done: 3,
        steps_total: 7,
        backend: "embedded".into(),
        started_ms: Some(1_796_023_472_974),
        last_event: "panel/transcript (agreement)".into(),
        resumable: true,
        has_results,
        steps: [
            "data/clean",
            "screen/candidates",
            "panel/confounders",
            "phewas/adjusted",
            "report/summary",
        ]
        .map(|k| (k.to_string(), format!("the {k} step")))
        .to_vec(),
        parent: None,
    }
}

const TABLE: &str = "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note\n\
LVEDV,smoking,Lifestyle,linear,100,,,0.1,0.1,-0.1,0.3,1,0.3,0.52,0.5,1,ok,\n\
LVEF,age_first,Early life,linear,100,,,-0.9,0.1,-1.1,-0.7,9,1e-9,9,1e-8,1e-7,ok,\n\
AAo,smoking,Lifestyle,linear,100,,,0.4,0.1,0.2,0.6,4,0.01,2,0.02,0.5,ok,\n";

/// A file `name` holding `body` in a new temporary directory (which lives as long as the
/// returned handle).
fn temp_file(name: &str, body: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join(name);
    std::fs::write(&path, body).expect(name);
    (tmp, path)
}

/// `TABLE` as the study's owner of `associations.csv` reads it.
fn table() -> AssociationTable {
    let (tmp, _) = temp_file("associations.csv", TABLE);
    crate::model::load_associations(tmp.path()).expect("reads")
}

/// An app on the study list of `/r` that shows `studies`.
fn app_with_studies(studies: Vec<StudyRow>) -> App {
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Studies(studies));
    app
}

/// An app showing the live panel of `/r/a` with `data`.
fn app_with_panel(data: PanelData) -> App {
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Panel {
        dir: "/r/a".into(),
        data,
    });
    app
}

fn app_with_results() -> App {
    let mut app = App::new(PathBuf::from("/r"));
    let table = table();
    app.update(Msg::Results {
        dir: PathBuf::from("/r/a"),
        table,
    });
    app
}

/// The screen `app` draws on a `w` x `h` terminal, as text (also for `tests_filter`).
pub(crate) fn draw(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| crate::view::render(app, f))
        .expect("draws");
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..h {
        for x in 0..w {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn q_quits_and_question_mark_opens_help_that_any_key_closes() {
    let mut app = App::new(PathBuf::from("/r"));
    assert!(key(&mut app, KeyCode::Char('?')).is_empty());
    assert!(app.help);
    key(&mut app, KeyCode::Char('x'));
    assert!(!app.help);
    assert_eq!(key(&mut app, KeyCode::Char('q')), vec![Effect::Quit]);
    assert!(app.quit);
}

#[test]
fn list_moves_opens_by_state_and_guards_actions() {
    let mut app = app_with_studies(vec![
        study("done", StudyState::Finished, true),
        study("waits", StudyState::AwaitingApproval, false),
        study("busy", StudyState::Running { pid: 1 }, false),
        study("halted", StudyState::Stopped, false),
    ]);
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::LoadResults("/r/done".into())]
    );
    assert!(
        key(&mut app, KeyCode::Char('r')).is_empty(),
        "a finished study is not resumed"
    );
    key(&mut app, KeyCode::Down);
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::LoadProposal("/r/waits".into())]
    );
    key(&mut app, KeyCode::Down);
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::LoadPanel("/r/busy".into())]
    );
    // Another process runs it: read-only, no pause, no delete.
    assert!(key(&mut app, KeyCode::Char('s')).is_empty());
    assert!(app.status.contains("another process"));
    assert!(key(&mut app, KeyCode::Char('d')).is_empty());
    assert_eq!(app.dialog, None);
    assert!(
        key(&mut app, KeyCode::Char('x')).is_empty(),
        "no cancel either"
    );
    // Started by this TUI: pause and cancel send their signals.
    app.update(Msg::Children(vec!["/r/busy".into()]));
    assert_eq!(
        key(&mut app, KeyCode::Char('s')),
        vec![Effect::Pause("/r/busy".into())]
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('x')),
        vec![Effect::Cancel("/r/busy".into())]
    );
    key(&mut app, KeyCode::Down);
    assert_eq!(
        key(&mut app, KeyCode::Char('r')),
        vec![Effect::Resume("/r/halted".into())]
    );
    // f opens the fork dialog at the PheWAS step; Enter forks from there, unchanged, as
    // `<parent>-fork`, and opens the fork's live panel.
    assert!(key(&mut app, KeyCode::Char('f')).is_empty());
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![
            Effect::Fork {
                dir: "/r/halted".into(),
                from: "phewas/adjusted".into(),
                settings: vec![],
                name: "halted-fork".into(),
                out: "/r/halted-fork".into(),
            },
            Effect::RefreshStudies,
            Effect::LoadPanel("/r/halted-fork".into()),
        ]
    );
    assert_eq!(app.dialog, None);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected, 3, "selection stops at the last study");
}

#[test]
fn fork_chooses_its_step_and_takes_changed_settings() {
    let mut app = app_with_studies(vec![study("done", StudyState::Finished, true)]);
    assert!(key(&mut app, KeyCode::Char('f')).is_empty());
    // The name has the keyboard first; Tab moves to the settings.
    key(&mut app, KeyCode::Tab);
    // Up twice: from phewas/adjusted to screen/candidates; Up at the top stays there.
    for _ in 0..2 {
        key(&mut app, KeyCode::Up);
    }
    // Letters are the settings, not keys: q neither quits nor leaves the dialog.
    for c in "model=linear, transform=rintq".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(!app.quit);
    key(&mut app, KeyCode::Backspace);
    match &app.dialog {
        Some(Dialog::Fork(d)) => {
            assert_eq!(d.selected, 1);
            assert_eq!(d.settings, "model=linear, transform=rint");
        }
        other => panic!("the fork dialog is open: {other:?}"),
    }
    assert_eq!(
        key(&mut app, KeyCode::Enter)[0],
        Effect::Fork {
            dir: "/r/done".into(),
            from: "screen/candidates".into(),
            settings: vec!["model=linear".into(), "transform=rint".into()],
            name: "done-fork".into(),
            out: "/r/done-fork".into(),
        }
    );
    // Esc leaves without forking.
    key(&mut app, KeyCode::Char('f'));
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.dialog, None);
    assert_eq!(app.status, "not forked");
}

#[test]
fn delete_asks_first() {
    let mut app = app_with_studies(vec![study("old", StudyState::Stopped, false)]);
    assert!(key(&mut app, KeyCode::Char('d')).is_empty());
    assert_eq!(app.dialog, Some(Dialog::ConfirmDelete("/r/old".into())));
    // q inside the dialog neither quits nor deletes.
    assert!(key(&mut app, KeyCode::Char('q')).is_empty());
    assert!(!app.quit);
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!(app.dialog, None);
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(
        key(&mut app, KeyCode::Char('y')),
        vec![Effect::Delete("/r/old".into()), Effect::RefreshStudies]
    );
}

#[test]
fn results_sort_filter_and_export_the_rows_shown() {
    let mut app = app_with_results();
    assert_eq!(app.screen, Screen::Results);
    let r = app.results.as_ref().expect("results");
    assert_eq!(
        r.current().map(|a| a.factor.as_str()),
        Some("age_first"),
        "smallest p first"
    );
    key(&mut app, KeyCode::Char('s'));
    let r = app.results.as_ref().expect("results");
    assert_eq!(r.sort, SortKey::Effect);
    assert_eq!(r.current().map(|a| a.beta), Some(-0.9), "largest |z| first");
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(
        app.results
            .as_ref()
            .and_then(|r| r.current())
            .map(|a| a.phenotype.as_str()),
        Some("AAo")
    );
    key(&mut app, KeyCode::Char('/'));
    assert!(app.typing());
    typed(&mut app, "smok");
    key(&mut app, KeyCode::Enter);
    assert!(!app.typing());
    let r = app.results.as_ref().expect("results");
    assert_eq!(r.visible.len(), 2);
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.dialog, Some(Dialog::Export));
    let visible = app
        .results
        .as_ref()
        .map(|r| r.visible.clone())
        .unwrap_or_default();
    assert_eq!(
        key(&mut app, KeyCode::Char('t')),
        vec![Effect::Export {
            path: "/r/a/associations.smok.tsv".into(),
            format: crate::model::ExportFormat::Tsv,
            rows: visible,
            overwrite: false,
        }]
    );
    // Esc clears a filter being typed; then Esc goes back to the list.
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.results.as_ref().map(|r| r.visible.len()), Some(3));
    assert_eq!(key(&mut app, KeyCode::Esc), vec![Effect::RefreshStudies]);
    assert_eq!(app.screen, Screen::List);
}

fn panel_line(agent: &str, kind: &str, text: &str, data: serde_json::Value) -> PanelLine {
    PanelLine {
        stage: "confounders".into(),
        round: 1,
        agent: agent.into(),
        kind: kind.into(),
        text: text.into(),
        data,
    }
}

fn panel_data() -> PanelData {
    PanelData {
        lines: vec![
            panel_line(
                "cardiologist",
                "tool_call",
                "change_in_estimate({\"candidate\":\"age\"})",
                json!({"name": "change_in_estimate"}),
            ),
            panel_line(
                "cardiologist",
                "tool_result",
                "",
                json!({"result": {"column": "age"}}),
            ),
            panel_line(
                "statistician",
                "proposal",
                "Adjust for: sex, height.",
                json!({"votes": [1, 2]}),
            ),
            panel_line(
                "panel",
                "agreement",
                "round 1: kappa 0.66",
                json!({"kappa": 0.66, "answered": ["a", "b"]}),
            ),
            panel_line("chair", "decision", "adjust for age, sex", json!({})),
        ],
        steps_done: 3,
        steps_total: 7,
        calls: 12,
        prompt_tokens: 3400,
        completion_tokens: 560,
        cost_usd: 0.0123,
        events: 20,
    }
}

#[test]
fn panel_tabs_cycle_over_agents_and_the_chair_and_ticks_reload() {
    let mut app = app_with_panel(panel_data());
    assert_eq!(app.screen, Screen::Panel);
    let agents = app
        .panel
        .as_ref()
        .map(|p| p.data.agents())
        .unwrap_or_default();
    assert_eq!(agents, vec!["cardiologist", "statistician", "chair"]);
    for expected in [1, 2, 3, 0] {
        key(&mut app, KeyCode::Tab);
        assert_eq!(app.panel.as_ref().map(|p| p.tab), Some(expected));
    }
    key(&mut app, KeyCode::Up);
    assert_eq!(
        app.panel.as_ref().map(|p| p.follow),
        Some(false),
        "scrolling up stops following"
    );
    for _ in 0..50 {
        key(&mut app, KeyCode::Up);
    }
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.panel.as_ref().map(|p| p.scroll),
        Some(4),
        "clamped to the lines there are"
    );
    key(&mut app, KeyCode::End);
    assert_eq!(app.panel.as_ref().map(|p| p.follow), Some(true));
    assert_eq!(
        app.update(Msg::Tick),
        vec![Effect::LoadPanel("/r/a".into())]
    );
    assert_eq!(app.panel.as_ref().map(|p| p.data.meters().len()), Some(1));
}

#[test]
fn approval_toggles_candidates_and_approves_the_edited_set() {
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Proposal {
        dir: "/r/w".into(),
        proposed: vec!["age".into(), "sex".into()],
        candidates: vec!["age".into(), "sex".into(), "bmi".into()],
        agreement: 0.7,
    });
    assert_eq!(app.screen, Screen::Approval);
    key(&mut app, KeyCode::Char(' ')); // age off
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' ')); // bmi on
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![
            Effect::Approve {
                dir: "/r/w".into(),
                covariates: vec!["sex".into(), "bmi".into()]
            },
            Effect::LoadPanel("/r/w".into())
        ]
    );
}

#[test]
fn mouse_wheel_moves_and_click_selects() {
    let mut app = app_with_studies(vec![
        study("a", StudyState::Finished, true),
        study("b", StudyState::Stopped, false),
        study("c", StudyState::Stopped, false),
    ]);
    app.update(Msg::Mouse {
        kind: MouseEventKind::ScrollDown,
        row: 0,
    });
    assert_eq!(app.selected, 1);
    app.update(Msg::Mouse {
        kind: MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
        row: crate::app::TABLE_TOP + 2,
    });
    assert_eq!(app.selected, 2);
}

#[test]
fn render_list_shows_studies_with_status_and_an_empty_root_explains_itself() {
    let mut app = App::new(PathBuf::from("/r"));
    let empty = draw(&app, 80, 24);
    assert!(empty.contains("No study here yet"), "{empty}");
    assert!(empty.contains("Press n"));
    app.update(Msg::Studies(vec![
        study("done", StudyState::Finished, true),
        study("waits", StudyState::AwaitingApproval, false),
    ]));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("studies under /r"), "{screen}");
    assert!(screen.contains("done"));
    assert!(screen.contains("finished"));
    assert!(screen.contains("awaiting approval"));
    assert!(screen.contains("3/7"));
    assert!(screen.contains("2026-"), "start time as a date: {screen}");
}

#[test]
fn render_results_table_detail_manhattan_and_help() {
    let mut app = app_with_results();
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("3 of 3 associations, sorted by p"),
        "{screen}"
    );
    assert!(screen.contains("age_first"));
    assert!(screen.contains("LVEF ~ age_first"), "detail pane: {screen}");
    assert!(screen.contains("95% CI"));
    key(&mut app, KeyCode::Char('m'));
    let plot = draw(&app, 100, 30);
    assert!(plot.contains("-log10 p"), "{plot}");
    assert!(plot.contains("Bonferroni"), "{plot}");
    key(&mut app, KeyCode::Char('?'));
    let help = draw(&app, 100, 30);
    assert!(help.contains("Manhattan plot / table"), "{help}");
}

#[test]
fn render_panel_and_wizard() {
    let mut app = app_with_panel(panel_data());
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("cardiologist"), "{screen}");
    assert!(screen.contains("DECISION adjust for age, sex"));
    assert!(screen.contains("VOTE Adjust for: sex, height. (2 votes)"));
    assert!(screen.contains("0.66"), "agreement meter: {screen}");
    assert!(screen.contains("$0.0123"));
    assert!(!screen.contains("<- "), "tool results folded: {screen}");
    assert!(
        screen.contains("1 tool call: change_in_estimate"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('t'));
    assert!(draw(&app, 100, 30).contains("<- "));
    let mut app = App::new(PathBuf::from("/r"));
    key(&mut app, KeyCode::Char('n'));
    let wizard = draw(&app, 80, 24);
    assert!(wizard.contains("new study: 1/6 files"), "{wizard}");
    assert!(wizard.contains("dictionary"));
}

#[test]
fn transcript_wraps_long_messages_under_the_speaker() {
    let mut data = panel_data();
    let long = "Adjust for age because it precedes every exposure and drives chamber volumes and aortic stiffening across the whole cohort";
    data.lines
        .push(panel_line("statistician", "message", long, json!({})));
    let app = app_with_panel(data);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("statistician  Adjust for age"), "{screen}");
    assert!(
        screen.contains("stiffening"),
        "the end of the message is on screen: {screen}"
    );
    assert!(screen.contains("chair"), "every tab fits: {screen}");
}

#[test]
fn small_terminals_get_a_message_not_a_panic() {
    let mut app = app_with_results();
    for (w, h) in [(79, 24), (80, 23), (20, 5), (1, 1), (0, 0)] {
        let screen = draw(&app, w, h);
        if w >= 20 {
            assert!(screen.contains("terminal too"), "{w}x{h}: {screen}");
        }
    }
    key(&mut app, KeyCode::Char('m'));
    draw(&app, 80, 24);
    app.update(Msg::Panel {
        dir: "/r/a".into(),
        data: panel_data(),
    });
    draw(&app, 80, 24);
}

#[test]
fn wizard_writes_a_study_toml_the_cli_reads_back() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("cohort.csv");
    let dictionary = tmp.path().join("dictionary.csv");
    std::fs::write(&data, "eid,age\n1,50\n").expect("data");
    std::fs::write(
        &dictionary,
        "column,category,role\neid,Identifier,id\nage,Demo,covariate\n",
    )
    .expect("dictionary");
    let plan = crate::app::WizardPlan {
        dir: tmp.path().join("studies/s1"),
        name: "s1".into(),
        data: data.clone(),
        dictionary: Some(dictionary),
        phenotypes: "imaging".into(),
        factors: "Diet,Smoking".into(),
        covariates: "covariate".into(),
        fix_covariates: false,
        openai_model: Some("qwen2.5:14b".into()),
        rounds: 4,
        seed: 7,
        approve: true,
    };
    crate::runtime::write_study(&plan).expect("writes STUDY.toml");
    let config = meshagents_workflows::StudyConfig::read(&plan.dir.join("STUDY.toml"))
        .expect("the CLI's reader accepts it");
    assert_eq!(config.name, "s1");
    assert_eq!(config.factors, "Diet,Smoking");
    assert_eq!(config.candidates, "covariate");
    assert_eq!(config.covariates, None);
    assert_eq!(config.panel.backend, "openai");
    assert_eq!(config.panel.openai.model, "qwen2.5:14b");
    assert_eq!(config.panel.protocol.max_rounds, 4);
    assert_eq!(config.panel.protocol.seed, 7);
    assert!(config.panel.approve);
    assert_eq!(
        config.data,
        std::fs::canonicalize(&data).expect("canonical")
    );
}

#[test]
fn runtime_resumes_as_a_child_and_pause_sends_sigint() {
    use std::os::unix::fs::PermissionsExt;
    // A stand-in for `meshagents study run`: it records its arguments and, like the real one,
    // exits 130 on SIGINT.
    let (tmp, exe) = temp_file(
        "fake-meshagents",
        "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args\"\ntrap 'exit 130' INT\nwhile :; do sleep 0.05; done\n",
    );
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let dir = tmp.path().join("root/s");
    std::fs::create_dir_all(&dir).expect("study dir");
    let mut rt = crate::runtime::Runtime::new(tmp.path().join("root"), exe);
    let reply = rt.perform(Effect::Resume(dir.clone()));
    assert!(
        matches!(reply, Some(Msg::Info(ref s)) if s.starts_with("running")),
        "{reply:?}"
    );
    assert_eq!(rt.app.children, vec![dir.clone()]);
    // The child has started once it has written its arguments.
    let args_file = tmp.path().join("args");
    while !std::fs::read_to_string(&args_file).is_ok_and(|a| a.ends_with('\n')) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let args = std::fs::read_to_string(&args_file).expect("args");
    assert_eq!(
        args.trim(),
        format!(
            "study run {}/STUDY.toml --out {} --headless",
            dir.display(),
            dir.display()
        )
    );
    rt.perform(Effect::Pause(dir.clone()));
    while !rt.app.children.is_empty() {
        rt.reap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        rt.app.status.contains("paused: r resumes"),
        "{}",
        rt.app.status
    );
}

#[test]
fn the_classification_table_opens_from_the_results_when_the_study_has_one() {
    let mut app = app_with_results();
    key(&mut app, KeyCode::Char('c'));
    assert!(
        app.status.contains("no classification.csv"),
        "{}",
        app.status
    );
    let (_tmp, path) = temp_file(
        "classification.csv",
        "disease,arm,classifier,n,n_cases,auc,auc_ci_low,auc_ci_high,delong_p,recall,precision,f1,balanced_accuracy\n\
hypertension,panel,logistic,3000,763,0.74512,0.7261,0.7652,0.0081,0.661,0.433,0.523,0.683\n\
hypertension,expert,logistic,3000,763,0.7341,0.714,0.754,0.0081,0.65,0.42,0.51,0.67\n",
    );
    let classification =
        meshagents_stats::classify::read_classification(&path).expect("the owner reads it");
    assert_eq!(
        crate::model::classification_cells(&classification[0])[5],
        "0.745"
    );
    if let Some(r) = app.results.as_mut() {
        r.table.classification = classification;
    }
    key(&mut app, KeyCode::Char('c'));
    assert!(app.results.as_ref().is_some_and(|r| r.classification));
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("classification, 2 rows"), "{screen}");
    assert!(screen.contains("0.745 (0.726-0.765)"), "{screen}");
    assert!(screen.contains("expert"), "{screen}");
    key(&mut app, KeyCode::Down);
    assert_eq!(app.results.as_ref().map(|r| r.class_selected), Some(1));
    key(&mut app, KeyCode::Esc);
    assert!(app.results.as_ref().is_some_and(|r| !r.classification));
    assert_eq!(
        app.screen,
        crate::app::Screen::Results,
        "Esc leaves the table, not the results"
    );
}

#[test]
fn live_panel_shows_proposals_as_they_arrive() {
    let mut data = panel_data();
    let mut proposal = panel_line(
        "statistician",
        "candidate_proposal",
        "proposes 6138-2.0 (added): moves 31% of pairs",
        json!({"agent": "statistician", "round": 0, "variable": "6138-2.0", "status": "added", "reason": "moves 31% of the informative pairs", "adopted": false}),
    );
    proposal.round = 0;
    data.lines.insert(0, proposal);
    data.lines.insert(
        1,
        panel_line(
            "chair",
            "merge",
            "new candidates: 6138-2.0; the panel votes on 10 candidates",
            json!({"added": ["6138-2.0"]}),
        ),
    );
    let app = app_with_panel(data);
    let screen = draw(&app, 120, 30);
    assert!(
        screen.contains("PROPOSES 6138-2.0 [added]: moves 31% of the informative pairs"),
        "{screen}"
    );
    assert!(
        screen.contains("MERGE new candidates: 6138-2.0"),
        "{screen}"
    );
}
