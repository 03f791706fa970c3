//! The HTTP routes, one file per area.

pub mod api;
pub mod auth;
pub mod password;
