//! Deciding the type of a variable when the dictionary does not say: a PHESANT-like decision
//! tree over the values themselves.
//!
//! 1. Text that is not numeric: **categorical** when it has at most
//!    [`MAX_TEXT_LEVELS`] distinct values, otherwise free text (not analysable).
//! 2. Numbers with one distinct value: constant (dropped by cleaning).
//! 3. Exactly two distinct values: **binary**.
//! 4. Whole numbers with at most [`MAX_ORDINAL_LEVELS`] distinct values: **ordinal** (PHESANT
//!    treats integer fields with fewer than 20 values as ordered categories).
//! 5. Other whole numbers: **integer** (analysed as continuous).
//! 6. Anything else: **continuous**.
//!
//! The dictionary's `value_type` always wins over this tree: unordered categories coded as
//! numbers (UK Biobank's data-codings) can only be known from the dictionary.

use crate::data::dictionary::ValueType;

pub const MAX_TEXT_LEVELS: usize = 50;
pub const MAX_ORDINAL_LEVELS: usize = 20;

/// What the tree concluded for a numeric column.
pub fn infer_numeric(values: &[f64]) -> ValueType {
    let mut distinct: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let whole = distinct.iter().all(|v| v.fract() == 0.0);
    match distinct.len() {
        0..=2 => ValueType::Binary,
        d if whole && d <= MAX_ORDINAL_LEVELS => ValueType::Ordinal,
        _ if whole => ValueType::Integer,
        _ => ValueType::Continuous,
    }
}

/// True when every present value is a whole number (UK Biobank's negative missing codes only
/// make sense in such fields; negative strain percentages are not codes).
pub fn is_whole(values: &[f64]) -> bool {
    values
        .iter()
        .filter(|v| !v.is_nan())
        .all(|v| v.fract() == 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_tree() {
        let nan = f64::NAN;
        assert_eq!(infer_numeric(&[0.0, 1.0, nan, 1.0]), ValueType::Binary);
        assert_eq!(
            infer_numeric(&[1.0, 2.0, 3.0, 4.0, 2.0]),
            ValueType::Ordinal
        );
        let counts: Vec<f64> = (0..40).map(f64::from).collect();
        assert_eq!(infer_numeric(&counts), ValueType::Integer);
        assert_eq!(
            infer_numeric(&[-21.5, -19.25, -22.0]),
            ValueType::Continuous
        );
        assert!(!is_whole(&[-21.5, 3.0]));
        assert!(is_whole(&[-3.0, 1.0, nan]));
    }
}
