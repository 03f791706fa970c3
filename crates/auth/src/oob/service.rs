//! [`OobCodes`]: what an application calls to send and check one-time codes.

use super::store::{Checked, CodeHash, Issued, MemoryOobStore, NewCode, SharedOobStore};
use super::{CodeFormat, Destination, OobError, OobMessage, SharedOobSender};
use crate::ConfigError;
use crate::mfa::MfaKey;
use aws_lc_rs::hmac;
use rampart_core::{
    EventKind, SecurityEvent, Severity, SharedClock, SharedSink, SystemClock, TracingSink,
};
use std::sync::Arc;
use std::time::Duration;

const SOURCE: &str = "rampart::auth";

/// How long a code works, by default: 10 minutes.
pub const DEFAULT_CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// Wrong codes a code accepts before it is void, by default.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Codes that may be sent per subject and purpose in the resend window, by default.
pub const DEFAULT_MAX_SENDS: u32 = 5;
/// The window sends are counted in, by default: 15 minutes.
pub const DEFAULT_RESEND_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The longest subject accepted, in bytes.
const MAX_SUBJECT_BYTES: usize = 512;
/// The longest purpose accepted, in bytes.
const MAX_PURPOSE_BYTES: usize = 64;

/// What a send did, to tell the user where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// The channel used.
    pub channel: super::Channel,
    /// The address, masked ([`Destination::masked`]).
    pub masked_destination: String,
    /// How long the code works.
    pub expires_in: Duration,
}

/// One-time codes sent out of band (e-mail, SMS): CSPRNG codes stored only
/// as keyed hashes, short-lived, attempt-limited, single use, one live code
/// per subject and purpose, with a resend limit.
///
/// Cheap to clone; clones share the store and sender.
///
/// ```
/// # #[cfg(feature = "oob")] {
/// use rampart::auth::mfa::MfaKey;
/// use rampart::auth::oob::{
///     Destination, DeliveryFuture, OobCodes, OobError, OobMessage, OobSender,
/// };
/// use std::sync::{Arc, Mutex};
///
/// // A sender that keeps the last code, in place of a mailer.
/// #[derive(Default)]
/// struct Outbox(Mutex<Option<String>>);
/// impl OobSender for Outbox {
///     fn send<'a>(&'a self, m: &'a OobMessage<'a>) -> DeliveryFuture<'a> {
///         *self.0.lock().unwrap() = Some(m.code.as_str().to_owned());
///         Box::pin(async { Ok(()) })
///     }
/// }
///
/// # async fn run() -> Result<(), OobError> {
/// let outbox = Arc::new(Outbox::default());
/// let codes = OobCodes::builder(MfaKey::generate().unwrap(), outbox.clone()).build().unwrap();
/// let to = Destination::email("alice@example.com")?;
/// let sent = codes.send("alice", "login", &to).await?;
/// assert_eq!(sent.masked_destination, "a***@example.com");
///
/// let code = outbox.0.lock().unwrap().clone().unwrap();
/// codes.verify("alice", "login", &code).await?;
/// // Single use.
/// assert_eq!(codes.verify("alice", "login", &code).await, Err(OobError::NoCode));
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct OobCodes {
    inner: Arc<Inner>,
}

struct Inner {
    hash_key: hmac::Key,
    sender: SharedOobSender,
    store: SharedOobStore,
    clock: SharedClock,
    sink: SharedSink,
    format: CodeFormat,
    ttl: Duration,
    max_attempts: u32,
    max_sends: u32,
    resend_window: Duration,
}

impl std::fmt::Debug for OobCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = &self.inner;
        f.debug_struct("OobCodes")
            .field("format", &inner.format)
            .field("ttl", &inner.ttl)
            .field("max_attempts", &inner.max_attempts)
            .field("max_sends", &inner.max_sends)
            .field("resend_window", &inner.resend_window)
            .finish_non_exhaustive()
    }
}

/// Builds [`OobCodes`]; see each setter for its default.
#[must_use]
pub struct OobCodesBuilder {
    key: MfaKey,
    sender: SharedOobSender,
    store: Option<SharedOobStore>,
    clock: Option<SharedClock>,
    sink: Option<SharedSink>,
    format: CodeFormat,
    ttl: Duration,
    max_attempts: u32,
    max_sends: u32,
    resend_window: Duration,
}

impl std::fmt::Debug for OobCodesBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OobCodesBuilder")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl OobCodesBuilder {
    /// The codes' alphabet and length. Default 6 digits.
    pub fn format(mut self, format: CodeFormat) -> Self {
        self.format = format;
        self
    }

    /// How long a code works: 30 seconds to 1 hour. Default 10 minutes.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Wrong codes a code accepts before it is void: 1 to 10. Default 5.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// At most `max` codes per subject and purpose within `window` (counted
    /// from the first). Default 5 per 15 minutes. Each text message costs
    /// money and lands on someone's phone: this is what stops a script from
    /// sending thousands (SMS pumping) or bombing one user.
    pub fn resend_limit(mut self, max: u32, window: Duration) -> Self {
        self.max_sends = max;
        self.resend_window = window;
        self
    }

    /// Where live codes are kept. Default: a fresh [`MemoryOobStore`] (one
    /// instance only).
    pub fn store(mut self, store: SharedOobStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock expiry and the resend window are read from. Default: the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where sends, checks and failures are reported. Default: [`TracingSink`].
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Checks the settings and builds the service.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first setting out of range.
    pub fn build(self) -> Result<OobCodes, ConfigError> {
        let invalid = |name: &'static str, reason: &str| ConfigError::Invalid {
            name,
            reason: reason.into(),
        };
        if !(30..=3600).contains(&self.ttl.as_secs()) {
            return Err(invalid("ttl", "a code lives 30 seconds to 1 hour"));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(invalid("max_attempts", "1 to 10 wrong codes per code"));
        }
        if self.max_sends == 0 || self.resend_window.as_secs() == 0 {
            return Err(invalid(
                "resend_limit",
                "at least one code per window of at least one second",
            ));
        }
        let key = crate::mfa::derive(&self.key, b"oob code hashing v1")
            .map_err(|e| invalid("key", &e.to_string()))?;
        Ok(OobCodes {
            inner: Arc::new(Inner {
                hash_key: hmac::Key::new(hmac::HMAC_SHA256, key.as_ref()),
                sender: self.sender,
                store: self
                    .store
                    .unwrap_or_else(|| Arc::new(MemoryOobStore::new())),
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                sink: self.sink.unwrap_or_else(TracingSink::shared),
                format: self.format,
                ttl: self.ttl,
                max_attempts: self.max_attempts,
                max_sends: self.max_sends,
                resend_window: self.resend_window,
            }),
        })
    }
}

/// Refuses a subject or purpose that cannot name a code: empty, too long,
/// or (a purpose) outside `[a-z0-9._-]`; a subject with control characters
/// could forge lines in a log.
fn check_names(subject: &str, purpose: &str) -> Result<(), OobError> {
    if subject.is_empty()
        || subject.len() > MAX_SUBJECT_BYTES
        || subject.chars().any(char::is_control)
    {
        return Err(OobError::InvalidInput("subject"));
    }
    if purpose.is_empty()
        || purpose.len() > MAX_PURPOSE_BYTES
        || !purpose
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err(OobError::InvalidInput("purpose"));
    }
    Ok(())
}

impl OobCodes {
    /// A builder: `key` (the application's [`MfaKey`], from its secret
    /// manager) keys the code hashes; `sender` delivers the codes.
    pub fn builder(key: MfaKey, sender: SharedOobSender) -> OobCodesBuilder {
        OobCodesBuilder {
            key,
            sender,
            store: None,
            clock: None,
            sink: None,
            format: CodeFormat::default(),
            ttl: DEFAULT_CODE_TTL,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_sends: DEFAULT_MAX_SENDS,
            resend_window: DEFAULT_RESEND_WINDOW,
        }
    }

    /// Sends a new code for `purpose` (`login`, `verify-email`, ...) to
    /// `subject` at `to`. Any earlier code of the same subject and purpose
    /// stops working. The code is stored (hashed) before it is handed to the
    /// sender; when the sender fails, it is voided again.
    ///
    /// # Errors
    /// [`OobError::Throttled`] over the resend limit (nothing sent);
    /// [`OobError::Delivery`] when the sender failed (the send still
    /// counts); [`OobError::Unavailable`] when the store is down (nothing
    /// sent); [`OobError::InvalidInput`].
    pub async fn send(
        &self,
        subject: &str,
        purpose: &str,
        to: &Destination,
    ) -> Result<Sent, OobError> {
        check_names(subject, purpose)?;
        let inner = &*self.inner;
        let now = inner.clock.unix_secs();
        let code = inner.format.generate()?;
        let hash = self.hash(subject, purpose, code.as_str());
        let expires_at = now.saturating_add(inner.ttl.as_secs());
        let issued = inner
            .store
            .issue(NewCode {
                subject,
                purpose,
                hash: &hash,
                now,
                expires_at,
                max_attempts: inner.max_attempts,
                max_sends: inner.max_sends,
                resend_window_secs: inner.resend_window.as_secs(),
            })
            .await;
        match self.store(issued, subject, purpose)? {
            Issued::Stored => {}
            Issued::Throttled { until } => {
                self.emit(
                    self.event(
                        EventKind::RateLimited,
                        "one-time code not sent: resend limit reached",
                        subject,
                        purpose,
                    )
                    .with_field("channel", to.channel().as_str())
                    .with_field("retry_after_unix", until),
                );
                return Err(OobError::Throttled {
                    retry_after: Duration::from_secs(until.saturating_sub(now).max(1)),
                });
            }
        }
        let message = OobMessage {
            destination: to,
            code: &code,
            purpose,
            expires_in: inner.ttl,
        };
        if let Err(error) = inner.sender.send(&message).await {
            // A code nobody received must not stay guessable.
            let _ = self.store(
                inner.store.void(subject, purpose, &hash).await,
                subject,
                purpose,
            );
            self.emit(
                self.event(
                    EventKind::StoreFailure,
                    "one-time code could not be delivered; voided",
                    subject,
                    purpose,
                )
                .with_field("channel", to.channel().as_str())
                .with_field("destination", to.masked())
                .with_field("error", error.0.clone()),
            );
            return Err(OobError::Delivery(error));
        }
        self.emit(
            self.event(
                EventKind::ConfigurationChanged,
                "one-time code sent",
                subject,
                purpose,
            )
            .with_field("change", "oob_code")
            .with_field("step", "issued")
            .with_field("channel", to.channel().as_str())
            .with_field("destination", to.masked())
            .with_field("expires_at_unix", expires_at),
        );
        Ok(Sent {
            channel: to.channel(),
            masked_destination: to.masked(),
            expires_in: inner.ttl,
        })
    }

    /// Checks `code` against the live code of `subject` and `purpose`: a
    /// right one is consumed (single use: of two concurrent checks, one
    /// wins), a wrong one costs a try, and the last wrong try voids it.
    /// Input that cannot be a code counts as a wrong try.
    ///
    /// Tell the user no more than "wrong or expired code, ask for a new one"
    /// for every error but [`OobError::Unavailable`]; `attempts_left` may be
    /// shown.
    ///
    /// # Errors
    /// [`OobError::WrongCode`], [`OobError::Exhausted`],
    /// [`OobError::Expired`], [`OobError::NoCode`],
    /// [`OobError::Unavailable`] (fail closed), [`OobError::InvalidInput`].
    pub async fn verify(&self, subject: &str, purpose: &str, code: &str) -> Result<(), OobError> {
        check_names(subject, purpose)?;
        let inner = &*self.inner;
        let now = inner.clock.unix_secs();
        // Something that cannot be a code is hashed as the empty string,
        // which no code is: it costs a try like any wrong code.
        let typed = inner.format.normalise(code);
        let hash = self.hash(
            subject,
            purpose,
            typed.as_deref().map_or("", String::as_str),
        );
        let checked = inner.store.check(subject, purpose, &hash, now).await;
        let (kind, severity, reason, result) = match self.store(checked, subject, purpose)? {
            Checked::Verified => (
                EventKind::AuthenticationSucceeded,
                Severity::Info,
                "one-time code verified",
                Ok(()),
            ),
            Checked::Wrong { attempts_left } => (
                EventKind::AuthenticationFailed,
                Severity::Warning,
                "wrong one-time code",
                Err(OobError::WrongCode { attempts_left }),
            ),
            Checked::Exhausted => (
                EventKind::AuthenticationFailed,
                Severity::Warning,
                "one-time code voided after too many wrong tries",
                Err(OobError::Exhausted),
            ),
            Checked::Expired => (
                EventKind::AuthenticationFailed,
                Severity::Warning,
                "expired one-time code",
                Err(OobError::Expired),
            ),
            Checked::NoCode => (
                EventKind::AuthenticationFailed,
                Severity::Warning,
                "no live one-time code",
                Err(OobError::NoCode),
            ),
        };
        let outcome = match &result {
            Ok(()) => "verified",
            Err(e) => e.code(),
        };
        self.emit(
            self.event(kind, reason, subject, purpose)
                .with_severity(severity)
                .with_field("outcome", outcome),
        );
        result
    }

    /// The stored form of a code: HMAC-SHA-256 over the length-prefixed
    /// subject and purpose and the code, so one code of two subjects or two
    /// purposes hashes apart.
    fn hash(&self, subject: &str, purpose: &str, code: &str) -> CodeHash {
        let mut ctx = hmac::Context::with_key(&self.inner.hash_key);
        for part in [subject, purpose] {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        ctx.update(code.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    /// A store result, reporting an outage as an event (the caller fails closed).
    fn store<T>(
        &self,
        result: Result<T, crate::StoreError>,
        subject: &str,
        purpose: &str,
    ) -> Result<T, OobError> {
        result.map_err(|e| {
            self.emit(
                self.event(
                    EventKind::StoreFailure,
                    "one-time code store unavailable; nothing sent or accepted (fail closed)",
                    subject,
                    purpose,
                )
                .with_field("error", e.0.clone()),
            );
            OobError::Unavailable(e)
        })
    }

    fn event(
        &self,
        kind: EventKind,
        reason: &'static str,
        subject: &str,
        purpose: &str,
    ) -> SecurityEvent {
        SecurityEvent::new(kind, SOURCE, reason)
            .with_subject(subject)
            .with_field("factor", "oob")
            .with_field("purpose", purpose)
    }

    fn emit(&self, event: SecurityEvent) {
        self.inner.sink.emit(event.at(self.inner.clock.now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_names("alice", "login").is_ok());
        assert!(check_names("alice", "verify-email.v2_x").is_ok());
        for (subject, purpose) in [
            ("", "login"),
            ("alice", ""),
            ("alice", "Login"),
            ("alice", "log in"),
            ("alice", "login\n"),
            ("ali\nce", "login"),
            ("alice", "é"),
        ] {
            assert!(
                check_names(subject, purpose).is_err(),
                "{subject:?} {purpose:?}"
            );
        }
        // The limits are inclusive: 512 bytes of subject, 64 of purpose.
        assert!(check_names(&"a".repeat(512), "login").is_ok());
        assert!(check_names(&"a".repeat(513), "login").is_err());
        assert!(check_names("a", &"a".repeat(64)).is_ok());
        assert!(check_names("a", &"a".repeat(65)).is_err());
    }
}
