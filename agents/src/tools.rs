//! The tools an agent may call: typed, described by JSON schemas, answered by the workflow's
//! statistics (the `ToolHost`). No tool touches the filesystem or the network: the host
//! answers from the study's loaded table.

use serde_json::{json, Value};

use crate::message::ToolSpec;
use crate::schema::violations;

/// Why a tool call could not be answered. Fed back to the agent as the tool's result, so the
/// agent can correct itself (an unknown variable, a bad argument).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    #[error("unknown variable '{name}'{}", if suggestions.is_empty() { String::new() } else { format!("; did you mean: {}?", suggestions.join(", ")) })]
    UnknownVariable {
        name: String,
        suggestions: Vec<String>,
    },
    #[error("bad arguments: {0}")]
    BadArguments(String),
    #[error("the statistics failed: {0}")]
    Failed(String),
}

/// Answers tool calls from the study's data. Implemented by the workflow over `stats`.
pub trait ToolHost: Send + Sync {
    fn call(&self, name: &str, arguments: &Value) -> Result<Value, ToolError>;
}

fn names(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string"}, "description": description})
}

/// Every tool, with its argument schema.
pub fn all_tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "list_variables".into(),
            description: "List the dataset's variables (name, role, category, description), filtered by role, by category, and by a text search over names and descriptions (every word must match), a page at a time.".into(),
            parameters: json!({"type": "object", "properties": {
                "role": {"type": "string", "enum": ["imaging", "covariate", "factor", "disease"]},
                "category": {"type": "string"},
                "search": {"type": "string", "description": "words that must all occur in the name or the description (case-insensitive)"},
                "offset": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer", "minimum": 1, "maximum": 200}}}),
        },
        ToolSpec {
            name: "describe_variable".into(),
            description: "Describe one variable: description, category, type, number present and missing, mean and SD or level counts.".into(),
            parameters: json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
        },
        ToolSpec {
            name: "association_screen".into(),
            description: "Associate one variable (a candidate or a disease label) with every imaging phenotype, adjusted for the given covariates; returns each phenotype's estimate, p and the Bonferroni threshold, strongest first.".into(),
            parameters: json!({"type": "object", "required": ["variable"], "properties": {"variable": {"type": "string"}, "covariates": names("adjust for these variables")}}),
        },
        ToolSpec {
            name: "adjusted_association".into(),
            description: "One adjusted association: phenotype ~ factor + covariates (logistic factor ~ phenotype + covariates for a binary factor); returns n, beta, SE, p.".into(),
            parameters: json!({"type": "object", "required": ["phenotype", "factor"], "properties": {"phenotype": {"type": "string"}, "factor": {"type": "string"}, "covariates": names("adjust for these variables")}}),
        },
        ToolSpec {
            name: "change_in_estimate".into(),
            description: "Evidence that a candidate confounds: the share of imaging phenotypes and of factors it correlates with (|r| >= 0.1), and the median relative change of the strongest factor-phenotype slopes when it is added.".into(),
            parameters: json!({"type": "object", "required": ["candidate"], "properties": {"candidate": {"type": "string"}}}),
        },
        ToolSpec {
            name: "confounder_screen".into(),
            description: "Rank variables as confounders of this study: for each, what adding it to the adjustment set `adjusted_for` does to every phenotype x factor association (share of informative pairs whose estimate moves by more than 10%, the median move where it is associated with the factor), its association with phenotypes and factors, missingness, R^2 with the set, and its mediator risk (share of moved pairs whose factor comes earlier in the causal order). Members of the set are reported as if left out and added back.".into(),
            parameters: json!({"type": "object", "properties": {
                "adjusted_for": names("the current adjustment set (default: none)"),
                "variables": names("only these variables (default: every eligible one)"),
                "top": {"type": "integer", "minimum": 1, "maximum": 400, "description": "return the strongest N candidates (default 25)"}}}),
        },
        ToolSpec {
            name: "collinearity".into(),
            description: "Variance inflation factors of a set of variables and each one's most correlated partner.".into(),
            parameters: json!({"type": "object", "required": ["variables"], "properties": {"variables": names("two or more variables")}}),
        },
        ToolSpec {
            name: "missingness".into(),
            description: "Share missing for each variable and the number of complete rows across all of them.".into(),
            parameters: json!({"type": "object", "required": ["variables"], "properties": {"variables": names("variables to check")}}),
        },
    ]
}

/// The fields of a `confounder_screen` entry that summarise it: what a proposal cites and
/// what the merged list shows every agent.
pub const SCREEN_SUMMARY_FIELDS: [&str; 10] = [
    "status",
    "pairs_moved",
    "factors_moved",
    "share_moved",
    "median_move_associated",
    "phenotype_share",
    "factors_associated",
    "missing_share",
    "r2_with_set",
    "mediator_risk",
];

/// Only the summary fields of a `confounder_screen` entry.
pub fn screen_summary(entry: &Value) -> Value {
    Value::Object(
        SCREEN_SUMMARY_FIELDS
            .iter()
            .filter_map(|k| entry.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect(),
    )
}

/// The tools a role may use.
pub fn tools_for(allowed: &[String]) -> Vec<ToolSpec> {
    all_tools()
        .into_iter()
        .filter(|t| allowed.iter().any(|a| a == &t.name))
        .collect()
}

/// Checks a call against the role's tools and the argument schema; the host checks names.
pub fn check_call(allowed: &[ToolSpec], name: &str, arguments: &Value) -> Result<(), ToolError> {
    let Some(spec) = allowed.iter().find(|t| t.name == name) else {
        return Err(ToolError::BadArguments(format!(
            "no tool '{name}' is available to you (available: {})",
            allowed
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let problems = violations(&spec.parameters, arguments);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ToolError::BadArguments(problems.join("; ")))
    }
}

/// Up to three known names that look like `name` (shared prefix or containment), for the
/// error an agent sees when it names a variable that does not exist.
pub fn suggestions<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut out: Vec<String> = known
        .filter(|k| {
            let k = k.to_lowercase();
            !lower.is_empty()
                && (k.contains(&lower)
                    || lower.contains(&k)
                    || k.starts_with(&lower.chars().take(3).collect::<String>()))
        })
        .map(str::to_string)
        .collect();
    out.sort();
    out.truncate(3);
    out
}
