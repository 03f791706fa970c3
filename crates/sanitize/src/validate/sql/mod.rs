//! A guard for SQL statements an application or an LLM agent generates.
//!
//! See [`SqlGuard`].

mod guard;
mod refusal;
mod walk;
mod writes;

pub use guard::{DEFAULT_DENIED_FUNCTIONS, SqlDialect, SqlGuard, TenantPredicate, TenantValue};
pub use refusal::SqlRefusal;

#[cfg(test)]
mod tests;
