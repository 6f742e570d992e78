//! Reading numeric feature columns from a user's table or view.
//!
//! Fitting, baselines and drift checks all read "these columns of that relation". The column
//! names come from users, so they are checked against the catalog and always quoted as
//! identifiers: a feature called `x1; DROP TABLE t` is an unknown column, nothing else. The
//! query runs with the caller's rights, so a relation the caller may not read fails with
//! PostgreSQL's own 42501.

use crate::error::{invalid, Code, OrRaise, PersonaError, Result};
use crate::registry::spi_error;
use crate::spi_read;
use pgrx::callconv::{Arg, ArgAbi};
use pgrx::pg_sys;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::prelude::*;
use std::ffi::CString;

/// Types a feature column may have; each casts to float8 exactly or by rounding.
const NUMERIC_TYPES: [&str; 6] = [
    "smallint",
    "integer",
    "bigint",
    "real",
    "double precision",
    "numeric",
];

/// A `regclass` argument, kept as its OID until [`Source::new`] checks it. pgrx's own
/// `PgRelation` opens the relation while reading the argument, so an OID that names no
/// relation (`0::regclass`, or one dropped since) would end in an internal error (XX000)
/// instead of 42P01.
#[derive(Clone, Copy, Debug)]
pub struct RegClass(pub pg_sys::Oid);

unsafe impl<'fcx> ArgAbi<'fcx> for RegClass {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        RegClass(unsafe { pg_sys::Oid::unbox_arg_unchecked(arg) })
    }
}

unsafe impl SqlTranslatable for RegClass {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(RegClass);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: core::result::Result<SqlMappingRef, ArgumentError> =
        Ok(SqlMappingRef::literal("regclass"));
    const RETURN_SQL: core::result::Result<ReturnsRef, ReturnsError> =
        Ok(ReturnsRef::One(SqlMappingRef::literal("regclass")));
}

/// A relation and the feature columns to read from it.
pub struct Source {
    /// The relation as PostgreSQL prints it (quoted and schema-qualified where needed).
    pub relation: String,
    pub features: Vec<String>,
}

impl Source {
    /// Checks that `relation` has every feature as a numeric column.
    pub fn new(relation: pg_sys::Oid, features: &[String]) -> Result<Source> {
        if features.is_empty() {
            return Err(invalid("features must name at least one column"));
        }
        let name = relation_name(relation)?;
        for feature in features {
            check_column(relation, &name, feature)?;
        }
        Ok(Source {
            relation: name,
            features: features.to_vec(),
        })
    }

    /// `SELECT f1::float8, ... FROM relation`, every identifier quoted.
    pub fn query(&self) -> String {
        let columns: Vec<String> = self
            .features
            .iter()
            .map(|f| format!("{}::float8", quote_ident(f)))
            .collect();
        format!("SELECT {} FROM {}", columns.join(", "), self.relation)
    }

    pub fn d(&self) -> usize {
        self.features.len()
    }

    /// Calls `each` with every row's values (NULL as `None`), in one pass of the executor.
    ///
    /// The rows go straight from the executor's slot to `each` through a `DestReceiver`: no
    /// tuple is copied into an SPI tuple table and no value is looked up by column number,
    /// which made the old cursor loop cost more than the k-means it fed (see BENCHMARKS.md).
    /// The executor checks for cancellation as it scans, and so does the receiver every
    /// 10,000 rows. The query runs read-write once the transaction has written, as pgrx's own
    /// SPI does, so a fit sees the rows its transaction inserted before.
    pub fn scan(&self, mut each: impl FnMut(&[Option<f64>])) -> Result<()> {
        let query = CString::new(self.query()).map_err(spi_error)?;
        let d = self.d();
        let mut receiver = RowReceiver {
            base: pg_sys::DestReceiver {
                receiveSlot: Some(receive_slot),
                rStartup: Some(receiver_startup),
                rShutdown: Some(receiver_noop),
                rDestroy: Some(receiver_noop),
                // Only SPI's own tuple-table receiver may say DestSPI; with DestNone SPI
                // reports a SELECT as SPI_OK_UTILITY, since nothing reaches its tuple table.
                mydest: pg_sys::CommandDest::DestNone,
            },
            row: vec![None; d],
            rows: 0,
            each: &mut each,
        };
        // SAFETY: a plain SPI session around one query whose receiver outlives it; an ERROR
        // inside unwinds through here and the transaction abort closes the SPI connection.
        unsafe {
            if pg_sys::SPI_connect() != pg_sys::SPI_OK_CONNECT as i32 {
                return Err(spi_error("SPI_connect failed"));
            }
            let options = pg_sys::SPIExecuteOptions {
                read_only: pg_sys::GetCurrentTransactionIdIfAny() == pg_sys::InvalidTransactionId,
                dest: &mut receiver.base,
                ..Default::default()
            };
            let rc = pg_sys::SPI_execute_extended(query.as_ptr(), &options);
            pg_sys::SPI_finish();
            if rc < 0 {
                return Err(spi_error(format!(
                    "reading {} failed with SPI code {rc}",
                    self.relation
                )));
            }
        }
        Ok(())
    }
}

/// The receiver of [`Source::scan`]: PostgreSQL's `DestReceiver` first, so that a pointer to
/// it is a pointer to this.
#[repr(C)]
struct RowReceiver<'a> {
    base: pg_sys::DestReceiver,
    row: Vec<Option<f64>>,
    rows: u64,
    each: &'a mut dyn FnMut(&[Option<f64>]),
}

/// Checks the shape the query promises: one float8 column per feature.
#[pg_guard]
unsafe extern "C-unwind" fn receiver_startup(
    this: *mut pg_sys::DestReceiver,
    _operation: std::ffi::c_int,
    typeinfo: pg_sys::TupleDesc,
) {
    // SAFETY: `this` is the `base` of a live RowReceiver, `typeinfo` the query's result type.
    unsafe {
        let receiver = &*this.cast::<RowReceiver>();
        let attrs = (*typeinfo).attrs.as_slice((*typeinfo).natts as usize);
        if attrs.len() != receiver.row.len()
            || attrs.iter().any(|a| a.atttypid != pg_sys::FLOAT8OID)
        {
            pgrx::error!("persona: the feature query does not return one float8 per feature");
        }
    }
}

/// One row: its values into the receiver's buffer, then the caller's closure.
#[pg_guard]
unsafe extern "C-unwind" fn receive_slot(
    slot: *mut pg_sys::TupleTableSlot,
    this: *mut pg_sys::DestReceiver,
) -> bool {
    // SAFETY: `this` is the `base` of a live RowReceiver; `slot` holds one row of the query,
    // whose columns `receiver_startup` checked are d float8 values.
    unsafe {
        let receiver = &mut *this.cast::<RowReceiver>();
        let d = receiver.row.len();
        pg_sys::slot_getallattrs(slot);
        let values = std::slice::from_raw_parts((*slot).tts_values, d);
        let nulls = std::slice::from_raw_parts((*slot).tts_isnull, d);
        for ((value, datum), null) in receiver.row.iter_mut().zip(values).zip(nulls) {
            *value = f64::from_datum(*datum, *null);
        }
        (receiver.each)(&receiver.row);
        receiver.rows += 1;
        if receiver.rows % 10_000 == 0 {
            pgrx::check_for_interrupts!();
        }
    }
    true
}

#[pg_guard]
unsafe extern "C-unwind" fn receiver_noop(_this: *mut pg_sys::DestReceiver) {}

/// The relation's printed name, or 42P01 if the oid names no relation.
fn relation_name(relation: pg_sys::Oid) -> Result<String> {
    let oid = relation.to_u32().to_string();
    let name = spi_read::select(
        "SELECT c.oid::regclass::text FROM pg_catalog.pg_class c WHERE c.oid = $1::oid",
        &[&oid],
        |row| row.get::<String>(1),
    )?;
    name.into_iter().flatten().next().ok_or_else(|| {
        PersonaError::new(
            Code::ERRCODE_UNDEFINED_TABLE,
            format!("relation {oid} does not exist"),
        )
    })
}

/// 42703 for a missing column, 42804 for one that is not numeric.
fn check_column(relation: pg_sys::Oid, relname: &str, column: &str) -> Result<()> {
    let oid = relation.to_u32().to_string();
    let types = spi_read::select(
        "SELECT pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype
                                            ELSE a.atttypid END, NULL)
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          WHERE a.attrelid = $1::oid AND a.attname = $2 AND a.attnum > 0
            AND NOT a.attisdropped",
        &[&oid, column],
        |row| row.get::<String>(1).unwrap_or_default(),
    )?;
    match types.first() {
        None => Err(PersonaError::new(
            Code::ERRCODE_UNDEFINED_COLUMN,
            format!("column \"{column}\" does not exist in {relname}"),
        )),
        Some(t) if !NUMERIC_TYPES.contains(&t.as_str()) => Err(PersonaError::new(
            Code::ERRCODE_DATATYPE_MISMATCH,
            format!("column \"{column}\" of {relname} is of type {t}, not a number"),
        )
        .hint("Features must be smallint, integer, bigint, real, double precision or numeric.")),
        Some(_) => Ok(()),
    }
}

/// Quotes an identifier as PostgreSQL's quote_ident does: always, doubling inner quotes.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An order-independent fingerprint of the feature values of a source: the same rows in any
/// order give the same text, and a changed, added or removed row changes it (barring a 64-bit
/// hash collision). Retraining uses it to tell "new data" from "the same data again".
#[pg_extern(schema = "persona", stable, parallel_safe)]
fn source_fingerprint(
    source: Option<RegClass>,
    features: Option<Vec<Option<String>>>,
) -> Option<String> {
    let (source, features) = (source?, features?);
    let features: Vec<String> = features
        .into_iter()
        .map(|f| f.ok_or_else(|| crate::error::null_value("features must not contain NULL")))
        .collect::<Result<_>>()
        .or_raise();
    Some(fingerprint(&Source::new(source.0, &features).or_raise()).or_raise())
}

fn fingerprint(source: &Source) -> Result<String> {
    let (mut rows, mut sum, mut xor) = (0u64, 0u64, 0u64);
    source.scan(|row| {
        let h = row_hash(row);
        rows += 1;
        sum = sum.wrapping_add(h);
        xor ^= h.rotate_left(29);
    })?;
    Ok(format!("{rows}:{sum:016x}{xor:016x}"))
}

/// FNV-1a over the values' bits (NULL has its own marker), then a SplitMix64 finalizer so
/// that sums and xors of row hashes stay well mixed.
fn row_hash(row: &[Option<f64>]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for value in row {
        let bits = value.map_or(0x7ff8_dead_beef_0001, |v| {
            if v == 0.0 {
                0
            } else {
                v.to_bits()
            }
        });
        for byte in bits.to_le_bytes() {
            h = (h ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}
