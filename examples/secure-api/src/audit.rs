//! The audit trail: every request and every layer's security event in one
//! hash-chained file, and `GET /admin/audit/verify`.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rampart_audit::{AuditLayer, AuditLog, AuditTrail};
use rampart_core::{EventSink, Problem, SecurityEvent, TracingSink};

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

/// `GET /admin/audit/verify`: `{"ok":true,"events":N,...}`, or `ok: false`
/// with the first bad record and what happened to it (still `200`: the
/// check ran; its finding is the answer).
pub async fn verify(State(state): State<AppState>) -> Response {
    let Some(trail) = state.audit.clone() else {
        return Problem::not_found()
            .with_detail("no audit trail is configured")
            .into_response();
    };
    match tokio::task::spawn_blocking(move || trail.verify()).await {
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
