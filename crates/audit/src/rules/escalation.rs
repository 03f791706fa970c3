//! Privilege escalation: a role or permission change on one's own account.

use super::alert::{Alert, KeyBy};
use super::keyed::{Evidence, Keyed};
use super::matcher::Types;
use super::{DEFAULT_MAX_KEYS, Rule};
use crate::event::{AuditEvent, Outcome, types};
use std::time::Duration;

/// Target kinds whose id is the account itself.
const ACCOUNT_KINDS: &[&str] = &["user", "subject", "account", "principal"];
/// Target kinds whose id is `subject:role` (or `subject:permission`).
const BINDING_KINDS: &[&str] = &["role_binding", "grant", "permission_grant"];

/// Raises `security.alert.privilege_escalation` (critical) when the actor of
/// a role or permission change is also the account it changes.
///
/// The changed account is read, in order, from metadata `target_subject`;
/// from `target.id` when `target.kind` is `user`, `subject`, `account` or
/// `principal`; or from the part of `target.id` before the first `:` when
/// the kind is `role_binding`, `grant` or `permission_grant` (the form
/// `bob:editor`). Subjects are compared trimmed and without regard to case,
/// so `Alice` granting `alice` alerts: a false alarm is cheaper than a
/// missed escalation. Refused changes alert too (an attempt is news).
/// Watched types default to `admin.role.*`, `admin.permission.*` and
/// `admin.grant.*`. One alert per subject per minute.
#[derive(Debug)]
pub struct SelfEscalation {
    types: Types,
    dedup: Duration,
    state: Keyed<Muted>,
}

#[derive(Debug)]
struct Muted {
    until: u64,
    suppressed: u64,
}

impl Evidence for Muted {
    fn idle(&self, now: u64) -> bool {
        self.until <= now
    }

    fn weight(&self, _now: u64) -> u64 {
        self.until
    }
}

impl Default for SelfEscalation {
    fn default() -> Self {
        Self::new()
    }
}

impl SelfEscalation {
    /// The rule with its default types. Named `privilege_escalation`.
    pub fn new() -> Self {
        Self {
            types: Types::new(["admin.role.*", "admin.permission.*", "admin.grant.*"]),
            dedup: Duration::from_secs(60),
            state: Keyed::new(DEFAULT_MAX_KEYS),
        }
    }

    /// Watch these event types (exact, `prefix.*` or `*`) instead.
    #[must_use]
    pub fn types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.types = Types::new(types);
        self
    }

    /// At most one alert per subject per `every` (default 1 minute).
    #[must_use]
    pub fn dedup(mut self, every: Duration) -> Self {
        self.dedup = every;
        self
    }
}

/// The account a change is made to, when the event names one.
fn changed_account(event: &AuditEvent) -> Option<&str> {
    if let Some(s) = event
        .metadata
        .get("target_subject")
        .and_then(|v| v.as_str())
    {
        return Some(s);
    }
    let target = event.target.as_ref()?;
    let kind = target.kind.as_deref()?;
    let id = target.id.as_deref()?;
    if ACCOUNT_KINDS.contains(&kind) {
        Some(id)
    } else if BINDING_KINDS.contains(&kind) {
        id.split_once(':').map(|(subject, _)| subject)
    } else {
        None
    }
}

fn same_subject(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.is_empty() && a.to_lowercase() == b.to_lowercase()
}

impl Rule for SelfEscalation {
    fn name(&self) -> &str {
        "privilege_escalation"
    }

    fn check(&self) -> Result<(), String> {
        self.types.check()?;
        if self.dedup.is_zero() {
            return Err("dedup must be above zero".into());
        }
        Ok(())
    }

    fn observe(&mut self, event: &AuditEvent, now: u64, alerts: &mut Vec<Alert>) {
        if !self.types.matches(&event.event_type) {
            return;
        }
        let (Some(actor), Some(changed)) = (KeyBy::Subject.of(event), changed_account(event))
        else {
            return;
        };
        if !same_subject(actor, changed) {
            return;
        }
        let dedup = u64::try_from(self.dedup.as_millis()).unwrap_or(u64::MAX);
        let muted = self.state.slot(actor, now, || Muted {
            until: 0,
            suppressed: 0,
        });
        if muted.until > now {
            muted.suppressed += 1;
            return;
        }
        muted.until = now.saturating_add(dedup);
        let suppressed = std::mem::take(&mut muted.suppressed);
        let attempted = if event.outcome == Outcome::Failure {
            " (refused)"
        } else {
            ""
        };
        alerts.push(
            Alert::new(
                types::SECURITY_ALERT_PRIVILEGE_ESCALATION,
                "privilege_escalation",
                now,
            )
            .about(event, Some(KeyBy::Subject), Some(actor))
            .reason(format!(
                "`{}` on the actor's own account{attempted}",
                event.event_type
            ))
            .counted(1, 1, None)
            .suppressed(suppressed),
        );
    }

    fn tracked_keys(&self) -> usize {
        self.state.len()
    }

    fn evicted_keys(&self) -> u64 {
        self.state.evicted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_account_is_found_in_each_documented_place() {
        let base = || AuditEvent::new(types::ADMIN_ROLE_GRANTED).subject("alice");
        let cases = [
            (base().meta("target_subject", "alice"), Some("alice")),
            (base().target("user", "alice"), Some("alice")),
            (base().target("role_binding", "alice:admin"), Some("alice")),
            (base().target("role_binding", "noseparator"), None),
            (base().target("invoice", "alice"), None),
            (base(), None),
        ];
        for (event, expected) in cases {
            assert_eq!(changed_account(&event), expected, "{:?}", event.target);
        }
        assert!(same_subject(" Alice", "alice"));
        assert!(!same_subject("", ""));
        assert!(!same_subject("alice", "alice2"));
    }
}
