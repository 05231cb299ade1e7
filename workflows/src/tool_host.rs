//! The agents' tools, answered from the study's loaded table by the statistics crate. No tool
//! reads or writes a file or opens a connection: everything comes from memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use meshagents_agents::tools::suggestions;
use meshagents_agents::{ToolError, ToolHost};
use meshagents_stats::cohort::{pairwise_r, AnalysisTable};
use meshagents_stats::confounding::{screen, CovariateEvidence, ScreenRequest, DEFAULT_MAX_PAIRS};
use meshagents_stats::data::dictionary::{Role, ValueType};
use meshagents_stats::data::transform::Transform;
use meshagents_stats::models::ols::{complete_rows, fit_rows};
use meshagents_stats::phewas::{self, Method, ModelChoice, PhewasRequest};
use serde_json::{json, Value};

pub struct StatsToolHost<'a> {
    table: &'a AnalysisTable,
    evidence: BTreeMap<String, CovariateEvidence>,
    threads: usize,
    scope: Option<Scope>,
    /// Agents ask the same questions (every voter screens every disease): answer once.
    cache: Mutex<BTreeMap<String, Value>>,
}

/// What the confounder screen looks at: the study's phenotypes and factors (its pairs), the
/// variables that may be proposed, and the causal order of each variable.
#[derive(Debug, Clone)]
pub struct Scope {
    pub phenotypes: Vec<String>,
    pub factors: Vec<String>,
    /// Any non-imaging column that is not the id or a disease label.
    pub eligible: Vec<String>,
    /// Causal-order position of each variable whose category has one.
    pub order: BTreeMap<String, u32>,
    /// Pairs screened at most, and the seed of the sample beyond.
    pub max_pairs: usize,
    pub seed: u64,
}

impl Scope {
    pub fn new(
        phenotypes: Vec<String>,
        factors: Vec<String>,
        eligible: Vec<String>,
        order: BTreeMap<String, u32>,
    ) -> Self {
        Scope {
            phenotypes,
            factors,
            eligible,
            order,
            max_pairs: DEFAULT_MAX_PAIRS,
            seed: 20_191,
        }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Imaging => "imaging",
        Role::Covariate => "covariate",
        Role::Factor => "factor",
        Role::Disease => "disease",
        _ => "other",
    }
}

fn finite(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

impl<'a> StatsToolHost<'a> {
    pub fn new(table: &'a AnalysisTable, evidence: &[CovariateEvidence], threads: usize) -> Self {
        StatsToolHost {
            table,
            evidence: evidence
                .iter()
                .map(|e| (e.column.clone(), e.clone()))
                .collect(),
            threads,
            scope: None,
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// The study's pairs and catalogue, which `confounder_screen` needs.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// The column, or an error naming it with suggestions the agent can use.
    fn column(&self, name: &str) -> Result<&'a [f64], ToolError> {
        self.table
            .column(name)
            .ok_or_else(|| ToolError::UnknownVariable {
                name: name.to_string(),
                suggestions: suggestions(name, self.table.columns.iter().map(|c| c.name.as_str())),
            })
    }

    fn names(arguments: &Value, key: &str) -> Vec<String> {
        arguments[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    }

    fn text<'v>(arguments: &'v Value, key: &str) -> Result<&'v str, ToolError> {
        arguments[key]
            .as_str()
            .ok_or_else(|| ToolError::BadArguments(format!("'{key}' must be a string")))
    }

    fn list_variables(&self, arguments: &Value) -> Result<Value, ToolError> {
        let category = arguments["category"].as_str();
        let role = arguments["role"].as_str();
        let words: Vec<String> = arguments["search"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let offset = arguments["offset"].as_u64().unwrap_or(0) as usize;
        let limit = arguments["limit"].as_u64().unwrap_or(100).clamp(1, 200) as usize;
        let matching: Vec<Value> = self
            .table
            .dictionary
            .entries
            .iter()
            .filter(|e| self.table.column(&e.column).is_some())
            .filter(|e| category.map(|c| e.category.eq_ignore_ascii_case(c)).unwrap_or(true))
            .filter(|e| role.map(|r| role_name(e.role) == r).unwrap_or(true))
            .filter(|e| {
                let text = format!("{} {}", e.column, e.description).to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .map(|e| json!({"name": e.column, "category": e.category, "role": role_name(e.role), "description": e.description}))
            .collect();
        let total = matching.len();
        let page: Vec<Value> = matching.into_iter().skip(offset).take(limit).collect();
        let next = (offset + page.len() < total).then_some(offset + page.len());
        Ok(
            json!({"count": total, "offset": offset, "returned": page.len(), "next_offset": next, "variables": page}),
        )
    }

    fn confounder_screen(&self, arguments: &Value) -> Result<Value, ToolError> {
        let scope = self.scope.as_ref().ok_or_else(|| {
            ToolError::BadArguments(
                "the confounder screen is not available in this study (the panel does not propose)"
                    .into(),
            )
        })?;
        let eligible = |name: &str| -> Result<(), ToolError> {
            self.column(name)?;
            if scope.eligible.iter().any(|e| e == name) {
                Ok(())
            } else {
                Err(ToolError::BadArguments(format!(
                    "'{name}' cannot be a confounder here: {}",
                    match self.table.dictionary.get(name).map(|e| e.role) {
                        Some(Role::Imaging) => "it is an imaging phenotype",
                        Some(Role::Disease) => "it is a disease label",
                        Some(Role::Id) => "it is the participant id",
                        _ => "it is not among the study's eligible variables",
                    }
                )))
            }
        };
        let adjusted_for = Self::names(arguments, "adjusted_for");
        for name in &adjusted_for {
            eligible(name)?;
        }
        let variables = match arguments.get("variables") {
            Some(Value::Array(_)) => {
                let v = Self::names(arguments, "variables");
                for name in &v {
                    eligible(name)?;
                }
                v
            }
            _ => scope.eligible.clone(),
        };
        let top = arguments["top"].as_u64().unwrap_or(25).clamp(1, 400) as usize;
        let request = ScreenRequest {
            phenotypes: scope.phenotypes.clone(),
            factors: scope.factors.clone(),
            adjusted_for: adjusted_for.clone(),
            candidates: variables.clone(),
            max_pairs: scope.max_pairs,
            seed: scope.seed,
            order: scope.order.clone(),
        };
        let mut result =
            screen(self.table, &request).map_err(|e| ToolError::Failed(e.to_string()))?;
        let ranked = result.candidates.len();
        result.candidates.truncate(top);
        let mut out =
            serde_json::to_value(&result).map_err(|e| ToolError::Failed(e.to_string()))?;
        out["ranked"] = json!(ranked);
        out["returned"] = json!(result.candidates.len());
        Ok(out)
    }

    fn describe_variable(&self, arguments: &Value) -> Result<Value, ToolError> {
        let name = Self::text(arguments, "name")?;
        let values = self.column(name)?;
        let entry = self.table.dictionary.get(name);
        let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        let n = present.len();
        let mean = present.iter().sum::<f64>() / n.max(1) as f64;
        let sd = (present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64)
            .sqrt();
        let mut out = json!({
            "name": name,
            "description": entry.map(|e| e.description.clone()).unwrap_or_default(),
            "category": entry.map(|e| e.category.clone()).unwrap_or_default(),
            "value_type": entry.map(|e| e.value_type.as_str()).unwrap_or("continuous"),
            "n_present": n,
            "missing_share": 1.0 - n as f64 / values.len().max(1) as f64,
            "mean": finite(mean),
            "sd": finite(sd),
        });
        let discrete = matches!(
            entry.map(|e| e.value_type),
            Some(ValueType::Binary | ValueType::Categorical | ValueType::Ordinal)
        );
        if discrete {
            let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
            for v in &present {
                *counts.entry(v.round() as i64).or_default() += 1;
            }
            out["level_counts"] = json!(counts
                .iter()
                .take(30)
                .map(|(k, c)| json!({"level": k, "n": c}))
                .collect::<Vec<_>>());
        }
        Ok(out)
    }

    fn associations(
        &self,
        phenotypes: Vec<String>,
        factor: &str,
        covariates: Vec<String>,
    ) -> Result<Vec<meshagents_stats::phewas::AssociationRow>, ToolError> {
        self.column(factor)?;
        for c in &covariates {
            self.column(c)?;
            if c == factor {
                return Err(ToolError::BadArguments(format!(
                    "'{c}' is both the variable and a covariate"
                )));
            }
        }
        let request = PhewasRequest {
            phenotypes,
            factors: vec![factor.to_string()],
            covariates,
            model: ModelChoice::Auto,
            transform: Transform::Auto,
            method: Method::Exact,
            threads: self.threads,
            dropped_covariates: Vec::new(),
        };
        phewas::run(self.table, &request, &|_| {})
            .map(|r| r.rows)
            .map_err(|e| ToolError::Failed(e.to_string()))
    }

    fn association_screen(&self, arguments: &Value) -> Result<Value, ToolError> {
        let variable = Self::text(arguments, "variable")?;
        let covariates = Self::names(arguments, "covariates");
        let phenotypes = self.table.kept_with_role(Role::Imaging);
        if phenotypes.iter().any(|p| p == variable) {
            return Err(ToolError::BadArguments(format!(
                "'{variable}' is itself an imaging phenotype"
            )));
        }
        let mut rows = self.associations(phenotypes, variable, covariates.clone())?;
        rows.sort_by(|a, b| a.p.total_cmp(&b.p).then(a.phenotype.cmp(&b.phenotype)));
        let tested = rows.iter().filter(|r| r.status == "ok").count();
        Ok(json!({
            "variable": variable,
            "adjusted_for": covariates,
            "model": rows.first().map(|r| r.model.clone()).unwrap_or_default(),
            "tested": tested,
            "bonferroni_threshold": 0.05 / tested.max(1) as f64,
            "results": rows.iter().filter(|r| r.status == "ok").map(|r| json!({"phenotype": r.phenotype, "n": r.n, "beta": finite(r.beta), "se": finite(r.se), "p": finite(r.p)})).collect::<Vec<_>>(),
        }))
    }

    fn adjusted_association(&self, arguments: &Value) -> Result<Value, ToolError> {
        let phenotype = Self::text(arguments, "phenotype")?;
        let factor = Self::text(arguments, "factor")?;
        self.column(phenotype)?;
        let rows = self.associations(
            vec![phenotype.to_string()],
            factor,
            Self::names(arguments, "covariates"),
        )?;
        let r = rows
            .first()
            .ok_or_else(|| ToolError::Failed("no result row".into()))?;
        Ok(
            json!({"phenotype": r.phenotype, "factor": r.factor, "model": r.model, "n": r.n, "beta": finite(r.beta), "se": finite(r.se), "ci_low": finite(r.ci_low), "ci_high": finite(r.ci_high), "p": finite(r.p), "status": r.status, "note": r.note}),
        )
    }

    fn change_in_estimate(&self, arguments: &Value) -> Result<Value, ToolError> {
        let candidate = Self::text(arguments, "candidate")?;
        self.column(candidate)?;
        let e = self.evidence.get(candidate).ok_or_else(|| {
            ToolError::BadArguments(format!(
                "'{candidate}' is not one of the screened candidates ({})",
                self.evidence.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        serde_json::to_value(e).map_err(|e| ToolError::Failed(e.to_string()))
    }

    fn collinearity(&self, arguments: &Value) -> Result<Value, ToolError> {
        let names = Self::names(arguments, "variables");
        if names.len() < 2 {
            return Err(ToolError::BadArguments("give two or more variables".into()));
        }
        let columns: Vec<&[f64]> = names
            .iter()
            .map(|n| self.column(n))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let others: Vec<&[f64]> = columns
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .collect();
            let rows = complete_rows(columns[i], &others);
            let vif = fit_rows(columns[i], &others, &rows).ok().map(|fit| {
                let mean =
                    rows.iter().map(|&r| columns[i][r]).sum::<f64>() / rows.len().max(1) as f64;
                let tss: f64 = rows.iter().map(|&r| (columns[i][r] - mean).powi(2)).sum();
                let r2 = 1.0 - fit.rss / tss;
                1.0 / (1.0 - r2).max(1e-12)
            });
            let partner = names
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(j, other)| {
                    pairwise_r(columns[i], columns[j]).map(|(r, _)| (other.clone(), r))
                })
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
            out.push(json!({"name": name, "vif": vif.map(finite).unwrap_or(Value::Null), "most_correlated_with": partner.as_ref().map(|p| p.0.clone()), "r": partner.map(|p| finite(p.1))}));
        }
        Ok(json!({"variables": out}))
    }

    fn missingness(&self, arguments: &Value) -> Result<Value, ToolError> {
        let names = Self::names(arguments, "variables");
        let columns: Vec<&[f64]> = names
            .iter()
            .map(|n| self.column(n))
            .collect::<Result<_, _>>()?;
        let rows = self.table.n_rows();
        let complete = (0..rows)
            .filter(|&r| columns.iter().all(|c| !c[r].is_nan()))
            .count();
        Ok(json!({
            "rows": rows,
            "complete_rows": complete,
            "variables": names.iter().zip(&columns).map(|(n, c)| json!({"name": n, "missing_share": c.iter().filter(|v| v.is_nan()).count() as f64 / rows.max(1) as f64})).collect::<Vec<_>>(),
        }))
    }
}

impl ToolHost for StatsToolHost<'_> {
    fn call(&self, name: &str, arguments: &Value) -> Result<Value, ToolError> {
        let key = format!("{name}{arguments}");
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let result = match name {
            "list_variables" => self.list_variables(arguments),
            "describe_variable" => self.describe_variable(arguments),
            "association_screen" => self.association_screen(arguments),
            "adjusted_association" => self.adjusted_association(arguments),
            "change_in_estimate" => self.change_in_estimate(arguments),
            "confounder_screen" => self.confounder_screen(arguments),
            "collinearity" => self.collinearity(arguments),
            "missingness" => self.missingness(arguments),
            other => Err(ToolError::BadArguments(format!("no tool '{other}'"))),
        }?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, result.clone());
        }
        Ok(result)
    }
}
