//! One column on its way in: converted to numbers (text categories to codes), negative UK
//! Biobank codes to missing, and judged by Bai et al. 2020's rules, with the reason recorded in
//! the flow log.

use std::collections::HashMap;

use polars::prelude::*;

use super::table::{FlowEntry, LoadOptions, NumericColumn};
use crate::data::dictionary::{DictionaryEntry, Role, ValueType};
use crate::error::StatsError;

/// The largest magnitude a value may have: its square, summed over a hundred million rows,
/// stays finite (1e150 squared is 1e300, and a double holds 1.8e308). No measurement comes
/// near it; a value beyond it is a unit error or a sentinel, and `inf` is beyond it too.
pub const MAX_USABLE: f64 = 1e150;

/// How far beyond the bulk of a column's magnitudes a value must be to be called extreme.
pub const EXTREME_FACTOR: f64 = 1000.0;

/// Values a thousand times beyond the 99th percentile of a column's magnitudes: a sentinel
/// (99999, 1e10), a unit slip, a typo. They are kept (a measurement may truly be extreme),
/// but one such value can carry a whole regression, so the flow log and the log say so.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Extreme {
    count: usize,
    largest: f64,
    /// 1-based row of the largest.
    row: usize,
    p99: f64,
}

impl Extreme {
    pub(super) fn find(values: &[f64]) -> Option<Extreme> {
        let mut magnitudes: Vec<f64> = values
            .iter()
            .filter(|v| !v.is_nan())
            .map(|v| v.abs())
            .collect();
        // Below a hundred values the 99th percentile is the maximum, and nothing is beyond it.
        if magnitudes.len() < 100 {
            return None;
        }
        let at = (magnitudes.len() - 1) * 99 / 100;
        let (_, p99, _) = magnitudes.select_nth_unstable_by(at, f64::total_cmp);
        let p99 = *p99;
        if p99 <= 0.0 {
            return None;
        }
        let limit = EXTREME_FACTOR * p99;
        let mut found: Option<Extreme> = None;
        for (row, v) in values.iter().enumerate().filter(|(_, v)| v.abs() > limit) {
            let e = found.get_or_insert(Extreme {
                count: 0,
                largest: *v,
                row: row + 1,
                p99,
            });
            e.count += 1;
            if v.abs() > e.largest.abs() {
                (e.largest, e.row) = (*v, row + 1);
            }
        }
        found
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "{} value(s) over {EXTREME_FACTOR} times the 99th percentile of its magnitudes ({}), largest {} in row {}: check for a sentinel or a unit error",
            self.count, self.p99, self.largest, self.row
        )
    }
}

/// One column, converted, typed and judged by the cleaning rules.
pub(super) struct Converted {
    /// A dictionary entry for a column the dictionary did not describe.
    pub(super) entry: Option<DictionaryEntry>,
    pub(super) flow: FlowEntry,
    pub(super) column: Option<NumericColumn>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn convert_column(
    series: &Column,
    column: &str,
    declared: Option<ValueType>,
    role: Role,
    options: &LoadOptions,
    given_dictionary: bool,
    file: &str,
    n: usize,
) -> Result<Converted, StatsError> {
    let column = column.to_string();
    let (mut values, levels) = numeric_values(series, &column, declared, file)?;
    let coded = match declared {
        Some(t) => t != ValueType::Continuous,
        None => levels.is_none() && crate::data::typing::is_whole(&values),
    };
    let mut recoded = 0usize;
    if options.negative_codes_to_missing && coded && levels.is_none() {
        for v in values.iter_mut() {
            let negative = *v < 0.0;
            recoded += negative as usize;
            *v = if negative { f64::NAN } else { *v };
        }
    }
    // A value no model can use, infinite or so large that a sum of squares overflows, is
    // missing: a fit that meets one gives no estimate at all, which would otherwise pass as an
    // `ok` row with empty numbers. Counted in the flow log, and said once per column.
    let mut unusable = 0usize;
    for v in values.iter_mut() {
        if v.abs() > MAX_USABLE {
            *v = f64::NAN;
            unusable += 1;
        }
    }
    if unusable > 0 {
        tracing::warn!(
            "{file}: column '{column}': {unusable} value(s) infinite or beyond ±{MAX_USABLE:e} read as missing"
        );
    }
    let value_type = match (declared, &levels) {
        (Some(t), _) => t,
        (None, Some(_)) => ValueType::Categorical,
        (None, None) => crate::data::typing::infer_numeric(&values),
    };
    let missing = values.iter().filter(|v| v.is_nan()).count();
    let missing_share = missing as f64 / n.max(1) as f64;
    let mut kept = true;
    let mut reason = if given_dictionary && declared.is_none() {
        format!("kept; not in the dictionary, typed {value_type} from its values")
    } else {
        String::from("kept")
    };
    if role == Role::Factor {
        if missing_share > options.rules.max_missing {
            kept = false;
            reason = format!(
                "{:.1}% missing (more than {:.0}%)",
                100.0 * missing_share,
                100.0 * options.rules.max_missing
            );
        } else if values.iter().all(|v| v.is_nan()) {
            kept = false;
            reason = "no values".into();
        } else if let Some(share) = dominant_share(&values, options.rules.max_identical) {
            kept = false;
            reason = format!(
                "{:.1}% of values identical (at least {:.0}%)",
                100.0 * share,
                100.0 * options.rules.max_identical
            );
        }
    }
    if kept && matches!(value_type, ValueType::Continuous | ValueType::Integer) {
        if let Some(extreme) = Extreme::find(&values) {
            let said = extreme.describe();
            tracing::warn!("{file}: column '{column}': {said}");
            reason = format!("{reason}; {said}");
        }
    }
    let entry = declared.is_none().then(|| DictionaryEntry {
        column: column.clone(),
        field_id: None,
        description: String::new(),
        category: String::new(),
        value_type,
        coding: String::new(),
        role,
    });
    let flow = FlowEntry {
        column: column.clone(),
        role,
        kept,
        recoded_to_missing: recoded,
        unusable_to_missing: unusable,
        missing_share,
        reason,
    };
    let column = kept.then_some(NumericColumn {
        name: column,
        values,
        value_type,
        levels,
    });
    Ok(Converted {
        entry,
        flow,
        column,
    })
}

/// The values of a primitive chunked array as f64 (NaN where null), chunk by chunk.
macro_rules! chunk_values {
    ($ca:expr, $to_f64:expr) => {{
        let to_f64 = $to_f64;
        let mut out: Vec<f64> = Vec::with_capacity($ca.len());
        for array in $ca.downcast_iter() {
            let values = array.values().as_slice();
            let start = out.len();
            out.extend(values.iter().map(|&v| to_f64(v)));
            if let Some(validity) = array.validity().filter(|v| v.unset_bits() > 0) {
                // The nulls, found 64 at a time in the validity bits.
                let converted = &mut out[start..];
                let mut words = validity.chunks::<u64>();
                let mut at = 0;
                for word in words.by_ref() {
                    let mut nulls = !word;
                    while nulls != 0 {
                        converted[at + nulls.trailing_zeros() as usize] = f64::NAN;
                        nulls &= nulls - 1;
                    }
                    at += 64;
                }
                let tail = words.remainder();
                for bit in 0..words.remainder_len() {
                    if tail & (1u64 << bit) == 0 {
                        converted[at + bit] = f64::NAN;
                    }
                }
            }
        }
        out
    }};
}

/// The values of a column as numbers (NaN = missing). Text columns that are numbers apart
/// from a few cells are an error naming the first bad cell; genuinely textual columns become
/// categories (codes 1..=L in sorted label order).
pub(crate) fn numeric_values(
    series: &Column,
    column: &str,
    declared: Option<ValueType>,
    file: &str,
) -> Result<(Vec<f64>, Option<Vec<String>>), StatsError> {
    let at = |row: usize, message: String| StatsError::InputAt {
        file: file.to_string(),
        row: row + 1,
        column: column.to_string(),
        message,
    };
    // Float64 and Int64 (all a Parquet file of numbers holds) straight from their buffers:
    // the same values as the cast below (Int64 to Float64 is `as f64`), without an iterator
    // of options per value.
    if let Ok(ca) = series.f64() {
        return Ok((chunk_values!(ca, |v: f64| v), None));
    }
    if let Ok(ca) = series.i64() {
        return Ok((chunk_values!(ca, |v: i64| v as f64), None));
    }
    if series.dtype() != &DataType::String {
        let cast = series
            .cast(&DataType::Float64)
            .map_err(|e| StatsError::Input {
                file: file.into(),
                message: format!("column '{column}': {e}"),
            })?;
        let ca = cast.f64().map_err(|e| StatsError::Input {
            file: file.into(),
            message: e.to_string(),
        })?;
        return Ok((ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect(), None));
    }
    let ca = series.str().map_err(|e| StatsError::Input {
        file: file.into(),
        message: e.to_string(),
    })?;
    let mut values = Vec::with_capacity(ca.len());
    let mut first_bad: Option<(usize, String)> = None;
    let mut bad = 0usize;
    let mut present = 0usize;
    for (row, v) in ca.iter().enumerate() {
        match v.map(str::trim) {
            None | Some("") | Some("NA") | Some("NaN") | Some("nan") => values.push(f64::NAN),
            Some(text) => {
                present += 1;
                match text.parse::<f64>() {
                    Ok(x) => values.push(x),
                    Err(_) => {
                        bad += 1;
                        if first_bad.is_none() {
                            first_bad = Some((row, text.to_string()));
                        }
                        values.push(f64::NAN);
                    }
                }
            }
        }
    }
    let Some((row, text)) = first_bad else {
        return Ok((values, None));
    };
    let numeric_declared = matches!(declared, Some(t) if t != ValueType::Categorical);
    if numeric_declared || (bad as f64) < 0.05 * present as f64 {
        return Err(at(
            row,
            format!(
                "'{text}' is not a number ({bad} such cells in this column){}",
                if numeric_declared {
                    "; the dictionary declares it numeric"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut labels: Vec<String> = ca
        .iter()
        .flatten()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "NA")
        .collect();
    labels.sort();
    labels.dedup();
    if labels.len() > crate::data::typing::MAX_TEXT_LEVELS && declared.is_none() {
        return Err(StatsError::Input { file: file.into(), message: format!("column '{column}' is free text ({} distinct values); give it a dictionary entry or leave it out", labels.len()) });
    }
    let codes: HashMap<&str, f64> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), (i + 1) as f64))
        .collect();
    let values = ca
        .iter()
        .map(|v| {
            v.map(str::trim)
                .and_then(|t| codes.get(t).copied())
                .unwrap_or(f64::NAN)
        })
        .collect();
    Ok((values, Some(labels)))
}

/// Share of the most common present value, when that share is at least `floor` (None when
/// no value reaches it, or nothing is present). Only a value above half the present values
/// can reach the floor: the Boyer-Moore majority candidate, so one pass finds it and a second
/// counts it; no hashing of every value of every column. Most columns of codes are settled
/// before that by counting their first present value: it is either that majority, or so
/// common that no other value can reach the floor.
pub(super) fn dominant_share(values: &[f64], floor: f64) -> Option<f64> {
    debug_assert!(floor > 0.5);
    let total = values.iter().filter(|v| !v.is_nan()).count();
    let first = values.iter().copied().find(|v| !v.is_nan())?;
    let count_of = |c: f64| values.iter().filter(|v| **v == c).count();
    let share_of = |count: usize| count as f64 / total as f64;
    let count = count_of(first);
    if share_of(count) >= floor {
        return Some(share_of(count));
    }
    if share_of(total - count) < floor {
        return None;
    }
    let mut candidate = f64::NAN;
    let mut votes = 0usize;
    for &v in values.iter().filter(|v| !v.is_nan()) {
        if votes == 0 {
            candidate = v;
            votes = 1;
        } else if v == candidate {
            votes += 1;
        } else {
            votes -= 1;
        }
    }
    let share = share_of(count_of(candidate));
    (share >= floor).then_some(share)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominant_share_agrees_with_counting() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for case in 0..400 {
            let len = 1 + next() % 60;
            let rare = [0.0, 0.02, 0.3, 0.6][case % 4];
            let values: Vec<f64> = (0..len)
                .map(|_| match next() % 1000 {
                    u if (u as f64) < 1000.0 * rare => (next() % 5) as f64,
                    u if u % 7 == 0 => f64::NAN,
                    _ => 9.0,
                })
                .collect();
            let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let best = present
                .iter()
                .map(|x| present.iter().filter(|y| *y == x).count())
                .max()
                .map(|c| c as f64 / present.len() as f64);
            let expected = best.filter(|share| *share >= 0.95);
            assert_eq!(dominant_share(&values, 0.95), expected, "{values:?}");
        }
    }

    #[test]
    fn numeric_values_match_the_option_iterator() {
        // Nulls in several chunks of more and less than 64 values, and a slice at an offset.
        let ints: Vec<Option<i64>> = (0..300)
            .map(|i| {
                if i % 7 == 3 || (100..180).contains(&i) {
                    None
                } else {
                    Some(i - 150)
                }
            })
            .collect();
        let floats: Vec<Option<f64>> = ints.iter().map(|v| v.map(|x| x as f64 / 3.0)).collect();
        let mut a = Series::new("a".into(), &ints[..130]);
        a.append(&Series::new("a".into(), &ints[130..])).unwrap();
        let mut b = Series::new("b".into(), &floats[..65]);
        b.append(&Series::new("b".into(), &floats[65..])).unwrap();
        for series in [a.clone(), b.clone(), a.slice(13, 250), b.slice(67, 200)] {
            let column = Column::from(series.clone());
            let (values, levels) = numeric_values(&column, "x", None, "f").unwrap();
            assert!(levels.is_none());
            let cast = series.cast(&DataType::Float64).unwrap();
            let expected: Vec<f64> = cast
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect();
            assert_eq!(values.len(), expected.len());
            for (x, y) in values.iter().zip(&expected) {
                assert_eq!(x.to_bits(), y.to_bits());
            }
        }
    }
}

#[cfg(test)]
mod extreme_tests {
    use super::Extreme;

    #[test]
    fn only_values_far_beyond_the_bulk_are_extreme() {
        let mut values: Vec<f64> = (0..500).map(|i| 40.0 + (i % 40) as f64).collect();
        assert_eq!(Extreme::find(&values), None);
        // Skewed but real (ten times the bulk) is not extreme; a sentinel is.
        values[7] = 790.0;
        assert_eq!(Extreme::find(&values), None);
        values[9] = -1e10;
        values[11] = 99_999.0;
        values[13] = f64::NAN;
        let e = Extreme::find(&values).unwrap();
        assert_eq!((e.count, e.largest, e.row), (2, -1e10, 10));
        // Mostly zeros: the 99th percentile is 0 and nothing is called extreme.
        let zeros: Vec<f64> = (0..500).map(|i| if i == 3 { 5.0 } else { 0.0 }).collect();
        assert_eq!(Extreme::find(&zeros), None);
        // Too few values to have a bulk.
        assert_eq!(Extreme::find(&[1.0, 2.0, 1e12]), None);
    }
}
