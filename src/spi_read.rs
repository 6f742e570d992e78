//! Read-only registry queries for the scoring path.
//!
//! pgrx's `Spi` runs a query read-write as soon as the transaction has written anything, and a
//! read-write SPI query takes a fresh snapshot and bumps the command counter. Scoring must do
//! neither: two call sites in one statement must see the same registry state (the statement's
//! snapshot), and a parallel worker may not start a command at all. So the functions that
//! score read the registry through SPI with `read_only = true`, which uses the snapshot of the
//! calling statement. Parameters are passed as text and cast in the query.

use crate::error::{PersonaError, Result};
use crate::registry::spi_error;
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CString;

/// One row of a result, read column by column (1-based) into Rust values.
pub struct Row {
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
}

impl Row {
    pub fn get<T: FromDatum>(&self, column: i32) -> Option<T> {
        let mut is_null = false;
        // SAFETY: tuple and desc come from SPI_tuptable while the SPI connection is open.
        unsafe {
            let datum = pg_sys::SPI_getbinval(self.tuple, self.desc, column, &mut is_null);
            T::from_datum(datum, is_null)
        }
    }
}

/// Runs `query` read-only with text parameters, mapping every row through `each`.
pub fn select<T>(query: &str, params: &[&str], mut each: impl FnMut(&Row) -> T) -> Result<Vec<T>> {
    let query = CString::new(query).map_err(spi_error)?;
    let mut types: Vec<pg_sys::Oid> = vec![pg_sys::TEXTOID; params.len()];
    let mut values: Vec<pg_sys::Datum> = params
        .iter()
        .map(|p| p.into_datum().expect("text datum"))
        .collect();
    let nulls: Vec<std::ffi::c_char> = vec![b' ' as std::ffi::c_char; params.len()];
    // SAFETY: a plain SPI session; an ERROR inside unwinds through here and PostgreSQL's
    // transaction abort closes the SPI connection.
    unsafe {
        if pg_sys::SPI_connect() != pg_sys::SPI_OK_CONNECT as i32 {
            return Err(spi_error("SPI_connect failed"));
        }
        let rc = pg_sys::SPI_execute_with_args(
            query.as_ptr(),
            params.len() as i32,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            nulls.as_ptr(),
            true,
            0,
        );
        let out = read_result(rc, &mut each);
        pg_sys::SPI_finish();
        out
    }
}

unsafe fn read_result<T>(rc: i32, each: &mut impl FnMut(&Row) -> T) -> Result<Vec<T>> {
    if rc != pg_sys::SPI_OK_SELECT as i32 {
        return Err(PersonaError::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("registry query failed with SPI code {rc}"),
        ));
    }
    let table = unsafe { &*pg_sys::SPI_tuptable };
    let n = unsafe { pg_sys::SPI_processed } as usize;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row = Row {
            tuple: unsafe { *table.vals.add(i) },
            desc: table.tupdesc,
        };
        out.push(each(&row));
    }
    Ok(out)
}
