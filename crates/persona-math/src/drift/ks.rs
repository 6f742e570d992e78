//! Two-sample Kolmogorov-Smirnov test, two-sided, with scipy's `method='auto'` p-value.
//!
//! scipy is the yardstick because Evidently's `ks` stattest is `scipy.stats.ks_2samp`: the
//! exact null distribution (Hodges' lattice-path counts) while both samples have at most
//! [`KS_MAX_EXACT_N`] points, the Kolmogorov distribution `kstwo` with
//! `n = round(n1 n2 / (n1 + n2))` beyond that, and scipy's fallback from exact to asymptotic
//! when the exact computation leaves [0, 1] through rounding.

use super::kolmogorov::kstwo_sf;

/// Largest sample size for which the exact p-value is attempted (scipy's `MAX_AUTO_N`).
pub const KS_MAX_EXACT_N: usize = 10_000;

/// Outcome of [`ks_2samp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// Largest absolute gap between the two empirical CDFs. When the exact p-value was
    /// attempted this is scipy's `round(D * lcm) / lcm`, equal to D up to rounding.
    pub statistic: f64,
    /// Two-sided p-value in [0, 1].
    pub p_value: f64,
    /// Whether the p-value comes from the exact distribution (false: asymptotic `kstwo`).
    pub exact: bool,
}

impl KsResult {
    /// What an empty sample gives: no evidence of a difference.
    const NO_EVIDENCE: KsResult = KsResult {
        statistic: 0.0,
        p_value: 1.0,
        exact: true,
    };
}

/// Two-sided two-sample KS test of unsorted samples; NaN values are dropped first.
///
/// Sorts copies, so callers that already hold sorted data (the stored reference sample)
/// should use [`ks_2samp_sorted`]. An empty side gives statistic 0 and p-value 1.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> KsResult {
    ks_2samp_sorted(&sorted_without_nan(a), &sorted_without_nan(b))
}

/// [`ks_2samp`] for samples already sorted ascending and free of NaN.
///
/// Ties are handled as scipy does: both empirical CDFs are evaluated after *all* copies of a
/// value, so a value shared by the samples never opens a gap by itself. Unsorted input gives a
/// meaningless result but neither panics nor loops.
pub fn ks_2samp_sorted(a: &[f64], b: &[f64]) -> KsResult {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return KsResult::NO_EVIDENCE;
    }
    let d = max_ecdf_gap(a, b);
    let mut statistic = d;
    if n1.max(n2) <= KS_MAX_EXACT_N {
        let (rounded, p) = exact_p_value(n1 as i64, n2 as i64, d);
        if let Some(p) = p {
            return KsResult {
                statistic: rounded,
                p_value: p,
                exact: true,
            };
        }
        // scipy keeps the lattice-rounded statistic when it falls back.
        statistic = rounded;
    }
    let p_value = asymptotic_p_value(n1, n2, statistic);
    KsResult {
        statistic,
        p_value,
        exact: false,
    }
}

fn sorted_without_nan(x: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// sup |F_a - F_b| over the distinct values, each ECDF taken after all copies of the value.
///
/// The CDF values are formed as `count / n` like scipy's `searchsorted(...) / n`, so the
/// statistic fed to the asymptotic distribution is bit-identical to scipy's.
fn max_ecdf_gap(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let v = if a[i] <= b[j] { a[i] } else { b[j] };
        let (i0, j0) = (i, j);
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        if i == i0 && j == j0 {
            break; // only reachable with NaN in the input: stop rather than spin
        }
        d = d.max((i as f64 / n1 - j as f64 / n2).abs());
    }
    // Once one sample is used up its ECDF is 1 and the gap can only shrink, so `d` is final.
    d
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's `_attempt_exact_2kssamp`: the statistic rounded onto the lattice `h / lcm`, and the
/// exact p-value, or `None` when it is not a probability (scipy then goes asymptotic).
fn exact_p_value(n1: i64, n2: i64, d: f64) -> (f64, Option<f64>) {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as i64;
    let rounded = h as f64 / lcm as f64;
    if h == 0 {
        return (rounded, Some(1.0));
    }
    let p = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        prob_outside_band(n1, n2, g, h)
    };
    (rounded, (0.0..=1.0).contains(&p).then_some(p))
}

/// Pr(D_{n,n} >= h/n) by the alternating binomial series, evaluated Horner-style on ratios
/// of binomials as scipy's `_compute_prob_outside_square` does, operation for operation, so
/// that the same rounding pushes the same cases above 1 and into the fallback.
fn prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = ((n - k * h - j) as f64 * p1) / ((n + k * h + j + 1) as f64);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Bounds of the lattice window `|x/m - y/n| < h/lcm` in column `i` (scipy's `minj`, `maxj`).
fn band_window(i: i64, n: i64, mg: i64, ng: i64, h: i64) -> (i64, i64) {
    let lo = (((ng * i - h) as f64 / mg as f64).floor() as i64 + 1).clamp(0, n);
    let hi = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
    (lo, hi)
}

/// Proportion of lattice paths from (0,0) to (m,n) that leave the band around the diagonal,
/// i.e. Pr(D >= h/lcm) for unequal sizes.
///
/// The recursion of scipy's `_compute_outer_prob_inside_method` (Hodges' inside method,
/// rewritten by Viehmann to carry the complement so it stays within [0, 1]) on one sliding
/// column of the lattice.
fn prob_outside_band(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = (m / g, n / g);
    let mut minj = 0;
    let mut maxj = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len = (2 * maxj + 2).min(n + 1) as usize;
    let mut col = vec![1.0; len];
    col[..maxj as usize].fill(0.0);
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        (minj, maxj) = band_window(i, n, mg, ng, h);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            let prev = col
                .get((jj + minj - lastminj) as usize)
                .copied()
                .unwrap_or(1.0);
            val = (prev * i as f64 + val * j as f64) / (i + j) as f64;
            col[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            // Cells the window left behind must read as "inside" (1) next time round.
            col[(curlen as usize).min(len)..(lastlen as usize).min(len)].fill(1.0);
        }
    }
    col[(maxj - minj - 1) as usize]
}

/// scipy's asymptotic two-sided p-value: `kstwo.sf(D, round(m n / (m + n)))`, where the
/// rounding is numpy's half-to-even.
fn asymptotic_p_value(n1: usize, n2: usize, d: f64) -> f64 {
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    // en >= 1 whenever this path is reachable; the floor only guards kstwo's n >= 1 domain.
    let en = (m * n / (m + n)).round_ties_even().max(1.0);
    kstwo_sf(d, en as u64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn ties_are_evaluated_after_every_copy() {
        // C08: a naive merge that steps one element at a time reports D = 1 here.
        let r = ks_2samp(&[1.0, 2.0, 2.0, 2.0], &[2.0, 3.0, 3.0, 3.0]);
        assert_eq!(r.statistic, 0.75);
        assert!(close(r.p_value, 0.228571, 2e-6) && r.exact);
        let r = ks_2samp(
            &[0.0, 0.0, 1.0, 1.0, 1.0, 2.0],
            &[0.0, 1.0, 1.0, 2.0, 2.0, 2.0],
        );
        assert!((r.statistic - 1.0 / 3.0).abs() < 1e-15);
        assert!(close(r.p_value, 0.930736, 1e-6) && r.exact);
    }

    #[test]
    fn empty_or_nan_only_input_is_no_evidence() {
        assert_eq!(ks_2samp(&[], &[1.0]), KsResult::NO_EVIDENCE);
        assert_eq!(ks_2samp(&[f64::NAN], &[1.0, 2.0]), KsResult::NO_EVIDENCE);
        assert_eq!(ks_2samp_sorted(&[1.0], &[]), KsResult::NO_EVIDENCE);
    }

    #[test]
    fn nan_is_dropped_and_unsorted_input_is_sorted() {
        let a = ks_2samp(&[3.0, f64::NAN, 1.0, 2.0], &[2.5, 0.5, 9.0]);
        let b = ks_2samp_sorted(&[1.0, 2.0, 3.0], &[0.5, 2.5, 9.0]);
        assert_eq!(a, b);
    }

    #[test]
    fn nan_in_sorted_input_terminates() {
        let r = ks_2samp_sorted(&[f64::NAN, 1.0], &[f64::NAN, 2.0]);
        assert!((0.0..=1.0).contains(&r.p_value));
    }

    #[test]
    fn symmetric_in_its_arguments() {
        let a = [0.1, 0.4, 0.4, 0.9, 1.3, 2.0, 2.2];
        let b = [0.3, 0.4, 1.1, 1.2, 3.0];
        assert_eq!(ks_2samp(&a, &b), ks_2samp(&b, &a));
    }

    #[test]
    fn rounding_above_one_falls_back_like_scipy() {
        // D = 1/5 with n1 = n2 = 5: the square series gives 1 + 2^-52, scipy goes asymptotic.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [1.5, 2.5, 3.5, 4.5, 5.5];
        let r = ks_2samp(&a, &b);
        assert_eq!((r.statistic, r.p_value, r.exact), (0.2, 1.0, false));
        assert!(prob_outside_square(5, 1) > 1.0);
    }

    #[test]
    fn exact_square_matches_the_closed_form_for_h_equal_n() {
        // Pr(D_{n,n} >= 1) = 2 / binom(2n, n).
        assert!(close(prob_outside_square(3, 3), 2.0 / 20.0, 1e-15));
        assert!(close(prob_outside_square(4, 4), 2.0 / 70.0, 1e-15));
    }

    #[test]
    fn band_and_square_agree_where_both_apply() {
        // With m = n the inside method must reproduce the square formula.
        for (n, h) in [(6, 2), (9, 4), (20, 7)] {
            let band = prob_outside_band(n, n, n, h);
            assert!(close(band, prob_outside_square(n, h), 1e-12), "n={n} h={h}");
        }
    }

    #[test]
    fn disjoint_samples_have_d_one() {
        let r = ks_2samp(&[1.0, 2.0, 3.0], &[10.0, 11.0, 12.0, 13.0]);
        assert_eq!(r.statistic, 1.0);
        // Only 2 of the binom(7, 3) = 35 orderings are that extreme.
        assert!(close(r.p_value, 2.0 / 35.0, 1e-12));
    }

    #[test]
    fn identical_samples_have_p_one() {
        let a: Vec<f64> = (0..50).map(|i| (i % 7) as f64).collect();
        let r = ks_2samp(&a, &a);
        assert_eq!((r.statistic, r.p_value), (0.0, 1.0));
    }
}
