//! A UK Biobank extract as delivered, through the real binary: `meshagents ukb`,
//! `phewas --showcase` and a study with `showcase = ...`, and what each says of bad input.

mod common;

use std::path::Path;

use common::{assert_failed_saying, meshagents_in, stderr, text};

const SHOWCASE_HEADER: &str = "Path\tCategory\tFieldID\tField\tParticipants\tItems\tStability\tValueType\tUnits\tItemType\tStrata\tSexed\tInstances\tArray\tCoding\tNotes\tLink";

/// 600 participants: self-reported codes over 34 arrays at instances 0 and 2, ICD-10 codes,
/// sex (recorded once), a female-only field, a measure with a fallback, a date, a field whose
/// coding is missing from Codings.tsv, and an imaging phenotype that depends on code 1065.
fn write_extract(dir: &Path) {
    let n = 600;
    let mut header = vec!["eid".to_string()];
    header.extend((0..34).flat_map(|a| [format!("20002-0.{a}"), format!("20002-2.{a}")]));
    header.extend(
        [
            "41270-0.0",
            "41270-0.1",
            "31-0.0",
            "2724-2.0",
            "4080-0.0",
            "4080-2.0",
            "53-2.0",
            "1001-2.0",
            "lv_mass",
        ]
        .map(String::from),
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut text = header.join(",") + "\n";
    for r in 0..n {
        let mut cells = vec![String::new(); header.len()];
        cells[0] = (5000 + r).to_string();
        let sex = r % 2;
        let hypertensive = r % 4 == 0;
        let attended = r % 12 != 11;
        if attended {
            if hypertensive {
                cells[col(&format!("20002-2.{}", (r / 4) % 34))] = "1065".into();
            }
            if r % 6 == 1 {
                cells[col(&format!("20002-2.{}", (r / 6 + 5) % 34))] = "1111".into();
            }
            cells[col("4080-2.0")] = (120 + r % 23).to_string();
            cells[col("53-2.0")] = "2015-06-01".into();
            cells[col("1001-2.0")] = (1 + r % 3).to_string();
            // Female-only, with a few men recorded by mistake: sex is not constant in its rows.
            if sex == 0 || r % 50 == 1 {
                cells[col("2724-2.0")] = ["0", "1", "-3"][r % 3].into();
            }
        }
        if r % 5 == 0 {
            cells[col("20002-0.3")] = "1065".into();
        }
        cells[col("4080-0.0")] = (118 + r % 19).to_string();
        if hypertensive && r % 8 == 0 {
            cells[col("41270-0.1")] = "I10".into();
        }
        cells[col("31-0.0")] = sex.to_string();
        let mass = 120.0
            + 15.0 * sex as f64
            + if hypertensive { 9.0 } else { 0.0 }
            + ((r * 37) % 17) as f64;
        cells[col("lv_mass")] = format!("{mass}");
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(dir.join("ukb.csv"), text).unwrap();
    let row = |f: u32, title: &str, t: &str, sexed: &str, inst: u32, arr: u32, coding: &str| {
        format!("UK Biobank > Assessment > Topic {f}\t{}\t{f}\t{title}\t{n}\t{n}\tComplete\t{t}\t\tData\tPrimary\t{sexed}\t{inst}\t{arr}\t{coding}\t\"unbalanced\thttps://biobank.ndph.ox.ac.uk/showcase/field.cgi?id={f}\n", 100000 + f)
    };
    // field|title|value type|sexed|instances|arrays|coding, one field a line
    let fields = "20002|Non-cancer illness code, self-reported|Categorical multiple|Unisex|4|34|6
41270|Diagnoses - ICD10|Categorical multiple|Unisex|1|2|19
31|Sex|Categorical single|Unisex|1|1|9
2724|Had menopause|Categorical single|Female|4|1|100579
4080|Systolic blood pressure, automated reading|Integer|Unisex|4|1|
53|Date of attending assessment centre|Date|Unisex|4|1|
1001|A question whose coding is not in the excerpt|Categorical single|Unisex|4|1|777777";
    let showcase: String = std::iter::once(SHOWCASE_HEADER.to_string() + "\n")
        .chain(fields.lines().map(|line| {
            let c: Vec<&str> = line.split('|').collect();
            let number = |k: usize| c[k].parse::<u32>().unwrap();
            row(number(0), c[1], c[2], c[3], number(4), number(5), c[6])
        }))
        .collect();
    std::fs::write(dir.join("Data_Dictionary_Showcase.tsv"), showcase).unwrap();
    std::fs::write(
        dir.join("Codings.tsv"),
        "Coding\tValue\tMeaning\n6\t1065\thypertension\n6\t1111\tasthma\n9\t0\tFemale\n9\t1\tMale\n100579\t0\tNo\n100579\t1\tYes\n100579\t-3\tPrefer not to answer\n19\tI10\tI10 Essential (primary) hypertension\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("overlay.csv"),
        "column,field_id,description,category,value_type,coding,role\neid,,Participant,Identifier,integer,,id\nlv_mass,,LV mass (g),Left ventricle,continuous,,imaging\n31-0.0,,Sex,Demographics,binary,0=Female;1=Male,covariate\n",
    )
    .unwrap();
}

const DISEASES: &str =
    "[diseases.hypertension]\nself_report = [1065]\nicd10 = [\"I10\", \"I15*\"]\n";

/// `command` on the extract, its Showcase, codings and overlay, then `extra`.
fn on_extract<'a>(command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        command,
        "--data",
        "ukb.csv",
        "--showcase",
        "Data_Dictionary_Showcase.tsv",
    ];
    args.extend(["--codings", "Codings.tsv", "--dictionary", "overlay.csv"]);
    args.extend(extra);
    args
}

fn derive_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    on_extract("ukb", extra)
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn ukb_writes_a_cohort_and_says_what_it_did_with_every_field() {
    let dir = tempfile::tempdir().unwrap();
    write_extract(dir.path());
    std::fs::write(dir.path().join("diseases.toml"), DISEASES).unwrap();
    let before = sha(&dir.path().join("ukb.csv"));
    let o = meshagents_in(
        dir.path(),
        &derive_args(&["--diseases", "diseases.toml", "--out", "cohort"]),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("derived"), "{}", text(&o));
    // The ICD-10 prefix no participant has is a warning, not an error.
    assert!(
        stderr(&o).contains("I15*") && stderr(&o).contains("no participant"),
        "{}",
        stderr(&o)
    );
    // A coding missing from Codings.tsv: a warning, and the levels keep their codes.
    assert!(stderr(&o).contains("coding 777777"), "{}", stderr(&o));
    let fields = std::fs::read_to_string(dir.path().join("cohort/fields.csv")).unwrap();
    for needle in [
        "20002#1065",
        "20002#1111",
        "41270#I10",
        "2724-2.0,2724,true,female",
        "Date field",
        "hypertension,,true",
    ] {
        assert!(fields.contains(needle), "{needle}: {fields}");
    }
    let dictionary = std::fs::read_to_string(dir.path().join("cohort/dictionary.csv")).unwrap();
    assert!(
        dictionary
            .contains("20002#1065,20002,\"hypertension (Non-cancer illness code, self-reported)\""),
        "{dictionary}"
    );
    assert!(
        dictionary.contains("lv_mass,,LV mass (g),Left ventricle,continuous,\"\",imaging"),
        "{dictionary}"
    );
    assert!(dictionary.contains("1001-2.0,1001,A question whose coding is not in the excerpt,Topic 1001,categorical,\"\",factor"), "{dictionary}");
    // Made again only when something changed; the extract itself is never touched.
    let again = meshagents_in(
        dir.path(),
        &derive_args(&["--diseases", "diseases.toml", "--out", "cohort"]),
    );
    assert!(text(&again).contains("already derived"), "{}", text(&again));
    assert_eq!(before, sha(&dir.path().join("ukb.csv")));
    let fallback = meshagents_in(
        dir.path(),
        &derive_args(&["--instance-fallback", "0", "--out", "cohort"]),
    );
    assert!(text(&fallback).contains("derived"), "{}", text(&fallback));
    let fields = std::fs::read_to_string(dir.path().join("cohort/fields.csv")).unwrap();
    assert!(
        fields.contains("field 4080 at instance 2; 50 participants from instance 0"),
        "{fields}"
    );
    // Somebody else's folder is refused.
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let o = meshagents_in(dir.path(), &derive_args(&["--out", "."]));
    assert_failed_saying(&o, "is not empty");
}

#[test]
fn phewas_reads_the_extract_and_leaves_sex_out_of_a_female_field() {
    let dir = tempfile::tempdir().unwrap();
    write_extract(dir.path());
    let o = meshagents_in(
        dir.path(),
        &on_extract(
            "phewas",
            &[
                "--phenotypes",
                "imaging",
                "--factors",
                "factor",
                "--covariates",
                "31-0.0",
                "--out",
                "assoc.csv",
            ],
        ),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.path().join("assoc.csv.ukb/cohort.parquet").is_file());
    let table = std::fs::read_to_string(dir.path().join("assoc.csv")).unwrap();
    let row = |factor: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("lv_mass,{factor},")))
            .unwrap_or_else(|| panic!("no row for {factor}: {table}"))
            .to_string()
    };
    // The planted code is found; the female-only field is fitted without sex.
    let hyp = row("20002#1065");
    let p: f64 = hyp.split(',').nth(12).unwrap().parse().unwrap();
    assert!(p < 1e-10, "{hyp}");
    assert!(
        row("2724-2.0").contains(
            "not adjusted for 31-0.0: the Showcase records this field for female participants only"
        ),
        "{}",
        row("2724-2.0")
    );
    assert!(!row("20002#1065").contains("not adjusted"), "{hyp}");
    // Flags of the derivation need --showcase.
    let o = meshagents_in(
        dir.path(),
        &[
            "phewas",
            "--data",
            "ukb.csv",
            "--codings",
            "Codings.tsv",
            "--phenotypes",
            "lv_mass",
            "--factors",
            "all",
            "--out",
            "x.csv",
        ],
    );
    assert_failed_saying(
        &o,
        "--codings reads a UK Biobank extract: it needs --showcase",
    );
}

#[test]
fn a_study_on_the_extract_records_where_each_column_came_from() {
    let dir = tempfile::tempdir().unwrap();
    write_extract(dir.path());
    std::fs::write(
        dir.path().join("STUDY.toml"),
        format!("name = \"extract\"\ndata = \"ukb.csv\"\nshowcase = \"Data_Dictionary_Showcase.tsv\"\ncodings = \"Codings.tsv\"\ndictionary = \"overlay.csv\"\ncovariates = \"31-0.0\"\ninstance_fallback = 0\n\n{DISEASES}"),
    )
    .unwrap();
    let o = meshagents_in(
        dir.path(),
        &["study", "run", "STUDY.toml", "--out", "study"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let flow = std::fs::read_to_string(dir.path().join("study/flow.csv")).unwrap();
    assert!(flow.contains("participants from instance 0"), "{flow}");
    assert!(
        flow.contains("53,factor,false,0,0,,not derived from the extract: Date field"),
        "{flow}"
    );
    assert!(dir.path().join("study/ukb/fields.csv").is_file());
    // Resumed: nothing derived again, nothing recomputed.
    let again = meshagents_in(
        dir.path(),
        &["study", "run", "STUDY.toml", "--out", "study"],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("nothing recomputed"),
        "{}",
        text(&again)
    );
}

#[test]
fn bad_showcase_codings_and_disease_definitions_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write_extract(dir.path());
    // A Showcase without its ValueType column.
    let showcase =
        std::fs::read_to_string(dir.path().join("Data_Dictionary_Showcase.tsv")).unwrap();
    let cut: String = showcase
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split('\t').collect();
            cells.remove(7);
            cells.join("\t") + "\n"
        })
        .collect();
    std::fs::write(dir.path().join("cut.tsv"), cut).unwrap();
    let o = meshagents_in(
        dir.path(),
        &[
            "ukb",
            "--data",
            "ukb.csv",
            "--showcase",
            "cut.tsv",
            "--out",
            "a",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains("cut.tsv")
            && stderr(&o).contains("missing Showcase column 'ValueType'"),
        "{}",
        stderr(&o)
    );
    // An unknown key in a disease's table.
    std::fs::write(
        dir.path().join("typo.toml"),
        "[diseases.hypertension]\nself_reported = [1065]\n",
    )
    .unwrap();
    let o = meshagents_in(
        dir.path(),
        &derive_args(&["--diseases", "typo.toml", "--out", "b"]),
    );
    assert_failed_saying(&o, "self_reported");
    // An ICD-10 pattern that is not one.
    std::fs::write(
        dir.path().join("icd.toml"),
        "[diseases.hypertension]\nicd10 = [\"I10\", \"hypertension\"]\n",
    )
    .unwrap();
    let o = meshagents_in(
        dir.path(),
        &derive_args(&["--diseases", "icd.toml", "--out", "c"]),
    );
    assert_failed_saying(
        &o,
        "[diseases.hypertension] icd10: 'hypertension' is not an ICD-10 code",
    );
    // In STUDY.toml, the same checks, and `[diseases]` without a Showcase.
    let study = |extra: &str| {
        std::fs::write(
            dir.path().join("S.toml"),
            format!("name = \"s\"\ndata = \"ukb.csv\"\ncovariates = \"31-0.0\"\n{extra}"),
        )
        .unwrap();
        meshagents_in(dir.path(), &["study", "run", "S.toml", "--out", "s"])
    };
    assert_failed_saying(
        &study(DISEASES),
        "key `diseases` reads a UK Biobank extract: it needs `showcase",
    );
    let o = study("showcase = \"Data_Dictionary_Showcase.tsv\"\n[diseases.hypertension]\nself_report = [1065]\nicd = [\"I10\"]\n");
    assert_failed_saying(&o, "icd");
    assert!(
        !dir.path().join("s/ukb").exists(),
        "nothing derived for a refused configuration"
    );
}
