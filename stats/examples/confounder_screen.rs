//! Prints the confounder screen of a simulated cohort for a growing adjustment set, as a
//! forward selection would see it: `cargo run --release -p meshagents-stats --example
//! confounder_screen -- N SEED [SET...]` (`SCENARIO=factor-confounder` for another structure).

use std::time::Instant;

use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::confounding::{screen, ScreenRequest, DEFAULT_MAX_PAIRS};
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::simulate::{simulate, Scenario, SimulationConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .first()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20_000);
    let seed: u64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let set: Vec<String> = args.iter().skip(2).cloned().collect();
    let scenario = match std::env::var("SCENARIO").as_deref() {
        Ok("factor-confounder") => Scenario::FactorConfounder,
        Ok("mediator") => Scenario::Mediator,
        _ => Scenario::Baseline,
    };
    let cohort = simulate(&SimulationConfig {
        n,
        seed,
        scenario,
        ..SimulationConfig::default()
    })?;
    let table = AnalysisTable::from_frame(
        &cohort.data,
        cohort.dictionary.clone(),
        &CleaningRules::default(),
        "sim",
    )?;
    let phenotypes = table.kept_with_role(Role::Imaging);
    let factors = table.kept_with_role(Role::Factor);
    let mut candidates = table.kept_with_role(Role::Covariate);
    candidates.extend(factors.iter().cloned());
    let order = table
        .dictionary
        .entries
        .iter()
        .map(|e| {
            let tier = match e.category.as_str() {
                "Primary demographics" | "Early life factors" | "Education and employment" => 0,
                "Diet" | "Alcohol" | "Smoking" | "Physical activity" => 1,
                "Physical measures" => 2,
                _ => 3,
            };
            (e.column.clone(), tier)
        })
        .collect();
    let request = ScreenRequest {
        phenotypes,
        factors,
        adjusted_for: set,
        candidates,
        max_pairs: DEFAULT_MAX_PAIRS,
        seed: 7,
        order,
    };
    let t = Instant::now();
    let result = screen(&table, &request)?;
    eprintln!("screen in {:.2?}; pairs {:?}", t.elapsed(), result.pairs);
    println!(
        "{:<12} {:<28} {:>6} {:>6} {:>6} {:>7} {:>5} {:>5} {:>5} {:>5} {:>5}",
        "var",
        "category",
        "moved",
        "share",
        "assoc",
        "medmove",
        "phen",
        "pmax",
        "facs",
        "r2",
        "medr"
    );
    for e in result
        .members
        .iter()
        .chain(result.candidates.iter().take(25))
    {
        println!(
            "{:<12} {:<28} {:>6} {:>6.3} {:>6} {:>7.2} {:>5.2} {:>5.2} {:>5} {:>5.2} {:>5} {}",
            e.variable,
            e.category.chars().take(28).collect::<String>(),
            e.pairs_moved,
            e.share_moved,
            e.pairs_associated,
            e.median_move_associated.unwrap_or(f64::NAN),
            e.phenotype_share,
            e.phenotype_max_abs_r,
            e.factors_associated,
            e.r2_with_set,
            e.mediator_risk
                .map(|m| format!("{m:.2}"))
                .unwrap_or_default(),
            e.position,
        );
    }
    Ok(())
}
