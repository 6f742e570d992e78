//! Reference and current histograms kept with every saved drift report.
//!
//! A report is read long after its check, when the current values are gone and the baseline
//! may have been replaced, so the pictures of `persona.drift_report_html` must be made while
//! the check still holds both sides. They are for people, not for the statistics: the tests
//! use the samples (KS, Wasserstein) or the reference's decile bins (PSI), but a reader
//! expects the familiar picture, equal-width bins over the range both sides cover, or one bar
//! per value of a discrete column and per persona.

use crate::arrays::show;
use persona_math::drift::display::equal_width;
use persona_math::drift::NumKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bars of a continuous column: enough to show a shape, few enough to read at a glance.
pub const DISPLAY_BINS: usize = 20;

/// Counts of both sides over the same bars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// For a continuous column: the bin edges, one more than the bars; bins are closed on the
    /// left, the last one on both sides. Empty when the bars are labelled instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
    /// For a discrete column or the personas: one label per bar.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    pub reference: Vec<u64>,
    pub current: Vec<u64>,
}

impl Histogram {
    /// Equal-width bins over the range of both sides (`persona_math::drift::display`); `None`
    /// when neither side has a value. A single value on both sides gives one bin.
    pub fn binned(reference: &[f64], current: &[f64]) -> Option<Histogram> {
        equal_width(reference, current, DISPLAY_BINS).map(|h| Histogram {
            edges: h.edges,
            labels: Vec::new(),
            reference: h.reference,
            current: h.current,
        })
    }

    /// One bar per value of a discrete column, in numeric order.
    pub fn values(reference: &BTreeMap<NumKey, u64>, current: &BTreeMap<NumKey, u64>) -> Self {
        let keys: Vec<NumKey> = reference
            .keys()
            .chain(current.keys())
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let side = |counts: &BTreeMap<NumKey, u64>| {
            keys.iter()
                .map(|k| counts.get(k).copied().unwrap_or(0))
                .collect()
        };
        Histogram {
            edges: Vec::new(),
            labels: keys.iter().map(|k| show(k.value())).collect(),
            reference: side(reference),
            current: side(current),
        }
    }

    /// One bar per persona, labelled with its name.
    pub fn personas(labels: &[String], reference: &[u64], current: &[u64]) -> Self {
        let side = |counts: &[u64]| {
            (0..labels.len())
                .map(|i| counts.get(i).copied().unwrap_or(0))
                .collect()
        };
        Histogram {
            edges: Vec::new(),
            labels: labels.to_vec(),
            reference: side(reference),
            current: side(current),
        }
    }
}
