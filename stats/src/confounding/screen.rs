//! The confounder screen: for every candidate adjustment variable, what adding it to a given
//! adjustment set would do to every phenotype x factor association of the study.
//!
//! The question is Greenland's change-in-estimate question (Maldonado & Greenland 1993), asked
//! of the whole study at once, so that a confounder acting on a subset of pairs shows up: a
//! median over the strongest pairs (what the panel read before) dilutes a variable that moves a
//! third of the lifestyle slopes and leaves the body-size ones alone.
//!
//! # Method
//!
//! Every variable (phenotype, factor, candidate) is residualised on the current adjustment set
//! `B` (ordinary least squares with an intercept, on the rows where it and all of `B` are
//! present). By Frisch-Waugh-Lovell, the standardised slope of factor `x` for phenotype `y`
//! adjusted for `B` is the correlation `r_yx` of the residuals, and the slope after adding the
//! candidate `z` is `(r_yx - r_yz r_xz) / (1 - r_xz^2)`. All correlations come from three
//! matrix products, so the screen costs about one PheWAS of correlations, whatever the number
//! of candidates. Correlations use the rows where both variables are present; each residual's
//! scale comes from its own rows (a screen, not the reported estimates: those come from the
//! PheWAS models). Binary factors enter the same way (a linear probability view of the
//! logistic model); unordered categorical factors and candidates are not screened.
//!
//! The pairs looked at are the *informative* ones: those whose association adjusted for `B`
//! is family-wise significant (Bonferroni over the pairs screened), since a relative change of
//! an estimate indistinguishable from zero is noise. Over them, per candidate:
//! - `share_moved`: the share whose estimate moves by more than 10 % when the candidate is
//!   added, counting only pairs whose factor the candidate is associated with (|r| >= 0.1):
//!   a move through a factor it is not associated with is the noise of a weak estimate, not
//!   confounding; and `factors_moved`, how many factors those pairs cover (a confounder of the
//!   study moves several exposures, a second measurement of one exposure moves only its twin);
//! - `median_move_associated`: the median move among the pairs whose factor the candidate is
//!   associated with (|r| >= 0.1), the number a dilute summary hides;
//! - its association with the phenotypes and the factors (|r| >= 0.1 after `B`);
//! - its missingness, and its collinearity with `B` (R^2 of the candidate on `B`);
//! - `mediator_risk`: of the pairs it moves, the share whose factor comes *before* it in the
//!   causal order (a variable downstream of the exposures it "confounds" is more likely on
//!   their path to the heart than a common cause of both).
//!
//! Members of `B` are reported too, each as if left out and added back (its evidence given the
//! rest of `B`), so a panel can see whether every member still earns its place.

use std::collections::{BTreeMap, HashMap};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::cohort::AnalysisTable;
use crate::data::describe::median;
use crate::data::dictionary::ValueType;
use crate::error::StatsError;
use crate::models::linalg::{cholesky, cholesky_solve, gemm_at_b};

/// A move of more than this relative change counts as moved.
pub const MOVE_THRESHOLD: f64 = 0.10;
/// |r| at or above this counts as associated (in a large sample; see
/// [`PairsScreened::factor_abs_r`]).
pub const ASSOCIATED_R: f64 = 0.10;
/// Pairs screened at most; above, a seeded sample (recorded in the result).
pub const DEFAULT_MAX_PAIRS: usize = 20_000;

/// What to screen.
#[derive(Debug, Clone)]
pub struct ScreenRequest {
    pub phenotypes: Vec<String>,
    pub factors: Vec<String>,
    /// The adjustment set the candidates would be added to.
    pub adjusted_for: Vec<String>,
    /// Variables to evaluate (members of `adjusted_for` among them are evaluated as left out
    /// and added back).
    pub candidates: Vec<String>,
    pub max_pairs: usize,
    pub seed: u64,
    /// Position of each variable in the causal order (smaller is earlier); variables without
    /// a position have no mediator risk.
    pub order: BTreeMap<String, u32>,
}

/// The pairs the screen looked at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairsScreened {
    /// Phenotype x factor pairs of the study that can be screened (non-categorical factors).
    pub total: usize,
    /// Pairs looked at: all of them, or a seeded sample of `max_pairs`.
    pub screened: usize,
    pub sampled: bool,
    pub seed: u64,
    /// Pairs family-wise significant after adjustment for the set (the denominator of
    /// `share_moved`).
    pub informative: usize,
    /// The |r| above which a pair counted as informative.
    pub informative_abs_r: f64,
    /// The |r| at or above which a candidate counted as associated with a factor, and with a
    /// phenotype: 0.1, or more in a small sample, where chance alone would pass 0.1
    /// (Bonferroni over the factors, or the phenotypes, at 5 %).
    pub factor_abs_r: f64,
    pub phenotype_abs_r: f64,
}

/// The evidence on one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfoundingEvidence {
    pub variable: String,
    pub description: String,
    pub category: String,
    /// `ok`, `no data` (never present), `no variation` (constant, or fully explained by the
    /// set), or `not screened: ...`.
    pub status: String,
    /// `candidate` (would be added to the set) or `member` (in the set: its evidence given
    /// the rest of the set).
    pub position: String,
    pub missing_share: f64,
    /// Informative pairs looked at (its own pairs, as a factor, excluded).
    pub pairs_screened: usize,
    /// Informative pairs whose factor it is associated with and whose estimate it moves by
    /// more than 10 %.
    pub pairs_moved: usize,
    /// Distinct factors among the moved pairs.
    pub factors_moved: usize,
    pub share_moved: f64,
    /// Informative pairs whose factor it is associated with, and their median move.
    pub pairs_associated: usize,
    pub median_move_associated: Option<f64>,
    /// Share of the phenotypes it is associated with after the set, and the largest |r|.
    pub phenotype_share: f64,
    pub phenotype_max_abs_r: f64,
    /// Factors it is associated with after the set (itself excluded).
    pub factors_associated: usize,
    pub factor_share: f64,
    /// R^2 of this variable on the rest of the set, and the set member it correlates with most.
    pub r2_with_set: f64,
    pub most_correlated_member: Option<String>,
    pub max_abs_r_with_member: f64,
    /// Its position in the causal order, if known.
    pub order: Option<u32>,
    /// Of the pairs it moves, the share whose factor comes earlier in the causal order.
    pub mediator_risk: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenResult {
    pub adjusted_for: Vec<String>,
    pub pairs: PairsScreened,
    /// Candidates (not in the set), strongest evidence first.
    pub candidates: Vec<ConfoundingEvidence>,
    /// Members of the set, each given the rest of the set.
    pub members: Vec<ConfoundingEvidence>,
}

/// Residuals of variables on one adjustment set: observation-major (`n x k`), zero where
/// missing, each scaled to unit sum of squares over its own present rows.
struct Residuals {
    n: usize,
    names: Vec<String>,
    values: Vec<f64>,
    /// Presence bits, one row of `words` u64 per variable.
    present: Vec<u64>,
    words: usize,
    /// Rows present, per variable (0 when it cannot be residualised).
    counts: Vec<usize>,
    /// R^2 on the set, per variable.
    r2: Vec<f64>,
}

impl Residuals {
    fn k(&self) -> usize {
        self.names.len()
    }

    fn both(&self, a: usize, b: usize) -> usize {
        let (pa, pb) = (
            &self.present[a * self.words..(a + 1) * self.words],
            &self.present[b * self.words..(b + 1) * self.words],
        );
        pa.iter()
            .zip(pb)
            .map(|(x, y)| (x & y).count_ones() as usize)
            .sum()
    }
}

/// The design columns of a set: numeric members as they are, unordered categorical members as
/// indicators of every level but the most common.
fn design(table: &AnalysisTable, set: &[String]) -> Result<Vec<Vec<f64>>, StatsError> {
    let mut columns = Vec::new();
    for name in set {
        let column = table.numeric_column(name).ok_or_else(|| {
            StatsError::Invalid(format!("column '{name}' is not in the analysis table"))
        })?;
        if column.value_type == ValueType::Categorical {
            let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
            for v in column.values.iter().filter(|v| !v.is_nan()) {
                *counts.entry(v.round() as i64).or_default() += 1;
            }
            let reference = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(l, _)| *l);
            for level in counts.keys().filter(|l| Some(**l) != reference) {
                columns.push(
                    column
                        .values
                        .iter()
                        .map(|v| {
                            if v.is_nan() {
                                f64::NAN
                            } else {
                                f64::from(v.round() as i64 == *level)
                            }
                        })
                        .collect(),
                );
            }
        } else {
            columns.push(column.values.clone());
        }
    }
    Ok(columns)
}

/// Residualises `variables` on `set` (see [`Residuals`]).
fn residualise(
    table: &AnalysisTable,
    variables: &[String],
    set: &[String],
) -> Result<Residuals, StatsError> {
    let n = table.n_rows();
    let x = design(table, set)?;
    let k = x.len() + 1;
    // Rows where every member of the set is present, and the Gram matrix over them: each
    // variable subtracts the rows it is missing from, which are usually few.
    let base: Vec<bool> = (0..n).map(|i| x.iter().all(|c| !c[i].is_nan())).collect();
    let row = |i: usize, out: &mut [f64]| {
        out[0] = 1.0;
        for (j, c) in x.iter().enumerate() {
            out[j + 1] = c[i];
        }
    };
    let mut gram = vec![0.0; k * k];
    let mut xi = vec![0.0; k];
    for i in (0..n).filter(|i| base[*i]) {
        row(i, &mut xi);
        for a in 0..k {
            for b in 0..=a {
                gram[a * k + b] += xi[a] * xi[b];
            }
        }
    }
    let words = n.div_ceil(64);
    let m = variables.len();
    let mut values = vec![0.0; n * m];
    let mut present = vec![0u64; words * m];
    let mut counts = vec![0usize; m];
    let mut r2 = vec![0.0; m];
    for (v, name) in variables.iter().enumerate() {
        let y = table.column(name).ok_or_else(|| {
            StatsError::Invalid(format!("column '{name}' is not in the analysis table"))
        })?;
        let rows: Vec<usize> = (0..n).filter(|&i| base[i] && !y[i].is_nan()).collect();
        if rows.len() < k + 2 {
            continue;
        }
        let mut g = gram.clone();
        for i in (0..n).filter(|&i| base[i] && y[i].is_nan()) {
            row(i, &mut xi);
            for a in 0..k {
                for b in 0..=a {
                    g[a * k + b] -= xi[a] * xi[b];
                }
            }
        }
        for a in 0..k {
            for b in 0..a {
                g[b * k + a] = g[a * k + b];
            }
        }
        // Centre y for accuracy: the intercept absorbs the shift.
        let mean = rows.iter().map(|&i| y[i]).sum::<f64>() / rows.len() as f64;
        let mut xty = vec![0.0; k];
        for &i in &rows {
            row(i, &mut xi);
            let yc = y[i] - mean;
            for a in 0..k {
                xty[a] += xi[a] * yc;
            }
        }
        let coef = match cholesky(&g, k) {
            Ok(l) => cholesky_solve(&l, k, &xty),
            // A set with a collinear member: residualise on what can be fitted (the mean).
            Err(_) => {
                let mut c = vec![0.0; k];
                c[0] = 0.0;
                c
            }
        };
        let mut ss = 0.0;
        let mut tss = 0.0;
        for &i in &rows {
            row(i, &mut xi);
            let fitted: f64 = xi.iter().zip(&coef).map(|(a, b)| a * b).sum();
            let e = y[i] - mean - fitted;
            values[i * m + v] = e;
            ss += e * e;
            tss += (y[i] - mean).powi(2);
            present[v * words + i / 64] |= 1u64 << (i % 64);
        }
        if ss <= tss * 1e-12 || ss == 0.0 {
            // Constant, or fully explained by the set: nothing left to correlate.
            r2[v] = 1.0;
            for &i in &rows {
                values[i * m + v] = 0.0;
            }
            continue;
        }
        let scale = 1.0 / ss.sqrt();
        for &i in &rows {
            values[i * m + v] *= scale;
        }
        counts[v] = rows.len();
        r2[v] = (1.0 - ss / tss).max(0.0);
    }
    Ok(Residuals {
        n,
        names: variables.to_vec(),
        values,
        present,
        words,
        counts,
        r2,
    })
}

/// Correlations between two groups of residualised variables (`a` rows x `b` columns).
/// Each residual has unit sum of squares over its own rows; over the rows both share, the
/// sum of products is rescaled by the share of rows in common.
fn correlations(res: &Residuals, a: &[usize], b: &[usize]) -> Vec<f64> {
    let n = res.n;
    let k = res.k();
    let gather = |idx: &[usize]| -> Vec<f64> {
        let mut out = vec![0.0; n * idx.len()];
        for i in 0..n {
            for (j, &v) in idx.iter().enumerate() {
                out[i * idx.len() + j] = res.values[i * k + v];
            }
        }
        out
    };
    let (ma, mb) = (gather(a), gather(b));
    let mut out = vec![0.0; a.len() * b.len()];
    gemm_at_b(&ma, n, a.len(), &mb, b.len(), 1.0, &mut out);
    for (i, &va) in a.iter().enumerate() {
        for (j, &vb) in b.iter().enumerate() {
            let cell = &mut out[i * b.len() + j];
            let (na, nb) = (res.counts[va], res.counts[vb]);
            if na == 0 || nb == 0 {
                *cell = 0.0;
                continue;
            }
            let both = if na == n && nb == n {
                n
            } else {
                res.both(va, vb)
            };
            if both < 3 {
                *cell = 0.0;
                continue;
            }
            // Unit sums of squares over na and nb rows; over `both` rows each holds about
            // both/na and both/nb of it.
            let scale = ((na as f64 / both as f64) * (nb as f64 / both as f64)).sqrt();
            *cell = (*cell * scale).clamp(-1.0, 1.0);
        }
    }
    out
}

/// |r| of a Bonferroni-significant correlation over `pairs` tests at about `n` rows (the
/// normal approximation of the t test of a correlation, which is exact enough at these n).
fn informative_abs_r(pairs: usize, n: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let alpha = 0.05 / pairs.max(1) as f64;
    let z = Normal::new(0.0, 1.0)
        .map(|d| d.inverse_cdf(1.0 - alpha / 2.0))
        .unwrap_or(4.0);
    let df = n.saturating_sub(3).max(1) as f64;
    z / (z * z + df).sqrt()
}

/// Evidence for `candidates` given `set`.
fn evidence_given(
    table: &AnalysisTable,
    request: &ScreenRequest,
    set: &[String],
    candidates: &[String],
    position: &str,
    pairs: &[(usize, usize)],
) -> Result<(PairsScreened, Vec<ConfoundingEvidence>), StatsError> {
    let categorical = |name: &str| {
        table.numeric_column(name).map(|c| c.value_type) == Some(ValueType::Categorical)
    };
    let screenable: Vec<String> = candidates
        .iter()
        .filter(|c| !categorical(c))
        .filter(|c| table.column(c).is_some())
        .cloned()
        .collect();
    // One residualisation of everything the pairs and candidates need.
    let mut variables: Vec<String> = request.phenotypes.clone();
    variables.extend(request.factors.iter().cloned());
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, v) in variables.iter().enumerate() {
        index.entry(v.clone()).or_insert(i);
    }
    for c in &screenable {
        if !index.contains_key(c) {
            index.insert(c.clone(), variables.len());
            variables.push(c.clone());
        }
    }
    let res = residualise(table, &variables, set)?;
    let p_idx: Vec<usize> = (0..request.phenotypes.len()).collect();
    let f_idx: Vec<usize> =
        (request.phenotypes.len()..request.phenotypes.len() + request.factors.len()).collect();
    let z_idx: Vec<usize> = screenable.iter().map(|c| index[c]).collect();
    let r_pf = correlations(&res, &p_idx, &f_idx);
    let r_pz = correlations(&res, &p_idx, &z_idx);
    let r_fz = correlations(&res, &f_idx, &z_idx);
    let nf = f_idx.len();
    let nz = z_idx.len();
    let n_typical = res.counts.iter().copied().max().unwrap_or(0);
    let threshold = informative_abs_r(pairs.len(), n_typical);
    let informative: Vec<(usize, usize)> = pairs
        .iter()
        .copied()
        .filter(|&(p, f)| r_pf[p * nf + f].abs() >= threshold)
        .collect();
    let factor_r = ASSOCIATED_R.max(informative_abs_r(nf, n_typical));
    let phenotype_r = ASSOCIATED_R.max(informative_abs_r(p_idx.len(), n_typical));
    let summary = PairsScreened {
        total: 0,
        screened: pairs.len(),
        sampled: false,
        seed: request.seed,
        informative: informative.len(),
        informative_abs_r: threshold,
        factor_abs_r: factor_r,
        phenotype_abs_r: phenotype_r,
    };
    let set_columns: Vec<(&String, &[f64])> = set
        .iter()
        .filter_map(|s| table.column(s).map(|c| (s, c)))
        .collect();
    let mut out = Vec::with_capacity(candidates.len());
    for name in candidates {
        let entry = table.dictionary.get(name);
        let values = table.column(name);
        let missing_share = values
            .map(|v| v.iter().filter(|x| x.is_nan()).count() as f64 / v.len().max(1) as f64)
            .unwrap_or(1.0);
        let mut e = ConfoundingEvidence {
            variable: name.clone(),
            description: entry.map(|e| e.description.clone()).unwrap_or_default(),
            category: entry.map(|e| e.category.clone()).unwrap_or_default(),
            status: "ok".into(),
            position: position.into(),
            missing_share,
            pairs_screened: 0,
            pairs_moved: 0,
            factors_moved: 0,
            share_moved: 0.0,
            pairs_associated: 0,
            median_move_associated: None,
            phenotype_share: 0.0,
            phenotype_max_abs_r: 0.0,
            factors_associated: 0,
            factor_share: 0.0,
            r2_with_set: 0.0,
            most_correlated_member: None,
            max_abs_r_with_member: 0.0,
            order: request.order.get(name).copied(),
            mediator_risk: None,
        };
        let Some(zi) = screenable.iter().position(|c| c == name) else {
            e.status = if values.is_none() {
                "not screened: not in the analysis table".into()
            } else {
                "not screened: unordered categorical".into()
            };
            out.push(e);
            continue;
        };
        let v = z_idx[zi];
        if missing_share >= 1.0 {
            e.status = "no data".into();
            out.push(e);
            continue;
        }
        e.r2_with_set = res.r2[v];
        if let Some(values) = values {
            for (member, column) in &set_columns {
                if let Some((r, _)) = crate::cohort::pairwise_r(values, column) {
                    if r.abs() > e.max_abs_r_with_member {
                        e.max_abs_r_with_member = r.abs();
                        e.most_correlated_member = Some((*member).clone());
                    }
                }
            }
        }
        if res.counts[v] == 0 {
            e.status = "no variation".into();
            out.push(e);
            continue;
        }
        let own_factor = request.factors.iter().position(|f| f == name);
        let phen: Vec<f64> = (0..p_idx.len()).map(|p| r_pz[p * nz + zi].abs()).collect();
        e.phenotype_share =
            phen.iter().filter(|r| **r >= phenotype_r).count() as f64 / phen.len().max(1) as f64;
        e.phenotype_max_abs_r = phen.iter().copied().fold(0.0, f64::max);
        let fac: Vec<f64> = (0..nf)
            .filter(|f| Some(*f) != own_factor)
            .map(|f| r_fz[f * nz + zi].abs())
            .collect();
        e.factors_associated = fac.iter().filter(|r| **r >= factor_r).count();
        e.factor_share = e.factors_associated as f64 / fac.len().max(1) as f64;
        let mut moved = 0usize;
        let mut looked = 0usize;
        let mut upstream = 0usize;
        let mut ordered = 0usize;
        let mut associated_moves = Vec::new();
        let mut factors_moved = std::collections::BTreeSet::new();
        for &(p, f) in &informative {
            // A candidate that is also a factor is not tested against itself.
            if Some(f) == own_factor {
                continue;
            }
            looked += 1;
            let (ryx, ryz, rxz) = (r_pf[p * nf + f], r_pz[p * nz + zi], r_fz[f * nz + zi]);
            let denominator = 1.0 - rxz * rxz;
            let change = if denominator < 1e-9 {
                f64::INFINITY
            } else {
                ((ryx - ryz * rxz) / denominator - ryx).abs() / ryx.abs()
            };
            let change = change.min(1e4);
            if change > MOVE_THRESHOLD && rxz.abs() >= factor_r {
                moved += 1;
                factors_moved.insert(f);
                if let (Some(mine), Some(theirs)) =
                    (e.order, request.order.get(&request.factors[f]))
                {
                    ordered += 1;
                    if *theirs < mine {
                        upstream += 1;
                    }
                }
            }
            if rxz.abs() >= factor_r {
                associated_moves.push(change);
            }
        }
        e.pairs_moved = moved;
        e.factors_moved = factors_moved.len();
        e.pairs_screened = looked;
        e.share_moved = moved as f64 / looked.max(1) as f64;
        e.pairs_associated = associated_moves.len();
        e.median_move_associated = median(&mut associated_moves);
        e.mediator_risk = (ordered > 0).then(|| upstream as f64 / ordered as f64);
        out.push(e);
    }
    Ok((summary, out))
}

/// The study's phenotype x factor pairs that can be screened, or a seeded sample of them.
fn screened_pairs(table: &AnalysisTable, request: &ScreenRequest) -> (usize, Vec<(usize, usize)>) {
    let categorical = |name: &str| {
        table.numeric_column(name).map(|c| c.value_type) == Some(ValueType::Categorical)
    };
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for p in 0..request.phenotypes.len() {
        for (f, name) in request.factors.iter().enumerate() {
            if !categorical(name) {
                pairs.push((p, f));
            }
        }
    }
    let total = pairs.len();
    if total > request.max_pairs {
        let mut rng = ChaCha8Rng::seed_from_u64(request.seed);
        pairs.shuffle(&mut rng);
        pairs.truncate(request.max_pairs);
        pairs.sort_unstable();
    }
    (total, pairs)
}

/// Screens the candidates (and the members of the set, each left out in turn).
pub fn screen(table: &AnalysisTable, request: &ScreenRequest) -> Result<ScreenResult, StatsError> {
    for name in request
        .phenotypes
        .iter()
        .chain(&request.factors)
        .chain(&request.adjusted_for)
    {
        if table.column(name).is_none() {
            return Err(StatsError::Invalid(format!(
                "column '{name}' is not in the analysis table"
            )));
        }
    }
    let (total, pairs) = screened_pairs(table, request);
    let outside: Vec<String> = request
        .candidates
        .iter()
        .filter(|c| !request.adjusted_for.contains(c))
        .cloned()
        .collect();
    let (mut summary, mut candidates) = evidence_given(
        table,
        request,
        &request.adjusted_for,
        &outside,
        "candidate",
        &pairs,
    )?;
    summary.total = total;
    summary.sampled = pairs.len() < total;
    let mut members = Vec::new();
    for member in &request.adjusted_for {
        let rest: Vec<String> = request
            .adjusted_for
            .iter()
            .filter(|m| *m != member)
            .cloned()
            .collect();
        let (_, mut e) = evidence_given(
            table,
            request,
            &rest,
            std::slice::from_ref(member),
            "member",
            &pairs,
        )?;
        members.append(&mut e);
    }
    candidates.sort_by(|a, b| {
        b.share_moved
            .total_cmp(&a.share_moved)
            .then(b.pairs_moved.cmp(&a.pairs_moved))
            .then(a.variable.cmp(&b.variable))
    });
    Ok(ScreenResult {
        adjusted_for: request.adjusted_for.clone(),
        pairs: summary,
        candidates,
        members,
    })
}
