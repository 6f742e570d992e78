//! Binned comparisons: quantile bins of the reference, PSI and Jensen-Shannon distance.
//!
//! A numeric reference is summarised by quantile bin edges plus the share of reference values
//! in each bin; later, current values are counted into the same bins. (Evidently instead bins
//! reference and current *together* with Sturges' rule at check time, which needs the raw
//! reference; stored quantile bins need only the edges and shares.)

/// Share given to an empty bin when the smallest non-empty share is above it (Evidently).
pub const EMPTY_BIN_FLOOR: f64 = 1e-4;
/// An empty bin next to tiny shares gets the smallest share divided by this (Evidently).
pub const EMPTY_BIN_DIVISOR: f64 = 1e6;

/// Interior quantile edges of a sorted sample for `n_bins` equal-probability bins.
///
/// Rule: the quantiles at i / n_bins for i = 1..n_bins-1, by linear interpolation between order
/// statistics (numpy's default `method='linear'`, Hyndman-Fan type 7, including numpy's
/// two-sided interpolation formula), then sorted with duplicates removed. Ties in the sample
/// therefore give fewer, not empty, bins; a constant sample gives one edge. Non-finite edges
/// are dropped. `n_bins < 2` or an empty sample give no edges (a single bin).
///
/// `sorted` must be ascending and NaN-free; unsorted input gives meaningless edges.
pub fn quantile_edges(sorted: &[f64], n_bins: usize) -> Vec<f64> {
    if sorted.is_empty() || n_bins < 2 {
        return Vec::new();
    }
    let mut edges: Vec<f64> = (1..n_bins)
        .map(|i| linear_quantile(sorted, i as f64 / n_bins as f64))
        .filter(|e| e.is_finite())
        .collect();
    edges.sort_unstable_by(f64::total_cmp);
    edges.dedup();
    edges
}

/// numpy's `quantile(..., method='linear')` of a sorted sample at q in [0, 1].
fn linear_quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let virtual_index = last as f64 * q;
    if virtual_index >= last as f64 {
        return sorted[last];
    }
    let below = virtual_index.floor().max(0.0);
    let (a, b) = (sorted[below as usize], sorted[below as usize + 1]);
    let t = virtual_index - below;
    // numpy interpolates from the nearer end, which keeps the result inside [a, b].
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

/// Bin of `x` for `edges` e_1 < ... < e_k: the number of edges <= x.
///
/// Bins are closed on the left: (-inf, e_1), [e_1, e_2), ..., [e_k, +inf). A value equal to an
/// edge belongs to the bin that edge opens (numpy `digitize(x, edges)`, i.e.
/// `searchsorted(edges, x, side='right')`). So a value repeated so often that it becomes an
/// edge starts its own bin, and values beyond the reference range land in the end bins.
pub fn bin_index(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|&e| e <= x)
}

/// Counts of `values` in the `edges.len() + 1` bins of [`bin_index`]; NaN values are skipped.
pub fn bin_counts(edges: &[f64], values: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; edges.len() + 1];
    for &x in values.iter().filter(|x| !x.is_nan()) {
        counts[bin_index(edges, x)] += 1;
    }
    counts
}

/// Counts as shares of their total; all zeros when the total is 0.
pub fn shares(counts: &[u64]) -> Vec<f64> {
    let total = counts.iter().fold(0u64, |acc, &c| acc.saturating_add(c));
    if total == 0 {
        return vec![0.0; counts.len()];
    }
    counts.iter().map(|&c| c as f64 / total as f64).collect()
}

/// A share as the fill and PSI see it: clamped to [0, 1], NaN counting as empty.
fn sanitize(share: f64) -> f64 {
    if share.is_nan() {
        0.0
    } else {
        share.clamp(0.0, 1.0)
    }
}

/// Evidently's replacement of empty bins, applied to one side's shares.
///
/// Every zero share becomes `m / 1e6` if the smallest non-zero share `m` is <= 1e-4, else
/// 1e-4: an empty bin counts as rarer than anything observed, so PSI stays finite yet still
/// punishes mass moving into or out of it. If no share is positive, all become 1e-4. The fill
/// never goes below the smallest normal double, so logarithms of it are finite.
pub fn fill_empty_bins(shares: &[f64]) -> Vec<f64> {
    let cleaned: Vec<f64> = shares.iter().map(|&s| sanitize(s)).collect();
    let smallest = cleaned
        .iter()
        .copied()
        .filter(|&s| s > 0.0)
        .fold(f64::INFINITY, f64::min);
    let fill = if smallest <= EMPTY_BIN_FLOOR {
        (smallest / EMPTY_BIN_DIVISOR).max(f64::MIN_POSITIVE)
    } else {
        EMPTY_BIN_FLOOR
    };
    cleaned
        .into_iter()
        .map(|s| if s == 0.0 { fill } else { s })
        .collect()
}

/// Population Stability Index Σ (r - c) ln(r / c) over bins, after [`fill_empty_bins`] on each
/// side (Evidently's `psi` stattest).
///
/// Always finite and >= 0 up to rounding: shares are clamped to [0, 1] (NaN = empty), and a
/// shorter slice is padded with empty bins, which the fill then handles like any empty bin.
pub fn psi(ref_shares: &[f64], cur_shares: &[f64]) -> f64 {
    let len = ref_shares.len().max(cur_shares.len());
    let pad = |s: &[f64]| {
        let mut v = s.to_vec();
        v.resize(len, 0.0);
        fill_empty_bins(&v)
    };
    let (r, c) = (pad(ref_shares), pad(cur_shares));
    r.iter()
        .zip(&c)
        .map(|(&r, &c)| (r - c) * (r.ln() - c.ln()))
        .sum()
}

/// Jensen-Shannon *distance* (the square root of the divergence), as
/// `scipy.spatial.distance.jensenshannon(p, q, base)`.
///
/// `p` and `q` are weights over the same bins (counts or shares) and are each normalised to sum
/// 1; the logarithm is natural unless `base` is given. No empty-bin fill is applied: Evidently
/// calls its binning with the fill switched off for this test, and the brief's reference values
/// (e.g. disjoint supports giving exactly 1 in base 2) are the unfilled ones. Empty bins are
/// harmless here because the mixture (p + q)/2 is positive wherever p or q is.
///
/// NaN where scipy gives NaN or raises: different lengths, an empty side or a zero total, a
/// negative or non-finite weight, a base that is not positive and different from 1. A
/// divergence that rounds to just below 0 is reported as 0 (scipy would give NaN).
pub fn jensenshannon(p: &[f64], q: &[f64], base: Option<f64>) -> f64 {
    let (Some(p), Some(q)) = (normalized(p), normalized(q)) else {
        return f64::NAN;
    };
    let log_base = match base {
        None => 1.0,
        Some(b) if b > 0.0 && b != 1.0 && b.is_finite() => b.ln(),
        Some(_) => return f64::NAN,
    };
    if p.len() != q.len() {
        return f64::NAN;
    }
    let js: f64 = p
        .iter()
        .zip(&q)
        .map(|(&pi, &qi)| {
            let m = (pi + qi) / 2.0;
            rel_entr(pi, m) + rel_entr(qi, m)
        })
        .sum();
    (js / log_base / 2.0).max(0.0).sqrt()
}

/// Weights divided by their total, or `None` if any is negative or non-finite or the total
/// is not positive.
fn normalized(w: &[f64]) -> Option<Vec<f64>> {
    if w.iter().any(|&x| !(x >= 0.0 && x.is_finite())) {
        return None;
    }
    let total: f64 = w.iter().sum();
    (total > 0.0 && total.is_finite()).then(|| w.iter().map(|&x| x / total).collect())
}

/// x ln(x / y) with 0 ln 0 = 0 (scipy's `rel_entr` for x >= 0, y >= x / 2).
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 {
        x * (x / y).ln()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_empty_bins_c13() {
        // Categories A, B: reference 50/50, current all A.
        assert!((psi(&[0.5, 0.5], &[1.0, 0.0]) - 4.604318).abs() < 5e-7);
        // Reference a x99999, b x1; current a x99999, c x1 (bins a, b, c).
        let r = [0.99999, 0.00001, 0.0];
        let c = [0.99999, 0.0, 0.00001];
        assert!((psi(&r, &c) - 2.7631e-4).abs() < 5e-9);
    }

    #[test]
    fn fill_rule() {
        assert_eq!(fill_empty_bins(&[0.5, 0.0, 0.5]), vec![0.5, 1e-4, 0.5]);
        assert_eq!(
            fill_empty_bins(&[0.0001, 0.0, 0.9999]),
            vec![0.0001, 1e-10, 0.9999]
        );
        assert_eq!(fill_empty_bins(&[0.0, 0.0]), vec![1e-4, 1e-4]);
        assert_eq!(
            fill_empty_bins(&[f64::NAN, -1.0, 0.5]),
            vec![1e-4, 1e-4, 0.5]
        );
        assert_eq!(
            fill_empty_bins(&[f64::MIN_POSITIVE, 0.0])[1],
            f64::MIN_POSITIVE
        );
    }

    #[test]
    fn psi_is_finite_on_any_input() {
        let cases: [(&[f64], &[f64]); 5] = [
            (&[], &[]),
            (&[0.0, 0.0], &[1.0, 0.0]),
            (&[f64::NAN, f64::INFINITY], &[-3.0, 0.2]),
            (&[1.0], &[0.2, 0.3, 0.5]),
            (&[f64::MIN_POSITIVE, 1.0], &[1.0, 0.0]),
        ];
        for (r, c) in cases {
            assert!(psi(r, c).is_finite(), "{r:?} {c:?}");
        }
        assert_eq!(psi(&[0.2, 0.8], &[0.2, 0.8]), 0.0);
    }

    #[test]
    fn jensenshannon_c14() {
        let js2 = |p: &[f64], q: &[f64]| jensenshannon(p, q, Some(2.0));
        assert!((js2(&[5.0, 5.0, 5.0], &[8.0, 3.0, 0.0]) - 0.472140).abs() < 5e-7);
        assert!((js2(&[5.0, 5.0, 0.0], &[8.0, 3.0, 5.0]) - 0.457614).abs() < 5e-7);
        assert_eq!(js2(&[100.0, 0.0], &[0.0, 100.0]), 1.0);
        let e = jensenshannon(&[100.0, 0.0], &[0.0, 100.0], None);
        assert!((e - 0.832555).abs() < 5e-7);
        assert!((js2(&[50.0, 50.0], &[90.0, 10.0]) - 0.383136).abs() < 5e-7);
        assert!((jensenshannon(&[50.0, 50.0], &[90.0, 10.0], None) - 0.318982).abs() < 5e-7);
    }

    #[test]
    fn jensenshannon_undefined_input_is_nan() {
        assert!(jensenshannon(&[], &[], None).is_nan());
        assert!(jensenshannon(&[0.0, 0.0], &[1.0, 1.0], None).is_nan());
        assert!(jensenshannon(&[1.0, 2.0], &[1.0], None).is_nan());
        assert!(jensenshannon(&[1.0, -2.0], &[1.0, 1.0], None).is_nan());
        assert!(jensenshannon(&[1.0], &[1.0], Some(1.0)).is_nan());
        assert_eq!(jensenshannon(&[0.3, 0.7], &[3.0, 7.0], None), 0.0);
    }

    #[test]
    fn quantile_edges_dedup_ties() {
        let mut s = vec![0.0; 90];
        s.extend((1..=10).map(f64::from));
        let edges = quantile_edges(&s, 10);
        assert_eq!(edges.len(), 2);
        assert_eq!(edges[0], 0.0);
        assert_eq!(bin_counts(&edges, &s), vec![0, 90, 10]);
        assert_eq!(quantile_edges(&[4.2; 7], 10), vec![4.2]);
        assert!(quantile_edges(&[], 10).is_empty());
        assert!(quantile_edges(&[1.0, 2.0], 1).is_empty());
    }

    #[test]
    fn bins_are_closed_on_the_left() {
        let edges = [1.0, 2.0];
        assert_eq!(bin_index(&edges, 0.5), 0);
        assert_eq!(bin_index(&edges, 1.0), 1);
        assert_eq!(bin_index(&edges, 1.99), 1);
        assert_eq!(bin_index(&edges, 2.0), 2);
        assert_eq!(bin_index(&[], 7.0), 0);
        assert_eq!(bin_counts(&edges, &[f64::NAN, 0.0, 3.0]), vec![1, 0, 1]);
    }

    #[test]
    fn shares_of_counts() {
        assert_eq!(shares(&[1, 3]), vec![0.25, 0.75]);
        assert_eq!(shares(&[0, 0]), vec![0.0, 0.0]);
    }
}
