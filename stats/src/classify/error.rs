//! Why a classification could not be evaluated. Its own file, apart from the room's face,
//! because the crate's `StatsError` wraps it: the crate error then depends on this file
//! alone, and nothing here depends back on the crate error.

/// Why a classification could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("inconsistent input: {0}")]
    Shape(String),
    #[error("only one class present ({cases} cases, {controls} controls): the ROC needs both")]
    OneClass { cases: usize, controls: usize },
    #[error("{cases} cases and {controls} controls cannot fill {folds} stratified folds: each class needs at least one row per fold")]
    TooFewCases {
        cases: usize,
        controls: usize,
        folds: usize,
    },
    #[error("invalid classification settings: {0}")]
    Config(String),
    #[error("{classifier} failed on fold {fold}: {message}")]
    Fit {
        classifier: String,
        fold: usize,
        message: String,
    },
    #[error("{disease}: {source}")]
    Disease {
        disease: String,
        #[source]
        source: Box<ClassifyError>,
    },
}
