//! The resampling protocol: seeded stratified k-fold splits, in-fold undersampling, and the
//! preprocessing (median imputation, standard scaling) that is fitted on a training fold only
//! and then applied unchanged to its test fold, so no information from test rows leaks into
//! the model (the published MESHAgents evaluation imputed before splitting).

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::error::ClassifyError;
use super::FeatureMatrix;
use crate::data::describe::median;

/// The fold (0..k) of every row: each class is shuffled with a generator seeded by `seed`
/// and dealt round-robin, so every fold holds within one row of the same number of cases and
/// of controls. The result depends only on the labels, `k` and `seed`, so two feature sets
/// evaluated on the same rows get the same folds (which the paired DeLong test needs).
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Result<Vec<usize>, ClassifyError> {
    if k < 2 {
        return Err(ClassifyError::Config(format!(
            "cross-validation needs at least 2 folds (got {k})"
        )));
    }
    let cases = labels.iter().filter(|l| **l).count();
    let controls = labels.len() - cases;
    if cases < k || controls < k {
        return Err(ClassifyError::TooFewCases {
            cases,
            controls,
            folds: k,
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0usize; labels.len()];
    // Controls first, then cases, each continuing the deal where the other left off, so the
    // fold sizes stay balanced overall too.
    let mut next = 0usize;
    for class in [false, true] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|i| labels[*i] == class).collect();
        members.shuffle(&mut rng);
        for i in members {
            fold[i] = next % k;
            next += 1;
        }
    }
    Ok(fold)
}

/// Training and test rows of fold `f`, each in ascending row order.
pub fn split(folds: &[usize], f: usize) -> (Vec<usize>, Vec<usize>) {
    (0..folds.len()).partition(|i| folds[*i] != f)
}

/// Keeps every row of the smaller class and an equal-sized seeded random sample of the larger
/// class, returned in ascending row order. Applied to a training fold only: test folds keep
/// the real prevalence.
pub fn undersample(rows: &[usize], labels: &[bool], seed: u64) -> Vec<usize> {
    let (cases, controls): (Vec<usize>, Vec<usize>) = rows.iter().partition(|i| labels[**i]);
    let (small, mut large) = if cases.len() <= controls.len() {
        (cases, controls)
    } else {
        (controls, cases)
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    large.shuffle(&mut rng);
    large.truncate(small.len());
    let mut out = small;
    out.extend(large);
    out.sort_unstable();
    out
}

/// Median imputation and standard scaling learnt from the training rows of one fold.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessor {
    /// Median of each feature over the training rows where it is present (0 when it is
    /// missing on every training row).
    pub medians: Vec<f64>,
    /// Mean and population standard deviation of each feature after imputation (sd 1 for a
    /// constant feature, which then scales to 0).
    pub means: Vec<f64>,
    pub sds: Vec<f64>,
}

impl Preprocessor {
    /// Learns the medians, means and SDs from `rows` of `x` and nothing else.
    pub fn fit(x: &FeatureMatrix, rows: &[usize]) -> Preprocessor {
        let p = x.n_features();
        let (mut medians, mut means, mut sds) = (vec![0.0; p], vec![0.0; p], vec![1.0; p]);
        let mut present = Vec::with_capacity(rows.len());
        for j in 0..p {
            present.clear();
            present.extend(rows.iter().map(|&i| x.get(i, j)).filter(|v| !v.is_nan()));
            medians[j] = median(&mut present).unwrap_or(0.0);
            let n = rows.len().max(1) as f64;
            let filled = |i: usize| {
                let v = x.get(i, j);
                if v.is_nan() {
                    medians[j]
                } else {
                    v
                }
            };
            let mean = rows.iter().map(|&i| filled(i)).sum::<f64>() / n;
            let var = rows
                .iter()
                .map(|&i| (filled(i) - mean).powi(2))
                .sum::<f64>()
                / n;
            means[j] = mean;
            // A feature constant in this fold carries no information; keep it finite.
            sds[j] = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
        }
        Preprocessor {
            medians,
            means,
            sds,
        }
    }

    /// Imputed and scaled `rows` of `x`, as a dense matrix (rows in the given order).
    pub fn transform(&self, x: &FeatureMatrix, rows: &[usize]) -> Array2<f64> {
        let p = x.n_features();
        Array2::from_shape_fn((rows.len(), p), |(r, j)| {
            let v = x.get(rows[r], j);
            let v = if v.is_nan() { self.medians[j] } else { v };
            (v - self.means[j]) / self.sds[j]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<bool> = (0..103).map(|i| i % 7 == 0).collect();
        let folds = stratified_folds(&labels, 5, 9).unwrap();
        for f in 0..5 {
            let cases = (0..103).filter(|i| folds[*i] == f && labels[*i]).count();
            let all = folds.iter().filter(|x| **x == f).count();
            assert!((3..=4).contains(&cases), "fold {f}: {cases} cases");
            assert!((20..=21).contains(&all), "fold {f}: {all} rows");
        }
        assert_eq!(folds, stratified_folds(&labels, 5, 9).unwrap());
        assert_ne!(folds, stratified_folds(&labels, 5, 10).unwrap());
    }

    #[test]
    fn undersampling_balances_the_training_rows() {
        let labels: Vec<bool> = (0..50).map(|i| i < 10).collect();
        let rows: Vec<usize> = (0..50).collect();
        let kept = undersample(&rows, &labels, 1);
        assert_eq!(kept.len(), 20);
        assert_eq!(kept.iter().filter(|i| labels[**i]).count(), 10);
    }
}
