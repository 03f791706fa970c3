//! A server-rendered axum app signing users in with rampart sessions.
//!
//! The stack, outermost first: security headers (a CSP whose only script is
//! the security-key page's, loaded with a per-response nonce), client IP,
//! CSRF (Fetch Metadata, then `Origin`), sessions, routes.
//! The session cookie is `__Host-session`: `Secure`, `HttpOnly`,
//! `SameSite=Strict`, `Path=/`. Signing in rotates the session id (the
//! pre-login cookie stops working), signing out ends it, and
//! `POST /sessions/revoke-all` ends every session of the user.
//!
//! Users may register security keys (WebAuthn) on `/security-keys`; from
//! then on signing in asks for one after the password (see [`second_factor`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod pages;
pub mod second_factor;
pub mod users;

use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_auth::password::{PasswordError, PasswordVerifier};
use rampart_auth::session::{
    MemorySessionStore, Session, SessionError, SessionLayer, SessionManager, SessionPolicy,
    SharedSessionStore,
};
use rampart_auth::webauthn::{MemoryWebAuthnStore, SharedWebAuthnStore, WebAuthnMfa};
use rampart_core::{
    ClientIpLayer, Problem, SharedClock, SharedSink, SystemClock, TracingSink, TrustedProxies,
};
use rampart_headers::{
    ContentSecurityPolicy, CsrfLayer, CsrfPolicy, PermissionsPolicy, SecurityHeaders,
    SecurityHeadersLayer,
};
use serde::Deserialize;
use std::sync::Arc;
use users::Directory;

/// What the app is built from.
#[derive(Clone)]
pub struct Options {
    /// Where sessions live.
    pub store: SharedSessionStore,
    /// Where time comes from (a manual clock in tests).
    pub clock: SharedClock,
    /// Timeouts and the per-user limit.
    pub policy: SessionPolicy,
    /// Take requests without Fetch Metadata to be for `http://` (local
    /// development without TLS). Default: off.
    pub insecure_plain_http: bool,
    /// Where security events go.
    pub sink: SharedSink,
    /// The WebAuthn relying party id: the domain security keys are bound to.
    pub rp_id: String,
    /// The origin the app's pages are served from, as the browser sees it
    /// (`http://localhost:<port>` in development, `https://...` otherwise).
    pub rp_origin: String,
    /// Where registered security keys live.
    pub webauthn_store: SharedWebAuthnStore,
}

impl Options {
    /// In-memory sessions, the system clock, default policy.
    pub fn memory() -> Self {
        Self {
            store: Arc::new(MemorySessionStore::new()),
            clock: SystemClock::shared(),
            policy: SessionPolicy::default(),
            insecure_plain_http: false,
            sink: TracingSink::shared(),
            rp_id: "localhost".into(),
            rp_origin: "http://localhost:8080".into(),
            webauthn_store: Arc::new(MemoryWebAuthnStore::new()),
        }
    }
}

/// Why the app could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A layer's configuration was refused.
    #[error("configuration: {0}")]
    Config(String),
    /// The demo users could not be hashed.
    #[error("password hashing: {0}")]
    Password(#[from] PasswordError),
}

pub(crate) struct AppState {
    directory: Directory,
    sessions: SessionManager,
    webauthn: WebAuthnMfa,
    clock: SharedClock,
}

/// The router (serve it with `into_make_service_with_connect_info::<SocketAddr>()`
/// so the client IP is known) and the session manager behind it.
///
/// # Errors
/// A [`BuildError`] when a layer's configuration is refused.
pub fn build(options: Options) -> Result<(Router, SessionManager), BuildError> {
    let config = |e: &dyn std::fmt::Display| BuildError::Config(e.to_string());
    let verifier = PasswordVerifier::builder()
        .build()
        .map_err(|e| config(&e))?;
    let directory = Directory::demo(verifier)?;
    let sessions = SessionManager::builder(options.store)
        .policies(options.policy)
        .clock(options.clock.clone())
        .event_sink(options.sink.clone())
        .build();
    let webauthn = WebAuthnMfa::builder(options.rp_id, options.rp_origin, "rampart session-app")
        .store(options.webauthn_store)
        .clock(options.clock.clone())
        .event_sink(options.sink.clone())
        .build()
        .map_err(|e| config(&e))?;
    let csrf = CsrfPolicy::builder()
        .insecure_plain_http(options.insecure_plain_http)
        .build()
        .map_err(|e| config(&e))?;
    let headers = SecurityHeaders::builder()
        .csp(
            ContentSecurityPolicy::new()
                .default_src(["'none'"])
                .script_src(["'nonce'"])
                .connect_src(["'self'"])
                .form_action(["'self'"])
                .base_uri(["'none'"])
                .frame_ancestors(["'none'"]),
        )
        // The security-key pages call WebAuthn from this origin only.
        .permissions_policy(
            PermissionsPolicy::default()
                .allow_self("publickey-credentials-get")
                .allow_self("publickey-credentials-create"),
        )
        .build()
        .map_err(|e| config(&e))?;
    let state = Arc::new(AppState {
        directory,
        sessions: sessions.clone(),
        webauthn,
        clock: options.clock,
    });
    let router = Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/sessions", get(list_sessions))
        .route("/sessions/revoke-all", post(revoke_all))
        .merge(second_factor::routes())
        .with_state(state)
        .layer(SessionLayer::new(sessions.clone()).event_sink(options.sink.clone()))
        .layer(CsrfLayer::new(csrf).event_sink(options.sink))
        .layer(ClientIpLayer::new(TrustedProxies::none()))
        .layer(SecurityHeadersLayer::new(headers));
    Ok((router, sessions))
}

pub(crate) fn unavailable() -> Response {
    Problem::unavailable_retry_after(rampart_core::STORE_RETRY_AFTER_SECS)
        .with_detail("sign-in is temporarily unavailable")
        .into_response()
}

async fn home(session: Session) -> Response {
    match session.principal() {
        Some(p) => Html(pages::home(p.subject(), p.tenant())).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

async fn login_form(session: Session) -> Response {
    if session.principal().is_some() {
        return Redirect::to("/").into_response();
    }
    // Where to go after signing in: kept in a pre-login session, whose id
    // signing in replaces.
    if session.insert("next", "/").is_err() {
        return unavailable();
    }
    Html(pages::login(None)).into_response()
}

/// The sign-in form's fields.
#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    session: Session,
    Form(mut form): Form<LoginForm>,
) -> Response {
    let outcome = state
        .directory
        .authenticate(form.username.trim(), &form.password)
        .await;
    zeroize::Zeroize::zeroize(&mut form.password);
    let principal = match outcome {
        Ok(Some(p)) => p,
        Ok(None) => {
            let page = pages::login(Some("Wrong username or password."));
            return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
        }
        Err(PasswordError::Busy(_)) => return unavailable(),
        Err(_) => return Problem::internal().into_response(),
    };
    let next: String = session.get("next").unwrap_or_else(|| "/".into());
    match second_factor::begin(&state, &session, &principal, &next).await {
        Ok(true) => {
            session.remove("next");
            return Redirect::to("/login/second-factor").into_response();
        }
        Ok(false) => {}
        Err(refused) => return refused,
    }
    match session.login(principal).await {
        Ok(()) => {
            session.remove("next");
            Redirect::to(local_path(&next)).into_response()
        }
        Err(SessionError::LimitReached) => {
            let page = pages::login(Some(
                "Too many active sessions: sign out on another device first.",
            ));
            (StatusCode::TOO_MANY_REQUESTS, Html(page)).into_response()
        }
        Err(_) => unavailable(),
    }
}

/// `next` if it is a path on this site, else `/`: an open redirect would
/// otherwise be one form field away.
pub(crate) fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

async fn logout(session: Session) -> Response {
    match session.destroy().await {
        Ok(()) => Redirect::to("/login").into_response(),
        Err(_) => unavailable(),
    }
}

async fn list_sessions(State(state): State<Arc<AppState>>, session: Session) -> Response {
    let Some(p) = session.principal() else {
        return Redirect::to("/login").into_response();
    };
    let current = session.handle();
    match state.sessions.list(p.subject()).await {
        Ok(mut list) => {
            for s in &mut list {
                s.current = current.as_deref() == Some(s.handle.as_str());
            }
            Html(pages::sessions(&list)).into_response()
        }
        Err(_) => unavailable(),
    }
}

async fn revoke_all(State(state): State<Arc<AppState>>, session: Session) -> Response {
    let Some(p) = session.principal() else {
        return Redirect::to("/login").into_response();
    };
    if state.sessions.destroy_all(p.subject()).await.is_err() {
        return unavailable();
    }
    // This browser's session went with the others; clear its cookie too.
    let _ = session.destroy().await;
    Redirect::to("/login").into_response()
}
