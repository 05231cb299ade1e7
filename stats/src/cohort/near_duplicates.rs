//! Near-duplicate fields (|Pearson r| above the cleaning rule's threshold): the second of two
//! is dropped, with the first named in the flow log. Correlations are computed by lanes over
//! row-major blocks so that hundreds of columns are checked in one pass each.

use std::collections::HashMap;

use super::table::{FlowEntry, NumericColumn};
use crate::data::dictionary::{Dictionary, Role};

/// Pearson r over rows where both are present.
pub fn pairwise_r(a: &[f64], b: &[f64]) -> Option<(f64, usize)> {
    r_of_pairs(|| a.iter().zip(b).map(|(&x, &y)| (x, y)))
}

/// Pearson r of the pairs `pairs()` yields (twice: for the means, then for the deviations)
/// where both values are present.
#[inline(always)]
fn r_of_pairs<I: Iterator<Item = (f64, f64)>>(pairs: impl Fn() -> I) -> Option<(f64, usize)> {
    let (mut n, mut sa, mut sb) = (0usize, 0.0, 0.0);
    for (x, y) in pairs() {
        if !x.is_nan() && !y.is_nan() {
            n += 1;
            sa += x;
            sb += y;
        }
    }
    if n < 3 {
        return None;
    }
    let (ma, mb) = (sa / n as f64, sb / n as f64);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in pairs() {
        if !x.is_nan() && !y.is_nan() {
            let (dx, dy) = (x - ma, y - mb);
            sab += dx * dy;
            saa += dx * dx;
            sbb += dy * dy;
        }
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return None;
    }
    Some((sab / (saa * sbb).sqrt(), n))
}

/// Sums of [`probe_r_all`], kept between calls.
#[derive(Default)]
struct ProbeSums {
    n: Vec<f64>,
    sa: Vec<f64>,
    sb: Vec<f64>,
    sab: Vec<f64>,
    saa: Vec<f64>,
    sbb: Vec<f64>,
}

/// [`pairwise_r`] of `a` against every column from `first` on of the row-major `rows` (row
/// stride `stride`, as many rows as `a`), written to `out`. Each column's sums are exactly
/// those of `pairwise_r`, in the same row order: a row where `a` is missing is skipped, and
/// one where the other column is missing adds +0.0, which leaves a sum unchanged (the sums
/// start at +0.0 and so are never -0.0). Running along a row of `rows` vectorises.
fn probe_r_all(
    a: &[f64],
    rows: &[f64],
    stride: usize,
    first: usize,
    sums: &mut ProbeSums,
    out: &mut Vec<Option<(f64, usize)>>,
) {
    assert!(first <= stride && rows.len() >= a.len() * stride);
    let m = stride - first;
    let ProbeSums {
        n,
        sa,
        sb,
        sab,
        saa,
        sbb,
    } = sums;
    for v in [&mut *n, &mut *sa, &mut *sb, &mut *sab, &mut *saa, &mut *sbb] {
        v.clear();
        v.resize(m, 0.0);
    }
    let (n, sa, sb) = (&mut n[..m], &mut sa[..m], &mut sb[..m]);
    for (t, &x) in a.iter().enumerate() {
        if x.is_nan() {
            continue;
        }
        let ys = &rows[t * stride + first..(t + 1) * stride];
        for (((y, n), sa), sb) in ys.iter().zip(&mut *n).zip(&mut *sa).zip(&mut *sb) {
            // Masks rather than selects, so that the loop vectorises.
            let keep = (!y.is_nan() as u64).wrapping_neg();
            *n += f64::from_bits(1.0f64.to_bits() & keep);
            *sa += f64::from_bits(x.to_bits() & keep);
            *sb += f64::from_bits(y.to_bits() & keep);
        }
    }
    // The means, in place of the sums.
    for ((sa, sb), n) in sa.iter_mut().zip(sb.iter_mut()).zip(&*n) {
        *sa /= *n;
        *sb /= *n;
    }
    let (ma, mb) = (&*sa, &*sb);
    let (sab, saa, sbb) = (&mut sab[..m], &mut saa[..m], &mut sbb[..m]);
    for (t, &x) in a.iter().enumerate() {
        if x.is_nan() {
            continue;
        }
        let ys = &rows[t * stride + first..(t + 1) * stride];
        let (ma, mb, ys) = (&ma[..m], &mb[..m], &ys[..m]);
        for j in 0..m {
            let y = ys[j];
            let keep = (!y.is_nan() as u64).wrapping_neg();
            let (dx, dy) = (x - ma[j], y - mb[j]);
            sab[j] += f64::from_bits((dx * dy).to_bits() & keep);
            saa[j] += f64::from_bits((dx * dx).to_bits() & keep);
            sbb[j] += f64::from_bits((dy * dy).to_bits() & keep);
        }
    }
    out.clear();
    out.extend((0..m).map(|j| {
        let count = n[j] as usize;
        if count < 3 || saa[j] <= 0.0 || sbb[j] <= 0.0 {
            None
        } else {
            Some((sab[j] / (saa[j] * sbb[j]).sqrt(), count))
        }
    }));
}

const FULL_LANES: usize = 4;

/// [`pairwise_r`] of `L` pairs of columns at once, each lane with exactly its arithmetic
/// in the same order (a row where either value is missing adds +0.0, which leaves a sum
/// unchanged: the sums start at +0.0 and so are never -0.0).
#[allow(clippy::needless_range_loop)] // lanes by index
fn pairwise_r_lanes<const L: usize>(
    a_cols: [&[f64]; L],
    bs: [&[f64]; L],
) -> [Option<(f64, usize)>; L] {
    let len = a_cols[0].len();
    assert!(a_cols.iter().chain(&bs).all(|c| c.len() == len));
    let (mut n, mut sa, mut sb) = ([0.0f64; L], [0.0f64; L], [0.0f64; L]);
    for i in 0..len {
        for l in 0..L {
            let (x, y) = (a_cols[l][i], bs[l][i]);
            let keep = ((!x.is_nan() & !y.is_nan()) as u64).wrapping_neg();
            n[l] += f64::from_bits(1.0f64.to_bits() & keep);
            sa[l] += f64::from_bits(x.to_bits() & keep);
            sb[l] += f64::from_bits(y.to_bits() & keep);
        }
    }
    let ma: [f64; L] = std::array::from_fn(|l| sa[l] / n[l]);
    let mb: [f64; L] = std::array::from_fn(|l| sb[l] / n[l]);
    let (mut sab, mut saa, mut sbb) = ([0.0f64; L], [0.0f64; L], [0.0f64; L]);
    for i in 0..len {
        for l in 0..L {
            let (x, y) = (a_cols[l][i], bs[l][i]);
            let keep = ((!x.is_nan() & !y.is_nan()) as u64).wrapping_neg();
            let (dx, dy) = (x - ma[l], y - mb[l]);
            sab[l] += f64::from_bits((dx * dy).to_bits() & keep);
            saa[l] += f64::from_bits((dx * dx).to_bits() & keep);
            sbb[l] += f64::from_bits((dy * dy).to_bits() & keep);
        }
    }
    std::array::from_fn(|l| {
        let count = n[l] as usize;
        if count < 3 || saa[l] <= 0.0 || sbb[l] <= 0.0 {
            None
        } else {
            Some((sab[l] / (saa[l] * sbb[l]).sqrt(), count))
        }
    })
}

/// [`pairwise_r`] computed over `rows` only: the ascending positions where one of the two
/// columns is present (a superset of those where both are), so the same sums in the same
/// order.
pub fn pairwise_r_at(a: &[f64], b: &[f64], rows: &[u32]) -> Option<(f64, usize)> {
    r_of_pairs(|| rows.iter().map(|&i| (a[i as usize], b[i as usize])))
}

/// Drops the later of any two factor columns with |r| above the threshold. A cheap check on
/// the first rows screens candidate pairs so the full check runs only on likely duplicates.
pub(super) fn drop_near_duplicates(
    columns: &mut Vec<NumericColumn>,
    flow: &mut [FlowEntry],
    dictionary: &Dictionary,
    threshold: f64,
) {
    let (factor_idx, probe) = factors_and_probe(columns, dictionary);
    // The probe rows of every factor, row-major (probe x factors), so that the probe check of
    // one column against several later ones reads them side by side.
    let nf = factor_idx.len();
    let mut probe_rows = vec![0.0; probe * nf];
    for (j, &c) in factor_idx.iter().enumerate() {
        for (t, &v) in columns[c].values[..probe].iter().enumerate() {
            probe_rows[t * nf + j] = v;
        }
    }
    let columns_ref: &[NumericColumn] = columns;
    let pairs = pairs_in_parallel(|t, threads| {
        let mut found = Vec::new();
        // Pairs the probe cannot rule out get the full check.
        let mut candidates: Vec<usize> = Vec::new();
        let mut dense: Vec<(usize, usize)> = Vec::new();
        let (mut sums, mut quick) = (ProbeSums::default(), Vec::new());
        let check = |found: &mut Vec<(usize, usize, f64)>, a, b, full: Option<(f64, usize)>| {
            if let Some((r, _)) = full {
                if r.abs() > threshold {
                    found.push((a, b, r));
                }
            }
        };
        // The present rows of the columns checked so far that are mostly missing.
        let mut sparse_rows: HashMap<usize, Option<Vec<u32>>> = HashMap::new();
        let sparse_of = |c: usize| -> Option<Vec<u32>> {
            let values = &columns_ref[c].values;
            let present = values.iter().filter(|v| !v.is_nan()).count();
            (present * 4 <= values.len()).then(|| {
                (0..values.len() as u32)
                    .filter(|&i| !values[i as usize].is_nan())
                    .collect()
            })
        };
        // Too little overlap in the probe rows to judge: do the full check.
        let ruled_out =
            |quick: Option<(f64, usize)>| matches!(quick, Some((r, _)) if r.abs() <= 0.99);
        for a_pos in (t..nf).step_by(threads) {
            let a = factor_idx[a_pos];
            let a_probe = &columns_ref[a].values[..probe];
            probe_r_all(a_probe, &probe_rows, nf, a_pos + 1, &mut sums, &mut quick);
            for (&q, &b) in quick.iter().zip(&factor_idx[a_pos + 1..]) {
                if !ruled_out(q) {
                    candidates.push(b);
                }
            }
            for &b in &candidates {
                // A pair with a sparse column is checked on that column's present
                // rows only (the same rows, in the same order); the others
                // several pairs at a time.
                for c in [a, b] {
                    sparse_rows.entry(c).or_insert_with(|| sparse_of(c));
                }
                let rows = match (sparse_rows[&a].as_deref(), sparse_rows[&b].as_deref()) {
                    (Some(x), Some(y)) => Some(if x.len() <= y.len() { x } else { y }),
                    (x, y) => x.or(y),
                };
                match rows {
                    Some(rows) => check(
                        &mut found,
                        a,
                        b,
                        pairwise_r_at(&columns_ref[a].values, &columns_ref[b].values, rows),
                    ),
                    None => dense.push((a, b)),
                }
            }
            candidates.clear();
        }
        for chunk in dense.chunks(FULL_LANES) {
            // The last chunk is padded with its first pair (computed twice, kept once).
            let pair = |l: usize| chunk[if l < chunk.len() { l } else { 0 }];
            let a_cols: [&[f64]; FULL_LANES] =
                std::array::from_fn(|l| columns_ref[pair(l).0].values.as_slice());
            let b_cols: [&[f64]; FULL_LANES] =
                std::array::from_fn(|l| columns_ref[pair(l).1].values.as_slice());
            let full = pairwise_r_lanes(a_cols, b_cols);
            for (&(a, b), r) in chunk.iter().zip(full) {
                check(&mut found, a, b, r);
            }
        }
        found
    });
    drop_in_order(columns, flow, pairs);
}

/// The factor columns (their indices) and how many first rows the probe check reads.
fn factors_and_probe(columns: &[NumericColumn], dictionary: &Dictionary) -> (Vec<usize>, usize) {
    let is_factor = |name: &str| {
        dictionary
            .get(name)
            .map(|e| e.role == Role::Factor)
            .unwrap_or(false)
    };
    let factor_idx: Vec<usize> = (0..columns.len())
        .filter(|i| is_factor(&columns[*i].name))
        .collect();
    let probe = columns
        .first()
        .map(|c| c.values.len().min(128))
        .unwrap_or(0);
    (factor_idx, probe)
}

/// All duplicate pairs `(a, b, r)`, found in parallel (the pair scan is quadratic in the
/// number of factors): `scan(t, threads)` is the share of thread `t`.
fn pairs_in_parallel(
    scan: impl Fn(usize, usize) -> Vec<(usize, usize, f64)> + Sync,
) -> Vec<(usize, usize, f64)> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let scan = &scan;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| scope.spawn(move || scan(t, threads)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Drops the pairs' second columns greedily in column order, exactly as a sequential scan
/// would, and says why in the flow log.
fn drop_in_order(
    columns: &mut Vec<NumericColumn>,
    flow: &mut [FlowEntry],
    mut pairs: Vec<(usize, usize, f64)>,
) {
    pairs.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut dropped: Vec<(usize, String)> = Vec::new();
    for (a, b, r) in pairs {
        if dropped.iter().any(|(d, _)| *d == a || *d == b) {
            continue;
        }
        dropped.push((
            b,
            format!("near-duplicate of '{}' (r = {:.6})", columns[a].name, r),
        ));
    }
    for (index, reason) in &dropped {
        if let Some(f) = flow.iter_mut().find(|f| f.column == columns[*index].name) {
            f.kept = false;
            f.reason = reason.clone();
        }
    }
    let drop: std::collections::HashSet<usize> = dropped.into_iter().map(|(i, _)| i).collect();
    let mut k = 0;
    columns.retain(|_| {
        let keep = !drop.contains(&k);
        k += 1;
        keep
    });
}

/// The near-duplicate check before the rewrite (main at 10aaecb), kept to check that the same
/// pairs are found with the same r.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::uniform;

    #[test]
    fn lanes_compute_pairwise_r_bit_for_bit() {
        let mut next = uniform(42);
        let n = 300;
        // Columns with every kind of missingness, including nearly empty and constant ones.
        let columns: Vec<Vec<f64>> = (0..12)
            .map(|j| {
                let missing = [0.0, 0.05, 0.5, 0.97][j % 4];
                (0..n)
                    .map(|_| {
                        let (u, v) = (next(), next());
                        if u < missing {
                            f64::NAN
                        } else if j == 5 {
                            3.0
                        } else {
                            1e3 * (j as f64) + v
                        }
                    })
                    .collect()
            })
            .collect();
        let stride = columns.len();
        let mut rows = vec![0.0; n * stride];
        for (j, c) in columns.iter().enumerate() {
            for (t, &v) in c.iter().enumerate() {
                rows[t * stride + j] = v;
            }
        }
        let bits = |r: Option<(f64, usize)>| r.map(|(r, n)| (r.to_bits(), n));
        for a in &columns {
            for first in 0..=stride - 4 {
                let mut lanes = Vec::new();
                probe_r_all(
                    a,
                    &rows,
                    stride,
                    first,
                    &mut ProbeSums::default(),
                    &mut lanes,
                );
                let full = pairwise_r_lanes::<4>(
                    [&a[..]; 4],
                    std::array::from_fn(|l| &columns[first + l][..]),
                );
                for l in 0..4 {
                    let direct = pairwise_r(a, &columns[first + l]);
                    assert_eq!(bits(lanes[l]), bits(direct));
                    assert_eq!(bits(full[l]), bits(direct));
                    let b = &columns[first + l];
                    let rows: Vec<u32> =
                        (0..n as u32).filter(|&i| !b[i as usize].is_nan()).collect();
                    assert_eq!(bits(pairwise_r_at(a, b, &rows)), bits(direct));
                }
            }
        }
    }
}

#[cfg(test)]
mod reference {
    use super::{
        drop_in_order, factors_and_probe, pairs_in_parallel, pairwise_r, Dictionary, FlowEntry,
        NumericColumn,
    };

    /// Drops the later of any two factor columns with |r| above the threshold. A cheap check on
    /// the first rows screens candidate pairs so the full check runs only on likely duplicates.
    pub fn old_drop_near_duplicates(
        columns: &mut Vec<NumericColumn>,
        flow: &mut [FlowEntry],
        dictionary: &Dictionary,
        threshold: f64,
    ) {
        let (factor_idx, probe) = factors_and_probe(columns, dictionary);
        let columns_ref: &[NumericColumn] = columns;
        let pairs = pairs_in_parallel(|t, threads| {
            let mut found = Vec::new();
            for a_pos in (t..factor_idx.len()).step_by(threads) {
                let a = factor_idx[a_pos];
                for &b in &factor_idx[a_pos + 1..] {
                    let quick = pairwise_r(
                        &columns_ref[a].values[..probe],
                        &columns_ref[b].values[..probe],
                    );
                    // Too little overlap in the probe rows to judge: do the full check.
                    if matches!(quick, Some((r, _)) if r.abs() <= 0.99) {
                        continue;
                    }
                    if let Some((r, _)) = pairwise_r(&columns_ref[a].values, &columns_ref[b].values)
                    {
                        if r.abs() > threshold {
                            found.push((a, b, r));
                        }
                    }
                }
            }
            found
        });
        drop_in_order(columns, flow, pairs);
    }
}

#[cfg(test)]
mod near_duplicates_as_before {
    use super::*;
    use crate::data::dictionary::{DictionaryEntry, ValueType};
    use crate::testing::uniform;

    #[test]
    fn same_pairs_dropped_with_the_same_reasons() {
        let n = 3000;
        let mut next = uniform(5);
        let mut values: Vec<Vec<f64>> = Vec::new();
        for j in 0..40 {
            let missing = [0.0, 0.05, 0.5, 0.8, 0.97][j % 5];
            let column: Vec<f64> = (0..n)
                .map(|i| {
                    let u = next();
                    if u < missing {
                        f64::NAN
                    } else if j % 7 == 3 {
                        (i % 3) as f64
                    } else {
                        next()
                    }
                })
                .collect();
            values.push(column);
        }
        // Near-duplicates (dense and sparse, exact and noisy, negated), a chain of three.
        for (from, to, noise) in [
            (0, 10, 0.0),
            (2, 12, 1e-6),
            (3, 13, 1e-7),
            (4, 14, 0.0),
            (1, 21, 1e-3),
            (10, 30, 0.0),
            (8, 38, -1.0),
        ] {
            let source = values[from].clone();
            values[to] = source
                .iter()
                .map(|v| if noise < 0.0 { -v } else { v + noise * next() })
                .collect();
        }
        let columns: Vec<NumericColumn> = values
            .into_iter()
            .enumerate()
            .map(|(j, values)| NumericColumn {
                name: format!("f{j}"),
                values,
                value_type: ValueType::Continuous,
                levels: None,
            })
            .collect();
        let dictionary = Dictionary {
            entries: columns
                .iter()
                .map(|c| DictionaryEntry {
                    column: c.name.clone(),
                    field_id: None,
                    description: String::new(),
                    category: String::new(),
                    value_type: ValueType::Continuous,
                    coding: String::new(),
                    role: Role::Factor,
                })
                .collect(),
        };
        let flow: Vec<FlowEntry> = columns
            .iter()
            .map(|c| FlowEntry {
                column: c.name.clone(),
                role: Role::Factor,
                kept: true,
                recoded_to_missing: 0,
                unusable_to_missing: 0,
                missing_share: 0.0,
                reason: "kept".into(),
            })
            .collect();
        let (mut new_columns, mut new_flow) = (columns.clone(), flow.clone());
        drop_near_duplicates(&mut new_columns, &mut new_flow, &dictionary, 0.9999);
        let (mut old_columns, mut old_flow) = (columns, flow);
        reference::old_drop_near_duplicates(&mut old_columns, &mut old_flow, &dictionary, 0.9999);
        assert_eq!(new_flow, old_flow);
        let names = |c: &[NumericColumn]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&new_columns), names(&old_columns));
        assert!(
            new_flow.iter().filter(|f| !f.kept).count() >= 4,
            "{new_flow:?}"
        );
    }
}
