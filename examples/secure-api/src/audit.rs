//! The audit trail: every request and every layer's security event in one
//! hash-chained file (and a PostgreSQL table when `DATABASE_URL` is set),
//! and `GET /admin/audit/verify`.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rampart_audit::{AuditLayer, AuditLog, AuditTrail};
use rampart_core::{EventSink, Problem, SecurityEvent, TracingSink};
use serde_json::{Value, json};

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
