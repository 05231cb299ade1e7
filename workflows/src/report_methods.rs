//! The report's Methods paragraphs: what was done, in words a co-author can paste into a
//! paper, every number taken from the run (the association and classification tables, the
//! panel's decisions, the configuration in `study.json` or `STUDY.toml`), none typed by hand.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::report_input::ReportInput;

/// "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => "none".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How the configuration's transform reads in a sentence.
fn transform_words(transform: Option<&str>) -> &'static str {
    match transform {
        Some("none") => "untransformed",
        Some("zscore") => "standardised (z-scores)",
        Some("rint") => "rank-based inverse normal transformed",
        _ => "standardised (z-scores) when continuous and rank-based inverse normal transformed otherwise",
    }
}

/// The Methods paragraphs of a report.
pub(crate) fn methods(input: &ReportInput) -> Vec<String> {
    let config = crate::report_tables::parse_configuration(input.config_text).unwrap_or_default();
    let config = config.get("config").unwrap_or(&config);
    let d = input.decisions;
    let mut paragraphs = Vec::new();

    // The data.
    let phenotypes: std::collections::BTreeSet<&str> = input
        .associations
        .iter()
        .map(|r| r.phenotype.as_str())
        .collect();
    let factors: std::collections::BTreeSet<&str> = input
        .associations
        .iter()
        .map(|r| r.factor.split('=').next().unwrap_or(&r.factor))
        .collect();
    let participants = input
        .flow_counts
        .first()
        .map(|(_, count)| count.clone())
        .unwrap_or_else(|| "?".into());
    paragraphs.push(format!(
        "The cohort held {participants} participants. {} tested against {}; {} left out by the cleaning rules of Bai et al. (2020) (mostly missing, mostly one value, or a near-duplicate of another column), and negative UK Biobank codes (do not know, prefer not to answer) were read as missing.",
        plural(phenotypes.len(), "imaging phenotype was", "imaging phenotypes were"),
        plural(factors.len(), "non-imaging factor", "non-imaging factors"),
        plural(input.dropped.len(), "column was", "columns were"),
    ));

    // The covariates: the panel's choice, or the configuration's.
    let confounders: Vec<String> = d["confounders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    let backend = d.get("backend").and_then(Value::as_str);
    let rounds = d["agreement"]["confounders"].as_array().map(Vec::len);
    let agents: std::collections::BTreeSet<String> = d["agreement"]["confounders"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["answered"].as_array().into_iter().flatten())
        .filter_map(|a| a.as_str().map(String::from))
        .collect();
    let kappa = d["agreement"]["confounders"]
        .as_array()
        .and_then(|r| r.last())
        .and_then(|r| r["kappa"].as_f64());
    paragraphs.push(match (backend, rounds) {
        (Some(backend), Some(rounds)) => format!(
            "The covariates were chosen by a panel of {} ({backend} backend) that debated the candidate confounders with the discovery data's evidence over {}{}; {}.",
            plural(agents.len(), "expert agent", "expert agents"),
            plural(rounds, "round", "rounds"),
            kappa.map(|k| format!(" (Fleiss' kappa of the last round {k:.2})")).unwrap_or_default(),
            if confounders.is_empty() {
                "it chose no covariate, so the adjustment set was none".to_string()
            } else {
                format!("it adjusted for {}", and_list(&confounders))
            },
        ),
        _ if confounders.is_empty() => "No pair was adjusted for a covariate (adjustment set: none), as the study's configuration fixed.".to_string(),
        _ => format!("Every pair was adjusted for {}, as the study's configuration fixed.", and_list(&confounders)),
    });

    // The models and the multiple testing.
    let mut by_model: BTreeMap<&str, usize> = BTreeMap::new();
    for r in input.associations.iter().filter(|r| r.status == "ok") {
        *by_model.entry(r.model.as_str()).or_default() += 1;
    }
    let tested: usize = by_model.values().sum();
    let models: Vec<String> = by_model
        .iter()
        .map(|(model, n)| {
            let what = match *model {
                "linear" => "linear regression of the phenotype on the factor",
                "logistic" => "logistic regression of the binary factor on the phenotype (Firth's penalised likelihood when events were few or the data separated)",
                "categorical" => "a likelihood-ratio test over the levels of an unordered factor",
                "bai2020" => "the Pearson correlation of the covariate-residualised phenotype with the factor (Bai et al. 2020)",
                other => other,
            };
            format!("{what} ({})", plural(*n, "pair", "pairs"))
        })
        .collect();
    let bonferroni = input
        .associations
        .iter()
        .filter(|r| r.status == "ok" && r.bonferroni < 0.05)
        .count();
    paragraphs.push(format!(
        "Each phenotype-factor pair was fitted with the model its factor's type calls for: {}. Variables were {}. Of {} pairs, {tested} could be tested; p-values were corrected over those {tested} by Bonferroni and by Benjamini-Hochberg, and {} significant after Bonferroni (p < 0.05/{tested}).",
        and_list(&models),
        transform_words(config.get("transform").and_then(Value::as_str)),
        input.associations.len(),
        plural(bonferroni, "pair was", "pairs were"),
    ));

    // The validation.
    if !input.classification.is_empty() {
        let diseases: std::collections::BTreeSet<&str> = input
            .classification
            .iter()
            .map(|r| r.disease.as_str())
            .collect();
        let classifiers: std::collections::BTreeSet<String> = input
            .classification
            .iter()
            .map(|r| r.classifier.clone())
            .collect();
        let classifiers: Vec<String> = classifiers.into_iter().collect();
        paragraphs.push(format!(
            "{}For each of {}, classifiers ({}) trained on the {} phenotypes were compared with the same classifiers on the {} phenotypes; AUCs are given with 95% confidence intervals and compared by DeLong's test.",
            input.protocol.as_ref().map(|p| format!("{p} ")).unwrap_or_default(),
            plural(diseases.len(), "disease", "diseases"),
            and_list(&classifiers),
            input.arms.0,
            input.arms.1,
        ));
    }
    paragraphs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list(&[]), "none");
        assert_eq!(and_list(&["age".into()]), "age");
        assert_eq!(
            and_list(&["age".into(), "sex".into(), "height".into()]),
            "age, sex and height"
        );
        assert_eq!(plural(1, "pair", "pairs"), "1 pair");
        assert_eq!(plural(3, "pair", "pairs"), "3 pairs");
    }
}
