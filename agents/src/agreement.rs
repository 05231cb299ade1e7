//! How much the panel agrees: Fleiss' kappa over include/exclude votes, and how stable the
//! decided set is from one round to the next.

use std::collections::BTreeSet;

/// Fleiss' kappa for binary ratings: `ratings[item]` is the list of raters' votes on that
/// item (every item rated by the same raters). 1 when every rater agrees on every item
/// (including the degenerate case where all votes fall in one category); `None` with fewer
/// than two raters or no items.
pub fn fleiss_kappa(ratings: &[Vec<bool>]) -> Option<f64> {
    let n = ratings.first()?.len();
    if n < 2 || ratings.iter().any(|r| r.len() != n) {
        return None;
    }
    let items = ratings.len() as f64;
    let n_f = n as f64;
    let mut yes_total = 0.0;
    let mut p_bar = 0.0;
    for item in ratings {
        let yes = item.iter().filter(|v| **v).count() as f64;
        let no = n_f - yes;
        yes_total += yes;
        p_bar += (yes * yes + no * no - n_f) / (n_f * (n_f - 1.0));
    }
    p_bar /= items;
    let p_yes = yes_total / (items * n_f);
    let p_e = p_yes * p_yes + (1.0 - p_yes) * (1.0 - p_yes);
    if (1.0 - p_e).abs() < 1e-12 {
        return Some(1.0);
    }
    Some((p_bar - p_e) / (1.0 - p_e))
}

/// Jaccard similarity of two decided sets (1 when both are empty).
pub fn stability(previous: &BTreeSet<String>, now: &BTreeSet<String>) -> f64 {
    let union = previous.union(now).count();
    if union == 0 {
        return 1.0;
    }
    previous.intersection(now).count() as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_matches_a_hand_computed_example() {
        // 4 items, 3 raters: P_i = 1, 1/3, 1, 1/3 -> P-bar = 2/3; p_yes = 6/12 -> P_e = 1/2;
        // kappa = (2/3 - 1/2) / (1/2) = 1/3.
        let ratings = vec![
            vec![true, true, true],
            vec![true, true, false],
            vec![false, false, false],
            vec![false, false, true],
        ];
        assert!((fleiss_kappa(&ratings).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            fleiss_kappa(&[vec![true, true], vec![false, false]]),
            Some(1.0)
        );
        assert_eq!(fleiss_kappa(&[vec![true]]), None);
        let mut a = BTreeSet::new();
        a.insert("x".to_string());
        let mut b = a.clone();
        b.insert("y".to_string());
        assert_eq!(stability(&a, &b), 0.5);
    }
}
