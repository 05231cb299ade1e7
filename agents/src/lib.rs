//! `meshagents-agents`: the multidisciplinary panel that makes a study's judgement calls.
//!
//! Owns the agent roles (cardiologist, biomechanics expert, statistician, clinical
//! researcher, chair), what each of them knows, and the meeting protocol that turns their
//! votes into a decision with reasons a reviewer can read. This first panel is the offline,
//! rule-based one: each role matches the candidate variables onto clinical concepts and weighs
//! the statistical evidence it is shown, and the chair tallies confidence-weighted votes.
//!
//! Must not depend on: `meshagents-stats` (agents see evidence as plain data handed to them
//! by the workflow), `meshagents-engine`, `meshagents-workflows`, `meshagents-tui`.

pub mod concepts;
pub mod panel;

pub use concepts::Concept;
pub use panel::{convene, CandidateEvidence, CandidateTally, PanelDecision, Role, Vote};
