//! The stack of `minimal-axum` without axum: security headers, a request id,
//! the client address, a JWT bearer token on every route and one permission
//! on one route, assembled with tower's `ServiceBuilder` around a
//! `service_fn` and served by hyper.
//!
//! Without a router, a per-route layer is a service of its own: [`app`]
//! wraps the `/items` handler in its permission check and dispatches to it
//! by path, so an unknown path answers `404` whatever the caller holds.

mod app;
mod serve;

pub use app::{App, POLICY, app};
pub use serve::serve;
