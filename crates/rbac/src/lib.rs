//! Role-based authorization for web services.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authorizer;
mod decision;
mod error;
mod filter;
mod grants;
mod layer;
mod permission;
mod policy;
#[cfg(feature = "postgres")]
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
pub use grants::RedisGrantStore;
pub use grants::{Grant, GrantStore, MemoryGrantStore};
pub use layer::{PermissionRejection, RequirePermission, RequirePermissionService, ResponseFuture};
pub use permission::{Action, Permission, Scope, Segment};
pub use policy::{BindingConfig, Policy, PolicyConfig, RoleConfig};
pub use resource::Resource;
pub use roles::{MemoryRoleStore, RoleBinding, RoleStore};
pub use scope::ScopeResolver;
pub use store::{FailMode, StoreFuture};
