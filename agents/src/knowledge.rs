//! The embedded backend's knowledge base: clinical concepts with synonyms, the part each
//! usually plays for cardiac phenotypes, each role's stance, and disease-to-phenotype priors.
//! Shipped as data (`data/knowledge.toml`) and matched onto any dataset's names and
//! descriptions.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::AgentError;

const DEFAULT_KNOWLEDGE: &str = include_str!("../data/knowledge.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stance {
    pub include: bool,
    pub confidence: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub id: String,
    pub label: String,
    /// confounder | proxy | mediator | exposure | outcome
    pub kind: String,
    pub synonyms: Vec<String>,
    #[serde(default)]
    pub stance: BTreeMap<String, Stance>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhenotypeConcept {
    pub id: String,
    pub synonyms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiseaseConcept {
    pub id: String,
    pub synonyms: Vec<String>,
    pub phenotypes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interest {
    #[serde(default)]
    pub focus: Vec<String>,
    #[serde(default)]
    pub prefer_columns: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knowledge {
    pub concept: Vec<Concept>,
    pub phenotype: Vec<PhenotypeConcept>,
    pub disease: Vec<DiseaseConcept>,
    #[serde(default)]
    pub interest: BTreeMap<String, Interest>,
}

/// True when `term` occurs in `haystack` between non-alphanumeric characters.
pub fn contains_term(haystack: &str, term: &str) -> bool {
    haystack.match_indices(term).any(|(start, _)| {
        let before = haystack[..start].chars().next_back();
        let after = haystack[start + term.len()..].chars().next();
        let boundary = |c: Option<char>| c.map(|c| !c.is_alphanumeric()).unwrap_or(true);
        boundary(before) && boundary(after)
    })
}

/// The first entry whose synonyms match the name, else the description.
fn matching<'a, T>(
    entries: &'a [T],
    synonyms: impl Fn(&T) -> &[String],
    name: &str,
    description: &str,
) -> Option<&'a T> {
    let name = name.to_lowercase();
    let description = description.to_lowercase();
    [name, description].iter().find_map(|text| {
        entries
            .iter()
            .find(|e| synonyms(e).iter().any(|s| contains_term(text, s)))
    })
}

impl Knowledge {
    pub fn shipped() -> Result<Self, AgentError> {
        toml::from_str(DEFAULT_KNOWLEDGE)
            .map_err(|e| AgentError::Config(format!("the shipped knowledge base: {e}")))
    }

    pub fn concept(&self, name: &str, description: &str) -> Option<&Concept> {
        matching(&self.concept, |c| &c.synonyms, name, description)
    }

    pub fn phenotype_concept(&self, name: &str, description: &str) -> Option<&PhenotypeConcept> {
        matching(&self.phenotype, |c| &c.synonyms, name, description)
    }

    pub fn disease(&self, name: &str, description: &str) -> Option<&DiseaseConcept> {
        matching(&self.disease, |c| &c.synonyms, name, description)
    }

    pub fn interest(&self, knowledge: &str) -> Interest {
        self.interest.get(knowledge).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_names_and_descriptions_on_word_boundaries() {
        let k = Knowledge::shipped().unwrap();
        let id = |n: &str, d: &str| k.concept(n, d).map(|c| c.id.as_str());
        assert_eq!(id("age", ""), Some("age"));
        assert_eq!(
            id("21003-2.0", "Age when attended assessment centre"),
            Some("age")
        );
        assert_eq!(
            id("bmi", "Body mass index (BMI)"),
            Some("derived_body_size")
        );
        assert_eq!(
            id("4080-2.0", "Systolic blood pressure, automated reading"),
            Some("blood_pressure")
        );
        assert_eq!(
            id("stage", "Disease stage"),
            None,
            "'age' inside 'stage' is not age"
        );
        assert_eq!(k.disease("copd", "").map(|d| d.id.as_str()), Some("copd"));
        assert_eq!(
            k.phenotype_concept("AAo distensibility", "")
                .map(|d| d.id.as_str()),
            Some("aortic_stiffness")
        );
    }
}
