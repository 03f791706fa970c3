//! `/auth/*`: login, refresh rotation, logout; and `GET /api/me`.

use crate::extract::JsonBody;
use crate::logging::untrusted;
use crate::state::AppState;
use crate::users::{Login, UserDirectory};
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use rampart_auth::axum::Authenticated;
use rampart_auth::password::PasswordError;
use rampart_auth::revocation::FamilyClient;
use rampart_auth::{
    RefreshClaims, RefreshError, Revalidate, Revalidation, Standing, StoreError, TokenPair,
    TokenRequest,
};
use rampart_core::{ClientIp, Principal, Problem, ProblemResponse, STORE_RETRY_AFTER_SECS};
use rampart_ratelimit::LoginDecision;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
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
    /// A TOTP or backup code; needed once the user has confirmed MFA.
    #[serde(default)]
    totp: Option<SecretText>,
}

/// `POST /auth/refresh` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: SecretText,
}

pub(crate) fn unauthorized(error: &'static str, detail: &'static str) -> Response {
    Problem::unauthorized(HeaderValue::from_static("Bearer realm=\"secure-api\""))
        .with_title("Authentication failed")
        .with_detail(detail)
        .with_extension("error", error)
        .into_response()
}

/// `503` with `Retry-After`: the request was fine, a store behind it was not,
/// and the same request may succeed shortly.
pub(crate) fn unavailable(detail: &'static str) -> Response {
    Problem::unavailable_retry_after(STORE_RETRY_AFTER_SECS)
        .with_detail(detail)
        .into_response()
}

/// A token response: JSON, never stored by a cache or the browser
/// (RFC 6749 §5.1: `Cache-Control: no-store`, and `Pragma: no-cache` for
/// HTTP/1.0 caches).
pub fn token_response(pair: TokenPair) -> Response {
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        Json(pair),
    )
        .into_response()
}

pub(crate) fn busy(retry_after: std::time::Duration) -> Response {
    Problem::unavailable()
        .with_detail("too many sign-ins are being checked right now; retry shortly")
        .with_header(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after.as_secs().max(1)),
        )
        .into_response()
}

/// The longest username accepted, in bytes. The login throttle keys its
/// counters on usernames, and a flood of megabyte-long made-up names must not
/// become megabytes of counters.
pub const MAX_USERNAME_BYTES: usize = 256;

/// The throttle's refusal: `429` + `Retry-After` (the same for a locked
/// account and a blocked address), or `503` when its store is down.
pub(crate) fn throttled(decision: &LoginDecision) -> Response {
    rampart_core::reject(&ProblemResponse, *decision)
}

/// Checks the password and answers a fresh token pair.
///
/// The login throttle runs first: a locked username or blocked address is
/// refused before any password hashing, whether the password is right or not.
pub async fn login(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Response {
    if body.username.len() > MAX_USERNAME_BYTES {
        return Problem::bad_request()
            .with_detail("the username is longer than 256 bytes")
            .into_response();
    }
    let username = untrusted(&body.username);
    // Without a resolved address (not served over TCP) all such requests share one.
    let known_ip = client.map(|Extension(c)| c.ip());
    let ip = known_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let throttle = &state.login_throttle;
    let decision = throttle.check(&body.username, ip).await;
    if !decision.is_allowed() {
        tracing::info!(target: "secure_api", username = %username, "login throttled");
        return throttled(&decision);
    }
    let user = match state
        .users
        .authenticate(&body.username, &body.password)
        .await
    {
        Ok(Login::Accepted(user)) => user,
        // A bcrypt hash cannot check more than 72 bytes: refused like a wrong
        // password, so the answer does not tell which users have such hashes.
        Ok(Login::Refused) | Err(PasswordError::TooLongForBcrypt { .. }) => {
            tracing::info!(target: "secure_api", username = %username, "login refused");
            crate::audit::login_failed(&state.events, &body.username, ip);
            let decision = throttle.record_failure(&body.username, ip).await;
            if matches!(decision, LoginDecision::Unavailable) {
                return throttled(&decision);
            }
            return unauthorized("invalid_credentials", "unknown user or wrong password");
        }
        Ok(Login::MustChange) => {
            // The password was right: the failure count starts over, but no token is issued.
            throttle.record_success(&body.username, ip).await;
            tracing::info!(target: "secure_api", username = %username, "login refused: password expired");
            return crate::routes::password::expired_problem();
        }
        Err(PasswordError::Busy(refusal)) => {
            tracing::warn!(target: "secure_api", username = %username, "login refused: password checks saturated");
            return busy(refusal.retry_after());
        }
        Err(error) => {
            tracing::error!(target: "secure_api", %error, "password check failed");
            return unavailable("the password check could not run; try again shortly");
        }
    };
    throttle.record_success(&body.username, ip).await;
    if let Err(refused) =
        crate::mfa::second_factor(&state, &user.username, body.totp.as_deref()).await
    {
        return refused;
    }
    let mut request = TokenRequest::new(user.username.clone())
        .roles(user.roles.clone())
        .client(sign_in_client(&headers, known_ip));
    if let Some(tenant) = &user.tenant {
        request = request.tenant(tenant.clone());
    }
    match state.auth.tokens().issue_pair(&request).await {
        Ok(pair) => token_response(pair),
        Err(_) => unavailable("the token store is unavailable; try again shortly"),
    }
}

/// The device facts `GET /auth/sessions` shows for this sign-in, so a user
/// can tell their sign-ins apart before ending one. The user agent is the
/// client's word, shown back only to the same user.
fn sign_in_client(headers: &HeaderMap, ip: Option<IpAddr>) -> FamilyClient {
    let mut client = FamilyClient::new();
    if let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        client = client.user_agent(agent);
    }
    if let Some(ip) = ip {
        client = client.ip(ip);
    }
    client
}

/// Exchanges a refresh token for the next pair; a reused one revokes its family.
///
/// Only a token the client must give up is `401 invalid_grant`: OAuth clients
/// drop the session on it. A store or directory outage is `503` with
/// `Retry-After`, and the same refresh token works once the store is back.
pub async fn refresh(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> Response {
    let error = match state.auth.tokens().refresh(&body.refresh_token, None).await {
        Ok(pair) => return token_response(pair),
        Err(error) => error,
    };
    let detail = match &error {
        RefreshError::Unavailable(cause) => {
            tracing::warn!(target: "secure_api", %cause, "refresh deferred: store unavailable");
            return unavailable("the token store is unavailable; retry this refresh shortly");
        }
        e if !e.is_invalid_grant() => {
            tracing::error!(target: "secure_api", error = %e, "refresh failed");
            return Problem::internal()
                .with_detail("the refresh could not be completed")
                .into_response();
        }
        RefreshError::Reused => {
            "this refresh token was already used; the session is revoked, sign in again"
        }
        RefreshError::UserRefused => "the account may no longer sign in; the session is revoked",
        RefreshError::FamilyRevoked => "the session was revoked or has ended; sign in again",
        _ => "the refresh token is not valid",
    };
    tracing::info!(target: "secure_api", code = error.code(), "refresh refused");
    unauthorized("invalid_grant", detail)
}

/// The refresh re-validation: every refresh looks the user up in the
/// directory again, so a user removed from it cannot refresh, and one whose
/// roles or tenant changed gets the current ones, not those of the sign-in.
pub fn revalidate_in(users: Arc<UserDirectory>) -> impl Revalidate {
    move |claims: &RefreshClaims| {
        let standing = users
            .get(claims.subject())
            .map(|user| Standing::roles(user.roles.clone()).tenant(user.tenant.clone()));
        async move {
            Ok::<_, StoreError>(match standing {
                Some(standing) => Revalidation::Allow(standing),
                None => Revalidation::Refuse,
            })
        }
    }
}

/// Revokes the caller's access token and its whole refresh family.
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Response {
    match state.auth.tokens().logout(&principal).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => unavailable("the token store is unavailable; retry this logout shortly"),
    }
}

/// The caller, as the auth layer saw it.
pub async fn me(Authenticated(principal): Authenticated) -> Json<Principal> {
    Json(principal)
}
