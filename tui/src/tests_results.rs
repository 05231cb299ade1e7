//! The results screen (issue 17, items 1, 2, 7 and 8) without a terminal: ranking by |z|
//! across model families, the factor column's switch, model-aware rows and detail, the
//! export's name and its overwrite prompt, and the Manhattan chart's cursor and labels.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::manhattan::{ManhattanPlot, Move};
use crate::app::{
    export_file_name, filter_slug, App, Effect, FactorLabel, Msg, PendingExport, SortKey,
};
use crate::model::{AssociationTable, ColumnLabel, ExportFormat};
use crate::tests::draw;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Two linear rows, two logistic ones (a large log odds with a small z, a small one with a
/// large z), a Firth row and a failed row, over three categories.
const TABLE: &str = "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note\n\
LVEDV,20161-0.0,Lifestyle,linear,100,,,0.30,0.05,0.20,0.40,6,1e-6,6,1e-5,1e-5,ok,\n\
LVEF,900116-2.0,Medical,logistic,100,10,90,1.14,0.5,0.16,2.12,2.28,0.02,1.70,0.045,0.12,ok,\n\
AAo,900116-2.0,Medical,logistic,100,10,90,-0.9,0.1,-1.1,-0.7,-9,1e-9,9,1e-8,1e-8,ok,\"LR chi2 = 58.970004250333375, LR p = 1.6009395870761708e-14\"\n\
AAo,1289-0.0,Diet,linear,100,,,0.1,0.05,0.0,0.2,2,0.05,1.30,0.08,0.3,ok,\n\
LVEF,900117-2.0,Medical,firth,100,3,97,2.0,0.8,0.43,3.57,2.5,0.012,1.92,0.04,0.07,ok,\n\
LVEF,1289-0.0,Diet,linear,100,,,,,,,,,,,,failed,no variance\n";

fn table() -> AssociationTable {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(tmp.path().join("associations.csv"), TABLE).expect("table");
    let mut table = crate::model::load_associations(tmp.path()).expect("reads");
    for (column, description) in [
        ("900116-2.0", "Atrial fibrillation (self-reported)"),
        ("900117-2.0", "Hay fever"),
        ("20161-0.0", "Pack years of smoking"),
        ("LVEF", "LV ejection fraction"),
    ] {
        table.labels.insert(
            column.into(),
            ColumnLabel {
                description: description.into(),
                category: String::new(),
            },
        );
    }
    table
}

fn app() -> App {
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Results {
        dir: PathBuf::from("/r/a"),
        table: table(),
    });
    app
}

/// The rows shown, as `phenotype~factor`.
fn shown(app: &App) -> Vec<String> {
    let r = app.results.as_ref().expect("results");
    r.visible
        .iter()
        .map(|&i| format!("{}~{}", r.table.rows[i].phenotype, r.table.rows[i].factor))
        .collect()
}

fn current(app: &App) -> String {
    let a = app
        .results
        .as_ref()
        .and_then(|r| r.current())
        .expect("a row");
    format!("{}~{}", a.phenotype, a.factor)
}

#[test]
fn sorting_by_effect_ranks_by_z_across_model_families() {
    let mut app = app();
    key(&mut app, KeyCode::Char('s'));
    let r = app.results.as_ref().expect("results");
    assert_eq!(r.sort, SortKey::Effect);
    // |z|: 9 (logistic), 6 (linear), 2.5 (Firth), 2.28 (logistic, the largest beta), 2; the
    // failed row last. By |beta| the logistic 1.14 and the Firth 2.0 would lead.
    assert_eq!(
        shown(&app),
        [
            "AAo~900116-2.0",
            "LVEDV~20161-0.0",
            "LVEF~900117-2.0",
            "LVEF~900116-2.0",
            "AAo~1289-0.0",
            "LVEF~1289-0.0"
        ]
    );
    assert_eq!(app.status, "sorted by effect (|z|)");
    assert!(draw(&app, 100, 30).contains("sorted by effect (|z|)"));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(shown(&app)[0], "AAo~1289-0.0", "then by phenotype");
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(shown(&app)[0], "AAo~900116-2.0", "then by p again");
}

#[test]
fn rows_read_as_fitted_with_odds_ratios_and_the_factor_column_switches() {
    let mut app = app();
    // The selected row is the logistic AAo ~ 900116-2.0 (smallest p).
    let screen = draw(&app, 120, 30);
    for expected in [
        // The row: factor ~ phenotype, its id and description, the model, OR (95% CI).
        "900116-2.0  Atrial fibrillation (self-reported) ~ AAo",
        "logit",
        "OR 0.41 (0.33, 0.50)",
        "LVEDV ~ 20161-0.0  Pack years of smoking",
        "β 0.300",
        "firth",
        // The detail pane: both names, the OR with its CI and the scale's label.
        "900116-2.0 ~ AAo",
        "factor 900116-2.0: Atrial fibrillation (self-reported)",
        "OR 0.41 (95% CI 0.33 to 0.50) per SD of AAo",
        "log odds ratio -0.900 (95% CI -1.100 to -0.700)",
        // The model's note with its numbers rounded.
        "LR chi2 = 58.970, LR p = 1.60e-14",
    ] {
        assert!(screen.contains(expected), "{expected}:\n{screen}");
    }
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(
        app.results.as_ref().map(|r| r.factor_label),
        Some(FactorLabel::Id)
    );
    let screen = draw(&app, 120, 30);
    assert!(screen.contains("900116-2.0 ~ AAo "), "{screen}");
    assert!(!screen.contains("Pack years"), "ids only: {screen}");
    // The detail pane keeps both.
    assert!(screen.contains("factor 900116-2.0: Atrial fibrillation"));
    key(&mut app, KeyCode::Char('d'));
    let screen = draw(&app, 120, 30);
    assert!(
        screen.contains("Atrial fibrillation (self-reported) ~ AAo"),
        "{screen}"
    );
    assert!(
        !screen.contains("20161-0.0 "),
        "descriptions only: {screen}"
    );
    assert!(
        screen.contains("AAo ~ 1289-0.0"),
        "an undescribed factor keeps its id: {screen}"
    );
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(
        app.results.as_ref().map(|r| r.factor_label),
        Some(FactorLabel::Both)
    );
    // A linear row's detail: the standardised beta.
    key(&mut app, KeyCode::Down);
    let screen = draw(&app, 120, 30);
    assert!(
        screen.contains("standardised beta 0.300 (95% CI 0.200 to 0.400)"),
        "{screen}"
    );
}

#[test]
fn exports_are_named_after_the_filter() {
    assert_eq!(filter_slug("q<0.05 atrial fib"), "q-lt-0.05_atrial-fib");
    assert_eq!(
        filter_slug("  model:Logistic p<=1e-8 AF  "),
        "model-logistic_p-le-1e-8_af"
    );
    assert_eq!(
        filter_slug("q>=0.5 category:Diet"),
        "q-ge-0.5_category-diet"
    );
    // Nothing of a path survives: no slash, no leading dot, no `..`.
    let odd = filter_slug("../../etc/passwd .hidden ~/x é");
    assert!(
        odd.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "{odd}"
    );
    assert!(!odd.contains("..") && !odd.starts_with(['.', '-']), "{odd}");
    assert!(filter_slug(&"word ".repeat(100)).len() <= 80);
    assert_eq!(
        export_file_name("", ExportFormat::Csv),
        "associations.export.csv"
    );
    assert_eq!(
        export_file_name("q<0.05 atrial fib", ExportFormat::Markdown),
        "associations.q-lt-0.05_atrial-fib.md"
    );
    assert_eq!(
        export_file_name(" ~ ", ExportFormat::Tsv),
        "associations.export.tsv"
    );
}

#[test]
fn an_export_asks_before_overwriting_and_n_cancels() {
    let mut app = app();
    key(&mut app, KeyCode::Char('/'));
    for c in "q<0.05 atrial".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(shown(&app), ["AAo~900116-2.0", "LVEF~900116-2.0"]);
    key(&mut app, KeyCode::Char('x'));
    let effects = key(&mut app, KeyCode::Char('c'));
    let path = PathBuf::from("/r/a/associations.q-lt-0.05_atrial.csv");
    let rows = app.results.as_ref().expect("results").visible.clone();
    assert_eq!(
        effects,
        vec![Effect::Export {
            path: path.clone(),
            format: ExportFormat::Csv,
            rows: rows.clone(),
            overwrite: false,
        }]
    );
    // The runtime found the file: the status line asks; other keys wait for y or n.
    let pending = PendingExport {
        path: path.clone(),
        format: ExportFormat::Csv,
        rows: rows.clone(),
    };
    app.update(Msg::ExportExists(pending.clone()));
    assert!(
        app.status
            .contains("associations.q-lt-0.05_atrial.csv exists: overwrite it? y/n"),
        "{}",
        app.status
    );
    assert!(draw(&app, 100, 30).contains("overwrite it? y/n"));
    assert!(key(&mut app, KeyCode::Char('s')).is_empty());
    assert_eq!(app.results.as_ref().map(|r| r.sort), Some(SortKey::P));
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    assert!(app.status.contains("export cancelled"), "{}", app.status);
    assert!(app
        .results
        .as_ref()
        .is_some_and(|r| r.pending_export.is_none()));
    app.update(Msg::ExportExists(pending));
    assert_eq!(
        key(&mut app, KeyCode::Char('y')),
        vec![Effect::Export {
            path,
            format: ExportFormat::Csv,
            rows,
            overwrite: true,
        }]
    );
}

#[test]
fn the_runtime_writes_a_new_export_and_asks_before_replacing_one() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("s");
    std::fs::create_dir_all(&dir).expect("study dir");
    std::fs::write(dir.join("associations.csv"), TABLE).expect("table");
    let mut rt = crate::runtime::Runtime::new(tmp.path().into(), "/bin/false".into());
    let table = crate::model::load_associations(&dir).expect("reads");
    rt.dispatch(Msg::Results {
        dir: dir.clone(),
        table,
    });
    let path = dir.join(export_file_name("model:logistic", ExportFormat::Csv));
    let export = |overwrite| Effect::Export {
        path: path.clone(),
        format: ExportFormat::Csv,
        rows: vec![1, 2],
        overwrite,
    };
    let reply = rt.perform(export(false));
    assert!(
        matches!(&reply, Some(Msg::Info(s)) if s.starts_with("wrote") && s.contains("(2 rows)")),
        "{reply:?}"
    );
    let first = std::fs::read_to_string(&path).expect("export");
    assert_eq!(first.lines().count(), 3, "{first}");
    std::fs::write(&path, "kept\n").expect("marker");
    let reply = rt.perform(export(false));
    assert!(
        matches!(&reply, Some(Msg::ExportExists(p)) if p.path == path),
        "{reply:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), "kept\n");
    rt.perform(export(true));
    assert_eq!(std::fs::read_to_string(&path).expect("export"), first);
}

#[test]
fn the_manhattan_cursor_moves_from_point_to_point() {
    let mut app = app();
    key(&mut app, KeyCode::Char('m'));
    let r = app.results.as_ref().expect("results");
    // x: categories in table order (Lifestyle, Medical, Diet), factors within them; the
    // failed row has no point.
    let names: Vec<&str> = r.plot.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Lifestyle", "Medical", "Diet"]);
    assert_eq!(r.plot.factors, 4);
    assert_eq!(r.plot.points.len(), 5);
    // The cursor starts on the selected row, the highest point.
    assert_eq!(current(&app), "AAo~900116-2.0");
    let mut walk = |code: KeyCode| {
        key(&mut app, code);
        current(&app)
    };
    // Left/Right: x order (factor 900116-2.0 has two points, the lower first).
    assert_eq!(walk(KeyCode::Left), "LVEF~900116-2.0");
    assert_eq!(walk(KeyCode::Left), "LVEDV~20161-0.0");
    assert_eq!(walk(KeyCode::Left), "LVEDV~20161-0.0", "stops at the first");
    assert_eq!(walk(KeyCode::Right), "LVEF~900116-2.0");
    assert_eq!(walk(KeyCode::Right), "AAo~900116-2.0");
    assert_eq!(walk(KeyCode::Right), "LVEF~900117-2.0");
    assert_eq!(walk(KeyCode::Right), "AAo~1289-0.0");
    assert_eq!(walk(KeyCode::Right), "AAo~1289-0.0", "stops at the last");
    // Up/Down: the next higher / lower point of the whole chart (-log10 p 1.30, 1.70,
    // 1.92, 6, 9).
    assert_eq!(walk(KeyCode::Up), "LVEF~900116-2.0");
    assert_eq!(walk(KeyCode::Up), "LVEF~900117-2.0");
    assert_eq!(walk(KeyCode::Up), "LVEDV~20161-0.0");
    assert_eq!(walk(KeyCode::Down), "LVEF~900117-2.0");
    assert_eq!(walk(KeyCode::Home), "AAo~900116-2.0");
    // The detail pane follows the cursor, and the point is marked.
    key(&mut app, KeyCode::Left);
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("factor 900116-2.0: Atrial fibrillation"),
        "{screen}"
    );
    assert!(screen.contains("900116-2.0 ~ LVEF"), "{screen}");
    assert!(screen.contains('◆'), "{screen}");
    for label in ["Lifestyle", "Medical", "Diet", "-log10 p", "Bonferroni"] {
        assert!(screen.contains(label), "{label}:\n{screen}");
    }
    // Back to the table, the cursor's row stays selected.
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(current(&app), "LVEF~900116-2.0");
    key(&mut app, KeyCode::Down);
    assert_eq!(
        current(&app),
        "AAo~1289-0.0",
        "Down moves in the table again"
    );
}

#[test]
fn the_cursor_starts_on_the_highest_point_when_the_selected_row_has_none() {
    let mut app = app();
    key(&mut app, KeyCode::End);
    assert_eq!(
        current(&app),
        "LVEF~1289-0.0",
        "the failed row, sorted last"
    );
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(current(&app), "AAo~900116-2.0");
    // An empty chart moves nothing.
    let empty = ManhattanPlot::new(&[], &[]);
    assert_eq!(empty.step(0, Move::Up), None);
}

#[test]
fn every_category_is_labelled_staggered_and_abbreviated_when_space_is_short() {
    use crate::view::category_labels;
    let names = [
        "Lifestyle",
        "Self-reported medical conditions",
        "Diet",
        "Physical activity",
        "Body composition",
        "Blood pressure",
        "Alcohol",
        "Sleep",
        "Early life",
        "Socioeconomic",
        "Cognition",
    ];
    for width in [40usize, 70, 200] {
        let step = width / names.len();
        let middles: Vec<(String, usize)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i * step + step / 2))
            .collect();
        let rows = category_labels(&middles, width, 2);
        let placed: Vec<usize> = rows.iter().flatten().map(|(_, k, _)| *k).collect();
        assert_eq!(placed.len(), names.len(), "every category at {width}");
        for row in &rows {
            for pair in row.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                assert!(
                    a.0 + a.2.chars().count() < b.0,
                    "{a:?} and {b:?} overlap at {width}"
                );
            }
            for (start, _, text) in row {
                assert!(start + text.chars().count() <= width, "{text} at {width}");
            }
        }
        let whole = rows.iter().flatten().all(|(_, k, t)| t == names[*k]);
        assert!(rows.len() == 2 || whole, "one row only when all fit whole");
        if width == 200 {
            assert!(whole, "staggered, every name whole: {rows:?}");
        } else {
            assert!(
                rows.iter().flatten().any(|(_, _, t)| t.ends_with('.')),
                "abbreviated at {width}: {rows:?}"
            );
        }
    }
}
