//! `/auth/*`: login, refresh rotation, logout; and `GET /api/me`.

use crate::extract::JsonBody;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use rampart_auth::axum::Authenticated;
use rampart_auth::{RefreshError, TokenPair, TokenRequest};
use rampart_core::{Principal, Problem};
use serde::Deserialize;
use zeroize::Zeroize;

/// A credential from a request body, wiped from memory when dropped and never printed.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl Drop for SecretText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::ops::Deref for SecretText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// `POST /auth/login` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: SecretText,
    /// Accepted for the login contract; needed once a user has enrolled in MFA.
    #[serde(default)]
    #[allow(dead_code)]
    totp: Option<SecretText>,
}

/// `POST /auth/refresh` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: SecretText,
}

fn unauthorized(error: &'static str, detail: &'static str) -> Response {
    Problem::unauthorized(HeaderValue::from_static("Bearer realm=\"secure-api\""))
        .with_title("Authentication failed")
        .with_detail(detail)
        .with_extension("error", error)
        .into_response()
}

fn unavailable() -> Response {
    Problem::unavailable()
        .with_detail("the token store is unavailable; try again shortly")
        .into_response()
}

/// Checks the password and answers a fresh token pair.
pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Response {
    let users = state.users.clone();
    // argon2 takes tens of milliseconds: keep it off the async workers.
    let username = body.username.clone();
    let user = tokio::task::spawn_blocking(move || {
        users.authenticate(&body.username, &body.password).cloned()
    })
    .await
    .ok()
    .flatten();
    let Some(user) = user else {
        tracing::info!(target: "secure_api", username = %username, "login refused");
        return unauthorized("invalid_credentials", "unknown user or wrong password");
    };
    let mut request = TokenRequest::new(user.username.clone()).roles(user.roles.clone());
    if let Some(tenant) = &user.tenant {
        request = request.tenant(tenant.clone());
    }
    match state.auth.tokens().issue_pair(&request).await {
        Ok(pair) => Json(pair).into_response(),
        Err(_) => unavailable(),
    }
}

/// Exchanges a refresh token for the next pair; a reused one revokes its family.
pub async fn refresh(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> Result<Json<TokenPair>, Response> {
    match state.auth.tokens().refresh(&body.refresh_token, None).await {
        Ok(pair) => Ok(Json(pair)),
        Err(RefreshError::Reused | RefreshError::FamilyRevoked) => Err(unauthorized(
            "invalid_grant",
            "this refresh token was already used; the session is revoked, sign in again",
        )),
        Err(RefreshError::Store(_) | RefreshError::Issue(_)) => Err(unavailable()),
        Err(_) => Err(unauthorized(
            "invalid_grant",
            "the refresh token is not valid",
        )),
    }
}

/// Revokes the caller's access token and its whole refresh family.
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Response {
    match state.auth.tokens().logout(&principal).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => unavailable(),
    }
}

/// The caller, as the auth layer saw it.
pub async fn me(Authenticated(principal): Authenticated) -> Json<Principal> {
    Json(principal)
}
