//! `POST /auth/password`: a signed-in user changes their password; and
//! `POST /auth/password/expired`: a user whose password expired changes it
//! before they may sign in.
//!
//! **Why the expired flow needs no token.** A login with an expired password
//! yields no token at all (`403 password_expired`, naming this route). The
//! user then sends their username, the expired password, the second factor
//! when enrolled, and the new password, in one request: the same proof a
//! login asks for, under the same login throttle. A restricted token would
//! be one more credential to scope, store and revoke for no gain. The route
//! refuses a password that has not expired, so it is no way around a
//! signed-in change's checks.
//!
//! Both end the user's other sign-ins: the signed-in change keeps the
//! caller's own refresh family and ends the rest ("log out everywhere
//! else"); the expired change ends all of them.

use crate::extract::JsonBody;
use crate::logging::untrusted;
use crate::routes::auth::{
    MAX_USERNAME_BYTES, SecretText, busy, throttled, unauthorized, unavailable,
};
use crate::state::AppState;
use crate::users::{Change, ChangeKind, Login};
use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rampart_auth::axum::Authenticated;
use rampart_auth::password::PasswordError;
use rampart_core::{ClientIp, EventKind, Problem, SecurityEvent};
use serde::Deserialize;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};

/// The problem `type` of an expired password: clients branch on it.
pub const PASSWORD_EXPIRED_TYPE: &str = "https://rampart.dev/problems/password-expired";

/// Where an expired password is changed.
pub const EXPIRED_CHANGE_ROUTE: &str = "/auth/password/expired";

/// `POST /auth/password` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    current_password: SecretText,
    new_password: SecretText,
}

/// `POST /auth/password/expired` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiredChangeRequest {
    username: String,
    current_password: SecretText,
    new_password: SecretText,
    /// A TOTP or backup code; needed once the user has confirmed MFA.
    #[serde(default)]
    totp: Option<SecretText>,
}

/// The login's answer to a right but expired password: `403` whose `type`
/// and `change_password` extension name the route that changes it.
pub fn expired_problem() -> Response {
    Problem::forbidden()
        .with_type(PASSWORD_EXPIRED_TYPE)
        .with_title("Password expired")
        .with_detail(
            "the password is older than the policy allows; change it with POST /auth/password/expired \
             (username, current_password, new_password, and totp when enrolled), then sign in",
        )
        .with_extension("error", "password_expired")
        .with_extension("change_password", EXPIRED_CHANGE_ROUTE)
        .into_response()
}

fn client_ip(client: Option<Extension<ClientIp>>) -> IpAddr {
    client.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |Extension(c)| c.ip())
}

/// Changes the signed-in caller's password and ends their other sign-ins.
pub async fn change(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    client: Option<Extension<ClientIp>>,
    JsonBody(body): JsonBody<ChangeRequest>,
) -> Response {
    let subject = principal.subject().to_owned();
    let ip = client_ip(client);
    let outcome = checked_change(
        &state,
        &subject,
        ip,
        &body.current_password,
        &body.new_password,
        ChangeKind::SignedIn,
    )
    .await;
    if let Err(refused) = outcome {
        return refused;
    }
    finish(&state, &subject, principal.session_id()).await
}

/// Changes an expired password, with the proof a login needs.
pub async fn change_expired(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    JsonBody(body): JsonBody<ExpiredChangeRequest>,
) -> Response {
    if body.username.len() > MAX_USERNAME_BYTES {
        return Problem::bad_request()
            .with_detail("the username is longer than 256 bytes")
            .into_response();
    }
    let ip = client_ip(client);
    // The login's own checks first, in its order: throttle, password, then
    // the second factor; only a right, expired password goes on.
    let throttle = &state.login_throttle;
    let decision = throttle.check(&body.username, ip).await;
    if !decision.is_allowed() {
        return throttled(&decision);
    }
    match state
        .users
        .authenticate(&body.username, &body.current_password)
        .await
    {
        Ok(Login::MustChange) => {}
        Ok(Login::Accepted(_)) => return not_expired(),
        Ok(Login::Refused) | Err(PasswordError::TooLongForBcrypt { .. }) => {
            return wrong_current(&state, &body.username, ip, ChangeKind::Expired).await;
        }
        Err(PasswordError::Busy(refusal)) => return busy(refusal.retry_after()),
        Err(error) => {
            tracing::error!(target: "secure_api", %error, "password check failed");
            return unavailable("the password check could not run; try again shortly");
        }
    }
    if let Err(refused) =
        crate::mfa::second_factor(&state, &body.username, body.totp.as_deref()).await
    {
        return refused;
    }
    if let Err(refused) = checked_change(
        &state,
        &body.username,
        ip,
        &body.current_password,
        &body.new_password,
        ChangeKind::Expired,
    )
    .await
    {
        return refused;
    }
    finish(&state, &body.username, None).await
}

/// The checks both routes share, in the login's order: throttle, current
/// password (and, for an expired one, the second factor), policy.
async fn checked_change(
    state: &AppState,
    username: &str,
    ip: IpAddr,
    current: &str,
    new: &str,
    kind: ChangeKind,
) -> Result<(), Response> {
    let throttle = &state.login_throttle;
    let decision = throttle.check(username, ip).await;
    if !decision.is_allowed() {
        return Err(throttled(&decision));
    }
    let change = state
        .users
        .change_password(username, current, new, kind)
        .await;
    match change {
        Ok(Change::Done) => {
            throttle.record_success(username, ip).await;
            Ok(())
        }
        Ok(Change::WrongCurrent) => Err(wrong_current(state, username, ip, kind).await),
        Ok(Change::NotExpired) => Err(not_expired()),
        Ok(Change::Rejected(violations)) => {
            throttle.record_success(username, ip).await;
            let rules: Vec<_> = violations
                .iter()
                .map(|v| json!({"rule": v.rule().code(), "message": v.message()}))
                .collect();
            Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY)
                .with_title("Password not accepted")
                .with_detail("the new password breaks the password policy; see `violations`")
                .with_extension("error", "password_policy")
                .with_extension("violations", rules)
                .into_response())
        }
        Err(PasswordError::Busy(refusal)) => Err(busy(refusal.retry_after())),
        Err(error) => {
            tracing::error!(target: "secure_api", %error, "password change failed");
            Err(unavailable(
                "the password check could not run; try again shortly",
            ))
        }
    }
}

/// A wrong current password: counted by the login throttle like a failed
/// login, since it is one more guess at the password.
async fn wrong_current(state: &AppState, username: &str, ip: IpAddr, kind: ChangeKind) -> Response {
    tracing::info!(target: "secure_api", user = %untrusted(username), "password change refused: wrong current password");
    crate::audit::login_failed(&state.events, username, ip);
    let decision = state.login_throttle.record_failure(username, ip).await;
    if matches!(decision, rampart_ratelimit::LoginDecision::Unavailable) {
        return throttled(&decision);
    }
    match kind {
        ChangeKind::SignedIn => Problem::forbidden()
            .with_title("Password not changed")
            .with_detail("the current password is wrong")
            .with_extension("error", "invalid_current_password")
            .into_response(),
        ChangeKind::Expired => {
            unauthorized("invalid_credentials", "unknown user or wrong password")
        }
    }
}

fn not_expired() -> Response {
    Problem::forbidden()
        .with_title("Password not expired")
        .with_detail("this password has not expired: sign in and use POST /auth/password")
        .with_extension("error", "password_not_expired")
        .into_response()
}

/// After a change: the user's other sign-ins end (all of them but `keep`),
/// and the change is reported.
async fn finish(state: &AppState, username: &str, keep: Option<&str>) -> Response {
    let ended = match state.auth.tokens().end_families(username, keep).await {
        Ok(n) => n,
        Err(error) => {
            // The password is changed; the other sign-ins are not yet ended.
            tracing::error!(target: "secure_api", %error, "ending other sign-ins after a password change failed");
            return unavailable(
                "the password was changed, but other sign-ins could not be ended; change it again shortly",
            );
        }
    };
    state.events.emit(
        SecurityEvent::new(
            EventKind::ConfigurationChanged,
            "secure_api",
            "password changed; other sign-ins ended",
        )
        .with_subject(username)
        .with_field("change", "password")
        .with_field("sessions_ended", ended),
    );
    StatusCode::NO_CONTENT.into_response()
}
