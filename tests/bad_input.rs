//! Bad input, case by case, through the real binary: every case exits with the code it must
//! (1 for refused input, 2 for a bad command line), says what is wrong naming the file, row,
//! column, flag or key, never panics, and leaves every file that was there unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;
use common::{meshagents_in, simulate_csv, text};

/// One bad input: files to prepare in a copy of the base folder, the arguments, the exit code
/// and what the message must say.
struct Case {
    name: &'static str,
    prepare: fn(&Path),
    args: &'static [&'static str],
    code: i32,
    says: &'static [&'static str],
}

fn nothing(_: &Path) {}

/// `cohort.csv` of the base folder with `edit` applied to each line (0 is the header), as
/// `name` in `dir`.
fn edited(dir: &Path, name: &str, edit: impl Fn(usize, &str) -> Option<String>) {
    let text = std::fs::read_to_string(dir.join("c/cohort.csv")).unwrap();
    let mut out = String::new();
    for (k, line) in text.lines().enumerate() {
        if let Some(line) = edit(k, line) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    std::fs::write(dir.join(name), out).unwrap();
}

/// The line with its first cell (the id) replaced.
fn with_id(line: &str, id: &str) -> String {
    let rest = line.split_once(',').map_or("", |(_, r)| r);
    format!("{id},{rest}")
}

fn dictionary_with(dir: &Path, name: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(dir.join("c/dictionary.csv")).unwrap();
    assert!(text.contains(from));
    std::fs::write(dir.join(name), text.replacen(from, to, 1)).unwrap();
}

fn study(dir: &Path, body: &str) {
    std::fs::write(dir.join("STUDY.toml"), body).unwrap();
}

/// The phewas arguments on the base cohort followed by `rest`.
macro_rules! phewas {
    ($($arg:expr),* $(,)?) => {
        &[
            "phewas", "--data", "c/cohort.csv", "--dictionary", "c/dictionary.csv",
            $($arg),*
        ]
    };
}

/// `phewas` on `data` (a file the case prepares) with the base dictionary.
macro_rules! phewas_on {
    ($data:expr) => {
        &[
            "phewas",
            "--data",
            $data,
            "--dictionary",
            "c/dictionary.csv",
            "--phenotypes",
            "LVM",
            "--factors",
            "sex",
            "--out",
            "o.csv",
        ]
    };
}

/// `phewas` on the base cohort with `dictionary` (a file the case prepares).
macro_rules! phewas_with_dictionary {
    ($dictionary:expr) => {
        &[
            "phewas",
            "--data",
            "c/cohort.csv",
            "--dictionary",
            $dictionary,
            "--phenotypes",
            "LVM",
            "--factors",
            "sex",
            "--out",
            "o.csv",
        ]
    };
}

#[path = "bad_input/commands.rs"]
mod commands;

/// `cohort.csv` of the base folder as `x.csv`, with the cell `column` (0-based) of `line` (0
/// is the header) replaced by a Latin-1 `Zürich`.
fn latin1(dir: &Path, line: usize, column: usize) {
    let text = std::fs::read_to_string(dir.join("c/cohort.csv")).unwrap();
    let mut out = Vec::new();
    for (k, l) in text.lines().enumerate() {
        let mut cells: Vec<Vec<u8>> = l.split(',').map(|c| c.as_bytes().to_vec()).collect();
        if k == line {
            cells[column] = b"Z\xfcrich".to_vec();
        }
        out.extend(cells.join(&b','));
        out.push(b'\n');
    }
    std::fs::write(dir.join("x.csv"), out).unwrap();
}

/// `dictionary.csv` of the base folder with `rows` appended, as `dict.csv`.
fn dictionary_plus(dir: &Path, rows: &str) {
    let text = std::fs::read_to_string(dir.join("c/dictionary.csv")).unwrap();
    std::fs::write(dir.join("dict.csv"), format!("{text}{rows}")).unwrap();
}

/// The cases of data and dictionary files (those of commands and study files: [`commands`]).
fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "data missing",
            prepare: nothing,
            args: &[
                "phewas",
                "--data",
                "nope.csv",
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
            ],
            code: 1,
            says: &["nope.csv", "no such file"],
        },
        Case {
            name: "data is a directory",
            prepare: nothing,
            args: &[
                "phewas",
                "--data",
                "c",
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
            ],
            code: 1,
            says: &["--data c", "is a directory"],
        },
        Case {
            name: "data of an unknown format",
            prepare: |d| {
                std::fs::copy(d.join("c/cohort.csv"), d.join("c.xlsx")).unwrap();
            },
            args: phewas_on!("c.xlsx"),
            code: 1,
            says: &["c.xlsx", "unknown table format"],
        },
        Case {
            name: "out under a file",
            prepare: |d| std::fs::write(d.join("afile"), "x").unwrap(),
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "afile/o.csv"
            ),
            code: 1,
            says: &["afile is a file"],
        },
        Case {
            name: "out is the data",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "c/cohort.csv"
            ),
            code: 1,
            says: &["--data file", "never writes over its inputs"],
        },
        Case {
            name: "out is the dictionary",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "c/dictionary.csv"
            ),
            code: 1,
            says: &["--dictionary file", "never writes over its inputs"],
        },
        Case {
            name: "out is a directory",
            prepare: nothing,
            args: phewas!("--phenotypes", "LVM", "--factors", "sex", "--out", "c"),
            code: 1,
            says: &["--out c", "is a directory"],
        },
        Case {
            name: "out of an unknown format",
            prepare: nothing,
            args: phewas!("--phenotypes", "LVM", "--factors", "sex", "--out", "o.xlsx"),
            code: 1,
            says: &["o.xlsx", "unknown table format"],
        },
        Case {
            name: "unknown phenotype",
            prepare: nothing,
            args: phewas!("--phenotypes", "NOPE", "--factors", "sex", "--out", "o.csv"),
            code: 1,
            says: &["--phenotypes", "'NOPE' is not a column"],
        },
        Case {
            name: "unknown factor",
            prepare: nothing,
            args: phewas!("--phenotypes", "LVM", "--factors", "NOPE", "--out", "o.csv"),
            code: 1,
            says: &["--factors", "'NOPE' is not a column"],
        },
        Case {
            name: "unknown covariate",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--covariates",
                "NOPE",
                "--out",
                "o.csv"
            ),
            code: 1,
            says: &["--covariates", "'NOPE' is not a column"],
        },
        Case {
            name: "missing @file list",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "@nolist.txt",
                "--factors",
                "sex",
                "--out",
                "o.csv"
            ),
            code: 1,
            says: &["--phenotypes", "nolist.txt"],
        },
        Case {
            name: "a column in two lists",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "LVM,sex",
                "--out",
                "o.csv"
            ),
            code: 1,
            says: &["'LVM' is named in both --phenotypes and --factors"],
        },
        Case {
            name: "a covariate that is a factor",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex,age",
                "--covariates",
                "age",
                "--out",
                "o.csv"
            ),
            code: 1,
            says: &["'age' is named in both --covariates and --factors"],
        },
        Case {
            name: "duplicate participant id",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 2 {
                        with_id(l, "1000001")
                    } else {
                        l.into()
                    })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &[
                "x.csv",
                "row 2, column 'eid'",
                "duplicate participant id 1000001",
            ],
        },
        Case {
            name: "text participant id",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 3 { with_id(l, "abc") } else { l.into() })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["row 3, column 'eid'", "'abc' is not a whole number"],
        },
        Case {
            name: "fractional participant id",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 4 { with_id(l, "12.5") } else { l.into() })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["row 4, column 'eid'", "'12.5' is not a whole number"],
        },
        Case {
            name: "missing participant id",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 5 { with_id(l, "") } else { l.into() })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["row 5, column 'eid'", "missing participant id"],
        },
        Case {
            name: "empty file",
            prepare: |d| std::fs::write(d.join("x.csv"), "").unwrap(),
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["x.csv", "the file is empty"],
        },
        Case {
            name: "header without rows",
            prepare: |d| edited(d, "x.csv", |k, l| (k == 0).then(|| l.into())),
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["x.csv", "header but no rows"],
        },
        Case {
            name: "two rows",
            prepare: |d| edited(d, "x.csv", |k, l| (k <= 2).then(|| l.into())),
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["x.csv", "2 participant row(s)", "at least 3"],
        },
        Case {
            name: "a ragged row",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 6 {
                        l.rsplit_once(',').unwrap().0.into()
                    } else {
                        l.into()
                    })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["x.csv", "line 7", "fields but the header has"],
        },
        Case {
            name: "two header cells for one field",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 0 {
                        l.replacen(",LVESV,", ",LVM,", 1)
                    } else {
                        l.into()
                    })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["x.csv", "both name 'LVM'"],
        },
        Case {
            name: "no id column and no dictionary",
            prepare: |d| edited(d, "x.csv", |_, l| Some(l.split_once(',').unwrap().1.into())),
            args: &[
                "phewas",
                "--data",
                "x.csv",
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
            ],
            code: 1,
            says: &["x.csv", "no participant id column", "--id"],
        },
        Case {
            name: "--id naming no column",
            prepare: nothing,
            args: phewas!(
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
                "--id",
                "nope"
            ),
            code: 1,
            says: &["id column 'nope' is not in the data"],
        },
        Case {
            name: "dictionary missing",
            prepare: nothing,
            args: &[
                "phewas",
                "--data",
                "c/cohort.csv",
                "--dictionary",
                "nope.csv",
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
            ],
            code: 1,
            says: &["nope.csv"],
        },
        Case {
            name: "dictionary with an unknown role",
            prepare: |d| dictionary_with(d, "dict.csv", ",imaging\n", ",imagingg\n"),
            args: &[
                "phewas",
                "--data",
                "c/cohort.csv",
                "--dictionary",
                "dict.csv",
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
            ],
            code: 1,
            says: &["dict.csv", "column 'role'", "unknown role 'imagingg'"],
        },
        Case {
            name: "dictionary with an unknown value type",
            prepare: |d| dictionary_with(d, "dict.csv", ",continuous,", ",continuos,"),
            args: &[
                "phewas",
                "--data",
                "c/cohort.csv",
                "--dictionary",
                "dict.csv",
                "--phenotypes",
                "LVM",
                "--factors",
                "sex",
                "--out",
                "o.csv",
            ],
            code: 1,
            says: &[
                "dict.csv",
                "row 3, column 'value_type'",
                "unknown value_type 'continuos'",
            ],
        },
        Case {
            name: "a Latin-1 byte in a cell",
            prepare: |d| latin1(d, 2, 2),
            args: phewas_on!("x.csv"),
            code: 1,
            says: &[
                "x.csv",
                "row 2, column 'sex'",
                "not valid UTF-8 (byte 0xFC on line 3 of the file",
                "save the file as UTF-8",
            ],
        },
        Case {
            name: "a Latin-1 byte in the header",
            prepare: |d| latin1(d, 0, 1),
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["x.csv", "line 1 (the header), column 2", "not valid UTF-8"],
        },
        Case {
            name: "a participant id beyond 64 bits",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 3 {
                        with_id(l, "99999999999999999999")
                    } else {
                        l.into()
                    })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &[
                "x.csv",
                "row 3, column 'eid'",
                "participant id '99999999999999999999' is too large",
            ],
        },
        Case {
            name: "a blank line inside the table",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    Some(if k == 10 { format!("\n{l}") } else { l.into() })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &["x.csv", "line 11 is blank but rows follow it"],
        },
        Case {
            name: "decimal commas mixed with decimal points",
            prepare: |d| {
                edited(d, "x.csv", |k, l| {
                    let l = l.replace(',', ";");
                    Some(if k == 2 { l.replacen('.', ",", 1) } else { l })
                })
            },
            args: phewas_on!("x.csv"),
            code: 1,
            says: &[
                "x.csv",
                "mixes decimal commas (row 2, column 'age': '59,2')",
                "decimal points (row 1, column 'age': '64.1')",
            ],
        },
        Case {
            name: "a dictionary with two id rows",
            prepare: |d| {
                dictionary_with(
                    d,
                    "dict.csv",
                    ",0=Female;1=Male,covariate\n",
                    ",0=Female;1=Male,id\n",
                )
            },
            args: phewas_with_dictionary!("dict.csv"),
            code: 1,
            says: &[
                "dict.csv",
                "row 4, column 'role'",
                "rows 2 ('eid') and 4 ('sex') both have the role 'id'",
            ],
        },
        Case {
            name: "a dictionary describing a column twice",
            prepare: |d| {
                dictionary_plus(
                    d,
                    "sex,31,Sex,Primary demographics,binary,0=Female;1=Male,covariate\n",
                )
            },
            args: phewas_with_dictionary!("dict.csv"),
            code: 1,
            says: &[
                "dict.csv",
                "row 426, column 'column'",
                "column 'sex' is described twice (rows 4 and 426)",
            ],
        },
        Case {
            name: "a dictionary describing a field under two styles",
            prepare: |d| {
                dictionary_plus(
                    d,
                    "50-2.0,50,Height,,continuous,,factor\nf.50.2.0,50,Height,,continuous,,factor\n",
                )
            },
            args: phewas_with_dictionary!("dict.csv"),
            code: 1,
            says: &[
                "dict.csv",
                "rows 426 ('50-2.0') and 427 ('f.50.2.0') both describe the column '50-2.0'",
            ],
        },
    ]
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn every_bad_input_is_refused_clearly_and_changes_nothing() {
    let base = tempfile::tempdir().unwrap();
    simulate_csv(base.path(), "c", "300", "1", &[]);
    let mut cases = cases();
    cases.extend(commands::cases());
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base.path(), dir.path());
        (case.prepare)(dir.path());
        let before = snapshot(dir.path());
        let o = meshagents_in(dir.path(), case.args);
        let said = text(&o);
        let mut wrong = Vec::new();
        if o.status.code() != Some(case.code) {
            wrong.push(format!("exit {:?}, not {}", o.status.code(), case.code));
        }
        if said.contains("panicked") {
            wrong.push("a panic".into());
        }
        for needle in case.says {
            if !said.contains(needle) {
                wrong.push(format!("no `{needle}`"));
            }
        }
        let after = snapshot(dir.path());
        for (path, bytes) in &before {
            if after.get(path) != Some(bytes) {
                wrong.push(format!("{} changed", path.display()));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}\n{said}", case.name, wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
