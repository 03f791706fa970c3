//! From an alert to response actions, and from their outcomes to audit events.

use super::alert::{Alert, SOURCE};
use crate::event::{AuditEvent, Outcome, Target};
use rampart_core::{ResponseAction, ResponseError, ResponseOutcome};
use std::net::IpAddr;
use std::time::Duration;

/// What to do when a rule raises an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Respond {
    /// Block the alert's client address for this long.
    BlockClient(Duration),
    /// Lock the alert's subject for this long.
    LockAccount(Duration),
    /// Revoke every token of the alert's subject.
    RevokeTokens,
}

impl Respond {
    /// The action for `alert`, or why there is none (the alert names no
    /// usable address or subject).
    pub(crate) fn action(&self, alert: &Alert) -> Result<ResponseAction, String> {
        let subject = || {
            alert
                .subject
                .clone()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| "the alert names no subject".to_owned())
        };
        Ok(match *self {
            Respond::BlockClient(duration) => {
                let text = alert
                    .client_ip
                    .as_deref()
                    .ok_or_else(|| "the alert names no client address".to_owned())?;
                let ip = text.trim().parse::<IpAddr>().map_err(|_| {
                    // The text came from a request: say how long it was, not what.
                    format!(
                        "the alert's client address ({} bytes) is not an IP address",
                        text.len()
                    )
                })?;
                ResponseAction::BlockClient { ip, duration }
            }
            Respond::LockAccount(duration) => ResponseAction::LockAccount {
                subject: subject()?,
                duration,
            },
            Respond::RevokeTokens => ResponseAction::RevokeTokens {
                subject: subject()?,
            },
        })
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Respond::BlockClient(_) => "block_client",
            Respond::LockAccount(_) => "lock_account",
            Respond::RevokeTokens => "revoke_tokens",
        }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            Respond::BlockClient(d) | Respond::LockAccount(d) if d.is_zero() => {
                Err(format!("a {} response needs a duration", self.kind()))
            }
            _ => Ok(()),
        }
    }
}

/// What a response event says about the alert that caused it.
#[derive(Debug, Clone)]
pub(crate) struct Cause {
    pub alert_id: String,
    pub alert_type: String,
    pub rule: String,
    pub tenant: Option<String>,
    pub request_id: Option<String>,
}

impl Cause {
    pub(crate) fn of(alert: &Alert, alert_id: String) -> Self {
        Self {
            alert_id,
            alert_type: alert.alert_type.clone(),
            rule: alert.rule.clone(),
            tenant: alert.tenant.clone(),
            request_id: alert.request_id.clone(),
        }
    }
}

/// One responder's answer to one action.
pub(crate) type Answer = (String, Result<ResponseOutcome, ResponseError>);

/// The response event for one action: what was done to whom, by which
/// responder, with what outcome. The subject acted on is the event's actor
/// and the address its client, so both are pseudonymised like any personal
/// data; the target names only the kind of thing acted on.
fn event(kind: &str, action: Option<&ResponseAction>, cause: &Cause, at_ms: u64) -> AuditEvent {
    let mut event = AuditEvent::new(format!("security.response.{kind}"))
        .at(crate::time::from_unix_ms(at_ms))
        .source(SOURCE)
        .action(kind)
        .meta("alert_id", cause.alert_id.clone())
        .meta("alert_type", cause.alert_type.clone())
        .meta("rule", cause.rule.clone());
    event.target = Some(Target {
        id: None,
        kind: Some(
            if kind == "block_client" {
                "client_address"
            } else {
                "account"
            }
            .into(),
        ),
    });
    if let Some(tenant) = &cause.tenant {
        event = event.tenant(tenant.clone());
    }
    event.request_id.clone_from(&cause.request_id);
    match action {
        Some(ResponseAction::BlockClient { ip, duration }) => {
            event = event
                .client_ip(ip)
                .meta("duration_secs", duration.as_secs());
        }
        Some(ResponseAction::LockAccount { subject, duration }) => {
            event = event
                .subject(subject.clone())
                .meta("duration_secs", duration.as_secs());
        }
        Some(ResponseAction::RevokeTokens { subject }) => {
            event = event.subject(subject.clone());
        }
        _ => {}
    }
    event
}

/// The event for an action that could not even be formed from its alert.
pub(crate) fn not_taken(respond: &Respond, why: String, cause: &Cause, at_ms: u64) -> AuditEvent {
    event(respond.kind(), None, cause, at_ms)
        .outcome(Outcome::Failure)
        .reason(format!("response not taken: {why}"))
}

/// The events for one action's answers: one per responder that took or
/// refused it, or one saying nobody took it.
pub(crate) fn answered(
    action: &ResponseAction,
    answers: Vec<Answer>,
    cause: &Cause,
    at_ms: u64,
) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    for (responder, answer) in answers {
        let (outcome, reason) = match answer {
            Ok(ResponseOutcome::Applied { detail }) => (Outcome::Success, detail),
            Ok(ResponseOutcome::Declined { reason }) => {
                (Outcome::Unknown, format!("declined: {reason}"))
            }
            Ok(ResponseOutcome::Unsupported) => continue,
            Ok(_) => (
                Outcome::Unknown,
                "an outcome this version does not know".into(),
            ),
            Err(e) => (Outcome::Failure, e.to_string()),
        };
        events.push(
            event(action.kind(), Some(action), cause, at_ms)
                .outcome(outcome)
                .reason(reason)
                .meta("responder", responder),
        );
    }
    if events.is_empty() {
        events.push(
            event(action.kind(), Some(action), cause, at_ms)
                .outcome(Outcome::Failure)
                .reason("no responder takes this action"),
        );
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    #[test]
    fn actions_need_a_usable_address_or_subject() {
        let alert = Alert::new(types::SECURITY_ALERT_BRUTE_FORCE, "r", 0);
        let block = Respond::BlockClient(Duration::from_secs(60));
        assert_eq!(
            block.action(&alert),
            Err("the alert names no client address".into())
        );
        let mut hostile = alert.clone();
        hostile.client_ip = Some("1.2.3.4; DROP TABLE".into());
        let err = block.action(&hostile).unwrap_err();
        assert!(!err.contains("DROP"), "{err}");
        hostile.client_ip = Some(" 2001:db8::1 ".into());
        assert!(matches!(
            block.action(&hostile),
            Ok(ResponseAction::BlockClient { .. })
        ));
        hostile.subject = Some("  ".into());
        assert!(Respond::RevokeTokens.action(&hostile).is_err());
        assert!(Respond::LockAccount(Duration::ZERO).check().is_err());
    }
}
