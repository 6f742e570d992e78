//! Reading `float8[]` arguments without copying them.
//!
//! Scoring runs once per row, so a feature vector is read in place: one look at the array
//! header (dimensions, null bitmap) and a borrowed slice of its data. Everything a user can get
//! wrong about an array is checked here, with the message naming what was wrong.

use crate::error::{invalid, null_value, Result};
use pgrx::array::RawArray;
use pgrx::datum::Array;

/// A `float8[]` argument, in place: its dimensions and, when it has no NULL, its data.
pub struct Float8Array<'a> {
    pub dims: Vec<usize>,
    /// `None` when the array contains a NULL element.
    pub data: Option<&'a [f64]>,
}

impl<'a> Float8Array<'a> {
    pub fn new(array: Array<'a, f64>) -> Self {
        // SAFETY: the array was detoasted by pgrx and lives in the calling memory context for
        // at least as long as `array` would have.
        let mut raw = unsafe { RawArray::from_array(array) }.expect("array header");
        let dims: Vec<usize> = raw.dims().iter().map(|&n| n as usize).collect();
        let has_nulls = unsafe { raw.any_nulls() };
        let data = if has_nulls {
            None
        } else {
            let ptr = raw.data::<f64>();
            Some(unsafe { &*ptr.as_ptr() })
        };
        Float8Array { dims, data }
    }

    /// Number of elements; an empty array (`'{}'`) has no dimensions and no elements.
    pub fn len(&self) -> usize {
        if self.dims.is_empty() {
            0
        } else {
            self.dims.iter().product()
        }
    }
}

/// Why a feature vector cannot be scored although its shape is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    Null,
    NotFinite(usize),
}

/// Checks a feature vector's shape against `expected` features.
///
/// Shape errors (wrong dimensions or length) always raise. A NULL element or a non-finite value
/// is reported as `Err(Invalid)` inside `Ok` so the caller can apply `persona.invalid_features`.
pub fn feature_vector<'a>(
    array: &Float8Array<'a>,
    expected: usize,
) -> Result<std::result::Result<&'a [f64], Invalid>> {
    if array.dims.len() > 1 {
        return Err(invalid(format!(
            "features must be a one-dimensional array, got {} dimensions",
            array.dims.len()
        )));
    }
    let got = array.len();
    if got != expected {
        return Err(invalid(format!("expected {expected} features, got {got}"))
            .hint("Pass the features in the order the model lists them in persona.models."));
    }
    let Some(data) = array.data else {
        return Ok(Err(Invalid::Null));
    };
    match data.iter().position(|v| !v.is_finite()) {
        Some(i) => Ok(Err(Invalid::NotFinite(i))),
        None => Ok(Ok(data)),
    }
}

/// The error for an invalid feature vector when `persona.invalid_features = error`.
pub fn invalid_features_error(why: Invalid, data: Option<&[f64]>) -> crate::error::PersonaError {
    let hint = "Set persona.invalid_features = 'null' to give such rows a NULL persona instead.";
    match why {
        Invalid::Null => null_value("features must not contain NULL elements").hint(hint),
        Invalid::NotFinite(i) => {
            let value = data.map(|d| d[i]).unwrap_or(f64::NAN);
            invalid(format!(
                "feature {} is {}; features must be finite",
                i + 1,
                show(value)
            ))
            .hint(hint)
        }
    }
}

/// A centroid matrix: `k` rows of `d` finite values, row-major.
pub struct Matrix {
    pub k: usize,
    pub d: usize,
    pub values: Vec<f64>,
}

/// Reads a `k × d` centroid matrix (a two-dimensional `float8[]`).
pub fn matrix(array: &Float8Array<'_>, what: &str) -> Result<Matrix> {
    if array.dims.len() != 2 || array.len() == 0 {
        let got = match array.dims.len() {
            0 => "an empty array".to_string(),
            1 => "a one-dimensional array".to_string(),
            n => format!("{n} dimensions"),
        };
        return Err(invalid(format!(
            "{what} must be a two-dimensional array of k rows and d columns, got {got}"
        ))
        .hint("Write one inner array per persona, for example '{{1,2},{3,4}}'."));
    }
    let Some(data) = array.data else {
        return Err(null_value(format!("{what} must not contain NULL elements")));
    };
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        let (row, col) = (i / array.dims[1] + 1, i % array.dims[1] + 1);
        return Err(invalid(format!(
            "{what} must be finite, element [{row}][{col}] is {}",
            show(data[i])
        )));
    }
    Ok(Matrix {
        k: array.dims[0],
        d: array.dims[1],
        values: data.to_vec(),
    })
}

/// A float as PostgreSQL prints it (NaN, Infinity, -Infinity).
pub fn show(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        v.to_string()
    }
}
