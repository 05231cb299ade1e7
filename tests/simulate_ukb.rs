//! `meshagents simulate --ukb` through the binary: the files of a UK Biobank extract, read as
//! a user's own tools would (the csv and toml crates), hold the plain cohort's values and
//! define its disease labels exactly.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{meshagents_in, simulate_csv, text};

const UKB_FILES: [&str; 6] = [
    "ukb.csv",
    "Data_Dictionary_Showcase.tsv",
    "Codings.tsv",
    "dictionary.csv",
    "STUDY.toml",
    "truth.json",
];

/// A table as a header and rows of text cells.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Column name -> its cells.
fn columns(path: &Path) -> BTreeMap<String, Vec<String>> {
    let (header, rows) = read_csv(path);
    header
        .iter()
        .enumerate()
        .map(|(j, name)| (name.clone(), rows.iter().map(|r| r[j].clone()).collect()))
        .collect()
}

fn simulate_ukb(dir: &Path, out: &str) {
    let run = meshagents_in(
        dir,
        &[
            "simulate", "--ukb", "--n", "500", "--seed", "13", "--out", out,
        ],
    );
    assert!(run.status.success(), "{}", text(&run));
    for file in UKB_FILES {
        assert!(
            text(&run).contains(file),
            "{file} not listed: {}",
            text(&run)
        );
    }
}

#[test]
fn the_ukb_files_hold_the_plain_cohort_and_define_its_diseases() {
    let dir = tempfile::tempdir().unwrap();
    simulate_csv(dir.path(), "plain", "500", "13", &[]);
    simulate_ukb(dir.path(), "ukb");
    let ukb_dir = dir.path().join("ukb");

    let showcase = std::fs::read_to_string(ukb_dir.join("Data_Dictionary_Showcase.tsv")).unwrap();
    assert_eq!(
        showcase.lines().next().unwrap(),
        "Path\tCategory\tFieldID\tField\tParticipants\tItems\tStability\tValueType\tUnits\tItemType\tStrata\tSexed\tInstances\tArray\tCoding\tNotes\tLink"
    );
    assert!(showcase
        .lines()
        .skip(1)
        .all(|l| l.split('\t').count() == 17));
    let codings = std::fs::read_to_string(ukb_dir.join("Codings.tsv")).unwrap();
    assert_eq!(codings.lines().next().unwrap(), "Coding\tValue\tMeaning");

    let ukb = columns(&ukb_dir.join("ukb.csv"));
    let plain = columns(&dir.path().join("plain/cohort.csv"));
    assert_eq!(ukb["eid"], plain["eid"]);
    for instance in [0, 2] {
        let arrays: Vec<&String> = ukb
            .keys()
            .filter(|c| c.starts_with(&format!("20002-{instance}.")))
            .collect();
        assert_eq!(arrays.len(), 34, "20002 at instance {instance}: {arrays:?}");
    }
    // Every Showcase field has its columns, every field column a Showcase row.
    let fields: BTreeSet<String> = showcase
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(2).unwrap().to_string())
        .collect();
    let in_data: BTreeSet<String> = ukb
        .keys()
        .filter_map(|c| Some(c.split_once('-')?.0.to_string()))
        .collect();
    assert_eq!(fields, in_data);

    // The plain cohort's values at instance 2 (at 0 for a field recorded once), as the mean
    // of the two readings of blood pressure and pulse.
    let (_, plain_dictionary) = read_csv(&dir.path().join("plain/dictionary.csv"));
    let mut checked = 0;
    for row in &plain_dictionary {
        let (column, field, role) = (&row[0], &row[1], &row[6]);
        if field.is_empty() || role == "disease" {
            continue;
        }
        let expected = &plain[column];
        let second = format!("{field}-2.1");
        if let Some(second) = ukb.get(&second) {
            let first = &ukb[&format!("{field}-2.0")];
            for i in 0..expected.len() {
                let mean = match (first[i].parse::<f64>(), second[i].parse::<f64>()) {
                    (Ok(a), Ok(b)) => Some((a + b) / 2.0),
                    _ => None,
                };
                assert_eq!(mean, expected[i].parse::<f64>().ok(), "{column} row {i}");
            }
            assert_ne!(first, expected, "{column}: the readings are not the value");
        } else {
            let at = |instance: u32| ukb.get(&format!("{field}-{instance}.0"));
            let got = match at(2) {
                Some(values) => {
                    assert!(at(0).is_some(), "{column} has no instance 0");
                    values
                }
                None => at(0).unwrap_or_else(|| panic!("{column} is not in ukb.csv")),
            };
            assert_eq!(got, expected, "{column}");
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} columns compared");
    // Columns without a field id keep their names; those with one are fields only.
    for column in ["LVEDV", "bsa", "4080-2.0", "21003-2.0"] {
        assert!(ukb.contains_key(column), "{column}");
    }
    assert!(!ukb.contains_key("sbp") && !ukb.contains_key("age"));

    // STUDY.toml defines the diseases; the labels it gives are the simulated ones.
    let study: toml::Table =
        toml::from_str(&std::fs::read_to_string(ukb_dir.join("STUDY.toml")).unwrap()).unwrap();
    assert_eq!(study["data"].as_str(), Some("ukb.csv"));
    assert_eq!(
        study["showcase"].as_str(),
        Some("Data_Dictionary_Showcase.tsv")
    );
    assert_eq!(study["codings"].as_str(), Some("Codings.tsv"));
    assert_eq!(study["dictionary"].as_str(), Some("dictionary.csv"));
    assert_eq!(study["instance"].as_integer(), Some(2));
    let diseases = study["diseases"].as_table().unwrap();
    let labelled: BTreeSet<&String> = plain_dictionary
        .iter()
        .filter(|r| r[6] == "disease")
        .map(|r| &r[0])
        .collect();
    assert_eq!(diseases.keys().collect::<BTreeSet<_>>(), labelled);
    let cells_of = |prefix: &str| -> Vec<&Vec<String>> {
        ukb.iter()
            .filter(|(c, _)| c.starts_with(prefix))
            .map(|(_, v)| v)
            .collect()
    };
    let (self_report, icd10) = (cells_of("20002-"), cells_of("41270-"));
    for (name, definition) in diseases {
        assert!(!ukb.contains_key(name), "{name} is a column");
        let strings = |key: &str| -> Vec<String> {
            definition[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                .collect()
        };
        let (codes, patterns) = (strings("self_report"), strings("icd10"));
        let matches = |code: &str| {
            patterns.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => code.starts_with(prefix),
                None => code == p,
            })
        };
        let labels = &plain[name];
        let mut cases = 0;
        for (i, label) in labels.iter().enumerate() {
            let case = self_report.iter().any(|c| codes.contains(&c[i]))
                || icd10.iter().any(|c| !c[i].is_empty() && matches(&c[i]));
            assert_eq!(case, label == "1", "{name}, row {i}");
            cases += usize::from(case);
        }
        assert!(cases > 0, "{name} has no case");
    }

    let truth = std::fs::read_to_string(ukb_dir.join("truth.json")).unwrap();
    let truth: serde_json::Value = serde_json::from_str(&truth).unwrap();
    assert_eq!(
        common::json_strings(&truth["confounders"]),
        ["21003-2.0", "31-0.0", "50-2.0", "21002-2.0"]
    );
}

#[test]
fn simulate_ukb_reruns_into_its_folder_and_refuses_a_format() {
    let dir = tempfile::tempdir().unwrap();
    simulate_ukb(dir.path(), "ukb");
    let before: Vec<Vec<u8>> = UKB_FILES
        .iter()
        .map(|f| std::fs::read(dir.path().join("ukb").join(f)).unwrap())
        .collect();
    simulate_ukb(dir.path(), "ukb");
    for (file, bytes) in UKB_FILES.iter().zip(&before) {
        let again = std::fs::read(dir.path().join("ukb").join(file)).unwrap();
        assert!(&again == bytes, "{file} changed on a re-run");
    }
    // A plain cohort's folder takes the --ukb files too, and the other way round.
    simulate_csv(dir.path(), "ukb", "500", "13", &[]);
    simulate_ukb(dir.path(), "ukb");

    let refused = meshagents_in(
        dir.path(),
        &["simulate", "--ukb", "--format", "parquet", "--out", "other"],
    );
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("--format"), "{}", text(&refused));
    assert!(!dir.path().join("other").exists());

    let help = meshagents_in(dir.path(), &["simulate", "--help"]);
    assert!(text(&help).contains("--ukb"));
    assert!(text(&help).contains("Data_Dictionary_Showcase.tsv"));
}

#[test]
fn a_study_on_the_ukb_files_gets_the_simulated_labels_and_the_planted_confounders() {
    let dir = tempfile::tempdir().unwrap();
    simulate_csv(dir.path(), "plain", "3000", "3", &[]);
    let sim = meshagents_in(
        dir.path(),
        &[
            "simulate", "--ukb", "--n", "3000", "--seed", "3", "--out", "ukb",
        ],
    );
    assert!(sim.status.success(), "{}", text(&sim));
    let run = meshagents_in(
        dir.path(),
        &[
            "study",
            "run",
            "ukb/STUDY.toml",
            "--out",
            "study",
            "--headless",
        ],
    );
    assert!(run.status.success(), "{}", text(&run));

    // Each disease label the study built from the codes has the simulated number of cases.
    let plain = columns(&dir.path().join("plain/cohort.csv"));
    let (_, flow) = read_csv(&dir.path().join("study/flow.csv"));
    let diseases: Vec<&Vec<String>> = flow.iter().filter(|r| r[1] == "disease").collect();
    assert_eq!(diseases.len(), 12, "{flow:?}");
    for row in diseases {
        let cases = plain[&row[0]].iter().filter(|v| *v == "1").count();
        assert!(
            row[6].starts_with(&format!("kept; {cases} cases: ")),
            "{}: {} (simulated: {cases} cases)",
            row[0],
            row[6]
        );
    }

    // The panel chooses the planted confounders, under their ukb.csv names.
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ukb/truth.json")).unwrap())
            .unwrap();
    let names = |v: &serde_json::Value| -> BTreeSet<String> {
        common::json_strings(v).into_iter().collect()
    };
    let finished = common::events(&run.stdout)
        .into_iter()
        .find(|e| e["event"] == "study_finished")
        .expect("a study_finished event");
    assert_eq!(
        names(&finished["covariates"]),
        names(&truth["confounders"]),
        "{finished}"
    );
}

/// Planted and derived direct associations found (Bonferroni < 0.05), null factors hit, and
/// whether the truth's confounders were all chosen: a study's recovery of its truth.
fn recovery(study: &Path, truth: &Path) -> (usize, usize, usize, bool) {
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap();
    let (header, rows) = read_csv(&study.join("associations.csv"));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let hits: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|r| r[at("status")] == "ok" && r[at("bonferroni")].parse::<f64>().unwrap() < 0.05)
        .map(|r| {
            let factor = r[at("factor")].split('=').next().unwrap().to_string();
            (r[at("phenotype")].clone(), factor)
        })
        .collect();
    let found = |kind: &str| {
        truth["direct_associations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == kind)
            .filter(|a| {
                let key = (
                    a["phenotype"].as_str().unwrap().to_string(),
                    a["factor"].as_str().unwrap().to_string(),
                );
                hits.contains(&key)
            })
            .count()
    };
    let null: BTreeSet<String> = common::json_strings(&truth["null_factors"])
        .into_iter()
        .collect();
    let null_hits = hits.iter().filter(|(_, f)| null.contains(f)).count();
    let decisions: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(study.join("decisions.json")).unwrap())
            .unwrap();
    let chosen: BTreeSet<String> = common::json_strings(&decisions["confounders"])
        .into_iter()
        .collect();
    let confounders = common::json_strings(&truth["confounders"])
        .iter()
        .all(|c| chosen.contains(c));
    (found("planted"), found("derived"), null_hits, confounders)
}

/// The same cohort as a plain table with its dictionary and as a UK Biobank extract: the
/// study on the extract recovers the planted truth as well as the one on the plain table, on
/// two seeds and two causal structures.
#[test]
fn a_study_on_the_extract_recovers_the_truth_as_well_as_on_the_plain_cohort() {
    for (seed, scenario) in [("3", "baseline"), ("11", "factor-confounder")] {
        let dir = tempfile::tempdir().unwrap();
        simulate_csv(dir.path(), "plain", "3000", seed, &["--scenario", scenario]);
        std::fs::write(
            dir.path().join("plain/STUDY.toml"),
            "name = \"plain\"\ndata = \"cohort.csv\"\ndictionary = \"dictionary.csv\"\n",
        )
        .unwrap();
        let o = meshagents_in(
            dir.path(),
            &["study", "run", "plain/STUDY.toml", "--out", "plain-study"],
        );
        assert!(o.status.success(), "{}", text(&o));
        let o = meshagents_in(
            dir.path(),
            &[
                "simulate",
                "--ukb",
                "--n",
                "3000",
                "--seed",
                seed,
                "--scenario",
                scenario,
                "--out",
                "ukb",
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let o = meshagents_in(
            dir.path(),
            &["study", "run", "ukb/STUDY.toml", "--out", "ukb-study"],
        );
        assert!(o.status.success(), "{}", text(&o));
        let plain = recovery(
            &dir.path().join("plain-study"),
            &dir.path().join("plain/truth.json"),
        );
        let ukb = recovery(
            &dir.path().join("ukb-study"),
            &dir.path().join("ukb/truth.json"),
        );
        // (planted found, derived found, null factors hit, all confounders chosen)
        assert!(
            plain.0 > 0 && plain.3,
            "seed {seed}, {scenario}: the plain study itself works: {plain:?}"
        );
        assert!(
            ukb.0 >= plain.0,
            "seed {seed}, {scenario}: planted: plain {plain:?}, ukb {ukb:?}"
        );
        assert!(
            ukb.1 + 2 >= plain.1,
            "seed {seed}, {scenario}: derived: plain {plain:?}, ukb {ukb:?}"
        );
        assert!(
            ukb.2 <= plain.2 + 1,
            "seed {seed}, {scenario}: null hits: plain {plain:?}, ukb {ukb:?}"
        );
        assert!(
            ukb.3,
            "seed {seed}, {scenario}: the confounders: plain {plain:?}, ukb {ukb:?}"
        );
    }
}
