//! The classifiers: linfa's logistic regression, SVM and Gaussian naive Bayes, and two written
//! here on ndarray: a two-class linear discriminant (linfa has none) and a CART tree (linfa's
//! is not deterministic from run to run, see [`Cart`]). Each one is
//! fitted on a preprocessed training fold and returns a continuous score per row, higher
//! meaning "case", for the ROC analysis; thresholds are chosen separately (see `metrics`).
//!
//! Scores are chosen so ties are rare: the logistic linear predictor and the naive Bayes
//! log-odds instead of probabilities that saturate at 0 or 1, the SVM decision value, and for
//! the tree the weighted share of training cases in the leaf (scikit-learn's `predict_proba`).

use linfa::prelude::*;
use linfa_bayes::{GaussianNb, NaiveBayes};
use linfa_logistic::LogisticRegression;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::models::linalg::{cholesky, cholesky_solve};

/// A classifier of the validation. The names are the `classifier` column of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classifier {
    /// L2-penalised logistic regression (linfa-logistic, alpha 1 = scikit-learn's C = 1).
    Logistic,
    /// C-SVM with a Gaussian kernel of width p (scikit-learn's gamma = "scale" on
    /// standardised features), C = 1 (linfa-svm).
    Svm,
    /// CART with weighted Gini impurity, depth at most 5, at least 5 rows a leaf
    /// ([`Cart`], written here: linfa-trees 0.8.1 is not deterministic, see there).
    DecisionTree,
    /// Gaussian naive Bayes (linfa-bayes).
    GaussianNb,
    /// Two-class Fisher linear discriminant with a small ridge (implemented here).
    Lda,
}

impl Classifier {
    pub const ALL: [Classifier; 5] = [
        Classifier::Logistic,
        Classifier::Svm,
        Classifier::DecisionTree,
        Classifier::GaussianNb,
        Classifier::Lda,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Classifier::Logistic => "logistic",
            Classifier::Svm => "svm",
            Classifier::DecisionTree => "decision_tree",
            Classifier::GaussianNb => "gaussian_nb",
            Classifier::Lda => "lda",
        }
    }

    pub fn parse(name: &str) -> Option<Classifier> {
        Classifier::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the learner honours per-class weights. linfa's logistic regression and
    /// Gaussian naive Bayes take none; for them the threshold chosen on the training fold is
    /// what corrects for imbalance (the ranking, hence the AUC, barely depends on it).
    pub fn takes_class_weights(self) -> bool {
        matches!(
            self,
            Classifier::Svm | Classifier::DecisionTree | Classifier::Lda
        )
    }
}

/// Fits `classifier` on `(x, y)` (already imputed and scaled) with per-class weights
/// `(w_case, w_control)` (1, 1 for none) and scores every matrix in `score_on`, higher meaning
/// "case". The cross-validation calls this per fold; it is public for benchmarks and for
/// callers with their own resampling.
pub fn fit_and_score(
    classifier: Classifier,
    x: &Array2<f64>,
    y: &[bool],
    weights: (f64, f64),
    score_on: &[&Array2<f64>],
) -> Result<Vec<Vec<f64>>, String> {
    let targets = Array1::from_vec(y.to_vec());
    match classifier {
        Classifier::Logistic => {
            let data = Dataset::new(x.clone(), targets);
            let model = LogisticRegression::default()
                .alpha(1.0)
                .max_iterations(200)
                .fit(&data)
                .map_err(|e| e.to_string())?;
            // linfa models the probability of the *more frequent* class; flip to "case".
            let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
            Ok(score_on
                .iter()
                .map(|m| {
                    (m.dot(model.params()) + model.intercept())
                        .iter()
                        .map(|v| sign * v)
                        .collect()
                })
                .collect())
        }
        Classifier::Svm => {
            let data = Dataset::new(x.clone(), targets);
            let model = Svm::<f64, bool>::params()
                .pos_neg_weights(weights.0, weights.1)
                .gaussian_kernel(x.ncols().max(1) as f64)
                .fit(&data)
                .map_err(|e| e.to_string())?;
            Ok(score_on
                .iter()
                .map(|m| {
                    m.rows()
                        .into_iter()
                        .map(|r| model.weighted_sum(&r) - model.rho)
                        .collect()
                })
                .collect())
        }
        Classifier::DecisionTree => {
            let w: Vec<f64> = y
                .iter()
                .map(|c| if *c { weights.0 } else { weights.1 })
                .collect();
            let tree = Cart::fit(x, y, &w, 5, 5);
            Ok(score_on
                .iter()
                .map(|m| m.rows().into_iter().map(|r| tree.score(&r)).collect())
                .collect())
        }
        Classifier::GaussianNb => {
            let data = Dataset::new(x.clone(), targets);
            let model = GaussianNb::params().fit(&data).map_err(|e| e.to_string())?;
            score_on
                .iter()
                .map(|m| {
                    let (log_p, classes) = model.predict_log_proba(m.view());
                    let col = |c: bool| {
                        classes
                            .iter()
                            .position(|k| **k == c)
                            .ok_or_else(|| "naive Bayes saw only one class".to_string())
                    };
                    let (case, control) = (col(true)?, col(false)?);
                    Ok(log_p
                        .rows()
                        .into_iter()
                        .map(|r| r[case] - r[control])
                        .collect())
                })
                .collect()
        }
        Classifier::Lda => {
            let w = lda_direction(x, y, weights)?;
            Ok(score_on.iter().map(|m| m.dot(&w).to_vec()).collect())
        }
    }
}

/// Fisher's direction S^-1 (mu_case - mu_control), S the (weighted) pooled within-class
/// covariance plus a ridge of 1e-6 on the diagonal so collinear features (the segmental
/// phenotypes are) do not make it singular.
fn lda_direction(x: &Array2<f64>, y: &[bool], weights: (f64, f64)) -> Result<Array1<f64>, String> {
    let p = x.ncols();
    let mut mean = [vec![0.0; p], vec![0.0; p]];
    let mut count = [0usize; 2];
    for (row, &c) in x.rows().into_iter().zip(y) {
        let k = usize::from(c);
        count[k] += 1;
        for j in 0..p {
            mean[k][j] += row[j];
        }
    }
    if count[0] == 0 || count[1] == 0 {
        return Err("LDA needs both classes in the training fold".into());
    }
    for k in 0..2 {
        for v in &mut mean[k] {
            *v /= count[k] as f64;
        }
    }
    let mut s = vec![0.0; p * p];
    let mut total = 0.0;
    for (row, &c) in x.rows().into_iter().zip(y) {
        let k = usize::from(c);
        let w = if c { weights.0 } else { weights.1 };
        total += w;
        for a in 0..p {
            let da = row[a] - mean[k][a];
            for b in 0..=a {
                s[a * p + b] += w * da * (row[b] - mean[k][b]);
            }
        }
    }
    for a in 0..p {
        for b in 0..=a {
            s[a * p + b] /= total;
            s[b * p + a] = s[a * p + b];
        }
        s[a * p + a] += 1e-6;
    }
    let l = cholesky(&s, p).map_err(|j| format!("LDA covariance is singular at feature {j}"))?;
    let diff: Vec<f64> = (0..p).map(|j| mean[1][j] - mean[0][j]).collect();
    Ok(Array1::from_vec(cholesky_solve(&l, p, &diff)))
}

/// A CART classification tree (weighted Gini, binary splits at midpoints, `x <= t` goes
/// left, as scikit-learn), grown to a maximum depth with a minimum number of rows per leaf;
/// a row's score is the weighted share of cases in its leaf (`predict_proba`).
///
/// Written here rather than taken from linfa-trees 0.8.1, which (a) breaks ties between the
/// classes' weights in a leaf by `HashMap` order and then prunes sibling leaves with the same
/// majority, so the same data give different trees from one process to the next, (b) sums
/// sample weights in f32 and, with fractional class weights at n = 40,000, reaches an
/// assertion on an empty side, and (c) by that pruning merges leaves of different case shares,
/// which costs ranking (AUC). Everything here is f64 and every tie goes to the first
/// candidate (feature order, then threshold order), so a tree is a function of its data.
#[derive(Debug, Clone)]
pub struct Cart {
    nodes: Vec<CartNode>,
}

#[derive(Debug, Clone)]
enum CartNode {
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    Leaf {
        case_share: f64,
    },
}

fn gini(case: f64, total: f64) -> f64 {
    if total <= 0.0 {
        return 0.0;
    }
    let p = case / total;
    2.0 * p * (1.0 - p)
}

impl Cart {
    pub fn fit(x: &Array2<f64>, y: &[bool], w: &[f64], max_depth: usize, min_leaf: usize) -> Cart {
        let mut tree = Cart { nodes: Vec::new() };
        let rows: Vec<usize> = (0..x.nrows()).collect();
        tree.grow(x, y, w, rows, 0, max_depth, min_leaf.max(1));
        tree
    }

    #[allow(clippy::too_many_arguments)]
    fn grow(
        &mut self,
        x: &Array2<f64>,
        y: &[bool],
        w: &[f64],
        rows: Vec<usize>,
        depth: usize,
        max_depth: usize,
        min_leaf: usize,
    ) -> usize {
        let total: f64 = rows.iter().map(|&i| w[i]).sum();
        let case: f64 = rows.iter().filter(|&&i| y[i]).map(|&i| w[i]).sum();
        let id = self.nodes.len();
        self.nodes.push(CartNode::Leaf {
            case_share: if total > 0.0 { case / total } else { 0.5 },
        });
        let parent = gini(case, total);
        if depth >= max_depth || rows.len() < 2 * min_leaf || parent <= 0.0 {
            return id;
        }
        // Best split: (weighted child impurity, feature, threshold).
        let mut best: Option<(f64, usize, f64)> = None;
        let mut order = rows.clone();
        for f in 0..x.ncols() {
            order.sort_by(|a, b| x[[*a, f]].total_cmp(&x[[*b, f]]).then(a.cmp(b)));
            let (mut lc, mut lt) = (0.0, 0.0);
            for k in 0..order.len() - 1 {
                let i = order[k];
                lt += w[i];
                if y[i] {
                    lc += w[i];
                }
                let (v, next) = (x[[i, f]], x[[order[k + 1], f]]);
                if v == next || k + 1 < min_leaf || order.len() - k - 1 < min_leaf {
                    continue;
                }
                let (rc, rt) = (case - lc, total - lt);
                let impurity = (lt * gini(lc, lt) + rt * gini(rc, rt)) / total;
                if best.is_none_or(|b| impurity < b.0) {
                    best = Some((impurity, f, 0.5 * (v + next)));
                }
            }
        }
        let Some((impurity, feature, threshold)) = best else {
            return id;
        };
        if impurity >= parent - 1e-12 {
            return id;
        }
        let (left_rows, right_rows): (Vec<usize>, Vec<usize>) =
            rows.iter().partition(|&&i| x[[i, feature]] <= threshold);
        let left = self.grow(x, y, w, left_rows, depth + 1, max_depth, min_leaf);
        let right = self.grow(x, y, w, right_rows, depth + 1, max_depth, min_leaf);
        self.nodes[id] = CartNode::Split {
            feature,
            threshold,
            left,
            right,
        };
        id
    }

    /// The case share of the leaf `row` falls in.
    pub fn score(&self, row: &ArrayView1<f64>) -> f64 {
        let mut node = 0;
        loop {
            match self.nodes.get(node) {
                Some(CartNode::Split {
                    feature,
                    threshold,
                    left,
                    right,
                }) => {
                    node = if row[*feature] <= *threshold {
                        *left
                    } else {
                        *right
                    }
                }
                Some(CartNode::Leaf { case_share }) => return *case_share,
                None => return 0.5,
            }
        }
    }

    /// Number of leaves.
    pub fn leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, CartNode::Leaf { .. }))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_learns_an_and_rule_exactly_and_is_deterministic() {
        // "x0 > 0.2 and x1 > -0.1" needs two levels of splits; a depth-2 tree gets it exactly
        // with three leaves (the left side of the first split is pure).
        let n = 200;
        // A 20 x 10 grid on [-0.5, 0.5)^2.
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            if j == 0 {
                (i % 20) as f64 / 20.0 - 0.5
            } else {
                (i / 20) as f64 / 10.0 - 0.5
            }
        });
        let y: Vec<bool> = x
            .rows()
            .into_iter()
            .map(|r| r[0] > 0.2 && r[1] > -0.1)
            .collect();
        let w = vec![1.0; n];
        let tree = Cart::fit(&x, &y, &w, 2, 1);
        assert_eq!(tree.leaves(), 3);
        for (row, c) in x.rows().into_iter().zip(&y) {
            assert_eq!(tree.score(&row), if *c { 1.0 } else { 0.0 });
        }
        let again = Cart::fit(&x, &y, &w, 2, 1);
        assert_eq!(format!("{:?}", tree.nodes), format!("{:?}", again.nodes));
    }

    #[test]
    fn cart_leaf_shares_use_the_weights() {
        // One feature, no useful split at depth 0: the root's share is the weighted share.
        let x = Array2::from_shape_fn((4, 1), |_| 1.0);
        let y = [true, false, false, false];
        let tree = Cart::fit(&x, &y, &[3.0, 1.0, 1.0, 1.0], 3, 1);
        assert_eq!(tree.score(&x.row(0)), 0.5);
    }
}
