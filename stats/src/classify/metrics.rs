//! Discrimination and threshold metrics of a binary classifier: AUC (Mann-Whitney, ties
//! counted one half, as scikit-learn's `roc_auc_score`), DeLong's variance and confidence
//! interval, DeLong's paired test of two AUCs on the same subjects, Youden's threshold, and
//! recall / precision / F1 / balanced accuracy.
//!
//! DeLong uses the midrank algorithm of Sun & Xu (2014, IEEE Signal Processing Letters 21:
//! 1389-1393), O(N log N), which gives exactly the placement values of DeLong, DeLong &
//! Clarke-Pearson (1988, Biometrics 44:837-845).

use statrs::distribution::{ContinuousCDF, Normal};

use super::error::ClassifyError;

/// The 97.5 % quantile of the standard normal, for two-sided 95 % intervals.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// An AUC with its DeLong variance and 95 % confidence interval (clipped to [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucEstimate {
    pub auc: f64,
    pub variance: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// DeLong's paired test of two AUCs measured on the same subjects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedDeLong {
    pub auc_a: f64,
    pub auc_b: f64,
    pub var_a: f64,
    pub var_b: f64,
    pub covariance: f64,
    /// (auc_a - auc_b) / sd of the difference; NaN when that sd is 0.
    pub z: f64,
    /// Two-sided p; 1 when both AUCs are equal with zero variance of the difference.
    pub p: f64,
}

/// Midranks (1-based, ties averaged) of `x`.
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|a, b| x[*a].total_cmp(&x[*b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && x[order[j]] == x[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) share the mean of ranks i+1..=j.
        let rank = 0.5 * (i + j - 1) as f64 + 1.0;
        for &k in &order[i..j] {
            ranks[k] = rank;
        }
        i = j;
    }
    ranks
}

fn check(scores: &[f64], labels: &[bool]) -> Result<(usize, usize), ClassifyError> {
    if scores.len() != labels.len() {
        return Err(ClassifyError::Shape(format!(
            "{} scores but {} labels",
            scores.len(),
            labels.len()
        )));
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(ClassifyError::Shape(format!(
            "score {i} is not finite ({})",
            scores[i]
        )));
    }
    let m = labels.iter().filter(|l| **l).count();
    let n = labels.len() - m;
    if m == 0 || n == 0 {
        return Err(ClassifyError::OneClass {
            cases: m,
            controls: n,
        });
    }
    Ok((m, n))
}

/// The structural components of DeLong: one placement value per positive (V10: share of
/// negatives it outranks) and one per negative (V01: share of positives that outrank it),
/// and the AUC, their mean.
fn placements(scores: &[f64], labels: &[bool]) -> Result<(f64, Vec<f64>, Vec<f64>), ClassifyError> {
    let (m, n) = check(scores, labels)?;
    let pos: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l)
        .map(|(s, _)| *s)
        .collect();
    let neg: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|(_, l)| !**l)
        .map(|(s, _)| *s)
        .collect();
    let all = midranks(scores);
    let rank_pos = midranks(&pos);
    let rank_neg = midranks(&neg);
    let (mut v10, mut v01) = (Vec::with_capacity(m), Vec::with_capacity(n));
    let (mut ip, mut ineg) = (0, 0);
    for (k, &l) in labels.iter().enumerate() {
        if l {
            // Rank among all minus rank among positives = negatives below (ties one half).
            v10.push((all[k] - rank_pos[ip]) / n as f64);
            ip += 1;
        } else {
            v01.push(1.0 - (all[k] - rank_neg[ineg]) / m as f64);
            ineg += 1;
        }
    }
    let auc = v10.iter().sum::<f64>() / m as f64;
    Ok((auc, v10, v01))
}

/// Area under the ROC curve: the probability that a random case scores above a random
/// control, ties counting one half. Higher scores mean "case".
pub fn auc(scores: &[f64], labels: &[bool]) -> Result<f64, ClassifyError> {
    Ok(placements(scores, labels)?.0)
}

fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let k = a.len();
    if k < 2 {
        return 0.0;
    }
    let ma = a.iter().sum::<f64>() / k as f64;
    let mb = b.iter().sum::<f64>() / k as f64;
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (k - 1) as f64
}

/// AUC with DeLong's variance and a Wald 95 % interval, clipped to [0, 1] (as pROC does).
pub fn auc_delong(scores: &[f64], labels: &[bool]) -> Result<AucEstimate, ClassifyError> {
    let (auc, v10, v01) = placements(scores, labels)?;
    let variance =
        covariance(&v10, &v10) / v10.len() as f64 + covariance(&v01, &v01) / v01.len() as f64;
    let half = Z_975 * variance.max(0.0).sqrt();
    Ok(AucEstimate {
        auc,
        variance,
        ci_low: (auc - half).max(0.0),
        ci_high: (auc + half).min(1.0),
    })
}

/// DeLong's test that two markers scored on the same subjects have the same AUC.
pub fn paired_delong(
    scores_a: &[f64],
    scores_b: &[f64],
    labels: &[bool],
) -> Result<PairedDeLong, ClassifyError> {
    let (auc_a, a10, a01) = placements(scores_a, labels)?;
    let (auc_b, b10, b01) = placements(scores_b, labels)?;
    let (m, n) = (a10.len() as f64, a01.len() as f64);
    let var_a = covariance(&a10, &a10) / m + covariance(&a01, &a01) / n;
    let var_b = covariance(&b10, &b10) / m + covariance(&b01, &b01) / n;
    let cov = covariance(&a10, &b10) / m + covariance(&a01, &b01) / n;
    let var_diff = var_a + var_b - 2.0 * cov;
    let diff = auc_a - auc_b;
    let (z, p) = if var_diff > 0.0 {
        let z = diff / var_diff.sqrt();
        (z, 2.0 * standard_normal_sf(z.abs()))
    } else if diff == 0.0 {
        (f64::NAN, 1.0)
    } else {
        // Different AUCs with no sampling variability of the difference: as strong as it gets.
        (f64::NAN, 0.0)
    };
    Ok(PairedDeLong {
        auc_a,
        auc_b,
        var_a,
        var_b,
        covariance: cov,
        z,
        p,
    })
}

fn standard_normal_sf(z: f64) -> f64 {
    // Normal::new(0, 1) cannot fail; the fallback only keeps this total.
    Normal::new(0.0, 1.0).map(|d| d.sf(z)).unwrap_or(f64::NAN)
}

/// The threshold maximising Youden's J (sensitivity + specificity - 1) on these scores:
/// "case" means `score >= threshold`. Ties in J go to the higher threshold (fewer positives),
/// so the choice is deterministic.
pub fn youden_threshold(scores: &[f64], labels: &[bool]) -> Result<f64, ClassifyError> {
    let (m, n) = check(scores, labels)?;
    let mut best = (f64::NEG_INFINITY, f64::INFINITY);
    for (t, tp, fp) in threshold_sweep(scores, labels) {
        let j = tp as f64 / m as f64 - fp as f64 / n as f64;
        if j > best.0 {
            best = (j, t);
        }
    }
    Ok(best.1)
}

/// The threshold swept down through the scores, as under a ROC curve: for each distinct
/// score, highest first, the score and the (true, false) positives of `score >= threshold`.
pub fn threshold_sweep(scores: &[f64], labels: &[bool]) -> Vec<(f64, usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // Descending score: sweeping the threshold down admits one tie group at a time.
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let t = scores[order[i]];
        while i < order.len() && scores[order[i]] == t {
            if labels[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        out.push((t, tp, fp));
    }
    out
}

/// Recall, precision, F1 and balanced accuracy of hard predictions. A ratio with an empty
/// denominator is 0 (scikit-learn's `zero_division=0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdMetrics {
    pub recall: f64,
    pub precision: f64,
    pub f1: f64,
    pub balanced_accuracy: f64,
}

pub fn threshold_metrics(
    predicted: &[bool],
    labels: &[bool],
) -> Result<ThresholdMetrics, ClassifyError> {
    if predicted.len() != labels.len() {
        return Err(ClassifyError::Shape(format!(
            "{} predictions but {} labels",
            predicted.len(),
            labels.len()
        )));
    }
    let (mut tp, mut fp, mut tn, mut fneg) = (0usize, 0usize, 0usize, 0usize);
    for (&p, &l) in predicted.iter().zip(labels) {
        match (p, l) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fneg += 1,
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let recall = ratio(tp, tp + fneg);
    let precision = ratio(tp, tp + fp);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let specificity = ratio(tn, tn + fp);
    // scikit-learn averages the recall of the classes present.
    let present = usize::from(tp + fneg > 0) + usize::from(tn + fp > 0);
    let balanced_accuracy = if present == 0 {
        f64::NAN
    } else {
        (recall + specificity) / present as f64
    };
    Ok(ThresholdMetrics {
        recall,
        precision,
        f1,
        balanced_accuracy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midranks_average_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn auc_by_hand() {
        // Pairs (case, control): (0.9, 0.1) win, (0.9, 0.5) win, (0.5, 0.1) win, (0.5, 0.5) tie.
        let a = auc(&[0.9, 0.5, 0.1, 0.5], &[true, true, false, false]).unwrap();
        assert!((a - 3.5 / 4.0).abs() < 1e-15);
    }

    #[test]
    fn youden_picks_the_separating_threshold() {
        let t = youden_threshold(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]).unwrap();
        assert_eq!(t, 0.8);
    }

    #[test]
    fn one_class_is_an_error() {
        assert!(matches!(
            auc(&[0.1, 0.2], &[true, true]),
            Err(ClassifyError::OneClass { .. })
        ));
    }
}
