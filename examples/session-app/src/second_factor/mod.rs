//! Security keys (WebAuthn) as a second factor.
//!
//! A user with a registered key who gives the right password is not signed
//! in yet: the session id is rotated and the session records a *pending
//! second factor* for them (no principal, so every page still treats it as
//! signed out). `/login/second-factor` asks for the key; only a verified
//! assertion signs the session in, with a fresh id again. The pending step
//! lasts [`PENDING_SECS`] and allows [`MAX_FAILURES`] refused assertions,
//! then the password is asked again.
//!
//! The ceremony id lives in the server-side session, never in the page; the
//! browser only sees the WebAuthn options and posts back the credential as
//! JSON to this origin (the CSRF layer refuses cross-site posts, and a JSON
//! body cannot come from a plain cross-site form).

pub mod pages;

use crate::{AppState, unavailable};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use rampart_auth::session::{Session, SessionError};
use rampart_auth::webauthn::{Challenge, WebAuthnError};
use rampart_core::{Principal, Problem};
use rampart_headers::CspNonce;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// How long the step between password and security key may take, seconds.
pub const PENDING_SECS: u64 = 300;

/// Refused assertions allowed in one pending step before the password is
/// asked again.
pub const MAX_FAILURES: u32 = 5;

/// Session key of the pending second factor.
const PENDING: &str = "second_factor";
/// Session key of the ceremony in progress.
const CEREMONY: &str = "webauthn_ceremony";

/// The pending second factor, as the session keeps it.
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    user: String,
    since: u64,
    next: String,
    failures: u32,
}

/// The routes of this module.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/static/webauthn.js", get(script))
        .route("/security-keys", get(list).post(register_finish))
        .route("/security-keys/options", post(register_start))
        .route("/security-keys/remove", post(remove))
        .route(
            "/login/second-factor",
            get(second_factor_page).post(authenticate_finish),
        )
        .route("/login/second-factor/options", post(authenticate_start))
}

/// After a right password: `Ok(true)` when `principal` has a security key,
/// in which case the session now waits for it (and has a new id).
pub(crate) async fn begin(
    state: &AppState,
    session: &Session,
    principal: &Principal,
    next: &str,
) -> Result<bool, Response> {
    let user = principal.subject();
    match state.webauthn.has_credentials(user).await {
        Ok(false) => return Ok(false),
        Ok(true) => {}
        Err(_) => return Err(unavailable()),
    }
    // The password was right: a new id, so a planted pre-login id is worth
    // nothing, even halfway.
    if session.rotate().await.is_err() {
        return Err(unavailable());
    }
    let pending = PendingLogin {
        user: user.to_owned(),
        since: state.clock.unix_secs(),
        next: next.to_owned(),
        failures: 0,
    };
    session
        .insert(PENDING, pending)
        .map_err(|_| Problem::internal().into_response())?;
    Ok(true)
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("webauthn.js"),
    )
        .into_response()
}

/// The pending login of this session, if it is still in time.
fn pending(state: &AppState, session: &Session) -> Option<PendingLogin> {
    let p: PendingLogin = session.get(PENDING)?;
    if state.clock.unix_secs().saturating_sub(p.since) > PENDING_SECS {
        session.remove(PENDING);
        return None;
    }
    Some(p)
}

fn sign_in_first() -> Response {
    Problem::new(StatusCode::UNAUTHORIZED)
        .with_detail("sign in with your password first")
        .with_extension("code", "password_required")
        .into_response()
}

async fn second_factor_page(
    State(state): State<Arc<AppState>>,
    session: Session,
    nonce: Option<axum::Extension<CspNonce>>,
) -> Response {
    let (Some(_), Some(axum::Extension(nonce))) = (pending(&state, &session), nonce) else {
        return Redirect::to("/login").into_response();
    };
    Html(pages::second_factor(&nonce)).into_response()
}

async fn authenticate_start(State(state): State<Arc<AppState>>, session: Session) -> Response {
    let Some(p) = pending(&state, &session) else {
        return sign_in_first();
    };
    offer(&session, state.webauthn.start_authentication(&p.user).await)
}

async fn authenticate_finish(
    State(state): State<Arc<AppState>>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(mut p) = pending(&state, &session) else {
        return sign_in_first();
    };
    let response = match json_body(&headers, &body) {
        Ok(text) => text,
        Err(status) => return body_problem(status),
    };
    let Some(ceremony) = session.remove(CEREMONY) else {
        return problem(&WebAuthnError::CeremonyNotFound);
    };
    let ceremony = ceremony.as_str().unwrap_or_default().to_owned();
    if let Err(e) = state
        .webauthn
        .finish_authentication(&p.user, &ceremony, response)
        .await
    {
        if e.is_client_error() {
            p.failures += 1;
            if p.failures >= MAX_FAILURES {
                session.remove(PENDING);
            } else if session.insert(PENDING, &p).is_err() {
                return Problem::internal().into_response();
            }
        }
        return problem(&e);
    }
    session.remove(PENDING);
    let Some(principal) = state.directory.principal(&p.user) else {
        // Disabled while the key was being found.
        let _ = session.destroy().await;
        return sign_in_first();
    };
    match session.login(principal).await {
        Ok(()) => Json(json!({ "next": crate::local_path(&p.next) })).into_response(),
        Err(SessionError::LimitReached) => Problem::too_many_requests(60)
            .with_detail("too many active sessions: sign out on another device first")
            .into_response(),
        Err(_) => unavailable(),
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    session: Session,
    nonce: Option<axum::Extension<CspNonce>>,
) -> Response {
    let (Some(p), Some(axum::Extension(nonce))) = (session.principal(), nonce) else {
        return Redirect::to("/login").into_response();
    };
    match state.webauthn.credentials(p.subject()).await {
        Ok(keys) => Html(pages::security_keys(&keys, &nonce)).into_response(),
        Err(_) => unavailable(),
    }
}

async fn register_start(State(state): State<Arc<AppState>>, session: Session) -> Response {
    let Some(p) = session.principal() else {
        return sign_in_first();
    };
    offer(
        &session,
        state.webauthn.start_registration(p.subject()).await,
    )
}

/// Keeps a started ceremony's id in the session and hands its options to
/// the page.
fn offer<O: Serialize>(
    session: &Session,
    started: Result<Challenge<O>, WebAuthnError>,
) -> Response {
    match started {
        Ok(challenge) => {
            if session
                .insert(CEREMONY, challenge.ceremony.as_str())
                .is_err()
            {
                return Problem::internal().into_response();
            }
            Json(challenge.options).into_response()
        }
        Err(e) => problem(&e),
    }
}

/// What the page posts to register a key.
#[derive(Deserialize)]
struct Registration {
    name: String,
    credential: serde_json::Value,
}

async fn register_finish(
    State(state): State<Arc<AppState>>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(p) = session.principal() else {
        return sign_in_first();
    };
    let registration: Registration = match json_body(&headers, &body)
        .and_then(|text| serde_json::from_str(text).map_err(|_| StatusCode::BAD_REQUEST))
    {
        Ok(r) => r,
        Err(status) => return body_problem(status),
    };
    let Some(ceremony) = session.remove(CEREMONY) else {
        return problem(&WebAuthnError::CeremonyNotFound);
    };
    let ceremony = ceremony.as_str().unwrap_or_default().to_owned();
    let credential = registration.credential.to_string();
    match state
        .webauthn
        .finish_registration(p.subject(), &ceremony, &credential, &registration.name)
        .await
    {
        Ok(info) => (
            StatusCode::CREATED,
            Json(json!({ "id": info.id, "name": info.name })),
        )
            .into_response(),
        Err(e) => problem(&e),
    }
}

/// The remove button's form.
#[derive(Deserialize)]
struct RemoveForm {
    id: String,
}

async fn remove(
    State(state): State<Arc<AppState>>,
    session: Session,
    Form(form): Form<RemoveForm>,
) -> Response {
    let Some(p) = session.principal() else {
        return Redirect::to("/login").into_response();
    };
    match state
        .webauthn
        .remove_credential(p.subject(), &form.id)
        .await
    {
        Ok(true) => Redirect::to("/security-keys").into_response(),
        Ok(false) => Problem::not_found()
            .with_detail("you have no security key with this id")
            .into_response(),
        Err(_) => unavailable(),
    }
}

/// The body as JSON text; `415` when it is not declared JSON, `400` when
/// it is not text.
fn json_body<'b>(headers: &HeaderMap, body: &'b Bytes) -> Result<&'b str, StatusCode> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    std::str::from_utf8(body).map_err(|_| StatusCode::BAD_REQUEST)
}

/// The problem for a body [`json_body`] refused.
fn body_problem(status: StatusCode) -> Response {
    let detail = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        "send the credential as application/json"
    } else {
        "the body is not the JSON this endpoint expects"
    };
    Problem::new(status)
        .with_detail(detail)
        .with_extension("code", "malformed_response")
        .into_response()
}

/// A WebAuthn failure as the problem a script can show.
fn problem(e: &WebAuthnError) -> Response {
    let status = match e {
        WebAuthnError::Unavailable(_) => return unavailable(),
        WebAuthnError::Busy => {
            return Problem::unavailable_retry_after(5)
                .with_detail(e.to_string())
                .into_response();
        }
        WebAuthnError::Internal(_) => return Problem::internal().into_response(),
        WebAuthnError::MalformedResponse(_)
        | WebAuthnError::InvalidName(_)
        | WebAuthnError::CeremonyNotFound
        | WebAuthnError::CeremonyExpired
        | WebAuthnError::CeremonyMismatch => StatusCode::BAD_REQUEST,
        WebAuthnError::DuplicateCredential | WebAuthnError::TooManyCredentials { .. } => {
            StatusCode::CONFLICT
        }
        _ => StatusCode::UNAUTHORIZED,
    };
    Problem::new(status)
        .with_detail(e.to_string())
        .with_extension("code", e.code())
        .into_response()
}
