//! `SecurityEvent` (what a rampart layer saw) into `AuditEvent`.

use super::{Actor, AuditEvent, Client, Outcome, Severity, Target, types};
use rampart_core::{
    CHANGE_ENCRYPTION_KEY, CHANGE_MFA, CHANGE_POLICY, CHANGE_SIGNING_KEY, CREDENTIAL_TOKEN,
    EventKind, MFA_ENROLLED, SecurityEvent,
};
use serde_json::{Map, Value};

/// The audit type a core event is recorded as: by kind, and for privilege
/// and configuration changes by what changed, so a report on key rotations
/// or role changes needs no knowledge of each layer's fields.
pub(crate) fn type_of(e: &SecurityEvent) -> &'static str {
    match e.kind {
        EventKind::AuthenticationFailed => match text(&e.fields, "credential") {
            Some(CREDENTIAL_TOKEN) => types::AUTH_TOKEN_REJECTED,
            _ => types::AUTH_LOGIN_FAILURE,
        },
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
        EventKind::ConfigurationChanged => match text(&e.fields, "change") {
            Some(CHANGE_POLICY) => types::ADMIN_POLICY_RELOADED,
            Some(CHANGE_SIGNING_KEY) => types::ADMIN_KEY_ROTATED,
            // A nonce-budget warning is about a key, but changes nothing.
            Some(CHANGE_ENCRYPTION_KEY)
                if !text(&e.fields, "step").is_some_and(|s| s.starts_with("budget_")) =>
            {
                types::ADMIN_KEY_ROTATED
            }
            // Replacing backup codes voids the old factor material, as a
            // reset does; `step` keeps which of the two it was.
            Some(CHANGE_MFA) if text(&e.fields, "step") == Some(MFA_ENROLLED) => {
                types::AUTH_MFA_ENROLLED
            }
            Some(CHANGE_MFA) => types::AUTH_MFA_RESET,
            _ => types::ADMIN_CONFIG_CHANGED,
        },
        EventKind::PrivilegeChanged => {
            // A lapse takes the privilege away as a revocation does; `action`
            // keeps which of the two it was.
            let granted = text(&e.fields, "action") == Some("granted");
            match (e.fields.contains_key("role"), granted) {
                (true, true) => types::ADMIN_ROLE_GRANTED,
                (true, false) => types::ADMIN_ROLE_REVOKED,
                (false, true) => types::ADMIN_PERMISSION_GRANTED,
                (false, false) => types::ADMIN_PERMISSION_REVOKED,
            }
        }
        _ => "security.other",
    }
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str)
}

impl From<SecurityEvent> for AuditEvent {
    /// Keeps every fact of the core event. The severity is the type's default,
    /// raised to `high` when the reporting layer judged the event critical.
    ///
    /// A privilege change is recorded the other way round from the event: the
    /// actor is who made the change (its `actor` field) in the tenant the
    /// change holds in, the target (`subject`, id) is whose privileges changed,
    /// and `action` is `granted`, `revoked` or `expired`.
    fn from(mut e: SecurityEvent) -> Self {
        let event_type = type_of(&e);
        // Built in place rather than through the builder: the writer converts
        // every event a layer emits, and each builder call moves the event.
        let mut event = AuditEvent::made_at(event_type.to_owned(), e.at_unix_ms);
        event.source = Some(e.source.into_owned());
        event.reason = Some(e.reason.into_owned());
        if e.severity == rampart_core::Severity::Critical && event.severity < Severity::High {
            event.severity = Severity::High;
        }
        event.outcome = match e.kind {
            EventKind::AuthenticationSucceeded
            | EventKind::TokenRevoked
            | EventKind::PrivilegeChanged => Outcome::Success,
            EventKind::ConfigurationChanged if text(&e.fields, "step") == Some("failed") => {
                Outcome::Failure
            }
            EventKind::ConfigurationChanged => Outcome::Success,
            EventKind::AttackDetected => Outcome::Unknown,
            _ => Outcome::Failure,
        };
        if event_type == "security.other"
            && let Ok(serde_json::Value::String(kind)) = serde_json::to_value(e.kind)
        {
            event.metadata.insert("kind".into(), kind.into());
        }
        let actor_subject = if e.kind == EventKind::PrivilegeChanged {
            if let Some(whose) = e.subject.take() {
                event.target = Some(Target {
                    kind: Some("subject".into()),
                    id: Some(whose),
                });
            }
            if let Some(Value::String(action)) = e.fields.remove("action") {
                event.action = Some(action);
            }
            match e.fields.remove("actor") {
                Some(Value::String(actor)) => Some(actor),
                Some(other) => {
                    e.fields.insert("actor".into(), other);
                    None
                }
                None => None,
            }
        } else {
            e.subject
        };
        if event_type == types::ADMIN_KEY_ROTATED
            && let Some(kid) = text(&e.fields, "kid")
        {
            let kind = match text(&e.fields, "change") {
                Some(CHANGE_ENCRYPTION_KEY) => "encryption_key",
                _ => "signing_key",
            };
            event.target = Some(Target {
                kind: Some(kind.into()),
                id: Some(kid.to_owned()),
            });
        }
        if actor_subject.is_some() || e.tenant.is_some() {
            event.actor = Some(Actor {
                subject: actor_subject,
                tenant: e.tenant,
                ..Actor::default()
            });
        }
        if let Some(ip) = e.client_ip {
            event.client = Some(Client {
                ip: Some(rampart_core::ip_text(ip)),
                ..Client::default()
            });
        }
        event.request_id = e.request_id;
        if event.metadata.is_empty() {
            event.metadata = e.fields;
        } else {
            event.metadata.extend(e.fields);
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::PrivilegeAction;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn refused_tokens_are_not_sign_in_failures() {
        let token = SecurityEvent::new(EventKind::AuthenticationFailed, "rampart::auth", "expired")
            .with_field("credential", CREDENTIAL_TOKEN);
        assert_eq!(
            AuditEvent::from(token).event_type,
            types::AUTH_TOKEN_REJECTED
        );
        let sign_in = SecurityEvent::new(
            EventKind::AuthenticationFailed,
            "app::login",
            "wrong password",
        );
        assert_eq!(
            AuditEvent::from(sign_in).event_type,
            types::AUTH_LOGIN_FAILURE
        );
    }

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

    fn changed(action: PrivilegeAction) -> SecurityEvent {
        SecurityEvent::privilege_changed("rampart::rbac", action, "bob").with_tenant("acme")
    }

    #[test]
    fn privilege_changes_name_actor_target_and_what_changed() {
        let role = AuditEvent::from(
            changed(PrivilegeAction::Granted)
                .with_field("actor", "alice")
                .with_field("role", "admin"),
        );
        assert_eq!(role.event_type, types::ADMIN_ROLE_GRANTED);
        assert_eq!(role.severity, Severity::High);
        assert_eq!(role.outcome, Outcome::Success);
        assert_eq!(role.action.as_deref(), Some("granted"));
        let actor = role.actor.clone().unwrap();
        assert_eq!(actor.subject.as_deref(), Some("alice"), "who made it");
        assert_eq!(actor.tenant.as_deref(), Some("acme"));
        let target = role.target.clone().unwrap();
        assert_eq!(target.kind.as_deref(), Some("subject"));
        assert_eq!(target.id.as_deref(), Some("bob"), "whose privileges");
        assert_eq!(
            Value::Object(role.metadata.clone()),
            serde_json::json!({"role": "admin"})
        );
        let mut written = role;
        written.complete();
        assert_eq!(
            written.tags,
            ["soc2:cc6.2", "soc2:cc6.3", "soc2:cc8.1", "pci-dss:10.2.1.2"]
        );

        let cases = [
            (PrivilegeAction::Revoked, true, types::ADMIN_ROLE_REVOKED),
            (PrivilegeAction::Expired, true, types::ADMIN_ROLE_REVOKED),
            (
                PrivilegeAction::Granted,
                false,
                types::ADMIN_PERMISSION_GRANTED,
            ),
            (
                PrivilegeAction::Revoked,
                false,
                types::ADMIN_PERMISSION_REVOKED,
            ),
            (
                PrivilegeAction::Expired,
                false,
                types::ADMIN_PERMISSION_REVOKED,
            ),
        ];
        for (action, is_role, expected) in cases {
            let mut core = changed(action);
            if is_role {
                core = core.with_field("role", "viewer");
            } else {
                core = core
                    .with_field("resource_type", "docs")
                    .with_field("resource_id", "7");
            }
            let event = AuditEvent::from(core);
            assert_eq!(event.event_type, expected, "{action:?} role={is_role}");
            assert_eq!(event.action.as_deref(), Some(action.as_str()));
            assert_eq!(event.severity, Severity::High);
            // No actor known: the tenant is kept, no subject is invented.
            let actor = event.actor.unwrap();
            assert_eq!(actor.subject, None);
            assert_eq!(actor.tenant.as_deref(), Some("acme"));
            assert_eq!(event.target.unwrap().id.as_deref(), Some("bob"));
        }
    }

    #[test]
    fn a_forged_actor_field_is_kept_as_metadata_not_as_the_actor() {
        let event = AuditEvent::from(
            changed(PrivilegeAction::Granted).with_field("actor", serde_json::json!({"x": 1})),
        );
        assert_eq!(event.actor.unwrap().subject, None);
        assert_eq!(event.metadata["actor"], serde_json::json!({"x": 1}));
    }

    #[test]
    fn configuration_changes_are_told_apart_by_what_changed() {
        let reload = SecurityEvent::new(EventKind::ConfigurationChanged, "rampart::rbac", "r")
            .with_field("change", CHANGE_POLICY)
            .with_field("roles", 3);
        let reload = AuditEvent::from(reload);
        assert_eq!(reload.event_type, types::ADMIN_POLICY_RELOADED);
        assert_eq!(reload.outcome, Outcome::Success);
        assert_eq!(reload.severity, Severity::High);
        assert_eq!(reload.metadata["roles"], 3);

        let key = |step: &'static str| {
            AuditEvent::from(
                SecurityEvent::new(EventKind::ConfigurationChanged, "rampart::auth", "r")
                    .with_field("change", CHANGE_SIGNING_KEY)
                    .with_field("step", step)
                    .with_field("kid", "k1"),
            )
        };
        let activated = key("activate");
        assert_eq!(activated.event_type, types::ADMIN_KEY_ROTATED);
        assert_eq!(activated.outcome, Outcome::Success);
        let target = activated.target.unwrap();
        assert_eq!(
            (target.kind.as_deref(), target.id.as_deref()),
            (Some("signing_key"), Some("k1"))
        );
        assert_eq!(key("failed").outcome, Outcome::Failure);
        let field_key = AuditEvent::from(
            SecurityEvent::new(EventKind::ConfigurationChanged, "rampart::crypto", "r")
                .with_field("change", CHANGE_ENCRYPTION_KEY)
                .with_field("step", "rotated")
                .with_field("kid", "7"),
        );
        assert_eq!(field_key.event_type, types::ADMIN_KEY_ROTATED);
        let budget = AuditEvent::from(
            SecurityEvent::new(EventKind::ConfigurationChanged, "rampart::crypto", "r")
                .with_field("change", CHANGE_ENCRYPTION_KEY)
                .with_field("step", "budget_threshold")
                .with_field("kid", "7"),
        );
        assert_eq!(budget.event_type, types::ADMIN_CONFIG_CHANGED);
        let target = field_key.target.unwrap();
        assert_eq!(
            (target.kind.as_deref(), target.id.as_deref()),
            (Some("encryption_key"), Some("7"))
        );

        let mfa = |step: &'static str| {
            AuditEvent::from(
                SecurityEvent::new(EventKind::ConfigurationChanged, "rampart::auth", "r")
                    .with_subject("bob")
                    .with_field("change", CHANGE_MFA)
                    .with_field("step", step),
            )
        };
        let enrolled = mfa(rampart_core::MFA_ENROLLED);
        assert_eq!(enrolled.event_type, types::AUTH_MFA_ENROLLED);
        assert_eq!(enrolled.outcome, Outcome::Success);
        assert_eq!(enrolled.actor.unwrap().subject.as_deref(), Some("bob"));
        let reset = mfa(rampart_core::MFA_RESET);
        assert_eq!(reset.event_type, types::AUTH_MFA_RESET);
        assert_eq!(reset.severity, Severity::High);
        let replaced = mfa(rampart_core::MFA_BACKUP_CODES_REPLACED);
        assert_eq!(replaced.event_type, types::AUTH_MFA_RESET);
        assert_eq!(replaced.metadata["step"], "backup_codes_replaced");

        let other = SecurityEvent::new(EventKind::ConfigurationChanged, "rampart::ratelimit", "r");
        assert_eq!(
            AuditEvent::from(other).event_type,
            types::ADMIN_CONFIG_CHANGED
        );
    }
}
