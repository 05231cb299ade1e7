//! Typed errors of the stats crate. Every error about user input names the file and, where
//! it can, the row and column, so the user can go straight to the bad cell.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("{file}: {message}")]
    Input { file: String, message: String },
    #[error("{file}: row {row}, column '{column}': {message}")]
    InputAt {
        file: String,
        row: usize,
        column: String,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    /// Reading or writing one of our own tables failed outside a cell (I/O, a broken quote).
    #[error("{file}: {source}")]
    Csv {
        file: String,
        #[source]
        source: csv::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Classify(#[from] crate::classify::error::ClassifyError),
    #[error("{path}: cannot draw the plot: {message}")]
    Plot { path: String, message: String },
}

impl StatsError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StatsError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub fn polars_in(path: &Path, source: polars::error::PolarsError) -> Self {
        StatsError::Polars {
            context: path.display().to_string(),
            source,
        }
    }
}

impl From<polars::error::PolarsError> for StatsError {
    fn from(source: polars::error::PolarsError) -> Self {
        StatsError::Polars {
            context: "data frame".into(),
            source,
        }
    }
}
