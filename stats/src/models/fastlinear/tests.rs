//! The kernel checked against the direct fit of every pair, on edge cases, and bit for bit
//! against the implementation it replaced (kept here as `reference`).

use super::*;
use crate::testing::uniform;

/// Deterministic pseudo-random columns of `n` values from `seed`: each call gives one, with
/// values uniform on `shift ± scale / 2` and a share `missing` of them NaN. Every value takes
/// two draws, missing or not, so the columns drawn later do not depend on the missingness of
/// earlier ones.
fn columns(n: usize, seed: u64) -> impl FnMut(f64, f64, f64) -> Vec<f64> {
    let mut next = uniform(seed);
    move |missing, scale, shift| {
        (0..n)
            .map(|_| {
                let (u, v) = (next(), next());
                if u < missing {
                    f64::NAN
                } else {
                    shift + scale * (v - 0.5)
                }
            })
            .collect()
    }
}

mod against_the_direct_fit {
    use super::*;
    use crate::models::ols::first_coefficient;

    #[test]
    fn agrees_with_the_direct_fit_under_every_missingness_pattern() {
        // Deterministic pseudo-random data with missing values in everything.
        let n = 700;
        let mut column = columns(n, 12345);
        let c1 = column(0.02, 10.0, 60.0);
        let c2 = column(0.0, 1.0, 0.0);
        let group_mask = column(0.1, 1.0, 0.0);
        let phenotypes: Vec<Vec<f64>> = (0..4)
            .map(|j| {
                let noise = column(0.0, 1.0, 0.0);
                (0..n)
                    .map(|i| {
                        if j < 3 && group_mask[i].is_nan() {
                            f64::NAN
                        } else {
                            100.0 + 3.0 * c1[i] + j as f64 * c2[i] + noise[i]
                        }
                    })
                    .collect()
            })
            .collect();
        let p_refs: Vec<&[f64]> = phenotypes.iter().map(Vec::as_slice).collect();
        let groups = prepare(&p_refs, &[&c1, &c2]);
        assert_eq!(
            groups.len(),
            2,
            "three phenotypes share a mask, one has its own"
        );
        for (missing, scale) in [(0.05, 1000.0), (0.7, 1.0)] {
            let x: Vec<f64> = column(missing, scale, 5.0)
                .iter()
                .zip(&c1)
                .map(|(x, c)| x + 0.01 * c)
                .collect();
            for group in &groups {
                for (result, &member) in
                    fit_block(group, &[&x]).remove(0).iter().zip(&group.members)
                {
                    let fast = result.as_ref().unwrap();
                    let direct = first_coefficient(&phenotypes[member], &[&x, &c1, &c2]).unwrap();
                    assert_eq!(fast.n, direct.n);
                    for (a, b) in [
                        (fast.beta, direct.beta),
                        (fast.se, direct.se),
                        (fast.p, direct.p),
                    ] {
                        assert!(((a - b) / b).abs() < 1e-9, "fast {a:e} vs direct {b:e}");
                    }
                }
            }
        }
    }
}

mod edge_tests {
    use super::*;

    #[test]
    fn a_phenotype_with_no_rows_gives_too_few_rows() {
        let n = 50;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let c: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64).collect();
        let empty = vec![f64::NAN; n];
        let full: Vec<f64> = (0..n).map(|i| (i * i % 13) as f64).collect();
        let groups = prepare(&[&empty, &full], &[&c]);
        assert_eq!(groups.len(), 2);
        for group in &groups {
            let results = fit_block(group, &[&x, &x, &x]);
            assert_eq!(results.len(), 3);
            for result in results.iter().flatten() {
                if group.members == [0] {
                    assert!(matches!(result, Err(FitError::TooFewRows { n: 0, .. })));
                } else {
                    assert!(result.is_ok());
                }
            }
        }
    }
}

/// The implementation before the rewrite (main at 10aaecb), kept to check that the output is
/// bit for bit the same.
mod reference {
    use crate::models::fastlinear::{base_means, fit_from_sums, missingness_groups, too_few_rows};
    use crate::models::linalg::gemm_at_b;
    use crate::models::ols::{Coefficient, FitError};

    /// Phenotypes that share a missingness pattern, with their precomputed sums.
    pub struct OldGroup {
        /// Indices into the caller's phenotype list.
        pub members: Vec<usize>,
        /// Base rows: all members and all covariates present.
        base: Vec<usize>,
        in_base: Vec<bool>,
        /// Row-major |base| x members block of centred phenotypes.
        y: Vec<f64>,
        /// Row-major |base| x k block: intercept then centred covariates.
        c: Vec<f64>,
        k: usize,
        s_cc: Vec<f64>,
        s_cy: Vec<f64>,
        s_yy: Vec<f64>,
    }

    /// Groups the phenotypes by missingness and precomputes their sums over each base.
    pub fn old_prepare(phenotypes: &[&[f64]], covariates: &[&[f64]]) -> Vec<OldGroup> {
        let n = phenotypes.first().map(|p| p.len()).unwrap_or(0);
        let groups = missingness_groups(phenotypes, covariates);
        let k = covariates.len() + 1;
        groups
            .into_iter()
            .map(|(in_base, members)| {
                let (base, cov_means, y_means) =
                    base_means(n, &in_base, &members, phenotypes, covariates);
                let pg = members.len();
                let mut y = vec![0.0; base.len() * pg];
                let mut c = vec![0.0; base.len() * k];
                for (r, &i) in base.iter().enumerate() {
                    for (j, &m) in members.iter().enumerate() {
                        y[r * pg + j] = phenotypes[m][i] - y_means[j];
                    }
                    c[r * k] = 1.0;
                    for (j, cov) in covariates.iter().enumerate() {
                        c[r * k + 1 + j] = cov[i] - cov_means[j];
                    }
                }
                let mut s_cc = vec![0.0; k * k];
                let mut s_cy = vec![0.0; k * pg];
                let mut s_yy = vec![0.0; pg];
                let all: Vec<usize> = (0..base.len()).collect();
                accumulate(&all, &c, &y, k, pg, 1.0, &mut s_cc, &mut s_cy, &mut s_yy);
                OldGroup {
                    members,
                    base,
                    in_base,
                    y,
                    c,
                    k,
                    s_cc,
                    s_cy,
                    s_yy,
                }
            })
            .collect()
    }

    /// Adds `sign` times the sums over the base positions `rows` of c c', c y' and y^2. The
    /// c y' part is a matrix product of the gathered rows.
    #[allow(clippy::too_many_arguments)]
    fn accumulate(
        rows: &[usize],
        c: &[f64],
        y: &[f64],
        k: usize,
        pg: usize,
        sign: f64,
        s_cc: &mut [f64],
        s_cy: &mut [f64],
        s_yy: &mut [f64],
    ) {
        if rows.is_empty() {
            return;
        }
        let m = rows.len();
        let mut gc = Vec::with_capacity(m * k);
        let mut gy = Vec::with_capacity(m * pg);
        for &r in rows {
            gc.extend_from_slice(&c[r * k..(r + 1) * k]);
            let yr = &y[r * pg..(r + 1) * pg];
            gy.extend_from_slice(yr);
            for (s, v) in s_yy.iter_mut().zip(yr) {
                *s += sign * v * v;
            }
        }
        // s_cc += sign * gc' gc ; s_cy += sign * gc' gy
        gemm_at_b(&gc, m, k, &gc, k, sign, s_cc);
        gemm_at_b(&gc, m, k, &gy, pg, sign, s_cy);
    }

    /// Fits every phenotype of `group` against each factor of a block (NaN = missing). Returns,
    /// per factor, one result per member in member order.
    pub fn old_fit_block(
        group: &OldGroup,
        factors: &[&[f64]],
    ) -> Vec<Vec<Result<Coefficient, FitError>>> {
        let pg = group.members.len();
        let nb = group.base.len();
        let f = factors.len();
        // Per factor, one pass for the present count, sum and missing positions and a second
        // that writes the centred, zero-filled values into the factor's own contiguous column of
        // the block (column-major: the matrix product takes any strides).
        let mut counts = vec![0usize; f];
        let mut missing: Vec<Vec<usize>> = vec![Vec::new(); f];
        let mut xb = vec![0.0; nb * f];
        let mut s_xx = vec![0.0; f];
        for (j, x) in factors.iter().enumerate() {
            let column = &mut xb[j * nb..(j + 1) * nb];
            let mut sum = 0.0;
            for (slot, &i) in column.iter_mut().zip(&group.base) {
                *slot = x[i];
            }
            for (r, v) in column.iter().enumerate() {
                if v.is_nan() {
                    missing[j].push(r);
                } else {
                    sum += v;
                }
            }
            counts[j] = nb - missing[j].len();
            let mean = sum / counts[j].max(1) as f64;
            let mut ss = 0.0;
            for v in column.iter_mut() {
                if v.is_nan() {
                    *v = 0.0;
                } else {
                    *v -= mean;
                    ss += *v * *v;
                }
            }
            s_xx[j] = ss;
        }
        let mut s_xy = vec![0.0; f * pg];
        gemm_colmajor_at_b(&xb, nb, f, &group.y, pg, &mut s_xy);
        let mut s_xc = vec![0.0; f * group.k];
        gemm_colmajor_at_b(&xb, nb, f, &group.c, group.k, &mut s_xc);
        (0..f)
            .map(|j| {
                solve_factor(
                    group,
                    &missing[j],
                    counts[j],
                    s_xx[j],
                    &s_xc[j * group.k..(j + 1) * group.k],
                    &s_xy[j * pg..(j + 1) * pg],
                )
            })
            .collect()
    }

    /// `missing`: base positions where the factor is missing.
    fn solve_factor(
        group: &OldGroup,
        missing: &[usize],
        present: usize,
        s_xx: f64,
        s_xc: &[f64],
        s_xy: &[f64],
    ) -> Vec<Result<Coefficient, FitError>> {
        let k = group.k;
        let pg = group.members.len();
        if let Some(errors) = too_few_rows(present, k + 1, pg) {
            return errors;
        }
        let (mut s_cc, mut s_cy, mut s_yy);
        if missing.len() * 2 <= group.base.len() {
            s_cc = group.s_cc.clone();
            s_cy = group.s_cy.clone();
            s_yy = group.s_yy.clone();
            accumulate(
                missing, &group.c, &group.y, k, pg, -1.0, &mut s_cc, &mut s_cy, &mut s_yy,
            );
        } else {
            // The complement of `missing` (both are sorted).
            let mut rows = Vec::with_capacity(present);
            let mut gaps = missing.iter().peekable();
            for r in 0..group.base.len() {
                if gaps.peek() == Some(&&r) {
                    gaps.next();
                } else {
                    rows.push(r);
                }
            }
            s_cc = vec![0.0; k * k];
            s_cy = vec![0.0; k * pg];
            s_yy = vec![0.0; pg];
            accumulate(
                &rows, &group.c, &group.y, k, pg, 1.0, &mut s_cc, &mut s_cy, &mut s_yy,
            );
        }
        fit_from_sums(
            present,
            (s_xx, s_xc, s_xy),
            &s_yy,
            |a, b| s_cc[a * k + b],
            |a, j| s_cy[a * pg + j],
        )
    }

    impl OldGroup {
        /// Whether row `i` is in this group's base (used to count cases of binary factors).
        #[allow(dead_code)]
        pub fn in_base(&self, i: usize) -> bool {
            self.in_base[i]
        }
    }

    /// `out (p x q) += a' b` for column-major `a` (m x p, each column contiguous) and row-major
    /// `b` (m x q).
    fn gemm_colmajor_at_b(a: &[f64], m: usize, p: usize, b: &[f64], q: usize, out: &mut [f64]) {
        assert_eq!(a.len(), m * p);
        assert_eq!(b.len(), m * q);
        assert_eq!(out.len(), p * q);
        // SAFETY: the lengths match the strides (asserted above) and `out` is a distinct &mut.
        unsafe {
            matrixmultiply::dgemm(
                p,
                m,
                q,
                1.0,
                a.as_ptr(),
                m as isize,
                1,
                b.as_ptr(),
                q as isize,
                1,
                1.0,
                out.as_mut_ptr(),
                q as isize,
                1,
            );
        }
    }
}

mod same_as_before {
    use super::*;

    #[test]
    fn bit_for_bit_the_results_of_the_previous_implementation() {
        let n = 1500;
        let mut column = columns(n, 99);
        let covariates: Vec<Vec<f64>> = vec![
            column(0.01, 10.0, 60.0),
            column(0.0, 1.0, 0.5),
            column(0.02, 30.0, 170.0),
        ];
        let masks: Vec<Vec<f64>> = (0..3)
            .map(|g| column([0.0, 0.1, 0.4][g], 1.0, 0.0))
            .collect();
        let phenotypes: Vec<Vec<f64>> = (0..11)
            .map(|j| {
                let noise = column(0.0, 1.0, 0.0);
                (0..n)
                    .map(|i| {
                        if masks[j % 3][i].is_nan() {
                            f64::NAN
                        } else {
                            100.0 + 3.0 * covariates[0][i] + j as f64 * covariates[1][i] + noise[i]
                        }
                    })
                    .collect()
            })
            .collect();
        // Factors of every missingness, a constant one, a collinear one, an empty one.
        let mut factors: Vec<Vec<f64>> = [0.0, 0.01, 0.1, 0.3, 0.49, 0.5, 0.51, 0.7, 0.95, 0.995]
            .iter()
            .map(|&m| column(m, 5.0, 2.0))
            .collect();
        factors.push(vec![4.0; n]);
        factors.push(covariates[2].iter().map(|v| 2.0 * v + 1.0).collect());
        factors.push(vec![f64::NAN; n]);
        let p: Vec<&[f64]> = phenotypes.iter().map(Vec::as_slice).collect();
        let c: Vec<&[f64]> = covariates.iter().map(Vec::as_slice).collect();
        let new = prepare(&p, &c);
        let old = reference::old_prepare(&p, &c);
        assert_eq!(new.len(), old.len());
        let bits = |r: &Result<Coefficient, FitError>| match r {
            Ok(c) => format!(
                "{} {} {:x} {:x} {:x} {:x} {:x} {:x}",
                c.n,
                c.df,
                c.beta.to_bits(),
                c.se.to_bits(),
                c.t.to_bits(),
                c.p.to_bits(),
                c.ci_low.to_bits(),
                c.ci_high.to_bits()
            ),
            Err(e) => format!("{e:?}"),
        };
        for size in [1, 2, 3, factors.len()] {
            for block in factors.chunks(size) {
                let xs: Vec<&[f64]> = block.iter().map(Vec::as_slice).collect();
                for (g_new, g_old) in new.iter().zip(&old) {
                    assert_eq!(g_new.members, g_old.members);
                    let (a, b) = (fit_block(g_new, &xs), reference::old_fit_block(g_old, &xs));
                    assert_eq!(a.len(), b.len());
                    for (ra, rb) in a.iter().flatten().zip(b.iter().flatten()) {
                        assert_eq!(bits(ra), bits(rb));
                    }
                }
            }
        }
    }
}
