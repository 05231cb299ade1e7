//! Transforms applied to variables before modelling.

use serde::{Deserialize, Serialize};

use crate::data::dictionary::ValueType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// Bai 2020: z-score continuous variables, rank-based inverse normal for the rest.
    Auto,
    None,
    Zscore,
    Rint,
}

impl std::str::FromStr for Transform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Transform::Auto),
            "none" => Ok(Transform::None),
            "zscore" => Ok(Transform::Zscore),
            "rint" => Ok(Transform::Rint),
            other => Err(format!(
                "unknown transform '{other}' (auto, none, zscore, rint)"
            )),
        }
    }
}

impl Transform {
    /// The concrete transform for a variable of this type.
    pub fn resolve(self, value_type: ValueType) -> Transform {
        match (self, value_type) {
            (Transform::Auto, ValueType::Continuous) => Transform::Zscore,
            (Transform::Auto, _) => Transform::Rint,
            (t, _) => t,
        }
    }

    pub fn apply(self, values: &[f64]) -> Vec<f64> {
        match self {
            Transform::None | Transform::Auto => values.to_vec(),
            Transform::Zscore => zscore(values),
            Transform::Rint => rank_inverse_normal(values),
        }
    }
}

/// z-scores over the present values (missing stays NaN; sample SD, n - 1).
pub fn zscore(values: &[f64]) -> Vec<f64> {
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = present.len() as f64;
    if n < 2.0 {
        return values.to_vec();
    }
    let mean = present.iter().sum::<f64>() / n;
    let sd = (present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    if sd == 0.0 {
        return values
            .iter()
            .map(|v| if v.is_nan() { *v } else { 0.0 })
            .collect();
    }
    values.iter().map(|v| (v - mean) / sd).collect()
}

/// Rank-based inverse normal transform with Blom offsets, `Phi^-1((rank - 3/8) / (n + 1/4))`,
/// ties given their average rank; missing values stay missing.
pub fn rank_inverse_normal(values: &[f64]) -> Vec<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let mut order: Vec<usize> = (0..values.len()).filter(|i| !values[*i].is_nan()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    let n = order.len() as f64;
    let mut out = vec![f64::NAN; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start..end (0-based) share the average 1-based rank.
        let rank = (start + end + 1) as f64 / 2.0;
        let z = normal.inverse_cdf((rank - 0.375) / (n + 0.25));
        for &i in &order[start..end] {
            out[i] = z;
        }
        start = end;
    }
    out
}
