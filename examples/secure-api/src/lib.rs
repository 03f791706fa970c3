//! The rampart reference app: every rampart crate working together in one
//! axum service. `main.rs` only reads the environment and serves what
//! [`app::build`] returns, so tests drive the very same router.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod audit;
pub mod config;
pub mod extract;
pub mod items;
pub mod logging;
pub mod mfa;
pub mod problem;
pub mod profile;
pub mod rbac;
pub mod routes;
pub mod serve;
pub mod state;
pub mod timeout;
pub mod users;
