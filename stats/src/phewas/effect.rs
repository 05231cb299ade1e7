//! How a row of the association table reads to a person: the model that was fitted, written
//! the way it was fitted, and its effect on the scale of its family. Every display (the TUI,
//! the report, the Markdown and LaTeX exports, the figures) asks here, so a logistic row is
//! never shown as `phenotype ~ factor` or ranked by its log odds against standardised betas.

use super::rows::AssociationRow;

/// The scale of a row's `beta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scale {
    /// `phenotype ~ factor + covariates` (linear, categorical levels, bai2020's r): the
    /// factor's coefficient on the transformed phenotype.
    StandardisedBeta,
    /// `factor ~ phenotype + covariates` (logistic, Firth): the log odds ratio of the factor
    /// per unit of the transformed phenotype (per SD under `zscore` or `rint`).
    LogOdds,
}

impl Scale {
    /// Both scales, in the order displays facet by.
    pub const ALL: [Scale; 2] = [Scale::StandardisedBeta, Scale::LogOdds];

    /// The axis label of a figure on this scale.
    pub fn axis_label(self) -> &'static str {
        match self {
            Scale::StandardisedBeta => "standardised β",
            Scale::LogOdds => "log odds ratio",
        }
    }

    /// The same in ASCII, for terminals and file names.
    pub fn ascii_label(self) -> &'static str {
        match self {
            Scale::StandardisedBeta => "standardised beta",
            Scale::LogOdds => "log odds ratio",
        }
    }

    /// A short heading for a table or figure panel of this family.
    pub fn family(self) -> &'static str {
        match self {
            Scale::StandardisedBeta => "linear models (phenotype ~ factor)",
            Scale::LogOdds => "logistic models (factor ~ phenotype)",
        }
    }
}

/// An estimate with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl AssociationRow {
    /// The scale of `beta`, from the model that was fitted.
    pub fn scale(&self) -> Scale {
        match self.model.as_str() {
            "logistic" | "firth" => Scale::LogOdds,
            _ => Scale::StandardisedBeta,
        }
    }

    /// The model as it was fitted, with the given names for the two columns (ids, or
    /// descriptions): `phenotype ~ factor`, or `factor ~ phenotype` for a binary factor.
    pub fn formula_with(&self, phenotype: &str, factor: &str) -> String {
        match self.scale() {
            Scale::StandardisedBeta => format!("{phenotype} ~ {factor}"),
            Scale::LogOdds => format!("{factor} ~ {phenotype}"),
        }
    }

    /// [`AssociationRow::formula_with`] with the column ids.
    pub fn formula(&self) -> String {
        self.formula_with(&self.phenotype, &self.factor)
    }

    /// The odds ratio per unit (SD) of the phenotype with its 95% CI, for a logistic row with
    /// an estimate; `None` for other families and for rows without one.
    pub fn odds_ratio(&self) -> Option<Interval> {
        (self.scale() == Scale::LogOdds && self.beta.is_finite()).then(|| Interval {
            estimate: self.beta.exp(),
            low: self.ci_low.exp(),
            high: self.ci_high.exp(),
        })
    }

    /// The Wald z (or t) of the estimate, `beta / se`: comparable across families where the
    /// betas are not, so rankings "by effect" use its magnitude. NaN without an estimate.
    pub fn z(&self) -> f64 {
        if self.beta.is_finite() && self.se.is_finite() && self.se > 0.0 {
            self.beta / self.se
        } else {
            f64::NAN
        }
    }
}

/// `rows` split by the scale of their estimate, in [`Scale::ALL`]'s order, each part in the
/// order given; a family without rows is left out. Every display that shows both families
/// splits them here (tables per family, figure panels per family).
pub fn by_family<'a, R>(
    rows: impl IntoIterator<Item = &'a R> + Clone,
) -> Vec<(Scale, Vec<&'a AssociationRow>)>
where
    R: std::borrow::Borrow<AssociationRow> + 'a,
{
    Scale::ALL
        .iter()
        .map(|&scale| {
            let mine: Vec<&AssociationRow> = rows
                .clone()
                .into_iter()
                .map(|r| r.borrow())
                .filter(|r| r.scale() == scale)
                .collect();
            (scale, mine)
        })
        .filter(|(_, mine)| !mine.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(model: &str, beta: f64, se: f64) -> AssociationRow {
        AssociationRow {
            phenotype: "P".into(),
            factor: "F".into(),
            category: String::new(),
            model: model.into(),
            n: 10,
            n_cases: None,
            n_controls: None,
            beta,
            se,
            ci_low: beta - 1.96 * se,
            ci_high: beta + 1.96 * se,
            stat: f64::NAN,
            p: f64::NAN,
            neg_log10_p: f64::NAN,
            q_bh: f64::NAN,
            bonferroni: f64::NAN,
            status: "ok".into(),
            note: String::new(),
        }
    }

    #[test]
    fn logistic_rows_read_as_fitted_with_an_odds_ratio() {
        let r = row("firth", 0.5, 0.1);
        assert_eq!(r.formula(), "F ~ P");
        assert_eq!(r.scale(), Scale::LogOdds);
        let or = r.odds_ratio().unwrap();
        assert!((or.estimate - 0.5f64.exp()).abs() < 1e-12);
        assert!((or.low - (0.5f64 - 0.196).exp()).abs() < 1e-12);
        assert!((r.z() - 5.0).abs() < 1e-12);
    }

    #[test]
    fn linear_rows_have_no_odds_ratio() {
        let r = row("categorical", 0.2, 0.0);
        assert_eq!(r.formula_with("LV mass", "smoking"), "LV mass ~ smoking");
        assert!(r.odds_ratio().is_none());
        assert!(r.z().is_nan());
        assert!(row("logistic", f64::NAN, 0.1).odds_ratio().is_none());
    }
}
