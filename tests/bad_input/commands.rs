//! The bad-input cases of commands and study files: flags, `simulate`, `demo`, STUDY.toml
//! keys, `study status`, `fork` and `approve`. The cases of data and dictionary files are in
//! the parent file.

use super::*;

/// `study run STUDY.toml` with `body` as STUDY.toml, refused.
fn bad_study(name: &'static str, body: String, says: &'static [&'static str]) -> Case {
    let prepare = move |d: &Path| std::fs::write(d.join("STUDY.toml"), &body).unwrap();
    case(name, prepare, "study run STUDY.toml", 1, says)
}

/// A study named `x` of the base cohort, then `rest`.
fn study_of(rest: &str) -> String {
    format!("name = \"x\"\ndata = \"c/cohort.csv\"\n{rest}")
}

/// A study of LVM on the base cohort and dictionary, then `rest`.
fn lvm_study(rest: &str) -> String {
    study_of(&format!(
        "dictionary = \"c/dictionary.csv\"\nphenotypes = \"LVM\"\n{rest}"
    ))
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        refused(
            "a shard out of range",
            phewas("--phenotypes LVM --factors sex --out o.parquet --shard 5/3"),
            &["--shard 5/3", "expected I/N"],
        ),
        misused("an unknown flag", "phewas --bogus", &["'--bogus'"]),
        misused(
            "an unknown model",
            phewas(&format!("{LVM_BY_SEX} --model bogus")),
            &["'bogus'", "--model"],
        ),
        misused(
            "a missing required flag",
            "phewas --data c/cohort.csv --factors sex --out o.csv",
            &["--phenotypes"],
        ),
        refused(
            "simulate of no one",
            "simulate --n 0 --out s",
            &["--n must be at least 10"],
        ),
        misused(
            "simulate to an unknown format",
            "simulate --out s --format xlsx",
            &["'xlsx'", "--format"],
        ),
        refused(
            "a demo too small to mean anything",
            "demo --n 10 --out d",
            &["--n must be at least 200"],
        ),
        refused("STUDY.toml missing", "study run nope.toml", &["nope.toml"]),
        bad_study(
            "STUDY.toml that is not TOML",
            "name = \"x\"\ndata = \n".into(),
            &["STUDY.toml", "line 2"],
        ),
        bad_study(
            "STUDY.toml with an unknown key",
            study_of("bogus = 1\n"),
            &["STUDY.toml", "line 3", "bogus"],
        ),
        bad_study(
            "STUDY.toml without a name",
            "data = \"c/cohort.csv\"\n".into(),
            &["STUDY.toml", "name"],
        ),
        bad_study(
            "STUDY.toml naming missing data",
            "name = \"x\"\ndata = \"c/nope.csv\"\n".into(),
            &["STUDY.toml", "key `data`", "does not exist"],
        ),
        bad_study(
            "STUDY.toml with an empty dictionary",
            study_of("dictionary = \"\"\n"),
            &["STUDY.toml", "key `dictionary` is empty"],
        ),
        bad_study(
            "STUDY.toml whose data is a directory",
            "name = \"x\"\ndata = \"c\"\n".into(),
            &["STUDY.toml", "key `data`", "is a directory"],
        ),
        bad_study(
            "STUDY.toml with an unknown model",
            study_of("model = \"bogus\"\n"),
            &["STUDY.toml", "line 3", "bogus"],
        ),
        bad_study(
            "STUDY.toml with a column in two lists",
            lvm_study("factors = \"LVM,sex\"\ncovariates = \"age\"\n"),
            &["'LVM' is named in both phenotypes and factors"],
        ),
        refused(
            "status of a folder that is not a study",
            "study status c",
            &["c", "not a study directory"],
        ),
        refused(
            "fork of a folder that is not a study",
            "study fork c --from data/clean --out f",
            &["c", "not a study directory"],
        ),
        refused(
            "approval where nothing waits",
            "study approve c",
            &["c", "no confounder set is waiting for approval"],
        ),
        // Adjusted for itself, a binary factor is separated by its own column, and Firth's
        // fit, which takes over from a separated one, would give it an estimate anyway.
        refused(
            "Firth: a binary factor that is also a covariate",
            phewas(
                "--phenotypes LVM --factors sex --covariates age,sex --model logistic --out o.csv",
            ),
            &["column 'sex' is named in both --covariates and --factors"],
        ),
        bad_study(
            "Firth: STUDY.toml with a binary factor that is also a covariate",
            lvm_study("factors = \"sex\"\ncovariates = \"age,sex\"\nmodel = \"logistic\"\n"),
            &["'sex' is named in both covariates and factors"],
        ),
        bad_study(
            "Firth: STUDY.toml with a binary factor that is also a candidate",
            lvm_study("factors = \"sex\"\ncandidates = \"age,sex\"\nmodel = \"logistic\"\n"),
            &["'sex' is named in both candidates and factors"],
        ),
    ]
}
