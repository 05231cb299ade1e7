//! The linear PheWAS kernel: every phenotype against one factor at the cost of little more
//! than one pass over the factor.
//!
//! For `phenotype ~ 1 + covariates + factor` on the rows where the phenotype, the covariates
//! and the factor are present, the normal equations need sums over those rows. Phenotypes
//! missing together (an acquisition group) share a *base* row set `B` (phenotypes and
//! covariates present). Everything that does not involve the factor (`sum c c'`, `sum c y'`,
//! `sum y^2` over `B`) is computed once per group; for each factor, the rows of `B` where the
//! factor is missing are subtracted (or, when the factor is mostly missing, the sums are taken
//! directly over its present rows). The only full pass per factor is `sum x y'` for all
//! phenotypes at once, an AXPY per row over a row-major block with the factor zero-filled.
//! All columns are centred by their means over `B` first, so the subtractions lose no
//! precision that matters. Factors are processed in blocks: `sum x y'` for a block of factors
//! and all phenotypes of a group is one matrix product (matrixmultiply's dgemm), so the
//! phenotype block is read once per block of factors rather than once per factor.

use std::cell::RefCell;

use crate::models::linalg::{cholesky, cholesky_inverse, cholesky_solve};
use crate::models::ols::{Coefficient, FitError};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Phenotypes that share a missingness pattern, with their precomputed sums.
pub struct PhenotypeGroup {
    /// Indices into the caller's phenotype list.
    pub members: Vec<usize>,
    /// Base rows: all members and all covariates present.
    base: Vec<usize>,
    in_base: Vec<bool>,
    /// Row-major |base| x (k + members) block: the intercept, the centred covariates, then the
    /// centred phenotypes. One row is one contiguous slice, so gathering rows is one copy each.
    cy: Vec<f64>,
    k: usize,
    /// k x (k + members), row-major: `sum c c'` then `sum c y'` over the base.
    s_c: Vec<f64>,
    s_yy: Vec<f64>,
}

impl PhenotypeGroup {
    /// Columns of `cy` (and of `s_c`).
    fn width(&self) -> usize {
        self.k + self.members.len()
    }
}

/// Groups the phenotypes by missingness and precomputes their sums over each base.
pub fn prepare(phenotypes: &[&[f64]], covariates: &[&[f64]]) -> Vec<PhenotypeGroup> {
    let n = phenotypes.first().map(|p| p.len()).unwrap_or(0);
    let groups = missingness_groups(phenotypes, covariates);
    let k = covariates.len() + 1;
    let build = |(in_base, members): (Vec<bool>, Vec<usize>)| {
        let (base, cov_means, y_means) = base_means(n, &in_base, &members, phenotypes, covariates);
        let pg = members.len();
        let w = k + pg;
        let mut cy = vec![0.0; base.len() * w];
        for (row, &i) in cy.chunks_exact_mut(w).zip(&base) {
            row[0] = 1.0;
            for (j, cov) in covariates.iter().enumerate() {
                row[1 + j] = cov[i] - cov_means[j];
            }
            for (j, &m) in members.iter().enumerate() {
                row[k + j] = phenotypes[m][i] - y_means[j];
            }
        }
        let mut s_c = vec![0.0; k * w];
        let mut s_yy = vec![0.0; pg];
        for row in cy.chunks_exact(w) {
            add_squares(row, k, 1.0, &mut s_yy);
        }
        accumulate(&cy, base.len(), k, w, 1.0, &mut s_c);
        PhenotypeGroup {
            members,
            base,
            in_base,
            cy,
            k,
            s_c,
            s_yy,
        }
    };
    // The groups are independent: built in parallel, returned in order.
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .clamp(1, groups.len().max(1));
    let per_thread = groups.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<(Vec<bool>, Vec<usize>)>> = Vec::new();
    let mut groups = groups.into_iter().peekable();
    while groups.peek().is_some() {
        parts.push(groups.by_ref().take(per_thread).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(build).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// A group's base rows (ascending) and the means over them of each covariate and of each
/// member phenotype, which centre the columns.
pub(crate) fn base_means(
    n: usize,
    in_base: &[bool],
    members: &[usize],
    phenotypes: &[&[f64]],
    covariates: &[&[f64]],
) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let base: Vec<usize> = (0..n).filter(|&i| in_base[i]).collect();
    let nb = base.len().max(1) as f64;
    let mean = |v: &[f64]| base.iter().map(|&i| v[i]).sum::<f64>() / nb;
    let cov_means: Vec<f64> = covariates.iter().map(|c| mean(c)).collect();
    let y_means: Vec<f64> = members.iter().map(|&m| mean(phenotypes[m])).collect();
    (base, cov_means, y_means)
}

/// Adds `sign` times the squares of the y part of a `[c | y]` row (`k` columns of c) to `s_yy`.
#[inline]
fn add_squares(row: &[f64], k: usize, sign: f64, s_yy: &mut [f64]) {
    for (s, v) in s_yy.iter_mut().zip(&row[k..]) {
        *s += sign * v * v;
    }
}

/// Adds `sign` times c [c | y]' summed over the `m` rows of `block` (row-major m x w, each
/// row `[c | y]` with `k` columns of c) to `s_c` (k x w): one matrix product.
fn accumulate(block: &[f64], m: usize, k: usize, w: usize, sign: f64, s_c: &mut [f64]) {
    if m == 0 {
        return;
    }
    assert_eq!(block.len(), m * w);
    assert_eq!(s_c.len(), k * w);
    assert!(k <= w);
    // SAFETY: `block` is m x w with row stride w (asserted above), read as the k x m matrix
    // of its first k columns (row stride 1, column stride w) and as the m x w matrix; `s_c`
    // is k x w, row-major, and a distinct &mut.
    unsafe {
        matrixmultiply::dgemm(
            k,
            m,
            w,
            sign,
            block.as_ptr(),
            1,
            w as isize,
            block.as_ptr(),
            w as isize,
            1,
            1.0,
            s_c.as_mut_ptr(),
            w as isize,
            1,
        );
    }
}

/// How many rows ahead [`prefetch`] is asked for when gathering scattered rows.
const PREFETCH_AHEAD: usize = 12;

/// Hints the processor to bring `data` into the cache (no effect on any value).
#[inline(always)]
fn prefetch(data: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    for line in data.chunks(8) {
        // SAFETY: prefetching is only a hint; the address is that of a live slice.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr() as *const i8
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Per-thread buffers reused from one block of factors to the next.
#[derive(Default)]
struct Scratch {
    /// Column-major |base| x factors block of centred, zero-filled factor values.
    xb: Vec<f64>,
    /// Per factor, a |base|-long run holding its missing base positions first.
    missing: Vec<u32>,
    /// Gathered rows of `cy`.
    rows: Vec<f64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// For `L` factors at once (their sums are independent chains, so interleaving them hides
/// the latency of each while keeping every sum in row order): writes each factor's values on
/// the base rows into its column of `cols`, notes its missing positions in its run of
/// `missing`, and centres the present values by their mean (missing ones become 0). Returns
/// per factor the number of missing positions and the sum of squares of the centred values.
#[allow(clippy::needless_range_loop)] // lanes interleaved by index, row by row
fn centre_factors<const L: usize>(
    xs: &[&[f64]],
    base: &[usize],
    cols: &mut [f64],
    missing: &mut [u32],
) -> [(usize, f64); L] {
    let nb = base.len();
    if nb == 0 {
        return [(0, 0.0); L];
    }
    let xs: [&[f64]; L] = std::array::from_fn(|l| xs[l]);
    let mut col_parts = cols.chunks_exact_mut(nb);
    let cols: [&mut [f64]; L] = std::array::from_fn(|_| col_parts.next().expect("L columns"));
    let mut miss_parts = missing.chunks_exact_mut(nb);
    let missing: [&mut [u32]; L] =
        std::array::from_fn(|_| miss_parts.next().expect("L missing runs"));
    if let Some(&last) = base.last() {
        assert!(xs.iter().all(|x| x.len() > last));
    }
    assert!(cols.iter().all(|c| c.len() == nb) && missing.iter().all(|m| m.len() == nb));
    let xp: [*const f64; L] = std::array::from_fn(|l| xs[l].as_ptr());
    let cp: [*mut f64; L] = std::array::from_fn(|l| cols[l].as_mut_ptr());
    // Pass 1: gather, and sum the present values in row order. Adding 0.0 for a missing value
    // leaves a sum unchanged (it starts at +0.0, so it is never -0.0); the present count is
    // kept as a float (exact below 2^53) to spare integer registers.
    let mut sum = [0.0f64; L];
    let mut present = [0.0f64; L];
    for (r, &i) in base.iter().enumerate() {
        for l in 0..L {
            // SAFETY: i <= the last base row < xs[l].len(), and r < nb == cols[l].len()
            // (both asserted above).
            unsafe {
                let v = *xp[l].add(i);
                *cp[l].add(r) = v;
                let keep = (!v.is_nan() as u64).wrapping_neg();
                sum[l] += f64::from_bits(v.to_bits() & keep);
                present[l] += f64::from_bits(1.0f64.to_bits() & keep);
            }
        }
    }
    let mean: [f64; L] = std::array::from_fn(|l| sum[l] / present[l].max(1.0));
    // Pass 2: note the missing positions, centre, and sum the squares in row order (a missing
    // value becomes 0 and adds +0.0).
    let mp: [*mut u32; L] = std::array::from_fn(|l| missing[l].as_mut_ptr());
    let mut n_missing = [0usize; L];
    let mut ss = [0.0f64; L];
    for r in 0..nb {
        for l in 0..L {
            // SAFETY: r < nb == cols[l].len(), and n_missing[l] <= r < nb == missing[l].len().
            unsafe {
                let v = *cp[l].add(r);
                let nan = v.is_nan();
                // Written always, kept only when missing (no branch to mispredict).
                *mp[l].add(n_missing[l]) = r as u32;
                n_missing[l] += nan as usize;
                // v - mean, or +0.0 when missing, by a mask rather than a branch.
                let keep = (!nan as u64).wrapping_neg();
                let centred = f64::from_bits((v - mean[l]).to_bits() & keep);
                *cp[l].add(r) = centred;
                ss[l] += centred * centred;
            }
        }
    }
    std::array::from_fn(|l| (n_missing[l], ss[l]))
}

/// Fits every phenotype of `group` against each factor of a block (NaN = missing). Returns,
/// per factor, one result per member in member order.
pub fn fit_block(
    group: &PhenotypeGroup,
    factors: &[&[f64]],
) -> Vec<Vec<Result<Coefficient, FitError>>> {
    let nb = group.base.len();
    assert!(nb <= u32::MAX as usize, "base rows are indexed by u32");
    let f = factors.len();
    let w = group.width();
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let Scratch { xb, missing, rows } = &mut *scratch;
        if xb.len() < nb * f {
            xb.resize(nb * f, 0.0);
        }
        if missing.len() < nb * f {
            missing.resize(nb * f, 0);
        }
        let (xb, missing) = (&mut xb[..nb * f], &mut missing[..nb * f]);
        // Per factor: its values on the base rows, centred and zero-filled, in its own
        // contiguous column of the block (column-major: the matrix product takes any strides).
        let mut n_missing = vec![0usize; f];
        let mut s_xx = vec![0.0; f];
        const LANES: usize = 2;
        let mut j = 0;
        while j < f {
            let (cols, miss) = (&mut xb[j * nb..], &mut missing[j * nb..]);
            let done: Vec<(usize, f64)> = if f - j >= LANES {
                centre_factors::<LANES>(&factors[j..], &group.base, cols, miss).to_vec()
            } else {
                centre_factors::<1>(&factors[j..], &group.base, cols, miss).to_vec()
            };
            for (l, (m, ss)) in done.into_iter().enumerate() {
                n_missing[j + l] = m;
                s_xx[j + l] = ss;
            }
            j += if f - j >= LANES { LANES } else { 1 };
        }
        // sum x [c | y]' for every factor at once: f x w.
        let mut s_x = vec![0.0; f * w];
        // SAFETY: `xb` is nb x f column-major (each column contiguous), read as f x nb with
        // row stride nb; `cy` is nb x w row-major; `s_x` is f x w row-major and a distinct &mut.
        unsafe {
            assert_eq!(group.cy.len(), nb * w);
            matrixmultiply::dgemm(
                f,
                nb,
                w,
                1.0,
                xb.as_ptr(),
                nb as isize,
                1,
                group.cy.as_ptr(),
                w as isize,
                1,
                1.0,
                s_x.as_mut_ptr(),
                w as isize,
                1,
            );
        }
        (0..f)
            .map(|j| {
                solve_factor(
                    group,
                    &missing[j * nb..j * nb + n_missing[j]],
                    s_xx[j],
                    &s_x[j * w..(j + 1) * w],
                    rows,
                )
            })
            .collect()
    })
}

/// The error of each of `members` phenotypes when the `present` rows cannot fit `parameters`
/// with a residual degree of freedom left.
pub(crate) fn too_few_rows(
    present: usize,
    parameters: usize,
    members: usize,
) -> Option<Vec<Result<Coefficient, FitError>>> {
    (present < parameters + 1).then(|| {
        vec![
            Err(FitError::TooFewRows {
                n: present,
                parameters
            });
            members
        ]
    })
}

/// `missing`: base positions where the factor is missing (ascending); `s_x`: the sums of the
/// centred factor times `[c | y]` over the base; `rows`: a buffer for gathered rows.
fn solve_factor(
    group: &PhenotypeGroup,
    missing: &[u32],
    s_xx: f64,
    s_x: &[f64],
    rows: &mut Vec<f64>,
) -> Vec<Result<Coefficient, FitError>> {
    let k = group.k;
    let pg = group.members.len();
    let w = group.width();
    let nb = group.base.len();
    let present = nb - missing.len();
    if let Some(errors) = too_few_rows(present, k + 1, pg) {
        return errors;
    }
    let (s_c, s_yy) = if missing.len() * 2 <= nb {
        // The base sums minus those over the missing rows.
        let (mut s_c, mut s_yy) = (group.s_c.clone(), group.s_yy.clone());
        rows.clear();
        for (index, &r) in missing.iter().enumerate() {
            // The rows are scattered over a block larger than the caches: ask for one a few
            // positions ahead while copying this one.
            if let Some(&ahead) = missing.get(index + PREFETCH_AHEAD) {
                prefetch(&group.cy[ahead as usize * w..(ahead as usize + 1) * w]);
            }
            let r = r as usize;
            let row = &group.cy[r * w..(r + 1) * w];
            rows.extend_from_slice(row);
            add_squares(row, k, -1.0, &mut s_yy);
        }
        accumulate(rows, missing.len(), k, w, -1.0, &mut s_c);
        (s_c, s_yy)
    } else {
        // The sums over the present rows: the complement of `missing` (both are sorted).
        rows.clear();
        let (mut s_c, mut s_yy) = (vec![0.0; k * w], vec![0.0; pg]);
        let mut start = 0;
        for &r in missing.iter().chain([nb as u32].iter()) {
            let r = r as usize;
            for i in start..r {
                let row = &group.cy[i * w..(i + 1) * w];
                rows.extend_from_slice(row);
                add_squares(row, k, 1.0, &mut s_yy);
            }
            start = r + 1;
        }
        accumulate(rows, present, k, w, 1.0, &mut s_c);
        (s_c, s_yy)
    };
    let (s_xc, s_xy) = s_x.split_at(k);
    fit_from_sums(
        present,
        (s_xx, s_xc, s_xy),
        &s_yy,
        |a, b| s_c[a * w + b],
        |a, j| s_c[a * w + k + j],
    )
}

/// One factor's fits, a phenotype each, from the sums over its present rows: of the factor
/// `(s_xx, s_xc, s_xy)` (times itself, each covariate, each phenotype), of each phenotype
/// squared, of covariate pairs `s_cc(a, b)` and of covariate times phenotype `s_cy(a, j)`.
fn fit_from_sums(
    present: usize,
    (s_xx, s_xc, s_xy): (f64, &[f64], &[f64]),
    s_yy: &[f64],
    s_cc: impl Fn(usize, usize) -> f64,
    s_cy: impl Fn(usize, usize) -> f64,
) -> Vec<Result<Coefficient, FitError>> {
    let (k, pg) = (s_xc.len(), s_yy.len());
    let parameters = k + 1;
    // Normal equations in the order [x, intercept, covariates...].
    let dim = k + 1;
    let mut gram = vec![0.0; dim * dim];
    gram[0] = s_xx;
    for a in 0..k {
        gram[(a + 1) * dim] = s_xc[a];
        gram[a + 1] = s_xc[a];
        for b in 0..k {
            gram[(a + 1) * dim + b + 1] = s_cc(a, b);
        }
    }
    let chol = match cholesky(&gram, dim) {
        Ok(c) => c,
        Err(0) => return vec![Err(FitError::ConstantFactor); pg],
        Err(j) => return vec![Err(FitError::Collinear(j)); pg],
    };
    let inverse_xx = cholesky_inverse(&chol, dim)[0];
    let df = present - dim;
    let dist = match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(d) => d,
        Err(_) => {
            return vec![
                Err(FitError::TooFewRows {
                    n: present,
                    parameters
                });
                pg
            ]
        }
    };
    let q = dist.inverse_cdf(0.975);
    (0..pg)
        .map(|j| {
            let mut rhs = vec![0.0; dim];
            rhs[0] = s_xy[j];
            for a in 0..k {
                rhs[a + 1] = s_cy(a, j);
            }
            let beta = cholesky_solve(&chol, dim, &rhs);
            let rss = (s_yy[j] - beta.iter().zip(&rhs).map(|(b, r)| b * r).sum::<f64>()).max(0.0);
            let se = (rss / df as f64 * inverse_xx).sqrt();
            let t = beta[0] / se;
            let p = if t.is_finite() {
                2.0 * dist.sf(t.abs())
            } else {
                f64::NAN
            };
            Ok(Coefficient {
                n: present,
                df,
                beta: beta[0],
                se,
                t,
                p,
                ci_low: beta[0] - q * se,
                ci_high: beta[0] + q * se,
            })
        })
        .collect()
}

/// The phenotypes (their indices) that share the rows where they and every covariate are
/// present, with those rows as a mask, in order of first appearance.
fn missingness_groups(
    phenotypes: &[&[f64]],
    covariates: &[&[f64]],
) -> Vec<(Vec<bool>, Vec<usize>)> {
    let n = phenotypes.first().map(|p| p.len()).unwrap_or(0);
    let covariates_present: Vec<bool> = (0..n)
        .map(|i| covariates.iter().all(|c| !c[i].is_nan()))
        .collect();
    let mut groups: Vec<(Vec<bool>, Vec<usize>)> = Vec::new();
    for (index, p) in phenotypes.iter().enumerate() {
        let mask: Vec<bool> = (0..n)
            .map(|i| !p[i].is_nan() && covariates_present[i])
            .collect();
        match groups.iter_mut().find(|(m, _)| *m == mask) {
            Some((_, members)) => members.push(index),
            None => groups.push((mask, vec![index])),
        }
    }
    groups
}

impl PhenotypeGroup {
    /// Whether row `i` is in this group's base (used to count cases of binary factors).
    pub fn in_base(&self, i: usize) -> bool {
        self.in_base[i]
    }

    /// How many rows of this group's base have `x` equal to `value` (`x` is indexed by row).
    pub fn count_in_base(&self, x: &[f64], value: f64) -> usize {
        self.in_base
            .iter()
            .zip(x)
            .map(|(&b, &v)| (b & (v == value)) as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests;
