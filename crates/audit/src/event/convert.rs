//! `SecurityEvent` (what a rampart layer saw) into `AuditEvent`.

use super::{Actor, AuditEvent, Outcome, Severity, types};
use rampart_core::{EventKind, SecurityEvent};

/// The audit type a core event kind is recorded as.
pub(crate) fn type_of(kind: EventKind) -> &'static str {
    match kind {
        EventKind::AuthenticationFailed => types::AUTH_LOGIN_FAILURE,
        EventKind::AuthenticationSucceeded => types::AUTH_LOGIN_SUCCESS,
        EventKind::TokenRevoked => types::AUTH_TOKEN_REVOKED,
        EventKind::RefreshTokenReused => types::AUTH_TOKEN_REUSED,
        EventKind::PermissionDenied => types::AUTHZ_DENIED,
        EventKind::RateLimited => types::RATELIMIT_LIMITED,
        EventKind::AccountLocked => types::AUTH_ACCOUNT_LOCKED,
        EventKind::AttackDetected => types::INPUT_ATTACK_DETECTED,
        EventKind::CsrfRejected => types::REQUEST_CSRF_REJECTED,
        EventKind::CorsRejected => types::REQUEST_CORS_REJECTED,
        EventKind::StoreFailure => types::SYSTEM_STORE_FAILURE,
        EventKind::ConfigurationChanged => types::ADMIN_CONFIG_CHANGED,
        _ => "security.other",
    }
}

impl From<SecurityEvent> for AuditEvent {
    /// Keeps every fact of the core event. The severity is the type's default,
    /// raised to `high` when the reporting layer judged the event critical.
    fn from(e: SecurityEvent) -> Self {
        let event_type = type_of(e.kind);
        let mut event = AuditEvent::new(event_type)
            .at(crate::time::from_unix_ms(e.at_unix_ms))
            .source(e.source.into_owned())
            .reason(e.reason.into_owned());
        if e.severity == rampart_core::Severity::Critical && event.severity < Severity::High {
            event.severity = Severity::High;
        }
        event.outcome = match e.kind {
            EventKind::AuthenticationSucceeded | EventKind::TokenRevoked => Outcome::Success,
            EventKind::ConfigurationChanged => Outcome::Success,
            EventKind::AttackDetected => Outcome::Unknown,
            _ => Outcome::Failure,
        };
        if event_type == "security.other"
            && let Ok(serde_json::Value::String(kind)) = serde_json::to_value(e.kind)
        {
            event.metadata.insert("kind".into(), kind.into());
        }
        if e.subject.is_some() || e.tenant.is_some() {
            event.actor = Some(Actor {
                subject: e.subject,
                tenant: e.tenant,
                ..Actor::default()
            });
        }
        if let Some(ip) = e.client_ip {
            event = event.client_ip(ip);
        }
        event.request_id = e.request_id;
        event.metadata.extend(e.fields);
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn keeps_every_fact() {
        let core = SecurityEvent::new(EventKind::PermissionDenied, "rampart::rbac", "no grant")
            .at(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123))
            .with_subject("bob")
            .with_tenant("acme")
            .with_field("permission", "items:delete");
        let mut core = core;
        core.request_id = Some("req-1".into());
        core.client_ip = Some("203.0.113.9".parse().unwrap());
        let event = AuditEvent::from(core);
        assert_eq!(event.event_type, "authz.denied");
        assert_eq!(event.unix_ms(), Some(1_700_000_000_123));
        let mut written = event.clone();
        written.complete();
        assert_eq!(written.timestamp, "2023-11-14T22:13:20.123Z");
        assert!(
            written.id.starts_with("018bcfe5-687b-7"),
            "UUIDv7 from the event's time: {}",
            written.id
        );
        assert_eq!(written.tags, ["soc2:cc6.1", "pci-dss:10.2.1.4"]);
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.severity, Severity::Medium);
        assert_eq!(event.reason.as_deref(), Some("no grant"));
        assert_eq!(event.source.as_deref(), Some("rampart::rbac"));
        let actor = event.actor.unwrap();
        assert_eq!(actor.subject.as_deref(), Some("bob"));
        assert_eq!(actor.tenant.as_deref(), Some("acme"));
        assert_eq!(event.client.unwrap().ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(event.request_id.as_deref(), Some("req-1"));
        assert_eq!(event.metadata["permission"], "items:delete");
    }

    #[test]
    fn critical_core_events_are_at_least_high() {
        let core = SecurityEvent::new(EventKind::RateLimited, "t", "r")
            .with_severity(rampart_core::Severity::Critical);
        assert_eq!(AuditEvent::from(core).severity, Severity::High);
        let reuse = SecurityEvent::new(EventKind::RefreshTokenReused, "t", "r");
        assert_eq!(AuditEvent::from(reuse).severity, Severity::Critical);
    }
}
