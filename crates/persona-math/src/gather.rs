//! Per-feature statistics gathered from many rows in partial states that merge: the state of
//! an aggregate that PostgreSQL's parallel query (and a distributed engine such as Citus)
//! computes per worker or shard, ships as bytes, and combines.
//!
//! Per feature: values seen, values left out (NULL, NaN, ±Infinity), exact mean and population
//! variance ([`Moments`], Welford with Chan's merge) and the range. Merging two states gives,
//! up to floating-point rounding, the statistics of one pass over both inputs; counts, minima
//! and maxima are exact whatever the split.

use crate::drift::Moments;

/// Statistics of `d` features. A state that has seen no row has `d == 0` and takes its width
/// from the first row or state merged into it.
#[derive(Debug, Clone, Default)]
pub struct FeatureStats {
    rows: u64,
    columns: Vec<Column>,
}

#[derive(Debug, Clone, Copy)]
struct Column {
    moments: Moments,
    n_null: u64,
    min: f64,
    max: f64,
}

impl Default for Column {
    fn default() -> Self {
        Column {
            moments: Moments::new(),
            n_null: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

/// Two states or a row and a state with different numbers of features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WidthMismatch {
    pub expected: usize,
    pub got: usize,
}

/// One feature's statistics; `None` where no valid value was seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnStats {
    pub n: u64,
    pub n_null: u64,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Bytes of the serialized form: a tag, the row count and the width, then per feature
/// count, mean, m2, n_null, min, max (all 8 bytes, little-endian).
const TAG: &[u8; 4] = b"pfs1";
const HEADER: usize = 4 + 8 + 8;
const PER_COLUMN: usize = 6 * 8;

impl FeatureStats {
    pub fn new() -> FeatureStats {
        FeatureStats::default()
    }

    /// Rows seen.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Number of features; 0 before the first row.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    fn ensure_width(&mut self, d: usize) -> Result<(), WidthMismatch> {
        if self.rows == 0 && self.columns.is_empty() {
            self.columns = vec![Column::default(); d];
        }
        if self.columns.len() != d {
            return Err(WidthMismatch {
                expected: self.columns.len(),
                got: d,
            });
        }
        Ok(())
    }

    /// Adds one row; `None` and non-finite values are counted as left out.
    pub fn push(&mut self, row: &[Option<f64>]) -> Result<(), WidthMismatch> {
        self.ensure_width(row.len())?;
        self.rows += 1;
        for (c, x) in self.columns.iter_mut().zip(row) {
            match x {
                Some(x) if x.is_finite() => {
                    c.moments.push(*x);
                    c.min = c.min.min(*x);
                    c.max = c.max.max(*x);
                }
                _ => c.n_null += 1,
            }
        }
        Ok(())
    }

    /// Combines another partial state into this one.
    pub fn merge(&mut self, other: &FeatureStats) -> Result<(), WidthMismatch> {
        if other.rows == 0 && other.columns.is_empty() {
            return Ok(());
        }
        self.ensure_width(other.columns.len())?;
        self.rows += other.rows;
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.moments.merge(&b.moments);
            a.n_null += b.n_null;
            a.min = a.min.min(b.min);
            a.max = a.max.max(b.max);
        }
        Ok(())
    }

    /// The statistics of every feature, in order.
    pub fn columns(&self) -> Vec<ColumnStats> {
        self.columns
            .iter()
            .map(|c| {
                let n = c.moments.count();
                ColumnStats {
                    n,
                    n_null: c.n_null,
                    mean: c.moments.mean(),
                    std: c.moments.std(),
                    min: (n > 0).then_some(c.min),
                    max: (n > 0).then_some(c.max),
                }
            })
            .collect()
    }

    /// The state as bytes, for shipping between processes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + PER_COLUMN * self.columns.len());
        out.extend_from_slice(TAG);
        out.extend_from_slice(&self.rows.to_le_bytes());
        out.extend_from_slice(&(self.columns.len() as u64).to_le_bytes());
        for c in &self.columns {
            let (count, mean, m2) = c.moments.parts();
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&mean.to_le_bytes());
            out.extend_from_slice(&m2.to_le_bytes());
            out.extend_from_slice(&c.n_null.to_le_bytes());
            out.extend_from_slice(&c.min.to_le_bytes());
            out.extend_from_slice(&c.max.to_le_bytes());
        }
        out
    }

    /// Reads bytes made by [`FeatureStats::to_bytes`]; `None` for anything else (wrong tag or
    /// length, a count that does not add up, an impossible mean, variance or range).
    pub fn from_bytes(bytes: &[u8]) -> Option<FeatureStats> {
        if bytes.len() < HEADER || &bytes[..4] != TAG {
            return None;
        }
        let word = |i: usize| -> Option<[u8; 8]> { bytes.get(i..i + 8)?.try_into().ok() };
        let rows = u64::from_le_bytes(word(4)?);
        let d = usize::try_from(u64::from_le_bytes(word(12)?)).ok()?;
        let body = bytes.len() - HEADER;
        if body / PER_COLUMN != d || !body.is_multiple_of(PER_COLUMN) {
            return None;
        }
        let mut columns = Vec::with_capacity(d);
        for j in 0..d {
            let at = HEADER + j * PER_COLUMN;
            let count = u64::from_le_bytes(word(at)?);
            let mean = f64::from_le_bytes(word(at + 8)?);
            let m2 = f64::from_le_bytes(word(at + 16)?);
            let n_null = u64::from_le_bytes(word(at + 24)?);
            let min = f64::from_le_bytes(word(at + 32)?);
            let max = f64::from_le_bytes(word(at + 40)?);
            let moments = Moments::from_parts(count, mean, m2)?;
            let range_ok = if count == 0 {
                min == f64::INFINITY && max == f64::NEG_INFINITY
            } else {
                min.is_finite() && max.is_finite() && min <= max
            };
            if !range_ok || count.checked_add(n_null) != Some(rows) {
                return None;
            }
            columns.push(Column {
                moments,
                n_null,
                min,
                max,
            });
        }
        Some(FeatureStats { rows, columns })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<Vec<Option<f64>>> {
        (0..n)
            .map(|i| {
                let x = i as f64;
                vec![
                    Some(1e6 + (x * 0.37).sin()),
                    if i % 7 == 0 {
                        None
                    } else {
                        Some(x * 0.5 - 100.0)
                    },
                    if i % 11 == 0 {
                        Some(f64::NAN)
                    } else {
                        Some((i % 5) as f64)
                    },
                ]
            })
            .collect()
    }

    fn gather(rows: &[Vec<Option<f64>>]) -> FeatureStats {
        let mut s = FeatureStats::new();
        for r in rows {
            s.push(r).unwrap();
        }
        s
    }

    #[test]
    fn matches_a_direct_computation() {
        let data = rows(1000);
        let stats = gather(&data).columns();
        for (j, got) in stats.iter().enumerate() {
            let valid: Vec<f64> = data
                .iter()
                .filter_map(|r| r[j].filter(|x| x.is_finite()))
                .collect();
            let n = valid.len() as f64;
            let mean = valid.iter().sum::<f64>() / n;
            let var = valid.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            assert_eq!(got.n, valid.len() as u64);
            assert_eq!(got.n + got.n_null, 1000);
            assert!((got.mean.unwrap() - mean).abs() <= 1e-9 * mean.abs().max(1.0));
            assert!((got.std.unwrap() - var.sqrt()).abs() <= 1e-9 * var.sqrt().max(1.0));
            assert_eq!(got.min, valid.iter().copied().reduce(f64::min));
            assert_eq!(got.max, valid.iter().copied().reduce(f64::max));
        }
        assert_eq!((stats[1].n_null, stats[2].n_null), (143, 91));
    }

    #[test]
    fn any_split_merges_to_the_whole() {
        let data = rows(1000);
        let whole = gather(&data).columns();
        for cut in [0, 1, 333, 999, 1000] {
            // Through bytes, as a parallel worker or a shard would ship its part.
            let left = FeatureStats::from_bytes(&gather(&data[..cut]).to_bytes()).unwrap();
            let right = FeatureStats::from_bytes(&gather(&data[cut..]).to_bytes()).unwrap();
            let mut merged = left;
            merged.merge(&right).unwrap();
            assert_eq!(merged.rows(), 1000);
            for (m, w) in merged.columns().iter().zip(&whole) {
                assert_eq!((m.n, m.n_null, m.min, m.max), (w.n, w.n_null, w.min, w.max));
                let close = |a: Option<f64>, b: Option<f64>| {
                    (a.unwrap() - b.unwrap()).abs() <= 1e-9 * b.unwrap().abs().max(1.0)
                };
                assert!(close(m.mean, w.mean) && close(m.std, w.std), "cut {cut}");
            }
        }
    }

    #[test]
    fn empty_states_and_widths() {
        let mut s = FeatureStats::new();
        assert_eq!((s.rows(), s.width()), (0, 0));
        s.merge(&FeatureStats::new()).unwrap();
        s.push(&[Some(1.0), None]).unwrap();
        assert_eq!(
            s.push(&[Some(1.0)]),
            Err(WidthMismatch {
                expected: 2,
                got: 1
            })
        );
        let c = s.columns();
        assert_eq!(
            (c[1].n, c[1].n_null, c[1].mean, c[1].min),
            (0, 1, None, None)
        );
        let back = FeatureStats::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(back.columns(), c);
        assert_eq!(
            FeatureStats::from_bytes(&FeatureStats::new().to_bytes())
                .unwrap()
                .width(),
            0
        );
    }

    #[test]
    fn foreign_bytes_are_refused() {
        let good = gather(&rows(10)).to_bytes();
        assert!(FeatureStats::from_bytes(&good).is_some());
        assert!(FeatureStats::from_bytes(b"").is_none());
        assert!(FeatureStats::from_bytes(&good[..good.len() - 1]).is_none());
        let mut bad_tag = good.clone();
        bad_tag[0] = b'x';
        assert!(FeatureStats::from_bytes(&bad_tag).is_none());
        let mut bad_rows = good.clone();
        bad_rows[4] = 11; // rows no longer equal n + n_null
        assert!(FeatureStats::from_bytes(&bad_rows).is_none());
        let mut huge_width = good;
        huge_width[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(FeatureStats::from_bytes(&huge_width).is_none());
    }
}
