//! Disease-classification validation: do the phenotypes the panel chose for a disease
//! classify it as well as the expert-selected set? (MESHAgents' headline claim.)
//!
//! For one disease, each *arm* (a feature set: phenotypes plus the same confounders) is
//! evaluated by every classifier under one protocol that does not leak:
//!
//! 1. seeded stratified k-fold cross-validation (`cv::stratified_folds`); the folds depend
//!    only on the labels and the seed, so both arms see the same folds;
//! 2. inside each training fold: optional undersampling of the larger class, then median
//!    imputation and standard scaling learnt from the training rows only
//!    (`cv::Preprocessor`) and applied unchanged to the test fold;
//! 3. the classifier is fitted on the training fold and scores both folds; the decision
//!    threshold is the one maximising Youden's J on the *training* scores;
//! 4. out-of-fold scores are pooled over the folds into one ROC analysis per arm and
//!    classifier: AUC with DeLong's 95 % CI, and DeLong's paired test between the two arms;
//!    recall, precision, F1 and balanced accuracy from the pooled thresholded predictions.
//!
//! Output rows are the contracts of `classification.csv` ([`CLASSIFICATION_COLUMNS`]) and
//! `predictions.csv` ([`PREDICTION_COLUMNS`]); they are a pure function of the inputs and the
//! seed, whatever the thread count. This module owns both files: [`write_classification`],
//! [`write_predictions`] and their readers.

pub mod cv;
pub(crate) mod error;
pub mod metrics;
pub mod models;

use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use error::ClassifyError;
pub use models::Classifier;

use crate::data::delimited::{self, Cell};
use crate::data::io::{read_table_with_columns, TableFormat};
use crate::error::StatsError;

/// The features of one arm: `n_rows x names.len()` values, row-major, NaN for missing.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    names: Vec<String>,
    n_rows: usize,
    values: Vec<f64>,
}

impl FeatureMatrix {
    /// Builds the matrix from one slice per feature (all of the same length).
    pub fn from_columns(names: Vec<String>, columns: &[&[f64]]) -> Result<Self, ClassifyError> {
        if names.len() != columns.len() {
            return Err(ClassifyError::Shape(format!(
                "{} feature names but {} columns",
                names.len(),
                columns.len()
            )));
        }
        let Some(first) = columns.first() else {
            return Err(ClassifyError::Shape(
                "an arm needs at least one feature".into(),
            ));
        };
        let n_rows = first.len();
        if let Some(k) = columns.iter().position(|c| c.len() != n_rows) {
            return Err(ClassifyError::Shape(format!(
                "feature '{}' has {} rows, '{}' has {n_rows}",
                names[k],
                columns[k].len(),
                names[0]
            )));
        }
        let p = columns.len();
        let mut values = vec![0.0; n_rows * p];
        for (j, c) in columns.iter().enumerate() {
            for (i, v) in c.iter().enumerate() {
                values[i * p + j] = *v;
            }
        }
        Ok(FeatureMatrix {
            names,
            n_rows,
            values,
        })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_features(&self) -> usize {
        self.names.len()
    }

    /// The value at (row, feature); NaN when missing.
    pub fn get(&self, row: usize, feature: usize) -> f64 {
        self.values[row * self.names.len() + feature]
    }
}

/// How class imbalance is handled inside a training fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Imbalance {
    /// "Balanced" class weights n / (2 n_class) for the learners that take them
    /// ([`Classifier::takes_class_weights`]).
    ClassWeights,
    /// Random undersampling of the larger class to the size of the smaller (seeded per fold).
    Undersample,
    /// Neither; only the training-fold threshold adapts to the prevalence.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifyConfig {
    pub folds: usize,
    pub seed: u64,
    pub imbalance: Imbalance,
    pub classifiers: Vec<Classifier>,
    /// Worker threads over (arm, classifier) pairs; the output does not depend on it.
    pub threads: usize,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            folds: 5,
            seed: 42,
            imbalance: Imbalance::ClassWeights,
            classifiers: Classifier::ALL.to_vec(),
            threads: 1,
        }
    }
}

/// One row of `classification.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationRow {
    pub disease: String,
    pub arm: String,
    pub classifier: String,
    pub n: usize,
    pub n_cases: usize,
    pub auc: f64,
    pub auc_ci_low: f64,
    pub auc_ci_high: f64,
    /// DeLong's paired test against the other arm of the same disease and classifier; NaN
    /// (empty in the file) when only one arm was evaluated.
    pub delong_p: f64,
    pub recall: f64,
    pub precision: f64,
    pub f1: f64,
    pub balanced_accuracy: f64,
    /// The participants scored: `holdout` (a part the feature selection never saw) or `all`
    /// (every participant, which the selection also saw: the paper's protocol, flagged).
    /// [`evaluate`] writes `all`; a caller that scores a held-out part says so.
    pub split: String,
}

pub const CLASSIFICATION_COLUMNS: [&str; 14] = [
    "disease",
    "arm",
    "classifier",
    "n",
    "n_cases",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "delong_p",
    "recall",
    "precision",
    "f1",
    "balanced_accuracy",
    "split",
];

/// One out-of-fold score (a row of `predictions.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRow {
    pub disease: String,
    pub arm: String,
    pub classifier: String,
    pub fold: usize,
    pub id: String,
    pub label: bool,
    pub score: f64,
}

pub const PREDICTION_COLUMNS: [&str; 7] = [
    "disease",
    "arm",
    "classifier",
    "fold",
    "id",
    "label",
    "score",
];

/// A feature set to evaluate, under its name in the `arm` column.
#[derive(Debug, Clone, Copy)]
pub struct Arm<'a> {
    pub name: &'a str,
    pub features: &'a FeatureMatrix,
}

/// Out-of-fold results of one classifier on one arm.
#[derive(Debug, Clone)]
struct OutOfFold {
    scores: Vec<f64>,
    predicted: Vec<bool>,
}

/// Evaluates every configured classifier on each arm for one disease: rows of both tables,
/// arm-major then in the configured classifier order, predictions in row order. With exactly
/// two arms `delong_p` is their paired test (the same value on both rows); with one it is NaN.
/// `labels` (true = case) and `ids` are per row of the feature matrices; rows with an unknown
/// label must be left out by the caller.
pub fn evaluate(
    disease: &str,
    arms: &[Arm<'_>],
    labels: &[bool],
    ids: &[String],
    config: &ClassifyConfig,
) -> Result<(Vec<ClassificationRow>, Vec<PredictionRow>), ClassifyError> {
    evaluate_inner(arms, labels, ids, config, disease).map_err(|e| ClassifyError::Disease {
        disease: disease.to_string(),
        source: Box::new(e),
    })
}

fn evaluate_inner(
    arms: &[Arm<'_>],
    labels: &[bool],
    ids: &[String],
    config: &ClassifyConfig,
    disease: &str,
) -> Result<(Vec<ClassificationRow>, Vec<PredictionRow>), ClassifyError> {
    if arms.is_empty() || arms.len() > 2 {
        return Err(ClassifyError::Config(format!(
            "one or two arms per disease (got {})",
            arms.len()
        )));
    }
    if config.classifiers.is_empty() {
        return Err(ClassifyError::Config("no classifiers chosen".into()));
    }
    let n = labels.len();
    if ids.len() != n {
        return Err(ClassifyError::Shape(format!(
            "{} ids but {n} labels",
            ids.len()
        )));
    }
    for arm in arms {
        if arm.features.n_rows() != n {
            return Err(ClassifyError::Shape(format!(
                "arm '{}' has {} rows but there are {n} labels",
                arm.name,
                arm.features.n_rows()
            )));
        }
    }
    let folds = cv::stratified_folds(labels, config.folds, config.seed)?;

    // Work items (arm, classifier), run by `threads` workers into fixed slots.
    let items: Vec<(usize, Classifier)> = (0..arms.len())
        .flat_map(|a| config.classifiers.iter().map(move |c| (a, *c)))
        .collect();
    let slots: Vec<std::sync::Mutex<Option<Result<OutOfFold, ClassifyError>>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = config.threads.clamp(1, items.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(a, c)) = items.get(k) else { break };
                let result = out_of_fold(arms[a].features, labels, &folds, c, config);
                if let Ok(mut slot) = slots[k].lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    let mut results = Vec::with_capacity(items.len());
    for slot in slots {
        let value = slot
            .into_inner()
            .ok()
            .flatten()
            .ok_or_else(|| ClassifyError::Config("a classification worker panicked".into()))?;
        results.push(value?);
    }

    let n_cases = labels.iter().filter(|l| **l).count();
    let mut rows = Vec::with_capacity(items.len());
    let mut predictions = Vec::with_capacity(items.len() * n);
    for (k, &(a, c)) in items.iter().enumerate() {
        let oof = &results[k];
        let est = metrics::auc_delong(&oof.scores, labels)?;
        let delong_p = if arms.len() == 2 {
            let other = items
                .iter()
                .position(|&(a2, c2)| a2 != a && c2 == c)
                .ok_or_else(|| ClassifyError::Config("unpaired arm".into()))?;
            let (first, second) = if a == 0 { (k, other) } else { (other, k) };
            metrics::paired_delong(&results[first].scores, &results[second].scores, labels)?.p
        } else {
            f64::NAN
        };
        let t = metrics::threshold_metrics(&oof.predicted, labels)?;
        rows.push(ClassificationRow {
            disease: disease.to_string(),
            arm: arms[a].name.to_string(),
            classifier: c.name().to_string(),
            n,
            n_cases,
            auc: est.auc,
            auc_ci_low: est.ci_low,
            auc_ci_high: est.ci_high,
            delong_p,
            recall: t.recall,
            precision: t.precision,
            f1: t.f1,
            balanced_accuracy: t.balanced_accuracy,
            split: crate::cohort::split::SPLIT_ALL.to_string(),
        });
        for i in 0..n {
            predictions.push(PredictionRow {
                disease: disease.to_string(),
                arm: arms[a].name.to_string(),
                classifier: c.name().to_string(),
                fold: folds[i],
                id: ids[i].clone(),
                label: labels[i],
                score: oof.scores[i],
            });
        }
    }
    Ok((rows, predictions))
}

/// Cross-validated out-of-fold scores and thresholded predictions of one classifier.
fn out_of_fold(
    x: &FeatureMatrix,
    labels: &[bool],
    folds: &[usize],
    classifier: Classifier,
    config: &ClassifyConfig,
) -> Result<OutOfFold, ClassifyError> {
    let n = labels.len();
    let mut scores = vec![f64::NAN; n];
    let mut predicted = vec![false; n];
    for f in 0..config.folds {
        let (mut train, test) = cv::split(folds, f);
        if config.imbalance == Imbalance::Undersample {
            // A distinct, reproducible stream per fold.
            train = cv::undersample(&train, labels, config.seed ^ (0x9E37_79B9 + f as u64));
        }
        let prep = cv::Preprocessor::fit(x, &train);
        let x_train = prep.transform(x, &train);
        let x_test = prep.transform(x, &test);
        let y_train: Vec<bool> = train.iter().map(|&i| labels[i]).collect();
        let cases = y_train.iter().filter(|c| **c).count();
        let weights =
            if config.imbalance == Imbalance::ClassWeights && classifier.takes_class_weights() {
                let total = y_train.len() as f64;
                (
                    total / (2.0 * cases.max(1) as f64),
                    total / (2.0 * (y_train.len() - cases).max(1) as f64),
                )
            } else {
                (1.0, 1.0)
            };
        let fit_error = |message: String| ClassifyError::Fit {
            classifier: classifier.name().to_string(),
            fold: f,
            message,
        };
        // linfa asserts on some degenerate inputs instead of returning an error; a panic in
        // one fit must not take the study down, so it becomes this fold's typed error.
        let fitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            models::fit_and_score(
                classifier,
                &x_train,
                &y_train,
                weights,
                &[&x_train, &x_test],
            )
        }))
        .unwrap_or_else(|panic| {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("the learner panicked: {text}"))
        });
        let out = fitted.map_err(fit_error)?;
        let (train_scores, test_scores) = (&out[0], &out[1]);
        if let Some(bad) = train_scores
            .iter()
            .chain(test_scores)
            .find(|s| !s.is_finite())
        {
            return Err(fit_error(format!("a score is not finite ({bad})")));
        }
        let threshold = metrics::youden_threshold(train_scores, &y_train)?;
        for (k, &i) in test.iter().enumerate() {
            scores[i] = test_scores[k];
            predicted[i] = test_scores[k] >= threshold;
        }
    }
    Ok(OutOfFold { scores, predicted })
}

/// The paper's summary of arm A against arm B for one classifier: mean and SD (n - 1) of the
/// per-disease AUC differences A - B, and the number of diseases where A's recall is higher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmComparison {
    pub classifier: String,
    pub arm_a: String,
    pub arm_b: String,
    pub diseases: usize,
    pub mean_auc_difference: f64,
    pub sd_auc_difference: f64,
    pub recall_improved: usize,
}

/// One [`ArmComparison`] per classifier (in first-seen order), over the diseases with a row
/// for both arms.
pub fn compare_arms(rows: &[ClassificationRow], arm_a: &str, arm_b: &str) -> Vec<ArmComparison> {
    let mut classifiers: Vec<&str> = Vec::new();
    for r in rows {
        if !classifiers.contains(&r.classifier.as_str()) {
            classifiers.push(&r.classifier);
        }
    }
    classifiers
        .into_iter()
        .map(|c| {
            let mut diffs = Vec::new();
            let mut improved = 0;
            for a in rows.iter().filter(|r| r.classifier == c && r.arm == arm_a) {
                let Some(b) = rows
                    .iter()
                    .find(|r| r.classifier == c && r.arm == arm_b && r.disease == a.disease)
                else {
                    continue;
                };
                diffs.push(a.auc - b.auc);
                if a.recall > b.recall {
                    improved += 1;
                }
            }
            let k = diffs.len();
            let mean = if k == 0 {
                f64::NAN
            } else {
                diffs.iter().sum::<f64>() / k as f64
            };
            let sd = if k < 2 {
                f64::NAN
            } else {
                (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt()
            };
            ArmComparison {
                classifier: c.to_string(),
                arm_a: arm_a.to_string(),
                arm_b: arm_b.to_string(),
                diseases: k,
                mean_auc_difference: mean,
                sd_auc_difference: sd,
                recall_improved: improved,
            }
        })
        .collect()
}

fn nan_to_null(v: f64) -> Option<f64> {
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// The cells of a row in the order of [`CLASSIFICATION_COLUMNS`].
fn classification_cells(r: &ClassificationRow) -> [Cell<'_>; 14] {
    [
        Cell::Text(&r.disease),
        Cell::Text(&r.arm),
        Cell::Text(&r.classifier),
        Cell::Count(Some(r.n as u64)),
        Cell::Count(Some(r.n_cases as u64)),
        Cell::value(r.auc),
        Cell::value(r.auc_ci_low),
        Cell::value(r.auc_ci_high),
        Cell::value(r.delong_p),
        Cell::value(r.recall),
        Cell::value(r.precision),
        Cell::value(r.f1),
        Cell::value(r.balanced_accuracy),
        Cell::Text(&r.split),
    ]
}

/// The cells of a row in the order of [`PREDICTION_COLUMNS`] (`label` 0/1). A score is
/// always a number (a NaN would be printed `NaN`): scores are checked finite when fitted.
fn prediction_cells(r: &PredictionRow) -> [Cell<'_>; 7] {
    [
        Cell::Text(&r.disease),
        Cell::Text(&r.arm),
        Cell::Text(&r.classifier),
        Cell::Count(Some(r.fold as u64)),
        Cell::Text(&r.id),
        Cell::Count(Some(u64::from(r.label))),
        Cell::Number(Some(r.score)),
    ]
}

/// Writes the classification table to `path`: CSV or TSV through [`delimited`], Parquet (by
/// extension) through polars; NaN (no DeLong test with one arm) as an empty cell.
pub fn write_classification(rows: &[ClassificationRow], path: &Path) -> Result<(), StatsError> {
    delimited::write_rows(
        path,
        &CLASSIFICATION_COLUMNS,
        rows,
        classification_cells,
        classification_frame,
    )
}

/// Writes the out-of-fold scores to `path` (`predictions.csv`; TSV or Parquet by extension).
pub fn write_predictions(rows: &[PredictionRow], path: &Path) -> Result<(), StatsError> {
    delimited::write_rows(
        path,
        &PREDICTION_COLUMNS,
        rows,
        prediction_cells,
        predictions_frame,
    )
}

/// The classification table as a data frame with exactly [`CLASSIFICATION_COLUMNS`] (for
/// Parquet).
pub fn classification_frame(rows: &[ClassificationRow]) -> Result<DataFrame, StatsError> {
    let text = |f: fn(&ClassificationRow) -> &str| {
        rows.iter().map(|r| f(r).to_string()).collect::<Vec<_>>()
    };
    let num = |f: fn(&ClassificationRow) -> f64| {
        rows.iter().map(|r| nan_to_null(f(r))).collect::<Vec<_>>()
    };
    let columns = vec![
        Column::new("disease".into(), text(|r| &r.disease)),
        Column::new("arm".into(), text(|r| &r.arm)),
        Column::new("classifier".into(), text(|r| &r.classifier)),
        Column::new(
            "n".into(),
            rows.iter().map(|r| r.n as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "n_cases".into(),
            rows.iter().map(|r| r.n_cases as u64).collect::<Vec<_>>(),
        ),
        Column::new("auc".into(), num(|r| r.auc)),
        Column::new("auc_ci_low".into(), num(|r| r.auc_ci_low)),
        Column::new("auc_ci_high".into(), num(|r| r.auc_ci_high)),
        Column::new("delong_p".into(), num(|r| r.delong_p)),
        Column::new("recall".into(), num(|r| r.recall)),
        Column::new("precision".into(), num(|r| r.precision)),
        Column::new("f1".into(), num(|r| r.f1)),
        Column::new("balanced_accuracy".into(), num(|r| r.balanced_accuracy)),
        Column::new("split".into(), text(|r| &r.split)),
    ];
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The out-of-fold scores as a data frame with exactly [`PREDICTION_COLUMNS`] (`label` 0/1;
/// for Parquet).
pub fn predictions_frame(rows: &[PredictionRow]) -> Result<DataFrame, StatsError> {
    let text =
        |f: fn(&PredictionRow) -> &str| rows.iter().map(|r| f(r).to_string()).collect::<Vec<_>>();
    let columns = vec![
        Column::new("disease".into(), text(|r| &r.disease)),
        Column::new("arm".into(), text(|r| &r.arm)),
        Column::new("classifier".into(), text(|r| &r.classifier)),
        Column::new(
            "fold".into(),
            rows.iter().map(|r| r.fold as u64).collect::<Vec<_>>(),
        ),
        Column::new("id".into(), text(|r| &r.id)),
        Column::new(
            "label".into(),
            rows.iter()
                .map(|r| u8::from(r.label) as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "score".into(),
            rows.iter().map(|r| r.score).collect::<Vec<_>>(),
        ),
    ];
    Ok(DataFrame::new_infer_height(columns)?)
}

/// [`read_classification`] of a table that only a validation writes: no rows when there is
/// no file (a study without the panel has none).
pub fn read_classification_if_any(path: &Path) -> Result<Vec<ClassificationRow>, StatsError> {
    if path.is_file() {
        read_classification(path)
    } else {
        Ok(Vec::new())
    }
}

/// Reads a classification table (CSV, TSV or Parquet) back into rows.
pub fn read_classification(path: &Path) -> Result<Vec<ClassificationRow>, StatsError> {
    // Tables written before the discovery/validation split have no `split` column: their
    // selection saw every evaluated participant, which is what `all` says.
    let columns = |names: &[&str]| {
        let legacy = &CLASSIFICATION_COLUMNS[..13];
        if names == legacy {
            return Ok(());
        }
        delimited::exactly(&CLASSIFICATION_COLUMNS)(names)
    };
    if TableFormat::from_path(path)? != TableFormat::Parquet {
        let records: Vec<ClassificationRecord> = delimited::read_rows(path, columns)?;
        return Ok(records.into_iter().map(ClassificationRow::from).collect());
    }
    let df = read_table_with_columns(path, &CLASSIFICATION_COLUMNS)
        .or_else(|e| read_table_with_columns(path, &CLASSIFICATION_COLUMNS[..13]).map_err(|_| e))?;
    let text = |name: &str| crate::data::io::text_column(&df, name);
    let num = |name: &str| crate::data::io::number_column(&df, name);
    let (disease, arm, classifier) = (text("disease")?, text("arm")?, text("classifier")?);
    let split = if df.get_column_names().iter().any(|c| c.as_str() == "split") {
        text("split")?
    } else {
        vec![crate::cohort::split::SPLIT_ALL.to_string(); df.height()]
    };
    let (n, n_cases) = (num("n")?, num("n_cases")?);
    let cols: Vec<Vec<f64>> = CLASSIFICATION_COLUMNS[5..13]
        .iter()
        .map(|c| num(c))
        .collect::<Result<_, _>>()?;
    Ok((0..df.height())
        .map(|i| ClassificationRow {
            disease: disease[i].clone(),
            arm: arm[i].clone(),
            classifier: classifier[i].clone(),
            n: n[i] as usize,
            n_cases: n_cases[i] as usize,
            auc: cols[0][i],
            auc_ci_low: cols[1][i],
            auc_ci_high: cols[2][i],
            delong_p: cols[3][i],
            recall: cols[4][i],
            precision: cols[5][i],
            f1: cols[6][i],
            balanced_accuracy: cols[7][i],
            split: split[i].clone(),
        })
        .collect())
}

/// A row of `classification.csv` as it is read: empty numbers are `None`.
#[derive(Deserialize)]
struct ClassificationRecord {
    disease: String,
    arm: String,
    classifier: String,
    n: usize,
    n_cases: usize,
    auc: Option<f64>,
    auc_ci_low: Option<f64>,
    auc_ci_high: Option<f64>,
    delong_p: Option<f64>,
    recall: Option<f64>,
    precision: Option<f64>,
    f1: Option<f64>,
    balanced_accuracy: Option<f64>,
    #[serde(default = "split_all")]
    split: String,
}

fn split_all() -> String {
    crate::cohort::split::SPLIT_ALL.to_string()
}

impl From<ClassificationRecord> for ClassificationRow {
    fn from(r: ClassificationRecord) -> Self {
        let value = |v: Option<f64>| v.unwrap_or(f64::NAN);
        ClassificationRow {
            disease: r.disease,
            arm: r.arm,
            classifier: r.classifier,
            n: r.n,
            n_cases: r.n_cases,
            auc: value(r.auc),
            auc_ci_low: value(r.auc_ci_low),
            auc_ci_high: value(r.auc_ci_high),
            delong_p: value(r.delong_p),
            recall: value(r.recall),
            precision: value(r.precision),
            f1: value(r.f1),
            balanced_accuracy: value(r.balanced_accuracy),
            split: r.split,
        }
    }
}

/// Reads a predictions table (CSV, TSV or Parquet, [`PREDICTION_COLUMNS`]) back into rows.
pub fn read_predictions(path: &Path) -> Result<Vec<PredictionRow>, StatsError> {
    if TableFormat::from_path(path)? != TableFormat::Parquet {
        let records: Vec<PredictionRecord> =
            delimited::read_rows(path, delimited::exactly(&PREDICTION_COLUMNS))?;
        return Ok(records.into_iter().map(PredictionRow::from).collect());
    }
    let df = read_table_with_columns(path, &PREDICTION_COLUMNS)?;
    let text = |name: &str| crate::data::io::text_column(&df, name);
    let num = |name: &str| crate::data::io::number_column(&df, name);
    let (disease, arm, classifier, id) = (
        text("disease")?,
        text("arm")?,
        text("classifier")?,
        text("id")?,
    );
    let (fold, label, score) = (num("fold")?, num("label")?, num("score")?);
    Ok((0..df.height())
        .map(|i| PredictionRow {
            disease: disease[i].clone(),
            arm: arm[i].clone(),
            classifier: classifier[i].clone(),
            fold: fold[i] as usize,
            id: id[i].clone(),
            label: label[i] != 0.0,
            score: score[i],
        })
        .collect())
}

/// A row of `predictions.csv` as it is read (`label` 0/1).
#[derive(Deserialize)]
struct PredictionRecord {
    disease: String,
    arm: String,
    classifier: String,
    fold: usize,
    id: String,
    label: u8,
    score: f64,
}

impl From<PredictionRecord> for PredictionRow {
    fn from(r: PredictionRecord) -> Self {
        PredictionRow {
            disease: r.disease,
            arm: r.arm,
            classifier: r.classifier,
            fold: r.fold,
            id: r.id,
            label: r.label != 0,
            score: r.score,
        }
    }
}
