//! The typed plan of a study: which steps run, in which order. The numbers users see
//! (`[3/10]`), the titles, the `study/plan` event readers learn the steps from and the points
//! `study fork --from` accepts are all derived from one table, so no step number or list of
//! keys is kept by hand.

/// A step of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Simulate,
    Clean,
    Screen,
    PanelConfounders,
    PanelApproval,
    PanelPhenotypes,
    Phewas,
    Summary,
    Classify,
    Figures,
    Report,
}

/// When a step belongs to a study's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only when the cohort is simulated (the demo).
    Simulation,
    /// In every study.
    Analysis,
    /// Only when the panel meets (the configuration does not fix the covariates): the screen,
    /// both stages, and the validation of the phenotypes the panel chose per disease.
    Panel,
    /// Only when a person approves the panel's confounder set (`[panel] approve`).
    Approval,
}

/// Every step in the order studies run them, with its journal key and title. Keys name
/// journaled steps and titles are what users (and the headless events) see: changing either
/// would stop old studies from resuming or change what readers show.
const TABLE: [(Step, Kind, &str, &str); 11] = [
    (
        Step::Simulate,
        Kind::Simulation,
        "cohort/simulate",
        "simulate the cohort",
    ),
    (Step::Clean, Kind::Analysis, "data/clean", "load and clean"),
    (
        Step::Screen,
        Kind::Panel,
        "screen/candidates",
        "screen candidate confounders",
    ),
    (
        Step::PanelConfounders,
        Kind::Panel,
        "panel/confounders",
        "panel: choose confounders",
    ),
    (
        Step::PanelApproval,
        Kind::Approval,
        "panel/approval",
        "approval of the confounder set",
    ),
    (
        Step::PanelPhenotypes,
        Kind::Panel,
        "panel/phenotypes",
        "panel: choose phenotypes per disease",
    ),
    (
        Step::Phewas,
        Kind::Analysis,
        "phewas/adjusted",
        "adjusted association of every phenotype with every factor",
    ),
    (
        Step::Summary,
        Kind::Analysis,
        "report/summary",
        "write the summary",
    ),
    (
        Step::Classify,
        Kind::Panel,
        "validation/classify",
        "classify diseases: panel versus expert phenotypes",
    ),
    (
        Step::Figures,
        Kind::Panel,
        "export/figures",
        "export tables and figures",
    ),
    (
        Step::Report,
        Kind::Panel,
        "report/study",
        "write the study report",
    ),
];

impl Step {
    /// The step's row: the table lists the steps in the enum's order (its test checks it).
    fn row(self) -> &'static (Step, Kind, &'static str, &'static str) {
        &TABLE[self as usize]
    }

    /// The step's journal key (`data/clean`).
    pub fn key(self) -> &'static str {
        self.row().2
    }

    /// The step's title, as progress lines show it.
    pub fn title(self) -> &'static str {
        self.row().3
    }

    pub fn kind(self) -> Kind {
        self.row().1
    }
}

/// The steps of one study, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    steps: Vec<Step>,
}

impl Plan {
    /// A study on a user's cohort: with the panel unless the covariates are fixed, with the
    /// approval gate when a person approves the panel's set.
    pub fn study(panel_meets: bool, approval: bool) -> Plan {
        Plan::of(|kind| match kind {
            Kind::Simulation => false,
            Kind::Analysis => true,
            Kind::Panel => panel_meets,
            Kind::Approval => panel_meets && approval,
        })
    }

    /// The demo: the simulation, then the plan of a study with the panel and no gate.
    pub fn demo() -> Plan {
        Plan::of(|kind| kind != Kind::Approval)
    }

    fn of(include: impl Fn(Kind) -> bool) -> Plan {
        Plan {
            steps: TABLE
                .iter()
                .filter(|row| include(row.1))
                .map(|row| row.0)
                .collect(),
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The step's number as users see it (from 1), if the plan has it.
    pub fn number(&self, step: Step) -> Option<usize> {
        self.steps.iter().position(|s| *s == step).map(|i| i + 1)
    }

    /// The journal keys, in order (the `study/plan` event's `steps`).
    pub fn keys(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.key()).collect()
    }

    pub fn titles(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.title()).collect()
    }

    /// Where the step with this key stands (from 0): the steps before it are what a fork from
    /// it reuses.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_one_row() {
        for (i, (step, ..)) in TABLE.iter().enumerate() {
            assert_eq!(*step as usize, i);
        }
    }

    /// The plans old journals and readers know, key for key.
    #[test]
    fn plans_keep_their_keys() {
        let study = [
            "data/clean",
            "screen/candidates",
            "panel/confounders",
            "panel/phenotypes",
            "phewas/adjusted",
            "report/summary",
            "validation/classify",
            "export/figures",
            "report/study",
        ];
        assert_eq!(Plan::study(true, false).keys(), study);
        let mut approved = study.to_vec();
        approved.insert(3, "panel/approval");
        assert_eq!(Plan::study(true, true).keys(), approved);
        assert_eq!(
            Plan::study(false, true).keys(),
            ["data/clean", "phewas/adjusted", "report/summary"]
        );
        let mut demo = vec!["cohort/simulate"];
        demo.extend(study);
        assert_eq!(Plan::demo().keys(), demo);
        assert_eq!(Plan::study(true, true).number(Step::Phewas), Some(6));
        assert_eq!(Plan::study(false, false).number(Step::Summary), Some(3));
        assert_eq!(Plan::study(false, false).number(Step::Screen), None);
    }
}
