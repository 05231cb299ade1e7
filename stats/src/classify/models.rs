//! The classifiers: linfa's logistic regression, SVM, decision tree and Gaussian naive Bayes,
//! and a two-class linear discriminant written here on ndarray (linfa has none). Each one is
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
use linfa_trees::{DecisionTree, TreeNode};
use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::linalg::{cholesky, cholesky_solve};

/// A classifier of the validation. The names are the `classifier` column of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classifier {
    /// L2-penalised logistic regression (linfa-logistic, alpha 1 = scikit-learn's C = 1).
    Logistic,
    /// C-SVM with a Gaussian kernel of width p (scikit-learn's gamma = "scale" on
    /// standardised features), C = 1 (linfa-svm).
    Svm,
    /// CART with Gini impurity, depth at most 5 (linfa-trees).
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
            let w: Array1<f32> = y
                .iter()
                .map(|c| if *c { weights.0 } else { weights.1 } as f32)
                .collect();
            let data = Dataset::new(x.clone(), targets).with_weights(w.clone());
            let tree = DecisionTree::params()
                .max_depth(Some(5))
                .fit(&data)
                .map_err(|e| e.to_string())?;
            let leaves = LeafShares::learn(tree.root_node(), x, y, &w);
            Ok(score_on
                .iter()
                .map(|m| m.rows().into_iter().map(|r| leaves.score(&r)).collect())
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

/// A fitted tree's leaves with the weighted share of training cases that reached each one.
/// linfa's tree keeps only the majority class per leaf, so the shares are recomputed by
/// sending the training rows down the same splits (`x[feature] < value` goes left, as in
/// linfa's own prediction).
struct LeafShares<'a> {
    root: &'a TreeNode<f64, bool>,
    /// Leaf path (left = false) -> (case weight, total weight).
    shares: std::collections::BTreeMap<Vec<bool>, (f64, f64)>,
}

impl<'a> LeafShares<'a> {
    fn learn(root: &'a TreeNode<f64, bool>, x: &Array2<f64>, y: &[bool], w: &Array1<f32>) -> Self {
        let mut me = LeafShares {
            root,
            shares: Default::default(),
        };
        for ((row, &c), &wi) in x.rows().into_iter().zip(y).zip(w) {
            let path = me.path(&row);
            let e = me.shares.entry(path).or_insert((0.0, 0.0));
            if c {
                e.0 += f64::from(wi);
            }
            e.1 += f64::from(wi);
        }
        me
    }

    fn path(&self, row: &ArrayView1<f64>) -> Vec<bool> {
        let mut node = self.root;
        let mut path = Vec::new();
        while !node.is_leaf() {
            let (feature, value, _) = node.split();
            let right = row[feature] >= value;
            let children = node.children();
            let Some(Some(next)) = children.get(usize::from(right)).copied() else {
                break;
            };
            path.push(right);
            node = next;
        }
        path
    }

    fn score(&self, row: &ArrayView1<f64>) -> f64 {
        match self.shares.get(&self.path(row)) {
            Some((case, total)) if *total > 0.0 => case / total,
            // Every leaf holds training rows, so this is only a guard.
            _ => 0.5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::traits::Predict;

    #[test]
    fn leaf_shares_follow_linfas_own_routing() {
        // XOR-like data needs two levels of splits; the leaf majority by our routing must be
        // the tree's own prediction for every training row.
        let n = 200;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            ((i * 37 + j * 91) % 101) as f64 / 101.0 - 0.5
        });
        let y: Vec<bool> = x
            .rows()
            .into_iter()
            .map(|r| (r[0] > 0.0) != (r[1] > 0.1))
            .collect();
        let w = Array1::from_elem(n, 1.0f32);
        let data = Dataset::new(x.clone(), Array1::from_vec(y.clone())).with_weights(w.clone());
        let tree = DecisionTree::params()
            .max_depth(Some(4))
            .fit(&data)
            .unwrap();
        let leaves = LeafShares::learn(tree.root_node(), &x, &y, &w);
        let predicted: Array1<bool> = tree.predict(&x);
        for (row, p) in x.rows().into_iter().zip(predicted.iter()) {
            let share = leaves.score(&row);
            assert!(share != 0.5, "no tie expected on these data");
            assert_eq!(share > 0.5, *p);
        }
    }
}
