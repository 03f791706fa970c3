//! secure-api served on an ephemeral port exactly as `main` serves it, a
//! real HTTP/1.1 client talking to it, and the run-unique names that keep
//! reruns against a persistent Redis and PostgreSQL apart.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod client;
pub mod run;
pub mod server;

pub use client::{Client, Reply};
pub use run::Run;
pub use server::{Served, Stores};
