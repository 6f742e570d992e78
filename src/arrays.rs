//! Reading `float8[]` arguments without copying them.
//!
//! Scoring runs once per row, so a feature vector is read in place: one look at the array
//! header (dimensions, null bitmap) and a borrowed slice of its data. Everything a user can get
//! wrong about an array is checked here, with the message naming what was wrong.

use crate::error::{invalid, null_value, Result};
use pgrx::array::RawArray;
use pgrx::callconv::{Arg, ArgAbi};
use pgrx::datum::{Array, FromDatum};
use pgrx::nullable::Nullable;
use pgrx::pg_sys;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use std::marker::PhantomData;
use std::ptr::NonNull;

/// A `float8[]` argument as PostgreSQL passed it: detoasted, not yet looked into.
///
/// The scoring functions take this instead of pgrx's `Array<f64>`, which on every call looks
/// the element type up in the catalog cache and boxes an element reader; the type is float8 by
/// the function's signature, and at a million rows those two were most of persona's own cost
/// per row (see BENCHMARKS.md). In SQL it is exactly `double precision[]`.
pub struct Float8Arg<'a> {
    array: NonNull<pg_sys::ArrayType>,
    _borrow: PhantomData<&'a [f64]>,
}

impl FromDatum for Float8Arg<'_> {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null {
            return None;
        }
        let varlena = NonNull::new(datum.cast_mut_ptr::<pg_sys::varlena>())?;
        // SAFETY: a non-null float8[] datum. A plain in-memory array (the ARRAY[...] of a
        // query) is used as it is, without a call into PostgreSQL; anything else (short
        // header, compressed, out of line, expanded) is detoasted into a palloc'd copy.
        let plain = unsafe {
            if pgrx::varlena::varatt_is_4b_u(varlena.as_ptr()) {
                varlena.as_ptr()
            } else {
                pg_sys::pg_detoast_datum(varlena.as_ptr())
            }
        };
        Some(Float8Arg {
            array: NonNull::new(plain.cast())?,
            _borrow: PhantomData,
        })
    }
}

// SAFETY: unboxes through `FromDatum` above, exactly like pgrx's own by-reference types.
unsafe impl<'fcx> ArgAbi<'fcx> for Float8Arg<'fcx> {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }

    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}

// SAFETY: the same SQL type as `Array<f64>`, double precision[].
unsafe impl SqlTranslatable for Float8Arg<'_> {
    const TYPE_IDENT: &'static str = <Array<'static, f64> as SqlTranslatable>::TYPE_IDENT;
    const TYPE_ORIGIN: TypeOrigin = <Array<'static, f64> as SqlTranslatable>::TYPE_ORIGIN;
    const ARGUMENT_SQL: std::result::Result<SqlMappingRef, ArgumentError> =
        <Array<'static, f64> as SqlTranslatable>::ARGUMENT_SQL;
    const RETURN_SQL: std::result::Result<ReturnsRef, ReturnsError> =
        <Array<'static, f64> as SqlTranslatable>::RETURN_SQL;
}

/// A `float8[]` argument, in place: its dimensions and, when it has no NULL, its data.
pub struct Float8Array<'a> {
    ndim: usize,
    dims: [usize; pg_sys::MAXDIM as usize],
    /// `None` when the array contains a NULL element.
    pub data: Option<&'a [f64]>,
}

impl<'a> Float8Array<'a> {
    pub fn new(array: Array<'a, f64>) -> Self {
        // SAFETY: the array was detoasted by pgrx and lives in the calling memory context for
        // at least as long as `array` would have.
        let raw = unsafe { RawArray::from_array(array) }.expect("array header");
        Self::from_raw(raw)
    }

    /// The fast path of the scoring functions; see [`Float8Arg`].
    pub fn from_arg(arg: Float8Arg<'a>) -> Self {
        // SAFETY: a detoasted float8[] that lives as long as the argument.
        let raw = unsafe { RawArray::from_ptr(arg.array) };
        Self::from_raw(raw)
    }

    fn from_raw(mut raw: RawArray) -> Self {
        debug_assert_eq!(raw.oid(), pg_sys::FLOAT8OID);
        let mut dims = [0; pg_sys::MAXDIM as usize];
        let given = raw.dims();
        for (slot, &n) in dims.iter_mut().zip(given) {
            *slot = n as usize;
        }
        let ndim = given.len().min(dims.len());
        // SAFETY: a valid array header, as above. Only an array with a null bitmap can hold a
        // NULL, so the common case needs no call into PostgreSQL.
        let has_nulls = raw.nulls().is_some() && unsafe { raw.any_nulls() };
        let data = if has_nulls {
            None
        } else {
            let ptr = raw.data::<f64>();
            // SAFETY: float8 elements without NULLs are a plain, aligned f64 slice that lives
            // as long as the array.
            Some(unsafe { &*ptr.as_ptr() })
        };
        Float8Array { ndim, dims, data }
    }

    /// The length of each dimension; none for an empty array.
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.ndim]
    }

    /// Number of elements; an empty array (`'{}'`) has no dimensions and no elements.
    pub fn len(&self) -> usize {
        if self.ndim == 0 {
            0
        } else {
            self.dims().iter().product()
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
    if array.dims().len() > 1 {
        return Err(invalid(format!(
            "features must be a one-dimensional array, got {} dimensions",
            array.dims().len()
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
    if array.dims().len() != 2 || array.len() == 0 {
        let got = match array.dims().len() {
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
        let (row, col) = (i / array.dims()[1] + 1, i % array.dims()[1] + 1);
        return Err(invalid(format!(
            "{what} must be finite, element [{row}][{col}] is {}",
            show(data[i])
        )));
    }
    Ok(Matrix {
        k: array.dims()[0],
        d: array.dims()[1],
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
