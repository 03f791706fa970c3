//! Server-side sessions for cookie-based applications (feature `session`).
//!
//! - [`SessionManager`]: the plain API. [`login`](SessionManager::login),
//!   [`load`](SessionManager::load), [`rotate`](SessionManager::rotate),
//!   [`list`](SessionManager::list), [`destroy_all`](SessionManager::destroy_all),
//!   [`log_out_everywhere`](SessionManager::log_out_everywhere).
//! - [`SessionStore`]: [`MemorySessionStore`], or `RedisSessionStore`
//!   (features `session` + `redis`) to share sessions between instances.
//! - [`SessionLayer`]: reads the cookie, inserts the
//!   [`Principal`](rampart_core::Principal) and a [`Session`] handle, and
//!   writes `Set-Cookie` after the handler signed in, rotated or signed out.
//! - [`SessionPolicies`]: timeouts, per-user limit and binding per tenant.
//! - [`AccountStatusCheck`]: a disabled account loses access on its next
//!   request, in this layer and in [`JwtAuthLayer`](crate::JwtAuthLayer).
//!
//! What a session is and is not, compared with tower-sessions, is in
//! [`SessionManager`]'s docs. Listing a user's JWT refresh families is not
//! offered: the family stores keep no per-subject index (see
//! [`FamilyStore`](crate::FamilyStore)).

mod active;
mod client;
mod cookie;
mod handle;
mod id;
mod layer;
mod manager;
mod policy;
mod store;

pub use crate::account::{AccountDecision, AccountStatus, AccountStatusCheck};
pub use active::{ActiveSession, SessionInfo};
pub use client::{ClientInfo, device_summary, ip_prefix};
pub use cookie::{CookieSettings, CookieValue, SameSite, find_cookie, find_in};
pub use handle::Session;
pub use id::{SessionKey, SessionToken, subject_tag};
pub use layer::{SessionLayer, SessionRejection, SessionService};
pub use manager::{Lookup, SessionError, SessionManager, SessionManagerBuilder};
pub use policy::{
    LimitAction, SessionConfig, SessionPolicies, SessionPolicy, SessionPolicyBuilder,
};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use store::RedisSessionStore;
pub use store::{
    Created, DEFAULT_MEMORY_CAPACITY, MemorySessionStore, SessionStore, SharedSessionStore,
    StoredSession, Touched, UserLimit,
};
