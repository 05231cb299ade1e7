//! One interface over every place an agent's words can come from.

use std::time::Duration;

use async_trait::async_trait;

use crate::message::{Reply, Request};

/// Why one call failed. `class` is a short machine name the engine's retry policy matches
/// against its non-retryable classes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    pub class: &'static str,
    pub message: String,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

impl BackendError {
    pub fn retryable(class: &'static str, message: impl Into<String>) -> Self {
        BackendError {
            class,
            message: message.into(),
            retryable: true,
            retry_after: None,
        }
    }

    pub fn fatal(class: &'static str, message: impl Into<String>) -> Self {
        BackendError {
            class,
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// A name for transcripts and `study list` (e.g. `embedded`, `openai:gpt-4o-mini`).
    fn describe(&self) -> String;

    /// One chat completion. Retries are the caller's (the engine's policy), not the backend's.
    async fn chat(&self, request: &Request) -> Result<Reply, BackendError>;

    /// Price per million prompt and completion tokens, for the cost ledger.
    fn prices(&self) -> (f64, f64) {
        (0.0, 0.0)
    }
}
