//! `POST /admin/users/{subject}/grants`: one action on one resource
//! instance for one user, optionally for a limited time ("bob may delete
//! item 7 for the next hour"), whatever their roles; and
//! `DELETE /admin/users/{subject}/grants/{kind}/{id}` to take it back.
//!
//! rampart-rbac's grants are per instance, so they count only on routes
//! whose guard names the instance: here `DELETE /api/items/{id}`. A grant
//! is stored in the grant store every instance reads on each check, and its
//! expiry is compared with the clock at each check, so it lapses on every
//! instance at the same moment.

use super::{Refusal, store_failed, target};
use crate::extract::{JsonBody, PathParams};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rampart_auth::axum::Authenticated;
use rampart_core::Problem;
use rampart_rbac::{Action, Grant};
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, UNIX_EPOCH};

/// The resource kinds whose routes check grants: a grant on any other kind
/// would be stored and never consulted, so it is refused.
pub const GRANTABLE: &[&str] = &["items"];

/// The longest a grant may last, in seconds (a year): a longer need is a role.
pub const MAX_EXPIRES_IN_SECS: u64 = 365 * 24 * 3600;

/// The longest resource id accepted, in bytes.
const MAX_ID_BYTES: usize = 64;

/// `POST /admin/users/{subject}/grants` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// `resource:action`, e.g. `items:delete`.
    pub permission: String,
    /// The instance, e.g. `7`.
    pub resource_id: String,
    /// Seconds until the grant lapses; none: until revoked.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

fn bad_request(detail: &'static str) -> Refusal {
    Box::new(Problem::bad_request().with_detail(detail))
}

/// A resource instance a grant may be about: a kind that routes check
/// grants on, and an id that can name an instance.
fn checked_instance(kind: &str, id: &str) -> Result<(), Refusal> {
    if !GRANTABLE.contains(&kind) {
        return Err(bad_request(
            "grants are checked on `items` only (DELETE /api/items/{id})",
        ));
    }
    if id.is_empty()
        || id.len() > MAX_ID_BYTES
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad_request(
            "the resource id must be 1 to 64 letters, digits, `-` or `_`",
        ));
    }
    Ok(())
}

/// The request, checked: `resource:action` on an instance
/// [`checked_instance`] accepts, for a bounded time if any.
fn checked(request: &GrantRequest) -> Result<Action, Refusal> {
    let Ok(action) = Action::parse(&request.permission) else {
        return Err(bad_request(
            "`permission` must be `resource:action`, without wildcard or scope",
        ));
    };
    checked_instance(action.resource(), &request.resource_id)?;
    if request
        .expires_in
        .is_some_and(|secs| secs == 0 || secs > MAX_EXPIRES_IN_SECS)
    {
        return Err(bad_request(
            "`expires_in` must be 1 to 31536000 seconds, or absent for no expiry",
        ));
    }
    Ok(action)
}

/// Gives the grant → `201` with what was stored. A user has one grant per
/// instance: a new one on the same instance replaces it (a renewal).
pub async fn give(
    State(state): State<AppState>,
    Authenticated(admin): Authenticated,
    PathParams(subject): PathParams<String>,
    JsonBody(request): JsonBody<GrantRequest>,
) -> Response {
    let target = match target(&state, &admin, &subject) {
        Ok(target) => target,
        Err(refused) => return refused.into_response(),
    };
    let action = match checked(&request) {
        Ok(action) => action,
        Err(refused) => return refused.into_response(),
    };
    let (kind, verb) = (action.resource(), action.action());
    let mut grant = match &target.tenant {
        Some(tenant) => {
            Grant::in_tenant(tenant, &target.subject, kind, &request.resource_id, [verb])
        }
        None => Grant::global(&target.subject, kind, &request.resource_id, [verb]),
    };
    let expires_at = request
        .expires_in
        .map(|secs| state.authz.clock().now() + Duration::from_secs(secs));
    if let Some(at) = expires_at {
        grant = grant.expires_at(at);
    }
    if let Err(error) = state.authz.grant_by(admin.subject(), grant).await {
        return store_failed(&error);
    }
    let body = json!({
        "subject": target.subject,
        "tenant": target.tenant,
        "permission": action.to_string(),
        "resource_id": request.resource_id,
        "expires_at": expires_at
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `DELETE /admin/users/{subject}/grants/{kind}/{id}`: takes back the
/// user's grant on that instance → `204`, or `404` when there was none.
pub async fn revoke(
    State(state): State<AppState>,
    Authenticated(admin): Authenticated,
    PathParams((subject, kind, id)): PathParams<(String, String, String)>,
) -> Response {
    let target = match target(&state, &admin, &subject) {
        Ok(target) => target,
        Err(refused) => return refused.into_response(),
    };
    if let Err(refused) = checked_instance(&kind, &id) {
        return refused.into_response();
    }
    match state
        .authz
        .revoke_grant_by(
            admin.subject(),
            target.tenant.as_deref(),
            &target.subject,
            &kind,
            &id,
        )
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => Problem::not_found()
            .with_detail("the user has no grant on this instance")
            .into_response(),
        Err(error) => store_failed(&error),
    }
}
