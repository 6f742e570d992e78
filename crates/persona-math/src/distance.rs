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
    /// The squared distances above are in units of `scale`: 1, unless every distance
    /// overflowed f64 (coordinates near ±1e154 and beyond) and they were measured again on
    /// scaled-down differences.
    pub scale: f64,
}

impl Nearest {
    /// Euclidean distance to the nearest centroid.
    pub fn best_distance(&self) -> f64 {
        self.best_d2.sqrt() * self.scale
    }

    /// Euclidean distance to the runner-up.
    pub fn second_distance(&self) -> f64 {
        self.second_d2.sqrt() * self.scale
    }
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
    if best_d2 == f64::INFINITY {
        return nearest_index_far(x, centroids);
    }
    best
}

/// [`nearest_index`] when every squared distance overflowed: out of line, so that the hot
/// loop stays as small as it was.
#[cold]
#[inline(never)]
fn nearest_index_far(x: &[f64], centroids: &[f64]) -> usize {
    nearest(x, centroids).best
}

/// Nearest and runner-up centroid of `x`; ties go to the lower index for both places.
pub fn nearest(x: &[f64], centroids: &[f64]) -> Nearest {
    let n = search(x, centroids, None);
    if n.best_d2 != f64::INFINITY {
        return n;
    }
    // Every squared distance overflowed, so they no longer order the centroids. Halved
    // differences cannot overflow; dividing them by the largest keeps every square finite.
    let largest = centroids
        .chunks_exact(x.len())
        .flat_map(|c| x.iter().zip(c).map(|(a, b)| (a * 0.5 - b * 0.5).abs()))
        .fold(0.0, f64::max);
    search(x, centroids, Some(largest))
}

/// The nearest and runner-up search, on the halved differences divided by `largest` when
/// given (distances then come out in units of `2 × largest`).
fn search(x: &[f64], centroids: &[f64], largest: Option<f64>) -> Nearest {
    let mut n = Nearest {
        best: 0,
        best_d2: f64::INFINITY,
        second: None,
        second_d2: f64::INFINITY,
        scale: largest.map_or(1.0, |l| 2.0 * l),
    };
    for (j, c) in centroids.chunks_exact(x.len()).enumerate() {
        let d2 = match largest {
            None => sq_euclidean(x, c),
            Some(l) => x
                .iter()
                .zip(c)
                .map(|(a, b)| {
                    let t = (a * 0.5 - b * 0.5) / l;
                    t * t
                })
                .sum(),
        };
        if j == 0 || d2 < n.best_d2 {
            if j > 0 {
                n.second = Some(n.best);
                n.second_d2 = n.best_d2;
            }
            n.best = j;
            n.best_d2 = d2;
        } else if n.second.is_none() || d2 < n.second_d2 {
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

    #[test]
    fn distances_beyond_f64_still_order_the_centroids() {
        let c = [0.0, 0.0, 5e199, -5e199, -5e199, 5e199];
        let x = [1e200, -1e200];
        // Every squared distance overflows; the order and the distances are still right.
        let n = nearest(&x, &c);
        assert_eq!((n.best, n.second), (1, Some(0)));
        assert_eq!(nearest_index(&x, &c), 1);
        approx::assert_relative_eq!(n.best_distance(), 5e199 * 2f64.sqrt(), max_relative = 1e-12);
        approx::assert_relative_eq!(
            n.second_distance(),
            1e200 * 2f64.sqrt(),
            max_relative = 1e-12
        );
    }

    #[test]
    fn equal_distances_beyond_f64_tie_to_the_lower_index_with_a_distinct_runner_up() {
        // At 1e308 the centroids' few units of difference vanish: a tie, and the distance
        // (about 1.41e308) is still finite.
        let n = nearest(&[1e308, -1e308], &[-2.5, 9.0, -9.6, 9.4, 2.2, -7.2]);
        assert_eq!((n.best, n.second), (0, Some(1)));
        approx::assert_relative_eq!(n.best_distance(), 1e308 * 2f64.sqrt(), max_relative = 1e-12);
        assert_eq!(n.second_distance() - n.best_distance(), 0.0);
    }

    #[test]
    fn a_lone_centroid_has_no_runner_up_even_when_far() {
        let n = nearest(&[1e308], &[-1e308]);
        assert_eq!((n.best, n.second), (0, None));
        assert_eq!(n.best_distance(), f64::INFINITY);
    }
}
