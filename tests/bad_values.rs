//! Values no model can use, phenotypes with nothing to associate, and columns asked to play
//! two parts, through the real binary: an `ok` row always carries its estimate, and the input
//! files are never changed.

use std::path::{Path, PathBuf};
use std::process::Output;

use meshagents_stats::phewas::{read_associations, AssociationRow};

mod common;
use common::{meshagents, meshagents_in, p, simulate_csv, stderr, text};

/// A simulated cohort (CSV) in `cohort` of a temporary folder: (folder, data, dictionary).
fn cohort(seed: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    simulate_csv(dir.path(), "cohort", "1500", seed, &[]);
    let data = dir.path().join("cohort/cohort.csv");
    let dictionary = dir.path().join("cohort/dictionary.csv");
    (dir, data, dictionary)
}

/// A copy of the CSV `src` at `dst` with the cells of `column` on the given data rows
/// (0-based, header excluded) set to the text given; `None` for rows sets every cell.
fn edited(src: &Path, dst: &Path, column: &str, rows: Option<&[usize]>, value: &str) {
    let text = std::fs::read_to_string(src).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let at = header
        .split(',')
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    let mut out = format!("{header}\n");
    for (row, line) in lines.enumerate() {
        let mut cells: Vec<&str> = line.split(',').collect();
        if rows.is_none_or(|rows| rows.contains(&row)) {
            cells[at] = value;
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(dst, out).unwrap();
}

/// `meshagents phewas` on `data` (with `dictionary` when given) of the three lists into `out`.
fn phewas(data: &Path, dictionary: Option<&Path>, lists: [&str; 3], out: &Path) -> Output {
    let mut args = vec!["phewas", "--data", p(data)];
    if let Some(d) = dictionary {
        args.extend(["--dictionary", p(d)]);
    }
    args.extend([
        "--phenotypes",
        lists[0],
        "--factors",
        lists[1],
        "--covariates",
        lists[2],
        "--out",
        p(out),
    ]);
    meshagents(&args)
}

/// Every `ok` row has a finite p; every one that estimates an effect (all but a categorical
/// factor's overall test) a finite beta and a positive, finite standard error.
fn assert_ok_rows_have_estimates(rows: &[AssociationRow]) {
    for r in rows.iter().filter(|r| r.status == "ok") {
        assert!(r.p.is_finite(), "{r:?}");
        if !r.factor.ends_with("=overall") {
            assert!(
                r.beta.is_finite() && r.se.is_finite() && r.se > 0.0,
                "{r:?}"
            );
        }
    }
}

/// The family size a run printed (`family size N`).
fn family_size(o: &Output) -> usize {
    let err = stderr(o);
    let tail = err
        .split("family size ")
        .nth(1)
        .unwrap_or_else(|| panic!("{err}"));
    tail.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// `study run` in `dir` of a study called `name` on `data` with the cohort's dictionary and
/// the further `keys`.
fn run_study(dir: &Path, name: &str, data: &str, keys: &str) -> Output {
    std::fs::write(
        dir.join("STUDY.toml"),
        format!(
            "name = \"{name}\"\ndata = \"{data}\"\ndictionary = \"cohort/dictionary.csv\"\n{keys}"
        ),
    )
    .unwrap();
    meshagents_in(dir, &["study", "run", "STUDY.toml"])
}

/// The flow log of a study called `name` on `name.csv`, which must run.
fn study_flow(dir: &Path, name: &str, keys: &str) -> String {
    let s = run_study(dir, name, &format!("{name}.csv"), keys);
    assert!(s.status.success(), "{}", text(&s));
    std::fs::read_to_string(dir.join(format!("meshagents-out/{name}/flow.csv"))).unwrap()
}

#[test]
fn infinite_or_overflowing_cells_are_missing_values_not_empty_ok_rows() {
    let (dir, data, dictionary) = cohort("5");
    // The same cohort with three unusable covariate cells, and with those cells empty.
    let hostile = dir.path().join("hostile.csv");
    let blank = dir.path().join("blank.csv");
    edited(&data, &hostile, "age", Some(&[10]), "inf");
    let step = dir.path().join("step.csv");
    edited(&hostile, &step, "age", Some(&[20]), "1e308");
    edited(&step, &hostile, "age", Some(&[30]), "-inf");
    edited(&data, &blank, "age", Some(&[10, 20, 30]), "");
    let before = std::fs::read(&hostile).unwrap();

    let lists = ["LVEDV,LVM", "all", "age,sex"];
    let (out_hostile, out_blank) = (dir.path().join("h.csv"), dir.path().join("b.csv"));
    let o = phewas(&hostile, Some(&dictionary), lists, &out_hostile);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stderr(&o).contains("column 'age': 3 value(s) infinite or beyond"),
        "{}",
        stderr(&o)
    );
    let b = phewas(&blank, Some(&dictionary), lists, &out_blank);
    assert!(b.status.success(), "{}", text(&b));
    // The unusable cells are exactly missing values: the same table to the byte.
    assert_eq!(
        std::fs::read(&out_hostile).unwrap(),
        std::fs::read(&out_blank).unwrap()
    );
    let rows = read_associations(&out_hostile).unwrap();
    assert_ok_rows_have_estimates(&rows);
    assert!(rows.iter().filter(|r| r.status == "ok").count() > 100);
    assert!(rows.iter().any(|r| r.bonferroni < 0.05), "the hits survive");
    assert_eq!(std::fs::read(&hostile).unwrap(), before, "input unchanged");

    // A study counts them in its flow log.
    let flow = study_flow(dir.path(), "hostile", "covariates = \"age,sex\"\n");
    assert!(
        flow.starts_with(
            "column,role,kept,recoded_to_missing,unusable_to_missing,missing_share,reason\n"
        ),
        "{flow}"
    );
    let age = flow.lines().find(|l| l.starts_with("age,")).unwrap();
    assert!(age.starts_with("age,covariate,true,0,3,"), "{age}");
    let study_rows =
        read_associations(&dir.path().join("meshagents-out/hostile/associations.csv")).unwrap();
    assert_ok_rows_have_estimates(&study_rows);

    // The panel's study on the same cells runs to its end (it used to stop at the classifiers
    // with "a score is not finite"), and its panel may still choose the column.
    std::fs::write(
        dir.path().join("STUDY.toml"),
        "name = \"hostile panel\"\ndata = \"hostile.csv\"\ndictionary = \"cohort/dictionary.csv\"\nfactors = \"factor\"\n",
    )
    .unwrap();
    let s = meshagents_in(dir.path(), &["study", "run", "STUDY.toml"]);
    assert!(s.status.success(), "{}", text(&s));
    assert!(text(&s).contains("9 steps run"), "{}", text(&s));
    let panel_rows = read_associations(
        &dir.path()
            .join("meshagents-out/hostile-panel/associations.csv"),
    )
    .unwrap();
    assert_ok_rows_have_estimates(&panel_rows);
}

#[test]
fn an_extreme_value_is_kept_and_named_in_the_log_and_the_flow() {
    let (dir, data, dictionary) = cohort("6");
    // An opaque name: the rule is about the values, not about which column holds them.
    let extreme = dir.path().join("extreme.csv");
    edited(&data, &extreme, "weight", Some(&[41]), "1e10");
    let o = phewas(
        &extreme,
        Some(&dictionary),
        ["LVM", "factor", "age,sex,weight"],
        &dir.path().join("x.csv"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "extreme.csv: column 'weight': 1 value(s) over 1000 times the 99th percentile"
        ) && err.contains("largest 10000000000 in row 42"),
        "{err}"
    );
    // The clean cohort says nothing of the kind.
    let clean = phewas(
        &data,
        Some(&dictionary),
        ["LVM", "factor", "age,sex,weight"],
        &dir.path().join("y.csv"),
    );
    assert!(
        !stderr(&clean).contains("99th percentile"),
        "{}",
        stderr(&clean)
    );

    let keys = "phenotypes = \"LVM\"\ncovariates = \"age,sex,weight\"\n";
    let flow = study_flow(dir.path(), "extreme", keys);
    let weight = flow.lines().find(|l| l.starts_with("weight,")).unwrap();
    assert!(
        weight.contains("kept; 1 value(s) over 1000 times") && weight.contains("row 42"),
        "{weight}"
    );
}

#[test]
fn a_covariate_without_values_is_refused_naming_it() {
    let (dir, data, dictionary) = cohort("7");
    let empty = dir.path().join("empty.csv");
    edited(&data, &empty, "age", None, "");
    let before = std::fs::read(&empty).unwrap();
    let o = phewas(
        &empty,
        Some(&dictionary),
        ["LVM", "factor", "age,sex"],
        &dir.path().join("x.csv"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains(
            "empty.csv: column 'age' (in --covariates) has no values: all 1500 rows are missing"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("x.csv").exists());

    // A study whose panel would debate it fails at its first step, naming it, and so does one
    // that fixes it.
    for (key, name) in [("candidates", "panel"), ("covariates", "fixed")] {
        let keys = format!("phenotypes = \"LVM\"\n{key} = \"age,sex\"\n");
        let s = run_study(dir.path(), name, "empty.csv", &keys);
        assert_eq!(s.status.code(), Some(1), "{}", text(&s));
        let err = stderr(&s);
        assert!(
            err.contains("step 'data/clean' failed")
                && err.contains(&format!("column 'age' (in {key}) has no values")),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&empty).unwrap(), before, "input unchanged");
}

#[test]
fn a_phenotype_that_does_not_vary_is_skipped_and_stays_out_of_the_family() {
    let (dir, data, dictionary) = cohort("6");
    let flat = dir.path().join("flat.csv");
    edited(&data, &flat, "LVM", None, "100");

    let (both, alone) = (dir.path().join("both.csv"), dir.path().join("alone.csv"));
    let [o, a] = [("LVEDV,LVM", &both), ("LVEDV", &alone)].map(|(phenotypes, out)| {
        let o = phewas(
            &flat,
            Some(&dictionary),
            [phenotypes, "all", "age,sex"],
            out,
        );
        assert!(o.status.success(), "{}", text(&o));
        o
    });

    let rows = read_associations(&both).unwrap();
    let lvm: Vec<&AssociationRow> = rows.iter().filter(|r| r.phenotype == "LVM").collect();
    assert!(!lvm.is_empty());
    for r in &lvm {
        assert_eq!(r.status, "skipped", "{r:?}");
        // A factor cleaning dropped keeps its own reason.
        assert!(
            r.note
                .contains("does not vary (every present value is 100)")
                || r.note.starts_with("dropped by cleaning"),
            "{r:?}"
        );
        assert!(r.p.is_nan() && r.beta.is_nan(), "{r:?}");
    }
    assert!(
        lvm.iter()
            .filter(|r| r.note.contains("does not vary"))
            .count()
            > 30
    );
    assert_ok_rows_have_estimates(&rows);
    // LVM adds nothing to the family: LVEDV's rows, corrections included, are those of a run
    // without it.
    assert_eq!(family_size(&o), family_size(&a));
    let alone_rows = read_associations(&alone).unwrap();
    let with_lvm = alone_rows.iter().find(|r| r.factor == "LVM").unwrap();
    assert_eq!(with_lvm.status, "skipped", "{with_lvm:?}");
    assert!(with_lvm.note.contains("does not vary"), "{with_lvm:?}");
    let lvedv: Vec<AssociationRow> = rows
        .into_iter()
        .filter(|r| r.phenotype == "LVEDV")
        .collect();
    // (Alone, `all` takes LVM among the factors; that pair is skipped above.)
    let only: Vec<AssociationRow> = read_associations(&alone)
        .unwrap()
        .into_iter()
        .filter(|r| r.factor != "LVM")
        .collect();
    assert_eq!(lvedv.len(), only.len());
    for (x, y) in lvedv.iter().zip(&only) {
        assert_eq!(
            (
                x.factor.as_str(),
                x.status.as_str(),
                x.p.to_bits(),
                x.q_bh.to_bits()
            ),
            (
                y.factor.as_str(),
                y.status.as_str(),
                y.p.to_bits(),
                y.q_bh.to_bits()
            )
        );
    }
}

#[test]
fn a_column_plays_one_part() {
    let (dir, data, dictionary) = cohort("7");
    let before = std::fs::read(&data).unwrap();
    let out = dir.path().join("out.csv");

    // Named in two lists: refused, naming the column and both lists, with nothing written.
    for (lists, flags) in [
        (["LVEDV", "LVEDV,age", "sex"], "--phenotypes and --factors"),
        (
            ["LVEDV,LVM", "sex", "LVM,age"],
            "--phenotypes and --covariates",
        ),
        (["LVEDV", "sex,age", "age"], "--covariates and --factors"),
    ] {
        let o = phewas(&data, Some(&dictionary), lists, &out);
        assert_eq!(o.status.code(), Some(1), "{lists:?}: {}", text(&o));
        let err = stderr(&o);
        assert!(err.contains("is named in both"), "{err}");
        assert!(err.contains(flags), "{lists:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{lists:?}: nothing is written");
    }

    // Brought in by a role where another list names it: it stays where it was named.
    let o = phewas(
        &data,
        Some(&dictionary),
        ["LVEDV", "covariate", "age"],
        &out,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stderr(&o).contains("stay in --covariates only"),
        "{}",
        stderr(&o)
    );
    let rows = read_associations(&out).unwrap();
    assert!(
        rows.iter().all(|r| r.factor != "age"),
        "age is not a factor"
    );
    assert!(rows.iter().any(|r| r.factor == "sex"));

    // Without a dictionary every column is a factor: the phenotypes and the covariate leave
    // the factors, so no phenotype is fitted against itself.
    let bare = dir.path().join("bare.csv");
    let o = phewas(&data, None, ["LVEDV,LVM", "factor", "age"], &bare);
    assert!(o.status.success(), "{}", text(&o));
    let rows = read_associations(&bare).unwrap();
    assert!(rows
        .iter()
        .all(|r| !["LVEDV", "LVM", "age"].contains(&r.factor.as_str())));
    assert_ok_rows_have_estimates(&rows);
    assert_eq!(std::fs::read(&data).unwrap(), before, "input unchanged");
}

/// One row of a reference CSV of the stats fixtures, as column -> text.
fn reference_rows(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("stats/tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

/// The sex-specific fixture `name` (`stats/tests/fixtures/{name}_{data,dictionary,
/// reference}.csv`: opaque names, `q1` the sex-like covariate) through the binary, adjusted for
/// `q2,q1`: every pair `ok`, with statsmodels' estimates without the covariate constant in its
/// rows (to `rel`), its n exactly, and a note naming the covariate left out (none when nothing
/// was). The rows, for more checks.
fn sex_specific_pairs_match(
    name: &str,
    (phenotypes, factors): (&str, &str),
    rel: f64,
) -> Vec<(std::collections::HashMap<String, String>, AssociationRow)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("stats/tests/fixtures");
    let data = fixtures.join(format!("{name}_data.csv"));
    let dictionary = fixtures.join(format!("{name}_dictionary.csv"));
    let before = std::fs::read(&data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let o = meshagents(&[
        "phewas",
        "--data",
        p(&data),
        "--dictionary",
        p(&dictionary),
        "--phenotypes",
        phenotypes,
        "--factors",
        factors,
        "--covariates",
        "q2,q1",
        "--transform",
        "none",
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let rows = read_associations(&out).unwrap();
    let reference = reference_rows(&format!("{name}_reference.csv"));
    assert_eq!(rows.len(), reference.len());
    let close = |a: f64, b: &str| {
        let b: f64 = b.parse().unwrap();
        (a - b).abs() <= rel * b.abs().max(1e-300)
    };
    let mut matched = Vec::new();
    for r in reference {
        let row = rows
            .iter()
            .find(|x| x.phenotype == r["phenotype"] && x.factor == r["factor"])
            .unwrap()
            .clone();
        assert_eq!(row.status, "ok", "{row:?}");
        assert_eq!(row.n.to_string(), r["n"], "{row:?}");
        for (value, name) in [
            (row.beta, "beta"),
            (row.se, "se"),
            (row.p, "p"),
            (row.ci_low, "ci_low"),
            (row.ci_high, "ci_high"),
        ] {
            assert!(close(value, &r[name]), "{name}: {value} vs {}", r[name]);
        }
        match r["dropped"].as_str() {
            "" => assert!(!row.note.contains("adjusted without"), "{row:?}"),
            dropped => assert!(
                row.note.contains(&format!(
                    "adjusted without {dropped}: constant in this pair's complete rows"
                )),
                "{row:?}"
            ),
        }
        matched.push((r, row));
    }
    assert_eq!(std::fs::read(&data).unwrap(), before, "input unchanged");
    matched
}

#[test]
fn sex_specific_linear_pairs_leave_the_constant_covariate_out_as_statsmodels_does() {
    // A factor recorded in one sex only, adjusted for sex: sex is constant in the pair's rows.
    sex_specific_pairs_match("sex_specific", ("m1,m2", "f1,f2"), 1e-9);
}

#[test]
fn sex_specific_binary_pairs_are_ok_without_the_constant_covariate_as_statsmodels_logit() {
    // Binary factors recorded in one sex (one coded 1/2), or in both; one phenotype is 0/1.
    // 1e-8: the tolerance of the other Logit fixtures (statsmodels stops at its own tolerance).
    let rows = sex_specific_pairs_match("sex_specific_logit", ("m1,m2,m3", "g1,g2,g3"), 1e-8);
    assert!(rows.iter().any(|(r, _)| r["dropped"].is_empty()));
    for (r, row) in rows {
        assert_eq!(row.model, "logistic", "{row:?}");
        assert_eq!(row.n_cases.map(|c| c.to_string()), Some(r["cases"].clone()));
        assert!(row.note.contains("LR chi2"), "{row:?}");
    }
}
