//! Where meshagents writes, through the real binary: a folder that holds files meshagents did
//! not write is refused (naming it and what it holds) unless `--force`, for `simulate`, `demo`,
//! `study run` and `study fork`, and nothing in it changes; folders of its own are written
//! again as before. Study names become readable folder names in any script, and control
//! characters in a name reach no file and no terminal.

use std::path::Path;

mod common;
use common::{assert_failed_saying, meshagents_in, simulate_csv, text};

const STUDY: &str = "data = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\nphenotypes = \"LVEDV,LVM\"\nfactors = \"factor\"\ncovariates = \"age,sex\"\n";

/// `args`, which write into `folder` in `dir`, after somebody put notes there: refused naming
/// the folder, its notes and `--force`, with nothing written beside the notes; forced, it runs
/// and the notes stay.
fn refused_unless_forced(dir: &Path, folder: &str, args: &[&str]) {
    std::fs::create_dir_all(dir.join(folder)).unwrap();
    let notes = dir.join(folder).join("notes.txt");
    std::fs::write(&notes, b"my notes\n").unwrap();
    let refused = meshagents_in(dir, args);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert_failed_saying(&refused, &format!("{folder}: is not empty"));
    assert_failed_saying(&refused, "notes.txt");
    assert_failed_saying(&refused, "--force");
    let left = std::fs::read_dir(dir.join(folder)).unwrap().count();
    assert_eq!(left, 1, "{folder}: nothing written beside the notes");

    let mut forced = args.to_vec();
    forced.push("--force");
    let o = meshagents_in(dir, &forced);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read(&notes).unwrap(),
        b"my notes\n",
        "the notes stay"
    );
}

/// A temporary folder with a simulated cohort in `cohort`.
fn with_cohort() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    simulate_csv(dir.path(), "cohort", "400", "3", &[]);
    dir
}

fn study_toml(dir: &Path, name: &str) {
    std::fs::write(
        dir.join("STUDY.toml"),
        format!("name = \"{name}\"\n{STUDY}"),
    )
    .unwrap();
}

#[test]
fn a_folder_of_somebody_else_is_refused_unless_forced() {
    let dir = with_cohort();
    let d = dir.path();
    study_toml(d, "folders");

    let cases: [(&str, Vec<&str>); 3] = [
        (
            "sim",
            vec!["simulate", "--n", "200", "--format", "csv", "--out", "sim"],
        ),
        ("demo", vec!["demo", "--n", "400", "--out", "demo"]),
        ("run", vec!["study", "run", "STUDY.toml", "--out", "run"]),
    ];
    for (folder, args) in &cases {
        refused_unless_forced(d, folder, args);
        // A study folder is ours once it holds a study: the same command again needs no
        // --force. A cohort folder is ours only while it holds nothing but a cohort, since
        // what `simulate` writes (cohort.csv) is what a user's own data is called.
        let again = meshagents_in(d, args);
        if *folder == "sim" {
            assert_failed_saying(&again, "--force");
        } else {
            assert!(again.status.success(), "{folder}: {}", text(&again));
        }
    }

    // A simulated cohort written again in place, and an empty folder, need no --force.
    simulate_csv(d, "again", "200", "5", &[]);
    simulate_csv(d, "again", "200", "6", &[]);
    std::fs::create_dir(d.join("empty")).unwrap();
    let o = meshagents_in(d, &["study", "run", "STUDY.toml", "--out", "empty"]);
    assert!(o.status.success(), "{}", text(&o));
    // A folder holding only its study's STUDY.toml and the TUI's log (as the TUI's wizard
    // leaves it before the first run) is that study's.
    std::fs::create_dir(d.join("wizard")).unwrap();
    std::fs::write(
        d.join("wizard/STUDY.toml"),
        format!(
            "name = \"wizard\"\n{}",
            STUDY.replace("cohort/", "../cohort/")
        ),
    )
    .unwrap();
    std::fs::write(d.join("wizard/tui-run.log"), "").unwrap();
    let o = meshagents_in(d, &["study", "run", "wizard/STUDY.toml", "--out", "wizard"]);
    assert!(o.status.success(), "{}", text(&o));

    // A fork into somebody's folder: refused, and nothing made; forced, it runs.
    let fork = [
        "study",
        "fork",
        "run",
        "--from",
        "phewas/adjusted",
        "--out",
        "fork",
    ];
    refused_unless_forced(d, "fork", &fork);
}

#[test]
fn study_names_in_any_script_give_readable_folders_and_no_escape_sequences() {
    let dir = with_cohort();
    let d = dir.path();

    study_toml(d, "Исследование 2");
    let o = meshagents_in(d, &["study", "run", "STUDY.toml"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(d.join("meshagents-out/issledovanie-2/summary.md").is_file());

    // A name carrying a colour, a window title and a bell, as TOML escapes.
    study_toml(
        d,
        "LV \\u001b[31mred\\u001b[0m \\u001b]0;owned\\u0007study\\u0007",
    );
    let o = meshagents_in(d, &["study", "run", "STUDY.toml"]);
    assert!(o.status.success(), "{}", text(&o));
    let study = d.join("meshagents-out/lv-red-study");
    assert!(study.is_dir(), "{}", text(&o));
    assert!(!text(&o).contains('\u{1b}'), "{}", text(&o));
    // Text files only: the journal and Parquet files are binary, where any byte may stand.
    let text_file = |f: &String| {
        [
            ".md", ".csv", ".tsv", ".json", ".jsonl", ".toml", ".html", ".tex", ".svg",
        ]
        .iter()
        .any(|e| f.ends_with(e))
    };
    for needle in [b"\x1b", b"\x07"] {
        let found: Vec<String> = common::files_containing(&study, needle)
            .into_iter()
            .filter(text_file)
            .collect();
        assert!(found.is_empty(), "{needle:?} in {found:?}");
    }
    let summary = std::fs::read_to_string(study.join("summary.md")).unwrap();
    assert!(summary.contains("LV red study"), "{summary}");
    let list = meshagents_in(d, &["study", "list"]);
    assert!(!text(&list).contains('\u{1b}'), "{}", text(&list));
}
