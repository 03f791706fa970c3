//! The HTTP routes, one file per area.

pub mod admin;
pub mod api;
pub mod auth;
pub mod password;
pub mod sessions;
