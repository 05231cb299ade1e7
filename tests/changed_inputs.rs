//! A study whose data changed under it stops instead of mixing old and new: through the real
//! binary, a finished study run again on a replaced cohort is refused naming the file and the
//! way out (`study fork --from data/clean`), a copy of the same bytes is no change, and a fork
//! that reuses steps of the old data is refused too, before it makes its folder.

use std::path::Path;

mod common;
use common::{assert_exit_saying, meshagents_in, simulate_csv, stderr, text};

const STUDY: &str = "name = \"inputs\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\nphenotypes = \"LVEDV,LVM\"\nfactors = \"factor\"\ncovariates = \"age,sex\"\n";

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    meshagents_in(dir, args)
}

#[test]
fn a_study_refuses_data_that_changed_under_it() {
    let dir = tempfile::tempdir().unwrap();
    simulate_csv(dir.path(), "cohort", "600", "3", &[]);
    simulate_csv(dir.path(), "other", "600", "4", &[]);
    std::fs::write(dir.path().join("STUDY.toml"), STUDY).unwrap();
    let first = run(dir.path(), &["study", "run", "STUDY.toml"]);
    assert!(first.status.success(), "{}", text(&first));
    let table = dir.path().join("meshagents-out/inputs/associations.csv");
    let finished = std::fs::read(&table).unwrap();

    // The same bytes written again (a new modification time): no change.
    let cohort = dir.path().join("cohort/cohort.csv");
    let original = std::fs::read(&cohort).unwrap();
    std::fs::write(&cohort, &original).unwrap();
    let again = run(dir.path(), &["study", "run", "STUDY.toml"]);
    assert!(again.status.success(), "{}", text(&again));

    // Another cohort in its place: refused, naming the file and the way out; nothing changes.
    std::fs::copy(dir.path().join("other/cohort.csv"), &cohort).unwrap();
    let replaced = std::fs::read(&cohort).unwrap();
    let refused = run(dir.path(), &["study", "run", "STUDY.toml"]);
    assert_exit_saying(
        &refused,
        1,
        "cohort/cohort.csv changed since this study first read it",
    );
    let err = stderr(&refused);
    assert!(
        err.contains("study fork") && err.contains("--from data/clean"),
        "{err}"
    );
    assert_eq!(std::fs::read(&table).unwrap(), finished, "the results stay");
    assert_eq!(std::fs::read(&cohort).unwrap(), replaced, "the input stays");

    // A fork that reuses a step of the old data is refused as well; one from the first step
    // reads the new data afresh.
    let study = "meshagents-out/inputs";
    let reusing = run(
        dir.path(),
        &[
            "study",
            "fork",
            study,
            "--from",
            "phewas/adjusted",
            "--out",
            "reusing",
        ],
    );
    assert_exit_saying(&reusing, 1, "changed since");
    assert!(
        !dir.path().join("reusing").exists(),
        "a fork that cannot run is not left behind"
    );
    let afresh = run(
        dir.path(),
        &[
            "study",
            "fork",
            study,
            "--from",
            "data/clean",
            "--out",
            "afresh",
        ],
    );
    assert!(afresh.status.success(), "{}", text(&afresh));
    assert!(
        stderr(&afresh).contains("reusing nothing"),
        "{}",
        text(&afresh)
    );
    assert_ne!(
        std::fs::read(dir.path().join("afresh/associations.csv")).unwrap(),
        finished,
        "the fork's table comes from the new data"
    );
}
