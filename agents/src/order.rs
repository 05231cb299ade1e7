//! The causal order of dictionary categories (`data/causal_order.toml`): which broad kinds of
//! variable can come before which. The panel reads it as evidence on whether a candidate could
//! be a common cause of the factors it moves or lies on their path to the heart (a mediator).

use std::path::Path;

use serde::Deserialize;

use crate::knowledge::contains_term;
use crate::AgentError;

const DEFAULT_ORDER: &str = include_str!("../data/causal_order.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub terms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CausalOrder {
    pub tier: Vec<Tier>,
}

impl CausalOrder {
    pub fn shipped() -> Result<Self, AgentError> {
        Self::parse(DEFAULT_ORDER, "the shipped causal order")
    }

    /// The shipped order, or the file a study names instead.
    pub fn load(path: Option<&Path>) -> Result<Self, AgentError> {
        match path {
            None => Self::shipped(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    AgentError::Config(format!("causal order file {}: {e}", p.display()))
                })?;
                Self::parse(&text, &p.display().to_string())
            }
        }
    }

    fn parse(text: &str, source: &str) -> Result<Self, AgentError> {
        let order: CausalOrder =
            toml::from_str(text).map_err(|e| AgentError::Config(format!("{source}: {e}")))?;
        if order.tier.is_empty() {
            return Err(AgentError::Config(format!("{source}: no [[tier]]")));
        }
        if let Some(t) = order.tier.iter().find(|t| t.terms.is_empty()) {
            return Err(AgentError::Config(format!(
                "{source}: tier '{}' has no terms",
                t.name
            )));
        }
        Ok(order)
    }

    /// The tier (0 = earliest) of a dictionary category, if any tier's terms match it.
    pub fn position(&self, category: &str) -> Option<u32> {
        let category = category.to_lowercase();
        self.tier
            .iter()
            .position(|t| t.terms.iter().any(|term| contains_term(&category, term)))
            .map(|i| i as u32)
    }

    pub fn tier_name(&self, position: u32) -> Option<&str> {
        self.tier.get(position as usize).map(|t| t.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_bai_categories_and_uk_biobank_names() {
        let o = CausalOrder::shipped().unwrap();
        let p = |c: &str| o.position(c);
        assert_eq!(p("Primary demographics"), Some(0));
        assert_eq!(p("Early life factors"), Some(0));
        assert_eq!(p("Education and employment"), Some(0));
        assert_eq!(p("Sociodemographics"), Some(0));
        for lifestyle in ["Diet", "Alcohol", "Smoking", "Physical activity", "Sleep"] {
            assert_eq!(p(lifestyle), Some(1), "{lifestyle}");
        }
        assert_eq!(p("Physical measures"), Some(2));
        assert_eq!(p("Blood pressure"), Some(2));
        assert_eq!(p("Blood assays"), Some(2));
        assert_eq!(p("Self-reported medical conditions"), Some(3));
        assert_eq!(p("Mental health"), Some(3));
        assert_eq!(p("Cognitive function"), Some(3));
        assert_eq!(p("Disease outcomes"), Some(3));
        assert_eq!(p("Miscellaneous"), None);
        // Whole words only: "diet" is not inside "dietitian visits"... but is a word here.
        assert_eq!(p("Dietary supplements"), None);
    }

    #[test]
    fn a_bad_file_names_itself() {
        let e = CausalOrder::parse("[[tier]]\nname = \"x\"\nterms = []\n", "my.toml").unwrap_err();
        assert!(
            e.to_string().contains("my.toml") && e.to_string().contains("'x'"),
            "{e}"
        );
        let e = CausalOrder::parse("tier = 3", "other.toml").unwrap_err();
        assert!(e.to_string().contains("other.toml"), "{e}");
    }
}
