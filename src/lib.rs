//! persona: marketing personas inside PostgreSQL.
//!
//! The numerical work lives in the `persona-math` crate; this crate is the PostgreSQL glue,
//! one module per concern: argument reading (`arrays`), errors, settings (`guc`), model values
//! (`model`), the registry, and scoring (`score`). SQL objects that SQL says best (tables,
//! views, registry procedures) live in `sql/`.

use pgrx::prelude::*;

mod arrays;
mod drift;
mod error;
mod fit;
mod gather;
mod guc;
mod lineage;
mod model;
mod quality;
mod registry;
mod report;
mod score;
mod source;
mod spi_read;
mod transfer;

::pgrx::pg_module_magic!();

extension_sql_file!("../sql/bootstrap.sql", name = "bootstrap", bootstrap);
extension_sql_file!(
    "../sql/registry.sql",
    name = "registry",
    requires = ["bootstrap"]
);
extension_sql_file!("../sql/drift.sql", name = "drift", requires = ["registry"]);
extension_sql_file!("../sql/fit.sql", name = "fit_sql", requires = ["drift"]);
extension_sql_file!(
    "../sql/lifecycle.sql",
    name = "lifecycle",
    requires = ["fit_sql"]
);
extension_sql_file!(
    "../sql/retrain.sql",
    name = "retrain",
    requires = ["lifecycle"]
);
extension_sql_file!("../sql/gather.sql", name = "gather", requires = ["retrain"]);
extension_sql_file!("../sql/citus.sql", name = "citus", requires = ["gather"]);
extension_sql_file!("../sql/finalize.sql", name = "finalize", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    guc::register();
    drift::register_settings();
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {}

/// Used by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
