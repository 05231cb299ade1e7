//! `meshagents-tui`: the terminal front end for epidemiologists (ratatui).
//!
//! Will own the study list, the new-study wizard, the live panel view with the approval gate,
//! and the results browser (`meshagents tui`). It reads studies through the engine's journal
//! and starts them through the workflows; it holds no analysis logic of its own.
//!
//! Must not depend on: `meshagents-stats` or `meshagents-agents` directly (it sees them only
//! through `meshagents-workflows` and the journal), nor on the binary.
//!
//! Nothing is exposed yet: the terminal UI is its own issue, built on the engine's study
//! lifecycle and event stream.
