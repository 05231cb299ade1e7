//! `meshagents study run STUDY.toml` through the real binary: a study on a cohort given by
//! path, resumable, with the panel or with fixed covariates, and configuration errors that
//! name the key.

use std::path::Path;
use std::process::Output;

mod common;
use common::{
    assert_exit_saying, assert_failed_saying, meshagents_in as meshagents, simulate_csv, stderr,
};

/// A cohort of `n` simulated from `seed` in `dir/cohort`, and `study` as `dir/STUDY.toml`.
fn cohort_and_study(dir: &Path, n: &str, seed: &str, study: &str) {
    simulate_csv(dir, "cohort", n, seed, &[]);
    std::fs::write(dir.join("STUDY.toml"), study).unwrap();
}

/// A finished study `base` on `factors` (600 participants from seed 12), the base of the
/// fork tests, in a new temporary directory.
fn base_study(factors: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    cohort_and_study(
        dir.path(),
        "600",
        "12",
        &format!(
            "name = \"base\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\nfactors = \"{factors}\"\n"
        ),
    );
    let base = meshagents(dir.path(), &["study", "run", "STUDY.toml", "--out", "base"]);
    assert!(base.status.success(), "{}", stderr(&base));
    dir
}

/// `meshagents study fork BASE --from STEP --set CHANGE --out OUT` inside `dir`.
fn study_fork(dir: &Path, base: &str, from: &str, change: &str, out: &str) -> Output {
    meshagents(
        dir,
        &[
            "study", "fork", base, "--from", from, "--set", change, "--out", out,
        ],
    )
}

#[test]
fn a_configured_study_runs_resumes_and_can_fix_its_covariates() {
    let dir = tempfile::tempdir().unwrap();
    cohort_and_study(
        dir.path(),
        "800",
        "4",
        "name = \"Panel study\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\nfactors = \"Physical activity,Alcohol\"\n",
    );
    let first = meshagents(dir.path(), &["study", "run", "STUDY.toml"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = dir.path().join("meshagents-out/panel-study");
    common::assert_files(&out, common::PANEL_STUDY_FILES);
    // `study export` labels the figures from the dictionary the study read (its STUDY.toml
    // names it), so they are the study's own, byte for byte.
    let export = meshagents(
        dir.path(),
        &[
            "study",
            "export",
            "meshagents-out/panel-study",
            "--format",
            "md",
            "--out",
            "paper",
        ],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    for figure in ["manhattan", "volcano", "forest", "qq"] {
        let file = format!("plots/{figure}.svg");
        assert_eq!(
            std::fs::read(dir.path().join("paper").join(&file)).unwrap(),
            std::fs::read(out.join(&file)).unwrap(),
            "{file}"
        );
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("## Confounder panel") && summary.contains("statistician"),
        "{summary}"
    );
    let table = std::fs::read_to_string(out.join("associations.csv")).unwrap();
    assert!(table
        .lines()
        .skip(1)
        .all(|l| l.contains(",Physical activity,") || l.contains(",Alcohol,")));
    assert!(
        table.contains("LVEDV,22040-2.0,"),
        "the planted activity factor is in the table"
    );

    let again = meshagents(dir.path(), &["study", "run", "STUDY.toml"]);
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("already finished"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("associations.csv")).unwrap(),
        table
    );

    // The copy of the configuration in the study directory runs the same study from anywhere.
    let copy = meshagents(
        dir.path(),
        &[
            "study",
            "run",
            out.join("STUDY.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(copy.status.success(), "{}", stderr(&copy));
    assert!(stderr(&copy).contains("already finished"));

    // Fixed covariates: no panel, three steps.
    std::fs::write(dir.path().join("FIXED.toml"), "name = \"fixed\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\ncovariates = \"age,sex\"\nfactors = \"Alcohol\"\n").unwrap();
    let fixed = meshagents(
        dir.path(),
        &["study", "run", "FIXED.toml", "--out", "fixed"],
    );
    assert!(fixed.status.success(), "{}", stderr(&fixed));
    assert!(stderr(&fixed).contains("[3/3]"), "{}", stderr(&fixed));
    let summary = std::fs::read_to_string(dir.path().join("fixed/summary.md")).unwrap();
    assert!(
        summary.contains("fixed the covariates: age, sex"),
        "{summary}"
    );
    let status = meshagents(dir.path(), &["study", "status", "fixed", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(
        (
            status["state"].as_str(),
            status["steps_done"].as_u64(),
            status["steps_total"].as_u64()
        ),
        (Some("finished"), Some(3), Some(3))
    );
}

#[test]
fn configuration_errors_name_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "typo.toml",
            "name = \"x\"\ndata = \"d.csv\"\nphenotype = \"imaging\"\n",
            "unknown field `phenotype`",
        ),
        (
            "missing.toml",
            "name = \"x\"\ndata = \"nope.csv\"\n",
            "key `data`",
        ),
        ("noname.toml", "data = \"d.csv\"\n", "missing field `name`"),
        (
            "backend.toml",
            "name = \"x\"\ndata = \"d.csv\"\n[panel]\nbackend = \"gpt\"\n",
            "key `panel.backend`",
        ),
        (
            "holdout.toml",
            "name = \"x\"\ndata = \"d.csv\"\n[validation]\nholdout = 0.95\n",
            "key `validation.holdout`",
        ),
        (
            "timeouts.toml",
            "name = \"x\"\ndata = \"d.csv\"\n[panel]\nbackend = \"openai\"\n[panel.openai]\ntimeout_s = 300\n",
            "keys `panel.retry.start_to_close` (120000 ms) and `panel.openai.timeout_s` (300 s)",
        ),
    ];
    std::fs::write(dir.path().join("d.csv"), "eid,y,x\n1,2,3\n2,3,4\n").unwrap();
    for (file, body, needle) in cases {
        std::fs::write(dir.path().join(file), body).unwrap();
        let o = meshagents(dir.path(), &["study", "run", file]);
        assert!(!o.status.success(), "{file} should fail");
        let e = stderr(&o);
        assert!(e.contains(file) && e.contains(needle), "{file}: {e}");
    }
}

#[test]
fn the_approval_gate_pauses_after_the_panel_until_a_person_approves() {
    let dir = tempfile::tempdir().unwrap();
    cohort_and_study(
        dir.path(),
        "600",
        "8",
        "name = \"gated\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\nfactors = \"Alcohol\"\n[panel]\napprove = true\n",
    );
    let first = meshagents(
        dir.path(),
        &["study", "run", "STUDY.toml", "--out", "gated"],
    );
    assert_exit_saying(&first, 3, "study approve");
    assert!(
        !dir.path().join("gated/associations.csv").exists(),
        "nothing is fitted before approval"
    );
    let status = meshagents(dir.path(), &["study", "status", "gated"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("awaiting approval"));

    // A name the panel never considered is refused; an edit among its candidates is taken.
    let bad = meshagents(
        dir.path(),
        &["study", "approve", "gated", "--covariates", "age,shoe_size"],
    );
    assert_failed_saying(&bad, "shoe_size");
    let approve = meshagents(
        dir.path(),
        &["study", "approve", "gated", "--covariates", "age,sex"],
    );
    assert!(approve.status.success(), "{}", stderr(&approve));

    let second = meshagents(
        dir.path(),
        &["study", "run", "STUDY.toml", "--out", "gated"],
    );
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("[4/10] approval of the confounder set: edited to age, sex"),
        "{}",
        stderr(&second)
    );
    let summary = std::fs::read_to_string(dir.path().join("gated/summary.md")).unwrap();
    assert!(
        summary.contains("A person approved the confounder set, editing it to: age, sex"),
        "{summary}"
    );
    assert!(summary.contains("adjusted for age, sex:"), "{summary}");
}

#[test]
fn fork_reuses_the_steps_before_the_chosen_one_and_runs_on_with_the_change() {
    let dir = base_study("Self-reported medical conditions");
    let base_table = std::fs::read_to_string(dir.path().join("base/associations.csv")).unwrap();
    assert!(
        base_table.contains(",logistic,"),
        "binary factors are logistic by default"
    );

    let fork = study_fork(
        dir.path(),
        "base",
        "phewas/adjusted",
        "model=linear",
        "linear",
    );
    assert!(fork.status.success(), "{}", stderr(&fork));
    let log = stderr(&fork);
    assert!(
        log.contains("reusing data/clean, screen/candidates, panel/confounders"),
        "{log}"
    );
    for step in ["[1/9]", "[2/9]", "[3/9]", "[4/9]"] {
        assert!(
            log.lines()
                .any(|l| l.starts_with(step) && l.ends_with("(from the journal)")),
            "{step} should be reused: {log}"
        );
    }
    assert!(log.contains("5 steps run, 4 replayed"), "{log}");
    let forked = std::fs::read_to_string(dir.path().join("linear/associations.csv")).unwrap();
    assert!(
        !forked.contains(",logistic,") && forked.contains(",linear,"),
        "the change took effect"
    );
    assert_eq!(
        std::fs::read(dir.path().join("linear/flow.csv")).unwrap(),
        std::fs::read(dir.path().join("base/flow.csv")).unwrap(),
        "files of reused steps come along"
    );
    // The original is untouched.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("base/associations.csv")).unwrap(),
        base_table
    );
    // The fork records its parent, and keeps the transcript of the panel it reuses (readers
    // of its events file, such as the TUI's live panel, see the panel speak).
    let origin = meshagents_workflows::read_fork_origin(&dir.path().join("linear")).unwrap();
    assert_eq!(
        origin.parent,
        std::fs::canonicalize(dir.path().join("base")).unwrap()
    );
    assert_eq!(
        (origin.from.as_str(), origin.settings.as_slice()),
        ("phewas/adjusted", ["model=linear".to_string()].as_slice())
    );
    let transcript = |study: &str| {
        meshagents_engine::read_events(&dir.path().join(study).join("journal"))
            .iter()
            .filter(|e| matches!(e.body, Some(meshagents_engine::Event::Transcript(_))))
            .count()
    };
    assert!(transcript("base") > 0);
    assert_eq!(transcript("linear"), transcript("base"));
    // A fork of the fork finds them too.
    let again = study_fork(
        dir.path(),
        "linear",
        "phewas/adjusted",
        "transform=rint",
        "again",
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(transcript("again"), transcript("base"));

    let bad = study_fork(dir.path(), "base", "phewas/adjusted", "modl=linear", "bad");
    assert_failed_saying(&bad, "unknown field `modl`");
}

#[test]
fn the_validation_is_held_out_by_default_and_a_changed_split_forks_from_the_first_step() {
    let dir = base_study("Alcohol");
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    let decisions: serde_json::Value = serde_json::from_str(&read("base/decisions.json")).unwrap();
    let split = &decisions["split"];
    assert_eq!(split["protocol"], "holdout");
    let (discovery, held) = (
        split["discovery_n"].as_u64().unwrap(),
        split["evaluated_n"].as_u64().unwrap(),
    );
    assert_eq!(discovery + held, 600);
    assert!((held as i64 - 180).abs() <= 1, "{split}");
    for d in split["diseases"].as_array().unwrap() {
        let cases = d["discovery_cases"].as_u64().unwrap() + d["evaluated_cases"].as_u64().unwrap();
        assert!(cases > 0, "{d}");
    }
    let table = read("base/classification.csv");
    assert!(table.lines().next().unwrap().ends_with(",split"));
    assert!(
        table.lines().skip(1).all(|l| l.ends_with(",holdout")),
        "{table}"
    );
    let report = read("base/report.md");
    assert!(report.contains("Protocol: held-out validation"), "{report}");
    // At n = 600 the rarest diseases have fewer held-out cases than folds: skipped, saying so.
    assert!(
        report.contains(&format!(
            "not evaluated, in the held-out part ({held} of 600 participants)"
        )),
        "{report}"
    );

    // The split is the study's identity: a fork that changes it after the first step is refused.
    let late = study_fork(
        dir.path(),
        "base",
        "panel/confounders",
        "validation.holdout=0",
        "late",
    );
    assert_failed_saying(&late, "--from data/clean");
    let all = study_fork(
        dir.path(),
        "base",
        "data/clean",
        "validation.holdout=0",
        "all",
    );
    assert!(all.status.success(), "{}", stderr(&all));
    let table = read("all/classification.csv");
    assert!(
        table.lines().skip(1).all(|l| l.ends_with(",all")),
        "{table}"
    );
    assert!(read("all/report.md").contains("Protocol: no hold-out (the paper's protocol)"));
    let decisions: serde_json::Value = serde_json::from_str(&read("all/decisions.json")).unwrap();
    assert_eq!(decisions["split"]["evaluated_n"], 600);
    // The association table is computed on everyone, whatever the split: its largest n is
    // beyond the discovery part the panel saw.
    let largest_n = read("base/associations.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4)?.parse::<u64>().ok())
        .max()
        .unwrap();
    assert!(largest_n > discovery, "{largest_n} vs {discovery}");
}

/// Hardening (issue 15, item 5): a study name with no ASCII letter or digit ("...", another
/// script) gets a folder of its own under `meshagents-out/`, not the root itself, and
/// `study list` sees it.
#[test]
fn a_name_without_latin_letters_still_gets_its_own_readable_folder() {
    let dir = tempfile::tempdir().unwrap();
    simulate_csv(dir.path(), "cohort", "300", "4", &[]);
    let mut folders = Vec::new();
    for name in ["...", "Исследование", "研究"] {
        let toml = format!("name = \"{name}\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\ncovariates = \"age,sex\"\nfactors = \"Alcohol\"\n");
        std::fs::write(dir.path().join("S.toml"), toml).unwrap();
        let run = meshagents(dir.path(), &["study", "run", "S.toml"]);
        assert!(run.status.success(), "{name}: {}", stderr(&run));
        let root = dir.path().join("meshagents-out");
        assert!(
            !root.join("study.json").exists(),
            "{name} was written into the root"
        );
        let mut now: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        now.sort();
        folders = now;
    }
    // Transliterated where the script has a Latin reading, hashed where nothing is left.
    assert_eq!(folders.len(), 3, "{folders:?}");
    assert!(folders.contains(&"issledovanie".to_string()), "{folders:?}");
    assert!(folders.contains(&"yan-jiu".to_string()), "{folders:?}");
    assert_eq!(
        folders.iter().filter(|f| f.starts_with("study-")).count(),
        1,
        "{folders:?}"
    );
    let list = meshagents(dir.path(), &["study", "list", "meshagents-out"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let listed = String::from_utf8_lossy(&list.stdout);
    for folder in &folders {
        assert!(
            listed.contains(folder.as_str()),
            "{folder} not in:\n{listed}"
        );
    }
}
