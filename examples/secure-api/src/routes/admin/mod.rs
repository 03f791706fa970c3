//! `/admin/users/{subject}/...`: role bindings and grants changed at run
//! time, behind `admin:users` (which the demo's `admin` role has through
//! `admin:*`).
//!
//! Who may change whom, decided here for every route below:
//! - an administrator without a tenant (a platform operator such as the
//!   demo's `alice`) may change any user;
//! - an administrator of a tenant may change only the users of that tenant;
//!   any other user is `404`, as an unknown one, so that other tenants'
//!   user names cannot be probed;
//! - nobody changes their own roles or grants (`403`): a privilege change
//!   needs a second administrator.
//!
//! What is given is bound to the target's tenant (a binding or grant for a
//! tenant member reaches only that tenant), or global for a user without
//! one. The changes go through rampart-rbac's `Authorizer`, which reports
//! each as a `PrivilegeChanged` event naming the administrator as `actor`.

pub mod grants;
pub mod roles;

use crate::routes::auth::{MAX_USERNAME_BYTES, unavailable};
use crate::state::AppState;
use axum::response::Response;
use rampart_core::{Principal, Problem};
use rampart_rbac::StoreError;

/// Why a change is refused: the problem to answer (boxed, a problem is large).
pub type Refusal = Box<Problem>;

/// The user a change is about, once the caller may change them.
#[derive(Debug)]
pub struct Target {
    /// Their name, the subject of their tokens.
    pub subject: String,
    /// Their tenant, which bounds what they are given.
    pub tenant: Option<String>,
}

/// Checks the `{subject}` of the path and whether `admin` may change them.
///
/// # Errors
/// The problem to answer: `400` for a malformed name, `404` for a user who
/// does not exist or is outside the administrator's tenant, `403` for the
/// administrator themselves.
pub fn target(state: &AppState, admin: &Principal, subject: &str) -> Result<Target, Refusal> {
    if subject.is_empty()
        || subject.len() > MAX_USERNAME_BYTES
        || subject.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Box::new(Problem::bad_request().with_detail(
            "the user name must be 1 to 256 bytes without spaces or control characters",
        )));
    }
    let user = state
        .users
        .get(subject)
        .filter(|user| admin.tenant().is_none() || user.tenant.as_deref() == admin.tenant());
    let Some(user) = user else {
        return Err(Box::new(
            Problem::not_found().with_detail("no such user in your tenant"),
        ));
    };
    if user.username == admin.subject() {
        return Err(Box::new(Problem::forbidden().with_detail(
            "you cannot change your own roles or grants; ask another administrator",
        )));
    }
    Ok(Target {
        subject: user.username.clone(),
        tenant: user.tenant.clone(),
    })
}

/// The answer to a store that refused or failed a change.
pub(crate) fn store_failed(error: &StoreError) -> Response {
    match error {
        StoreError::Invalid(reason) => Problem::bad_request().with_detail(*reason).into_response(),
        _ => {
            tracing::warn!(target: "secure_api", %error, "privilege change failed");
            unavailable("the role and grant store is unavailable; retry shortly")
        }
    }
}
