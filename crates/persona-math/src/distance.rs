//! Nearest-centroid search, the hot path of scoring.

/// Squared Euclidean distance between two equally long vectors.
#[inline]
pub fn sq_euclidean(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The nearest and second-nearest centroid of one point, by squared distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// 0-based index of the nearest centroid; a tie goes to the lower index.
    pub best: usize,
    pub best_d2: f64,
    /// The runner-up, `None` when there is a single centroid.
    pub second: Option<usize>,
    pub second_d2: f64,
}

/// Index of the nearest centroid in a row-major `k × d` matrix; ties go to the lower index.
///
/// `centroids.len()` must be a positive multiple of `x.len()`.
#[inline]
pub fn nearest_index(x: &[f64], centroids: &[f64]) -> usize {
    let mut best = 0;
    let mut best_d2 = f64::INFINITY;
    for (j, c) in centroids.chunks_exact(x.len()).enumerate() {
        let d2 = sq_euclidean(x, c);
        if d2 < best_d2 {
            best = j;
            best_d2 = d2;
        }
    }
    best
}

/// Nearest and runner-up centroid of `x`; ties go to the lower index for both places.
pub fn nearest(x: &[f64], centroids: &[f64]) -> Nearest {
    let mut n = Nearest {
        best: 0,
        best_d2: f64::INFINITY,
        second: None,
        second_d2: f64::INFINITY,
    };
    for (j, c) in centroids.chunks_exact(x.len()).enumerate() {
        let d2 = sq_euclidean(x, c);
        if d2 < n.best_d2 {
            if n.best_d2.is_finite() {
                n.second = Some(n.best);
                n.second_d2 = n.best_d2;
            }
            n.best = j;
            n.best_d2 = d2;
        } else if d2 < n.second_d2 || n.second.is_none() {
            n.second = Some(j);
            n.second_d2 = d2;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: [f64; 6] = [0.0, 0.0, 3.0, 4.0, 0.0, 1.0];

    #[test]
    fn picks_the_closest_centroid() {
        assert_eq!(nearest_index(&[2.9, 4.1], &C), 1);
        assert_eq!(nearest_index(&[0.0, 0.4], &C), 0);
        assert_eq!(nearest_index(&[0.0, 0.6], &C), 2);
    }

    #[test]
    fn a_tie_goes_to_the_lower_index() {
        assert_eq!(nearest_index(&[0.0, 0.5], &C), 0);
        let n = nearest(&[0.0, 0.5], &C);
        assert_eq!((n.best, n.second), (0, Some(2)));
        assert_eq!((n.best_d2, n.second_d2), (0.25, 0.25));
    }

    #[test]
    fn runner_up_is_second_closest() {
        let n = nearest(&[3.0, 3.0], &C);
        assert_eq!((n.best, n.best_d2), (1, 1.0));
        assert_eq!((n.second, n.second_d2), (Some(2), 13.0));
    }

    #[test]
    fn single_centroid_has_no_runner_up() {
        let n = nearest(&[1.0, 1.0], &[0.0, 0.0]);
        assert_eq!((n.best, n.best_d2, n.second), (0, 2.0, None));
    }
}
