//! The wizard (column pickers, name clashes as typed, the STUDY.toml preview, the live panel
//! after Enter), the named fork, and the compare view: state transitions without a terminal,
//! and rendering onto ratatui's `TestBackend`.

use std::path::PathBuf;

use meshagents_stats::phewas::{read_associations, AssociationRow};
use meshagents_workflows::StudyState;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::compare::compare;
use crate::app::{App, Assign, Dialog, Effect, Msg, Screen, WizardStep};
use crate::model::{DictCategory, DictColumn, StudyRow, WizardDictionary};
use crate::tests::draw;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn row(name: &str, parent: Option<&str>) -> StudyRow {
    StudyRow {
        dir: PathBuf::from("/root").join(name),
        name: name.into(),
        state: StudyState::Finished,
        steps_done: 6,
        steps_total: 6,
        backend: "embedded".into(),
        started_ms: None,
        last_event: "-".into(),
        resumable: true,
        has_results: true,
        steps: vec![("phewas/adjusted".into(), "the PheWAS".into())],
        parent: parent.map(|p| PathBuf::from("/root").join(p)),
    }
}

fn dictionary() -> WizardDictionary {
    let cat = |name: &str, role: &str, whole_role| DictCategory {
        name: name.into(),
        role: role.into(),
        columns: 2,
        whole_role,
    };
    let col = |name: &str, description: &str, category: &str, role: &str| DictColumn {
        name: name.into(),
        description: description.into(),
        category: category.into(),
        role: role.into(),
    };
    WizardDictionary {
        categories: vec![
            cat("imaging", "imaging", true),
            cat("factor", "factor", true),
            cat("covariate", "covariate", true),
            cat("Demographics", "covariate", false),
            cat("Lifestyle", "factor", false),
        ],
        columns: vec![
            col(
                "LVEF",
                "Left ventricular ejection fraction",
                "Heart",
                "imaging",
            ),
            col("smoking", "Current tobacco smoking", "Lifestyle", "factor"),
            col("coffee", "Coffee intake", "Lifestyle", "factor"),
            col("age", "Age at recruitment", "Demographics", "covariate"),
            col("sex", "Sex", "Demographics", "covariate"),
            col("bmi", "Body mass index", "Demographics", "covariate"),
        ],
    }
}

/// The list of `/root` showing a study `taken`, with the wizard at its first step.
fn wizard_app() -> App {
    let mut app = App::new(PathBuf::from("/root"));
    app.update(Msg::Studies(vec![row("taken", None)]));
    press(&mut app, KeyCode::Char('n'));
    app
}

fn clear_name(app: &mut App) {
    for _ in 0..40 {
        press(app, KeyCode::Backspace);
    }
}

#[test]
fn a_taken_name_shows_at_once_and_keeps_the_wizard_in_the_name_field() {
    let mut app = wizard_app();
    clear_name(&mut app);
    type_text(&mut app, "Taken");
    let w = app.wizard.as_ref().expect("wizard");
    assert_eq!(
        w.clash.as_deref(),
        Some("a study named taken exists: choose another name")
    );
    // Neither Tab nor Enter goes on while the name is taken.
    assert!(press(&mut app, KeyCode::Tab).is_empty());
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.wizard.as_ref().map(|w| w.field), Some(0));
    let screen = draw(&app, 100, 24);
    assert!(
        screen.contains("a study named taken exists"),
        "shown under the name:\n{screen}"
    );
    type_text(&mut app, "2");
    assert_eq!(app.wizard.as_ref().and_then(|w| w.clash.clone()), None);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.wizard.as_ref().map(|w| w.field), Some(1));
}

#[test]
fn pickers_search_and_pick_single_covariates_then_preview_and_open_the_live_panel() {
    let mut app = wizard_app();
    clear_name(&mut app);
    type_text(&mut app, "New q");
    assert!(!app.quit, "q is text in a field");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "/d/cohort.csv");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "/d/dictionary.csv");
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Effect::CheckFiles {
            data: "/d/cohort.csv".into(),
            dictionary: "/d/dictionary.csv".into()
        }]
    );
    app.update(Msg::Dictionary(Ok(dictionary())));
    let w = app.wizard.as_ref().expect("wizard");
    assert_eq!(w.step, WizardStep::Pick(Assign::Phenotype));
    // Each page starts from the CLI's default: its whole role.
    assert_eq!(w.list(Assign::Phenotype), "imaging");
    assert_eq!(w.list(Assign::Factor), "factor");
    assert_eq!(w.list(Assign::Covariate), "covariate");
    press(&mut app, KeyCode::Enter);
    // Factors: typing searches descriptions too ("tobacco" is only in smoking's); Space
    // picks it, and the whole role is unpicked.
    assert_eq!(
        app.wizard.as_ref().map(|w| w.step),
        Some(WizardStep::Pick(Assign::Factor))
    );
    press(&mut app, KeyCode::Char(' '));
    type_text(&mut app, "tobacco");
    let w = app.wizard.as_ref().expect("wizard");
    let p = w.picker(Assign::Factor).expect("page");
    assert_eq!(p.visible.len(), 1);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Esc); // clears the search, stays on the page
    let w = app.wizard.as_ref().expect("wizard");
    assert_eq!(w.step, WizardStep::Pick(Assign::Factor));
    assert_eq!(w.list(Assign::Factor), "smoking");
    press(&mut app, KeyCode::Enter);
    // Covariates: the panel chooses by default; two single covariates, found by category
    // and by id, replace the whole role.
    press(&mut app, KeyCode::Char(' '));
    type_text(&mut app, "age");
    press(&mut app, KeyCode::Char(' '));
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "sex");
    press(&mut app, KeyCode::Char(' '));
    let w = app.wizard.as_ref().expect("wizard");
    let p = w.picker(Assign::Covariate).expect("page");
    assert_eq!(p.counts(&w.items), (2, 2));
    assert_eq!(w.list(Assign::Covariate), "age,sex");
    assert!(!w.fix_covariates, "the panel chooses by default");
    let screen = draw(&app, 100, 24);
    assert!(
        screen.contains("picked: 2 (2 columns) -> candidates"),
        "{screen}"
    );
    assert!(screen.contains("[x]") && screen.contains("Sex"), "{screen}");
    press(&mut app, KeyCode::Tab); // fixed: no panel
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.wizard.as_ref().map(|w| w.step), Some(WizardStep::Panel));
    let effects = press(&mut app, KeyCode::Enter);
    let Some(Effect::PreviewStudy(plan)) = effects.first() else {
        panic!("Enter asks for the preview first: {effects:?}")
    };
    assert_eq!(plan.dir, PathBuf::from("/root/new-q"));
    assert_eq!(
        (plan.phenotypes.as_str(), plan.factors.as_str()),
        ("imaging", "smoking")
    );
    assert_eq!(plan.covariates, "age,sex");
    assert!(plan.fix_covariates);
    let toml = "# written by `meshagents tui`\nname = \"New q\"\n".to_string()
        + &(0..40).map(|i| format!("k{i} = {i}\n")).collect::<String>();
    app.update(Msg::Preview {
        plan: plan.clone(),
        toml: Ok(toml.clone()),
    });
    assert_eq!(
        app.wizard.as_ref().map(|w| w.step),
        Some(WizardStep::Preview)
    );
    let screen = draw(&app, 100, 24);
    assert!(screen.contains("preview of STUDY.toml"), "{screen}");
    assert!(screen.contains("name = \"New q\""), "{screen}");
    for _ in 0..5 {
        press(&mut app, KeyCode::Down);
    }
    let screen = draw(&app, 100, 24);
    assert!(
        screen.contains("k10 = 10") && !screen.contains("k0 = 0"),
        "{screen}"
    );
    // Enter writes the text previewed, starts the study and opens its live panel.
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![
            Effect::CreateStudy {
                plan: plan.clone(),
                toml
            },
            Effect::RefreshStudies,
            Effect::LoadPanel("/root/new-q".into()),
        ]
    );
    // Back on the list, the new study is selected once the list shows it.
    app.update(Msg::Studies(vec![row("taken", None)]));
    app.update(Msg::Studies(vec![row("aaa", None), row("new-q", None)]));
    assert_eq!(app.selected, 1);
}

#[test]
fn nothing_picked_as_covariates_is_none_and_single_covariates_are_written_as_picked() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("cohort.csv");
    std::fs::write(&data, "eid,age\n1,50\n").expect("data");
    let mut plan = crate::app::WizardPlan {
        dir: tmp.path().join("s"),
        name: "s".into(),
        data,
        dictionary: None,
        phenotypes: "imaging".into(),
        factors: "factor".into(),
        covariates: "age,sex".into(),
        fix_covariates: false,
        openai_model: None,
        rounds: 3,
        seed: 1,
        approve: false,
    };
    let read = |text: &str| {
        let path = tmp.path().join("STUDY.toml");
        std::fs::write(&path, text).expect("writes");
        meshagents_workflows::StudyConfig::read(&path).expect("the CLI reads it")
    };
    let config = read(&crate::runtime::study_toml(&plan).expect("text"));
    assert_eq!(
        (config.candidates.as_str(), config.covariates),
        ("age,sex", None)
    );
    plan.fix_covariates = true;
    let config = read(&crate::runtime::study_toml(&plan).expect("text"));
    assert_eq!(config.covariates.as_deref(), Some("age,sex"));
    plan.covariates.clear();
    plan.fix_covariates = false;
    let config = read(&crate::runtime::study_toml(&plan).expect("text"));
    assert_eq!(config.covariates.as_deref(), Some("none"));
}

#[test]
fn dictionary_lists_roles_first_then_categories_by_majority_role_and_its_columns() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("dictionary.csv");
    std::fs::write(
        &path,
        "column,field_id,description,category,value_type,coding,role\n\
eid,,id,Identifier,integer,\"\",id\n\
age,1,\"Age, years\",Primary demographics,continuous,\"\",covariate\n\
sex,2,Sex,Primary demographics,binary,\"\",covariate\n\
town,3,Town,Primary demographics,continuous,\"\",factor\n\
LVEF,4,LVEF,Left ventricle,continuous,\"\",imaging\n",
    )
    .expect("dictionary");
    let d = crate::model::load_dictionary(&path).expect("reads");
    let names: Vec<(&str, &str, usize, bool)> = d
        .categories
        .iter()
        .map(|c| (c.name.as_str(), c.role.as_str(), c.columns, c.whole_role))
        .collect();
    assert_eq!(
        names,
        vec![
            ("imaging", "imaging", 1, true),
            ("factor", "factor", 1, true),
            ("covariate", "covariate", 2, true),
            ("Primary demographics", "covariate", 3, false),
            ("Left ventricle", "imaging", 1, false),
        ]
    );
    let columns: Vec<(&str, &str)> = d
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.description.as_str()))
        .collect();
    assert_eq!(
        columns,
        vec![
            ("age", "Age, years"),
            ("sex", "Sex"),
            ("town", "Town"),
            ("LVEF", "LVEF")
        ]
    );
}

#[test]
fn a_fork_is_named_checked_as_typed_then_selected_with_its_live_panel() {
    let mut app = App::new(PathBuf::from("/root"));
    app.update(Msg::Studies(vec![
        row("base", None),
        row("base-fork", None),
    ]));
    press(&mut app, KeyCode::Char('f'));
    let Some(Dialog::Fork(d)) = &app.dialog else {
        panic!("the fork dialog opens")
    };
    assert_eq!(d.name, "base-fork2", "the first free <parent>-fork name");
    assert_eq!(d.clash, None);
    for _ in 0.."2".len() {
        press(&mut app, KeyCode::Backspace);
    }
    let Some(Dialog::Fork(d)) = &app.dialog else {
        panic!("still open")
    };
    assert_eq!(
        d.clash.as_deref(),
        Some("a study named base-fork exists: choose another name")
    );
    assert!(draw(&app, 100, 30).contains("a study named base-fork exists"));
    assert!(press(&mut app, KeyCode::Enter).is_empty(), "a taken name");
    assert!(app.dialog.is_some());
    for _ in 0.."fork".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "rint");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "transform=rint");
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![
            Effect::Fork {
                dir: "/root/base".into(),
                from: "phewas/adjusted".into(),
                settings: vec!["transform=rint".into()],
                name: "base-rint".into(),
                out: "/root/base-rint".into(),
            },
            Effect::RefreshStudies,
            Effect::LoadPanel("/root/base-rint".into()),
        ]
    );
    app.update(Msg::Studies(vec![
        row("base", None),
        row("base-fork", None),
        row("base-rint", Some("base")),
    ]));
    assert_eq!(app.selected, 2, "the fork is selected");
}

const BASE: &str = "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note\n\
LVEF,smoking,Lifestyle,linear,100,,,0.50,0.1,0.3,0.7,5,1e-6,6,1e-5,1e-4,ok,\n\
LVEF,coffee,Lifestyle,linear,100,,,0.10,0.1,-0.1,0.3,1,0.3,0.5,0.5,1,ok,\n\
LVEF,af,Medical,logistic,100,10,90,1.2,0.3,0.6,1.8,4,1e-4,4,1e-3,0.01,ok,\n\
AAo,smoking,Lifestyle,linear,100,,,0.30,0.1,0.1,0.5,3,0.003,2.5,0.01,0.06,ok,\n";

const FORK: &str = "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note\n\
LVEF,smoking,Lifestyle,linear,100,,,0.45,0.1,0.3,0.7,5,1e-6,6,1e-5,1e-4,ok,\n\
LVEF,coffee,Lifestyle,linear,100,,,0.40,0.1,0.2,0.6,4,1e-4,4,1e-3,0.004,ok,\n\
LVEF,af,Medical,linear,100,,,0.2,0.1,0.0,0.4,2,0.05,1.3,0.1,0.2,ok,\n\
AAo,smoking,Lifestyle,linear,100,,,0.31,0.1,0.1,0.5,3,0.003,2.5,0.01,0.06,ok,\n\
AAo,coffee,Lifestyle,linear,100,,,0.9,0.1,0.7,1.1,9,1e-9,9,1e-8,4e-8,ok,\n";

fn rows(text: &str) -> Vec<AssociationRow> {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("associations.csv");
    std::fs::write(&path, text).expect("table");
    read_associations(&path).expect("reads")
}

#[test]
fn compare_counts_hits_gained_and_lost_and_sorts_shared_pairs_by_abs_delta_beta() {
    let c = compare(&rows(BASE), &rows(FORK));
    assert_eq!((c.base_hits, c.other_hits), (2, 3));
    let pairs = |v: &[crate::app::PairDiff]| -> Vec<String> {
        v.iter()
            .map(|d| format!("{}~{}", d.phenotype, d.factor))
            .collect()
    };
    // Gained by the fork's p (the new pair first); lost: af, no longer a hit.
    assert_eq!(pairs(&c.gained), ["AAo~coffee", "LVEF~coffee"]);
    assert_eq!(pairs(&c.lost), ["LVEF~af"]);
    // Shared: by |Δβ|; the pair whose model changed has no Δβ and comes last.
    assert_eq!(
        pairs(&c.shared),
        ["LVEF~coffee", "LVEF~smoking", "AAo~smoking", "LVEF~af"]
    );
    let deltas: Vec<Option<f64>> = c
        .shared
        .iter()
        .map(|d| d.delta().map(|x| (x * 100.0).round() / 100.0))
        .collect();
    assert_eq!(deltas, [Some(0.3), Some(-0.05), Some(0.01), None]);
    // A study compared with itself gains and loses nothing.
    let same = compare(&rows(BASE), &rows(BASE));
    assert!(same.gained.is_empty() && same.lost.is_empty());
    assert!(same.shared.iter().all(|d| d.delta() == Some(0.0)));
}

#[test]
fn c_compares_a_fork_with_its_parent_or_two_marked_studies_and_shows_the_counts() {
    let mut app = App::new(PathBuf::from("/root"));
    app.update(Msg::Studies(vec![
        row("base", None),
        row("other", None),
        row("base-rint", Some("base")),
    ]));
    // Not a fork, nothing marked: C says what it needs.
    assert!(press(&mut app, KeyCode::Char('C')).is_empty());
    assert!(app.status.contains("not a fork"), "{}", app.status);
    press(&mut app, KeyCode::End);
    for _ in 0..2 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(
        press(&mut app, KeyCode::Char('C')),
        vec![Effect::LoadCompare {
            base: "/root/base".into(),
            other: "/root/base-rint".into()
        }]
    );
    // Marked: the fork first, then its parent; the parent is still the base.
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Char(' '));
    assert!(draw(&app, 100, 24).contains("+base-rint <base"));
    assert_eq!(
        press(&mut app, KeyCode::Char('C')),
        vec![Effect::LoadCompare {
            base: "/root/base".into(),
            other: "/root/base-rint".into()
        }]
    );
    let table = |text: &str| crate::model::AssociationTable {
        rows: rows(text),
        ..Default::default()
    };
    app.update(Msg::Compare {
        base: "/root/base".into(),
        other: "/root/base-rint".into(),
        tables: Box::new((table(BASE), table(FORK))),
    });
    assert_eq!(app.screen, Screen::Compare);
    let screen = draw(&app, 100, 24);
    assert!(
        screen.contains("gained 2") && screen.contains("lost 1"),
        "{screen}"
    );
    assert!(
        screen.contains("AAo") && screen.contains("coffee"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('3'));
    let screen = draw(&app, 100, 24);
    assert!(screen.contains("scale≠"), "{screen}");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::List);
}
