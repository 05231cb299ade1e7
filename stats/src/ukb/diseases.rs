//! Diseases defined by code lists, as epidemiologists define them on UK Biobank: a
//! participant is a case when any of the disease's self-reported codes (field 20002, coding 6)
//! or hospital ICD-10 codes (field 41270, coding 19) appears in any of their array columns, at
//! any instance; otherwise a control.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::StatsError;

/// Field 20002, "Non-cancer illness code, self-reported".
pub const SELF_REPORT_FIELD: u32 = 20002;
/// Field 41270, "Diagnoses - ICD10" (the summary of hospital inpatient records).
pub const ICD10_FIELD: u32 = 41270;

/// `[diseases.NAME]` of STUDY.toml.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiseaseDefinition {
    /// Codes of field 20002 (coding 6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub self_report: Vec<i64>,
    /// ICD-10 codes of field 41270, as UK Biobank writes them (`I10`, `E119`); a trailing `*`
    /// matches every code that starts with the rest (`I15*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub icd10: Vec<String>,
}

/// The diseases of a study, by name (sorted, so a study's identity does not depend on the
/// order of the tables in the file).
pub type Diseases = BTreeMap<String, DiseaseDefinition>;

/// One ICD-10 pattern, checked: a code or a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IcdPattern {
    pub text: String,
    pub prefix: bool,
}

impl IcdPattern {
    /// `I10`, `E119`, `E11.9` (the dot is dropped: UK Biobank writes codes without it),
    /// `I15*`. A chapter letter, two digits, then at most two more letters or digits.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim().to_ascii_uppercase();
        let (body, prefix) = match trimmed.strip_suffix('*') {
            Some(b) => (b.replace('.', ""), true),
            None => (trimmed.replace('.', ""), false),
        };
        let bytes = body.as_bytes();
        let valid = (3..=5).contains(&bytes.len())
            && bytes[0].is_ascii_uppercase()
            && bytes[1].is_ascii_digit()
            && bytes[2].is_ascii_alphanumeric()
            && bytes[3..].iter().all(u8::is_ascii_alphanumeric);
        // A bare letter with a star ("I*") is a whole chapter: allowed, as a prefix.
        let chapter = prefix && bytes.len() == 1 && bytes[0].is_ascii_uppercase();
        if !(valid || chapter) {
            return Err(format!(
                "'{raw}' is not an ICD-10 code or prefix (expected e.g. I10, E119, E11.9 or I15*)"
            ));
        }
        Ok(IcdPattern { text: body, prefix })
    }

    pub(crate) fn matches(&self, code: &str) -> bool {
        if self.prefix {
            code.starts_with(&self.text)
        } else {
            code == self.text
        }
    }
}

/// The checked patterns of each disease, or an error naming the disease and the pattern.
pub(crate) fn checked(diseases: &Diseases) -> Result<Vec<(String, Vec<IcdPattern>)>, StatsError> {
    diseases
        .iter()
        .map(|(name, d)| {
            if d.self_report.is_empty() && d.icd10.is_empty() {
                return Err(StatsError::Invalid(format!(
                    "[diseases.{name}]: give `self_report` codes (field {SELF_REPORT_FIELD}), `icd10` codes (field {ICD10_FIELD}) or both"
                )));
            }
            let patterns = d
                .icd10
                .iter()
                .map(|p| IcdPattern::parse(p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| StatsError::Invalid(format!("[diseases.{name}] icd10: {m}")))?;
            Ok((name.clone(), patterns))
        })
        .collect()
}

/// How a disease's cases were found: by self-report only, by ICD-10 only, by both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseSources {
    pub self_report_only: usize,
    pub icd10_only: usize,
    pub both: usize,
}

impl CaseSources {
    pub fn cases(&self) -> usize {
        self.self_report_only + self.icd10_only + self.both
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_patterns() {
        let p = IcdPattern::parse("i15*").unwrap();
        assert!(p.prefix && p.matches("I150") && !p.matches("I10"));
        let p = IcdPattern::parse("E11.9").unwrap();
        assert_eq!(p.text, "E119");
        assert!(p.matches("E119") && !p.matches("E11"));
        assert!(IcdPattern::parse("I*").unwrap().matches("I219"));
        for bad in [
            "",
            "10",
            "I1",
            "I10**",
            "hypertension",
            "I1*0",
            "I10-I15",
            "E1190X",
        ] {
            assert!(IcdPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_disease_needs_codes_and_valid_patterns() {
        let mut d = Diseases::new();
        d.insert("x".into(), DiseaseDefinition::default());
        assert!(checked(&d)
            .unwrap_err()
            .to_string()
            .contains("[diseases.x]"));
        d.insert(
            "x".into(),
            DiseaseDefinition {
                self_report: vec![],
                icd10: vec!["I10".into(), "12X".into()],
            },
        );
        let e = checked(&d).unwrap_err().to_string();
        assert!(e.contains("[diseases.x] icd10: '12X'"), "{e}");
    }

    #[test]
    fn an_unknown_key_is_refused_by_name() {
        let e =
            toml::from_str::<Diseases>("[hypertension]\nself_report = [1065]\nicd = [\"I10\"]\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("icd"), "{e}");
    }
}
