use std::collections::BTreeSet;

use super::codes::{icd10_matches, known_coding};
use super::*;
use crate::simulate::{simulate, Scenario};

fn cohort() -> (Cohort, SimulationConfig) {
    let config = SimulationConfig {
        n: 600,
        seed: 11,
        factors: 0,
        scenario: Scenario::Baseline,
    };
    (simulate(&config).unwrap(), config)
}

fn strings(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    let column = frame.column(name).unwrap().cast(&DataType::String).unwrap();
    column
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

fn numbers(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let column = frame
        .column(name)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap();
    column.f64().unwrap().iter().collect()
}

#[test]
fn the_layout_has_instances_arrays_and_the_plain_values_at_instance_2() {
    let (cohort, config) = cohort();
    let layout = layout(&cohort, &config).unwrap();
    let frame = layout.frame().unwrap();
    let names: BTreeSet<String> = frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for instance in [0, 2] {
        for array in 0..34 {
            assert!(names.contains(&format!("20002-{instance}.{array}")));
        }
        assert!(!names.contains(&format!("20002-{instance}.34")));
        for array in 0..4 {
            assert!(names.contains(&format!("6150-{instance}.{array}")));
        }
    }
    assert!(names.contains("41270-0.258") && !names.contains("41270-2.0"));
    assert!(names.contains("31-0.0") && !names.contains("31-2.0"));
    assert!(names.contains("189-0.0") && !names.contains("189-2.0"));
    assert!(names.contains("bsa") && names.contains("LVEDV"));
    assert_eq!(frame.get_column_names()[0].as_str(), "eid");
    // Every factor of the plain cohort is at instance 2 with its values.
    for entry in &cohort.dictionary.entries {
        if entry.role == Role::Factor && names.contains(&entry.column) {
            assert_eq!(
                strings(&frame, &entry.column),
                strings(&cohort.data, &entry.column),
                "{}",
                entry.column
            );
            let earlier = entry.column.replace("-2.0", "-0.0");
            assert!(names.contains(&earlier), "{earlier}");
        }
    }
    assert_eq!(strings(&frame, "21003-2.0"), strings(&cohort.data, "age"));
    let sbp = numbers(&cohort.data, "sbp");
    let (a, b) = (numbers(&frame, "4080-2.0"), numbers(&frame, "4080-2.1"));
    assert!(a != sbp, "the two readings differ from the value");
    for i in 0..sbp.len() {
        assert_eq!(a[i].zip(b[i]).map(|(a, b)| (a + b) / 2.0), sbp[i]);
    }
    assert_eq!(layout.renamed["age"], "21003-2.0");
    assert_eq!(layout.renamed["sex"], "31-0.0");
    assert_eq!(layout.renamed["189-2.0"], "189-0.0");
    assert!(!layout.renamed.contains_key("bsa"));
}

#[test]
fn cases_and_only_cases_have_a_code_of_their_disease() {
    let (cohort, config) = cohort();
    let frame = layout(&cohort, &config).unwrap().frame().unwrap();
    let columns = |prefix: &str| -> Vec<Vec<Option<String>>> {
        frame
            .get_column_names()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .map(|c| strings(&frame, c))
            .collect()
    };
    let self_report = columns("20002-");
    let icd10 = columns("41270-");
    let mut repeated = 0;
    for disease in diseases() {
        let labels = numbers(&cohort.data, &disease.name);
        let (mut by_self_report, mut by_icd10) = (0, 0);
        for (i, label) in labels.iter().enumerate() {
            let reported: Vec<i64> = self_report
                .iter()
                .filter_map(|c| c[i].as_deref()?.parse().ok())
                .filter(|c| disease.ukb.self_report.contains(c))
                .collect();
            let diagnosed: Vec<&str> = icd10
                .iter()
                .filter_map(|c| c[i].as_deref())
                .filter(|c| disease.ukb.icd10.iter().any(|p| icd10_matches(p, c)))
                .collect();
            repeated += usize::from(reported.len() > 1);
            by_self_report += usize::from(!reported.is_empty());
            by_icd10 += usize::from(!diagnosed.is_empty());
            let case = !reported.is_empty() || !diagnosed.is_empty();
            assert_eq!(
                case,
                *label == Some(1.0),
                "{} participant {i}",
                disease.name
            );
        }
        let cases = labels.iter().filter(|l| **l == Some(1.0)).count();
        if cases >= 20 {
            assert!(
                by_self_report < cases && by_icd10 < cases,
                "{}",
                disease.name
            );
        }
    }
    assert!(repeated > 0, "some participant has a code twice");
}

#[test]
fn every_written_code_is_in_its_coding_excerpt_and_study_toml_defines_every_disease() {
    let (cohort, config) = cohort();
    let layout = layout(&cohort, &config).unwrap();
    let frame = layout.frame().unwrap();
    for field in &layout.fields {
        let Coding::Known(id) = field.coding else {
            continue;
        };
        let coded: BTreeSet<String> = known_coding(id).into_iter().map(|(v, _)| v).collect();
        for (instance, array, _) in &field.columns {
            for value in strings(&frame, &field.column_name(*instance, *array))
                .into_iter()
                .flatten()
            {
                assert!(coded.contains(&value), "{value} of field {}", field.id);
            }
        }
    }
    let study: toml::Table = toml::from_str(&study_toml(&config).unwrap()).unwrap();
    assert_eq!(study["instance"].as_integer(), Some(2));
    assert_eq!(study["data"].as_str(), Some(DATA_FILE));
    let defined = study["diseases"].as_table().unwrap();
    assert_eq!(defined.len(), diseases().len());
    assert_eq!(
        defined["hypertension"]["self_report"].as_array().unwrap()[0].as_integer(),
        Some(1065)
    );
}

#[test]
fn the_files_are_deterministic_and_the_showcase_has_the_exact_layout() {
    let (cohort, config) = cohort();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for dir in &dirs {
        write_ukb(&cohort, &config, dir.path()).unwrap();
    }
    for name in [
        DATA_FILE,
        SHOWCASE_FILE,
        CODINGS_FILE,
        STUDY_FILE,
        "truth.json",
    ] {
        let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(name)).unwrap();
        assert_eq!(read(&dirs[0]), read(&dirs[1]), "{name}");
    }
    let showcase = std::fs::read_to_string(dirs[0].path().join(SHOWCASE_FILE)).unwrap();
    let mut lines = showcase.lines();
    assert_eq!(
        lines.next(),
        Some("Path\tCategory\tFieldID\tField\tParticipants\tItems\tStability\tValueType\tUnits\tItemType\tStrata\tSexed\tInstances\tArray\tCoding\tNotes\tLink")
    );
    let row = |id: &str| -> Vec<String> {
        showcase
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect::<Vec<_>>())
            .find(|cells| cells[2] == id)
            .unwrap()
    };
    let self_report = row("20002");
    assert_eq!(self_report[7], "Categorical multiple");
    assert_eq!(
        (self_report[12].as_str(), self_report[13].as_str()),
        ("4", "34")
    );
    assert_eq!(self_report[14], "6");
    assert_eq!(row("31")[12], "1");
    assert_eq!(row("31")[14], "9");
    assert_eq!(row("41270")[12], "1");
    assert_eq!(row("4080")[13], "2");
    assert_eq!(row("53")[7], "Date");
    assert_eq!(row("6177")[11], "Male");
    assert!(row("189")[0].ends_with("> Primary demographics"));
    let codings = std::fs::read_to_string(dirs[0].path().join(CODINGS_FILE)).unwrap();
    assert!(codings.starts_with("Coding\tValue\tMeaning\n"));
    assert!(codings.contains("\n6\t1065\thypertension\n"));
    assert!(codings.contains("\n19\tI10\tI10 Essential (primary) hypertension\n"));
    let truth = std::fs::read_to_string(dirs[0].path().join("truth.json")).unwrap();
    assert!(truth.contains("\"21003-2.0\"") && !truth.contains("\"age\""));
}
