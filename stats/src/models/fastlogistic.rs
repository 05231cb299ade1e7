//! The logistic PheWAS kernel: ordinary maximum likelihood for `factor ~ 1 + columns` on
//! gathered, contiguous columns, at a few streaming passes per fit.
//!
//! Why a second logistic fitter next to [`crate::models::logistic`]: a PheWAS fits thousands of models
//! that differ in one column, and the general fitter (row-major design, `exp`/`ln_1p` from
//! libm, a weighted copy of the design per iteration) spends most of its time outside the
//! arithmetic the model needs. Here each Newton pass walks the rows in small chunks that stay
//! in L1: the linear predictor, a polynomial `exp`, the weights, the score and the lower
//! triangle of the information as fixed-order dot products. The log-likelihood (logarithms of
//! lane products) is only computed in the passes that can be the last.
//!
//! Determinism: every sum is taken in an order fixed by this code (eight lane accumulators,
//! combined pairwise, chunk by chunk), never by the vector width the compiler picks, and no
//! multiply-add is fused, so the same inputs give the same bits on any x86-64 CPU and any
//! thread count; the AVX2/AVX-512 builds of [`dispatch_pass`] only run the same operations
//! wider.
//!
//! When the plain Newton iteration does not settle (separation, huge coefficients, a singular
//! information), the kernel returns `None` and the caller falls back to the guarded fitter,
//! which also decides about Firth's correction.

use crate::models::linalg::{cholesky, cholesky_inverse, cholesky_solve};
use crate::models::vector_level::vector_kernel;

/// Rows per chunk: the chunk's linear predictor, weights and residuals stay in L1.
const CHUNK: usize = 256;
/// Lane accumulators per sum: fixes the summation order independently of the SIMD width.
/// Sums are taken several at a time ([`Lanes::dots`]) so that their additions overlap.
const LANES: usize = 8;
const MAX_ITERATIONS: usize = 30;
/// A step below this (relative to the coefficients' scale) means the estimates are within
/// about its square of the optimum (Newton converges quadratically), so the next pass can be
/// the last and computes the log-likelihood.
const NEAR: f64 = 1e-4;
/// The last step must be below this for the answer to be accepted.
const DONE: f64 = 1e-11;

/// An ordinary logistic fit: coefficients `[intercept, columns...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnFit {
    pub beta: Vec<f64>,
    pub se: Vec<f64>,
    pub log_likelihood: f64,
    pub passes: usize,
}

/// Fits `y ~ 1 + columns` (all of length `y.len()`, no missing values; `y` is 0/1) by Newton's
/// method from `start` (zeros when `None`). `None` when the iteration does not settle; see the
/// module documentation.
pub fn fit(columns: &[&[f64]], y: &[f64], start: Option<&[f64]>) -> Option<ColumnFit> {
    let k = columns.len() + 1;
    if y.len() < k + 1 || columns.iter().any(|c| c.len() != y.len()) {
        return None;
    }
    let beta = match start {
        Some(s) if s.len() == k => s.to_vec(),
        _ => vec![0.0; k],
    };
    newton(columns, y, beta, None)
}

/// A fitted model `y ~ 1 + covariates` with what its last pass saw row by row: the weights
/// and residuals at the estimates. A model with one more column starts at these estimates (the
/// new coefficient at zero), where its linear predictor, and so its weights and residuals, are
/// the same: its first Newton pass then needs no exponential and only the new column's row of
/// the information.
#[derive(Debug, Clone)]
pub struct NullModel {
    /// `[intercept, covariates...]`
    pub beta: Vec<f64>,
    pub log_likelihood: f64,
    weight: Vec<f64>,
    resid: Vec<f64>,
    score: Vec<f64>,
    info: Vec<f64>,
}

/// Fits the null model and keeps its last pass.
pub fn fit_null(covariates: &[&[f64]], y: &[f64]) -> Option<NullModel> {
    let fit = fit(covariates, y, None)?;
    let mut weight = vec![0.0; y.len()];
    let mut resid = vec![0.0; y.len()];
    let state = dispatch_pass(
        covariates,
        y,
        &fit.beta,
        Need::Full,
        Some((&mut weight, &mut resid)),
    );
    Some(NullModel {
        beta: fit.beta,
        log_likelihood: fit.log_likelihood,
        weight,
        resid,
        score: state.score,
        info: state.info,
    })
}

/// Fits `y ~ 1 + added + covariates` (coefficients in that order) from the null model's
/// estimates, whose first pass is reused.
pub fn fit_added(
    null: &NullModel,
    added: &[f64],
    covariates: &[&[f64]],
    y: &[f64],
) -> Option<ColumnFit> {
    let n = y.len();
    let k = covariates.len() + 2;
    if n < k + 1
        || added.len() != n
        || null.weight.len() != n
        || null.beta.len() != k - 1
        || covariates.iter().any(|c| c.len() != n)
    {
        return None;
    }
    let mut columns: Vec<&[f64]> = Vec::with_capacity(k - 1);
    columns.push(added);
    columns.extend_from_slice(covariates);
    // The first pass at [intercept, 0, covariates...]: the null model's score and information
    // with the new column's row and column inserted at index 1.
    let (score_added, row) = dispatch_added_row(&null.weight, &null.resid, added, covariates);
    let m = k - 1;
    let full_index = |j: usize| if j == 0 { 0 } else { j + 1 };
    let mut score = vec![0.0; k];
    let mut info = vec![0.0; k * k];
    for a in 0..m {
        score[full_index(a)] = null.score[a];
        for b in 0..m {
            info[full_index(a) * k + full_index(b)] = null.info[a * m + b];
        }
    }
    score[1] = score_added;
    for (j, value) in row.into_iter().enumerate() {
        // row[j] = sum w x_added * [1, added, covariates...][j]
        info[k + j] = value;
        info[j * k + 1] = value;
    }
    let mut beta = null.beta.clone();
    beta.insert(1, 0.0);
    newton(
        &columns,
        y,
        beta,
        Some(PassState {
            score,
            info,
            log_likelihood: f64::NAN,
        }),
    )
}

/// Newton's iteration from `beta`; `first`, when given, is the pass at `beta` already done.
fn newton(
    columns: &[&[f64]],
    y: &[f64],
    mut beta: Vec<f64>,
    mut first: Option<PassState>,
) -> Option<ColumnFit> {
    let k = columns.len() + 1;
    let mut last_step = f64::INFINITY;
    for passes in 1..=MAX_ITERATIONS {
        let scale = beta.iter().map(|b| b.abs()).fold(1.0, f64::max);
        let need = if last_step < NEAR * scale {
            Need::WithLikelihood
        } else {
            Need::Full
        };
        let state = match first.take() {
            Some(state) => state,
            None => dispatch_pass(columns, y, &beta, need, None),
        };
        let chol = cholesky(&state.info, k).ok()?;
        let step = cholesky_solve(&chol, k, &state.score);
        if !step.iter().all(|s| s.is_finite()) {
            // (A NaN would also slip past the maximum below, which ignores it.)
            return None;
        }
        let change = step.iter().map(|s| s.abs()).fold(0.0, f64::max);
        if need == Need::WithLikelihood && change < DONE * scale {
            // The information and log-likelihood at `beta` are those of the optimum to within
            // the square of a step this small; the step itself polishes the estimates.
            let inverse = cholesky_inverse(&chol, k);
            let se: Vec<f64> = (0..k).map(|j| inverse[j * k + j].sqrt()).collect();
            for (b, s) in beta.iter_mut().zip(&step) {
                *b += s;
            }
            if !se.iter().all(|v| v.is_finite()) || !state.log_likelihood.is_finite() {
                return None;
            }
            return Some(ColumnFit {
                beta,
                se,
                log_likelihood: state.log_likelihood,
                passes,
            });
        }
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
        if !beta.iter().all(|b| b.is_finite()) || beta.iter().any(|b| b.abs() > 50.0) {
            return None;
        }
        last_step = change;
    }
    None
}

/// What a pass computes besides the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// The score and the information.
    Full,
    /// Both, and the log-likelihood.
    WithLikelihood,
}

/// Score, information (full symmetric k x k, row-major) and, when asked, log-likelihood.
struct PassState {
    score: Vec<f64>,
    info: Vec<f64>,
    log_likelihood: f64,
}

/// Per-row weights and residuals a pass may keep.
type RowsOut<'a> = Option<(&'a mut [f64], &'a mut [f64])>;

vector_kernel! {
    fn dispatch_pass(
        columns: &[&[f64]],
        y: &[f64],
        beta: &[f64],
        need: Need,
        rows: RowsOut,
    ) -> PassState;
    L in (simd::Avx512, simd::Avx2, Portable) => pass_body::<L>(columns, y, beta, need, rows)
}

vector_kernel! {
    fn dispatch_added_row(
        weight: &[f64],
        resid: &[f64],
        added: &[f64],
        covariates: &[&[f64]],
    ) -> (f64, Vec<f64>);
    L in (simd::Avx512, simd::Avx2, Portable) => added_row_body::<L>(weight, resid, added, covariates)
}

/// `(sum r x, [sum w x, sum w x x, sum w x c...])` chunk by chunk in the order of a pass.
#[inline(always)]
fn added_row_body<L: Lanes>(
    weight: &[f64],
    resid: &[f64],
    added: &[f64],
    covariates: &[&[f64]],
) -> (f64, Vec<f64>) {
    let n = added.len();
    let mut score = 0.0;
    let mut row = vec![0.0; covariates.len() + 2];
    let mut weighted = [0.0f64; CHUNK];
    let mut xs: Vec<&[f64]> = Vec::with_capacity(covariates.len() + 1);
    let mut start = 0;
    while start < n {
        let len = CHUNK.min(n - start);
        let x = &added[start..start + len];
        let w = &weight[start..start + len];
        let weighted = &mut weighted[..len];
        score += L::dots([x], &resid[start..start + len])[0];
        for ((wx, w), v) in weighted.iter_mut().zip(w).zip(x) {
            *wx = w * v;
        }
        row[0] += sum(weighted);
        xs.clear();
        xs.push(x);
        xs.extend(covariates.iter().map(|c| &c[start..start + len]));
        for_dots::<L>(weighted, &xs, |j, value| row[j + 1] += value);
        start += len;
    }
    (score, row)
}

#[inline(always)]
fn pass_body<L: Lanes>(
    columns: &[&[f64]],
    y: &[f64],
    beta: &[f64],
    need: Need,
    mut rows: RowsOut,
) -> PassState {
    let n = y.len();
    let p = columns.len();
    let k = p + 1;
    let mut score = vec![0.0; k];
    // Lower triangle, row-major in a k x k matrix; mirrored at the end.
    let mut info = vec![0.0; k * k];
    let mut log_likelihood = 0.0;
    let mut eta = [0.0f64; CHUNK];
    let mut weight = [0.0f64; CHUNK];
    let mut resid = [0.0f64; CHUNK];
    let mut weighted = [0.0f64; CHUNK];
    let mut xs: Vec<&[f64]> = Vec::with_capacity(p);
    let mut start = 0;
    while start < n {
        let len = CHUNK.min(n - start);
        let eta = &mut eta[..len];
        let weight = &mut weight[..len];
        let resid = &mut resid[..len];
        let weighted = &mut weighted[..len];
        let ys = &y[start..start + len];
        eta.fill(beta[0]);
        for (c, column) in columns.iter().enumerate() {
            let b = beta[c + 1];
            for (e, x) in eta.iter_mut().zip(&column[start..start + len]) {
                *e += b * x;
            }
        }
        let mut small = [0.0f64; CHUNK];
        let small = &mut small[..len];
        for i in 0..len {
            // With a = exp(-|eta|) <= 1: mu and 1 - mu are 1/(1+a) and a/(1+a) in the order
            // the sign of eta says, both accurate however large |eta| is.
            let v = eta[i];
            let a = exp(-v.abs());
            let inverse = 1.0 / (1.0 + a);
            let (mu, complement) = if v >= 0.0 {
                (inverse, a * inverse)
            } else {
                (a * inverse, inverse)
            };
            small[i] = a;
            weight[i] = mu * complement;
            resid[i] = ys[i] - mu;
        }
        if need == Need::WithLikelihood {
            // log P(y) = y eta - log(1 + exp(eta)) = y eta - max(eta, 0) - log(1 + a).
            // The logarithms are summed as the logarithm of products, lane by lane: each lane
            // multiplies at most CHUNK / LANES factors in [1, 2] (no overflow), so a chunk
            // costs LANES + 1 logarithms instead of one per row, at a rounding error of about
            // CHUNK / LANES units in the last place per lane.
            let mut terms = [0.0f64; CHUNK];
            for i in 0..len {
                let v = eta[i];
                let positive = if v > 0.0 { v } else { 0.0 };
                terms[i] = ys[i] * v - positive;
            }
            let whole = len - len % LANES;
            let mut products = [1.0f64; LANES];
            for block in small[..whole].chunks_exact(LANES) {
                for (p, a) in products.iter_mut().zip(block) {
                    *p *= 1.0 + a;
                }
            }
            let tail: f64 = small[whole..].iter().map(|a| 1.0 + a).product();
            let logs = products.map(f64::ln);
            log_likelihood += sum(&terms[..len]) - (combine(logs) + tail.ln());
        }
        if let Some((w_out, r_out)) = rows.as_mut() {
            w_out[start..start + len].copy_from_slice(weight);
            r_out[start..start + len].copy_from_slice(resid);
        }
        score[0] += sum(resid);
        info[0] += sum(weight);
        xs.clear();
        xs.extend(columns.iter().map(|c| &c[start..start + len]));
        for_dots::<L>(resid, &xs, |c, value| score[c + 1] += value);
        for (c, x) in xs.iter().enumerate() {
            for ((w, wx), v) in weight.iter().zip(weighted.iter_mut()).zip(*x) {
                *wx = w * v;
            }
            info[(c + 1) * k] += sum(weighted);
            for_dots::<L>(weighted, &xs[..=c], |d, value| {
                info[(c + 1) * k + d + 1] += value
            });
        }
        start += len;
    }
    for a in 0..k {
        for b in 0..a {
            info[b * k + a] = info[a * k + b];
        }
    }
    PassState {
        score,
        info,
        log_likelihood,
    }
}

/// Sum in a fixed order: [`LANES`] lanes, combined pairwise, then the tail in sequence.
#[inline(always)]
fn sum(a: &[f64]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let mut chunks = a.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (l, v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    let mut total = combine(lanes);
    for v in chunks.remainder() {
        total += v;
    }
    total
}

/// Calls `add(j, a . bs[j])` for every `j`, each dot product in the same fixed order as
/// [`sum`], four at a time.
#[inline(always)]
fn for_dots<L: Lanes>(a: &[f64], bs: &[&[f64]], mut add: impl FnMut(usize, f64)) {
    let mut j = 0;
    while j + 4 <= bs.len() {
        let values = L::dots([bs[j], bs[j + 1], bs[j + 2], bs[j + 3]], a);
        for (offset, value) in values.into_iter().enumerate() {
            add(j + offset, value);
        }
        j += 4;
    }
    while j < bs.len() {
        add(j, L::dots([bs[j]], a)[0]);
        j += 1;
    }
}

/// `M` dot products with `a` in one sweep, each in the fixed order of [`sum`]: lane `l`
/// accumulates the products of elements `l, l + 8, ...`, the lanes are combined by
/// [`combine`], then the tail is added in sequence. Implementations differ only in how many
/// lanes one instruction handles, never in the order of the additions.
trait Lanes {
    fn dots<const M: usize>(bs: [&[f64]; M], a: &[f64]) -> [f64; M];
}

/// Plain Rust, for CPUs without AVX2 (and the reference the others are tested against).
struct Portable;

impl Lanes for Portable {
    #[inline(always)]
    fn dots<const M: usize>(bs: [&[f64]; M], a: &[f64]) -> [f64; M] {
        let n = a.len();
        let whole = n - n % LANES;
        let mut lanes = [[0.0f64; LANES]; M];
        let mut i = 0;
        while i < whole {
            let x = &a[i..i + LANES];
            for (acc, b) in lanes.iter_mut().zip(&bs) {
                let y = &b[i..i + LANES];
                for l in 0..LANES {
                    acc[l] += x[l] * y[l];
                }
            }
            i += LANES;
        }
        let mut out = [0.0f64; M];
        for ((o, acc), b) in out.iter_mut().zip(lanes).zip(&bs) {
            *o = finish(combine(acc), &a[whole..], &b[whole..]);
        }
        out
    }
}

#[inline(always)]
fn finish(mut total: f64, a: &[f64], b: &[f64]) -> f64 {
    for (x, y) in a.iter().zip(b) {
        total += x * y;
    }
    total
}

#[cfg(target_arch = "x86_64")]
mod simd {
    //! The same lanes in AVX-512 (one register) and AVX2 (two registers). Multiplies and adds
    //! stay separate instructions (no fused multiply-add), so each lane rounds exactly as the
    //! portable code does. Only called from functions compiled for these features.
    use super::{combine, finish, Lanes, LANES};
    use std::arch::x86_64::*;

    pub struct Avx512;
    pub struct Avx2;

    /// `a`'s length and where its whole chunks of lanes end, once every `b` is known to be as
    /// long: the vector loads read without bounds checks.
    #[inline(always)]
    fn lengths<const M: usize>(bs: &[&[f64]; M], a: &[f64]) -> (usize, usize) {
        let n = a.len();
        for b in bs {
            assert!(b.len() >= n);
        }
        (n, n - n % LANES)
    }

    impl Lanes for Avx512 {
        #[inline(always)]
        fn dots<const M: usize>(bs: [&[f64]; M], a: &[f64]) -> [f64; M] {
            let (n, whole) = lengths(&bs, a);
            // SAFETY: every load reads LANES elements at i < whole <= len of each slice; the
            // caller runs on a CPU with AVX-512F (see `pass`).
            unsafe {
                let mut acc = [_mm512_setzero_pd(); M];
                let mut i = 0;
                while i < whole {
                    let x = _mm512_loadu_pd(a.as_ptr().add(i));
                    for (acc, b) in acc.iter_mut().zip(&bs) {
                        let y = _mm512_loadu_pd(b.as_ptr().add(i));
                        *acc = _mm512_add_pd(*acc, _mm512_mul_pd(x, y));
                    }
                    i += LANES;
                }
                let mut out = [0.0f64; M];
                for ((o, acc), b) in out.iter_mut().zip(acc).zip(&bs) {
                    let mut lanes = [0.0f64; LANES];
                    _mm512_storeu_pd(lanes.as_mut_ptr(), acc);
                    *o = finish(combine(lanes), &a[whole..], &b[whole..n]);
                }
                out
            }
        }
    }

    impl Lanes for Avx2 {
        #[inline(always)]
        fn dots<const M: usize>(bs: [&[f64]; M], a: &[f64]) -> [f64; M] {
            let (n, whole) = lengths(&bs, a);
            // SAFETY: as for AVX-512, with two 4-lane registers per sum (lanes 0-3, 4-7).
            unsafe {
                let mut low = [_mm256_setzero_pd(); M];
                let mut high = [_mm256_setzero_pd(); M];
                let mut i = 0;
                while i < whole {
                    let x0 = _mm256_loadu_pd(a.as_ptr().add(i));
                    let x1 = _mm256_loadu_pd(a.as_ptr().add(i + 4));
                    for j in 0..M {
                        let y0 = _mm256_loadu_pd(bs[j].as_ptr().add(i));
                        let y1 = _mm256_loadu_pd(bs[j].as_ptr().add(i + 4));
                        low[j] = _mm256_add_pd(low[j], _mm256_mul_pd(x0, y0));
                        high[j] = _mm256_add_pd(high[j], _mm256_mul_pd(x1, y1));
                    }
                    i += LANES;
                }
                let mut out = [0.0f64; M];
                for j in 0..M {
                    let mut lanes = [0.0f64; LANES];
                    _mm256_storeu_pd(lanes.as_mut_ptr(), low[j]);
                    _mm256_storeu_pd(lanes.as_mut_ptr().add(4), high[j]);
                    out[j] = finish(combine(lanes), &a[whole..], &bs[j][whole..n]);
                }
                out
            }
        }
    }
}

#[inline(always)]
fn combine(l: [f64; LANES]) -> f64 {
    ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

/// `exp(x)` within three units in the last place on [-708, 709] (clamped outside), written so
/// that it vectorises: Cody-Waite reduction `x = k ln 2 + r` with `|r| <= ln 2 / 2`, a
/// degree-13 Taylor polynomial for `e^r` (truncation below 4e-18; Estrin's scheme), and `2^k` built from the
/// bits of the rounding constant instead of a float-to-integer conversion.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    // fdlibm's split of ln 2: the high part has trailing zero bits, so k * LN2_HI is exact.
    let ln2_hi = f64::from_bits(0x3fe6_2e42_fee0_0000);
    let ln2_lo = f64::from_bits(0x3dea_39ef_3579_3c76);
    let x = x.clamp(-708.0, 709.0);
    let shifted = x * std::f64::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = (x - k * ln2_hi) - k * ln2_lo;
    // e^r = sum r^j / j!, j = 0..=13, evaluated by Estrin's scheme: the same number of
    // operations as Horner's rule but a dependency chain of five instead of thirteen, so that
    // the vector units are not left waiting.
    const C: [f64; 14] = [
        1.0,
        1.0,
        0.5,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p01 = C[0] + C[1] * r;
    let p23 = C[2] + C[3] * r;
    let p45 = C[4] + C[5] * r;
    let p67 = C[6] + C[7] * r;
    let p89 = C[8] + C[9] * r;
    let p1011 = C[10] + C[11] * r;
    let p1213 = C[12] + C[13] * r;
    let q0 = p01 + p23 * r2;
    let q1 = p45 + p67 * r2;
    let q2 = p89 + p1011 * r2;
    let s0 = q0 + q1 * r4;
    let s1 = q2 + p1213 * r4;
    let poly = s0 + s1 * r8;
    let exponent = shifted
        .to_bits()
        .wrapping_sub(ROUND.to_bits())
        .wrapping_add(1023)
        << 52;
    poly * f64::from_bits(exponent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::uniform;

    #[test]
    fn exp_matches_libm_to_a_few_ulp() {
        let mut lcg = uniform(1);
        let mut worst = 0.0f64;
        for _ in 0..200_000 {
            let x = (lcg() - 0.5) * 1400.0;
            let (ours, libm) = (exp(x), x.exp());
            worst = worst.max(((ours - libm) / libm).abs());
        }
        for x in [
            0.0,
            1.0,
            -1.0,
            1e-300,
            -1e-300,
            708.0,
            -707.9,
            0.5 * std::f64::consts::LN_2,
        ] {
            worst = worst.max(((exp(x) - x.exp()) / x.exp()).abs());
        }
        assert!(worst < 6.7e-16, "worst relative error {worst:e}");
        // Clamped, never zero, infinite or NaN: the weights stay defined.
        assert_eq!(exp(-1e6), exp(-708.0));
        assert!(exp(-1e6) > 0.0 && exp(1e6).is_finite());
    }

    #[test]
    fn agrees_with_the_general_fitter_and_every_instruction_set_gives_the_same_bits() {
        let n = 3001;
        let mut lcg = uniform(7);
        let x1: Vec<f64> = (0..n).map(|_| lcg() * 4.0 - 2.0).collect();
        let x2: Vec<f64> = (0..n).map(|_| 150.0 + 40.0 * lcg()).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let eta = -0.5 + 0.8 * x1[i] + 0.01 * (x2[i] - 170.0);
                let p = 1.0 / (1.0 + (-eta).exp());
                if lcg() < p {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let fast = fit(&[&x1, &x2], &y, None).unwrap();
        let design: Vec<f64> = (0..n).flat_map(|i| [1.0, x1[i], x2[i]]).collect();
        let general = crate::models::logistic::fit(&design, 3, &y, false).unwrap();
        for j in 0..3 {
            let rel = |a: f64, b: f64| ((a - b) / b).abs();
            assert!(rel(fast.beta[j], general.beta[j]) < 1e-10, "beta {j}");
            assert!(rel(fast.se[j], general.se[j]) < 1e-10, "se {j}");
        }
        assert!(
            ((fast.log_likelihood - general.log_likelihood) / general.log_likelihood).abs() < 1e-12
        );
        // Every instruction set this CPU has gives the bits of the portable body.
        let beta = fast.beta.clone();
        let columns: [&[f64]; 2] = [&x1, &x2];
        let portable = pass_body::<Portable>(&columns, &y, &beta, Need::WithLikelihood, None);
        let mut others = vec![dispatch_pass(
            &columns,
            &y,
            &beta,
            Need::WithLikelihood,
            None,
        )];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                others.push(unsafe {
                    dispatch_pass::avx2(&columns, &y, &beta, Need::WithLikelihood, None)
                });
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F.
                others.push(unsafe {
                    dispatch_pass::avx512(&columns, &y, &beta, Need::WithLikelihood, None)
                });
            }
        }
        let weight: Vec<f64> = (0..n).map(|i| 0.1 + 0.001 * (i % 97) as f64).collect();
        let resid: Vec<f64> = (0..n).map(|i| 0.5 - 0.01 * (i % 89) as f64).collect();
        assert_eq!(
            dispatch_added_row(&weight, &resid, &x1, &[&x2]),
            added_row_body::<Portable>(&weight, &resid, &x1, &[&x2])
        );
        for other in others {
            assert_eq!(other.score, portable.score);
            assert_eq!(other.info, portable.info);
            assert_eq!(
                other.log_likelihood.to_bits(),
                portable.log_likelihood.to_bits()
            );
        }
    }

    #[test]
    fn separated_data_are_left_to_the_guarded_fitter() {
        let x: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let y: Vec<f64> = (0..100).map(|i| if i < 50 { 0.0 } else { 1.0 }).collect();
        assert!(fit(&[&x], &y, None).is_none());
    }
}
