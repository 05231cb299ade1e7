//! The discovery/validation split of a study's participants.
//!
//! The panel picks each disease's phenotypes from the association of that disease with every
//! phenotype. If the classifiers that judge the choice are then scored on the same
//! participants, the selection has seen the test rows and the panel's arm is favoured (the
//! expert set was fixed before anyone saw the data). So a share of the participants is set
//! aside before anything looks at the data: the panel sees only the *discovery* part, the
//! classifiers are trained and scored (with their own leak-free cross-validation) only on the
//! *held-out* part.
//!
//! The split is a pure function of the participant ids, the disease labels and the seed: not
//! of the row order of the file, the thread count or anything computed later.
//!
//! Stratification: each participant's stratum is the pattern of their disease labels (case,
//! control or missing for every disease), with the diseases ordered from the rarest (fewest
//! cases) to the most common. Participants are sorted by stratum and, inside a stratum, by a
//! seeded hash of their id; then every row whose position `k` in that order crosses a
//! multiple of `1 / holdout` (shifted by a seeded offset) is held out (systematic sampling).
//! Any contiguous run of the order gets its share to within one participant, so the held-out
//! count of the whole cohort, and of the cases of the rarest disease (whose cases form one
//! run), is exact to within one; more common diseases, whose cases form several runs, are close
//! to their share. Rare diseases are the ones whose cases limit the folds, hence the order.

use serde::{Deserialize, Serialize};

/// The default share of participants held out for the validation.
pub const DEFAULT_HOLDOUT: f64 = 0.3;
/// The largest share allowed: the panel needs a discovery part to look at.
pub const MAX_HOLDOUT: f64 = 0.9;

/// A share that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SplitError {
    #[error("key `validation.holdout`: {0} is not between 0 and {MAX_HOLDOUT} (0 evaluates on every participant, as the paper did)")]
    Holdout(f64),
    #[error("{ids} ids but a disease column has {rows} rows")]
    Shape { ids: usize, rows: usize },
}

/// Checks a hold-out share.
pub fn check_holdout(share: f64) -> Result<(), SplitError> {
    if share.is_finite() && (0.0..=MAX_HOLDOUT).contains(&share) {
        Ok(())
    } else {
        Err(SplitError::Holdout(share))
    }
}

/// Which rows the panel may look at and which rows the classifiers are scored on.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub holdout: f64,
    pub seed: u64,
    /// Rows (indices into the table) the panel sees, ascending. Every row when `holdout` is 0.
    pub discovery: Vec<usize>,
    /// Rows the classifiers are trained and scored on, ascending. Every row when `holdout` is
    /// 0: then the selection saw the evaluated participants (the paper's protocol).
    pub evaluated: Vec<usize>,
}

impl Split {
    /// True when the evaluated participants are disjoint from the discovery part.
    pub fn is_holdout(&self) -> bool {
        self.holdout > 0.0
    }

    /// `holdout` or `all`: the value of `classification.csv`'s `split` column.
    pub fn kind(&self) -> &'static str {
        if self.is_holdout() {
            SPLIT_HOLDOUT
        } else {
            SPLIT_ALL
        }
    }

    /// Counts per part and per disease, for `decisions.json` and the report.
    pub fn summary(&self, diseases: &[(String, &[f64])]) -> SplitSummary {
        let count = |rows: &[usize], values: &[f64]| {
            let (mut cases, mut controls) = (0, 0);
            for &i in rows {
                match values.get(i) {
                    Some(v) if v.is_nan() => {}
                    Some(v) if *v != 0.0 => cases += 1,
                    Some(_) => controls += 1,
                    None => {}
                }
            }
            (cases, controls)
        };
        SplitSummary {
            protocol: self.kind().to_string(),
            holdout: self.holdout,
            seed: self.seed,
            stratified_on: diseases.iter().map(|(d, _)| d.clone()).collect(),
            discovery_n: self.discovery.len(),
            evaluated_n: self.evaluated.len(),
            diseases: diseases
                .iter()
                .map(|(d, values)| {
                    let (dc, dk) = count(&self.discovery, values);
                    let (ec, ek) = count(&self.evaluated, values);
                    DiseaseSplit {
                        disease: d.clone(),
                        discovery_cases: dc,
                        discovery_controls: dk,
                        evaluated_cases: ec,
                        evaluated_controls: ek,
                    }
                })
                .collect(),
        }
    }
}

/// `classification.csv`'s `split` value when the classifiers were scored on held-out rows.
pub const SPLIT_HOLDOUT: &str = "holdout";
/// Its value when they were scored on every participant, which the selection also saw.
pub const SPLIT_ALL: &str = "all";

/// What the split was, as recorded in `decisions.json` (`split`) and journaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSummary {
    /// `holdout` or `all` (see [`SPLIT_HOLDOUT`], [`SPLIT_ALL`]).
    pub protocol: String,
    pub holdout: f64,
    pub seed: u64,
    /// The disease labels the strata were made of.
    pub stratified_on: Vec<String>,
    pub discovery_n: usize,
    /// Participants the classifiers were trained and scored on (all of them when `holdout`
    /// is 0).
    pub evaluated_n: usize,
    pub diseases: Vec<DiseaseSplit>,
}

/// Cases and controls of one disease in each part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiseaseSplit {
    pub disease: String,
    pub discovery_cases: usize,
    pub discovery_controls: usize,
    pub evaluated_cases: usize,
    pub evaluated_controls: usize,
}

/// SplitMix64's finaliser: a fixed, well-mixed function of a 64-bit value (the same on every
/// platform, unlike `std`'s hashers, whose keys are random per process).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Splits the rows of a table with participant `ids` and disease label columns `diseases`
/// (NaN missing, non-zero a case), holding out `holdout` of them (see the module's
/// documentation for the stratification). With `holdout` 0 every row is in both parts.
pub fn split_rows(
    ids: &[i64],
    diseases: &[&[f64]],
    holdout: f64,
    seed: u64,
) -> Result<Split, SplitError> {
    check_holdout(holdout)?;
    let n = ids.len();
    if let Some(d) = diseases.iter().find(|d| d.len() != n) {
        return Err(SplitError::Shape {
            ids: n,
            rows: d.len(),
        });
    }
    if holdout == 0.0 {
        return Ok(Split {
            holdout,
            seed,
            discovery: (0..n).collect(),
            evaluated: (0..n).collect(),
        });
    }
    // Rarest disease first, so that its cases form one contiguous run of the order.
    let mut order: Vec<usize> = (0..diseases.len()).collect();
    let cases = |d: &[f64]| d.iter().filter(|v| !v.is_nan() && **v != 0.0).count();
    order.sort_by_key(|&k| (cases(diseases[k]), k));
    let label = |d: &[f64], i: usize| -> u8 {
        match d[i] {
            v if v.is_nan() => 2,
            v if v != 0.0 => 0,
            _ => 1,
        }
    };
    let key = |i: usize| -> (Vec<u8>, u64, i64) {
        let pattern = order.iter().map(|&k| label(diseases[k], i)).collect();
        (pattern, mix(seed ^ mix(ids[i] as u64)), ids[i])
    };
    let mut rows: Vec<(Vec<u8>, u64, i64, usize)> = (0..n)
        .map(|i| {
            let (p, h, id) = key(i);
            (p, h, id, i)
        })
        .collect();
    rows.sort();
    // A seeded offset in [0, 1), so which end of a run gets the extra row varies with the seed.
    let offset = (mix(seed ^ 0x005E_ED0F_5E7A_51DE) >> 11) as f64 / (1u64 << 53) as f64;
    let mut held = vec![false; n];
    for (k, row) in rows.iter().enumerate() {
        let before = (k as f64 * holdout + offset).floor();
        let after = ((k + 1) as f64 * holdout + offset).floor();
        held[row.3] = after > before;
    }
    Ok(Split {
        holdout,
        seed,
        discovery: (0..n).filter(|&i| !held[i]).collect(),
        evaluated: (0..n).filter(|&i| held[i]).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(n: usize) -> (Vec<i64>, Vec<f64>, Vec<f64>) {
        let ids: Vec<i64> = (0..n as i64).map(|i| 1_000_000 + 7 * i).collect();
        // A rare disease (every 50th) and a common one (every 4th), one missing label.
        let rare: Vec<f64> = (0..n).map(|i| f64::from(i % 50 == 3)).collect();
        let mut common: Vec<f64> = (0..n).map(|i| f64::from(i % 4 == 1)).collect();
        common[10] = f64::NAN;
        (ids, rare, common)
    }

    #[test]
    fn shares_are_kept_overall_and_per_disease() {
        let (ids, rare, common) = cohort(3000);
        let s = split_rows(&ids, &[&rare, &common], 0.3, 7).unwrap();
        assert_eq!(s.discovery.len() + s.evaluated.len(), 3000);
        assert!(s.discovery.iter().all(|i| !s.evaluated.contains(i)));
        assert!((s.evaluated.len() as i64 - 900).abs() <= 1);
        let summary = s.summary(&[("rare".into(), &rare), ("common".into(), &common)]);
        // The rarest disease's cases are one run: exact to within one.
        let r = &summary.diseases[0];
        assert_eq!(r.discovery_cases + r.evaluated_cases, 60);
        assert!((r.evaluated_cases as i64 - 18).abs() <= 1, "{r:?}");
        let c = &summary.diseases[1];
        assert!(
            (c.evaluated_cases as f64 - 0.3 * 750.0).abs() <= 3.0,
            "{c:?}"
        );
        assert_eq!(summary.protocol, SPLIT_HOLDOUT);
        assert_eq!(summary.evaluated_n, s.evaluated.len());
    }

    #[test]
    fn depends_on_ids_and_seed_not_on_row_order() {
        let (ids, rare, common) = cohort(500);
        let a = split_rows(&ids, &[&rare, &common], 0.3, 11).unwrap();
        assert_eq!(a, split_rows(&ids, &[&rare, &common], 0.3, 11).unwrap());
        // The same participants in reverse row order: the same people are held out.
        let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<_>>();
        let ids_r: Vec<i64> = ids.iter().rev().copied().collect();
        let b = split_rows(&ids_r, &[&rev(&rare), &rev(&common)], 0.3, 11).unwrap();
        let held = |s: &Split, ids: &[i64]| {
            let mut v: Vec<i64> = s.evaluated.iter().map(|&i| ids[i]).collect();
            v.sort();
            v
        };
        assert_eq!(held(&a, &ids), held(&b, &ids_r));
        let c = split_rows(&ids, &[&rare, &common], 0.3, 12).unwrap();
        assert_ne!(a.evaluated, c.evaluated, "another seed, another split");
    }

    #[test]
    fn zero_evaluates_everyone_and_bad_shares_name_the_key() {
        let (ids, rare, _) = cohort(100);
        let s = split_rows(&ids, &[&rare], 0.0, 1).unwrap();
        assert_eq!(s.discovery.len(), 100);
        assert_eq!(s.evaluated, s.discovery);
        assert_eq!(s.kind(), SPLIT_ALL);
        for bad in [-0.1, 0.95, f64::NAN] {
            let e = split_rows(&ids, &[&rare], bad, 1).unwrap_err();
            assert!(e.to_string().contains("validation.holdout"), "{e}");
        }
        assert!(split_rows(&ids, &[&rare[..10]], 0.3, 1).is_err());
    }
}
