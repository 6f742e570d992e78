//! persona: marketing personas inside PostgreSQL.
use pgrx::prelude::*;

::pgrx::pg_module_magic!();
