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
    prepare: Box<dyn Fn(&Path)>,
    /// Split at spaces: no argument of a case has one.
    args: String,
    code: i32,
    says: &'static [&'static str],
}

fn case(
    name: &'static str,
    prepare: impl Fn(&Path) + 'static,
    args: impl Into<String>,
    code: i32,
    says: &'static [&'static str],
) -> Case {
    Case {
        name,
        prepare: Box::new(prepare),
        args: args.into(),
        code,
        says,
    }
}

/// Input refused as it is in the base folder (exit code 1).
fn refused(name: &'static str, args: impl Into<String>, says: &'static [&'static str]) -> Case {
    case(name, |_| {}, args, 1, says)
}

/// A command line refused by its parser (exit code 2).
fn misused(name: &'static str, args: impl Into<String>, says: &'static [&'static str]) -> Case {
    case(name, |_| {}, args, 2, says)
}

/// The standard request of these cases: one phenotype, one factor, a CSV table.
const LVM_BY_SEX: &str = "--phenotypes LVM --factors sex --out o.csv";

/// `phewas` on the base cohort and dictionary with `rest`.
fn phewas(rest: &str) -> String {
    format!("phewas --data c/cohort.csv --dictionary c/dictionary.csv {rest}")
}

/// The standard request on `data` with the base dictionary.
fn phewas_on(data: &str) -> String {
    format!("phewas --data {data} --dictionary c/dictionary.csv {LVM_BY_SEX}")
}

/// The standard request on `data` with no dictionary.
fn phewas_without_dictionary(data: &str) -> String {
    format!("phewas --data {data} {LVM_BY_SEX}")
}

/// The standard request on the base cohort with `dictionary`.
fn phewas_with_dictionary(dictionary: &str) -> String {
    format!("phewas --data c/cohort.csv --dictionary {dictionary} {LVM_BY_SEX}")
}

/// The standard request on `x.csv`, which `prepare` writes.
fn bad_data(
    name: &'static str,
    prepare: impl Fn(&Path) + 'static,
    says: &'static [&'static str],
) -> Case {
    case(name, prepare, phewas_on("x.csv"), 1, says)
}

/// `cohort.csv` of the base folder with `edit` applied to each line (0 is the header), as
/// `x.csv`.
fn edited(dir: &Path, edit: impl Fn(usize, &str) -> Option<String>) {
    let text = std::fs::read_to_string(dir.join("c/cohort.csv")).unwrap();
    let mut out = String::new();
    for (k, line) in text.lines().enumerate() {
        if let Some(line) = edit(k, line) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    std::fs::write(dir.join("x.csv"), out).unwrap();
}

/// `cohort.csv` of the base folder with line `at` (0 is the header) edited, as `x.csv`.
fn edit_line(dir: &Path, at: usize, edit: impl Fn(&str) -> String) {
    edited(dir, |k, l| Some(if k == at { edit(l) } else { l.into() }));
}

/// `cohort.csv` of the base folder with the id of row `row` replaced, as `x.csv`.
fn with_id(dir: &Path, row: usize, id: &'static str) {
    edit_line(dir, row, |l| {
        let rest = l.split_once(',').map_or("", |(_, r)| r);
        format!("{id},{rest}")
    });
}

fn dictionary_with(dir: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(dir.join("c/dictionary.csv")).unwrap();
    assert!(text.contains(from));
    std::fs::write(dir.join("dict.csv"), text.replacen(from, to, 1)).unwrap();
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
        refused(
            "data missing",
            phewas_without_dictionary("nope.csv"),
            &["nope.csv", "no such file"],
        ),
        refused(
            "data is a directory",
            phewas_without_dictionary("c"),
            &["--data c", "is a directory"],
        ),
        case(
            "data of an unknown format",
            |d| {
                std::fs::copy(d.join("c/cohort.csv"), d.join("c.xlsx")).unwrap();
            },
            phewas_on("c.xlsx"),
            1,
            &["c.xlsx", "unknown table format"],
        ),
        case(
            "out under a file",
            |d| std::fs::write(d.join("afile"), "x").unwrap(),
            phewas("--phenotypes LVM --factors sex --out afile/o.csv"),
            1,
            &["afile is a file"],
        ),
        refused(
            "out is the data",
            phewas("--phenotypes LVM --factors sex --out c/cohort.csv"),
            &["--data file", "never writes over its inputs"],
        ),
        refused(
            "out is the dictionary",
            phewas("--phenotypes LVM --factors sex --out c/dictionary.csv"),
            &["--dictionary file", "never writes over its inputs"],
        ),
        refused(
            "out is a directory",
            phewas("--phenotypes LVM --factors sex --out c"),
            &["--out c", "is a directory"],
        ),
        refused(
            "out of an unknown format",
            phewas("--phenotypes LVM --factors sex --out o.xlsx"),
            &["o.xlsx", "unknown table format"],
        ),
        refused(
            "unknown phenotype",
            phewas("--phenotypes NOPE --factors sex --out o.csv"),
            &["--phenotypes", "'NOPE' is not a column"],
        ),
        refused(
            "unknown factor",
            phewas("--phenotypes LVM --factors NOPE --out o.csv"),
            &["--factors", "'NOPE' is not a column"],
        ),
        refused(
            "unknown covariate",
            phewas("--phenotypes LVM --factors sex --covariates NOPE --out o.csv"),
            &["--covariates", "'NOPE' is not a column"],
        ),
        refused(
            "missing @file list",
            phewas("--phenotypes @nolist.txt --factors sex --out o.csv"),
            &["--phenotypes", "nolist.txt"],
        ),
        refused(
            "a column in two lists",
            phewas("--phenotypes LVM --factors LVM,sex --out o.csv"),
            &["'LVM' is named in both --phenotypes and --factors"],
        ),
        refused(
            "a covariate that is a factor",
            phewas("--phenotypes LVM --factors sex,age --covariates age --out o.csv"),
            &["'age' is named in both --covariates and --factors"],
        ),
        bad_data(
            "duplicate participant id",
            |d| with_id(d, 2, "1000001"),
            &[
                "x.csv",
                "row 2, column 'eid'",
                "duplicate participant id 1000001",
            ],
        ),
        bad_data(
            "text participant id",
            |d| with_id(d, 3, "abc"),
            &["row 3, column 'eid'", "'abc' is not a whole number"],
        ),
        bad_data(
            "fractional participant id",
            |d| with_id(d, 4, "12.5"),
            &["row 4, column 'eid'", "'12.5' is not a whole number"],
        ),
        bad_data(
            "missing participant id",
            |d| with_id(d, 5, ""),
            &["row 5, column 'eid'", "missing participant id"],
        ),
        bad_data(
            "empty file",
            |d| std::fs::write(d.join("x.csv"), "").unwrap(),
            &["x.csv", "the file is empty"],
        ),
        bad_data(
            "header without rows",
            |d| edited(d, |k, l| (k == 0).then(|| l.into())),
            &["x.csv", "header but no rows"],
        ),
        bad_data(
            "two rows",
            |d| edited(d, |k, l| (k <= 2).then(|| l.into())),
            &["x.csv", "2 participant row(s)", "at least 3"],
        ),
        bad_data(
            "a ragged row",
            |d| edit_line(d, 6, |l| l.rsplit_once(',').unwrap().0.into()),
            &["x.csv", "line 7", "fields but the header has"],
        ),
        bad_data(
            "two header cells for one field",
            |d| edit_line(d, 0, |l| l.replacen(",LVESV,", ",LVM,", 1)),
            &["x.csv", "both name 'LVM'"],
        ),
        case(
            "no id column and no dictionary",
            |d| edited(d, |_, l| Some(l.split_once(',').unwrap().1.into())),
            phewas_without_dictionary("x.csv"),
            1,
            &["x.csv", "no participant id column", "--id"],
        ),
        refused(
            "--id naming no column",
            phewas(&format!("{LVM_BY_SEX} --id nope")),
            &["id column 'nope' is not in the data"],
        ),
        refused(
            "dictionary missing",
            phewas_with_dictionary("nope.csv"),
            &["nope.csv"],
        ),
        case(
            "dictionary with an unknown role",
            |d| dictionary_with(d, ",imaging\n", ",imagingg\n"),
            phewas_with_dictionary("dict.csv"),
            1,
            &["dict.csv", "column 'role'", "unknown role 'imagingg'"],
        ),
        case(
            "dictionary with an unknown value type",
            |d| dictionary_with(d, ",continuous,", ",continuos,"),
            phewas_with_dictionary("dict.csv"),
            1,
            &[
                "dict.csv",
                "row 3, column 'value_type'",
                "unknown value_type 'continuos'",
            ],
        ),
        bad_data(
            "a Latin-1 byte in a cell",
            |d| latin1(d, 2, 2),
            &[
                "x.csv",
                "row 2, column 'sex'",
                "not valid UTF-8 (byte 0xFC on line 3 of the file",
                "save the file as UTF-8",
            ],
        ),
        bad_data(
            "a Latin-1 byte in the header",
            |d| latin1(d, 0, 1),
            &["x.csv", "line 1 (the header), column 2", "not valid UTF-8"],
        ),
        bad_data(
            "a participant id beyond 64 bits",
            |d| with_id(d, 3, "99999999999999999999"),
            &[
                "x.csv",
                "row 3, column 'eid'",
                "participant id '99999999999999999999' is too large",
            ],
        ),
        bad_data(
            "a blank line inside the table",
            |d| edit_line(d, 10, |l| format!("\n{l}")),
            &["x.csv", "line 11 is blank but rows follow it"],
        ),
        bad_data(
            "decimal commas mixed with decimal points",
            |d| {
                edited(d, |k, l| {
                    let l = l.replace(',', ";");
                    Some(if k == 2 { l.replacen('.', ",", 1) } else { l })
                })
            },
            &[
                "x.csv",
                "mixes decimal commas (row 2, column 'age': '59,2')",
                "decimal points (row 1, column 'age': '64.1')",
            ],
        ),
        case(
            "a dictionary with two id rows",
            |d| dictionary_with(d, ",0=Female;1=Male,covariate\n", ",0=Female;1=Male,id\n"),
            phewas_with_dictionary("dict.csv"),
            1,
            &[
                "dict.csv",
                "row 4, column 'role'",
                "rows 2 ('eid') and 4 ('sex') both have the role 'id'",
            ],
        ),
        case(
            "a dictionary describing a column twice",
            |d| {
                dictionary_plus(
                    d,
                    "sex,31,Sex,Primary demographics,binary,0=Female;1=Male,covariate\n",
                )
            },
            phewas_with_dictionary("dict.csv"),
            1,
            &[
                "dict.csv",
                "row 426, column 'column'",
                "column 'sex' is described twice (rows 4 and 426)",
            ],
        ),
        case(
            "a dictionary describing a field under two styles",
            |d| {
                dictionary_plus(
                    d,
                    "50-2.0,50,Height,,continuous,,factor\nf.50.2.0,50,Height,,continuous,,factor\n",
                )
            },
            phewas_with_dictionary("dict.csv"),
            1,
            &[
                "dict.csv",
                "rows 426 ('50-2.0') and 427 ('f.50.2.0') both describe the column '50-2.0'",
            ],
        ),
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
        let args: Vec<&str> = case.args.split(' ').collect();
        let o = meshagents_in(dir.path(), &args);
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
