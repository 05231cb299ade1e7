//! End to end: drives `meshagents tui` in a tmux pseudo-terminal as a user would: creates a
//! study from the wizard on a small simulated cohort, watches it finish, opens its association
//! table, filters it by a description word and `q<0.05` (issue 17), exports it, and quits
//! with exit code 0.
//!
//! Skips (with a message) when tmux is missing, except under CI (`CI=true`), where it fails.
//! No wall-clock limit: every wait ends on what the screen shows, or fails as soon as the
//! TUI's pane is gone.

use std::path::Path;
use std::process::Command;

mod common;

use common::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_meshagents");

#[test]
fn wizard_to_finished_study_to_exported_table_in_tmux() {
    if !common::tmux::available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let cohort = common::tmux::small_cohort(tmp.path());
    let root = tmp.path().join("studies");
    let tmux = Tmux::start("e2e", &root, tmp.path(), 100, 30);

    tmux.wait_for("No study here yet", "");
    tmux.open_wizard();
    tmux.text("wizard e2e");
    tmux.wizard_files(&cohort);
    // The pickers keep their defaults (the whole imaging, factor and covariate roles); the
    // panel step's Enter shows the STUDY.toml, whose Enter starts the study and opens its
    // live panel; Esc goes back to the list.
    let phenotypes = tmux.wait_for("new study: 2/6 phenotypes", "! ");
    assert!(phenotypes.contains("every imaging column"), "{phenotypes}");
    for step in ["3/6 factors", "4/6 covariates", "5/6 panel", "6/6 preview"] {
        tmux.keys(&["Enter"]);
        tmux.wait_for(&format!("new study: {step}"), "");
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&["panel · ", "wizard-e2e"], "");
    tmux.keys(&["Escape"]);
    let done = tmux.wait_for_all(&["wizard-e2e", "finished"], "stopped with exit code");
    assert!(done.contains("wizard-e2e"), "{done}");
    let dir = root.join("wizard-e2e");
    let toml = std::fs::read_to_string(dir.join("STUDY.toml")).expect("STUDY.toml");
    assert!(toml.contains("name = \"wizard e2e\""), "{toml}");

    tmux.keys(&["Enter"]);
    let table = tmux.wait_for("associations, sorted by p", "");
    assert!(table.contains("95% CI"), "detail pane: {table}");
    filter_by_description_and_q(&tmux, &dir, &cohort);
    tmux.keys(&["x", "c"]);
    tmux.wait_for("associations.export.csv", "export failed");
    let exported = std::fs::read_to_string(dir.join("associations.export.csv")).expect("export");
    let original = std::fs::read_to_string(dir.join("associations.csv")).expect("table");
    assert_eq!(exported.lines().count(), original.lines().count());
    assert!(exported.starts_with("phenotype,factor,category,model,n,"));

    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_code(), "0", "q exits with code 0");
}

/// Issue 17: the results filter searches the dictionary's descriptions, combines words and
/// `q<0.05`, shows a malformed term in its line, and the rows show each factor's description.
/// The expected counts come from the study's files, read by their owners in `stats`.
fn filter_by_description_and_q(tmux: &Tmux, dir: &Path, cohort: &Path) {
    use meshagents_stats::data::dictionary::Dictionary;
    let rows = meshagents_stats::phewas::read_associations(&dir.join("associations.csv"))
        .expect("associations.csv");
    let dictionary = Dictionary::read_csv(&cohort.join("dictionary.csv")).expect("dictionary");
    let describe = |column: &str| {
        dictionary
            .get(column)
            .map(|e| (e.description.clone(), e.category.clone()))
            .unwrap_or_default()
    };
    // The longest word of the description of the factor with the smallest q (never in its
    // id), so that the word and q<0.05 together keep a row when any has q < 0.05.
    let factor = rows
        .iter()
        .filter(|r| !r.q_bh.is_nan())
        .min_by(|a, b| a.q_bh.total_cmp(&b.q_bh))
        .expect("a row with q")
        .factor
        .clone();
    let (description, _) = describe(&factor);
    let word = description
        .split(|c: char| !c.is_alphanumeric())
        .max_by_key(|w| w.len())
        .expect("a described factor")
        .to_string();
    let searched = |r: &meshagents_stats::phewas::AssociationRow| {
        let (pd, _) = describe(&r.phenotype);
        let (fd, fc) = describe(&r.factor);
        [
            &r.phenotype,
            &pd,
            &r.factor,
            &fd,
            &fc,
            &r.category,
            &r.model,
            &r.status,
        ]
        .iter()
        .any(|f| f.to_lowercase().contains(&word.to_lowercase()))
    };
    let total = rows.len();
    let by_word = rows.iter().filter(|r| searched(r)).count();
    let by_q = rows.iter().filter(|r| r.q_bh < 0.05).count();
    let both = rows.iter().filter(|r| searched(r) && r.q_bh < 0.05).count();
    assert!(
        by_word > 0 && by_word < total,
        "{word}: {by_word} of {total}"
    );
    eprintln!("filter {word:?}: {by_word}, q<0.05: {by_q}, both: {both} of {total}");

    // Each wait names the filter line too, so it cannot be met by a half-typed query.
    let count = |n: usize| format!(" {n} of {total} associations");
    let upper = word.to_uppercase();
    tmux.keys(&["/"]);
    tmux.text(&upper);
    let shown = tmux.wait_for_all(&[&count(by_word), &format!("filter: {upper}_")], "");
    let cell = |f: &str| -> String {
        let text = format!("{f}  {}", describe(f).0);
        text.chars().take(30).collect()
    };
    assert!(
        rows.iter()
            .filter(|r| searched(r))
            .any(|r| shown.contains(&cell(&r.factor))),
        "a factor's id and description ({}) in the rows:\n{shown}",
        cell(&factor)
    );
    tmux.text(" q<abc");
    let shown = tmux.wait_for("'abc' is not a number", "");
    assert!(
        shown.contains(&count(by_word)),
        "a malformed term filters nothing out:\n{shown}"
    );
    for _ in 0.."abc".len() {
        tmux.keys(&["BSpace"]);
    }
    tmux.text("0.05");
    tmux.wait_for_all(&[&count(both), &format!("filter: {upper} q<0.05_")], "");
    // q<0.05 alone. Esc clears the line; the next key waits for the screen, so that the
    // terminal does not read Esc and it as one Alt key.
    tmux.keys(&["Escape"]);
    tmux.wait_for_all(&[&count(total), "/ filter"], "");
    tmux.keys(&["/"]);
    tmux.text("q<0.05");
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&[&count(by_q), "filter: q<0.05 "], "");
    tmux.keys(&["/"]);
    tmux.wait_for("filter: q<0.05_", "");
    tmux.keys(&["Escape"]);
    tmux.wait_for_all(&[&count(total), "/ filter"], "");
}

/// Hardening (issue 15, item 8): without a terminal (cron, CI, `ssh` without `-t`, a pipe)
/// the TUI says it needs one and exits 2, instead of panicking in the terminal set-up (101).
#[test]
fn without_a_terminal_the_tui_says_so_and_exits_2() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().to_str().unwrap();
    let check = |out: std::process::Output, what: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("tui needs a terminal") && stderr.contains(what),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    // No terminal at all (cron, CI).
    let out = Command::new(BIN)
        .args(["tui", dir])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("meshagents runs");
    check(out, "standard input");
    // A terminal to type in, but the screen piped away (`meshagents tui | less`): `script`
    // (util-linux) gives the command a pseudo-terminal; its stdout goes to a file.
    let piped = root.path().join("screen.txt");
    let line = format!(
        "{BIN} tui {dir} > {} 2>&1; echo exit=$? >> {}",
        piped.display(),
        piped.display()
    );
    let ran = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output();
    match ran {
        Ok(_) => {
            let text = std::fs::read_to_string(&piped).unwrap_or_default();
            assert!(text.contains("exit=2"), "{text}");
            assert!(
                text.contains("tui needs a terminal") && text.contains("standard output"),
                "{text}"
            );
            std::fs::remove_file(&piped).unwrap();
        }
        Err(e) if std::env::var_os("CI").is_none() => eprintln!("skipped the piped case: {e}"),
        Err(e) => panic!("`script` (util-linux) is needed under CI: {e}"),
    }
    // The root it was pointed at is left as it was.
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
}
