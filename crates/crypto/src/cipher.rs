//! `FieldCipher`: AEAD encryption of one field at a time, bound to its context.

use crate::context::Context;
use crate::error::{ConfigError, CryptoError};
use crate::format::{
    Algorithm, HEADER_LEN, ParsedCiphertext, TAG_LEN, bound_header, decode_text, encode_text,
};
use crate::key::KeyId;
use crate::keyring::{KeyEntry, KeyStatus, Keyring, Snapshot};
use crate::primitives;
use rampart_core::{
    EventKind, SecurityEvent, Severity, SharedClock, SharedSink, SystemClock, TracingSink,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use zeroize::{Zeroize, Zeroizing};

/// The `change` field of the [`EventKind::ConfigurationChanged`] events this
/// crate emits about field-encryption keys (rotations, retirements, nonce
/// budget warnings). The audit trail records rotations and retirements as
/// `admin.key.rotated`.
pub use rampart_core::CHANGE_ENCRYPTION_KEY;

/// The default nonce budget of AES-256-GCM with random nonces: 2^32
/// messages per key keeps the chance of a repeated nonce below 2^-32
/// (NIST SP 800-38D §8.3).
pub const GCM_NONCE_BUDGET: u64 = 1 << 32;

/// The default budget of AES-256-GCM-SIV with random nonces: RFC 8452 §9
/// allows about 2^48 messages per key with a negligible distinguishing
/// advantage; a repeated nonce there reveals only plaintext equality.
pub const GCM_SIV_NONCE_BUDGET: u64 = 1 << 48;

/// The default largest plaintext: 64 MiB. A field is small; a limit stops a
/// caller from encrypting what should have been a file.
pub const DEFAULT_MAX_PLAINTEXT: usize = 64 << 20;

const SOURCE: &str = "rampart::crypto";

/// A key's consumption of its nonce budget, from [`FieldCipher::usage`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct KeyUsage {
    /// The key.
    pub key_id: KeyId,
    /// Primary or decrypt-only.
    pub status: KeyStatus,
    /// Fields encrypted with it by this process.
    pub messages: u64,
    /// The budget.
    pub budget: u64,
    /// `messages / budget`, from 0.0 to 1.0 (and beyond once refused).
    pub fraction_used: f64,
    /// Whether `messages` has reached the warning threshold.
    pub over_threshold: bool,
}

/// Encrypts and decrypts single fields with the keys of a [`Keyring`].
///
/// Each call draws a fresh random 96-bit nonce, encrypts with the primary
/// key and binds the ciphertext to its [`Context`]. Clones share the keyring
/// and the usage counters.
///
/// ```
/// use rampart_crypto::{Context, FieldCipher, FieldKey, Keyring};
///
/// let cipher = FieldCipher::new(Keyring::new(1, FieldKey::generate()?)?);
/// let ctx = Context::new("user", "ssn", "42").tenant("acme");
/// let sealed = cipher.encrypt_to_string(&ctx, b"123-45-6789")?;
/// assert_eq!(&*cipher.decrypt_str(&ctx, &sealed)?, b"123-45-6789");
/// // Moved to another record, it no longer decrypts.
/// assert!(cipher.decrypt_str(&Context::new("user", "ssn", "43").tenant("acme"), &sealed).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FieldCipher {
    inner: Arc<Inner>,
}

struct Inner {
    keyring: Keyring,
    algorithm: Algorithm,
    budget: u64,
    warn_at: u64,
    max_plaintext: usize,
    sink: SharedSink,
    clock: SharedClock,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldCipher")
            .field("keyring", &self.inner.keyring)
            .field("algorithm", &self.inner.algorithm)
            .field("budget", &self.inner.budget)
            .finish_non_exhaustive()
    }
}

/// Builds a [`FieldCipher`]; see each setter for its default.
#[must_use]
pub struct FieldCipherBuilder {
    keyring: Keyring,
    algorithm: Algorithm,
    budget: Option<u64>,
    warn_fraction: f64,
    max_plaintext: usize,
    sink: SharedSink,
    clock: SharedClock,
}

impl FieldCipherBuilder {
    /// The AEAD for new fields. Default: [`Algorithm::Aes256Gcm`]. Fields are
    /// always decrypted with the algorithm written in them, so switching
    /// keeps old fields readable.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How many fields one key may encrypt before the cipher refuses and
    /// asks for a rotation. Default: [`GCM_NONCE_BUDGET`] for AES-256-GCM,
    /// [`GCM_SIV_NONCE_BUDGET`] for GCM-SIV. The count is per process: with
    /// N instances sharing a key, give each a budget of 1/N.
    pub fn nonce_budget(mut self, messages: u64) -> Self {
        self.budget = Some(messages);
        self
    }

    /// The fraction of the budget at which a warning event is emitted (once
    /// per key). Default: 0.5.
    pub fn warn_at(mut self, fraction: f64) -> Self {
        self.warn_fraction = fraction;
        self
    }

    /// The largest plaintext accepted. Default: [`DEFAULT_MAX_PLAINTEXT`].
    pub fn max_plaintext(mut self, bytes: usize) -> Self {
        self.max_plaintext = bytes;
        self
    }

    /// Where budget warnings go. Default: [`TracingSink`].
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// The clock events are stamped with. Default: [`SystemClock`].
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The cipher, or why the settings are unusable.
    pub fn build(self) -> Result<FieldCipher, ConfigError> {
        let budget = self.budget.unwrap_or(match self.algorithm {
            Algorithm::Aes256Gcm => GCM_NONCE_BUDGET,
            Algorithm::Aes256GcmSiv => GCM_SIV_NONCE_BUDGET,
        });
        if budget == 0 {
            return Err(ConfigError::Range {
                what: "nonce_budget",
                reason: "must be at least 1 message",
            });
        }
        if self.algorithm == Algorithm::Aes256Gcm && budget > GCM_NONCE_BUDGET {
            return Err(ConfigError::Range {
                what: "nonce_budget",
                reason: "AES-256-GCM with random nonces allows at most 2^32 messages per key",
            });
        }
        if !(self.warn_fraction > 0.0 && self.warn_fraction <= 1.0) {
            return Err(ConfigError::Range {
                what: "warn_at",
                reason: "must be a fraction in (0, 1]",
            });
        }
        if self.max_plaintext == 0 || self.max_plaintext > (1 << 36) - 32 {
            return Err(ConfigError::Range {
                what: "max_plaintext",
                reason: "must be between 1 byte and the GCM limit of 2^36 - 32 bytes",
            });
        }
        // Rounded up so that a fraction of 1.0 warns at the last message.
        let warn_at = ((budget as f64) * self.warn_fraction).ceil().max(1.0) as u64;
        Ok(FieldCipher {
            inner: Arc::new(Inner {
                keyring: self.keyring,
                algorithm: self.algorithm,
                budget,
                warn_at: warn_at.min(budget),
                max_plaintext: self.max_plaintext,
                sink: self.sink,
                clock: self.clock,
            }),
        })
    }
}

impl FieldCipher {
    /// A cipher with the secure defaults (AES-256-GCM, 2^32 messages per
    /// key, warning at half, events to `tracing`).
    pub fn new(keyring: Keyring) -> Self {
        Self {
            inner: Arc::new(Inner {
                keyring,
                algorithm: Algorithm::Aes256Gcm,
                budget: GCM_NONCE_BUDGET,
                warn_at: GCM_NONCE_BUDGET / 2,
                max_plaintext: DEFAULT_MAX_PLAINTEXT,
                sink: TracingSink::shared(),
                clock: SystemClock::shared(),
            }),
        }
    }

    /// A builder starting from the defaults of [`FieldCipher::new`].
    pub fn builder(keyring: Keyring) -> FieldCipherBuilder {
        FieldCipherBuilder {
            keyring,
            algorithm: Algorithm::Aes256Gcm,
            budget: None,
            warn_fraction: 0.5,
            max_plaintext: DEFAULT_MAX_PLAINTEXT,
            sink: TracingSink::shared(),
            clock: SystemClock::shared(),
        }
    }

    /// The keyring (shared: a rotation through it is seen by this cipher).
    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    /// The AEAD new fields are made with.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.algorithm
    }

    /// Encrypts `plaintext` in `ctx` with the primary key.
    pub fn encrypt(&self, ctx: &Context<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        self.encrypt_into(ctx, plaintext, &mut out)?;
        Ok(out)
    }

    /// Encrypts `plaintext` in `ctx`, appending the ciphertext to `out`
    /// (reuse one buffer to encrypt many fields without allocating). On an
    /// error `out` is left as it was.
    pub fn encrypt_into(
        &self,
        ctx: &Context<'_>,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        if plaintext.len() > self.inner.max_plaintext {
            return Err(CryptoError::TooLarge {
                limit: self.inner.max_plaintext,
                got: plaintext.len(),
            });
        }
        let snapshot = self.inner.keyring.load();
        let key = &snapshot.primary;
        self.count(key)?;
        let algorithm = self.inner.algorithm;
        let mut nonce = [0u8; crate::format::NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let header = bound_header(algorithm, key.id);
        let aad = ctx.aad(&header);

        // Written as the plaintext is copied, then sealed in place: no
        // zero-filling, one pass over the output buffer.
        let start = out.len();
        out.reserve(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&header);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let body_at = start + HEADER_LEN;
        match primitives::seal(
            key.aead(algorithm),
            nonce,
            aad.as_ref(),
            &mut out[body_at..],
        ) {
            Ok(tag) => out.extend_from_slice(&tag),
            Err(_) => {
                out[start..].zeroize();
                out.truncate(start);
                return Err(CryptoError::TooLarge {
                    limit: self.inner.max_plaintext,
                    got: plaintext.len(),
                });
            }
        }
        Ok(())
    }

    /// Encrypts `plaintext` in `ctx` into the base64url text form.
    pub fn encrypt_to_string(
        &self,
        ctx: &Context<'_>,
        plaintext: &[u8],
    ) -> Result<String, CryptoError> {
        self.encrypt(ctx, plaintext).map(|b| encode_text(&b))
    }

    /// Decrypts a binary ciphertext made in `ctx`. The plaintext is wiped
    /// when dropped.
    pub fn decrypt(
        &self,
        ctx: &Context<'_>,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut out = Zeroizing::new(Vec::new());
        self.decrypt_into(ctx, ciphertext, &mut out)?;
        Ok(out)
    }

    /// Decrypts a binary ciphertext made in `ctx`, appending the plaintext
    /// to `out`: for callers that reuse one buffer (and wipe it themselves)
    /// instead of receiving a fresh self-wiping one from
    /// [`decrypt`](Self::decrypt). On an error `out` is left as it was.
    pub fn decrypt_into(
        &self,
        ctx: &Context<'_>,
        ciphertext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        let parsed = ParsedCiphertext::parse(ciphertext)?;
        let snapshot = self.inner.keyring.load();
        let key = find(&snapshot, parsed.key_id)?;
        let aad = ctx.aad(&parsed.bound_header);
        primitives::open(
            key.aead(parsed.algorithm),
            parsed.nonce,
            aad.as_ref(),
            parsed.body,
            parsed.tag,
            out,
        )
        .map_err(|_| CryptoError::Authentication)
    }

    /// Decrypts the text form of a ciphertext made in `ctx`.
    pub fn decrypt_str(
        &self,
        ctx: &Context<'_>,
        text: &str,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let bytes = decode_text(text)?;
        self.decrypt(ctx, &bytes)
    }

    /// The key id and algorithm a ciphertext names, without decrypting it.
    pub fn inspect(ciphertext: &[u8]) -> Result<(KeyId, Algorithm), CryptoError> {
        ParsedCiphertext::parse(ciphertext).map(|p| (p.key_id, p.algorithm))
    }

    /// How much of its nonce budget each key has used in this process.
    pub fn usage(&self) -> Vec<KeyUsage> {
        self.inner
            .keyring
            .list()
            .into_iter()
            .map(|k| KeyUsage {
                key_id: k.id,
                status: k.status,
                messages: k.messages,
                budget: self.inner.budget,
                fraction_used: k.messages as f64 / self.inner.budget as f64,
                over_threshold: k.messages >= self.inner.warn_at,
            })
            .collect()
    }

    /// Counts one message against `key`'s budget, reporting the threshold
    /// and the exhaustion once each.
    fn count(&self, key: &KeyEntry) -> Result<(), CryptoError> {
        let before = key.counter.fetch_add(1, Ordering::Relaxed);
        let n = before.saturating_add(1);
        if n > self.inner.budget {
            // Undo, so the count stays at the budget however often callers retry.
            key.counter.fetch_sub(1, Ordering::Relaxed);
            if !key.exhausted_reported.swap(true, Ordering::Relaxed) {
                self.budget_event(key, "budget_exhausted", Severity::Critical, before);
            }
            return Err(CryptoError::NonceBudgetExhausted {
                key_id: key.id,
                budget: self.inner.budget,
            });
        }
        if n >= self.inner.warn_at && !key.warned.swap(true, Ordering::Relaxed) {
            self.budget_event(key, "budget_threshold", Severity::Warning, n);
        }
        Ok(())
    }

    fn budget_event(&self, key: &KeyEntry, step: &'static str, severity: Severity, n: u64) {
        let reason = if step == "budget_exhausted" {
            "field encryption key used its nonce budget: rotate it"
        } else {
            "field encryption key passed its nonce budget warning threshold: rotate it soon"
        };
        self.inner.sink.emit(
            SecurityEvent::new(EventKind::ConfigurationChanged, SOURCE, reason)
                .at(self.inner.clock.now())
                .with_severity(severity)
                .with_field("change", CHANGE_ENCRYPTION_KEY)
                .with_field("step", step)
                .with_field("kid", key.id.to_string())
                .with_field("messages", n)
                .with_field("budget", self.inner.budget),
        );
    }
}

/// The key a ciphertext names, or why it is not held.
pub(crate) fn find(snapshot: &Snapshot, id: KeyId) -> Result<&Arc<KeyEntry>, CryptoError> {
    snapshot.get(id).ok_or_else(|| {
        if snapshot.retired.contains(&id) {
            CryptoError::RetiredKey(id)
        } else {
            CryptoError::UnknownKey(id)
        }
    })
}
