//! What a rule raises, and who hears about it.

use crate::event::{AuditEvent, Outcome, Severity, default_severity};
use std::time::Duration;

/// The source written on alert and response events.
pub(crate) const SOURCE: &str = "rampart::audit::rules";

/// What a rule counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyBy {
    /// The actor's subject.
    Subject,
    /// The client address (`client.ip`, else a `client_ip` metadata entry,
    /// which is where rampart-ratelimit's login throttle puts it).
    ClientIp,
    /// The actor's tenant.
    Tenant,
    /// One count for every event.
    Global,
}

impl KeyBy {
    /// The key of `event`, when it has one.
    pub fn of<'e>(&self, event: &'e AuditEvent) -> Option<&'e str> {
        let key = match self {
            KeyBy::Subject => event.actor.as_ref()?.subject.as_deref(),
            KeyBy::Tenant => event.actor.as_ref()?.tenant.as_deref(),
            KeyBy::ClientIp => event
                .client
                .as_ref()
                .and_then(|c| c.ip.as_deref())
                .or_else(|| event.metadata.get("client_ip")?.as_str()),
            KeyBy::Global => Some("*"),
        };
        key.filter(|k| !k.is_empty())
    }

    /// A stable name for the audit trail.
    pub fn name(&self) -> &'static str {
        match self {
            KeyBy::Subject => "subject",
            KeyBy::ClientIp => "client_ip",
            KeyBy::Tenant => "tenant",
            KeyBy::Global => "global",
        }
    }
}

/// An alert raised by a rule.
///
/// Personal data (subject, client address) sits in the fields the audit
/// writer pseudonymises, never in free-text metadata, so an alert about a
/// subject is erased with them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Alert {
    /// The alert's event type (`security.alert.brute_force`).
    pub alert_type: String,
    /// The rule that raised it.
    pub rule: String,
    /// How serious; defaults from the alert type.
    pub severity: Severity,
    /// Why, for an operator.
    pub reason: String,
    /// What the rule counted by, when it keys its counts.
    pub key_by: Option<KeyBy>,
    /// The subject concerned (the key, or the triggering event's actor).
    pub subject: Option<String>,
    /// The tenant of the triggering event.
    pub tenant: Option<String>,
    /// The client address concerned (the key, or the triggering event's client).
    pub client_ip: Option<String>,
    /// The request id of the triggering event.
    pub request_id: Option<String>,
    /// What was observed (events in the window, distinct values, events in
    /// the bucket).
    pub count: u64,
    /// The threshold it reached.
    pub threshold: u64,
    /// The window counted over, when there is one.
    pub window: Option<Duration>,
    /// Matching events for the same key since its previous alert, while that
    /// alert muted the key (de-duplication).
    pub suppressed: u64,
    /// When, in milliseconds since the epoch (the engine's clock).
    pub at_ms: u64,
}

impl Alert {
    /// An alert of `alert_type` from `rule` at `at_ms`, with the type's default
    /// severity and nothing else filled.
    pub fn new(alert_type: impl Into<String>, rule: impl Into<String>, at_ms: u64) -> Self {
        let alert_type = alert_type.into();
        Self {
            severity: default_severity(&alert_type),
            alert_type,
            rule: rule.into(),
            reason: String::new(),
            key_by: None,
            subject: None,
            tenant: None,
            client_ip: None,
            request_id: None,
            count: 0,
            threshold: 0,
            window: None,
            suppressed: 0,
            at_ms,
        }
    }

    /// Takes subject, tenant, client address and request id from the event
    /// that raised the alert, then sets the key (which wins over the event's
    /// field of the same kind).
    #[must_use]
    pub fn about(mut self, event: &AuditEvent, key_by: Option<KeyBy>, key: Option<&str>) -> Self {
        self.subject = KeyBy::Subject.of(event).map(str::to_owned);
        self.tenant = KeyBy::Tenant.of(event).map(str::to_owned);
        self.client_ip = KeyBy::ClientIp.of(event).map(str::to_owned);
        self.request_id.clone_from(&event.request_id);
        self.key_by = key_by;
        if let (Some(by), Some(key)) = (key_by, key) {
            let slot = match by {
                KeyBy::Subject => &mut self.subject,
                KeyBy::ClientIp => &mut self.client_ip,
                KeyBy::Tenant => &mut self.tenant,
                KeyBy::Global => return self,
            };
            *slot = Some(key.to_owned());
        }
        self
    }

    /// Sets the reason.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    /// Sets what was observed and the threshold it reached.
    #[must_use]
    pub fn counted(mut self, count: u64, threshold: u64, window: Option<Duration>) -> Self {
        self.count = count;
        self.threshold = threshold;
        self.window = window;
        self
    }

    /// Sets the count of events folded into this alert by de-duplication.
    #[must_use]
    pub fn suppressed(mut self, suppressed: u64) -> Self {
        self.suppressed = suppressed;
        self
    }

    /// The audit event that records this alert in the chain.
    pub fn to_event(&self) -> AuditEvent {
        let mut event = AuditEvent::new(self.alert_type.clone())
            .at(crate::time::from_unix_ms(self.at_ms))
            .severity(self.severity)
            .outcome(Outcome::Unknown)
            .source(SOURCE)
            .reason(self.reason.clone())
            .meta("rule", self.rule.clone())
            .meta("count", self.count)
            .meta("threshold", self.threshold);
        if let Some(by) = self.key_by {
            event = event.meta("key_by", by.name());
        }
        if let Some(window) = self.window {
            event = event.meta("window_secs", window.as_secs());
        }
        if self.suppressed > 0 {
            event = event.meta("suppressed", self.suppressed);
        }
        if let Some(subject) = &self.subject {
            event = event.subject(subject.clone());
        }
        if let Some(tenant) = &self.tenant {
            event = event.tenant(tenant.clone());
        }
        if let Some(ip) = &self.client_ip {
            event = event.client_ip(ip);
        }
        event.request_id.clone_from(&self.request_id);
        event
    }
}

/// Hears every alert as it is raised.
///
/// Called on the rule engine's thread (the audit writer's, when the engine is
/// given to an [`AuditLog`](crate::AuditLog)), so it must be quick: hand the
/// alert to a queue or a channel, do not call a pager from here. Alerts reach
/// the audit chain whether or not a handler is set. Any
/// `Fn(&Alert) + Send + Sync` closure is a handler.
pub trait AlertHandler: Send + Sync + 'static {
    /// Takes one alert.
    fn on_alert(&self, alert: &Alert);
}

impl<F: Fn(&Alert) + Send + Sync + 'static> AlertHandler for F {
    fn on_alert(&self, alert: &Alert) {
        self(alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    #[test]
    fn the_key_wins_and_personal_data_stays_in_pseudonymised_fields() {
        let event = AuditEvent::new(types::AUTH_LOGIN_FAILURE)
            .subject("alice")
            .tenant("acme")
            .meta("client_ip", "198.51.100.7");
        let alert = Alert::new(types::SECURITY_ALERT_BRUTE_FORCE, "r", 1_000)
            .about(&event, Some(KeyBy::ClientIp), Some("203.0.113.1"))
            .counted(20, 20, Some(Duration::from_secs(900)));
        assert_eq!(alert.client_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(alert.subject.as_deref(), Some("alice"));
        let e = alert.to_event();
        assert_eq!(e.event_type, types::SECURITY_ALERT_BRUTE_FORCE);
        assert_eq!(e.severity, Severity::High);
        assert_eq!(e.unix_ms(), Some(1_000));
        assert_eq!(e.metadata["key_by"], "client_ip");
        assert_eq!(e.metadata["window_secs"], 900);
        let meta = serde_json::to_string(&e.metadata).unwrap();
        assert!(
            !meta.contains("alice") && !meta.contains("203.0.113.1"),
            "{meta}"
        );
    }

    #[test]
    fn an_empty_key_is_no_key() {
        let event = AuditEvent::new("x").subject("");
        assert_eq!(KeyBy::Subject.of(&event), None);
        assert_eq!(KeyBy::Global.of(&event), Some("*"));
        assert_eq!(
            KeyBy::ClientIp.of(&AuditEvent::new("x").meta("client_ip", 7)),
            None
        );
    }
}
