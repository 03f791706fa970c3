//! Re-checking the user behind a refresh token before a new pair is issued.
//!
//! A refresh token is a promise made at sign-in. Without a second look, a
//! user removed from the directory, or demoted, keeps the roles of that
//! sign-in for as long as the family is refreshed. The application says,
//! on every refresh, who the user is now.

use crate::error::StoreError;
use crate::jwt::claims::Claims;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The claims of the refresh token being exchanged, as the hook sees them
/// (application claims are in `custom`).
pub type RefreshClaims = Claims<Map<String, Value>>;

/// Who the user is now: what the new pair carries in place of the old
/// token's `tenant`, `org` and `roles`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Standing {
    /// The user's tenant (`tenant` claim).
    pub tenant: Option<String>,
    /// The user's organisation inside the tenant (`org` claim).
    pub org: Option<String>,
    /// The user's roles (`roles` claim).
    pub roles: Vec<String>,
}

impl Standing {
    /// A user with `roles`, no tenant and no organisation.
    pub fn roles<I, S>(roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            roles: roles.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Sets the tenant (a `String`, or an `Option<String>` from the directory).
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<Option<String>>) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// Sets the organisation (a `String`, or an `Option<String>`).
    #[must_use]
    pub fn org(mut self, org: impl Into<Option<String>>) -> Self {
        self.org = org.into();
        self
    }
}

/// What the application decided about the user behind a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revalidation {
    /// The user may go on. The new pair carries this standing, whatever the
    /// old token said (a demotion takes effect at the next refresh).
    Allow(Standing),
    /// The user may no longer be signed in (removed, disabled, locked): the
    /// whole family is revoked and the refresh fails with
    /// [`RefreshError::UserRefused`](crate::RefreshError::UserRefused).
    Refuse,
}

/// The future a [`Revalidate`] hook returns: boxed so the hook can sit behind
/// an `Arc<dyn Revalidate>`.
pub type RevalidateFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Revalidation, StoreError>> + Send + 'a>>;

/// Loads the user behind a refresh token: the application's directory lookup.
///
/// Return `Ok(Revalidation::Allow { .. })` with the current tenant and roles,
/// `Ok(Revalidation::Refuse)` for a user who may no longer sign in, or
/// `Err(StoreError)` when the directory cannot be asked: the refresh then
/// fails with [`RefreshError::Unavailable`](crate::RefreshError::Unavailable)
/// and the refresh token stays usable, so a database outage does not end
/// every session. The hook runs before the token is consumed.
///
/// A closure taking `&RefreshClaims` and returning a `'static` future is a hook:
///
/// ```
/// use rampart::auth::{RefreshClaims, Revalidation, Standing, StoreError};
/// use std::collections::HashMap;
/// use std::sync::Arc;
///
/// let directory: Arc<HashMap<String, Vec<String>>> = Arc::default();
/// let hook = move |claims: &RefreshClaims| {
///     let roles = directory.get(claims.subject()).cloned();
///     async move {
///         Ok::<_, StoreError>(match roles {
///             Some(roles) => Revalidation::Allow(Standing::roles(roles)),
///             None => Revalidation::Refuse,
///         })
///     }
/// };
/// # fn takes(_: impl rampart::auth::Revalidate) {}
/// # takes(hook);
/// ```
pub trait Revalidate: Send + Sync + 'static {
    /// Decides whether the user behind `claims` may refresh, and with what.
    fn revalidate<'a>(&'a self, claims: &'a RefreshClaims) -> RevalidateFuture<'a>;
}

impl<F, Fut> Revalidate for F
where
    F: Fn(&RefreshClaims) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Revalidation, StoreError>> + Send + 'static,
{
    fn revalidate<'a>(&'a self, claims: &'a RefreshClaims) -> RevalidateFuture<'a> {
        Box::pin(self(claims))
    }
}

/// A hook shared by clones of a token manager.
pub type SharedRevalidate = Arc<dyn Revalidate>;

/// How a token manager re-checks the user on refresh.
#[derive(Clone, Default)]
pub(crate) enum RevalidationPolicy {
    /// No choice was made: [`TokenManagerBuilder::build`](crate::TokenManagerBuilder::build)
    /// refuses it; a manager from `JwtConfig` refuses every refresh.
    #[default]
    Unset,
    /// Ask the application.
    Hook(SharedRevalidate),
    /// Copy tenant and roles from the old token (`insecure_skip_revalidation`).
    Skip,
}
