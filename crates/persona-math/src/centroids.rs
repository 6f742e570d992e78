//! A set of centroids ready for scoring: optional standardization, then nearest centroid.
//!
//! Fitted models measure distance in standardized units (z-scores) while users pass raw
//! features, so the scorer keeps the centroids already standardized and transforms each row
//! once. Multiplying by a stored reciprocal keeps division out of the per-row loop.

use crate::distance::{nearest, nearest_index, Nearest};

#[derive(Debug, Clone, PartialEq)]
pub struct Centroids {
    d: usize,
    /// Row-major `k × d`, in the space distances are measured in.
    values: Vec<f64>,
    /// Per-feature `(mean, 1 / scale)` when the model standardizes its inputs.
    scaler: Option<(Vec<f64>, Vec<f64>)>,
}

impl Centroids {
    /// `centroids` are row-major `k × d` in original units; `scaler` is `(mean, scale)`.
    ///
    /// The caller has validated shapes and that every number is finite and every scale
    /// positive.
    pub fn new(centroids: &[f64], d: usize, scaler: Option<(&[f64], &[f64])>) -> Centroids {
        assert!(d > 0 && !centroids.is_empty() && centroids.len().is_multiple_of(d));
        let scaler = scaler.map(|(mean, scale)| {
            assert!(mean.len() == d && scale.len() == d);
            (
                mean.to_vec(),
                scale.iter().map(|s| 1.0 / s).collect::<Vec<_>>(),
            )
        });
        let mut values = centroids.to_vec();
        if let Some((mean, inv)) = &scaler {
            for row in values.chunks_exact_mut(d) {
                standardize(row, mean, inv);
            }
        }
        Centroids { d, values, scaler }
    }

    pub fn k(&self) -> usize {
        self.values.len() / self.d
    }

    pub fn d(&self) -> usize {
        self.d
    }

    /// The centroids in the space distances are measured in (standardized when scaled).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// 0-based index of the nearest centroid; `scratch` holds at least `d` values.
    #[inline]
    pub fn assign(&self, x: &[f64], scratch: &mut [f64]) -> usize {
        nearest_index(self.prepare(x, scratch), &self.values)
    }

    /// Nearest and runner-up centroid, with squared distances in the scoring space.
    pub fn nearest(&self, x: &[f64], scratch: &mut [f64]) -> Nearest {
        nearest(self.prepare(x, scratch), &self.values)
    }

    /// Moves a row into the space distances are measured in (standardizes it if scaled).
    pub fn to_scoring_space(&self, row: &mut [f64]) {
        if let Some((mean, inv)) = &self.scaler {
            standardize(row, mean, inv);
        }
    }

    #[inline]
    fn prepare<'a>(&self, x: &'a [f64], scratch: &'a mut [f64]) -> &'a [f64] {
        match &self.scaler {
            None => x,
            Some((mean, inv)) => {
                let z = &mut scratch[..self.d];
                z.copy_from_slice(x);
                standardize(z, mean, inv);
                z
            }
        }
    }
}

#[inline]
fn standardize(row: &mut [f64], mean: &[f64], inv_scale: &[f64]) {
    for ((v, m), s) in row.iter_mut().zip(mean).zip(inv_scale) {
        *v = (*v - m) * s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_centroids_score_in_original_units() {
        let c = Centroids::new(&[0.0, 0.0, 10.0, 10.0], 2, None);
        let mut s = [0.0; 2];
        assert_eq!((c.k(), c.d()), (2, 2));
        assert_eq!(c.assign(&[4.0, 4.0], &mut s), 0);
        assert_eq!(c.assign(&[6.0, 5.0], &mut s), 1);
        assert_eq!(c.nearest(&[6.0, 5.0], &mut s).best_d2, 41.0);
    }

    #[test]
    fn standardized_centroids_score_in_z_units() {
        // Feature 2 has a scale 100 times larger, so a gap of 50 there counts as 0.5.
        let c = Centroids::new(
            &[0.0, 0.0, 1.0, 100.0],
            2,
            Some((&[0.0, 0.0], &[1.0, 100.0])),
        );
        assert_eq!(c.values(), &[0.0, 0.0, 1.0, 1.0]);
        let mut s = [0.0; 2];
        // In raw units (0.95, 10) is far closer to (0, 0); in z units it is closer to (1, 1).
        let n = c.nearest(&[0.95, 10.0], &mut s);
        assert_eq!((n.best, n.second), (1, Some(0)));
        assert!((n.best_d2 - 0.8125).abs() < 1e-12);
        assert!((n.second_d2 - 0.9125).abs() < 1e-12);
        assert_eq!(c.assign(&[0.2, 50.0], &mut s), 0);
    }
}
