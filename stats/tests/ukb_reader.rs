//! The UK Biobank reader on files in the exact layouts UK Biobank delivers: the Showcase's 17
//! columns, the codings' three, and an extract with `FIELD-INSTANCE.ARRAY` columns.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use meshagents_stats::data::dictionary::{Role, ValueType};
use meshagents_stats::ukb::{derive, Derived, DiseaseDefinition, Diseases, UkbOptions, UkbSources};
use polars::prelude::*;

const SHOWCASE_HEADER: &str = "Path\tCategory\tFieldID\tField\tParticipants\tItems\tStability\tValueType\tUnits\tItemType\tStrata\tSexed\tInstances\tArray\tCoding\tNotes\tLink";

/// One Showcase row: field, title, value type, sexed, instances, arrays, coding.
fn showcase_row(
    f: u32,
    title: &str,
    t: &str,
    sexed: &str,
    inst: u32,
    arr: u32,
    coding: &str,
) -> String {
    format!("UK Biobank Assessment Centre > Touchscreen > Test category {}\t1000{f}\t{f}\t{title}\t500\t900\tComplete\t{t}\tunits\tData\tPrimary\t{sexed}\t{inst}\t{arr}\t{coding}\tNotes with a \"quote\t http://biobank.ndph.ox.ac.uk/showcase/field.cgi?id={f}", f % 3)
}

struct Files {
    _dir: tempfile::TempDir,
    data: PathBuf,
    showcase: PathBuf,
    codings: PathBuf,
}

/// n participants; participant r (0-based):
/// - 20002 (34 arrays at instances 0 and 2): at instance 2, code 1065 for r % 3 == 0 (in
///   array r % 34, and again in array 33 for r % 6 == 0), code 1111 for r % 5 == 0, -3 alone
///   for r % 7 == 1 (not 1065/1111 participants), nothing for others; participants with
///   r % 10 == 9 did not attend instance 2 at all (no value in any instance-2 column).
/// - 21001 continuous at 0 and 2; 4080 continuous with 2 arrays at 2; 31 sex (instance 0 only,
///   Instances = 1); 2724 female-only categorical single (0/1/-3); 53 a date; 1000 only at
///   instance 0; 1001 categorical single with a coding missing from Codings.tsv; 41270 ICD-10.
fn files(n: usize) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let mut header = vec!["eid".to_string()];
    for i in [0, 2] {
        for a in 0..34 {
            header.push(format!("20002-{i}.{a}"));
        }
    }
    for c in [
        "21001-0.0",
        "21001-2.0",
        "4080-2.0",
        "4080-2.1",
        "31-0.0",
        "2724-2.0",
        "53-0.0",
        "53-2.0",
        "1000-0.0",
        "1001-2.0",
        "41270-0.0",
        "41270-0.1",
        "41270-0.2",
        "41271-0.0",
        "6153-2.0",
        "6153-2.1",
        "LVEDV",
    ] {
        header.push(c.to_string());
    }
    let mut text = header.join(",") + "\n";
    for r in 0..n {
        let attended = r % 10 != 9;
        let mut cells = vec![String::new(); header.len()];
        cells[0] = (1000 + r).to_string();
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        // Instance 0: everyone reports 1111 if r % 4 == 0.
        if r % 4 == 0 {
            cells[at("20002-0.5")] = "1111".into();
        }
        if attended {
            if r % 3 == 0 {
                cells[at(&format!("20002-2.{}", r % 34))] = "1065".into();
                if r % 6 == 0 {
                    cells[at("20002-2.33")] = "1065".into();
                }
            }
            if r % 5 == 0 {
                let slot = (r + 7) % 33;
                let slot = if slot == r % 34 { slot + 1 } else { slot };
                cells[at(&format!("20002-2.{slot}"))] = "1111".into();
            } else if r % 7 == 1 && r % 3 != 0 {
                cells[at("20002-2.0")] = "-3".into();
            }
            cells[at("21001-2.0")] = format!("{}", 20.0 + (r % 13) as f64 * 0.5);
            cells[at("4080-2.0")] = format!("{}", 120 + r % 9);
            cells[at("4080-2.1")] = format!("{}", 124 + r % 9);
            cells[at("2724-2.0")] = if r % 2 == 0 {
                ["0", "1", "-3"][r % 3].into()
            } else {
                String::new()
            };
            cells[at("53-2.0")] = "2016-05-01".into();
            cells[at("1001-2.0")] = format!("{}", 1 + r % 3);
        }
        if r % 8 != 0 {
            cells[at("21001-0.0")] = format!("{}", 19.0 + (r % 11) as f64);
        }
        cells[at("31-0.0")] = (r % 2).to_string();
        cells[at("53-0.0")] = "2008-01-01".into();
        cells[at("1000-0.0")] = (r % 4).to_string();
        if r % 3 == 0 {
            cells[at("41270-0.1")] = "I10".into();
        }
        if r % 11 == 0 {
            cells[at("41270-0.0")] = "I150".into();
            cells[at("41270-0.2")] = "E119".into();
        }
        if r % 4 == 0 {
            cells[at("41271-0.0")] = "0389".into();
        }
        // A question for women (31 is r % 2: 0 female): code 1 in the second array for some;
        // one man recorded by mistake.
        if attended && r % 4 == 0 {
            cells[at("6153-2.1")] = "1".into();
        }
        if r == 1 {
            cells[at("6153-2.0")] = "2".into();
        }
        cells[at("LVEDV")] = format!("{}", 140 + r % 17);
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    let data = dir.path().join("ukb.csv");
    std::fs::write(&data, text).unwrap();

    let mut showcase = SHOWCASE_HEADER.to_string() + "\n";
    for row in [
        showcase_row(
            20002,
            "Non-cancer illness code, self-reported",
            "Categorical multiple",
            "Unisex",
            4,
            34,
            "6",
        ),
        showcase_row(
            21001,
            "Body mass index (BMI)",
            "Continuous",
            "Unisex",
            4,
            1,
            "",
        ),
        showcase_row(
            4080,
            "Systolic blood pressure, automated reading",
            "Integer",
            "Unisex",
            4,
            2,
            "",
        ),
        showcase_row(31, "Sex", "Categorical single", "Unisex", 1, 1, "9"),
        showcase_row(
            2724,
            "Had menopause",
            "Categorical single",
            "Female",
            4,
            1,
            "100579",
        ),
        showcase_row(
            53,
            "Date of attending assessment centre",
            "Date",
            "Unisex",
            4,
            1,
            "",
        ),
        showcase_row(
            1000,
            "A field asked at recruitment only",
            "Integer",
            "Unisex",
            4,
            1,
            "",
        ),
        showcase_row(
            1001,
            "A field whose coding is missing",
            "Categorical single",
            "Unisex",
            4,
            1,
            "424242",
        ),
        showcase_row(
            41270,
            "Diagnoses - ICD10",
            "Categorical multiple",
            "Unisex",
            1,
            3,
            "19",
        ),
        showcase_row(
            41271,
            "Diagnoses - ICD9",
            "Categorical multiple",
            "Unisex",
            1,
            1,
            "87",
        ),
        showcase_row(
            6153,
            "Medication or hormones (women)",
            "Categorical multiple",
            "Female",
            4,
            2,
            "100626",
        ),
    ] {
        writeln!(showcase, "{row}").unwrap();
    }
    let showcase_path = dir.path().join("Data_Dictionary_Showcase.tsv");
    std::fs::write(&showcase_path, showcase).unwrap();
    let codings = "Coding\tValue\tMeaning\n6\t1065\thypertension\n6\t1111\tasthma\n6\t-1\tdo not know\n6\t-3\tprefer not to answer\n9\t0\tFemale\n9\t1\tMale\n100579\t0\tNo\n100579\t1\tYes\n100579\t-3\tPrefer not to answer\n19\tI10\tI10 Essential (primary) hypertension\n19\tI150\tI15.0 Renovascular hypertension\n";
    let codings_path = dir.path().join("Codings.tsv");
    std::fs::write(&codings_path, codings).unwrap();
    Files {
        _dir: dir,
        data,
        showcase: showcase_path,
        codings: codings_path,
    }
}

fn run(f: &Files, overlay: Option<&Path>, diseases: &Diseases, options: UkbOptions) -> Derived {
    derive(
        &UkbSources {
            data: &f.data,
            showcase: &f.showcase,
            codings: Some(&f.codings),
            overlay,
            id_column: None,
        },
        diseases,
        &options,
    )
    .unwrap()
}

fn values(d: &Derived, name: &str) -> Vec<Option<f64>> {
    d.frame
        .column(name)
        .unwrap_or_else(|_| panic!("no column {name}: {:?}", d.frame.get_column_names()))
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn note<'a>(d: &'a Derived, column: &str) -> &'a str {
    &d.notes.iter().find(|n| n.column == column).unwrap().note
}

const N: usize = 420;

#[test]
fn a_multi_valued_field_becomes_one_binary_factor_per_code_across_34_arrays() {
    let f = files(N);
    let d = run(&f, None, &Diseases::new(), UkbOptions::default());
    let hyp = values(&d, "20002#1065");
    let asthma = values(&d, "20002#1111");
    for r in 0..N {
        let attended = r % 10 != 9;
        // Not attended: never asked, missing whatever instance 0 said.
        let expected_hyp = if !attended {
            None
        } else if r % 3 == 0 {
            Some(1.0)
        } else if r % 7 == 1 && r % 5 != 0 {
            None // only "prefer not to answer"
        } else {
            Some(0.0)
        };
        assert_eq!(hyp[r], expected_hyp, "participant {r}");
        let expected_asthma = expected_hyp.map(|_| if r % 5 == 0 { 1.0 } else { 0.0 });
        assert_eq!(asthma[r], expected_asthma, "participant {r}");
    }
    // Codes that are digits are kept as written: ICD-9's 0389 is not 389.
    assert_eq!(
        values(&d, "41271#0389")
            .iter()
            .filter(|v| **v == Some(1.0))
            .count(),
        N.div_ceil(4)
    );
    // Negative codes are never factors; the description is the coding's meaning.
    assert!(d.frame.get_column_names().iter().all(|c| !c.contains("#-")));
    let entry = d.dictionary.get("20002#1065").unwrap();
    assert_eq!(
        entry.description,
        "hypertension (Non-cancer illness code, self-reported)"
    );
    assert_eq!(
        (entry.value_type, entry.role),
        (ValueType::Binary, Role::Factor)
    );
    assert!(note(&d, "20002#1065").contains("never asked"));
    // A code held by fewer than min_cases participants is not tested, and the flow says so.
    let d = run(
        &f,
        None,
        &Diseases::new(),
        UkbOptions {
            min_cases: 100,
            ..UkbOptions::default()
        },
    );
    assert!(d.frame.column("20002#1111").is_err() && d.frame.column("20002#1065").is_ok());
    let rare = d
        .notes
        .iter()
        .find(|n| n.column == "20002" && !n.kept)
        .unwrap();
    assert!(rare.note.contains("1111"), "{}", rare.note);
}

#[test]
fn instances_are_chosen_per_field_with_an_optional_fallback() {
    let f = files(N);
    let d = run(&f, None, &Diseases::new(), UkbOptions::default());
    let bmi = values(&d, "21001-2.0");
    assert!(bmi
        .iter()
        .enumerate()
        .all(|(r, v)| v.is_none() == (r % 10 == 9)));
    // Recorded once (Instances = 1): taken from instance 0 whatever the instance chosen.
    assert_eq!(values(&d, "31-0.0")[5], Some(1.0));
    assert!(note(&d, "31-0.0").contains("recorded once"));
    // Only at instance 0, no fallback: skipped, saying how to take it.
    let skipped = d.notes.iter().find(|n| n.column == "1000").unwrap();
    assert!(
        !skipped.kept && skipped.note.contains("--instance-fallback 0"),
        "{}",
        skipped.note
    );
    // Dates are skipped with the reason.
    assert!(note(&d, "53").contains("Date field"));
    // The mean of two readings.
    assert_eq!(values(&d, "4080-2.0")[3], Some(((123 + 127) as f64) / 2.0));
    assert_eq!(
        d.dictionary.get("4080-2.0").unwrap().value_type,
        ValueType::Integer
    );

    let d = run(
        &f,
        None,
        &Diseases::new(),
        UkbOptions {
            instance_fallback: Some(0),
            ..UkbOptions::default()
        },
    );
    let bmi = values(&d, "21001-2.0");
    // Participant 19 missed instance 2: its instance-0 value (19 + 19 % 11 = 27) is taken.
    assert_eq!(bmi[19], Some(27.0));
    // Participant 9 missed instance 2 and has no instance-0 value (9 % 8 != 0 holds, so it has one).
    let taken = (0..N).filter(|r| r % 10 == 9 && r % 8 != 0).count();
    assert!(
        note(&d, "21001-2.0").contains(&format!("{taken} participants from instance 0")),
        "{}",
        note(&d, "21001-2.0")
    );
    // A field with no instance 2 at all is taken from the fallback, under its own name.
    assert_eq!(values(&d, "1000-0.0")[6], Some(2.0));
}

#[test]
fn sex_specific_fields_and_codings() {
    let f = files(N);
    let d = run(&f, None, &Diseases::new(), UkbOptions::default());
    // A question for women: a man without an answer was never asked (missing), a woman who
    // attended without one answered "no" (0); the man recorded by mistake answered.
    let hormones = values(&d, "6153#1");
    for (r, v) in hormones.iter().enumerate() {
        let expected = match (r % 2, r % 10 != 9) {
            _ if r == 1 => Some(0.0),
            (1, _) | (_, false) => None,
            _ => Some(if r % 4 == 0 { 1.0 } else { 0.0 }),
        };
        assert_eq!(*v, expected, "participant {r}");
    }
    assert!(d.sexed.iter().any(|(c, _)| c == "6153#1"));
    assert!(d
        .sexed
        .iter()
        .any(|(c, s)| c == "2724-2.0" && *s == meshagents_stats::ukb::Sexed::Female));
    let menopause = d.dictionary.get("2724-2.0").unwrap();
    assert_eq!(menopause.value_type, ValueType::Binary);
    assert!(
        menopause.coding.contains("1=Yes") && menopause.coding.contains("-3=Prefer not to answer"),
        "{}",
        menopause.coding
    );
    // A coding missing from Codings.tsv: a warning, and the levels keep their codes.
    assert!(
        d.warnings.iter().any(|w| w.contains("coding 424242")),
        "{:?}",
        d.warnings
    );
    let e = d.dictionary.get("1001-2.0").unwrap();
    assert_eq!(
        (e.value_type, e.coding.as_str()),
        (ValueType::Categorical, "")
    );
    assert_eq!(values(&d, "1001-2.0")[4], Some(2.0));
}

#[test]
fn diseases_are_built_from_self_report_and_icd10_codes() {
    let f = files(N);
    let mut diseases = Diseases::new();
    diseases.insert(
        "hypertension".into(),
        DiseaseDefinition {
            self_report: vec![1065, 1072],
            icd10: vec!["I10".into(), "I15*".into()],
        },
    );
    diseases.insert(
        "diabetes".into(),
        DiseaseDefinition {
            self_report: vec![],
            icd10: vec!["E11*".into()],
        },
    );
    let d = run(&f, None, &diseases, UkbOptions::default());
    let hyp = values(&d, "hypertension");
    for (r, v) in hyp.iter().enumerate() {
        // Self-report at instance 2 needs attendance; ICD-10 I10 is r % 3 == 0 anyway.
        let case = r % 3 == 0 || r % 11 == 0;
        assert_eq!(*v, Some(if case { 1.0 } else { 0.0 }), "participant {r}");
    }
    assert_eq!(
        d.dictionary.get("hypertension").unwrap().role,
        Role::Disease
    );
    let both = (0..N).filter(|r| r % 3 == 0 && r % 10 != 9).count();
    assert!(
        note(&d, "hypertension").contains(&format!("{both} by both")),
        "{}",
        note(&d, "hypertension")
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("code 1072") && w.contains("no participant")),
        "{:?}",
        d.warnings
    );
    assert_eq!(
        values(&d, "diabetes")
            .iter()
            .filter(|v| **v == Some(1.0))
            .count(),
        (0..N).filter(|r| r % 11 == 0).count()
    );

    let mut bad = Diseases::new();
    bad.insert(
        "x".into(),
        DiseaseDefinition {
            self_report: vec![],
            icd10: vec!["hypertension".into()],
        },
    );
    let e = derive(
        &UkbSources {
            data: &f.data,
            showcase: &f.showcase,
            codings: None,
            overlay: None,
            id_column: None,
        },
        &bad,
        &UkbOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("[diseases.x] icd10: 'hypertension'"), "{e}");
}

#[test]
fn an_overlay_names_imaging_phenotypes_and_covariates() {
    let f = files(N);
    let overlay = f.data.with_file_name("dictionary.csv");
    std::fs::write(&overlay, "column,field_id,description,category,value_type,coding,role\neid,,id,Identifier,integer,,id\nLVEDV,,LV end-diastolic volume,Left ventricle,continuous,,imaging\n31-0.0,,Sex,Demographics,binary,0=Female;1=Male,covariate\n").unwrap();
    let d = run(&f, Some(&overlay), &Diseases::new(), UkbOptions::default());
    assert_eq!(d.dictionary.get("LVEDV").unwrap().role, Role::Imaging);
    let sex = d.dictionary.get("31-0.0").unwrap();
    assert_eq!((sex.role, sex.field_id), (Role::Covariate, Some(31)));
    assert_eq!(values(&d, "LVEDV")[2], Some(142.0));
}
