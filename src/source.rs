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

    /// Calls `each` with every row's values (NULL as `None`), reading in batches and checking
    /// for cancellation between them.
    pub fn scan(&self, mut each: impl FnMut(&[Option<f64>])) -> Result<()> {
        let query = self.query();
        let d = self.d();
        Spi::connect(|client| {
            let mut cursor = client.open_cursor(&query, &[]);
            let mut row = vec![None; d];
            loop {
                pgrx::check_for_interrupts!();
                let batch = cursor.fetch(10_000)?;
                if batch.is_empty() {
                    return Ok(());
                }
                for tuple in batch {
                    for (j, value) in row.iter_mut().enumerate() {
                        *value = tuple.get::<f64>(j + 1)?;
                    }
                    each(&row);
                }
            }
        })
        .map_err(|e: pgrx::spi::Error| spi_error(e))
    }
}

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
