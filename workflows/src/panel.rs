//! The panel as journaled steps: builds the backend from the study's `[panel]` table, runs the
//! meeting with every model call and tool call journaled (so a resumed study replays them and
//! never pays twice), and writes `decisions.json`, `transcript.json` and `transcript.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use meshagents_agents::protocol::{Ledger, TranscriptEntry};
use meshagents_agents::transcript::to_markdown;
use meshagents_agents::{
    load_roles, AgentError, Backend, Catalogue, ConfounderDecision, Effects, EmbeddedBackend,
    Knowledge, OpenAiBackend, OpenAiConfig, Panel, PhenotypeDecision, ProtocolConfig,
    StructuredOutput, ToolHost, Variable,
};
use meshagents_engine::{run_activities_until, AttemptError, EngineError, Journal, RetryPolicy};
use meshagents_stats::cohort::AnalysisTable;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::files::{record, WrittenFile};
pub use crate::model_server::ServerConfig;
use crate::model_server::{ModelServer, ServerError};
use crate::progress::{transcript_event, Progress};
use crate::tool_host::Scope;
use crate::WorkflowError;
use meshagents_agents::order::CausalOrder;

/// The `[panel]` table of `STUDY.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelConfig {
    /// `embedded` (offline expert panel, the default) or `openai` (any OpenAI-compatible
    /// server: OpenAI, Ollama, vLLM, llama.cpp; configured in `[panel.openai]`).
    #[serde(default = "default_backend")]
    pub backend: String,
    /// A person approves (or edits) the panel's confounder set before the associations run:
    /// the study pauses after the panel until `meshagents study approve DIR`.
    #[serde(default)]
    pub approve: bool,
    /// A roles file adding roles or replacing shipped ones by id.
    #[serde(default)]
    pub roles: Option<PathBuf>,
    /// A causal-order file (tiers of dictionary categories) replacing the shipped one
    /// (`agents/data/causal_order.toml`).
    #[serde(default)]
    pub causal_order: Option<PathBuf>,
    #[serde(default)]
    pub protocol: ProtocolConfig,
    #[serde(default)]
    pub openai: OpenAiConfig,
    /// A local model server the study starts itself (`backend = "openai"` only); its port
    /// replaces `[panel.openai] base_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerConfig>,
    /// Retries and timeouts of model calls.
    #[serde(default = "default_retry")]
    pub retry: RetryPolicy,
}

fn default_backend() -> String {
    "embedded".into()
}

fn default_retry() -> RetryPolicy {
    RetryPolicy {
        non_retryable: vec![
            "unauthorized".into(),
            "invalid_request".into(),
            "configuration".into(),
        ],
        ..RetryPolicy::default()
    }
}

impl Default for PanelConfig {
    fn default() -> Self {
        PanelConfig {
            backend: default_backend(),
            approve: false,
            roles: None,
            causal_order: None,
            protocol: ProtocolConfig::default(),
            openai: OpenAiConfig::default(),
            server: None,
            retry: default_retry(),
        }
    }
}

impl PanelConfig {
    /// Checks what can be checked before anything runs, with errors naming the key.
    pub fn validate(&self) -> Result<(), WorkflowError> {
        match self.backend.as_str() {
            "embedded" | "openai" => {}
            other => {
                return Err(WorkflowError::Invalid(format!(
                    "key `panel.backend`: unknown backend '{other}' (available: embedded, openai)"
                )))
            }
        }
        let p = &self.protocol;
        if p.max_rounds == 0 || p.min_rounds > p.max_rounds {
            return Err(WorkflowError::Invalid(format!("keys `panel.protocol.min_rounds` ({}) and `max_rounds` ({}): need 1 <= min_rounds <= max_rounds", p.min_rounds, p.max_rounds)));
        }
        for (key, v) in [
            ("quorum", p.quorum),
            ("agreement_threshold", p.agreement_threshold),
            ("phenotype_min_share", p.phenotype_min_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(WorkflowError::Invalid(format!(
                    "key `panel.protocol.{key}`: {v} is not between 0 and 1"
                )));
            }
        }
        if self.backend == "openai" {
            self.openai
                .validate()
                .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
        }
        // One timeout per model call: the retry policy's limit on an attempt may not cut a
        // call short that the HTTP client would still wait for (the call would be abandoned
        // and sent again, and paid twice).
        if self.backend == "openai" {
            if let Some(attempt) = self.retry.start_to_close {
                if attempt < std::time::Duration::from_secs(self.openai.timeout_s) {
                    return Err(WorkflowError::Invalid(format!(
                        "keys `panel.retry.start_to_close` ({} ms) and `panel.openai.timeout_s` ({} s) contradict each other: an attempt would be abandoned before the model call's own timeout; make start_to_close at least timeout_s x 1000, or lower timeout_s",
                        attempt.as_millis(),
                        self.openai.timeout_s
                    )));
                }
            }
        }
        if !p.tools && self.backend != "openai" {
            return Err(WorkflowError::Invalid(format!(
                "key `panel.protocol.tools`: false is for model servers that cannot call tools; the {} backend always works through its tools",
                self.backend
            )));
        }
        if p.context_tokens < 1024 {
            return Err(WorkflowError::Invalid(format!(
                "key `panel.protocol.context_tokens`: {} is too small for any prompt of the panel (at least 1024; 8192 for an 8k model)",
                p.context_tokens
            )));
        }
        if let Some(server) = &self.server {
            if self.backend != "openai" {
                return Err(WorkflowError::Invalid(format!(
                    "key `panel.server`: a model server the study starts serves the OpenAI-compatible backend; set `panel.backend = \"openai\"` (it is '{}') or remove [panel.server]",
                    self.backend
                )));
            }
            server.validate().map_err(WorkflowError::Invalid)?;
        }
        if p.max_candidates == 0 {
            return Err(WorkflowError::Invalid(
                "key `panel.protocol.max_candidates`: must be at least 1".into(),
            ));
        }
        if self.retry.maximum_attempts == 0 {
            return Err(WorkflowError::Invalid(
                "key `panel.retry.maximum_attempts`: must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The backend, with the API key read from the environment (never from the file).
    pub fn backend(&self) -> Result<Box<dyn Backend>, WorkflowError> {
        self.backend_at(None)
    }

    /// The backend, the OpenAI-compatible one at `base_url` when given (a managed server's).
    fn backend_at(&self, base_url: Option<&str>) -> Result<Box<dyn Backend>, WorkflowError> {
        let agent = |e: AgentError| WorkflowError::Invalid(e.to_string());
        Ok(match self.backend.as_str() {
            "openai" => {
                let mut openai = self.openai.clone();
                if let Some(url) = base_url {
                    openai.base_url = url.to_string();
                }
                Box::new(
                    OpenAiBackend::new(openai)
                        .map_err(|e| WorkflowError::Invalid(format!("panel backend: {e}")))?,
                )
            }
            _ => Box::new(EmbeddedBackend::new(Knowledge::shipped().map_err(agent)?)),
        })
    }

    /// A short name for `study list` and the report.
    pub fn describe(&self) -> String {
        match self.backend.as_str() {
            "openai" => format!("openai-compatible:{}", self.openai.model),
            other => other.to_string(),
        }
    }
}

/// Why a meeting stopped when it was not the agents' doing: the caller reports it as itself
/// (a pause, a model server that went away) instead of as a failed model call.
enum Halt {
    Paused,
    Server(ServerError),
}

/// The meeting's effects over the journal.
struct JournalEffects<'a> {
    journal: &'a Journal,
    progress: &'a dyn Progress,
    /// The configured backend: the one that answers unless a managed server does.
    backend: &'a dyn Backend,
    config: &'a PanelConfig,
    server: &'a ModelServer,
    /// The backend at the managed server's port, built when the server first answers.
    managed: std::sync::OnceLock<Box<dyn Backend>>,
    halt: std::sync::Mutex<Option<Halt>>,
    host: &'a dyn ToolHost,
    policy: RetryPolicy,
    concurrency: usize,
    /// Prompt and completion tokens of every reply so far in the study (replayed ones too),
    /// against `max_total_tokens` (0: no limit).
    spent: std::sync::atomic::AtomicU64,
    max_total_tokens: u64,
}

impl JournalEffects<'_> {
    fn halt(&self, halt: Halt, step: String) -> AgentError {
        let message = match &halt {
            Halt::Paused => "paused on request".to_string(),
            Halt::Server(e) => e.to_string(),
        };
        if let Ok(mut slot) = self.halt.lock() {
            slot.get_or_insert(halt);
        }
        AgentError::Call { step, message }
    }

    /// The backend for calls that are not in the journal: with `[panel.server]`, the server's
    /// (started now if it is not running); a panel whose calls all replay starts nothing.
    async fn live_backend(&self, steps: &str) -> Result<&dyn Backend, AgentError> {
        if !self.server.is_managed() {
            return Ok(self.backend);
        }
        if let Some(backend) = self.managed.get() {
            if let Some(e) = self.server.exited() {
                self.server.report_exit(self.journal, self.progress);
                return Err(self.halt(Halt::Server(e), steps.into()));
            }
            return Ok(backend.as_ref());
        }
        let url = match self
            .server
            .ensure(self.journal, self.progress, &crate::interrupt::requested)
            .await
        {
            Ok(url) => url,
            Err(ServerError::Paused) => return Err(self.halt(Halt::Paused, steps.into())),
            Err(e) => {
                self.server.report_exit(self.journal, self.progress);
                return Err(self.halt(Halt::Server(e), steps.into()));
            }
        };
        let backend = self
            .config
            .backend_at(Some(&url))
            .map_err(|e| AgentError::Call {
                step: steps.into(),
                message: e.to_string(),
            })?;
        Ok(self.managed.get_or_init(|| backend).as_ref())
    }
}

#[async_trait]
impl Effects for JournalEffects<'_> {
    async fn chats(
        &self,
        calls: Vec<(String, meshagents_agents::message::Request)>,
    ) -> Result<Vec<meshagents_agents::message::Reply>, AgentError> {
        let steps = calls
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let fresh = calls
            .iter()
            .any(|(k, _)| !self.journal.is_completed(k).unwrap_or(false));
        let backend = if fresh {
            self.live_backend(&steps).await?
        } else {
            self.backend
        };
        let server = self.server;
        let requests: Vec<&meshagents_agents::message::Request> =
            calls.iter().map(|(_, r)| r).collect();
        let gone = || {
            server.exited().map(|e| AttemptError {
                class: "model_server_exited".into(),
                message: e.to_string(),
                retryable: false,
                retry_after: None,
            })
        };
        let outcomes = run_activities_until(
            self.journal,
            &calls,
            self.concurrency,
            &self.policy,
            |index, _attempt| {
                let request = requests[index];
                // Only calls not yet in the journal get here: a spent budget stops the study
                // before it pays for another, and raising the limit resumes it.
                let spent = self.spent.load(std::sync::atomic::Ordering::SeqCst);
                let limit = self.max_total_tokens;
                async move {
                    if limit > 0 && spent >= limit {
                        return Err(AttemptError {
                            class: "token_budget".into(),
                            message: format!(
                                "the study's token budget is spent: {spent} tokens used, `panel.protocol.max_total_tokens` = {limit}; raise it and run the study again to resume (every call made so far is kept)"
                            ),
                            retryable: false,
                            retry_after: None,
                        });
                    }
                    // A server that died is not retried: every attempt would fail the same way.
                    if let Some(e) = gone() {
                        return Err(e);
                    }
                    backend.chat(request).await.map_err(|e| {
                        gone().unwrap_or(AttemptError {
                            class: e.class.to_string(),
                            message: e.message,
                            retryable: e.retryable,
                            retry_after: e.retry_after,
                        })
                    })
                }
            },
            &crate::interrupt::requested,
        )
        .await;
        match outcomes {
            Ok(outcomes) => {
                let replies: Vec<meshagents_agents::message::Reply> =
                    outcomes.into_iter().map(|o| o.value).collect();
                let used: u64 = replies
                    .iter()
                    .map(|r| r.usage.prompt_tokens + r.usage.completion_tokens)
                    .sum();
                self.spent
                    .fetch_add(used, std::sync::atomic::Ordering::SeqCst);
                Ok(replies)
            }
            Err(EngineError::Stopped { .. }) => Err(self.halt(Halt::Paused, steps)),
            Err(e) => match self.server.exited() {
                Some(exited) => {
                    self.server.report_exit(self.journal, self.progress);
                    Err(self.halt(Halt::Server(exited), steps))
                }
                None => Err(AgentError::Call {
                    step: steps,
                    message: e.to_string(),
                }),
            },
        }
    }

    fn tool(&self, key: &str, name: &str, arguments: &Value) -> Result<Value, AgentError> {
        let request = json!({"tool": name, "arguments": arguments});
        self.journal
            .step(key, &request, || {
                Ok::<_, std::convert::Infallible>(match self.host.call(name, arguments) {
                    Ok(v) => v,
                    Err(e) => json!({"error": e.to_string()}),
                })
            })
            .map(|o| o.value)
            .map_err(|e| AgentError::Call {
                step: key.into(),
                message: e.to_string(),
            })
    }

    fn record(&self, entry: &TranscriptEntry) {
        self.progress.panel_event(entry);
        let _ = self
            .journal
            .event("panel/transcript", &transcript_event(entry));
    }

    fn prices(&self) -> (f64, f64) {
        self.backend.prices()
    }
}

/// Variables as the agents see them, from the dictionary.
pub(crate) fn variables(table: &AnalysisTable, names: &[String]) -> Vec<Variable> {
    names
        .iter()
        .map(|n| {
            let entry = table.dictionary.get(n);
            Variable {
                name: n.clone(),
                description: entry.map(|e| e.description.clone()).unwrap_or_default(),
                category: entry.map(|e| e.category.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

fn runtime() -> Result<tokio::runtime::Runtime, WorkflowError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| WorkflowError::Invalid(format!("cannot start the async runtime: {e}")))
}

fn agent_error(e: AgentError) -> WorkflowError {
    WorkflowError::Invalid(e.to_string())
}

/// Everything one meeting needs.
pub(crate) struct Meeting<'a> {
    pub config: &'a PanelConfig,
    pub journal: &'a Journal,
    pub host: &'a dyn ToolHost,
    /// Where a relative roles path is resolved.
    pub base_dir: &'a Path,
    pub progress: &'a dyn Progress,
    /// Tokens the study's earlier meetings spent, counted against `max_total_tokens`.
    pub spent_before: u64,
    pub server: &'a ModelServer,
    /// The study step the meeting is (number and title), for a pause's message.
    pub step: (usize, &'a str),
}

impl Meeting<'_> {
    fn run<T>(
        &self,
        meet: impl FnOnce(&Panel) -> Result<T, AgentError>,
    ) -> Result<T, WorkflowError> {
        let roles_path = self.config.roles.as_ref().map(|p| {
            if p.is_absolute() {
                p.clone()
            } else {
                self.base_dir.join(p)
            }
        });
        let roles = load_roles(roles_path.as_deref()).map_err(agent_error)?;
        let backend = self.config.backend()?;
        let effects = JournalEffects {
            journal: self.journal,
            progress: self.progress,
            backend: backend.as_ref(),
            config: self.config,
            server: self.server,
            managed: std::sync::OnceLock::new(),
            halt: std::sync::Mutex::new(None),
            host: self.host,
            policy: self.config.retry.clone(),
            concurrency: self.config.openai.concurrency.max(1),
            spent: self.spent_before.into(),
            max_total_tokens: self.config.protocol.max_total_tokens,
        };
        let mut protocol = self.config.protocol.clone();
        protocol.schema_in_prompt = self.config.backend == "openai"
            && self.config.openai.structured_output != StructuredOutput::JsonSchema;
        // The embedded panel has no context window, and reads every tool result it asked
        // for: nothing of its history is condensed (prompt sizes are still recorded).
        if self.config.backend != "openai" {
            protocol.context_tokens = usize::MAX;
        }
        let panel = Panel {
            roles: &roles,
            config: &protocol,
            effects: &effects,
        };
        let result = meet(&panel);
        let halt = effects.halt.lock().ok().and_then(|mut h| h.take());
        // Under Slurm, `scancel` and the time limit send SIGTERM to the server as well as to
        // the study: a server gone during a pause is part of the pause.
        let halt = match halt {
            Some(Halt::Server(_)) if crate::interrupt::requested() => Some(Halt::Paused),
            other => other,
        };
        result.map_err(|e| match halt {
            Some(Halt::Paused) => WorkflowError::PausedDuring {
                step: self.step.0,
                title: self.step.1.to_string(),
            },
            Some(Halt::Server(e)) => WorkflowError::ModelServer(e),
            None => agent_error(e),
        })
    }

    pub fn confounders(
        &self,
        seeds: &[Variable],
        catalogue: Option<&Catalogue>,
    ) -> Result<ConfounderDecision, WorkflowError> {
        let runtime = runtime()?;
        self.run(|panel| runtime.block_on(panel.confounders(seeds, catalogue)))
    }

    pub fn phenotypes(
        &self,
        confounders: &[String],
        phenotypes: &[Variable],
        diseases: &[Variable],
    ) -> Result<PhenotypeDecision, WorkflowError> {
        let runtime = runtime()?;
        self.run(|panel| runtime.block_on(panel.phenotypes(confounders, phenotypes, diseases)))
    }
}

/// `decisions.json`, `transcript.json` and `transcript.md` from the two stages' decisions.
pub(crate) fn write_decisions(
    out: &Path,
    backend: &str,
    confounders: &[String],
    stage_a: Option<&ConfounderDecision>,
    stage_b: Option<&PhenotypeDecision>,
    split: Option<&meshagents_stats::cohort::split::SplitSummary>,
) -> Result<Vec<WrittenFile>, WorkflowError> {
    let mut ledger = stage_b
        .map(|b| b.minutes.ledger.clone())
        .unwrap_or_default();
    if let Some(a) = stage_a {
        ledger.extend(a.minutes.ledger.clone());
    }
    let decisions = json!({
        "backend": backend,
        "confounders": confounders,
        "phenotypes": stage_b.map(|b| b.phenotypes.clone()).unwrap_or_default(),
        "disease_phenotypes": stage_b.map(|b| b.disease_phenotypes.clone()).unwrap_or_default(),
        "agreement": {
            "confounders": stage_a.map(|a| serde_json::to_value(&a.minutes.rounds).unwrap_or(Value::Null)),
            "phenotypes": stage_b.map(|b| serde_json::to_value(&b.minutes.rounds).unwrap_or(Value::Null)),
        },
        "proposals": stage_a.map(|a| json!({"seeds": a.seeds, "items": a.proposals})),
        "provenance": {
            "confounders": stage_a.map(|a| json!({"items": a.items, "chair": a.minutes.chair_summary})),
            "phenotypes": stage_b.map(|b| json!({"items": b.items, "chair": b.minutes.chair_summary})),
        },
        "usage": ledger,
        // Which participants the panel's evidence came from, and which the classifiers are
        // scored on: the seed, and the discovery and evaluated counts per disease.
        "split": split,
    });
    let write = |name: &str, text: String| -> Result<WrittenFile, WorkflowError> {
        let path = out.join(name);
        std::fs::write(&path, text)
            .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
        record(out, name)
    };
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let mut transcript: Vec<TranscriptEntry> = stage_a
        .map(|a| a.minutes.transcript.clone())
        .unwrap_or_default();
    if let Some(b) = stage_b {
        transcript.extend(b.minutes.transcript.iter().cloned());
    }
    Ok(vec![
        write("decisions.json", pretty(&decisions))?,
        write(
            "transcript.json",
            pretty(&serde_json::to_value(&transcript).unwrap_or(Value::Null)),
        )?,
        write(
            "transcript.md",
            to_markdown(&format!("Panel transcript ({backend})"), &transcript),
        )?,
    ])
}

/// `DIR/decisions.json` as [`write_decisions`] wrote it, or `None` when the panel has not
/// written one. Plain JSON: the report and the validation each read the fields they need.
pub fn read_decisions(dir: &Path) -> Result<Option<Value>, WorkflowError> {
    let path = dir.join("decisions.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(WorkflowError::io(path.display().to_string(), e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| WorkflowError::json(format!("{}: not a decisions file", path.display()), e))
}

/// The panel's model usage summed over its stages and agents (`usage` of
/// `DIR/decisions.json`); zero when the panel has not written its decisions.
pub fn read_usage(dir: &Path) -> Result<Ledger, WorkflowError> {
    let Some(decisions) = read_decisions(dir)? else {
        return Ok(Ledger::default());
    };
    let usage: BTreeMap<String, Ledger> = serde_json::from_value(
        decisions.get("usage").cloned().unwrap_or(Value::Null),
    )
    .map_err(|e| WorkflowError::File {
        path: dir.join("decisions.json").display().to_string(),
        message: format!("`usage`: {e}"),
    })?;
    Ok(usage.values().fold(Ledger::default(), |mut total, l| {
        total.calls += l.calls;
        total.prompt_tokens += l.prompt_tokens;
        total.completion_tokens += l.completion_tokens;
        total.cost_usd += l.cost_usd;
        total
    }))
}

/// What the panel may propose from and what its screen looks at: every non-imaging column of
/// the loaded table that is not the id or a disease label (and not one of the study's
/// phenotypes) may be proposed; the screen covers the study's phenotype x factor pairs; each
/// variable's causal-order position comes from its dictionary category.
pub(crate) fn discovery(
    table: &AnalysisTable,
    phenotypes: &[String],
    factors: &[String],
    config: &PanelConfig,
    base_dir: &Path,
) -> Result<(Scope, Catalogue), WorkflowError> {
    use meshagents_stats::data::dictionary::Role;
    let order_path = config.causal_order.as_ref().map(|p| {
        if p.is_absolute() {
            p.clone()
        } else {
            base_dir.join(p)
        }
    });
    let order = CausalOrder::load(order_path.as_deref()).map_err(agent_error)?;
    let present = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|n| table.column(n).is_some())
            .cloned()
            .collect()
    };
    let (phenotypes, factors) = (present(phenotypes), present(factors));
    let mut eligible = Vec::new();
    let mut excluded = std::collections::BTreeMap::new();
    for entry in &table.dictionary.entries {
        let why = match entry.role {
            Role::Imaging => Some("an imaging phenotype"),
            Role::Disease => Some("a disease label"),
            Role::Id => Some("the participant id"),
            _ if phenotypes.contains(&entry.column) => Some("one of the study's phenotypes"),
            _ => None,
        };
        match why {
            Some(why) => {
                excluded.insert(entry.column.clone(), why.to_string());
            }
            None if table.column(&entry.column).is_some() => eligible.push(entry.column.clone()),
            None => {
                excluded.insert(
                    entry.column.clone(),
                    "not loaded for this study (dropped by cleaning, or not in its lists)".into(),
                );
            }
        }
    }
    let positions = table
        .dictionary
        .entries
        .iter()
        .filter_map(|e| order.position(&e.category).map(|p| (e.column.clone(), p)))
        .collect();
    let catalogue = Catalogue {
        eligible: variables(table, &eligible),
        excluded,
    };
    Ok((
        Scope::new(phenotypes, factors, eligible, positions),
        catalogue,
    ))
}

/// Stage A on its own, on a loaded table: the panel proposes from the table's catalogue and
/// votes, with every call journaled in `journal_dir` (created if needed). For studies the
/// workflow runs it as the `panel/confounders` step; this entry point serves checks of the
/// panel against known causal structures.
pub fn confounder_panel(
    table: &AnalysisTable,
    seeds: &[String],
    pairs: (&[String], &[String]),
    config: &PanelConfig,
    journal_dir: &Path,
    threads: usize,
) -> Result<ConfounderDecision, WorkflowError> {
    // The engine's error names the journal's path and keeps the storage error as its source.
    let journal = Journal::open(journal_dir)?;
    let (scope, catalogue) = discovery(table, pairs.0, pairs.1, config, journal_dir)?;
    let host = crate::tool_host::StatsToolHost::new(table, &[], threads).with_scope(scope);
    let server = ModelServer::new(config.server.clone(), journal_dir);
    Meeting {
        config,
        journal: &journal,
        host: &host,
        base_dir: journal_dir,
        progress: &crate::progress::Quiet,
        spent_before: 0,
        server: &server,
        step: (1, crate::plan::Step::PanelConfounders.title()),
    }
    .confounders(&variables(table, seeds), Some(&catalogue))
}
