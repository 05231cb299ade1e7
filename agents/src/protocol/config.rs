//! `[panel.protocol]`: how the meeting runs (rounds, agreement, quorum, the decision rule)
//! and what it may spend (tokens per answer and per study, the context budget).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DecisionRule {
    /// Confidence-weighted majority of the votes.
    #[default]
    Vote,
    /// Adjust only for what every voter accepts.
    Consensus,
}

/// The `[panel]` protocol settings of a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolConfig {
    /// Rounds at most per stage, the silent first round included.
    pub max_rounds: u32,
    /// Rounds at least per stage (2 forces one discussion round).
    pub min_rounds: u32,
    /// Stop once Fleiss' kappa of the round reaches this.
    pub agreement_threshold: f64,
    /// Share of voters whose answers are needed for a decision.
    pub quorum: f64,
    pub decision_rule: DecisionRule,
    /// Model turns with tools per agent per round before a final answer is required.
    pub max_tool_turns: u32,
    /// Phenotypes each agent proposes per disease at most.
    pub phenotypes_per_disease: usize,
    /// Share of voters that must pick a phenotype for a disease for it to be chosen.
    pub phenotype_min_share: f64,
    pub temperature: f64,
    pub seed: u64,
    /// Stage A opens with proposals from the whole catalogue (any non-imaging column that is
    /// not the id or a disease label), and agents may propose more in every discussion round.
    /// `false` keeps the closed list of seed candidates.
    pub propose: bool,
    /// Candidates voted on at most (seeds included).
    pub max_candidates: usize,
    /// Model turns with tools per agent in the proposal part of stage A: searching a
    /// catalogue takes more looks than voting on a list.
    pub proposal_tool_turns: u32,
    /// The model's context window in tokens. Every prompt is fitted into it with room for the
    /// answer (old tool results condensed, then dropped), or the call is not made and the
    /// error names this key. The default fits an 8k local model; hosted models take far more
    /// (gpt-4o-mini: 128000).
    pub context_tokens: usize,
    /// Completion tokens at most per reply, by stage; 0 sizes it to the schema of the answer
    /// (about 120 tokens per vote, selection or proposal).
    pub max_tokens: StageTokens,
    /// Prompt and completion tokens at most for the whole study, replayed calls included; 0
    /// is no limit. When spent, the study stops before the next model call and resumes once
    /// the limit is raised.
    pub max_total_tokens: u64,
    /// Offer agents the statistical tools. `false` is for servers or models that cannot call
    /// tools: the evidence an agent needs is then put in its prompt.
    pub tools: bool,
    /// Whether the backend writes the answer's schema into the prompt (every mode but
    /// `json_schema`), so that the context budget counts it. Set by the workflow.
    #[serde(skip)]
    pub schema_in_prompt: bool,
}

impl ProtocolConfig {
    /// The settings that shape the meeting's results, for the journal's step requests and the
    /// study's identity: the token budget only limits how far a run gets (raising it resumes
    /// the same study), so it is left out.
    pub fn identity(&self) -> ProtocolConfig {
        ProtocolConfig {
            max_total_tokens: 0,
            ..self.clone()
        }
    }
}

/// `[panel.protocol.max_tokens]`: completion tokens at most per reply in each part of the
/// meeting; 0 sizes the limit to the answer's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StageTokens {
    pub proposals: u32,
    pub confounders: u32,
    pub phenotypes: u32,
    pub chair: u32,
}

impl StageTokens {
    /// The limit for `part`: the configured one, or `sized` when none is set.
    pub(super) fn or(self, part: &str, sized: u32) -> u32 {
        let set = match part {
            "proposals" => self.proposals,
            "confounders" => self.confounders,
            "phenotypes" => self.phenotypes,
            _ => self.chair,
        };
        if set == 0 {
            sized
        } else {
            set
        }
    }
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        ProtocolConfig {
            max_rounds: 3,
            min_rounds: 1,
            agreement_threshold: 0.8,
            quorum: 0.75,
            decision_rule: DecisionRule::Vote,
            max_tool_turns: 3,
            phenotypes_per_disease: 6,
            phenotype_min_share: 0.5,
            temperature: 0.2,
            seed: 42,
            propose: true,
            max_candidates: 20,
            proposal_tool_turns: 8,
            context_tokens: 8192,
            max_tokens: StageTokens::default(),
            max_total_tokens: 0,
            tools: true,
            schema_in_prompt: false,
        }
    }
}
