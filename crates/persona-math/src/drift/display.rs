//! Equal-width histograms of two samples over a common range, for pictures of a drift check.
//!
//! These are for people, not for the statistics (the tests use the samples or the reference's
//! quantile bins, see [`super::binned`]): a reader expects equal-width bins over the range that
//! both sides cover, so that a shift or a new mode shows where it happened.

/// The common bins and the counts of each side in them.
#[derive(Debug, Clone, PartialEq)]
pub struct EqualWidth {
    /// Bin edges, one more than the bins. Bins are closed on the left; the last one is closed on
    /// both sides, so the maximum is counted.
    pub edges: Vec<f64>,
    pub reference: Vec<u64>,
    pub current: Vec<u64>,
}

/// `bins` equal-width bins over [min, max] of both samples together; one bin when every value
/// is the same, `None` when neither side has a finite value or `bins` is 0. Non-finite values
/// are skipped. The samples need not be sorted.
///
/// Edges are convex combinations of the ends and positions use halved differences, so a range
/// that spans most of the float range does not overflow.
pub fn equal_width(reference: &[f64], current: &[f64], bins: usize) -> Option<EqualWidth> {
    if bins == 0 {
        return None;
    }
    let finite = || {
        reference
            .iter()
            .chain(current)
            .copied()
            .filter(|x| x.is_finite())
    };
    let lo = finite().fold(f64::INFINITY, f64::min);
    let hi = finite().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let bins = if lo < hi { bins } else { 1 };
    let edges = (0..=bins)
        .map(|i| {
            if i == bins {
                hi
            } else {
                let t = i as f64 / bins as f64;
                lo * (1.0 - t) + hi * t
            }
        })
        .collect();
    let span = hi / 2.0 - lo / 2.0;
    let count = |values: &[f64]| {
        let mut counts = vec![0u64; bins];
        for &x in values.iter().filter(|x| x.is_finite()) {
            let t = if span > 0.0 {
                (x / 2.0 - lo / 2.0) / span
            } else {
                0.0
            };
            counts[((t * bins as f64) as usize).min(bins - 1)] += 1;
        }
        counts
    };
    Some(EqualWidth {
        edges,
        reference: count(reference),
        current: count(current),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_both_sides() {
        let h = equal_width(&[0.0, 1.0, 2.0], &[3.0, 4.0], 4).unwrap();
        assert_eq!(h.edges, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        // Closed on the left, the last bin closed on both sides.
        assert_eq!(h.reference, vec![1, 1, 1, 0]);
        assert_eq!(h.current, vec![0, 0, 0, 2]);
    }

    #[test]
    fn every_finite_value_is_counted_once() {
        let reference: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin() * 5.0).collect();
        let current = [f64::NAN, 1.0, f64::INFINITY, -2.5];
        let h = equal_width(&reference, &current, 20).unwrap();
        assert_eq!(h.edges.len(), 21);
        assert_eq!(h.reference.iter().sum::<u64>(), 1000);
        assert_eq!(h.current.iter().sum::<u64>(), 2);
    }

    #[test]
    fn a_constant_gives_one_bin_and_nothing_gives_none() {
        let h = equal_width(&[7.0, 7.0], &[7.0], 20).unwrap();
        assert_eq!(h.edges, vec![7.0, 7.0]);
        assert_eq!((h.reference, h.current), (vec![2], vec![1]));
        assert_eq!(equal_width(&[], &[f64::NAN], 20), None);
        assert_eq!(equal_width(&[1.0], &[2.0], 0), None);
    }

    #[test]
    fn a_huge_range_does_not_overflow() {
        let h = equal_width(&[-f64::MAX], &[f64::MAX], 2).unwrap();
        assert_eq!(h.edges, vec![-f64::MAX, 0.0, f64::MAX]);
        assert_eq!((h.reference, h.current), (vec![1, 0], vec![0, 1]));
    }
}
