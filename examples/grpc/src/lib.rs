//! rampart on a tonic gRPC service.
//!
//! The same layers that guard an axum app guard a gRPC server: JWT bearer
//! authentication (the token in the `authorization` metadata), a per-user
//! rate limit, a permission, and an audit record for every call. Only the
//! refusals change: each guard is given rampart-core's
//! [`GrpcResponse`](rampart::core::GrpcResponse), so a refused call ends with
//! a gRPC status (`UNAUTHENTICATED`, `PERMISSION_DENIED`,
//! `RESOURCE_EXHAUSTED` with `retry-after`) instead of HTTP 401/403/429 with
//! problem JSON, which gRPC clients cannot read.
//!
//! - [`proto`]: the messages of `proto/items.proto`, derived by hand (no protoc).
//! - [`items`]: the service and its handler.
//! - [`client`]: a client, for the tests and for trying it out.
//! - [`serve`] and [`Security`]: the stack, outermost first, and the server.
//! - [`serve_mixed`]: gRPC and REST on one port behind one stack, refusals
//!   rendered for each protocol by
//!   [`GrpcRefusalLayer`](rampart::core::GrpcRefusalLayer).
#![forbid(unsafe_code)]

pub mod client;
pub mod items;
mod mixed;
pub mod proto;
mod stack;

pub use mixed::serve_mixed;
pub use stack::{PERMISSION, POLICY, Security, default_quota, serve};
