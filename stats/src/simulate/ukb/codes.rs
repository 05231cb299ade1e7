//! The multi-valued fields of `--ukb` (20002 self-reported illness, 41270 ICD-10 diagnoses,
//! 6150 vascular problems, 6177/6153 medication), the visit date and a text field, the excerpts
//! of their UK Biobank codings, and the STUDY.toml that defines the diseases by those codes.
//!
//! Each case of a disease gets at least one of its codes (self-report, ICD-10 or both); no
//! control gets any, and the noise codes belong to no disease (checked), so the labels the
//! reader derives from STUDY.toml are the simulated ones exactly.

use polars::prelude::Column;
use rand::seq::index::sample;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{disease_codes, Coding, Field, SimulationConfig, IMAGING_INSTANCE};
use crate::error::StatsError;
use crate::ukb::diseases::{ICD10_FIELD, SELF_REPORT_FIELD};

/// A multi-valued field as its Showcase row describes it.
struct Multi {
    id: u32,
    description: &'static str,
    category: &'static str,
    instances: u32,
    arrays: usize,
    coding: u32,
    sexed: &'static str,
}

impl Multi {
    fn field(&self, columns: Vec<(u32, usize, Column)>) -> Field {
        Field {
            id: self.id,
            description: self.description.to_string(),
            category: self.category.to_string(),
            value_type: "Categorical multiple",
            instances: self.instances,
            array: self.arrays,
            coding: Coding::Known(self.coding),
            sexed: self.sexed,
            // Hospital records keep being linked; the visits are over.
            stability: if self.instances == 1 {
                "Accruing"
            } else {
                "Complete"
            },
            columns,
        }
    }
}

const SELF_REPORT: Multi = Multi {
    id: SELF_REPORT_FIELD,
    description: "Non-cancer illness code, self-reported",
    category: "Self-reported medical conditions",
    instances: 4,
    arrays: 34,
    coding: 6,
    sexed: "Unisex",
};
const ICD10: Multi = Multi {
    id: ICD10_FIELD,
    description: "Diagnoses - ICD10",
    category: "Summary Diagnoses",
    instances: 1,
    arrays: 259,
    coding: 19,
    sexed: "Unisex",
};
const VASCULAR: Multi = Multi {
    id: 6150,
    description: "Vascular/heart problems diagnosed by doctor",
    category: "Self-reported medical conditions",
    instances: 4,
    arrays: 4,
    coding: CODING_VASCULAR,
    sexed: "Unisex",
};
/// 6177 is asked of men, 6153 of women.
const MEDICATION: [Multi; 2] = [
    Multi {
        id: 6177,
        description: "Medication for cholesterol, blood pressure or diabetes",
        category: "Medication",
        instances: 4,
        arrays: 3,
        coding: CODING_MEDICATION_MEN,
        sexed: "Male",
    },
    Multi {
        id: 6153,
        description:
            "Medication for cholesterol, blood pressure, diabetes, or take exogenous hormones",
        category: "Medication",
        instances: 4,
        arrays: 4,
        coding: CODING_MEDICATION_WOMEN,
        sexed: "Female",
    },
];

/// Excerpt of coding 6 (non-cancer illness): every code written, and a few unused ones.
const CODING_6: &[(i64, &str)] = &[
    (1065, "hypertension"),
    (1066, "heart/cardiac problem"),
    (1067, "peripheral vascular disease"),
    (1072, "essential hypertension"),
    (1074, "angina"),
    (1075, "heart attack/myocardial infarction"),
    (1076, "heart failure/pulmonary odema"),
    (1081, "stroke"),
    (1111, "asthma"),
    (1112, "chronic obstructive airways disease/copd"),
    (1113, "emphysema/chronic bronchitis"),
    (1123, "sleep apnoea"),
    (1138, "gastro-oesophageal reflux (gord) / gastric reflux"),
    (1154, "irritable bowel syndrome"),
    (1220, "diabetes"),
    (1222, "type 1 diabetes"),
    (1223, "type 2 diabetes"),
    (1226, "hypothyroidism/myxoedema"),
    (1262, "parkinsons disease"),
    (1263, "dementia/alzheimers/cognitive impairment"),
    (1265, "migraine"),
    (1286, "depression"),
    (1289, "schizophrenia"),
    (1291, "mania/bipolar disorder/manic depression"),
    (1309, "osteoporosis"),
    (1387, "hayfever/allergic rhinitis"),
    (1452, "eczema/dermatitis"),
    (1453, "psoriasis"),
    (1465, "osteoarthritis"),
    (1466, "gout"),
    (1471, "atrial fibrillation"),
    (1473, "high cholesterol"),
    (1583, "ischaemic stroke"),
    (99999, "unclassifiable"),
];

/// Excerpt of coding 19 (ICD-10): every code written, and a few unused ones.
const CODING_19: &[(&str, &str)] = &[
    ("C61", "C61 Malignant neoplasm of prostate"),
    ("E039", "E03.9 Hypothyroidism, unspecified"),
    (
        "E109",
        "E10.9 Insulin-dependent diabetes mellitus without complications",
    ),
    (
        "E112",
        "E11.2 Non-insulin-dependent diabetes mellitus with renal complications",
    ),
    (
        "E119",
        "E11.9 Non-insulin-dependent diabetes mellitus without complications",
    ),
    (
        "E149",
        "E14.9 Unspecified diabetes mellitus without complications",
    ),
    ("E780", "E78.0 Pure hypercholesterolaemia"),
    ("E782", "E78.2 Mixed hyperlipidaemia"),
    ("E785", "E78.5 Hyperlipidaemia, unspecified"),
    ("F009", "F00.9 Dementia in Alzheimer's disease, unspecified"),
    ("F019", "F01.9 Vascular dementia, unspecified"),
    ("F03", "F03 Unspecified dementia"),
    (
        "F322",
        "F32.2 Severe depressive episode without psychotic symptoms",
    ),
    ("F329", "F32.9 Depressive episode, unspecified"),
    ("F339", "F33.9 Recurrent depressive disorder, unspecified"),
    ("G20", "G20 Parkinson's disease"),
    ("G309", "G30.9 Alzheimer's disease, unspecified"),
    ("H269", "H26.9 Cataract, unspecified"),
    ("I10", "I10 Essential (primary) hypertension"),
    (
        "I110",
        "I11.0 Hypertensive heart disease with (congestive) heart failure",
    ),
    ("I150", "I15.0 Renovascular hypertension"),
    ("I159", "I15.9 Secondary hypertension, unspecified"),
    ("I209", "I20.9 Angina pectoris, unspecified"),
    ("I219", "I21.9 Acute myocardial infarction, unspecified"),
    ("I251", "I25.1 Atherosclerotic heart disease"),
    ("I252", "I25.2 Old myocardial infarction"),
    ("I48", "I48 Atrial fibrillation and flutter"),
    ("I500", "I50.0 Congestive heart failure"),
    ("I509", "I50.9 Heart failure, unspecified"),
    (
        "I634",
        "I63.4 Cerebral infarction due to embolism of cerebral arteries",
    ),
    ("I639", "I63.9 Cerebral infarction, unspecified"),
    (
        "I64",
        "I64 Stroke, not specified as haemorrhage or infarction",
    ),
    ("I702", "I70.2 Atherosclerosis of arteries of extremities"),
    ("I739", "I73.9 Peripheral vascular disease, unspecified"),
    ("J189", "J18.9 Pneumonia, unspecified"),
    ("J410", "J41.0 Simple chronic bronchitis"),
    ("J42", "J42 Unspecified chronic bronchitis"),
    (
        "J441",
        "J44.1 Chronic obstructive pulmonary disease with acute exacerbation, unspecified",
    ),
    (
        "J449",
        "J44.9 Chronic obstructive pulmonary disease, unspecified",
    ),
    ("J450", "J45.0 Predominantly allergic asthma"),
    ("J459", "J45.9 Asthma, unspecified"),
    (
        "K219",
        "K21.9 Gastro-oesophageal reflux disease without oesophagitis",
    ),
    (
        "K573",
        "K57.3 Diverticular disease of large intestine without perforation or abscess",
    ),
    (
        "K802",
        "K80.2 Calculus of gallbladder without cholecystitis",
    ),
    ("M179", "M17.9 Gonarthrosis, unspecified"),
    ("N390", "N39.0 Urinary tract infection, site not specified"),
    ("R074", "R07.4 Chest pain, unspecified"),
];

/// Self-reported illnesses of no disease definition, with their share per visit.
const NOISE_SELF_REPORT: &[(i64, f64)] = &[
    (1387, 0.06),
    (1265, 0.04),
    (1465, 0.07),
    (1466, 0.02),
    (1226, 0.05),
    (1471, 0.015),
    (1138, 0.04),
    (1154, 0.03),
    (1453, 0.02),
    (1452, 0.03),
    (1309, 0.02),
    (1123, 0.01),
    (99999, 0.01),
];

/// Hospital diagnoses of no disease definition, with their share.
const NOISE_ICD10: &[(&str, f64)] = &[
    ("K219", 0.06),
    ("M179", 0.04),
    ("E039", 0.03),
    ("K802", 0.02),
    ("N390", 0.04),
    ("K573", 0.03),
    ("R074", 0.05),
    ("I48", 0.02),
    ("H269", 0.03),
];

const CODING_VASCULAR: u32 = 100605;
const CODING_MEDICATION_MEN: u32 = 100625;
const CODING_MEDICATION_WOMEN: u32 = 100626;
const NONE_OF_THE_ABOVE: i64 = -7;
const DO_NOT_KNOW: i64 = -1;
const PREFER_NOT: i64 = -3;

/// The rows (value, meaning) of a UK Biobank coding the fields use.
pub(super) fn known_coding(id: u32) -> Vec<(String, String)> {
    let pairs = |items: &[(i64, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(c, m)| (c.to_string(), m.to_string()))
            .collect()
    };
    let medication = [
        (1, "Cholesterol lowering medication"),
        (2, "Blood pressure medication"),
        (3, "Insulin"),
    ];
    let negatives = [
        (NONE_OF_THE_ABOVE, "None of the above"),
        (DO_NOT_KNOW, "Do not know"),
        (PREFER_NOT, "Prefer not to answer"),
    ];
    match id {
        6 => pairs(CODING_6),
        19 => CODING_19
            .iter()
            .map(|(c, m)| (c.to_string(), m.to_string()))
            .collect(),
        CODING_VASCULAR => pairs(&[
            (1, "Heart attack"),
            (2, "Angina"),
            (3, "Stroke"),
            (4, "High blood pressure"),
            (NONE_OF_THE_ABOVE, "None of the above"),
            (PREFER_NOT, "Prefer not to answer"),
        ]),
        CODING_MEDICATION_MEN => pairs(&[medication.as_slice(), &negatives].concat()),
        CODING_MEDICATION_WOMEN => pairs(
            &[
                medication.as_slice(),
                &[
                    (4, "Hormone replacement therapy"),
                    (5, "Oral contraceptive pill or minipill"),
                ],
                &negatives,
            ]
            .concat(),
        ),
        _ => Vec::new(),
    }
}

/// Whether an ICD-10 code matches a definition's pattern (`*` ends a prefix).
pub(super) fn icd10_matches(pattern: &str, code: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => code.starts_with(prefix),
        None => code == pattern,
    }
}

/// What one participant reported or was diagnosed with; `[0]` is instance 0, `[1]` the
/// imaging visit.
#[derive(Default)]
struct Answers {
    self_report: [Vec<i64>; 2],
    icd10: Vec<&'static str>,
    vascular: [Vec<i64>; 2],
    medication: [Vec<i64>; 2],
}

fn choose<T: Copy>(items: &[T], rng: &mut ChaCha8Rng) -> T {
    items[rng.gen_range(0..items.len())]
}

/// The multi-valued fields, from the disease labels (by disease name) and sex.
pub(super) fn code_fields(
    diseases: &[(String, Vec<bool>)],
    male: &[bool],
    rng: &mut ChaCha8Rng,
) -> Result<Vec<Field>, StatsError> {
    let n = male.len();
    let mut answers: Vec<Answers> = (0..n).map(|_| Answers::default()).collect();
    for (name, labels) in diseases {
        let codes = disease_codes(name)?;
        check_definition(name)?;
        for (a, _) in answers.iter_mut().zip(labels).filter(|(_, case)| **case) {
            // Self-report only, hospital record only, or both.
            let (reported, diagnosed) = match rng.gen::<f64>() {
                s if s < 0.4 => (true, false),
                s if s < 0.65 => (false, true),
                _ => (true, true),
            };
            if reported {
                let code = match rng.gen_bool(0.75) {
                    true => codes.self_report[0],
                    false => choose(&codes.self_report, rng),
                };
                let when: f64 = rng.gen();
                let visits: &[usize] = match when {
                    w if w < 0.25 => &[0],
                    w if w < 0.6 => &[1],
                    _ => &[0, 1],
                };
                for &k in visits {
                    a.self_report[k].push(code);
                    if rng.gen_bool(0.05) {
                        a.self_report[k].push(code);
                    }
                }
            }
            if diagnosed {
                for _ in 0..if rng.gen_bool(0.8) { 1 } else { 2 } {
                    a.icd10.push(choose_text(&codes.icd10_written, rng));
                }
                if rng.gen_bool(0.04) {
                    a.icd10.push(a.icd10[0]);
                }
            }
            for (k, share) in [(0, 0.55), (1, 0.85)] {
                if !codes.vascular.is_empty() && rng.gen_bool(share) {
                    a.vascular[k].push(choose(&codes.vascular, rng));
                }
            }
            for (k, share) in [(0, 0.4), (1, 0.6)] {
                if !codes.medication.is_empty() && rng.gen_bool(share) {
                    a.medication[k].push(choose(&codes.medication, rng));
                }
            }
        }
    }
    for (a, is_male) in answers.iter_mut().zip(male) {
        for &(code, share) in NOISE_SELF_REPORT {
            if rng.gen_bool(share) {
                match rng.gen_range(0..10) {
                    0..=2 => a.self_report[0].push(code),
                    3..=5 => a.self_report[1].push(code),
                    _ => a.self_report.iter_mut().for_each(|v| v.push(code)),
                }
            }
        }
        for &(code, share) in NOISE_ICD10 {
            if rng.gen_bool(share) {
                a.icd10.push(code);
            }
        }
        // Statins and blood pressure drugs are prescribed beyond the diagnosed; hormones to
        // women only.
        let mut extra = vec![(1, 0.06), (2, 0.03)];
        if !is_male {
            extra.extend([(4, 0.06), (5, 0.01)]);
        }
        for (code, share) in extra {
            for k in 0..2 {
                if rng.gen_bool(share) {
                    a.medication[k].push(code);
                }
            }
        }
        for k in 0..2 {
            for v in [&mut a.vascular[k], &mut a.medication[k]] {
                v.sort_unstable();
                v.dedup();
            }
        }
    }
    let visits = [0, IMAGING_INSTANCE];
    let mut self_report = Vec::new();
    for (k, instance) in visits.iter().enumerate() {
        let per: Vec<Vec<i64>> = answers.iter().map(|a| a.self_report[k].clone()).collect();
        self_report.extend(int_columns(*instance, &per, SELF_REPORT.arrays, rng));
    }
    let icd10_per: Vec<Vec<&str>> = answers.iter().map(|a| a.icd10.clone()).collect();
    let icd10: Vec<(u32, usize, Column)> = spread(&icd10_per, ICD10.arrays, rng)
        .into_iter()
        .enumerate()
        .map(|(j, values)| {
            let values: Vec<Option<&str>> = values;
            (0, j, Column::new("".into(), values))
        })
        .collect();
    let mut vascular = Vec::new();
    let mut medication = [Vec::new(), Vec::new()];
    for (k, instance) in visits.iter().enumerate() {
        let per: Vec<Vec<i64>> = answers
            .iter()
            .map(|a| {
                answered(
                    &a.vascular[k],
                    &[(NONE_OF_THE_ABOVE, 0.96), (PREFER_NOT, 0.015)],
                    rng,
                )
            })
            .collect();
        vascular.extend(int_columns(*instance, &per, VASCULAR.arrays, rng));
        for (sex, columns) in medication.iter_mut().enumerate() {
            // 6177 is asked of men, 6153 of women: the other sex was never asked.
            let per: Vec<Vec<i64>> = answers
                .iter()
                .zip(male)
                .map(|(a, is_male)| match usize::from(!*is_male) == sex {
                    true => answered(
                        &a.medication[k],
                        &[
                            (NONE_OF_THE_ABOVE, 0.93),
                            (DO_NOT_KNOW, 0.015),
                            (PREFER_NOT, 0.015),
                        ],
                        rng,
                    ),
                    false => Vec::new(),
                })
                .collect();
            columns.extend(int_columns(*instance, &per, MEDICATION[sex].arrays, rng));
        }
    }
    let [men, women] = medication;
    Ok(vec![
        SELF_REPORT.field(self_report),
        ICD10.field(icd10),
        VASCULAR.field(vascular),
        MEDICATION[0].field(men),
        MEDICATION[1].field(women),
    ])
}

fn choose_text(items: &'static [String], rng: &mut ChaCha8Rng) -> &'static str {
    items[rng.gen_range(0..items.len())].as_str()
}

/// A checkbox question's answer: the codes ticked, else one of the `non_answers` by share
/// (-7 "none of the above", -3 ...), else nothing.
fn answered(codes: &[i64], non_answers: &[(i64, f64)], rng: &mut ChaCha8Rng) -> Vec<i64> {
    if !codes.is_empty() {
        return codes.to_vec();
    }
    let mut u: f64 = rng.gen();
    for &(code, share) in non_answers {
        if u < share {
            return vec![code];
        }
        u -= share;
    }
    Vec::new()
}

/// Each participant's values in arbitrary distinct array slots (a lone negative answer in the
/// first, as UK Biobank records it); one vector per array column.
fn spread<T: Copy>(per: &[Vec<T>], arrays: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<Option<T>>> {
    let mut columns = vec![vec![None; per.len()]; arrays];
    for (i, values) in per.iter().enumerate() {
        let k = values.len().min(arrays);
        let slots = match k {
            1 => vec![rng.gen_range(0..arrays)],
            _ => sample(rng, arrays, k).into_vec(),
        };
        for (slot, value) in slots.into_iter().zip(values) {
            columns[slot][i] = Some(*value);
        }
    }
    columns
}

fn int_columns(
    instance: u32,
    per: &[Vec<i64>],
    arrays: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<(u32, usize, Column)> {
    let mut columns = spread(per, arrays, rng);
    for (i, values) in per.iter().enumerate() {
        if let [code] = values.as_slice() {
            if *code < 0 {
                columns.iter_mut().for_each(|c| c[i] = None);
                columns[0][i] = Some(*code);
            }
        }
    }
    columns
        .into_iter()
        .enumerate()
        .map(|(j, values)| (instance, j, Column::new("".into(), values)))
        .collect()
}

/// Refuses a disease whose written ICD-10 codes fall outside its definition, or a noise
/// code inside any definition: either would make the derived labels differ from the
/// simulated ones.
fn check_definition(name: &str) -> Result<(), StatsError> {
    let codes = disease_codes(name)?;
    let invalid = |what: String| Err(StatsError::Invalid(format!("disease '{name}': {what}")));
    if codes.self_report.is_empty() || codes.icd10_written.is_empty() {
        return invalid("needs self-report codes and ICD-10 codes".into());
    }
    for code in &codes.icd10_written {
        if !codes.icd10.iter().any(|p| icd10_matches(p, code)) {
            return invalid(format!("ICD-10 code {code} is outside its definition"));
        }
    }
    for (code, _) in NOISE_SELF_REPORT {
        if codes.self_report.contains(code) {
            return invalid(format!("noise code {code} is one of its self-report codes"));
        }
    }
    for (code, _) in NOISE_ICD10 {
        if codes.icd10.iter().any(|p| icd10_matches(p, code)) {
            return invalid(format!("noise code {code} matches its ICD-10 definition"));
        }
    }
    Ok(())
}

/// Field 53 (the visit dates, `gap` years apart) and 40010 (free text): fields the reader
/// skips for their type.
pub(super) fn visit_fields(gap: &[f64], rng: &mut ChaCha8Rng) -> Vec<Field> {
    let first_day = days_from_civil(2006, 3, 13);
    let (mut first, mut imaging) = (Vec::new(), Vec::new());
    for g in gap {
        let day = first_day + rng.gen_range(0..1660);
        first.push(Some(civil_date(day)));
        imaging.push(Some(civil_date(day + (g * 365.25).round() as i64)));
    }
    const CAUSES: [&str; 4] = [
        "Acute myocardial infarction",
        "Malignant neoplasm of bronchus or lung",
        "Chronic obstructive pulmonary disease",
        "Cerebral infarction",
    ];
    let causes: Vec<Option<&str>> = gap
        .iter()
        .map(|_| rng.gen_bool(0.006).then(|| choose(&CAUSES, rng)))
        .collect();
    let text = |values: Vec<Option<String>>| Column::new("".into(), values);
    let field =
        |id, description: &str, category: &str, value_type, instances, stability, columns| Field {
            id,
            description: description.to_string(),
            category: category.to_string(),
            value_type,
            instances,
            array: 1,
            coding: Coding::None,
            sexed: "Unisex",
            stability,
            columns,
        };
    vec![
        field(
            53,
            "Date of attending assessment centre",
            "Reception",
            "Date",
            4,
            "Complete",
            vec![(0, 0, text(first)), (IMAGING_INSTANCE, 0, text(imaging))],
        ),
        field(
            40010,
            "Description of cause of death",
            "Death register",
            "Text",
            1,
            "Accruing",
            vec![(0, 0, Column::new("".into(), causes))],
        ),
    ]
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// STUDY.toml of the `--ukb` files: the extract, its Showcase files, the overlay, the
/// imaging visit, and every simulated disease defined by its codes.
pub fn study_toml(config: &SimulationConfig) -> Result<String, StatsError> {
    let mut text = format!(
        "# Written by `meshagents simulate --ukb` ({} participants, seed {}). The disease labels\n\
         # are defined by codes of 20002 (self-report, any instance) and 41270 (ICD-10).\n\
         name = \"simulated-ukb\"\n\
         data = \"{}\"\n\
         showcase = \"{}\"\n\
         codings = \"{}\"\n\
         dictionary = \"{}\"\n\
         instance = {IMAGING_INSTANCE}\n",
        config.n,
        config.seed,
        super::DATA_FILE,
        super::SHOWCASE_FILE,
        super::CODINGS_FILE,
        super::DICTIONARY_FILE,
    );
    for disease in super::diseases() {
        check_definition(&disease.name)?;
        let codes = &disease.ukb;
        let self_report: Vec<String> = codes.self_report.iter().map(|c| c.to_string()).collect();
        let icd10: Vec<String> = codes.icd10.iter().map(|c| format!("\"{c}\"")).collect();
        text += &format!(
            "\n[diseases.{}]\nself_report = [{}]\nicd10 = [{}]\n",
            disease.name,
            self_report.join(", "),
            icd10.join(", ")
        );
    }
    Ok(text)
}
