//! `meshagents-agents`: the multidisciplinary panel that makes a study's judgement calls.
//!
//! Owns the roles (TOML: persona, expertise, goals, allowed tools), the backends an agent's
//! words come from (any OpenAI-compatible server, or the embedded offline expert that reasons
//! from a shipped knowledge base and the tools' numbers), the tools interface the workflow
//! answers from the data, and the meeting protocol: a silent first round, discussion rounds,
//! agreement measured each round, votes, and the chair's decision with its provenance.
//!
//! Safety: dataset text reaches prompts only as quoted data, replies are only ever read as
//! schema-checked JSON, and no tool touches the filesystem or the network.
//!
//! Must not depend on: `meshagents-stats` (agents see evidence as JSON the workflow's tool
//! host returns), `meshagents-engine` (durability comes through the [`protocol::Effects`]
//! trait the workflow implements over the journal), `meshagents-workflows`, `meshagents-tui`.
#![forbid(unsafe_code)]

pub mod agreement;
pub mod backend;
pub mod embedded;
pub mod knowledge;
pub mod message;
pub mod openai;
pub mod order;
pub mod protocol;
pub mod roles;
pub mod schema;
pub mod tools;
pub mod transcript;

pub use backend::{Backend, BackendError};
pub use embedded::EmbeddedBackend;
pub use knowledge::Knowledge;
pub use openai::{
    tool_calls_in_text, InvalidSetting, OpenAiBackend, OpenAiConfig, StructuredOutput,
};
pub use protocol::{
    Catalogue, ConfounderDecision, DecisionRule, Effects, Minutes, Panel, PhenotypeDecision,
    Proposal, ProtocolConfig, TranscriptEntry, Variable,
};
pub use roles::{load_roles, RoleKind, RoleSpec};
pub use tools::{ToolError, ToolHost};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("panel configuration: {0}")]
    Config(String),
    #[error("stage '{stage}': only {answered} of {voters} agents gave a valid answer; the quorum is {needed}. The transcript shows why; fix the backend or lower `panel.quorum`, then run the study again to resume")]
    NoQuorum {
        stage: String,
        answered: usize,
        needed: usize,
        voters: usize,
    },
    #[error("the model call {step} failed: {message}")]
    Call { step: String, message: String },
    #[error("the meeting cannot go on: {0}")]
    Protocol(String),
}
