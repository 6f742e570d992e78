//! Categorical comparisons on counts keyed by category: chi-square goodness of fit, the
//! two-proportion z test, and PSI / Jensen-Shannon over categories.
//!
//! Counts live in a `BTreeMap<K, u64>`, so categories come out in one deterministic order.
//! `K` is usually `String`; a numeric feature with few distinct values (Evidently treats
//! <= 5 as discrete) uses [`NumKey`], a float ordered by its bits.

use std::collections::BTreeMap;

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::binned::{jensenshannon, psi, shares};

/// A non-NaN float usable as a category key, ordered like `f64::total_cmp`.
///
/// The bits are mapped so that unsigned comparison is numeric order, which gives `Eq`, `Ord`
/// and `Hash` without any float comparison. -0.0 is folded into 0.0 so the two are one
/// category, as `numpy.unique` and pandas treat them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumKey(u64);

impl NumKey {
    const SIGN: u64 = 1 << 63;

    /// The key of `x`, or `None` for NaN (which is never a category).
    pub fn new(x: f64) -> Option<NumKey> {
        if x.is_nan() {
            return None;
        }
        let bits = (x + 0.0).to_bits(); // -0.0 + 0.0 == +0.0
        Some(NumKey(if bits & Self::SIGN != 0 {
            !bits
        } else {
            bits | Self::SIGN
        }))
    }

    /// The float this key stands for.
    pub fn value(self) -> f64 {
        let bits = if self.0 & Self::SIGN != 0 {
            self.0 & !Self::SIGN
        } else {
            !self.0
        };
        f64::from_bits(bits)
    }
}

/// Occurrences of each item.
pub fn count_values<K: Ord, I: IntoIterator<Item = K>>(items: I) -> BTreeMap<K, u64> {
    let mut counts = BTreeMap::new();
    for k in items {
        *counts.entry(k).or_insert(0) += 1;
    }
    counts
}

/// Counts from `(category, count)` pairs, e.g. rows of a `GROUP BY`; repeated categories are
/// added up (saturating).
pub fn counts_from_pairs<K: Ord, I: IntoIterator<Item = (K, u64)>>(pairs: I) -> BTreeMap<K, u64> {
    let mut counts = BTreeMap::new();
    for (k, c) in pairs {
        let slot: &mut u64 = counts.entry(k).or_insert(0);
        *slot = slot.saturating_add(c);
    }
    counts
}

/// Sum of counts that cannot overflow (and so cannot panic in debug builds).
fn total(counts: &[u64]) -> u64 {
    counts.iter().fold(0, |acc, &c| acc.saturating_add(c))
}

/// Occurrences of each distinct float, NaN skipped.
pub fn count_numeric(values: &[f64]) -> BTreeMap<NumKey, u64> {
    count_values(values.iter().filter_map(|&x| NumKey::new(x)))
}

/// Number of categories with a positive count on either side (Evidently's `nunique` of the
/// concatenated samples, the input to the automatic method choice).
pub fn n_distinct_union<K: Ord>(reference: &BTreeMap<K, u64>, current: &BTreeMap<K, u64>) -> usize {
    let positive = |m: &BTreeMap<K, u64>| m.iter().filter(|(_, &c)| c > 0).count();
    let shared = reference
        .iter()
        .filter(|(k, &c)| c > 0 && current.get(*k).is_some_and(|&c| c > 0))
        .count();
    positive(reference) + positive(current) - shared
}

/// Reference and current counts over the union of categories, in key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned<K> {
    pub keys: Vec<K>,
    pub reference: Vec<u64>,
    pub current: Vec<u64>,
}

/// Lines up two count maps over the categories that occur (count > 0) on either side; keys
/// stored with a zero count on both sides are dropped, as if never seen.
pub fn align<K: Ord + Clone>(
    reference: &BTreeMap<K, u64>,
    current: &BTreeMap<K, u64>,
) -> Aligned<K> {
    let mut union: BTreeMap<&K, (u64, u64)> = BTreeMap::new();
    for (k, &c) in reference {
        union.entry(k).or_default().0 += c;
    }
    for (k, &c) in current {
        union.entry(k).or_default().1 += c;
    }
    let mut out = Aligned {
        keys: Vec::new(),
        reference: Vec::new(),
        current: Vec::new(),
    };
    for (k, (r, c)) in union.into_iter().filter(|(_, (r, c))| *r > 0 || *c > 0) {
        out.keys.push(k.clone());
        out.reference.push(r);
        out.current.push(c);
    }
    out
}

/// Outcome of [`chisquare`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChiSquareResult<K> {
    /// Pearson's statistic; +inf when a category unseen in the reference occurs now.
    pub statistic: f64,
    /// Upper tail of chi-square with `df` degrees of freedom; 0 when the statistic is +inf.
    pub p_value: f64,
    /// Number of categories minus one.
    pub df: usize,
    /// Categories present in the current counts but absent from the reference, in key order.
    pub unseen: Vec<K>,
}

/// Evidently's `chisquare` stattest: goodness of fit of the current counts to the reference
/// proportions, over the union of categories.
///
/// observed = current counts; expected = reference counts × (n_current / n_reference). A
/// category the reference never saw has expected 0: if it occurs now the statistic is +inf and
/// p = 0 (the strongest possible evidence of drift) and the category is listed in `unseen`.
/// With fewer than two categories, or an empty current side, nothing can differ: statistic 0,
/// p = 1 (scipy gives NaN for df = 0).
pub fn chisquare<K: Ord + Clone>(
    reference: &BTreeMap<K, u64>,
    current: &BTreeMap<K, u64>,
) -> ChiSquareResult<K> {
    let a = align(reference, current);
    let (statistic, p_value) = chisquare_aligned(&a.reference, &a.current);
    let unseen = a
        .keys
        .iter()
        .zip(a.reference.iter().zip(&a.current))
        .filter(|(_, (&r, &c))| r == 0 && c > 0)
        .map(|(k, _)| k.clone())
        .collect();
    ChiSquareResult {
        statistic,
        p_value,
        df: a.keys.len().saturating_sub(1),
        unseen,
    }
}

/// [`chisquare`] on counts already aligned by category: `(statistic, p_value)`.
///
/// Slices of different lengths are compared over the common prefix. An empty reference with a
/// non-empty current side counts as all-unseen: (+inf, 0).
pub fn chisquare_aligned(reference: &[u64], current: &[u64]) -> (f64, f64) {
    let pairs: Vec<(u64, u64)> = reference
        .iter()
        .copied()
        .zip(current.iter().copied())
        .filter(|&(r, c)| r > 0 || c > 0)
        .collect();
    let n_ref = pairs.iter().fold(0u64, |acc, p| acc.saturating_add(p.0));
    let n_cur = pairs.iter().fold(0u64, |acc, p| acc.saturating_add(p.1));
    if pairs.len() < 2 || n_cur == 0 {
        return (0.0, 1.0);
    }
    if n_ref == 0 {
        return (f64::INFINITY, 0.0);
    }
    let k_norm = n_cur as f64 / n_ref as f64;
    let statistic: f64 = pairs
        .iter()
        .map(|&(r, c)| {
            let expected = r as f64 * k_norm;
            let diff = c as f64 - expected;
            if expected > 0.0 {
                diff * diff / expected
            } else {
                f64::INFINITY // c > 0 here: the pair was kept and r == 0
            }
        })
        .sum();
    (statistic, chi2_sf(statistic, (pairs.len() - 1) as f64))
}

fn chi2_sf(x: f64, df: f64) -> f64 {
    ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x))
}

/// Outcome of the z tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZResult {
    /// (p_ref - p_cur) / pooled standard error.
    pub statistic: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
}

impl ZResult {
    const NO_EVIDENCE: ZResult = ZResult {
        statistic: 0.0,
        p_value: 1.0,
    };
}

/// Two-sided two-proportion z test with pooled variance, as Evidently's
/// `proportions_diff_z_test`: hits out of n on each side.
///
/// The p-value is 2·sf(|z|) rather than Evidently's 2·(1 - cdf(|z|)); they agree to 1e-16 but
/// sf keeps tiny p-values instead of rounding them to 0. Degenerate input (an empty side, hits
/// above n, pooled proportion 0 or 1, where Evidently would divide by zero) gives z = 0, p = 1.
pub fn z_test_proportions(ref_hits: u64, ref_n: u64, cur_hits: u64, cur_n: u64) -> ZResult {
    if ref_n == 0 || cur_n == 0 || ref_hits > ref_n || cur_hits > cur_n {
        return ZResult::NO_EVIDENCE;
    }
    let (n1, n2) = (ref_n as f64, cur_n as f64);
    let (p1, p2) = (ref_hits as f64 / n1, cur_hits as f64 / n2);
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    if pooled <= 0.0 || pooled >= 1.0 {
        return ZResult::NO_EVIDENCE;
    }
    let statistic = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let p_value = (2.0 * Normal::standard().sf(statistic.abs())).min(1.0);
    ZResult { statistic, p_value }
}

/// Evidently's `z` stattest on category counts: a "hit" is any category other than the
/// smallest key of the union (Evidently sorts the union and tests "not the first key").
/// Meant for two categories; with more, all but the first are pooled.
pub fn z_test<K: Ord + Clone>(reference: &BTreeMap<K, u64>, current: &BTreeMap<K, u64>) -> ZResult {
    let a = align(reference, current);
    let hits = |counts: &[u64]| total(counts.get(1..).unwrap_or(&[]));
    let (n_ref, n_cur) = (total(&a.reference), total(&a.current));
    z_test_proportions(hits(&a.reference), n_ref, hits(&a.current), n_cur)
}

/// PSI over categories: shares of each side over the union, with Evidently's empty-bin fill.
pub fn psi_categorical<K: Ord + Clone>(
    reference: &BTreeMap<K, u64>,
    current: &BTreeMap<K, u64>,
) -> f64 {
    let a = align(reference, current);
    psi(&shares(&a.reference), &shares(&a.current))
}

/// Jensen-Shannon distance over categories (no empty-bin fill, see [`jensenshannon`]).
pub fn jensenshannon_categorical<K: Ord + Clone>(
    reference: &BTreeMap<K, u64>,
    current: &BTreeMap<K, u64>,
    base: Option<f64>,
) -> f64 {
    let a = align(reference, current);
    let as_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<_>>();
    jensenshannon(&as_f64(&a.reference), &as_f64(&a.current), base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|&(k, c)| (k.to_string(), c)).collect()
    }

    #[test]
    fn chisquare_c14() {
        let r = chisquare(
            &counts(&[("a", 5), ("b", 5), ("c", 5)]),
            &counts(&[("a", 8), ("b", 3)]),
        );
        assert!((r.statistic - 8.909091).abs() < 5e-7);
        assert!((r.p_value - 0.011626).abs() < 5e-7);
        assert_eq!((r.df, r.unseen.len()), (2, 0));
        let r = chisquare(
            &counts(&[("a", 5), ("b", 5)]),
            &counts(&[("a", 8), ("b", 3), ("c", 5)]),
        );
        assert_eq!((r.statistic, r.p_value), (f64::INFINITY, 0.0));
        assert_eq!(r.unseen, vec!["c".to_string()]);
    }

    #[test]
    fn chisquare_degenerate_input() {
        let one = counts(&[("x", 3)]);
        let empty = counts(&[]);
        assert_eq!(chisquare(&one, &one).p_value, 1.0);
        assert_eq!(chisquare(&one, &empty).p_value, 1.0);
        assert_eq!(chisquare(&empty, &empty).p_value, 1.0);
        let r = chisquare(&empty, &counts(&[("x", 1), ("y", 1)]));
        assert_eq!(
            (r.statistic, r.p_value, r.unseen.len()),
            (f64::INFINITY, 0.0, 2)
        );
        assert_eq!(chisquare_aligned(&[1, 2, 3], &[1]), (0.0, 1.0));
    }

    #[test]
    fn zero_count_keys_are_ignored() {
        let r = counts(&[("a", 5), ("b", 5), ("z", 0)]);
        let c = counts(&[("a", 8), ("b", 3), ("z", 0)]);
        assert_eq!(align(&r, &c).keys, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(n_distinct_union(&r, &c), 2);
        assert_eq!(chisquare(&r, &c).df, 1);
    }

    #[test]
    fn z_test_degenerate_and_symmetric() {
        assert_eq!(z_test_proportions(0, 10, 0, 20), ZResult::NO_EVIDENCE);
        assert_eq!(z_test_proportions(10, 10, 20, 20), ZResult::NO_EVIDENCE);
        assert_eq!(z_test_proportions(1, 0, 0, 20), ZResult::NO_EVIDENCE);
        let a = z_test_proportions(50, 100, 10, 100);
        let b = z_test_proportions(10, 100, 50, 100);
        assert_eq!((a.statistic, a.p_value), (-b.statistic, b.p_value));
        let same = counts(&[("k", 4)]);
        assert_eq!(z_test(&same, &same), ZResult::NO_EVIDENCE);
    }

    #[test]
    fn num_keys_order_numerically_and_merge_zeros() {
        let xs = [
            3.5,
            -0.0,
            f64::NEG_INFINITY,
            -2.0,
            0.0,
            1e-300,
            f64::INFINITY,
            -1e-300,
        ];
        let mut keys: Vec<NumKey> = xs.iter().filter_map(|&x| NumKey::new(x)).collect();
        keys.sort();
        keys.dedup();
        let back: Vec<f64> = keys.iter().map(|k| k.value()).collect();
        assert_eq!(
            back,
            vec![
                f64::NEG_INFINITY,
                -2.0,
                -1e-300,
                0.0,
                1e-300,
                3.5,
                f64::INFINITY
            ]
        );
        assert!(NumKey::new(f64::NAN).is_none());
        assert_eq!(count_numeric(&[1.0, f64::NAN, 1.0, -0.0, 0.0]).len(), 2);
    }

    #[test]
    fn pairs_are_summed_and_huge_counts_do_not_overflow() {
        let c = counts_from_pairs([("a", 2), ("b", 1), ("a", 3)]);
        assert_eq!(c, BTreeMap::from([("a", 5), ("b", 1)]));
        let huge = counts_from_pairs([("a", u64::MAX), ("a", 1), ("b", u64::MAX)]);
        assert_eq!(huge["a"], u64::MAX);
        let r = chisquare(&huge, &huge);
        assert!(r.statistic.is_finite() && r.p_value > 0.99);
        assert!(z_test(&huge, &huge).p_value > 0.99);
    }

    #[test]
    fn psi_and_js_over_categories() {
        let r = counts(&[("A", 50), ("B", 50)]);
        let c = counts(&[("A", 100)]);
        assert!((psi_categorical(&r, &c) - 4.604318).abs() < 5e-7);
        let r = counts(&[("A", 100)]);
        let c = counts(&[("B", 100)]);
        assert_eq!(jensenshannon_categorical(&r, &c, Some(2.0)), 1.0);
    }
}
