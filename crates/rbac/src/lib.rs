//! Role-based authorization for web services: roles with inheritance,
//! `resource:action[:scope]` permissions with wildcards and tenant, organisation
//! and owner scopes, explicit denials, per-tenant role bindings, expiring
//! resource grants, data filters for row-level security, and a
//! [`RequirePermission`] tower layer.
//!
//! The caller is the [`rampart_core::Principal`] an authentication layer put in the
//! request extensions; this crate never needs to know how it authenticated.
//!
//! # The policy
//!
//! A policy is usually a section of the application's config file. Each role
//! lists what it allows (`permissions`), what it is refused whatever else allows
//! it (`deny`), and the roles it extends (`inherits`, several allowed; a cycle is
//! a load error naming it):
//!
//! ```toml
//! [rbac.roles.viewer]
//! permissions = ["items:read"]
//!
//! [rbac.roles.editor]
//! inherits = ["viewer"]
//! permissions = ["items:write", "reports:read:own_tenant"]
//!
//! [rbac.roles.admin]
//! inherits = ["editor"]
//! permissions = ["items:delete", "admin:*", "reports:read"]
//! deny = ["admin:impersonate"]
//!
//! # Roles given by the policy itself, globally or in one tenant / org.
//! [[rbac.bindings]]
//! subject = "alice"
//! role = "admin"
//! tenant = "acme"
//! ```
//!
//! A permission is `resource:action` or `resource:action:scope`; any segment may
//! be `*` (`items:*`, `*:read`, and `*` alone for everything). The scope limits
//! which instances it covers:
//!
//! | scope | the resource must... |
//! |---|---|
//! | none or `*` | nothing: every instance |
//! | `own` | be owned by the caller (`owner` = subject), or be the caller's own tenant / organisation entity |
//! | `own_tenant` | be in the caller's tenant |
//! | `own_org` | be in the caller's organisation (and tenant) |
//! | any other name | satisfy the [`ScopeResolver`] the application registered under that name |
//!
//! Scoped permissions never reach a resource known to be in another tenant;
//! only an unscoped permission (`reports:read`) does.
//!
//! # Checking
//!
//! The policy is compiled when loaded (role closure, permissions indexed by
//! resource and action), so [`Authorizer::check`] allocates nothing and costs a
//! few probes per role the principal holds. The [`Decision`] says which rule
//! decided, or why it denied, for the audit trail:
//!
//! ```
//! use rampart_core::{AuthMethod, Principal};
//! use rampart_rbac::{Authorizer, Policy, Resource};
//!
//! #[derive(serde::Deserialize)]
//! struct AppConfig {
//!     rbac: rampart_rbac::PolicyConfig,
//! }
//!
//! let config: AppConfig = toml::from_str(r#"
//!     [rbac.roles.viewer]
//!     permissions = ["items:read"]
//!     [rbac.roles.editor]
//!     inherits = ["viewer"]
//!     permissions = ["items:write", "reports:read:own_tenant"]
//!     [rbac.roles.admin]
//!     inherits = ["editor"]
//!     permissions = ["items:delete", "admin:*", "reports:read"]
//! "#)?;
//! let authz = Authorizer::new(Policy::from_config(config.rbac)?)?;
//!
//! let bob = Principal::new("bob", AuthMethod::Jwt).with_tenant("acme").with_roles(["editor"]);
//! // The same `resource:action` strings `RequirePermission` takes, or the action alone.
//! assert!(authz.check(&bob, "items:read", &Resource::new("items"))?.is_allowed());
//! assert!(!authz.check(&bob, "delete", &Resource::new("items"))?.is_allowed());
//! assert!(authz.check(&bob, "read", &Resource::new("reports").with_tenant("acme"))?.is_allowed());
//! // A malformed string is an error naming the fault, not a silent deny.
//! assert!(authz.check(&bob, "items:", &Resource::new("items")).is_err());
//! let denied = authz.check(&bob, "read", &Resource::new("reports").with_tenant("globex"))?;
//! assert!(!denied.is_allowed());
//! assert_eq!(denied.rule().map(|r| r.permission()), Some("reports:read:own_tenant"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Grants ([`GrantStore`]: [`MemoryGrantStore`], `RedisGrantStore`), each given
//! in one tenant (or, by an operator, globally), and role bindings kept outside
//! the token ([`RoleStore`]: [`MemoryRoleStore`], `RedisRoleStore`) are asynchronous and consulted
//! by [`Authorizer::check_with_stores`]; a failing store follows the [`FailMode`]
//! (closed by default) and emits a `StoreFailure` event. [`Authorizer::reload`]
//! swaps the policy atomically while requests keep flowing.
//!
//! # Guarding routes
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{Router, routing::get};
//! use rampart_rbac::{Authorizer, RequirePermission};
//!
//! # let authz = Authorizer::from_toml("[roles.editor]\npermissions = [\"items:read\", \"reports:read:own_tenant\"]").unwrap();
//! let app: Router = Router::new()
//!     .route("/api/items", get(|| async { "items" })
//!         .route_layer(RequirePermission::new(authz.clone(), "items:read")))
//!     // 200 for the caller's own tenant, 403 for any other.
//!     .route("/api/tenants/{tenant}/reports", get(|| async { "reports" })
//!         .route_layer(RequirePermission::new(authz.clone(), "reports:read").tenant_from_path("tenant")))
//!     // A collection of the caller's own tenant: the tenant is the principal's.
//!     .route("/api/reports", get(|| async { "reports" })
//!         .route_layer(RequirePermission::new(authz.clone(), "reports:read").tenant_from_principal()))
//!     // The tenant named in the query (`?tenant=acme`), decoded as axum's `Query` does.
//!     .route("/api/search/reports", get(|| async { "reports" })
//!         .route_layer(RequirePermission::new(authz.clone(), "reports:read").tenant_from_query("tenant")));
//! // ... then the auth layer that inserts the Principal, outside these routes.
//! # }
//! ```
//!
//! Without `tenant_from_*` (or `org_from_*`, `owner_from_*`) a route names no
//! tenant, and a scoped permission such as `reports:read:own_tenant` allows no
//! one on it. A repeated or undecodable query parameter answers 400.
//!
//! No `Principal` answers 401; a denial answers a generic 403 problem, emits a
//! `PermissionDenied` event with the reason, and attaches a
//! [`PermissionRejection`] to the response.
//!
//! # Data filters
//!
//! [`Authorizer::filter`] answers "which rows may this principal see" as a
//! [`DataFilter`]; with the `postgres` feature, `postgres::apply_row_security`
//! turns it into transaction-local settings that PostgreSQL row-level security
//! policies read (the module shows the `CREATE POLICY`).
//!
//! # Features
//!
//! - `axum`: [`RequirePermission`] reads path parameters (`{tenant}`, `{id}`) from
//!   axum's router; without it, give the layer a `path_template`.
//! - `redis`: `RedisGrantStore` and `RedisRoleStore`, shared by every instance.
//! - `postgres`: the `postgres` row-level security module.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod authorizer;
mod changes;
mod decision;
mod error;
mod filter;
mod grants;
mod layer;
mod permission;
mod policy;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod postgres;
mod resource;
mod roles;
mod scope;
mod store;

pub use authorizer::{Authorizer, AuthorizerBuilder};
pub use decision::{Decision, GrantBasis, MatchedRule, Reason};
pub use error::{ConfigError, PermissionError, PolicyError, StoreError};
pub use filter::{Constraint, DataFilter};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use grants::RedisGrantStore;
pub use grants::{Grant, GrantStore, MemoryGrantStore};
pub use layer::{PermissionRejection, RequirePermission, RequirePermissionService, ResponseFuture};
pub use permission::{Action, Permission, Scope, Segment};
pub use policy::{BindingConfig, Policy, PolicyConfig, RoleConfig};
pub use resource::Resource;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use roles::RedisRoleStore;
pub use roles::{MemoryRoleStore, RoleBinding, RoleStore};
pub use scope::ScopeResolver;
pub use store::{FailMode, StoreFuture};
