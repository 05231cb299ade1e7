//! `validation/classify`: for every disease label, the panel's phenotypes against the expert
//! set of Bai 2020, under the same leak-free cross-validation, on the held-out participants
//! (`classification.csv`, `predictions.csv`).

use std::path::Path;

use meshagents_stats::classify::{Classifier, ClassifyConfig};
use serde_json::Value;

use crate::files::verify;
use crate::holdout::StudySplit;
use crate::plan::Step;
use crate::runner::Runner;
use crate::validation::{classify_diseases, ValidationResult};
use crate::WorkflowError;

pub(crate) fn run(
    runner: &mut Runner,
    out: &Path,
    split: &StudySplit,
    decisions: &Value,
    (seed, threads): (u64, usize),
) -> Result<ValidationResult, WorkflowError> {
    // linfa's SVM costs about 0.7 s per fold at n = 2,400 (BENCHMARKS.md), a minute and a
    // half over the demo's 120 fits; the demo leaves it out, a configured study may add it.
    let config = ClassifyConfig {
        seed,
        threads: threads.max(1),
        classifiers: vec![
            Classifier::Logistic,
            Classifier::DecisionTree,
            Classifier::GaussianNb,
            Classifier::Lda,
        ],
        ..ClassifyConfig::default()
    };
    // The thread count is not part of the request: the output does not depend on it.
    let request = serde_json::json!({ "folds": config.folds, "seed": config.seed, "imbalance": config.imbalance, "classifiers": config.classifiers, "decisions": decisions, "split": split.settings.request(), "version": 2 });
    let load = || split.table();
    let validation: ValidationResult = runner.step(
        Step::Classify,
        &request,
        |r: &ValidationResult| {
            let missing = listed(
                &r.missing_features,
                ("; not in the table, left out: ", ", ", ""),
                |(arm, c)| format!("{c} ({arm})"),
            );
            let skipped = listed(&r.skipped, (" (", "; ", ")"), |(d, why)| {
                format!("{d}: {why}")
            });
            format!(
                "{} diseases evaluated, {} skipped{skipped}{missing}",
                r.evaluated.len(),
                r.skipped.len()
            )
        },
        |_| -> Result<_, WorkflowError> {
            // The held-out rows only; with no hold-out, every row (flagged `all`).
            let part = split.split()?;
            let held_out = part.is_holdout().then_some(part.evaluated.as_slice());
            classify_diseases(load()?, held_out, decisions, &config, out)
        },
    )?;
    verify(out, &validation.files)?;
    Ok(validation)
}

/// `items` written by `each`, joined by `sep` between `open` and `close`; nothing at all when
/// there are none.
fn listed<T>(
    items: &[T],
    (open, sep, close): (&str, &str, &str),
    each: impl Fn(&T) -> String,
) -> String {
    if items.is_empty() {
        return String::new();
    }
    let text: Vec<String> = items.iter().map(each).collect();
    format!("{open}{}{close}", text.join(sep))
}
