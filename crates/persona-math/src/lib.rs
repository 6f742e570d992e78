//! The numerical core of persona.
//!
//! Nothing here knows about PostgreSQL: the extension crate passes plain slices in and gets
//! plain values back, so every algorithm is tested with `cargo test -p persona-math`, fast and
//! without a database. Matrices are row-major `&[f64]` with an explicit column count `d`.

pub mod centroids;
pub mod distance;
pub mod drift;
pub mod gather;
pub mod kmeans;
pub mod matching;
pub mod metrics;
pub mod scaler;
mod simd;
