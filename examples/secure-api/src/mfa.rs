//! The second factor: `POST /auth/mfa/enroll`, `POST /auth/mfa/confirm`, and
//! the MFA step of login ([`second_factor`]).
//!
//! State lives in memory, or in Redis when `REDIS_URL` is set, so every
//! instance sees an enrolment and counts wrong codes once. TOTP secrets are
//! sealed under `RAMPART_MFA_KEY` (base64, 32 bytes); without it a key is
//! generated at start-up and enrolments do not survive a restart.

use crate::config::{AppConfig, ConfigError};
use crate::extract::JsonBody;
use crate::routes::auth::SecretText;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, StatusCode, header};
use rampart_auth::axum::Authenticated;
use rampart_auth::mfa::{Mfa, MfaError, MfaKey, RedisMfaStore};
use rampart_core::redis::RedisConnection;
use rampart_core::{Problem, STORE_RETRY_AFTER_SECS, SharedSink};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The issuer authenticator apps show beside the account.
pub const ISSUER: &str = "secure-api";

/// Builds the MFA service and says, for the start-up lines, where its state
/// lives and where its key came from.
///
/// # Errors
/// A [`ConfigError`] when `RAMPART_MFA_KEY` is not base64 of 32 bytes.
pub fn build(
    config: &AppConfig,
    sink: SharedSink,
    redis: Option<&RedisConnection>,
) -> Result<(Mfa, String), ConfigError> {
    let invalid = |e: String| ConfigError::Invalid(e);
    let (key, key_source) = match &config.mfa_key {
        Some(text) => {
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(text.trim())
                    .map_err(|_| invalid("RAMPART_MFA_KEY is not base64".into()))?,
            );
            let key = MfaKey::from_bytes(&bytes).map_err(|e| {
                invalid(format!("RAMPART_MFA_KEY: {e} (`openssl rand -base64 32`)"))
            })?;
            (key, "key from RAMPART_MFA_KEY")
        }
        None => (
            MfaKey::generate().map_err(|e| invalid(e.to_string()))?,
            "generated key: enrolments end with the process (set RAMPART_MFA_KEY)",
        ),
    };
    let mut builder = Mfa::builder(ISSUER, key).event_sink(sink);
    let place = match redis {
        Some(conn) => {
            let store = RedisMfaStore::new(conn.clone(), "secure-api:mfa");
            builder = builder.store(Arc::new(store));
            "Redis"
        }
        None => "in memory",
    };
    let mfa = builder.build().map_err(|e| invalid(format!("[mfa] {e}")))?;
    Ok((mfa, format!("TOTP + backup codes, {place}, {key_source}")))
}

fn no_store(body: Json<serde_json::Value>) -> Response {
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

fn unauthorized(error: &'static str, detail: &'static str) -> Response {
    Problem::unauthorized(HeaderValue::from_static("Bearer realm=\"secure-api\""))
        .with_title("Authentication failed")
        .with_detail(detail)
        .with_extension("error", error)
        .into_response()
}

/// The answer to an MFA failure that is not the code's fault: a lock (`429`),
/// an outage (`503`), or a server-side error (`500`).
fn refusal(error: &MfaError) -> Option<Response> {
    match error {
        MfaError::Locked { retry_after } => Some(
            Problem::too_many_requests(retry_after.as_secs().max(1))
                .with_detail("too many wrong second-factor codes; try again later")
                .with_extension("error", "mfa_locked")
                .into_response(),
        ),
        MfaError::Unavailable(_) => Some(
            Problem::unavailable_retry_after(STORE_RETRY_AFTER_SECS)
                .with_detail("the second-factor store is unavailable; try again shortly")
                .into_response(),
        ),
        MfaError::InvalidCode
        | MfaError::Replayed
        | MfaError::NotEnrolled
        | MfaError::NotPending
        | MfaError::AlreadyEnrolled => None,
        other => {
            tracing::error!(target: "secure_api", error = %other, "second factor failed");
            Some(
                Problem::internal()
                    .with_detail("the second factor could not be checked")
                    .into_response(),
            )
        }
    }
}

/// The MFA step of login, for a user whose password was right: `Ok` when
/// they are not enrolled or sent a right TOTP or backup code (`totp`),
/// otherwise the response to answer — `401 mfa_required` without a code,
/// `401 invalid_mfa_code` for a wrong or reused one, `429` once wrong codes
/// locked the second factor, `503` when its store is down (fail closed).
pub async fn second_factor(
    state: &AppState,
    user: &str,
    totp: Option<&str>,
) -> Result<(), Response> {
    let enrolled = match state.mfa.is_enrolled(user).await {
        Ok(enrolled) => enrolled,
        Err(error) => {
            return Err(refusal(&error).unwrap_or_else(|| Problem::internal().into_response()));
        }
    };
    if !enrolled {
        return Ok(());
    }
    let Some(code) = totp.filter(|c| !c.is_empty()) else {
        return Err(unauthorized(
            "mfa_required",
            "this account needs a second factor: send `totp` with a code from the authenticator app or a backup code",
        ));
    };
    match state.mfa.verify(user, code).await {
        Ok(verified) => {
            tracing::info!(target: "secure_api", ?verified, "second factor accepted");
            Ok(())
        }
        Err(error) => Err(refusal(&error).unwrap_or_else(|| {
            unauthorized(
                "invalid_mfa_code",
                "the second-factor code is wrong or was already used",
            )
        })),
    }
}

/// `POST /auth/mfa/enroll`: a new secret, its `otpauth://` URI and QR code,
/// and ten backup codes, shown this once. Pending until confirmed.
pub async fn enroll(State(state): State<AppState>, Authenticated(who): Authenticated) -> Response {
    match state.mfa.enroll(who.subject()).await {
        Ok(enrollment) => {
            let codes: Vec<&str> = enrollment.backup_codes.iter().map(|c| c.as_str()).collect();
            no_store(Json(json!({
                "secret": enrollment.secret.to_base32().as_str(),
                "otpauth_uri": enrollment.uri.as_str(),
                "qr_svg": enrollment.qr_svg.as_str(),
                "backup_codes": codes,
            })))
        }
        Err(MfaError::AlreadyEnrolled) => Problem::new(StatusCode::CONFLICT)
            .with_detail("MFA is already enabled for this account")
            .with_extension("error", "mfa_already_enabled")
            .into_response(),
        Err(error) => refusal(&error).unwrap_or_else(|| Problem::internal().into_response()),
    }
}

/// `POST /auth/mfa/confirm` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    code: SecretText,
}

/// `POST /auth/mfa/confirm`: activates the pending enrolment with a first
/// code → `204`; from then on login needs a second factor.
pub async fn confirm(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    JsonBody(body): JsonBody<ConfirmRequest>,
) -> Response {
    match state.mfa.confirm(who.subject(), &body.code).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(MfaError::InvalidCode) => Problem::bad_request()
            .with_detail("the code does not match the new secret")
            .with_extension("error", "invalid_mfa_code")
            .into_response(),
        Err(MfaError::NotPending) => Problem::new(StatusCode::CONFLICT)
            .with_detail("there is no MFA enrolment to confirm; enrol first")
            .with_extension("error", "mfa_not_pending")
            .into_response(),
        Err(MfaError::AlreadyEnrolled) => Problem::new(StatusCode::CONFLICT)
            .with_detail("MFA is already enabled for this account")
            .with_extension("error", "mfa_already_enabled")
            .into_response(),
        Err(error) => refusal(&error).unwrap_or_else(|| Problem::internal().into_response()),
    }
}
