//! What a layer saw, reported to whoever listens.
//!
//! Layers report denials, failures and detections as [`SecurityEvent`]s to an
//! [`EventSink`]. rampart-audit implements the sink that writes the audit
//! trail; this is how a denial reaches it without the crates depending on each
//! other.

use crate::{ClientIp, Principal, request_id::request_id};
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// The kind of thing that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A credential was missing, malformed, expired or forged.
    AuthenticationFailed,
    /// A credential was accepted.
    AuthenticationSucceeded,
    /// A token, token family or subject was revoked.
    TokenRevoked,
    /// A refresh token was presented a second time (likely theft); its family was revoked.
    RefreshTokenReused,
    /// An authorization check denied the request.
    PermissionDenied,
    /// A rate limit or quota refused the request.
    RateLimited,
    /// An account was locked after repeated failures.
    AccountLocked,
    /// Input matched an attack detector.
    AttackDetected,
    /// A cross-site request forgery was refused.
    CsrfRejected,
    /// A CORS request came from an origin that is not allowed.
    CorsRejected,
    /// A backing store (Redis, PostgreSQL) failed and the configured fail mode applied.
    StoreFailure,
    /// A policy, key set or account's security setting was changed at run
    /// time. The `change` field names what changed, so a trail can tell them
    /// apart: [`CHANGE_POLICY`] (an authorization policy reload),
    /// [`CHANGE_SIGNING_KEY`] (a step of a signing key rotation, with `step`,
    /// `kid` and `algorithm`) or [`CHANGE_MFA`] (a user's second factor, with
    /// `step` one of [`MFA_ENROLLED`], [`MFA_RESET`] or
    /// [`MFA_BACKUP_CODES_REPLACED`], and the user as the subject).
    ConfigurationChanged,
    /// A subject's privileges changed: a role binding or a resource grant was
    /// added, removed, or found lapsed. One event per change, with:
    ///
    /// - [`SecurityEvent::subject`]: whose privileges changed (not who changed
    ///   them, unlike other kinds: do not fill it from the request context);
    /// - [`SecurityEvent::tenant`]: the tenant the binding or grant holds in
    ///   (absent for a global one);
    /// - field `action`: `granted`, `revoked` or `expired` ([`PrivilegeAction`]);
    /// - field `actor`: who made the change, when the API was told (absent for
    ///   an expiry, which nobody made);
    /// - for a role binding, field `role` (and `org` when bound in one);
    /// - for a grant, fields `resource_type`, `resource_id`, `actions` (an
    ///   array) and `expires_at_unix_ms` when it lapses.
    PrivilegeChanged,
}

/// The `change` of a [`EventKind::ConfigurationChanged`] event for a reload of
/// the authorization policy.
pub const CHANGE_POLICY: &str = "policy";

/// The `change` of a [`EventKind::ConfigurationChanged`] event for a step of a
/// signing key rotation.
pub const CHANGE_SIGNING_KEY: &str = "signing_key";

/// The `change` of a [`EventKind::ConfigurationChanged`] event for a step of
/// a field-encryption key rotation, with `step` and `kid`.
pub const CHANGE_ENCRYPTION_KEY: &str = "encryption_key";

/// The `change` of a [`EventKind::ConfigurationChanged`] event for a user's
/// second factor.
pub const CHANGE_MFA: &str = "mfa";

/// The `step` of a [`CHANGE_MFA`] change: the user confirmed a new second
/// factor, and sign-ins need it from now on.
pub const MFA_ENROLLED: &str = "enrolled";

/// The `step` of a [`CHANGE_MFA`] change: the user's second factor was
/// removed (a lost device), and sign-ins no longer ask for one.
pub const MFA_RESET: &str = "reset";

/// The `step` of a [`CHANGE_MFA`] change: the user's backup codes were
/// replaced, and the old ones stopped working.
pub const MFA_BACKUP_CODES_REPLACED: &str = "backup_codes_replaced";

/// The `credential` of an [`EventKind::AuthenticationFailed`] event that
/// refused a token (an expired access token, a refresh token from another
/// device) rather than a sign-in. Kept apart so that a client replaying a
/// stale token is not counted as guessing passwords.
pub const CREDENTIAL_TOKEN: &str = "token";

/// What happened to a privilege, in the `action` field of an
/// [`EventKind::PrivilegeChanged`] event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PrivilegeAction {
    /// Someone gave it.
    Granted,
    /// Someone took it away.
    Revoked,
    /// It reached its expiry and was found lapsed.
    Expired,
}

impl PrivilegeAction {
    /// The field value: `granted`, `revoked` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
}

/// How much attention an event deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Routine (a successful login, a key rotation).
    Info,
    /// A refusal that is usually benign (an expired token, a rate limit).
    Warning,
    /// A likely attack or a failure that weakens protection (token reuse, store down).
    Critical,
}

/// One observation by a rampart component.
///
/// ```
/// use rampart::core::{EventKind, MemorySink, EventSink, SecurityEvent, Severity};
///
/// let sink = MemorySink::new();
/// sink.emit(
///     SecurityEvent::new(EventKind::PermissionDenied, "rampart::rbac", "no role grants items:delete")
///         .with_subject("bob")
///         .with_field("permission", "items:delete"),
/// );
/// let events = sink.events();
/// assert_eq!(events[0].severity, Severity::Warning);
/// assert_eq!(events[0].subject.as_deref(), Some("bob"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SecurityEvent {
    /// What happened.
    pub kind: EventKind,
    /// How serious it is; defaults from the kind.
    pub severity: Severity,
    /// When, as milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// The component that saw it (its tracing target, e.g. `rampart::auth`).
    pub source: Cow<'static, str>,
    /// Why, for operators and the audit trail: never shown to the client and never
    /// holding a secret.
    pub reason: Cow<'static, str>,
    /// The request's id, when it happened during a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The client address, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<IpAddr>,
    /// The subject acting, when known; for [`EventKind::PrivilegeChanged`], the
    /// subject whose privileges changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The tenant acted in, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Further structured detail (the permission checked, the limit hit...).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
}

impl SecurityEvent {
    /// An event of `kind` seen by `source` now, with the kind's default severity.
    pub fn new(
        kind: EventKind,
        source: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            kind,
            severity: default_severity(kind),
            at_unix_ms: unix_ms(SystemTime::now()),
            source: source.into(),
            reason: reason.into(),
            request_id: None,
            client_ip: None,
            subject: None,
            tenant: None,
            fields: Map::new(),
        }
    }

    /// A [`EventKind::PrivilegeChanged`] event: `subject`'s privileges were
    /// changed by `action`. The caller adds the actor and what changed.
    ///
    /// ```
    /// use rampart::core::{EventKind, PrivilegeAction, SecurityEvent};
    ///
    /// let e = SecurityEvent::privilege_changed("rampart::rbac", PrivilegeAction::Granted, "bob")
    ///     .with_tenant("acme")
    ///     .with_field("actor", "alice")
    ///     .with_field("role", "admin");
    /// assert_eq!(e.kind, EventKind::PrivilegeChanged);
    /// assert_eq!(e.fields["action"], "granted");
    /// assert_eq!(e.reason, "privilege granted");
    /// ```
    pub fn privilege_changed(
        source: impl Into<Cow<'static, str>>,
        action: PrivilegeAction,
        subject: impl Into<String>,
    ) -> Self {
        let reason = match action {
            PrivilegeAction::Granted => "privilege granted",
            PrivilegeAction::Revoked => "privilege revoked",
            PrivilegeAction::Expired => "privilege expired",
        };
        Self::new(EventKind::PrivilegeChanged, source, reason)
            .with_subject(subject)
            .with_field("action", action.as_str())
    }

    /// Fills request id, client IP, subject and tenant from a request's extensions
    /// (whatever of them the outer layers inserted).
    #[must_use]
    pub fn with_request_context(mut self, extensions: &http::Extensions) -> Self {
        if let Some(id) = request_id(extensions) {
            self.request_id = Some(id.to_owned());
        }
        if let Some(ip) = extensions.get::<ClientIp>() {
            self.client_ip = Some(ip.ip());
        }
        if let Some(principal) = extensions.get::<Principal>() {
            self.subject = Some(principal.subject().to_owned());
            self.tenant = principal.tenant().map(str::to_owned);
        }
        self
    }

    /// Overrides the severity.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sets the time (for components that read a [`crate::Clock`]).
    #[must_use]
    pub fn at(mut self, time: SystemTime) -> Self {
        self.at_unix_ms = unix_ms(time);
        self
    }

    /// Sets the subject.
    #[must_use]
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the tenant.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Adds a detail field. Never put a token, password or key here.
    #[must_use]
    pub fn with_field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn default_severity(kind: EventKind) -> Severity {
    match kind {
        EventKind::AuthenticationSucceeded | EventKind::ConfigurationChanged => Severity::Info,
        EventKind::RefreshTokenReused
        | EventKind::AttackDetected
        | EventKind::StoreFailure
        | EventKind::AccountLocked => Severity::Critical,
        _ => Severity::Warning,
    }
}

/// Receives security events.
///
/// `emit` is called on the request path, so it must not block: a sink that
/// writes to disk or a database queues the event and writes elsewhere.
pub trait EventSink: Send + Sync + 'static {
    /// Takes one event.
    fn emit(&self, event: SecurityEvent);
}

/// A sink shared between layers.
pub type SharedSink = Arc<dyn EventSink>;

impl<T: EventSink + ?Sized> EventSink for Arc<T> {
    fn emit(&self, event: SecurityEvent) {
        (**self).emit(event);
    }
}

/// Writes each event as a `tracing` event on target `rampart::security`,
/// at `INFO`, `WARN` or `ERROR` by severity. The default sink of every layer.
///
/// Reasons, subjects and detail fields may hold what a client wrote, so every
/// one of them is a separate field recorded through its `Debug` form: quoted,
/// with newlines, escape sequences and quotes escaped. A reason can then
/// neither start a forged log line nor pass `key=value` text off as a field
/// of its own; the message itself is the constant `security event`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl TracingSink {
    /// A [`SharedSink`] writing to `tracing`.
    pub fn shared() -> SharedSink {
        Arc::new(TracingSink)
    }
}

impl EventSink for TracingSink {
    fn emit(&self, event: SecurityEvent) {
        let fields = (!event.fields.is_empty()).then(|| Value::Object(event.fields).to_string());
        macro_rules! log {
            ($level:expr) => {
                tracing::event!(
                    target: "rampart::security",
                    $level,
                    kind = ?event.kind,
                    source = ?event.source,
                    reason = ?event.reason,
                    request_id = event.request_id.as_deref().map(tracing::field::debug),
                    client_ip = event.client_ip.map(tracing::field::display),
                    subject = event.subject.as_deref().map(tracing::field::debug),
                    tenant = event.tenant.as_deref().map(tracing::field::debug),
                    fields = fields.as_deref().map(tracing::field::debug),
                    "security event"
                )
            };
        }
        match event.severity {
            Severity::Info => log!(tracing::Level::INFO),
            Severity::Warning => log!(tracing::Level::WARN),
            Severity::Critical => log!(tracing::Level::ERROR),
        }
    }
}

/// Keeps every event in memory, for tests and for inspection in examples.
/// Clones share the same list.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    events: Arc<Mutex<Vec<SecurityEvent>>>,
}

impl MemorySink {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every event so far, oldest first.
    pub fn events(&self) -> Vec<SecurityEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes and returns every event so far.
    pub fn take(&self) -> Vec<SecurityEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// How many events of `kind` were seen.
    pub fn count(&self, kind: EventKind) -> usize {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|e| e.kind == kind)
            .count()
    }
}

impl EventSink for MemorySink {
    fn emit(&self, event: SecurityEvent) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthMethod;
    use http::HeaderValue;

    #[test]
    fn request_context_is_picked_up() {
        let mut ext = http::Extensions::new();
        ext.insert(crate::RequestId::new(HeaderValue::from_static("req-1")));
        ext.insert(ClientIp("203.0.113.1".parse().unwrap()));
        ext.insert(Principal::new("bob", AuthMethod::Jwt).with_tenant("acme"));
        let event = SecurityEvent::new(EventKind::RateLimited, "rampart::ratelimit", "ip quota")
            .with_request_context(&ext);
        assert_eq!(event.request_id.as_deref(), Some("req-1"));
        assert_eq!(event.client_ip, Some("203.0.113.1".parse().unwrap()));
        assert_eq!(event.subject.as_deref(), Some("bob"));
        assert_eq!(event.tenant.as_deref(), Some("acme"));
    }

    #[test]
    fn severity_follows_kind_and_can_be_overridden() {
        let e = SecurityEvent::new(EventKind::RefreshTokenReused, "t", "r");
        assert_eq!(e.severity, Severity::Critical);
        let e = e.with_severity(Severity::Info);
        assert_eq!(e.severity, Severity::Info);
    }

    #[test]
    fn memory_sink_shares_between_clones_and_counts() {
        let sink = MemorySink::new();
        let shared: SharedSink = Arc::new(sink.clone());
        shared.emit(SecurityEvent::new(EventKind::CsrfRejected, "t", "r"));
        shared.emit(SecurityEvent::new(EventKind::RateLimited, "t", "r"));
        assert_eq!(sink.count(EventKind::CsrfRejected), 1);
        assert_eq!(sink.take().len(), 2);
        assert!(sink.events().is_empty());
    }

    #[test]
    fn serialises_without_empty_context() {
        let e = SecurityEvent::new(EventKind::CsrfRejected, "rampart::headers", "cross-site")
            .at(UNIX_EPOCH + std::time::Duration::from_millis(1234));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "csrf_rejected", "severity": "warning", "at_unix_ms": 1234,
                "source": "rampart::headers", "reason": "cross-site"
            })
        );
    }

    thread_local! {
        /// What the subscriber printed on this thread.
        static PRINTED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// Writes into the calling thread's `PRINTED`.
    struct ThisThread;

    impl std::io::Write for ThisThread {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            PRINTED.with(|p| p.borrow_mut().extend_from_slice(b));
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the `fmt` subscriber prints for one event sent to `TracingSink`.
    ///
    /// One global subscriber writing per thread: a thread-local subscriber
    /// loses events when another test thread caches "nobody listens" for the
    /// same callsite meanwhile.
    fn printed(event: SecurityEvent) -> String {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_writer(|| ThisThread)
                .without_time()
                .with_ansi(false)
                .finish();
            let _ = tracing::subscriber::set_global_default(subscriber);
            tracing::callsite::rebuild_interest_cache();
        });
        PRINTED.with(|p| p.borrow_mut().clear());
        TracingSink.emit(event);
        PRINTED.with(|p| String::from_utf8(p.borrow().clone()).unwrap())
    }

    #[test]
    fn hostile_text_cannot_forge_a_log_line_or_a_field() {
        let reason = "bad token\nERROR rampart::security: kind=AuthenticationSucceeded \
                      subject=\"root\" \u{1b}[2K\u{1b}[1A\r forged";
        let subject = "eve\" tenant=\"acme\nWARN x";
        let line = printed(
            SecurityEvent::new(EventKind::AuthenticationFailed, "rampart::auth", reason)
                .with_subject(subject)
                .with_field("note", "a=b\nc=d\u{1b}[31m"),
        );
        // One line, and no raw control character reaches the terminal or file.
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(line.ends_with('\n'));
        assert!(
            !line.trim_end().chars().any(char::is_control),
            "control character in {line:?}"
        );
        // Each hostile value is one quoted, escaped field...
        let reason_field = format!("reason={reason:?}");
        let subject_field = format!("subject={subject:?}");
        let fields_field = format!(
            "fields={:?}",
            serde_json::json!({"note": "a=b\nc=d\u{1b}[31m"}).to_string()
        );
        for field in [&reason_field, &subject_field, &fields_field] {
            assert!(line.contains(field.as_str()), "{field} not in {line}");
        }
        // ...and outside those fields none of the forged text appears.
        let rest = line
            .replace(&reason_field, "")
            .replace(&subject_field, "")
            .replace(&fields_field, "");
        for forged in ["AuthenticationSucceeded", "root", "forged", "acme", "a=b"] {
            assert!(
                !rest.contains(forged),
                "{forged:?} outside its field: {rest}"
            );
        }
        assert!(rest.contains("kind=AuthenticationFailed"), "{rest}");
        assert!(rest.contains("security event"), "{rest}");
    }

    #[test]
    fn privilege_changes_carry_their_action_and_default_to_warning() {
        let e = SecurityEvent::privilege_changed("t", PrivilegeAction::Expired, "bob");
        assert_eq!(e.kind, EventKind::PrivilegeChanged);
        assert_eq!(e.severity, Severity::Warning);
        assert_eq!(e.subject.as_deref(), Some("bob"));
        assert_eq!(e.fields["action"], "expired");
        assert_eq!(
            serde_json::to_value(e.kind).unwrap(),
            serde_json::json!("privilege_changed")
        );
        let line = printed(e);
        assert!(line.contains("kind=PrivilegeChanged"), "{line}");
        assert!(
            line.contains(r#"fields="{\"action\":\"expired\"}""#),
            "{line}"
        );
    }
}
