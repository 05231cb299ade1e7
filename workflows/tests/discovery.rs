//! The confounder panel against known causal structures. For every `simulate` scenario over
//! five seeds at n = 20,000, the embedded panel (proposals from the whole catalogue, then
//! votes) must find at least 90 % of the planted confounders with at most one false adjustment
//! per run (mediators and proxies count as false), and the scenario whose confounder is an
//! ordinary factor must find it in every run. With every column renamed to an opaque id and
//! the descriptions blank, in every scenario, the confounders must still be proposed and
//! adopted (body size through weight or one of its indices), with at most one false
//! adjustment and no mediator: the rules read evidence, not names.

use std::collections::BTreeMap;

use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::simulate::{simulate, Scenario, SimulationConfig, Truth};
use meshagents_workflows::panel::{confounder_panel, PanelConfig};

const N: usize = 20_000;
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
const DEMOGRAPHIC: [&str; 4] = ["age", "sex", "height", "weight"];

struct Run {
    seed: u64,
    /// Why each adopted variable was adopted: every vote's rationale.
    why: BTreeMap<String, Vec<String>>,
    adopted: Vec<String>,
    planted: Vec<String>,
    proposed_new: Vec<String>,
}

impl Run {
    fn found(&self) -> usize {
        self.planted
            .iter()
            .filter(|c| self.adopted.contains(c))
            .count()
    }
    fn false_adjustments(&self) -> Vec<&String> {
        self.adopted
            .iter()
            .filter(|a| !self.planted.contains(a))
            .collect()
    }
}

/// Simulates, loads and runs stage A; with `opaque`, every column but the id is renamed
/// `v0001`... and every description blanked before the panel sees the data, and the results
/// are mapped back to the planted names for scoring.
fn run(scenario: Scenario, seed: u64, opaque: bool) -> Run {
    let cohort = simulate(&SimulationConfig {
        n: N,
        seed,
        scenario,
        ..SimulationConfig::default()
    })
    .expect("simulates");
    let mut data = cohort.data.clone();
    let mut dictionary = cohort.dictionary.clone();
    let mut back: BTreeMap<String, String> = BTreeMap::new();
    if opaque {
        for (i, entry) in dictionary.entries.iter_mut().enumerate() {
            if entry.role == Role::Id {
                continue;
            }
            let id = format!("v{i:04}");
            data.rename(&entry.column, id.as_str().into())
                .expect("renames");
            back.insert(id.clone(), entry.column.clone());
            entry.column = id;
            entry.description = String::new();
            entry.field_id = None;
        }
    }
    let name_of = |n: &str| back.get(n).cloned().unwrap_or_else(|| n.to_string());
    let table = AnalysisTable::from_frame(&data, dictionary, &CleaningRules::default(), "sim")
        .expect("loads");
    let seeds = table.kept_with_role(Role::Covariate);
    let phenotypes = table.kept_with_role(Role::Imaging);
    let factors = table.kept_with_role(Role::Factor);
    let dir = tempfile::tempdir().expect("temp dir");
    let decision = confounder_panel(
        &table,
        &seeds,
        (&phenotypes, &factors),
        &PanelConfig::default(),
        &dir.path().join("journal"),
        2,
    )
    .expect("the panel decides");
    let truth: &Truth = &cohort.truth;
    let mut why: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in &decision.votes {
        why.entry(name_of(&v.variable)).or_default().push(format!(
            "{} {}: {}",
            v.agent,
            if v.include { "for" } else { "against" },
            v.rationale
        ));
    }
    let mut proposed_new: Vec<String> = decision
        .proposals
        .iter()
        .filter(|p| p.status == "added")
        .map(|p| name_of(&p.variable))
        .collect();
    proposed_new.sort();
    proposed_new.dedup();
    Run {
        seed,
        why,
        adopted: decision.confounders.iter().map(|c| name_of(c)).collect(),
        planted: truth.confounders.clone(),
        proposed_new,
    }
}

/// Runs the seeds, prints what happened, and checks the recall and the false adjustments.
fn check(scenario: Scenario, opaque: bool) -> Vec<Run> {
    let runs: Vec<Run> = SEEDS.iter().map(|s| run(scenario, *s, opaque)).collect();
    let (found, planted): (usize, usize) = runs
        .iter()
        .fold((0, 0), |(f, p), r| (f + r.found(), p + r.planted.len()));
    for r in &runs {
        eprintln!(
            "{} seed {} (opaque names: {opaque}): adopted {:?}; planted {:?}; false {:?}; new candidates {:?}",
            scenario.name(),
            r.seed,
            r.adopted,
            r.planted,
            r.false_adjustments(),
            r.proposed_new
        );
        for f in r.false_adjustments() {
            for line in r.why.get(f).into_iter().flatten() {
                eprintln!("    {f}: {line}");
            }
        }
    }
    let recall = found as f64 / planted as f64;
    eprintln!(
        "{}: recall {:.3} ({found} of {planted})",
        scenario.name(),
        recall
    );
    assert!(recall >= 0.9, "{}: recall {recall:.3}", scenario.name());
    for r in &runs {
        assert!(
            r.false_adjustments().len() <= 1,
            "{} seed {}: false adjustments {:?}",
            scenario.name(),
            r.seed,
            r.false_adjustments()
        );
    }
    runs
}

/// The planted confounders beyond the demographic ones.
fn beyond_demographics(run: &Run) -> Vec<&String> {
    run.planted
        .iter()
        .filter(|c| !DEMOGRAPHIC.contains(&c.as_str()))
        .collect()
}

#[test]
fn baseline_finds_the_demographic_confounders() {
    check(Scenario::Baseline, false);
}

#[test]
fn a_confounder_among_the_factors_is_proposed_and_adopted_in_every_run() {
    for run in check(Scenario::FactorConfounder, false) {
        let extra = beyond_demographics(&run);
        assert!(
            !extra.is_empty(),
            "the scenario plants a non-demographic confounder"
        );
        for c in extra {
            assert!(
                run.proposed_new.contains(c) && run.adopted.contains(c),
                "seed {}: {c} proposed {:?}, adopted {:?}",
                run.seed,
                run.proposed_new,
                run.adopted
            );
        }
    }
}

#[test]
fn a_strong_mediator_is_not_adjusted_for() {
    for run in check(Scenario::Mediator, false) {
        assert!(
            run.false_adjustments().is_empty(),
            "seed {}: {:?}",
            run.seed,
            run.adopted
        );
    }
}

#[test]
fn opaque_names_and_blank_descriptions_still_find_the_confounders() {
    // Without names the knowledge base cannot tell weight from the indices computed from it
    // (BMI, BSA are functions of height and weight, and weight is as much a function of height
    // and BSA), so body size may be adjusted through either: the strong evidence is what must
    // be found, with at most one false adjustment per run and never a mediator.
    for scenario in [
        Scenario::Baseline,
        Scenario::FactorConfounder,
        Scenario::Mediator,
    ] {
        opaque_runs(scenario);
    }
}

/// One scenario's opaque runs: see the test above.
fn opaque_runs(scenario: Scenario) {
    let runs: Vec<Run> = SEEDS.iter().map(|s| run(scenario, *s, true)).collect();
    let cohort = simulate(&SimulationConfig {
        n: 100,
        seed: 1,
        scenario,
        ..SimulationConfig::default()
    })
    .unwrap();
    let proxies = &cohort.truth.confounder_proxies;
    let mut false_total = 0;
    for r in &runs {
        eprintln!(
            "opaque {} seed {}: adopted {:?}; false {:?}",
            scenario.name(),
            r.seed,
            r.adopted,
            r.false_adjustments()
        );
        false_total += r.false_adjustments().len();
        for c in r.planted.iter().filter(|c| c.as_str() != "weight") {
            assert!(
                r.adopted.contains(c)
                    && (DEMOGRAPHIC.contains(&c.as_str()) || r.proposed_new.contains(c)),
                "seed {}: {c} not proposed and adopted: {:?}",
                r.seed,
                r.adopted
            );
        }
        assert!(
            r.adopted
                .iter()
                .any(|a| a == "weight" || proxies.contains(a)),
            "seed {}: body size beyond height is not adjusted for: {:?}",
            r.seed,
            r.adopted
        );
        assert!(
            r.false_adjustments().len() <= 1,
            "seed {}: false adjustments {:?}",
            r.seed,
            r.false_adjustments()
        );
        let mediators = &cohort.truth.mediators;
        assert!(
            !r.adopted.iter().any(|a| mediators.contains(a)),
            "seed {}: a mediator was adjusted for: {:?}",
            r.seed,
            r.adopted
        );
    }
    eprintln!(
        "opaque names, {}: {false_total} false adjustments over {} runs",
        scenario.name(),
        runs.len()
    );
}
