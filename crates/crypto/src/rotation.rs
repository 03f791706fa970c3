//! Rotating the primary field key by age or usage, with an event per step.

use crate::cipher::CHANGE_ENCRYPTION_KEY;
use crate::error::{ConfigError, CryptoError};
use crate::key::{FieldKey, KeyId};
use crate::keyring::Keyring;
use crate::provider::{KeyProvider, StoredKey};
use rampart_core::{EventKind, SecurityEvent, SharedClock, SharedSink, SystemClock, TracingSink};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const SOURCE: &str = "rampart::crypto";

/// The default age at which the primary key is replaced: 30 days.
pub const DEFAULT_ROTATE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rotation {
    /// The new primary key.
    pub new_key_id: KeyId,
    /// The key it replaced, now decrypt-only.
    pub previous_key_id: KeyId,
    /// The new key wrapped by the provider, when one is configured: persist
    /// it before relying on the new key surviving a restart.
    pub stored: Option<StoredKey>,
}

/// Replaces a keyring's primary key with a fresh random one when it reaches
/// an age (and, optionally, a number of messages).
///
/// There is no background task: call [`tick`](Self::tick) from a timer or
/// before a batch job. Each rotation and retirement is reported as a
/// [`ConfigurationChanged`](EventKind::ConfigurationChanged) event whose
/// `change` is [`CHANGE_ENCRYPTION_KEY`], with `step` (`rotated`,
/// `retired`), `kid` and, for a rotation, `previous_kid`.
///
/// ```
/// use rampart_core::{ManualClock, MemorySink};
/// use rampart_crypto::{FieldKey, KeyRotation, Keyring};
/// use std::{sync::Arc, time::Duration};
///
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let keyring = Keyring::new_at(1, FieldKey::generate()?, 1_700_000_000)?;
/// let events = MemorySink::new();
/// let rotation = KeyRotation::builder(keyring.clone())
///     .rotate_after(Duration::from_secs(30 * 24 * 3600))
///     .clock(clock.shared())
///     .event_sink(Arc::new(events.clone()))
///     .build()?;
/// assert!(rotation.tick()?.is_none());
/// clock.advance(Duration::from_secs(30 * 24 * 3600));
/// let done = rotation.tick()?.expect("rotated");
/// assert_eq!((done.previous_key_id, done.new_key_id), (1, 2));
/// assert_eq!(keyring.primary_id(), 2);
/// assert_eq!(events.events()[0].fields["step"], "rotated");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct KeyRotation {
    keyring: Keyring,
    rotate_after: Duration,
    rotate_at_messages: Option<u64>,
    provider: Option<Arc<dyn KeyProvider>>,
    clock: SharedClock,
    sink: SharedSink,
    /// Serialises ticks, so two callers cannot both rotate.
    lock: Mutex<()>,
}

impl std::fmt::Debug for KeyRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRotation")
            .field("keyring", &self.keyring)
            .field("rotate_after", &self.rotate_after)
            .field("rotate_at_messages", &self.rotate_at_messages)
            .finish_non_exhaustive()
    }
}

/// Builds a [`KeyRotation`]; see each setter for its default.
#[must_use]
pub struct KeyRotationBuilder {
    keyring: Keyring,
    rotate_after: Duration,
    rotate_at_messages: Option<u64>,
    provider: Option<Arc<dyn KeyProvider>>,
    clock: SharedClock,
    sink: SharedSink,
}

impl KeyRotationBuilder {
    /// The age of the primary key at which it is replaced. Default:
    /// [`DEFAULT_ROTATE_AFTER`] (30 days); at least one minute.
    pub fn rotate_after(mut self, age: Duration) -> Self {
        self.rotate_after = age;
        self
    }

    /// Also rotate once the primary has encrypted this many fields in this
    /// process. Default: off (the cipher's nonce budget still refuses at
    /// its limit).
    pub fn rotate_at_messages(mut self, messages: u64) -> Self {
        self.rotate_at_messages = Some(messages);
        self
    }

    /// Wrap each new key through `provider`, returned in
    /// [`Rotation::stored`] for the caller to persist. Default: none.
    pub fn provider(mut self, provider: Arc<dyn KeyProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// The clock ages are measured by. Default: [`SystemClock`].
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where rotation events go. Default: [`TracingSink`].
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// The rotation, or why its settings are unusable.
    pub fn build(self) -> Result<KeyRotation, ConfigError> {
        if self.rotate_after < Duration::from_secs(60) {
            return Err(ConfigError::Range {
                what: "rotate_after",
                reason: "must be at least one minute",
            });
        }
        if self.rotate_at_messages == Some(0) {
            return Err(ConfigError::Range {
                what: "rotate_at_messages",
                reason: "must be at least 1",
            });
        }
        Ok(KeyRotation {
            keyring: self.keyring,
            rotate_after: self.rotate_after,
            rotate_at_messages: self.rotate_at_messages,
            provider: self.provider,
            clock: self.clock,
            sink: self.sink,
            lock: Mutex::new(()),
        })
    }
}

impl KeyRotation {
    /// A builder for rotating `keyring`.
    pub fn builder(keyring: Keyring) -> KeyRotationBuilder {
        KeyRotationBuilder {
            keyring,
            rotate_after: DEFAULT_ROTATE_AFTER,
            rotate_at_messages: None,
            provider: None,
            clock: SystemClock::shared(),
            sink: TracingSink::shared(),
        }
    }

    /// Rotates if the primary key is due, by age or usage.
    pub fn tick(&self) -> Result<Option<Rotation>, CryptoError> {
        let _g = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let primary = self.keyring.primary_id();
        let Some(info) = self.keyring.list().into_iter().find(|k| k.id == primary) else {
            return Ok(None);
        };
        let age = self.clock.unix_secs().saturating_sub(info.created_at_unix);
        let by_age = age >= self.rotate_after.as_secs();
        let by_use = self.rotate_at_messages.is_some_and(|n| info.messages >= n);
        if !(by_age || by_use) {
            return Ok(None);
        }
        let reason = if by_age { "age" } else { "usage" };
        self.rotate_locked(reason).map(Some)
    }

    /// Rotates now, whatever the primary key's age.
    pub fn rotate_now(&self) -> Result<Rotation, CryptoError> {
        let _g = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.rotate_locked("requested")
    }

    /// Retires the decrypt-only key `id` (after its fields were
    /// re-encrypted), with an event.
    pub fn retire(&self, id: KeyId) -> Result<(), ConfigError> {
        self.keyring.retire(id)?;
        self.sink.emit(
            SecurityEvent::new(
                EventKind::ConfigurationChanged,
                SOURCE,
                "field encryption key retired",
            )
            .at(self.clock.now())
            .with_field("change", CHANGE_ENCRYPTION_KEY)
            .with_field("step", "retired")
            .with_field("kid", id.to_string()),
        );
        Ok(())
    }

    fn rotate_locked(&self, trigger: &'static str) -> Result<Rotation, CryptoError> {
        let previous = self.keyring.primary_id();
        let id = self.keyring.next_id();
        let now = self.clock.unix_secs();
        let result = FieldKey::generate()
            .map_err(|_| CryptoError::Random)
            .and_then(|key| {
                let stored = match &self.provider {
                    Some(p) => Some(StoredKey::new(id, now, true, p.wrap(id, &key)?)),
                    None => None,
                };
                self.keyring
                    .rotate_at(id, key, now)
                    .map_err(|e| CryptoError::Provider(e.to_string()))?;
                Ok(stored)
            });
        let base = SecurityEvent::new(
            EventKind::ConfigurationChanged,
            SOURCE,
            if result.is_ok() {
                "field encryption key rotated"
            } else {
                "field encryption key rotation failed"
            },
        )
        .at(self.clock.now())
        .with_field("change", CHANGE_ENCRYPTION_KEY)
        .with_field("trigger", trigger)
        .with_field("previous_kid", previous.to_string());
        match result {
            Ok(stored) => {
                self.sink.emit(
                    base.with_field("step", "rotated")
                        .with_field("kid", id.to_string()),
                );
                Ok(Rotation {
                    new_key_id: id,
                    previous_key_id: previous,
                    stored,
                })
            }
            Err(e) => {
                self.sink.emit(
                    base.with_severity(rampart_core::Severity::Critical)
                        .with_field("step", "failed")
                        .with_field("error", e.to_string()),
                );
                Err(e)
            }
        }
    }
}
