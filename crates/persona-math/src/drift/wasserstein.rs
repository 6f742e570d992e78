//! First Wasserstein (earth mover's) distance between two one-dimensional samples.
//!
//! In one dimension W1 is the area between the two CDFs, ∫ |F_u - F_v|. Like
//! `scipy.stats.wasserstein_distance`, both CDFs are the (optionally weighted) empirical ones,
//! evaluated after all copies of a value, and integrated exactly over the gaps between
//! consecutive distinct values of the pooled sample.

/// W1 between two weighted empirical distributions, as `scipy.stats.wasserstein_distance`.
///
/// `None` weights mean equal weights. Weights need not sum to 1: each side is normalised by its
/// own total, which lets a histogram (bin positions + shares) be passed directly. Input need
/// not be sorted. Where scipy raises, this returns NaN: an empty side, a weight slice of the
/// wrong length, a negative or NaN weight, or a weight total that is not positive and finite.
pub fn wasserstein_1(
    u_values: &[f64],
    u_weights: Option<&[f64]>,
    v_values: &[f64],
    v_weights: Option<&[f64]>,
) -> f64 {
    let (Some(u), Some(v)) = (
        Weighted::new(u_values, u_weights),
        Weighted::new(v_values, v_weights),
    ) else {
        return f64::NAN;
    };
    let wu = |i: usize| u.weights.as_ref().map_or(1.0, |w| w[i]);
    let wv = |i: usize| v.weights.as_ref().map_or(1.0, |w| w[i]);
    area_between_cdfs(&u.values, wu, u.total, &v.values, wv, v.total)
}

/// Unweighted W1 of two samples already sorted ascending (the stored reference sample),
/// skipping the sort and allocation of [`wasserstein_1`]. An empty side gives NaN.
pub fn wasserstein_1_sorted(u_sorted: &[f64], v_sorted: &[f64]) -> f64 {
    if u_sorted.is_empty() || v_sorted.is_empty() {
        return f64::NAN;
    }
    let one = |_| 1.0;
    let (nu, nv) = (u_sorted.len() as f64, v_sorted.len() as f64);
    area_between_cdfs(u_sorted, one, nu, v_sorted, one, nv)
}

/// Evidently's normed Wasserstein: W1 in units of the reference's population standard
/// deviation, so one threshold (0.1) fits features of any scale.
///
/// The standard deviation is floored at 0.001 so that a constant reference gives a large but
/// finite score instead of infinity or NaN (a NaN `ref_std` is treated as 0 and so floored).
pub fn wasserstein_normalized(w1: f64, ref_std: f64) -> f64 {
    w1 / ref_std.max(0.001)
}

/// One side's values sorted ascending, with weights permuted alongside, and the weight total.
struct Weighted {
    values: Vec<f64>,
    weights: Option<Vec<f64>>,
    total: f64,
}

impl Weighted {
    fn new(values: &[f64], weights: Option<&[f64]>) -> Option<Weighted> {
        if values.is_empty() {
            return None;
        }
        let Some(w) = weights else {
            let mut values = values.to_vec();
            values.sort_unstable_by(f64::total_cmp);
            return Some(Weighted {
                total: values.len() as f64,
                values,
                weights: None,
            });
        };
        let total: f64 = w.iter().sum();
        let valid = w.len() == values.len() && w.iter().all(|&x| x >= 0.0);
        if !(valid && total > 0.0 && total.is_finite()) {
            return None;
        }
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        Some(Weighted {
            values: order.iter().map(|&i| values[i]).collect(),
            weights: Some(order.iter().map(|&i| w[i]).collect()),
            total,
        })
    }
}

/// ∫ |F_u - F_v| over the pooled sorted values, F being cumulative weight / total after all
/// copies of a value. Both inputs must be sorted ascending.
fn area_between_cdfs(
    u: &[f64],
    wu: impl Fn(usize) -> f64,
    tu: f64,
    v: &[f64],
    wv: impl Fn(usize) -> f64,
    tv: f64,
) -> f64 {
    let (mut i, mut j) = (0, 0);
    let (mut cum_u, mut cum_v) = (0.0, 0.0);
    let (mut area, mut last_x, mut last_gap) = (0.0, f64::NAN, 0.0);
    while i < u.len() || j < v.len() {
        let x = match (u.get(i), v.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        if i > 0 || j > 0 {
            area += last_gap * (x - last_x);
        }
        let (i0, j0) = (i, j);
        while i < u.len() && u[i] <= x {
            cum_u += wu(i);
            i += 1;
        }
        while j < v.len() && v[j] <= x {
            cum_v += wv(j);
            j += 1;
        }
        if i == i0 && j == j0 {
            return f64::NAN; // NaN among the values: no order to integrate over
        }
        last_gap = (cum_u / tu - cum_v / tv).abs();
        last_x = x;
    }
    area
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_reference_c12() {
        let r = [5.0; 4];
        assert_eq!(wasserstein_1(&r, None, &[5.0, 5.0, 5.0, 6.0], None), 0.25);
        assert_eq!(wasserstein_1(&r, None, &r, None), 0.0);
        assert_eq!(wasserstein_1(&r, None, &[6.0; 4], None), 1.0);
        assert_eq!(wasserstein_normalized(0.25, 0.0), 250.0);
        assert_eq!(wasserstein_normalized(0.0, 0.0), 0.0);
        assert_eq!(wasserstein_normalized(1.0, 0.0), 1000.0);
    }

    #[test]
    fn histogram_form_c12() {
        let pos = [0.0, 1.0, 2.0, 3.0];
        let w = wasserstein_1(
            &pos,
            Some(&[0.5, 0.5, 0.0, 0.0]),
            &pos,
            Some(&[0.0, 0.0, 0.5, 0.5]),
        );
        assert_eq!(w, 2.0);
    }

    #[test]
    fn shift_of_a_sample_moves_w1_by_the_shift() {
        let a: Vec<f64> = (0..100).map(|i| (i * 37 % 101) as f64 / 10.0).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 2.5).collect();
        assert!((wasserstein_1(&a, None, &b, None) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn sorted_entry_point_agrees() {
        let mut a = vec![3.0, 1.0, 2.0, 2.0, 5.0, 1.0];
        let mut b = vec![2.0, 2.0, 9.0, 0.0];
        let w = wasserstein_1(&a, None, &b, None);
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        assert_eq!(wasserstein_1_sorted(&a, &b), w);
        assert_eq!(wasserstein_1(&b, None, &a, None), w);
    }

    #[test]
    fn invalid_input_is_nan_not_a_panic() {
        assert!(wasserstein_1(&[], None, &[1.0], None).is_nan());
        assert!(wasserstein_1_sorted(&[1.0], &[]).is_nan());
        assert!(wasserstein_1(&[1.0, 2.0], Some(&[1.0]), &[1.0], None).is_nan());
        assert!(wasserstein_1(&[1.0], Some(&[-1.0]), &[1.0], None).is_nan());
        assert!(wasserstein_1(&[1.0], Some(&[0.0]), &[1.0], None).is_nan());
        assert!(wasserstein_1(&[1.0], Some(&[f64::NAN]), &[1.0], None).is_nan());
        assert!(wasserstein_1(&[1.0], Some(&[f64::INFINITY]), &[1.0], None).is_nan());
        assert!(wasserstein_1(&[f64::NAN, 1.0], None, &[1.0], None).is_nan());
    }
}
