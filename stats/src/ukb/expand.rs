//! Multi-valued fields and code lists: a "Categorical multiple" field (its codes spread over
//! array columns, in any order) expanded into one binary factor per code, PHESANT-style, and
//! the diseases of `[diseases]` built from the codes of fields 20002 and 41270.

use std::collections::HashMap;

use polars::prelude::*;

use super::diseases::{CaseSources, Diseases, IcdPattern, ICD10_FIELD, SELF_REPORT_FIELD};
use super::extract::{Extract, FieldNote, Pick};
use super::showcase::{Codings, Sexed, ShowcaseField, SEX_FIELD};
use crate::error::StatsError;

/// Who attended each instance: a participant with a value in any column of it. A participant
/// who attended but has no code of a field was asked and reported none; one who did not
/// attend was never asked, and stays missing.
#[derive(Debug)]
pub(crate) struct Attendance {
    by_instance: HashMap<u32, Vec<bool>>,
    /// Each participant's sex from field 31 (coding 9: 0 female, 1 male), when the extract
    /// has it: a question for one sex was never asked of the other.
    sex: Option<Vec<Option<Sexed>>>,
}

impl Attendance {
    /// Every instance's attendance, in one pass over the columns' validity.
    pub(crate) fn of_all(extract: &Extract) -> Self {
        let mut seen: HashMap<u32, BooleanChunked> = HashMap::new();
        for instances in extract.fields.values() {
            for (instance, arrays) in instances {
                for &(_, k) in arrays {
                    let column = extract.column(k);
                    if column.null_count() == column.len() {
                        continue;
                    }
                    let present = column.is_not_null();
                    let merged = match seen.remove(instance) {
                        None => present,
                        Some(s) => &s | &present,
                    };
                    seen.insert(*instance, merged);
                }
            }
        }
        let sex = extract.fields.get(&SEX_FIELD).map(|instances| {
            let mut sex = vec![None; extract.height];
            for &(_, k) in instances.values().flatten() {
                let cells = code_cells(&extract.column(k)).unwrap_or_default();
                for (s, cell) in sex.iter_mut().zip(cells) {
                    if s.is_none() {
                        *s = match cell.as_deref() {
                            Some("0") => Some(Sexed::Female),
                            Some("1") => Some(Sexed::Male),
                            _ => None,
                        };
                    }
                }
            }
            sex
        });
        Attendance {
            by_instance: seen
                .into_iter()
                .map(|(i, s)| (i, s.iter().map(|v| v.unwrap_or(false)).collect()))
                .collect(),
            sex,
        }
    }

    /// Who was asked a field at `instance`: who attended it (nobody, for an instance no
    /// column has values at), and, for a field of one sex, is of that sex (without field 31,
    /// nobody: only the participants who answered count as asked).
    pub(crate) fn of(&self, extract: &Extract, instance: u32, sexed: Sexed) -> Vec<bool> {
        let mut asked = self
            .by_instance
            .get(&instance)
            .cloned()
            .unwrap_or_else(|| vec![false; extract.height]);
        if sexed != Sexed::Unisex {
            for (r, a) in asked.iter_mut().enumerate() {
                *a &= self.sex.as_ref().is_some_and(|sex| sex[r] == Some(sexed));
            }
        }
        asked
    }
}

/// The cells of a code column as text: `1065` whether the reader typed it as an integer, a
/// float or a string; `I10` as it is.
fn code_cells(column: &Column) -> Result<Vec<Option<String>>, StatsError> {
    if column.null_count() == column.len() {
        return Ok(vec![None; column.len()]);
    }
    let series = column.as_materialized_series();
    Ok(match series.dtype() {
        DataType::String => series
            .str()?
            .iter()
            .map(|v| v.map(str::trim).filter(|t| !t.is_empty()).map(String::from))
            .collect(),
        t if t.is_float() => series
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| {
                v.filter(|x| !x.is_nan()).map(|x| {
                    if x.fract() == 0.0 && x.abs() < 1e15 {
                        format!("{}", x as i64)
                    } else {
                        x.to_string()
                    }
                })
            })
            .collect(),
        _ => series
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map(|x| x.to_string()))
            .collect(),
    })
}

fn negative(code: &str) -> bool {
    code.parse::<f64>().is_ok_and(|x| x < 0.0)
}

/// A negative code that is an answer ("None of the above", UK Biobank's -7) rather than a
/// non-answer ("Do not know", "Prefer not to answer").
fn answers_none(code: &str, coding: Option<u32>, codings: &Codings) -> bool {
    match coding.and_then(|c| codings.meaning(c, code)) {
        Some(meaning) => meaning.to_ascii_lowercase().contains("none"),
        None => code.parse::<f64>() == Ok(-7.0),
    }
}

/// One instance of a multi-valued field: which participants have each code, who has any
/// value, and whose values say something (a code, or "none of the above").
struct InstanceCodes {
    rows_of: HashMap<String, Vec<u32>>,
    has_value: Vec<bool>,
    informative: Vec<bool>,
}

fn read_instance(
    extract: &Extract,
    codings: &Codings,
    coding: Option<u32>,
    arrays: &[(u32, usize)],
) -> Result<InstanceCodes, StatsError> {
    let n = extract.height;
    let mut out = InstanceCodes {
        rows_of: HashMap::new(),
        has_value: vec![false; n],
        informative: vec![false; n],
    };
    for &(_, k) in arrays {
        for (row, cell) in code_cells(&extract.column(k))?.into_iter().enumerate() {
            let Some(code) = cell else { continue };
            out.has_value[row] = true;
            if negative(&code) {
                out.informative[row] |= answers_none(&code, coding, codings);
                continue;
            }
            out.informative[row] = true;
            out.rows_of.entry(code).or_default().push(row as u32);
        }
    }
    Ok(out)
}

/// A code's binary factor.
pub(crate) struct CodeColumn {
    pub code: String,
    /// 0/1 (false/true), missing for participants never asked: a bit a value, as a wide
    /// extract has thousands of these.
    pub values: Vec<Option<bool>>,
    pub note: String,
}

/// Numeric codes in numeric order, then text codes in text order.
fn code_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// Expands a multi-valued field at the instance picked into one column per code held by at
/// least `min_cases` participants, with a note per code and one for the codes left out.
pub(crate) fn expand_codes(
    extract: &Extract,
    codings: &Codings,
    attendance: &Attendance,
    min_cases: usize,
    field: &ShowcaseField,
    pick: Pick,
) -> Result<(Vec<CodeColumn>, Vec<FieldNote>), StatsError> {
    let instances = &extract.fields[&field.field_id];
    let primary = read_instance(extract, codings, field.coding, &instances[&pick.primary])?;
    let fallback = pick
        .fallback
        .map(|f| read_instance(extract, codings, field.coding, &instances[&f]))
        .transpose()?;
    let n = extract.height;
    // Each participant's codes come from one instance: the one picked if they have a value
    // there, else the fallback's.
    let from_fallback: Vec<bool> = (0..n)
        .map(|r| !primary.has_value[r] && fallback.as_ref().is_some_and(|f| f.has_value[r]))
        .collect();
    let attended_primary = attendance.of(extract, pick.primary, field.sexed);
    let attended_fallback = pick
        .fallback
        .map(|f| attendance.of(extract, f, field.sexed));
    let base: Vec<Option<bool>> = (0..n)
        .map(|r| {
            let asked = if primary.has_value[r] {
                primary.informative[r]
            } else if from_fallback[r] {
                fallback.as_ref().is_some_and(|f| f.informative[r])
            } else {
                attended_primary[r] || attended_fallback.as_ref().is_some_and(|a| a[r])
            };
            asked.then_some(false)
        })
        .collect();
    let never_asked = base.iter().filter(|v| v.is_none()).count();
    let taken_from_fallback = from_fallback.iter().filter(|f| **f).count();

    let mut codes: Vec<&String> = primary
        .rows_of
        .keys()
        .chain(fallback.iter().flat_map(|f| f.rows_of.keys()))
        .collect();
    codes.sort_by(|a, b| code_order(a, b));
    codes.dedup();
    let mut kept = Vec::new();
    let mut rare: Vec<(String, usize)> = Vec::new();
    for code in codes {
        let mut values = base.clone();
        let mut set = |rows: Option<&Vec<u32>>, wanted: bool| {
            for &r in rows.into_iter().flatten() {
                if from_fallback[r as usize] == wanted {
                    values[r as usize] = Some(true);
                }
            }
        };
        set(primary.rows_of.get(code), false);
        if let Some(f) = &fallback {
            set(f.rows_of.get(code), true);
        }
        let cases = values.iter().filter(|v| **v == Some(true)).count();
        if cases < min_cases {
            rare.push((code.clone(), cases));
            continue;
        }
        let mut note = format!(
            "code {code} of field {} at instance {}: {cases} participants with it, {} without, {never_asked} never asked (missing)",
            field.field_id,
            pick.primary,
            n - cases - never_asked
        );
        if let Some(f) = pick.fallback {
            note.push_str(&format!(
                "; {taken_from_fallback} participants from instance {f}"
            ));
        }
        kept.push(CodeColumn {
            code: code.clone(),
            values,
            note,
        });
    }
    let mut notes = Vec::new();
    if !rare.is_empty() {
        let shown: Vec<String> = rare
            .iter()
            .take(10)
            .map(|(c, k)| format!("{c} ({k})"))
            .collect();
        notes.push(FieldNote {
            column: field.field_id.to_string(),
            field_id: Some(field.field_id),
            kept: false,
            note: format!(
                "{} codes held by fewer than {min_cases} participants not tested: {}{}",
                rare.len(),
                shown.join(", "),
                if rare.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            ),
        });
    }
    if kept.is_empty() && rare.is_empty() {
        notes.push(FieldNote {
            column: field.field_id.to_string(),
            field_id: Some(field.field_id),
            kept: false,
            note: format!("no codes at instance {}", pick.primary),
        });
    }
    Ok((kept, notes))
}

/// A disease's label, built from its codes.
pub(crate) struct DiseaseLabel {
    pub name: String,
    pub values: Vec<Option<bool>>,
    pub description: String,
    pub note: String,
}

/// Every participant with any of a disease's codes in any array column of any instance of
/// fields 20002 (self-report) or 41270 (ICD-10) is a case; everyone else a control. A code
/// that matches no participant is a warning: usually a typing mistake.
pub(crate) fn disease_labels(
    extract: &Extract,
    patterns: &[(String, Vec<IcdPattern>)],
    diseases: &Diseases,
    warnings: &mut Vec<String>,
) -> Result<Vec<DiseaseLabel>, StatsError> {
    if diseases.is_empty() {
        return Ok(Vec::new());
    }
    let n = extract.height;
    let columns_of = |field: u32| -> Vec<usize> {
        extract
            .fields
            .get(&field)
            .map(|i| i.values().flatten().map(|&(_, k)| k).collect())
            .unwrap_or_default()
    };
    let (self_report, icd10) = (columns_of(SELF_REPORT_FIELD), columns_of(ICD10_FIELD));
    for (name, d) in diseases {
        for (given, field, columns) in [
            (!d.self_report.is_empty(), SELF_REPORT_FIELD, &self_report),
            (!d.icd10.is_empty(), ICD10_FIELD, &icd10),
        ] {
            if given && columns.is_empty() {
                return Err(StatsError::Input {
                    file: extract.file.clone(),
                    message: format!(
                        "[diseases.{name}] uses field {field}, which has no columns in the extract"
                    ),
                });
            }
        }
    }
    // One pass over each column for every disease: a column's cells are made once.
    let mut by_self_report = vec![vec![false; n]; diseases.len()];
    let mut by_icd10 = vec![vec![false; n]; diseases.len()];
    let mut matched_codes: Vec<Vec<bool>> = diseases
        .values()
        .map(|d| vec![false; d.self_report.len()])
        .collect();
    let mut matched_patterns: Vec<Vec<bool>> =
        patterns.iter().map(|(_, p)| vec![false; p.len()]).collect();
    for &k in &self_report {
        for (row, cell) in code_cells(&extract.column(k))?.into_iter().enumerate() {
            let Some(code) = cell.and_then(|c| c.parse::<f64>().ok()) else {
                continue;
            };
            for (d, definition) in diseases.values().enumerate() {
                if let Some(i) = definition
                    .self_report
                    .iter()
                    .position(|c| *c as f64 == code)
                {
                    by_self_report[d][row] = true;
                    matched_codes[d][i] = true;
                }
            }
        }
    }
    for &k in &icd10 {
        for (row, cell) in code_cells(&extract.column(k))?.into_iter().enumerate() {
            let Some(code) = cell else { continue };
            let code = code.replace('.', "").to_ascii_uppercase();
            for (d, (_, list)) in patterns.iter().enumerate() {
                for (i, p) in list.iter().enumerate() {
                    if p.matches(&code) {
                        by_icd10[d][row] = true;
                        matched_patterns[d][i] = true;
                    }
                }
            }
        }
    }
    let mut labels = Vec::new();
    for (d, (name, definition)) in diseases.iter().enumerate() {
        for (i, code) in definition.self_report.iter().enumerate() {
            if !matched_codes[d][i] {
                warnings.push(format!(
                    "[diseases.{name}]: self-reported code {code} (field {SELF_REPORT_FIELD}) appears in no participant"
                ));
            }
        }
        for (i, p) in definition.icd10.iter().enumerate() {
            if !matched_patterns[d][i] {
                warnings.push(format!(
                    "[diseases.{name}]: ICD-10 code {p} (field {ICD10_FIELD}) appears in no participant"
                ));
            }
        }
        let mut sources = CaseSources::default();
        let values: Vec<Option<bool>> = (0..n)
            .map(|r| {
                let (s, i) = (by_self_report[d][r], by_icd10[d][r]);
                match (s, i) {
                    (true, true) => sources.both += 1,
                    (true, false) => sources.self_report_only += 1,
                    (false, true) => sources.icd10_only += 1,
                    _ => {}
                }
                Some(s || i)
            })
            .collect();
        let mut defined = Vec::new();
        if !definition.self_report.is_empty() {
            let codes: Vec<String> = definition.self_report.iter().map(i64::to_string).collect();
            defined.push(format!(
                "self-reported {} (field {SELF_REPORT_FIELD})",
                codes.join(", ")
            ));
        }
        if !definition.icd10.is_empty() {
            defined.push(format!(
                "ICD-10 {} (field {ICD10_FIELD})",
                definition.icd10.join(", ")
            ));
        }
        labels.push(DiseaseLabel {
            name: name.clone(),
            description: format!("{name}: {}", defined.join("; ")),
            note: format!(
                "{} cases: {} by self-report only, {} by ICD-10 only, {} by both",
                sources.cases(),
                sources.self_report_only,
                sources.icd10_only,
                sources.both
            ),
            values,
        });
    }
    Ok(labels)
}
