//! Clinical concepts the panel recognises in a dataset's column names and descriptions.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Concept {
    Age,
    Sex,
    Height,
    Weight,
    /// Indices computed from height and weight (BMI, body surface area).
    DerivedBodySize,
    BloodPressure,
    HeartRate,
    Unknown,
}

/// Synonyms matched as whole words against the lower-cased column name and description.
/// Order matters: more specific concepts first ("body mass index" before "mass").
const SYNONYMS: &[(Concept, &[&str])] = &[
    (
        Concept::DerivedBodySize,
        &[
            "bmi",
            "body mass index",
            "bsa",
            "body surface area",
            "surface area",
        ],
    ),
    (
        Concept::BloodPressure,
        &[
            "sbp",
            "dbp",
            "blood pressure",
            "systolic",
            "diastolic",
            "pulse pressure",
        ],
    ),
    (
        Concept::HeartRate,
        &["heart rate", "heart_rate", "pulse rate", "hr", "pulse"],
    ),
    (
        Concept::Age,
        &["age", "age at scan", "age when attended", "age_at_imaging"],
    ),
    (Concept::Sex, &["sex", "gender"]),
    (Concept::Height, &["height", "standing height", "stature"]),
    (Concept::Weight, &["weight", "body weight"]),
];

fn contains_term(haystack: &str, term: &str) -> bool {
    haystack.match_indices(term).any(|(start, _)| {
        let before = haystack[..start].chars().next_back();
        let after = haystack[start + term.len()..].chars().next();
        let boundary = |c: Option<char>| c.map(|c| !c.is_alphanumeric()).unwrap_or(true);
        boundary(before) && boundary(after)
    })
}

impl Concept {
    /// The concept a variable expresses, from its column name first, then its description.
    pub fn classify(column: &str, description: &str) -> Concept {
        let column = column.to_lowercase();
        let description = description.to_lowercase();
        for text in [&column, &description] {
            for (concept, terms) in SYNONYMS {
                if terms.iter().any(|t| contains_term(text, t)) {
                    return *concept;
                }
            }
        }
        Concept::Unknown
    }

    pub fn label(self) -> &'static str {
        match self {
            Concept::Age => "age",
            Concept::Sex => "sex",
            Concept::Height => "height",
            Concept::Weight => "weight",
            Concept::DerivedBodySize => "a derived body-size index",
            Concept::BloodPressure => "blood pressure",
            Concept::HeartRate => "heart rate",
            Concept::Unknown => "an unrecognised variable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_names_and_descriptions_on_word_boundaries() {
        assert_eq!(Concept::classify("age", ""), Concept::Age);
        assert_eq!(
            Concept::classify("21003-2.0", "Age when attended assessment centre"),
            Concept::Age
        );
        assert_eq!(
            Concept::classify("bmi", "Body mass index (BMI)"),
            Concept::DerivedBodySize
        );
        assert_eq!(
            Concept::classify("4080-2.0", "Systolic blood pressure, automated reading"),
            Concept::BloodPressure
        );
        assert_eq!(
            Concept::classify("heart_rate", "Pulse rate"),
            Concept::HeartRate
        );
        assert_eq!(
            Concept::classify("stage", "Disease stage"),
            Concept::Unknown,
            "'age' inside 'stage' is not age"
        );
    }
}
