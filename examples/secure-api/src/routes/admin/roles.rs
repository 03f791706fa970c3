//! `PUT` and `DELETE /admin/users/{subject}/roles/{role}`: a role bound to
//! a user in the role store, beside the roles their token carries.
//!
//! The binding is consulted on every permission check the token's roles do
//! not already allow, so it applies to the user's very next request,
//! without a new sign-in, on every instance. Roles written in the
//! configuration (`[[users]] roles`) are not store bindings: they are
//! changed there.

use super::{Refusal, Target, store_failed, target};
use crate::extract::PathParams;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rampart_auth::axum::Authenticated;
use rampart_core::{Principal, Problem};
use rampart_rbac::RoleBinding;

/// The binding of `role` for `target`, once the role is known to the policy.
fn binding(state: &AppState, target: &Target, role: &str) -> Result<RoleBinding, Refusal> {
    if !state.authz.has_role(role) {
        return Err(Box::new(
            Problem::not_found().with_detail("no role of this name in the policy"),
        ));
    }
    Ok(match &target.tenant {
        Some(tenant) => RoleBinding::in_tenant(role, tenant),
        None => RoleBinding::global(role),
    })
}

fn resolve(
    state: &AppState,
    admin: &Principal,
    subject: &str,
    role: &str,
) -> Result<(Target, RoleBinding), Refusal> {
    let target = target(state, admin, subject)?;
    let binding = binding(state, &target, role)?;
    Ok((target, binding))
}

/// `PUT /admin/users/{subject}/roles/{role}`: binds the role; `204` whether
/// it was new or already bound (a `PUT` is repeatable).
pub async fn bind(
    State(state): State<AppState>,
    Authenticated(admin): Authenticated,
    PathParams((subject, role)): PathParams<(String, String)>,
) -> Response {
    let (target, binding) = match resolve(&state, &admin, &subject, &role) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    match state
        .authz
        .bind_role_by(admin.subject(), &target.subject, binding)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => store_failed(&error),
    }
}

/// `DELETE /admin/users/{subject}/roles/{role}`: unbinds the role; `204`,
/// or `404` when the user had no such binding.
pub async fn unbind(
    State(state): State<AppState>,
    Authenticated(admin): Authenticated,
    PathParams((subject, role)): PathParams<(String, String)>,
) -> Response {
    let (target, binding) = match resolve(&state, &admin, &subject, &role) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    match state
        .authz
        .unbind_role_by(admin.subject(), &target.subject, &binding)
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => Problem::not_found()
            .with_detail("the user has no such role binding (roles from the configuration are changed there)")
            .into_response(),
        Err(error) => store_failed(&error),
    }
}
