//! Rotating the signing key by age, through publish, activate, retire.

use super::key_set::KeySet;
use super::keys::{SigningKey, rsa_key_size};
use crate::error::ConfigError;
use crate::jwt::algorithm::Algorithm;
use rampart_core::{
    CHANGE_SIGNING_KEY, EventKind, SecurityEvent, Severity, SharedClock, SharedSink, SystemClock,
    TracingSink,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::Duration;

const DAY: u64 = 24 * 3600;

/// Replaces the signing key of a [`KeySet`] when it reaches an age, with the
/// three steps [`KeySet`] documents, each reported as a
/// [`ConfigurationChanged`](rampart_core::EventKind::ConfigurationChanged) event
/// whose `change` is [`CHANGE_SIGNING_KEY`] (audited as `admin.key.rotated`):
///
/// 1. once the active key is `rotate_after` old, a new key is generated and
///    **published** (it verifies and appears in the JWKS, but does not sign);
/// 2. `publish_delay` later it is **activated**: new tokens carry its `kid`;
/// 3. `retire_after` after that, when every token the old key signed has
///    expired, the old key is **retired** and leaves the JWKS.
///
/// There is no background task: each step happens on the first
/// [`tick`](Self::tick) at or after its time. A [`JwtIssuer`](crate::JwtIssuer)
/// given the rotation ticks before signing and a [`JwksService`](crate::JwksService)
/// before answering, so an application that issues tokens needs nothing
/// else. A tick before the next step is due costs one atomic load; the tick
/// that generates the new key pays for the generation (a 4096-bit RSA key
/// takes a noticeable fraction of a second), so a service that cares calls
/// `tick` from a timer of its own.
///
/// Generated keys live only in memory; rotation is for services whose keys
/// are generated at start-up, not for a key file or a shared secret.
///
/// ```
/// use rampart::auth::{Algorithm, KeyRotation, KeySet, SigningKey};
/// use rampart::core::ManualClock;
/// use std::time::Duration;
///
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let keys = KeySet::new(SigningKey::generate(Algorithm::ES256)?);
/// let first = keys.signing_kid();
/// let rotation = KeyRotation::builder(keys.clone())
///     .rotate_after(Duration::from_secs(30 * 24 * 3600))
///     .clock(clock.shared())
///     .build()?;
/// clock.advance(Duration::from_secs(30 * 24 * 3600));
/// rotation.tick()?; // publishes the next key
/// assert_eq!(keys.jwks().keys.len(), 2);
/// clock.advance(Duration::from_secs(600));
/// rotation.tick()?; // activates it
/// assert_ne!(keys.signing_kid(), first);
/// # Ok::<(), rampart::auth::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct KeyRotation {
    inner: Arc<Inner>,
}

struct Inner {
    keys: KeySet,
    alg: Algorithm,
    rsa_bits: u32,
    rotate_after: u64,
    publish_delay: u64,
    retire_after: u64,
    clock: SharedClock,
    sink: SharedSink,
    /// Unix seconds of the earliest pending step: ticks before it return at once.
    next_due: AtomicU64,
    state: Mutex<State>,
}

struct State {
    active_since: u64,
    /// The published key waiting to sign, and when it was published.
    pending: Option<(String, u64)>,
    /// Replaced keys and when each leaves the set.
    retiring: Vec<(String, u64)>,
}

impl std::fmt::Debug for KeyRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &*self.inner;
        f.debug_struct("KeyRotation")
            .field("algorithm", &i.alg)
            .field("rotate_after", &i.rotate_after)
            .field("publish_delay", &i.publish_delay)
            .field("retire_after", &i.retire_after)
            .finish_non_exhaustive()
    }
}

/// Builds a [`KeyRotation`].
#[must_use]
pub struct KeyRotationBuilder {
    keys: KeySet,
    rsa_bits: u32,
    rotate_after: u64,
    publish_delay: u64,
    retire_after: u64,
    clock: SharedClock,
    sink: SharedSink,
}

impl KeyRotation {
    /// Starts a rotation of `keys`' signing key. The new keys use the same
    /// algorithm as the key active when [`build`](KeyRotationBuilder::build) runs.
    pub fn builder(keys: KeySet) -> KeyRotationBuilder {
        KeyRotationBuilder {
            keys,
            rsa_bits: SigningKey::DEFAULT_RSA_BITS,
            rotate_after: 30 * DAY,
            publish_delay: 600,
            retire_after: 14 * DAY + 300,
            clock: SystemClock::shared(),
            sink: TracingSink::shared(),
        }
    }

    /// Takes every rotation step that is due. Errors (a key that could not be
    /// generated or activated) are also reported as a critical event; the
    /// current key keeps signing and the step is tried again on a later tick.
    pub fn tick(&self) -> Result<(), ConfigError> {
        let i = &*self.inner;
        let now = i.clock.unix_secs();
        if now < i.next_due.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut state = match i.state.try_lock() {
            Ok(state) => state,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            // Another caller is taking the step right now.
            Err(TryLockError::WouldBlock) => return Ok(()),
        };
        let result = self.step(&mut state, now);
        let mut next_due = self.next_due(&state);
        if result.is_err() {
            // Retry a failed step a minute later, not on every request.
            next_due = next_due.max(now.saturating_add(60));
        }
        i.next_due.store(next_due, Ordering::Release);
        if let Err(e) = &result {
            tracing::error!(target: "rampart::auth", error = %e, "signing key rotation failed");
            i.sink.emit(
                SecurityEvent::new(
                    EventKind::ConfigurationChanged,
                    "rampart::auth",
                    "signing key rotation failed; the current key keeps signing",
                )
                .with_severity(Severity::Critical)
                .at(i.clock.now())
                .with_field("change", CHANGE_SIGNING_KEY)
                .with_field("step", "failed")
                .with_field("error", e.to_string()),
            );
        }
        result
    }

    /// The key set being rotated.
    pub fn keys(&self) -> &KeySet {
        &self.inner.keys
    }

    /// How long a key is kept after it stops signing.
    pub fn retire_after(&self) -> Duration {
        Duration::from_secs(self.inner.retire_after)
    }

    fn next_due(&self, state: &State) -> u64 {
        let i = &*self.inner;
        let next = match &state.pending {
            Some((_, published_at)) => published_at.saturating_add(i.publish_delay),
            None => state.active_since.saturating_add(i.rotate_after),
        };
        state
            .retiring
            .iter()
            .map(|(_, at)| *at)
            .fold(next, u64::min)
    }

    fn step(&self, state: &mut State, now: u64) -> Result<(), ConfigError> {
        let i = &*self.inner;
        let (due, kept): (Vec<_>, Vec<_>) =
            state.retiring.drain(..).partition(|(_, at)| *at <= now);
        state.retiring = kept;
        for (kid, _) in due {
            // A key already retired by hand has nothing left to do.
            if i.keys.retire(&kid).is_ok() {
                self.emit("rotated-out signing key retired", "retire", &kid);
            }
        }
        self.activate_if_due(state, now)?;
        if state.pending.is_none() && now >= state.active_since.saturating_add(i.rotate_after) {
            let key = SigningKey::generate_with_rsa_bits(i.alg, i.rsa_bits)?;
            let kid = key.kid().to_owned();
            i.keys.publish(key)?;
            self.emit("next signing key published", "publish", &kid);
            state.pending = Some((kid, now));
            self.activate_if_due(state, now)?;
        }
        Ok(())
    }

    fn activate_if_due(&self, state: &mut State, now: u64) -> Result<(), ConfigError> {
        let i = &*self.inner;
        let Some((kid, published_at)) = state.pending.take() else {
            return Ok(());
        };
        if now < published_at.saturating_add(i.publish_delay) {
            state.pending = Some((kid, published_at));
            return Ok(());
        }
        let previous = i.keys.signing_kid();
        // On failure (the key was retired by hand) the pending key is dropped
        // and the active key counts as just rotated, so the next attempt
        // waits a whole period instead of failing on every tick.
        state.active_since = now;
        i.keys.activate(&kid)?;
        self.emit("published signing key activated", "activate", &kid);
        if let Some(previous) = previous.filter(|p| *p != kid) {
            state
                .retiring
                .push((previous, now.saturating_add(i.retire_after)));
        }
        Ok(())
    }

    fn emit(&self, reason: &'static str, step: &'static str, kid: &str) {
        let i = &*self.inner;
        tracing::info!(target: "rampart::auth", step, kid, "{reason}");
        i.sink.emit(
            SecurityEvent::new(EventKind::ConfigurationChanged, "rampart::auth", reason)
                .at(i.clock.now())
                .with_field("change", CHANGE_SIGNING_KEY)
                .with_field("step", step)
                .with_field("kid", kid.to_owned())
                .with_field("algorithm", i.alg.as_str()),
        );
    }
}

impl KeyRotationBuilder {
    /// Age at which the signing key is replaced. Default 30 days.
    pub fn rotate_after(mut self, age: Duration) -> Self {
        self.rotate_after = age.as_secs();
        self
    }

    /// Time a new key is published before it signs: at least the `max-age`
    /// relying parties cache the JWKS for. Default 10 minutes.
    pub fn publish_delay(mut self, delay: Duration) -> Self {
        self.publish_delay = delay.as_secs();
        self
    }

    /// Time a replaced key keeps verifying: at least the longest token
    /// lifetime plus leeway, or tokens it signed die early. Default 14 days
    /// and 5 minutes (the default refresh lifetime and the largest leeway).
    pub fn retire_after(mut self, after: Duration) -> Self {
        self.retire_after = after.as_secs();
        self
    }

    /// Modulus size of generated RSA keys. Default 4096; at least 2048.
    pub fn rsa_bits(mut self, bits: u32) -> Self {
        self.rsa_bits = bits;
        self
    }

    /// The clock deciding ages. Default: the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where each step is reported. Default: `tracing`.
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// Checks the settings and starts the clock on the active key's age.
    pub fn build(self) -> Result<KeyRotation, ConfigError> {
        let alg = self
            .keys
            .load()
            .signing
            .as_ref()
            .map(|k| k.algorithm())
            .ok_or(ConfigError::Invalid {
                name: "keys",
                reason: "the key set has no signing key to rotate".into(),
            })?;
        rsa_key_size(self.rsa_bits)?;
        if self.rotate_after <= self.publish_delay {
            return Err(ConfigError::Invalid {
                name: "rotate_after",
                reason: "a key must be older than the publish delay before it is replaced".into(),
            });
        }
        if self.retire_after == 0 {
            return Err(ConfigError::Invalid {
                name: "retire_after",
                reason: "keep a replaced key at least as long as its tokens live".into(),
            });
        }
        let now = self.clock.unix_secs();
        let rotation = KeyRotation {
            inner: Arc::new(Inner {
                keys: self.keys,
                alg,
                rsa_bits: self.rsa_bits,
                rotate_after: self.rotate_after,
                publish_delay: self.publish_delay,
                retire_after: self.retire_after,
                clock: self.clock,
                sink: self.sink,
                next_due: AtomicU64::new(now.saturating_add(self.rotate_after)),
                state: Mutex::new(State {
                    active_since: now,
                    pending: None,
                    retiring: Vec::new(),
                }),
            }),
        };
        Ok(rotation)
    }
}
