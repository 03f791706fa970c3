//! The caller's sign-ins: `POST /auth/logout/all` ("log out everywhere"),
//! `GET /auth/sessions` (each sign-in with the device it came from) and
//! `DELETE /auth/sessions/{id}` ("sign out that device").
//!
//! A sign-in is a refresh-token family. Its state sits in the token store
//! (Redis when `REDIS_URL` is set), which every instance asks on every
//! request, so an ending through one instance is honoured by all at once.

use crate::extract::PathParams;
use crate::routes::auth::unavailable;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use rampart_auth::axum::Authenticated;
use rampart_auth::revocation::FamilyInfo;
use rampart_core::Problem;
use serde::Serialize;
use std::net::IpAddr;

/// `POST /auth/logout/all`: every access and refresh token the caller holds,
/// on every device, stops working.
///
/// Two steps, the one that matters first: every token of the subject issued
/// up to this second is revoked (access tokens have no family to end, so
/// this is what refuses them), then every refresh family is ended so that
/// `GET /auth/sessions` lists none. Both are idempotent: after a store
/// failure (`503`) the client retries. Sign-ins from the next second on
/// work again.
pub async fn logout_all(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Response {
    let tokens = state.auth.tokens();
    let subject = principal.subject();
    if let Err(error) = tokens.logout_everywhere(subject).await {
        tracing::warn!(target: "secure_api", %error, "log out everywhere failed");
        return unavailable("the token store is unavailable; retry this logout shortly");
    }
    if let Err(error) = tokens.end_families(subject, None).await {
        tracing::warn!(target: "secure_api", %error, "ending the refresh families failed");
        return unavailable(
            "every token is revoked, but the sign-ins could not all be closed; retry shortly",
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

/// One sign-in as `GET /auth/sessions` shows it. Times are seconds since
/// the Unix epoch.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// The id to end it with (`DELETE /auth/sessions/{id}`).
    pub id: String,
    /// When it signed in.
    pub created: u64,
    /// Its last refresh; `null` before the first.
    pub last_used: Option<u64>,
    /// When it ends unless refreshed.
    pub expires: u64,
    /// The `User-Agent` it signed in with.
    pub user_agent: Option<String>,
    /// The address it signed in from.
    pub ip: Option<IpAddr>,
    /// Whether it is the sign-in of the token making this request.
    pub current: bool,
}

impl SessionView {
    fn new(family: FamilyInfo, current: Option<&str>) -> Self {
        Self {
            current: current == Some(family.family.as_str()),
            id: family.family,
            created: family.created,
            last_used: family.last_rotated,
            expires: family.expires,
            user_agent: family.client.user_agent,
            ip: family.client.ip,
        }
    }
}

/// `GET /auth/sessions`: the caller's live sign-ins, oldest first. Only the
/// caller's: the subject comes from the token, never from the request.
pub async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Response {
    let families = match state.auth.tokens().list_families(principal.subject()).await {
        Ok(families) => families,
        Err(error) => {
            tracing::warn!(target: "secure_api", %error, "listing sign-ins failed");
            return unavailable("the token store is unavailable; retry shortly");
        }
    };
    let current = principal.session_id();
    let sessions: Vec<SessionView> = families
        .into_iter()
        .map(|family| SessionView::new(family, current))
        .collect();
    // Devices and addresses are personal data: no cache keeps them.
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(serde_json::json!({ "sessions": sessions })),
    )
        .into_response()
}

/// `DELETE /auth/sessions/{id}`: ends one of the caller's sign-ins; its
/// access and refresh tokens stop working. Another subject's id is `404`,
/// like an unknown one, and ends nothing: ids cannot be probed.
pub async fn end(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(id): PathParams<String>,
) -> Response {
    match state
        .auth
        .tokens()
        .end_family(principal.subject(), &id)
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => Problem::not_found()
            .with_detail("you have no sign-in with this id")
            .into_response(),
        Err(error) => {
            tracing::warn!(target: "secure_api", %error, "ending a sign-in failed");
            unavailable("the token store is unavailable; retry shortly")
        }
    }
}
