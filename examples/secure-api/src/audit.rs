//! The audit trail: every request and every layer's security event in one
//! hash-chained file (and a PostgreSQL table when `DATABASE_URL` is set),
//! the threat rules that watch it and what they do, and
//! `GET /admin/audit/verify`.
//!
//! Threat rules (`[audit.rules]`, on by default): 20 failed sign-ins from
//! one address in 15 minutes block it from signing in for an hour (in the
//! login throttle); 5 for one account lock it for the `[ratelimit]` lockout
//! (through the revocation store: its tokens are refused, those issued
//! during the lock too); a subject changing their own roles loses their
//! tokens. Alerts and their responses are written into the same chain.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rampart_audit::rules::{Respond, ResponseTask, RuleEngineBuilder};
use rampart_audit::{AuditLayer, AuditLog, AuditTrail};
use rampart_auth::RevocationResponder;
use rampart_core::{
    EventKind, EventSink, Problem, ResponseAction, ResponseError, ResponseFuture, ResponseOutcome,
    SecurityEvent, SecurityResponder, SharedSink, TracingSink,
};
use rampart_ratelimit::LoginThrottle;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long an address that tried 20 wrong sign-ins is blocked from signing in.
pub const BLOCK_CLIENT_FOR: Duration = Duration::from_secs(3600);

/// Reports a refused sign-in (unknown user or wrong password) as
/// `auth.login.failure` for `username` from `ip`: what the brute-force rules
/// count. Nothing else reports it: the login throttle only counts.
pub fn login_failed(sink: &SharedSink, username: &str, ip: IpAddr) {
    let mut event = SecurityEvent::new(
        EventKind::AuthenticationFailed,
        "secure_api::login",
        "unknown user or wrong password",
    )
    .with_subject(username);
    event.client_ip = Some(ip);
    sink.emit(event);
}

/// The login throttle as a responder before it exists: the trail opens
/// first (every layer, the throttle included, reports to it), and the
/// throttle is set into this slot once built.
#[derive(Clone, Default)]
pub struct ThrottleSlot(Arc<OnceLock<LoginThrottle>>);

impl ThrottleSlot {
    /// Hands the built throttle to the responses. Only the first call counts.
    pub fn set(&self, throttle: LoginThrottle) {
        let _ = self.0.set(throttle);
    }
}

impl SecurityResponder for ThrottleSlot {
    fn respond(&self, action: ResponseAction) -> ResponseFuture<'_> {
        match (self.0.get(), &action) {
            (Some(throttle), _) => throttle.respond(action),
            (None, ResponseAction::BlockClient { .. }) => Box::pin(std::future::ready(Err(
                ResponseError("the login throttle is not built yet".into()),
            ))),
            (None, _) => Box::pin(std::future::ready(Ok(ResponseOutcome::Unsupported))),
        }
    }

    fn name(&self) -> &str {
        "rampart::ratelimit::LoginThrottle"
    }
}

/// The app's automated responses: brute force from an address blocks it in
/// the login throttle for [`BLOCK_CLIENT_FOR`]; brute force on an account
/// locks it for `lock_for`, and a self-escalation revokes the subject's
/// tokens, both through `accounts`. With `runtime` (the tokens live in
/// Redis, whose client needs tokio) responses run as tokio tasks; otherwise
/// on the trail's response thread, under its timeout.
pub fn responses(
    rules: RuleEngineBuilder,
    throttle: ThrottleSlot,
    accounts: RevocationResponder,
    lock_for: Duration,
    runtime: Option<tokio::runtime::Handle>,
) -> RuleEngineBuilder {
    let rules = rules
        .respond_to(
            "failed_logins_per_ip",
            Respond::BlockClient(BLOCK_CLIENT_FOR),
        )
        .respond_to("failed_logins_per_subject", Respond::LockAccount(lock_for))
        .respond_to("privilege_escalation", Respond::RevokeTokens)
        .responder(throttle)
        .responder(accounts);
    match runtime {
        Some(runtime) => rules.spawn_with(move |task: ResponseTask| {
            runtime.spawn(task);
        }),
        None => rules,
    }
}

/// The layers' event sink when auditing: each event goes into the trail and
/// to `tracing` as before, so operators watching logs lose nothing.
pub struct AuditedSink(pub AuditLog);

impl EventSink for AuditedSink {
    fn emit(&self, event: SecurityEvent) {
        TracingSink.emit(event.clone());
        self.0.emit(event);
    }
}

/// The audit layer, reading the refusal of every guard in the stack.
pub fn layer(trail: &AuditTrail) -> AuditLayer {
    trail
        .layer()
        .rejection::<rampart_auth::AuthRejection>()
        .rejection::<rampart_rbac::PermissionRejection>()
        .rejection::<rampart_headers::CsrfRejection>()
        .rejection::<rampart_ratelimit::RateLimitRejection>()
        .rejection::<rampart_ratelimit::LoginDecision>()
}

/// What the start-up facts say about the table, if the trail has one.
pub fn table_fact(trail: &AuditTrail) -> String {
    trail
        .table()
        .map(|t| format!(", and PostgreSQL table {}", t.name()))
        .unwrap_or_default()
}

/// The file's report; with a table, its report under `table`, and `ok` only
/// when both verify. The file is the authoritative copy (the chain resumes
/// from it); a table that cannot be read is reported, not hidden.
fn report(trail: &AuditTrail) -> std::io::Result<Value> {
    let file = trail.verify()?;
    let mut body = json!(file);
    if trail.table().is_some() {
        let table = match trail.verify_table() {
            Ok(Some(report)) => json!(report),
            Ok(None) => Value::Null,
            Err(error) => {
                tracing::error!(target: "secure_api", %error, "audit verification could not read the table");
                json!({"ok": false, "error": "the audit table could not be read"})
            }
        };
        body["ok"] = json!(file.ok && table["ok"] == json!(true));
        body["table"] = table;
    }
    Ok(body)
}

/// `GET /admin/audit/verify`: `{"ok":true,"events":N,...}`, or `ok: false`
/// with the first bad record and what happened to it (still `200`: the
/// check ran; its finding is the answer). With a PostgreSQL table, its own
/// report is under `table` and `ok` covers both.
pub async fn verify(State(state): State<AppState>) -> Response {
    let Some(trail) = state.audit.clone() else {
        return Problem::not_found()
            .with_detail("no audit trail is configured")
            .into_response();
    };
    match tokio::task::spawn_blocking(move || report(&trail)).await {
        Ok(Ok(report)) => Json(report).into_response(),
        Ok(Err(error)) => {
            tracing::error!(target: "secure_api", %error, "audit verification could not read the trail");
            Problem::internal()
                .with_detail("the audit trail could not be read")
                .into_response()
        }
        Err(_) => Problem::internal().into_response(),
    }
}
