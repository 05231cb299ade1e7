//! `Data_Dictionary_Showcase.tsv` and `Codings.tsv` of the `--ukb` files, in UK Biobank's
//! own layouts.

use std::collections::BTreeMap;
use std::path::Path;

use super::codes::known_coding;
use super::{Coding, Field};
use crate::data::delimited::{Cell, TableWriter};
use crate::error::StatsError;

pub const SHOWCASE_COLUMNS: [&str; 17] = [
    "Path",
    "Category",
    "FieldID",
    "Field",
    "Participants",
    "Items",
    "Stability",
    "ValueType",
    "Units",
    "ItemType",
    "Strata",
    "Sexed",
    "Instances",
    "Array",
    "Coding",
    "Notes",
    "Link",
];
pub const CODINGS_COLUMNS: [&str; 3] = ["Coding", "Value", "Meaning"];

/// Where a category sits in the Showcase's tree (its path without the category itself) and
/// its id; other categories hang under the assessment centre with ids from 900001.
const CATEGORIES: &[(&str, &str, u32)] = &[
    (
        "Primary demographics",
        "UK Biobank Assessment Centre > Touchscreen > Sociodemographics",
        100062,
    ),
    (
        "Early life factors",
        "UK Biobank Assessment Centre > Touchscreen > Lifestyle and environment",
        100033,
    ),
    (
        "Education and employment",
        "UK Biobank Assessment Centre > Touchscreen > Sociodemographics",
        100063,
    ),
    (
        "Diet",
        "UK Biobank Assessment Centre > Touchscreen > Lifestyle and environment",
        100052,
    ),
    (
        "Alcohol",
        "UK Biobank Assessment Centre > Touchscreen > Lifestyle and environment",
        100051,
    ),
    (
        "Smoking",
        "UK Biobank Assessment Centre > Touchscreen > Lifestyle and environment",
        100058,
    ),
    (
        "Physical activity",
        "UK Biobank Assessment Centre > Touchscreen > Lifestyle and environment",
        100054,
    ),
    ("Physical measures", "UK Biobank Assessment Centre", 100006),
    (
        "Self-reported medical conditions",
        "UK Biobank Assessment Centre > Verbal interview",
        100074,
    ),
    (
        "Mental health",
        "UK Biobank Assessment Centre > Touchscreen > Psychosocial factors",
        100060,
    ),
    ("Cognitive function", "UK Biobank Assessment Centre", 100026),
    (
        "Medication",
        "UK Biobank Assessment Centre > Touchscreen > Health and medical history",
        100045,
    ),
    (
        "Summary Diagnoses",
        "Health-related outcomes > Hospital inpatient",
        2002,
    ),
    (
        "Reception",
        "UK Biobank Assessment Centre > Procedural metrics > Process durations",
        100024,
    ),
    ("Death register", "Health-related outcomes", 100093),
    ("Blood assays", "Biological samples > Assay results", 17518),
];

/// UK Biobank's codings for the simulator's inline ones it knows: sex, and yes/no with "do
/// not know" and "prefer not to answer" (not a measurement's lone negative codes, which
/// would gain the meanings Yes and No).
const SEX_CODING: (&str, u32) = ("0=Female;1=Male", 9);
const YES_NO: (&str, u32) = ("1=Yes;0=No;-1=Do not know;-3=Prefer not to answer", 100349);
const FIRST_SEQUENTIAL_CODING: u32 = 900_001;

/// Inline coding text -> (id, rows), ids given in the order of the fields.
fn inline_codings(fields: &[Field]) -> BTreeMap<String, u32> {
    let pairs = |coding: &str| -> Vec<String> { coding.split(';').map(str::to_string).collect() };
    let yes_no = pairs(YES_NO.0);
    let mut ids = BTreeMap::new();
    let mut next = FIRST_SEQUENTIAL_CODING;
    for field in fields {
        let Coding::Inline(coding) = &field.coding else {
            continue;
        };
        if ids.contains_key(coding) {
            continue;
        }
        let id = if coding == SEX_CODING.0 {
            SEX_CODING.1
        } else if pairs(coding).iter().all(|p| yes_no.contains(p)) && coding.contains("1=Yes") {
            YES_NO.1
        } else {
            next += 1;
            next - 1
        };
        ids.insert(coding.clone(), id);
    }
    ids
}

fn inline_rows(coding: &str) -> Vec<(String, String)> {
    coding
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(value, meaning)| (value.to_string(), meaning.to_string()))
        .collect()
}

/// The unit at the end of a measurement's description (`Standing height, cm`), if any.
fn units(field: &Field) -> String {
    if !matches!(field.value_type, "Continuous" | "Integer") {
        return String::new();
    }
    match field.description.rsplit_once(", ") {
        Some((_, unit)) if unit.len() <= 10 && !unit.contains(' ') => unit.to_string(),
        _ => String::new(),
    }
}

/// A text cell that is empty, not `""`, when there is no text.
fn optional(text: &str) -> Cell<'_> {
    match text.is_empty() {
        true => Cell::Number(None),
        false => Cell::Text(text),
    }
}

/// (Participants, Items): who has a value in any column, and how many values in all.
fn counts(field: &Field) -> (usize, usize) {
    let n = field.columns.first().map_or(0, |(_, _, c)| c.len());
    let mut any = vec![false; n];
    let mut items = 0;
    for (_, _, column) in &field.columns {
        let present = column.as_materialized_series().is_not_null();
        for (a, p) in any.iter_mut().zip(present.iter()) {
            if p == Some(true) {
                *a = true;
                items += 1;
            }
        }
    }
    (any.iter().filter(|a| **a).count(), items)
}

pub(super) fn write_showcase(
    fields: &[Field],
    showcase: &Path,
    codings: &Path,
) -> Result<(), StatsError> {
    let inline = inline_codings(fields);
    let mut order: Vec<&Field> = fields.iter().collect();
    order.sort_by_key(|f| f.id);
    let mut out = TableWriter::create(showcase, &SHOWCASE_COLUMNS)?;
    let mut other_categories: BTreeMap<&str, u32> = BTreeMap::new();
    let mut used_codings: BTreeMap<u32, Vec<(String, String)>> = BTreeMap::new();
    for field in order {
        let (prefix, category) = match CATEGORIES.iter().find(|c| c.0 == field.category) {
            Some((_, prefix, id)) => (*prefix, *id),
            None => {
                let next = 900_001 + other_categories.len() as u32;
                (
                    "UK Biobank Assessment Centre",
                    *other_categories.entry(&field.category).or_insert(next),
                )
            }
        };
        let coding = match &field.coding {
            Coding::None => None,
            Coding::Known(id) => {
                used_codings.entry(*id).or_insert_with(|| known_coding(*id));
                Some(*id)
            }
            Coding::Inline(text) => {
                let id = inline[text];
                let rows = match id {
                    id if id == YES_NO.1 => inline_rows(YES_NO.0),
                    _ => inline_rows(text),
                };
                used_codings.entry(id).or_insert(rows);
                Some(id)
            }
        };
        let (participants, items) = counts(field);
        let notes = match (field.value_type, field.instances) {
            ("Categorical multiple", _) => {
                "Several answers per participant, one per array column, in no particular order."
            }
            ("Date", _) => "The day the participant attended the visit of each instance.",
            ("Text", _) => "Free text.",
            (_, 1) => "Recorded once, at recruitment.",
            _ if field.array > 1 => "Two readings at each visit; their mean is the measurement.",
            _ => "Simulated by meshagents: instance 2 holds the plain cohort's values.",
        };
        let strata = match field.value_type {
            "Date" | "Text" => "Auxiliary",
            _ => "Primary",
        };
        let path = format!("{prefix} > {}", field.category);
        let unit = units(field);
        let cells = [
            Cell::Text(&path),
            Cell::Count(Some(u64::from(category))),
            Cell::Count(Some(u64::from(field.id))),
            Cell::Text(&field.description),
            Cell::Count(Some(participants as u64)),
            Cell::Count(Some(items as u64)),
            Cell::Text(field.stability),
            Cell::Text(field.value_type),
            optional(&unit),
            Cell::Text("Data"),
            Cell::Text(strata),
            Cell::Text(field.sexed),
            Cell::Count(Some(u64::from(field.instances))),
            Cell::Count(Some(field.array as u64)),
            Cell::Count(coding.map(u64::from)),
            Cell::Text(notes),
            Cell::Text(&format!(
                "http://biobank.ndph.ox.ac.uk/showcase/field.cgi?id={}",
                field.id
            )),
        ];
        out.row(&cells)?;
    }
    out.finish()?;
    let mut out = TableWriter::create(codings, &CODINGS_COLUMNS)?;
    for (id, rows) in &used_codings {
        let id = id.to_string();
        for (value, meaning) in rows {
            out.row(&[Cell::Text(&id), Cell::Text(value), Cell::Text(meaning)])?;
        }
    }
    out.finish()
}
