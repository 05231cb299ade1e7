//! Cohort and dictionary files as spreadsheets save them, through the real binary: a
//! byte-order mark, `;` or tab separators in a `.csv` (with decimal commas), quoted header
//! names holding a comma or a newline, CRLF lines, blank lines at the end, blank lines in the
//! dictionary. Each gives the association table of the plain file to the byte, and the
//! edited file is never changed.

use std::path::Path;

mod common;
use common::{meshagents_in, simulate_csv, text};

const BOM: &[u8] = b"\xef\xbb\xbf";

/// A plain number cell written with a decimal comma (`64.1` -> `64,1`, `1.5e-5` ->
/// `1,5e-5`); any other cell unchanged.
fn decimal_comma(cell: &str) -> String {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let mantissa = unsigned.split(['e', 'E']).next().unwrap_or_default();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match mantissa.split_once('.') {
        Some((whole, fraction)) if digits(whole) && digits(fraction) => cell.replacen('.', ",", 1),
        _ => cell.to_string(),
    }
}

/// Each line of `text` split on commas (the simulated cohort quotes no cell), its cells
/// mapped by `cell` (the header's too when `header`) and joined by `separator`.
fn resplit(text: &str, separator: &str, header: bool, cell: fn(&str) -> String) -> String {
    let mut out = String::new();
    for (k, line) in text.lines().enumerate() {
        let cells: Vec<String> = line
            .split(',')
            .map(|c| {
                if k > 0 || header {
                    cell(c)
                } else {
                    c.to_string()
                }
            })
            .collect();
        out.push_str(&cells.join(separator));
        out.push('\n');
    }
    out
}

/// `meshagents phewas` of LVM and LVEDV against every factor, in `dir`; it must succeed.
fn phewas(dir: &Path, data: &str, dictionary: &str, out: &str) -> Vec<u8> {
    let o = meshagents_in(
        dir,
        &[
            "phewas",
            "--data",
            data,
            "--dictionary",
            dictionary,
            "--phenotypes",
            "LVM,LVEDV",
            "--factors",
            "all",
            "--covariates",
            "age,sex",
            "--out",
            out,
        ],
    );
    assert!(o.status.success(), "{data} {dictionary}: {}", text(&o));
    std::fs::read(dir.join(out)).unwrap()
}

/// A temporary folder with a simulated cohort in `c`: the folder, the cohort's association
/// table, and the text of its data and dictionary files, which the tests edit.
fn plain_cohort() -> (tempfile::TempDir, Vec<u8>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    simulate_csv(d, "c", "300", "1", &[]);
    let plain = phewas(d, "c/cohort.csv", "c/dictionary.csv", "plain.csv");
    let data = std::fs::read_to_string(d.join("c/cohort.csv")).unwrap();
    let dictionary = std::fs::read_to_string(d.join("c/dictionary.csv")).unwrap();
    (dir, plain, data, dictionary)
}

#[test]
fn spreadsheet_files_give_the_plain_files_results_and_stay_unchanged() {
    let (dir, plain, data, dictionary) = plain_cohort();
    let d = dir.path();
    assert!(!data.contains('"'), "the simulated cohort quotes no cell");
    assert!(
        data.contains("64.1,"),
        "the cohort has decimal points to change"
    );

    let mut crlf_semicolons = BOM.to_vec();
    crlf_semicolons.extend(
        resplit(&data, ";", false, decimal_comma)
            .replace('\n', "\r\n")
            .as_bytes(),
    );
    let data_cases: Vec<(&str, Vec<u8>)> = vec![
        ("bom.csv", [BOM, data.as_bytes()].concat()),
        (
            "semicolons.csv",
            resplit(&data, ";", false, decimal_comma).into_bytes(),
        ),
        (
            "semicolon_points.csv",
            resplit(&data, ";", false, str::to_string).into_bytes(),
        ),
        ("tabs.csv", data.replace(',', "\t").into_bytes()),
        ("crlf_semicolons_bom.csv", crlf_semicolons),
        ("blank_tail.csv", format!("{data}\n\n").into_bytes()),
        (
            "blank_tail_crlf.csv",
            format!("{data}\r\n  \r\n\n").into_bytes(),
        ),
    ];
    for (name, bytes) in &data_cases {
        std::fs::write(d.join(name), bytes).unwrap();
        let out = phewas(d, name, "c/dictionary.csv", &format!("out_{name}"));
        assert!(out == plain, "{name}: not the plain file's table");
        assert_eq!(
            &std::fs::read(d.join(name)).unwrap(),
            bytes,
            "{name} changed"
        );
    }
    // Decimal commas were really read as numbers: the edited file holds `64,1`.
    assert!(String::from_utf8_lossy(&data_cases[1].1).contains(";64,1;"));

    let mut lines: Vec<&str> = dictionary.lines().collect();
    lines.insert(5, "");
    lines.insert(2, "");
    let blank_lines = format!("{}\n\n\n", lines.join("\n"));
    let dictionary_cases: Vec<(&str, Vec<u8>)> = vec![
        ("bom_dictionary.csv", [BOM, dictionary.as_bytes()].concat()),
        ("blank_dictionary.csv", blank_lines.into_bytes()),
    ];
    for (name, bytes) in &dictionary_cases {
        std::fs::write(d.join(name), bytes).unwrap();
        let out = phewas(d, "c/cohort.csv", name, &format!("out_{name}"));
        assert!(out == plain, "{name}: not the plain dictionary's table");
        assert_eq!(
            &std::fs::read(d.join(name)).unwrap(),
            bytes,
            "{name} changed"
        );
    }
}

#[test]
fn quoted_header_names_with_a_comma_or_a_newline_are_found_by_their_names() {
    let (dir, plain, data, dictionary) = plain_cohort();
    let d = dir.path();
    let (header, rows) = data.split_once('\n').unwrap();
    let header =
        header
            .replacen(",weight,", ",\"Waist, cm\",", 1)
            .replacen(",bmi,", ",\"Body\nmass\",", 1);
    assert!(header.contains("Waist") && header.contains("Body"));
    let quoted = format!("{header}\n{rows}");
    std::fs::write(d.join("quoted.csv"), &quoted).unwrap();
    let described = dictionary
        .replacen("\nweight,", "\n\"Waist, cm\",", 1)
        .replacen("\nbmi,", "\n\"Body\nmass\",", 1);
    std::fs::write(d.join("quoted_dictionary.csv"), &described).unwrap();

    let out = phewas(d, "quoted.csv", "quoted_dictionary.csv", "quoted_out.csv");
    // The same table, but for the two names (quoted in the output as in the input).
    let renamed = String::from_utf8(out)
        .unwrap()
        .replace("\"Waist, cm\"", "weight")
        .replace("\"Body\nmass\"", "bmi");
    assert!(renamed.as_bytes() == plain, "not the plain file's table");

    // Named by its real name in a list file.
    std::fs::write(d.join("factors.txt"), "Waist, cm\n").unwrap();
    let o = meshagents_in(
        d,
        &[
            "phewas",
            "--data",
            "quoted.csv",
            "--phenotypes",
            "LVM",
            "--factors",
            "@factors.txt",
            "--out",
            "one.csv",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let one = std::fs::read_to_string(d.join("one.csv")).unwrap();
    assert!(one.contains("\nLVM,\"Waist, cm\","), "{one}");
    assert_eq!(
        std::fs::read_to_string(d.join("quoted.csv")).unwrap(),
        quoted
    );
    assert_eq!(
        std::fs::read_to_string(d.join("quoted_dictionary.csv")).unwrap(),
        described
    );
}
