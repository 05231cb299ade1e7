//! The bad-input cases of commands and study files: flags, `simulate`, `demo`, STUDY.toml
//! keys, `study status`, `fork` and `approve`. The cases of data and dictionary files are in
//! the parent file.

use super::*;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a shard out of range",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.parquet",
                "--shard",
                "5/3"
            ),
            code: 1,
            says: &["--shard 5/3", "expected I/N"],
        },
        Case {
            name: "an unknown flag",
            prepare: nothing,
            args: &["phewas", "--bogus"],
            code: 2,
            says: &["'--bogus'"],
        },
        Case {
            name: "an unknown model",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
                "--model",
                "bogus"
            ),
            code: 2,
            says: &["'bogus'", "--model"],
        },
        Case {
            name: "a missing required flag",
            prepare: nothing,
            args: &[
                "phewas",
                "--data",
                "c/cohort.csv",
                "--factors",
                "sex",
                "--out",
                "o.csv",
            ],
            code: 2,
            says: &["--phenotypes"],
        },
        Case {
            name: "simulate of no one",
            prepare: nothing,
            args: &["simulate", "--n", "0", "--out", "s"],
            code: 1,
            says: &["--n must be at least 10"],
        },
        Case {
            name: "simulate to an unknown format",
            prepare: nothing,
            args: &["simulate", "--out", "s", "--format", "xlsx"],
            code: 2,
            says: &["'xlsx'", "--format"],
        },
        Case {
            name: "a demo too small to mean anything",
            prepare: nothing,
            args: &["demo", "--n", "10", "--out", "d"],
            code: 1,
            says: &["--n must be at least 200"],
        },
        Case {
            name: "STUDY.toml missing",
            prepare: nothing,
            args: &["study", "run", "nope.toml"],
            code: 1,
            says: &["nope.toml"],
        },
        Case {
            name: "STUDY.toml that is not TOML",
            prepare: |d| study(d, "name = \"x\"\ndata = \n"),
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["STUDY.toml", "line 2"],
        },
        Case {
            name: "STUDY.toml with an unknown key",
            prepare: |d| study(d, "name = \"x\"\ndata = \"c/cohort.csv\"\nbogus = 1\n"),
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["STUDY.toml", "line 3", "bogus"],
        },
        Case {
            name: "STUDY.toml without a name",
            prepare: |d| study(d, "data = \"c/cohort.csv\"\n"),
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["STUDY.toml", "name"],
        },
        Case {
            name: "STUDY.toml naming missing data",
            prepare: |d| study(d, "name = \"x\"\ndata = \"c/nope.csv\"\n"),
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["STUDY.toml", "key `data`", "does not exist"],
        },
        Case {
            name: "STUDY.toml with an empty dictionary",
            prepare: |d| {
                study(
                    d,
                    "name = \"x\"\ndata = \"c/cohort.csv\"\ndictionary = \"\"\n",
                )
            },
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["STUDY.toml", "key `dictionary` is empty"],
        },
        Case {
            name: "STUDY.toml whose data is a directory",
            prepare: |d| study(d, "name = \"x\"\ndata = \"c\"\n"),
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["STUDY.toml", "key `data`", "is a directory"],
        },
        Case {
            name: "STUDY.toml with an unknown model",
            prepare: |d| {
                study(
                    d,
                    "name = \"x\"\ndata = \"c/cohort.csv\"\nmodel = \"bogus\"\n",
                )
            },
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["STUDY.toml", "line 3", "bogus"],
        },
        Case {
            name: "STUDY.toml with a column in two lists",
            prepare: |d| {
                study(d, "name = \"x\"\ndata = \"c/cohort.csv\"\ndictionary = \"c/dictionary.csv\"\nphenotypes = \"LVM\"\nfactors = \"LVM,sex\"\ncovariates = \"age\"\n")
            },
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["'LVM' is named in both phenotypes and factors"],
        },
        Case {
            name: "status of a folder that is not a study",
            prepare: nothing,
            args: &["study", "status", "c"],
            code: 1,
            says: &["c", "not a study directory"],
        },
        Case {
            name: "fork of a folder that is not a study",
            prepare: nothing,
            args: &["study", "fork", "c", "--from", "data/clean", "--out", "f"],
            code: 1,
            says: &["c", "not a study directory"],
        },
        Case {
            name: "approval where nothing waits",
            prepare: nothing,
            args: &["study", "approve", "c"],
            code: 1,
            says: &["c", "no confounder set is waiting for approval"],
        },
        // Adjusted for itself, a binary factor is separated by its own column, and Firth's
        // fit, which takes over from a separated one, would give it an estimate anyway.
        Case {
            name: "Firth: a binary factor that is also a covariate",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--covariates",
                "age,sex",
                "--model",
                "logistic",
                "--out",
                "o.csv"
            ),
            code: 1,
            says: &["column 'sex' is named in both --covariates and --factors"],
        },
        Case {
            name: "Firth: STUDY.toml with a binary factor that is also a covariate",
            prepare: |d| {
                study(d, "name = \"x\"\ndata = \"c/cohort.csv\"\ndictionary = \"c/dictionary.csv\"\nphenotypes = \"LVM\"\nfactors = \"sex\"\ncovariates = \"age,sex\"\nmodel = \"logistic\"\n")
            },
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["'sex' is named in both covariates and factors"],
        },
        Case {
            name: "Firth: STUDY.toml with a binary factor that is also a candidate",
            prepare: |d| {
                study(d, "name = \"x\"\ndata = \"c/cohort.csv\"\ndictionary = \"c/dictionary.csv\"\nphenotypes = \"LVM\"\nfactors = \"sex\"\ncandidates = \"age,sex\"\nmodel = \"logistic\"\n")
            },
            args: &["study", "run", "STUDY.toml"],
            code: 1,
            says: &["'sex' is named in both candidates and factors"],
        },
    ]
}
