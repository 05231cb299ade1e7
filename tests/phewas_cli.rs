//! `meshagents phewas` through the real binary: output contract, determinism across thread
//! counts, UK Biobank column styles, and clear errors for bad input.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{assert_failed_saying, meshagents, p, simulate_csv, stderr};

/// A cohort of `n` simulated from `seed` as CSV in `dir/cohort`: its table and dictionary.
fn cohort(dir: &Path, n: &str, seed: &str) -> (PathBuf, PathBuf) {
    let cohort = dir.join("cohort");
    simulate_csv(dir, p(&cohort), n, seed, &[]);
    (cohort.join("cohort.csv"), cohort.join("dictionary.csv"))
}

/// `meshagents phewas` of `phenotypes` on `factors` in `data` (described by `dictionary`,
/// when given) into `out`, with `extra` flags after.
fn phewas(
    data: &Path,
    dictionary: Option<&Path>,
    phenotypes: &str,
    factors: &str,
    out: &Path,
    extra: &[&str],
) -> Output {
    let mut args = vec!["phewas", "--data", p(data)];
    if let Some(dictionary) = dictionary {
        args.extend(["--dictionary", p(dictionary)]);
    }
    args.extend([
        "--phenotypes",
        phenotypes,
        "--factors",
        factors,
        "--out",
        p(out),
    ]);
    args.extend(extra);
    meshagents(&args)
}

#[test]
fn phewas_on_a_simulated_cohort_is_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (data, dict) = cohort(dir.path(), "1500", "3");
    let run = |threads: &str, out: &Path| {
        let o = phewas(
            &data,
            Some(&dict),
            "LVEDV,LVM,AAo distensibility",
            "factor",
            out,
            &[
                "--covariates",
                "age,sex,height,weight",
                "--threads",
                threads,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    let one = dir.path().join("one.csv");
    let two = dir.path().join("two.csv");
    let o = run("1", &one);
    run("2", &two);
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    assert!(stderr(&o).contains("family size"), "{}", stderr(&o));
    let table = std::fs::read_to_string(&one).unwrap();
    let header = table.lines().next().unwrap();
    assert_eq!(header, "phenotype,factor,category,model,n,n_cases,n_controls,beta,se,ci_low,ci_high,stat,p,neg_log10_p,q_bh,bonferroni,status,note");
    for model in [",linear,", ",logistic,", ",categorical,"] {
        assert!(table.contains(model), "no {model} rows");
    }
    // Planted: physical activity (22040) enlarges LVEDV; it must be among the hits.
    let activity = table
        .lines()
        .find(|l| l.starts_with("LVEDV,22040-2.0,"))
        .unwrap();
    let fields: Vec<&str> = activity.split(',').collect();
    assert!(fields[15].parse::<f64>().unwrap() < 0.05, "{activity}");

    // Other output formats follow the extension.
    let lvm_on_alcohol = |out: &Path| phewas(&data, Some(&dict), "LVM", "Alcohol", out, &[]);
    for ext in ["tsv", "parquet"] {
        let out = dir.path().join(format!("t.{ext}"));
        let o = lvm_on_alcohol(&out);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(out.metadata().unwrap().len() > 0);
    }
    assert_failed_saying(
        &lvm_on_alcohol(&dir.path().join("t.xlsx")),
        "unknown table format",
    );
}

#[test]
fn uk_biobank_column_styles_name_the_same_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (style, column) in [
        ("showcase", "21001-2.0"),
        ("r", "f.21001.2.0"),
        ("phesant", "x21001_2_0"),
    ] {
        let data = dir.path().join(format!("{style}.csv"));
        let mut text = format!("eid,{column},lvm\n");
        for i in 0..60 {
            let bmi = 20.0 + (i % 17) as f64 * 0.7;
            text.push_str(&format!(
                "{},{bmi},{}\n",
                i + 1,
                70.0 + 1.3 * bmi + ((i * 7) % 11) as f64
            ));
        }
        std::fs::write(&data, text).unwrap();
        let out = dir.path().join(format!("{style}-out.csv"));
        // Each style of the name is accepted on the command line too.
        let o = phewas(&data, None, "lvm", column, &out, &[]);
        assert!(o.status.success(), "{style}: {}", stderr(&o));
        outputs.push(std::fs::read_to_string(&out).unwrap());
    }
    assert!(outputs[0].contains(",21001-2.0,"));
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

fn expect_error(file_name: &str, body: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(file_name);
    std::fs::write(&data, body).unwrap();
    let o = phewas(&data, None, "y", "x", &dir.path().join("out.csv"), &[]);
    assert!(!o.status.success(), "should fail: {body}");
    let e = stderr(&o);
    assert!(e.contains(file_name), "error must name the file: {e}");
    for needle in needles {
        assert!(e.contains(needle), "error lacks '{needle}': {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn bad_input_is_a_clear_error_naming_file_row_and_column() {
    expect_error(
        "ragged.csv",
        "eid,y,x\n1,2.0,3\n2,2.5\n3,1.0,4\n",
        &["line 3 has 2 fields but the header has 3"],
    );
    expect_error("text.csv", "eid,y,x\n1,2.0,3\n2,2.5,4\n3,1.0,abc\n4,1.5,5\n5,1.1,6\n6,1.2,7\n7,1.3,8\n8,1.4,9\n9,1.5,1\n10,1.6,2\n11,1.7,3\n12,1.8,4\n13,1.9,5\n14,2.0,6\n15,2.1,7\n16,2.2,8\n17,2.3,9\n18,2.4,1\n19,2.5,2\n20,2.6,3\n21,2.7,4\n", &["row 3", "column 'x'", "'abc' is not a number"]);
    expect_error(
        "dup.csv",
        "eid,y,x\n1,2.0,3\n2,2.5,4\n1,1.0,5\n",
        &["row 3", "column 'eid'", "duplicate participant id 1"],
    );
    expect_error("empty.csv", "", &["empty"]);
    expect_error("header.csv", "eid,y,x\n", &["no rows"]);
    expect_error(
        "noid.csv",
        "person,y,x\n1,2.0,3\n",
        &["no participant id column"],
    );
    expect_error(
        "unknown.tsv",
        "eid\ty\tz\n1\t2.0\t3\n2\t2.5\t4\n",
        &["'x' is not a column"],
    );
}

/// Hardening (issue 15, item 4): `--out` naming an input (the cohort or the dictionary, by
/// any path to the same file) or a directory is refused before any work, with exit 1 and a
/// message naming the flag; the inputs are left byte for byte as they were.
#[test]
fn phewas_refuses_to_write_over_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (data, dict) = cohort(dir.path(), "200", "5");
    let cohort = dir.path().join("cohort");
    let before = (std::fs::read(&data).unwrap(), std::fs::read(&dict).unwrap());
    // The same cohort by another path: through `..` and through a symlink.
    let roundabout = cohort.join("..").join("cohort").join("cohort.csv");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    let cases = [
        (data.clone(), "is the --data file"),
        (roundabout, "is the --data file"),
        (link, "is the --data file"),
        (dict.clone(), "is the --dictionary file"),
        (cohort.clone(), "is a directory"),
    ];
    for (out, expected) in cases {
        let o = phewas(&data, Some(&dict), "LVEDV", "factor", &out, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{}: {err}", out.display());
        assert!(err.contains(expected), "{}: {err}", out.display());
        assert!(err.contains("--out"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(std::fs::read(&data).unwrap(), before.0);
    assert_eq!(std::fs::read(&dict).unwrap(), before.1);
}
