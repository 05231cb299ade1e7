//! End to end (issue 17, items 4 and 7): drives `meshagents tui` in a tmux pseudo-terminal.
//! The wizard makes a study whose panel debates two single covariates, picked with the
//! picker's search; the STUDY.toml is previewed before it is written, and Enter opens the
//! study's live panel. Once it has finished it is forked under a name of our own with another
//! transform; the fork is selected, its live panel shows the reused panel's transcript, and C
//! opens the compare view, whose counts of hits gained and lost are those of the two
//! studies' associations.csv.
//!
//! Skips (with a message) when tmux is missing, except under CI (`CI=true`), where it fails.
//! No wall-clock limit: every wait ends on what the screen shows, or fails as soon as the
//! TUI's pane is gone.

use std::collections::BTreeSet;
use std::path::Path;

use meshagents_stats::data::dictionary::{Dictionary, Role};
use meshagents_stats::phewas::read_associations;

mod common;

use common::tmux::Tmux;

/// Two covariate columns whose id, typed into the picker's search, finds that column alone:
/// no other column's id, description, category or role, no category and no role holds it.
fn two_findable_covariates(dictionary: &Dictionary) -> Vec<String> {
    let entries: Vec<_> = dictionary
        .entries
        .iter()
        .filter(|e| e.role != Role::Id)
        .collect();
    let roles = ["imaging", "factor", "covariate", "disease"];
    let groups: Vec<String> = entries
        .iter()
        .map(|e| e.category.to_lowercase())
        .chain(roles.iter().map(|r| format!("category, mostly {r}")))
        .chain(roles.iter().map(|r| format!("every {r} column {r}")))
        .collect();
    let haystack = |e: &&meshagents_stats::data::dictionary::DictionaryEntry| {
        [&e.column, &e.description, &e.category, e.role.as_str()]
            .map(|s| s.to_lowercase())
            .join("\n")
    };
    entries
        .iter()
        .filter(|e| e.role == Role::Covariate)
        .map(|e| e.column.to_lowercase())
        .filter(|q| {
            entries.iter().filter(|e| haystack(e).contains(q)).count() == 1
                && !groups.iter().any(|g| g.contains(q))
        })
        .take(2)
        .collect()
}

/// (hits gained, hits lost) between two association tables, Bonferroni < 0.05, by pair.
fn gained_and_lost(base: &Path, fork: &Path) -> (usize, usize) {
    let hits = |dir: &Path| -> BTreeSet<(String, String)> {
        read_associations(&dir.join("associations.csv"))
            .expect("associations.csv")
            .into_iter()
            .filter(|r| r.bonferroni < 0.05)
            .map(|r| (r.phenotype, r.factor))
            .collect()
    };
    let (a, b) = (hits(base), hits(fork));
    (b.difference(&a).count(), a.difference(&b).count())
}

#[test]
fn wizard_with_picked_covariates_preview_live_panel_then_named_fork_and_compare_in_tmux() {
    if !common::tmux::available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let cohort = common::tmux::small_cohort(tmp.path());
    let dictionary = Dictionary::read_csv(&cohort.join("dictionary.csv")).expect("dictionary");
    let covariates = two_findable_covariates(&dictionary);
    assert_eq!(
        covariates.len(),
        2,
        "two covariates to pick: {covariates:?}"
    );
    let root = tmp.path().join("studies");
    std::fs::create_dir_all(root.join("wiz-base")).expect("a folder in the way");
    let tmux = Tmux::start("wizard", &root, tmp.path(), 110, 32);

    tmux.wait_for("studies under", "");
    tmux.open_wizard();
    // The name is checked as it is typed: a folder of that name exists.
    tmux.text("wiz base");
    tmux.wait_for("a study named wiz-base exists", "");
    tmux.keys(&["Tab"]);
    tmux.keys(&["BSpace", "BSpace", "BSpace", "BSpace"]);
    std::fs::remove_dir(root.join("wiz-base")).expect("out of the way");
    tmux.text("base");
    let files = tmux.wait_for("name          wiz base_", "");
    assert!(!files.contains("exists"), "{files}");
    tmux.wizard_files(&cohort);
    let phenotypes = tmux.wait_for("new study: 2/6 phenotypes", "! ");
    assert!(phenotypes.contains("every imaging column"), "{phenotypes}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("new study: 3/6 factors", "");
    tmux.keys(&["Enter"]);
    tmux.wait_for("new study: 4/6 covariates", "");
    // The whole covariate role is picked by default: found by search, unpicked with Space.
    tmux.text("covariate");
    tmux.wait_for("search: covariate_", "");
    tmux.keys(&["Space"]);
    tmux.wait_for("picked: 0 (0 columns)", "");
    for q in &covariates {
        tmux.keys(&["Escape"]);
        tmux.wait_for("search: _", "");
        tmux.text(q);
        tmux.wait_for(&format!("search: {q}_   1 of "), "");
        tmux.keys(&["Space"]);
    }
    let picked = tmux.wait_for("picked: 2 (2 columns) -> candidates", "");
    assert!(picked.contains("the panel chooses among them"), "{picked}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("new study: 5/6 panel", "");
    tmux.keys(&["Enter"]);
    let preview = tmux.wait_for("6/6 preview of STUDY.toml", "");
    let candidates = format!("candidates = \"{}\"", covariates.join(","));
    assert!(preview.contains("name = \"wiz base\""), "{preview}");
    assert!(preview.contains(&candidates), "{preview}");
    let dir = root.join("wiz-base");
    assert!(!dir.exists(), "nothing is written before Enter");
    tmux.keys(&["Enter"]);
    // The live panel of the new study, as it runs.
    tmux.wait_for_all(&["panel · ", "wiz-base"], "");
    tmux.wait_for("wiz-base finished", "stopped with exit code");
    let toml = std::fs::read_to_string(dir.join("STUDY.toml")).expect("STUDY.toml");
    assert!(
        preview.contains(toml.lines().nth(1).expect("a second line")),
        "the preview showed the text written:\n{toml}"
    );
    assert!(toml.contains(&candidates), "{toml}");

    // Fork it under a name of our own, with another transform.
    tmux.keys(&["Escape"]);
    tmux.wait_for("studies under", "");
    tmux.keys(&["f"]);
    tmux.wait_for("wiz-base-fork_", "");
    for _ in 0.."fork".len() {
        tmux.keys(&["BSpace"]);
    }
    tmux.text("rank");
    tmux.keys(&["Tab"]);
    tmux.text("transform=rint");
    tmux.wait_for("transform=rint_", "");
    tmux.keys(&["Enter"]);
    let fork_dir = root.join("wiz-base-rank");
    // Its live panel opens, and shows the transcript of the panel it reuses.
    let panel = tmux.wait_for_all(&["panel · ", "wiz-base-rank", "chair"], "");
    assert!(!panel.contains("no panel lines yet"), "{panel}");
    tmux.wait_for("wiz-base-rank finished", "stopped with exit code");
    let forked = std::fs::read_to_string(fork_dir.join("STUDY.toml")).expect("fork's STUDY.toml");
    assert!(forked.contains("name = \"wiz-base-rank\""), "{forked}");
    assert!(forked.contains("transform = \"rint\""), "{forked}");

    // Back on the list the fork is selected: C compares it with its parent.
    tmux.keys(&["Escape"]);
    tmux.wait_for("studies under", "");
    tmux.keys(&["C"]);
    let compare = tmux.wait_for("compare wiz-base with wiz-base-rank", "cannot compare");
    let (gained, lost) = gained_and_lost(&dir, &fork_dir);
    eprintln!("gained {gained}, lost {lost}");
    assert!(
        compare.contains(&format!("gained {gained}")) && compare.contains(&format!("lost {lost}")),
        "gained {gained}, lost {lost}:\n{compare}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("studies under", "");
    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_code(), "0", "q exits with code 0");
}
