//! Per-feature standardisation, the same arithmetic as scikit-learn's `StandardScaler`.
//!
//! k-means measures distances, so a feature in dollars would drown one in percent; fitting on
//! standardised data and storing the scaler with the model lets scoring apply the identical
//! transform later. Constant features are detected the way scikit-learn does so that a column
//! that only varies by rounding noise is not blown up to unit variance.

/// Per-column mean and population variance (ddof = 0) of a row-major matrix.
///
/// Uses the corrected two-pass algorithm (Chan, Golub and LeVeque): the second pass sums the
/// deviations from the first-pass mean and subtracts the square of their (tiny) sum, which
/// removes most of the error the first-pass mean carries. `E[x²] − E[x]²` is avoided because it
/// cancels catastrophically when the mean is large relative to the spread. A trailing partial
/// row is ignored; with no rows the means are 0 and the variances 0.
pub(crate) fn column_mean_var(data: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; d];
    let mut var = vec![0.0; d];
    if d == 0 || data.len() < d {
        return (mean, var);
    }
    let n = (data.len() / d) as f64;
    for row in data.chunks_exact(d) {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += x;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut dev_sum = vec![0.0; d];
    for row in data.chunks_exact(d) {
        for (((v, s), x), m) in var.iter_mut().zip(dev_sum.iter_mut()).zip(row).zip(&mean) {
            let t = x - m;
            *s += t;
            *v += t * t;
        }
    }
    for (v, s) in var.iter_mut().zip(&dev_sum) {
        *v = ((*v - s * s / n) / n).max(0.0);
    }
    (mean, var)
}

/// scikit-learn's `_is_constant_feature`: a variance this small is indistinguishable from the
/// rounding error of the two-pass computation itself, so the feature is treated as constant.
fn is_constant_feature(var: f64, mean: f64, n: f64) -> bool {
    let eps = f64::EPSILON;
    let bound = n * eps * var + (n * mean * eps).powi(2);
    var <= bound
}

/// A fitted standardisation: `z = (x − mean) / scale` per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    pub mean: Vec<f64>,
    /// Population standard deviation, or 1.0 for a constant feature so that it maps to 0
    /// instead of dividing by (almost) zero.
    pub scale: Vec<f64>,
    /// Features whose variance is within rounding error of zero.
    pub constant: Vec<bool>,
}

impl Scaler {
    /// Fits mean and population standard deviation (ddof = 0) per column, like
    /// `StandardScaler().fit`.
    ///
    /// `data` is row-major with `d` columns. With no rows the result is [`Scaler::identity`];
    /// a trailing partial row is ignored. Non-finite input yields non-finite parameters, so
    /// callers validate their data first.
    pub fn fit(data: &[f64], d: usize) -> Scaler {
        if d == 0 || data.len() < d {
            return Scaler::identity(d);
        }
        let n = (data.len() / d) as f64;
        let (mean, var) = column_mean_var(data, d);
        let constant: Vec<bool> = var
            .iter()
            .zip(&mean)
            .map(|(&v, &m)| is_constant_feature(v, m, n))
            .collect();
        let scale = var
            .iter()
            .zip(&constant)
            .map(|(&v, &c)| if c { 1.0 } else { v.sqrt() })
            .collect();
        Scaler {
            mean,
            scale,
            constant,
        }
    }

    /// The no-op scaler (mean 0, scale 1), for models fitted on raw features.
    pub fn identity(d: usize) -> Scaler {
        Scaler {
            mean: vec![0.0; d],
            scale: vec![1.0; d],
            constant: vec![false; d],
        }
    }

    /// Number of features.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standardises one row into `out`; both must have [`Scaler::dim`] entries.
    ///
    /// Subtract-then-divide, in the order scikit-learn applies them, so the results agree with
    /// `StandardScaler.transform` to the last bit given the same parameters.
    pub fn transform(&self, row: &[f64], out: &mut [f64]) {
        debug_assert_eq!(row.len(), self.dim());
        debug_assert_eq!(out.len(), self.dim());
        for (((o, x), m), s) in out.iter_mut().zip(row).zip(&self.mean).zip(&self.scale) {
            *o = (x - m) / s;
        }
    }

    /// Standardises a row-major matrix in place; a trailing partial row is left untouched.
    pub fn transform_matrix(&self, data: &mut [f64]) {
        if self.dim() == 0 {
            return;
        }
        for row in data.chunks_exact_mut(self.dim()) {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = (*x - m) / s;
            }
        }
    }

    /// Maps standardised rows back to original units in place, e.g. centroids fitted on
    /// standardised data, so that they can be shown to people.
    pub fn inverse_matrix(&self, data: &mut [f64]) {
        if self.dim() == 0 {
            return;
        }
        for row in data.chunks_exact_mut(self.dim()) {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = *x * s + m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// Column 1 is 1000 copies of 14.62, column 2 is 1..=1000.
    fn c05_data() -> Vec<f64> {
        (1..=1000).flat_map(|i| [14.62, i as f64]).collect()
    }

    #[test]
    fn c05_constant_feature_maps_to_zero() {
        let data = c05_data();
        let s = Scaler::fit(&data, 2);
        assert_eq!(s.constant, vec![true, false]);
        assert_eq!(s.scale[0], 1.0);
        let mut z = data.clone();
        s.transform_matrix(&mut z);
        assert!(z.chunks_exact(2).all(|r| r[0].abs() <= 1e-9));
        let mut out = [0.0; 2];
        s.transform(&[15.0, 500.5], &mut out);
        assert_abs_diff_eq!(out[0], 0.38, epsilon = 1e-9);
        assert_abs_diff_eq!(out[1], 0.0, epsilon = 1e-9);
        assert_abs_diff_eq!(s.mean[1], 500.5, epsilon = 1e-12);
        assert_abs_diff_eq!(s.scale[1], 288.674990, epsilon = 1e-6);
    }

    #[test]
    fn population_std_not_sample_std() {
        let s = Scaler::fit(&[1.0, 2.0, 3.0, 4.0], 1);
        assert_eq!(s.mean, vec![2.5]);
        assert_abs_diff_eq!(s.scale[0], 1.25f64.sqrt(), epsilon = 1e-15);
        assert_eq!(s.constant, vec![false]);
    }

    #[test]
    fn large_offset_does_not_cancel() {
        // E[x²] − E[x]² would lose every digit here: x² ≈ 1e18 while the variance is 2/3.
        let data = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0];
        let s = Scaler::fit(&data, 1);
        assert_abs_diff_eq!(s.scale[0], (2.0f64 / 3.0).sqrt(), epsilon = 1e-12);
        assert!(!s.constant[0]);
    }

    #[test]
    fn exactly_constant_and_all_zero_columns_are_constant() {
        let s = Scaler::fit(&[0.0, 7.0, 0.0, 7.0, 0.0, 7.0], 2);
        assert_eq!(s.constant, vec![true, true]);
        assert_eq!(s.scale, vec![1.0, 1.0]);
        assert_eq!(s.mean, vec![0.0, 7.0]);
    }

    #[test]
    fn single_row_is_constant_everywhere() {
        let s = Scaler::fit(&[3.0, -1.0], 2);
        assert_eq!(s.constant, vec![true, true]);
        let mut out = [9.0; 2];
        s.transform(&[3.0, -1.0], &mut out);
        assert_eq!(out, [0.0, 0.0]);
    }

    #[test]
    fn inverse_undoes_transform() {
        let data: Vec<f64> = (0..30)
            .map(|i| (i as f64 * 0.37).sin() * 100.0 + i as f64)
            .collect();
        let s = Scaler::fit(&data, 3);
        let mut z = data.clone();
        s.transform_matrix(&mut z);
        s.inverse_matrix(&mut z);
        for (a, b) in z.iter().zip(&data) {
            assert_abs_diff_eq!(a, b, epsilon = 1e-12);
        }
    }

    #[test]
    fn transformed_columns_have_zero_mean_unit_variance() {
        let data: Vec<f64> = (0..200)
            .map(|i| ((i * 7919) % 101) as f64 * 0.5 - 3.0)
            .collect();
        let s = Scaler::fit(&data, 4);
        let mut z = data.clone();
        s.transform_matrix(&mut z);
        let (m, v) = column_mean_var(&z, 4);
        for j in 0..4 {
            assert_abs_diff_eq!(m[j], 0.0, epsilon = 1e-12);
            assert_abs_diff_eq!(v[j], 1.0, epsilon = 1e-12);
        }
    }

    #[test]
    fn identity_and_degenerate_shapes() {
        let id = Scaler::identity(2);
        let mut m = [1.5, -2.0];
        id.transform_matrix(&mut m);
        assert_eq!(m, [1.5, -2.0]);
        assert_eq!(Scaler::fit(&[], 3), Scaler::identity(3));
        let empty = Scaler::fit(&[1.0, 2.0], 0);
        assert_eq!(empty.dim(), 0);
        empty.transform_matrix(&mut m);
        empty.inverse_matrix(&mut m);
        assert_eq!(m, [1.5, -2.0]);
    }
}
