//! The results screen's filter: the query language, descriptions from the study's dictionary,
//! and the incremental path against a full pass on 200,000 rows.

use std::path::{Path, PathBuf};

use meshagents_stats::phewas::AssociationRow;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::filter::{Cmp, NumField, Query, Term, TextField};
use crate::app::{App, Msg, ResultsView};
use crate::model::{AssociationTable, ColumnLabel};
use crate::tests::draw;

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Types `text` into the results filter (opened with `/`, closed with Enter).
fn filter(app: &mut App, text: &str) -> Vec<String> {
    key(app, KeyCode::Char('/'));
    // Clear what was there.
    for _ in 0..64 {
        key(app, KeyCode::Backspace);
    }
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
    let r = app.results.as_ref().expect("results");
    r.visible
        .iter()
        .map(|&i| {
            let a = &r.table.rows[i];
            format!("{}~{}", a.phenotype, a.factor)
        })
        .collect()
}

const TABLE: &str = "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note\n\
LVEDV,20161-0.0,Lifestyle,linear,100,,,0.1,0.1,-0.1,0.3,1,0.3,0.52,0.5,1,ok,\n\
LVEF,900116-2.0,Medical,logistic,100,10,90,-0.9,0.1,-1.1,-0.7,9,1e-9,9,1e-8,1e-7,ok,\n\
AAo,1289-0.0,Diet,linear,100,,,0.4,0.1,0.2,0.6,4,0.01,2,0.02,0.5,ok,\n\
LVEF,1289-0.0,Diet,linear,100,,,,,,,,,,,,failed,no variance\n";

const DICTIONARY: &str = "column,field_id,description,category,value_type,coding,role\n\
eid,,Participant id,,integer,,id\n\
LVEDV,,LV end-diastolic volume,Heart MRI,continuous,,imaging\n\
LVEF,,LV ejection fraction,Heart MRI,continuous,,imaging\n\
AAo,,Ascending aorta area,Heart MRI,continuous,,imaging\n\
20161-0.0,20161,Pack years of smoking,Lifestyle,continuous,,factor\n\
900116-2.0,900116,Atrial fibrillation (self-reported),Medical conditions,binary,,factor\n\
1289-0.0,1289,Cooked vegetable intake,Diet,continuous,,factor\n";

/// A study folder with `TABLE` and a STUDY.toml naming `DICTIONARY`.
fn study() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let w = |name: &str, body: &str| std::fs::write(tmp.path().join(name), body).expect(name);
    w("associations.csv", TABLE);
    w("dictionary.csv", DICTIONARY);
    w("cohort.csv", "eid\n1\n");
    w(
        "STUDY.toml",
        "name = \"t\"\ndata = \"cohort.csv\"\ndictionary = \"dictionary.csv\"\n",
    );
    tmp
}

fn app_on(dir: &Path) -> App {
    let table = crate::model::load_associations(dir).expect("reads");
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Results {
        dir: dir.to_path_buf(),
        table,
    });
    app
}

#[test]
fn filter_query_reads_words_and_field_terms_and_reports_malformed_ones() {
    let q = Query::parse(
        "  Atrial FIB q<0.05 p<=1e-8 P>=0.5 q>2 model:Logistic category:diet status:ok ",
    );
    assert_eq!(
        q.terms,
        // Bounds first, then fields, then words: the cheapest tests first.
        vec![
            Term::Num(NumField::Q, Cmp::Lt, 0.05),
            Term::Num(NumField::P, Cmp::Le, 1e-8),
            Term::Num(NumField::P, Cmp::Ge, 0.5),
            Term::Num(NumField::Q, Cmp::Gt, 2.0),
            Term::Text(TextField::Model, "logistic".into()),
            Term::Text(TextField::Category, "diet".into()),
            Term::Text(TextField::Status, "ok".into()),
            Term::Word("atrial".into()),
            Term::Word("fib".into()),
        ]
    );
    assert!(q.errors.is_empty());
    let bad = Query::parse("q<abc p< model: pack");
    assert_eq!(bad.terms, vec![Term::Word("pack".into())]);
    assert_eq!(bad.errors.len(), 3, "{:?}", bad.errors);
    assert!(bad.errors[0].contains("q<abc") && bad.errors[0].contains("not a number"));
    // Words that merely start with p or q stay words.
    assert_eq!(
        Query::parse("pack quality").terms,
        vec![Term::Word("pack".into()), Term::Word("quality".into())]
    );
    // Narrowing: typing on a word or a tighter bound narrows; a wider bound does not.
    let n = |new: &str, old: &str| Query::parse(new).narrows(&Query::parse(old));
    assert!(n("atri", "atr"));
    assert!(n("atr fib", "atr"));
    assert!(n("q<0.05", "q<0.5"));
    assert!(n("q<0.05", "q<"), "an unread term filtered nothing");
    assert!(!n("q<0.05", "q<0.0"));
    assert!(!n("q<10", "q<1"));
    assert!(!n("p<", "p"), "the word p became an unfinished term");
    assert!(n("q<=0.05", "q<=0.05") && n("q<0.05", "q<=0.05") && !n("q<=0.05", "q<0.05"));
}

#[test]
fn filter_searches_descriptions_and_categories_combines_words_and_fields() {
    let tmp = study();
    let mut app = app_on(tmp.path());
    assert_eq!(app.results.as_ref().expect("results").visible.len(), 4);
    let cases: &[(&str, &[&str])] = &[
        // The dictionary's description and category, through the study's STUDY.toml.
        ("atrial fib", &["LVEF~900116-2.0"]),
        ("PACK years", &["LVEDV~20161-0.0"]),
        ("conditions", &["LVEF~900116-2.0"]),
        // Phenotype descriptions and ids too; words are ANDed.
        ("ejection", &["LVEF~900116-2.0", "LVEF~1289-0.0"]),
        ("ejection vegetable", &["LVEF~1289-0.0"]),
        ("ejection smoking", &[]),
        ("1289", &["AAo~1289-0.0", "LVEF~1289-0.0"]),
        // Fields, alone and with words; a row without q fails q<0.05.
        ("q<0.05", &["LVEF~900116-2.0", "AAo~1289-0.0"]),
        ("p<1e-8", &["LVEF~900116-2.0"]),
        ("p<=0.01 aorta", &["AAo~1289-0.0"]),
        ("q>0.4", &["LVEDV~20161-0.0"]),
        ("model:logistic", &["LVEF~900116-2.0"]),
        ("category:DIET", &["AAo~1289-0.0", "LVEF~1289-0.0"]),
        ("category:diet status:ok", &["AAo~1289-0.0"]),
        ("status:failed", &["LVEF~1289-0.0"]),
    ];
    for (query, expected) in cases {
        assert_eq!(filter(&mut app, query), *expected, "{query}");
    }
    // A malformed term filters nothing out and is shown in the filter line.
    assert_eq!(filter(&mut app, "q<abc aorta"), ["AAo~1289-0.0"]);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("filter: q<abc aorta"), "{screen}");
    assert!(screen.contains("'abc' is not a number"), "{screen}");
    // The description next to the id in the rows and in the detail pane.
    filter(&mut app, "");
    let screen = draw(&app, 80, 24);
    for shown in [
        "900116-2.0  Atrial f",
        "900116-2.0 ~ LVEF",
        "factor 900116-2.0: Atrial fibrillation",
    ] {
        assert!(screen.contains(shown), "{shown}: {screen}");
    }
}

#[test]
fn filter_without_a_readable_dictionary_keeps_the_table_and_says_why() {
    let tmp = study();
    std::fs::write(
        tmp.path().join("dictionary.csv"),
        "column,description\nx,y\n",
    )
    .unwrap();
    let app = app_on(tmp.path());
    assert_eq!(app.results.as_ref().expect("results").visible.len(), 4);
    assert!(app.status.contains("no descriptions"), "{}", app.status);
    assert!(app.status.contains("dictionary.csv"), "{}", app.status);
}

/// `n` rows over 400 factors and 500 phenotypes, with descriptions, categories, both models
/// and some failed rows, deterministic.
fn synthetic(n: usize) -> AssociationTable {
    let categories = [
        "Diet",
        "Lifestyle",
        "Medical conditions",
        "Early life",
        "Sociodemographics",
    ];
    let words = [
        "intake",
        "smoking",
        "fibrillation",
        "pack years",
        "vegetable",
        "income",
    ];
    let mut table = AssociationTable::default();
    for f in 0..400 {
        table.labels.insert(
            format!("{}-0.{}", 1000 + f, f % 3),
            ColumnLabel {
                description: format!("Factor {f} {} (field)", words[f % words.len()]),
                category: categories[f % categories.len()].into(),
            },
        );
    }
    let mut state = 42u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..n {
        let f = i % 400;
        let failed = i % 97 == 0;
        let p = if failed { f64::NAN } else { next().powi(4) };
        table.rows.push(AssociationRow {
            phenotype: format!("IDP_{}", i / 400),
            factor: format!("{}-0.{}", 1000 + f, f % 3),
            category: categories[f % categories.len()].into(),
            model: if f % 4 == 0 { "logistic" } else { "linear" }.into(),
            n: 1000,
            n_cases: None,
            n_controls: None,
            beta: if failed { f64::NAN } else { next() - 0.5 },
            se: 0.1,
            ci_low: 0.0,
            ci_high: 0.0,
            stat: 0.0,
            p,
            neg_log10_p: -p.log10(),
            q_bh: (p * 3.0).min(1.0),
            bonferroni: (p * n as f64).min(1.0),
            status: if failed { "failed" } else { "ok" }.into(),
            note: String::new(),
        });
    }
    table
}

/// Keystrokes of a session: typing words and field terms, backspaces, a widened bound.
const KEYSTROKES: &str = "pack years q<0.05\x08\x08\x08\x08\x08\x08category:diet model:lin q<0.5\x08\x08\x080.9 status:ok";

fn typed_keys() -> impl Iterator<Item = KeyCode> {
    KEYSTROKES.chars().map(|c| match c {
        '\x08' => KeyCode::Backspace,
        c => KeyCode::Char(c),
    })
}

#[test]
fn filter_incremental_path_equals_a_full_pass_on_200000_rows() {
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Results {
        dir: PathBuf::from("/r/big"),
        table: synthetic(200_000),
    });
    key(&mut app, KeyCode::Char('/'));
    let mut seen = Vec::new();
    for code in typed_keys() {
        key(&mut app, code);
        let r: &ResultsView = app.results.as_ref().expect("results");
        assert_eq!(
            r.visible,
            r.refiltered_from_scratch(),
            "after typing {:?}",
            r.filter
        );
        seen.push(r.visible.len());
    }
    // The session narrowed and widened the rows shown, and ends on a non-trivial set.
    assert!(seen.windows(2).any(|w| w[1] < w[0]) && seen.windows(2).any(|w| w[1] > w[0]));
    let last = *seen.last().expect("typed");
    assert!(last > 0 && last < 200_000, "{seen:?}");
    let r = app.results.as_ref().expect("results");
    assert_eq!(
        r.filter,
        "pack years category:diet model:lin q<0.9 status:ok"
    );
    // A re-sort keeps the filter.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('s'));
    let r = app.results.as_ref().expect("results");
    assert_eq!(r.visible.len(), last);
}

/// The time per keystroke on 200,000 rows (BENCHMARKS.md), from the workspace root:
/// `cargo test --release --lib filter_timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn filter_timing_per_keystroke_on_200000_rows() {
    let table = synthetic(200_000);
    let start = std::time::Instant::now();
    let mut app = App::new(PathBuf::from("/r"));
    app.update(Msg::Results {
        dir: PathBuf::from("/r/big"),
        table,
    });
    println!(
        "load (index + sort): {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    key(&mut app, KeyCode::Char('/'));
    let (mut times, mut full) = (Vec::new(), Vec::new());
    let mut slowest = (0.0, String::new());
    for code in typed_keys() {
        let t = std::time::Instant::now();
        key(&mut app, code);
        let drawn = draw(&app, 100, 30);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        times.push(ms);
        assert!(!drawn.is_empty());
        let r = app.results.as_ref().expect("results");
        if ms > slowest.0 {
            slowest = (ms, r.filter.clone());
        }
        // For comparison: the same query over every row.
        let t = std::time::Instant::now();
        let rows = r.refiltered_from_scratch();
        full.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(rows, r.visible);
    }
    println!(
        "full pass over all rows per keystroke, for comparison: mean {:.2} ms; slowest keystroke: {:?}",
        full.iter().sum::<f64>() / full.len() as f64,
        slowest
    );
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{} keystrokes (filter + draw at 100x30): mean {mean:.2} ms, median {:.2} ms, max {:.2} ms",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
