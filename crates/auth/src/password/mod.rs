//! Password hashing and verification with argon2id, bounded and
//! indistinguishable for unknown users.
//!
//! [`PasswordVerifier`] is what a login handler calls. It exists for two
//! reasons a bare `argon2::verify_password` on `spawn_blocking` gets wrong:
//!
//! - **Load.** Every check runs on the blocking pool under a
//!   [`HashLimiter`]: at most `max_concurrent` hashes at once (default: one
//!   per CPU) and a short queue; beyond that [`PasswordError::Busy`] comes
//!   back at once, for a `503` with `Retry-After`. Without it, a few hundred
//!   parallel wrong-password logins hold a few hundred argon2 buffers.
//! - **Timing.** When the user does not exist, the check runs against a decoy
//!   hash made with the *same* argon2 parameters as the stored hashes
//!   ([`PasswordVerifierBuilder::decoy_like`]), so a miss costs what a hit
//!   costs. A decoy with default parameters beside stored hashes with stronger
//!   ones tells an attacker which names exist by response time alone.
//!
//! ```
//! use rampart::auth::password::PasswordVerifier;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = PasswordVerifier::builder().build()?;
//! let stored = verifier.hash(b"correct horse")?; // at enrolment; blocking
//! assert!(verifier.verify(b"correct horse", Some(&stored)).await?);
//! assert!(!verifier.verify(b"battery staple", Some(&stored)).await?);
//! // Unknown user: same work, always false.
//! assert!(!verifier.verify(b"correct horse", None).await?);
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(run())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blocklist;
mod generate;
mod legacy;
mod limiter;
mod normalize;
mod policy;
mod policy_config;
mod verification;

pub use argon2;
pub use blocklist::Blocklist;
pub use generate::{CharClass, PasswordGenerator};
pub use legacy::{BCRYPT_MAX_PASSWORD_BYTES, LegacyScheme, hash_scheme};
pub use limiter::{Busy, HashLimiter, LimiterStats, RunError};
pub use normalize::normalize;
pub use policy::{
    DEFAULT_MAX_AGE_OPT_IN, MAX_INPUT_BYTES, PasswordPolicy, PasswordPolicyBuilder,
    PolicyCheckError, PolicyViolation, PolicyViolations, Rule, UserContext,
};
pub use policy_config::{PasswordPolicies, PasswordPolicyConfig};
pub use verification::{RehashReason, Verification};

use crate::ConfigError;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier as _};
use argon2::{Argon2, Params, Version};
use legacy::LegacyHash;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// Why a password could not be hashed or checked. Never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Too many checks in progress; nothing was hashed. Answer `503` with
    /// `Retry-After`.
    #[error(transparent)]
    Busy(Busy),
    /// The stored hash is in no supported format (argon2 PHC, or a legacy
    /// bcrypt, PBKDF2-SHA256 or scrypt hash), or its cost is out of bounds.
    #[error(
        "the stored password hash is not a supported hash (argon2 PHC `$argon2id$v=19$m=...`, bcrypt, PBKDF2-SHA256 or scrypt) or its cost is out of bounds"
    )]
    InvalidHash,
    /// The password is longer than the 72 bytes bcrypt reads, and the stored
    /// hash is bcrypt: checking it would silently ignore the rest. Nothing
    /// was accepted; the user needs a password reset.
    #[error(
        "the password has {len} bytes but the stored bcrypt hash can only check 72: it was refused, not truncated; reset the password"
    )]
    TooLongForBcrypt {
        /// The password's length in bytes.
        len: usize,
    },
    /// argon2 refused the parameters or the input.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The check panicked or the runtime is shutting down.
    #[error("the password check could not run")]
    Failed,
}

impl From<RunError> for PasswordError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Busy(busy) => Self::Busy(busy),
            RunError::Failed => Self::Failed,
        }
    }
}

/// The argon2 variant, version and cost parameters of a hash: what decides
/// how long verifying it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HashParams {
    /// `argon2id`, `argon2i` or `argon2d`.
    pub algorithm: argon2::Algorithm,
    /// Almost always `0x13`.
    pub version: Version,
    /// Memory, passes, lanes and output length.
    pub params: Params,
}

impl HashParams {
    /// Reads them from a PHC string.
    ///
    /// # Errors
    /// [`PasswordError::InvalidHash`] when `phc` is not an argon2 PHC string.
    pub fn from_phc(phc: &str) -> Result<Self, PasswordError> {
        let hash = PasswordHash::new(phc).map_err(|_| PasswordError::InvalidHash)?;
        let algorithm =
            argon2::Algorithm::new(hash.algorithm).map_err(|_| PasswordError::InvalidHash)?;
        let version = hash
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|_| PasswordError::InvalidHash)?
            .unwrap_or_default();
        let parsed = Params::try_from(&hash).map_err(|_| PasswordError::InvalidHash)?;
        // The default output length reads back as `Some(32)`: store it as the
        // default so that parameters compare equal to the ones that made them.
        let output_len = parsed
            .output_len()
            .filter(|len| *len != Params::DEFAULT_OUTPUT_LEN);
        let params = Params::new(
            parsed.m_cost(),
            parsed.t_cost(),
            parsed.p_cost(),
            output_len,
        )
        .map_err(|_| PasswordError::InvalidHash)?;
        Ok(Self {
            algorithm,
            version,
            params,
        })
    }

    /// Hashes a password with these parameters and a fresh random salt into
    /// a PHC string. Blocks for as long as argon2 takes.
    ///
    /// # Errors
    /// [`PasswordError::Hash`] when argon2 refuses the parameters or input.
    pub fn hash(&self, password: &[u8]) -> Result<String, PasswordError> {
        Argon2::new(self.algorithm, self.version, self.params.clone())
            .hash_password(password)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// Work in KiB-passes, to rank parameter sets by cost.
    fn cost(&self) -> u128 {
        u128::from(self.params.m_cost()) * u128::from(self.params.t_cost())
    }
}

impl Default for HashParams {
    /// argon2id v19 with argon2's recommended parameters (m = 19 MiB, t = 2,
    /// p = 1: the OWASP minimum).
    fn default() -> Self {
        Self {
            algorithm: argon2::Algorithm::Argon2id,
            version: Version::V0x13,
            params: Params::DEFAULT,
        }
    }
}

fn argon2_verify(password: &[u8], phc: &str) -> Result<bool, PasswordError> {
    let hash = PasswordHash::new(phc).map_err(|_| PasswordError::InvalidHash)?;
    Ok(Argon2::default().verify_password(password, &hash).is_ok())
}

/// Hashes and verifies passwords under a [`HashLimiter`], with a decoy for
/// unknown users. Cheap to clone; clones share the limiter.
#[derive(Clone)]
pub struct PasswordVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    params: HashParams,
    decoy: String,
    decoy_params: HashParams,
    limiter: HashLimiter,
}

impl std::fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordVerifier")
            .field("params", &self.inner.params)
            .field("decoy_params", &self.inner.decoy_params)
            .field("limiter", &self.inner.limiter)
            .finish_non_exhaustive()
    }
}

impl PasswordVerifier {
    /// Starts a builder with the secure defaults.
    pub fn builder() -> PasswordVerifierBuilder {
        PasswordVerifierBuilder::default()
    }

    /// Hashes a password with the configured parameters into a PHC string.
    ///
    /// This blocks for as long as argon2 takes (tens of milliseconds): call it
    /// at start-up or enrolment, or through [`PasswordVerifier::limiter`] from
    /// async code.
    ///
    /// # Errors
    /// [`PasswordError::Hash`] when argon2 refuses the input.
    pub fn hash(&self, password: &[u8]) -> Result<String, PasswordError> {
        self.inner.params.hash(password)
    }

    /// Checks `password` against `stored` (an argon2 PHC string, or a legacy
    /// bcrypt, PBKDF2-SHA256 or scrypt hash: see [`LegacyScheme`]), or
    /// against the decoy when `stored` is `None` (unknown user: same work,
    /// always `false`). The hash runs on the blocking pool under the limiter.
    /// [`check`](Self::check) also says whether to rehash.
    ///
    /// Legacy hashes cost what their scheme costs, not what the decoy costs:
    /// until they are rehashed, a wrong password for such a user takes a
    /// different time than an unknown name.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] at once when the limiter is full;
    /// [`PasswordError::InvalidHash`] when `stored` is in no supported format;
    /// [`PasswordError::TooLongForBcrypt`] for a password over 72 bytes
    /// against a bcrypt hash (after the decoy's work, so the refusal takes as
    /// long as a check); [`PasswordError::Failed`] when the runtime could not
    /// run the check.
    pub async fn verify(
        &self,
        password: &[u8],
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let known = stored.is_some();
        let legacy = stored.and_then(LegacyHash::parse).transpose()?;
        let phc = stored.unwrap_or(&self.inner.decoy).to_owned();
        let decoy = self.inner.decoy.clone();
        let password = Zeroizing::new(password.to_vec());
        let matched = self
            .inner
            .limiter
            .run(move || match legacy {
                Some(legacy) => match legacy.verify(&password) {
                    Err(PasswordError::TooLongForBcrypt { len }) => {
                        let _ = argon2_verify(&password, &decoy);
                        Err(PasswordError::TooLongForBcrypt { len })
                    }
                    other => other,
                },
                None => argon2_verify(&password, &phc),
            })
            .await??;
        Ok(known && matched)
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> &HashParams {
        &self.inner.params
    }

    /// The decoy PHC string verified for unknown users. Not a secret: its
    /// password is random and a decoy check never succeeds.
    pub fn decoy_hash(&self) -> &str {
        &self.inner.decoy
    }

    /// The parameters of the decoy hash.
    pub fn decoy_params(&self) -> &HashParams {
        &self.inner.decoy_params
    }

    /// The limiter every check runs under, for its [`HashLimiter::stats`] or
    /// to run other hashing (enrolment) under the same bound.
    pub fn limiter(&self) -> &HashLimiter {
        &self.inner.limiter
    }
}

/// Builds a [`PasswordVerifier`].
#[derive(Debug, Default)]
#[must_use]
pub struct PasswordVerifierBuilder {
    params: HashParams,
    max_concurrent: Option<usize>,
    max_queued: Option<usize>,
    retry_after: Option<Duration>,
    decoy_like: Vec<String>,
}

impl PasswordVerifierBuilder {
    /// The parameters new hashes are made with. Default: [`HashParams::default`]
    /// (argon2id, m = 19 MiB, t = 2, p = 1).
    pub fn params(mut self, params: HashParams) -> Self {
        self.params = params;
        self
    }

    /// How many hashes may run at once. Default: the number of CPUs
    /// (`std::thread::available_parallelism`): more only queue on the CPUs
    /// while each holds its memory.
    pub fn max_concurrent(mut self, n: usize) -> Self {
        self.max_concurrent = Some(n);
        self
    }

    /// How many checks may wait for a slot before the rest are refused with
    /// [`PasswordError::Busy`]. Default: as many as `max_concurrent`, so a
    /// waiting check starts within about one hash time.
    pub fn max_queued(mut self, n: usize) -> Self {
        self.max_queued = Some(n);
        self
    }

    /// The retry delay [`Busy`] advises. Default: 1 second.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Makes the decoy with the parameters of the stored hashes, so that an
    /// unknown user costs what a known one costs. Pass every stored hash: the
    /// decoy takes the parameters most of them share (the costlier on a tie),
    /// which leaves the fewest users distinguishable. Legacy hashes (bcrypt,
    /// PBKDF2, scrypt) are skipped. Default (no hashes given,
    /// or none passed): the verifier's own [`params`](Self::params).
    pub fn decoy_like<I, S>(mut self, stored: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.decoy_like
            .extend(stored.into_iter().map(|s| s.as_ref().to_owned()));
        self
    }

    /// Validates the settings and makes the decoy hash (one argon2 run).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a zero `max_concurrent`, a stored hash
    /// passed to [`decoy_like`](Self::decoy_like) that is neither an argon2 PHC
    /// string nor a valid legacy hash, or parameters argon2 refuses.
    pub fn build(self) -> Result<PasswordVerifier, ConfigError> {
        let max_concurrent = self.max_concurrent.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        let limiter = HashLimiter::new(
            max_concurrent,
            self.max_queued.unwrap_or(max_concurrent),
            self.retry_after.unwrap_or(Duration::from_secs(1)),
        )?;
        let mut seen: Vec<(HashParams, usize)> = Vec::new();
        for (index, phc) in self.decoy_like.iter().enumerate() {
            // Legacy hashes are replaced at their users' next login: the decoy
            // follows the argon2 hashes that stay.
            if matches!(LegacyHash::parse(phc), Some(Ok(_))) {
                continue;
            }
            let params = HashParams::from_phc(phc).map_err(|_| ConfigError::Invalid {
                name: "decoy_like",
                reason: format!("stored hash #{} is not an argon2 PHC string", index + 1),
            })?;
            match seen.iter_mut().find(|(p, _)| *p == params) {
                Some((_, count)) => *count += 1,
                None => seen.push((params, 1)),
            }
        }
        let decoy_params = seen
            .into_iter()
            .max_by(|(a, na), (b, nb)| na.cmp(nb).then(a.cost().cmp(&b.cost())))
            .map_or_else(|| self.params.clone(), |(params, _)| params);
        let decoy_password = uuid::Uuid::new_v4();
        let decoy =
            decoy_params
                .hash(decoy_password.as_bytes())
                .map_err(|e| ConfigError::Invalid {
                    name: "params",
                    reason: e.to_string(),
                })?;
        if decoy_params != self.params {
            // The decoy did not exercise the hashing parameters: check them now
            // rather than at the first enrolment.
            self.params
                .hash(b"parameter check")
                .map_err(|e| ConfigError::Invalid {
                    name: "params",
                    reason: e.to_string(),
                })?;
        }
        Ok(PasswordVerifier {
            inner: Arc::new(Inner {
                params: self.params,
                decoy,
                decoy_params,
                limiter,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// Cheap parameters so the tests stay fast; the choice of decoy is what is tested.
    fn cheap(m_cost: u32, t_cost: u32) -> HashParams {
        HashParams {
            params: Params::new(m_cost, t_cost, 1, None).unwrap(),
            ..HashParams::default()
        }
    }

    fn verifier(params: HashParams) -> PasswordVerifier {
        PasswordVerifier::builder().params(params).build().unwrap()
    }

    #[tokio::test]
    async fn right_password_only_and_unknown_users_never_match() {
        let v = verifier(cheap(64, 1));
        let stored = v.hash(b"pw-1").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        assert!(v.verify(b"pw-1", Some(&stored)).await.unwrap());
        assert!(!v.verify(b"pw-2", Some(&stored)).await.unwrap());
        assert!(!v.verify(b"", Some(&stored)).await.unwrap());
        assert!(!v.verify(b"pw-1", None).await.unwrap());
        assert_eq!(
            v.verify(b"pw-1", Some("not a hash")).await,
            Err(PasswordError::InvalidHash)
        );
    }

    #[test]
    fn the_decoy_uses_the_hashing_params_by_default() {
        let v = verifier(cheap(128, 3));
        assert_eq!(HashParams::from_phc(v.decoy_hash()).unwrap(), cheap(128, 3));
        assert_eq!(v.decoy_params(), &cheap(128, 3));
    }

    #[test]
    fn the_decoy_takes_the_params_most_stored_hashes_share() {
        let strong = verifier(cheap(256, 2)).hash(b"a").unwrap();
        let common = verifier(cheap(64, 1));
        let (b, c) = (common.hash(b"b").unwrap(), common.hash(b"c").unwrap());
        let v = PasswordVerifier::builder()
            .params(cheap(32, 1))
            .decoy_like([&strong, &b, &c])
            .build()
            .unwrap();
        assert_eq!(HashParams::from_phc(v.decoy_hash()).unwrap(), cheap(64, 1));
        // On a tie, the costlier: no cheaper-than-real miss.
        let v = PasswordVerifier::builder()
            .params(cheap(32, 1))
            .decoy_like([&b, &strong])
            .build()
            .unwrap();
        assert_eq!(HashParams::from_phc(v.decoy_hash()).unwrap(), cheap(256, 2));
        // New hashes still use the configured params.
        assert!(v.hash(b"x").unwrap().contains("m=32,t=1"));
    }

    #[test]
    fn the_decoy_follows_the_algorithm_too() {
        let argon2i = HashParams {
            algorithm: argon2::Algorithm::Argon2i,
            ..cheap(64, 1)
        };
        let stored = verifier(argon2i.clone()).hash(b"a").unwrap();
        assert!(stored.starts_with("$argon2i$"), "{stored}");
        let v = PasswordVerifier::builder()
            .params(cheap(32, 1))
            .decoy_like([stored])
            .build()
            .unwrap();
        assert_eq!(v.decoy_params(), &argon2i);
        assert!(v.decoy_hash().starts_with("$argon2i$"));
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let good = cheap(64, 1).hash(b"pw").unwrap();
        let err = PasswordVerifier::builder()
            .decoy_like([good.as_str(), "$2b$12$bcryptbcryptbcrypt"])
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("#2"), "{err}");
        assert!(
            PasswordVerifier::builder()
                .max_concurrent(0)
                .build()
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_full_limiter_refuses_verification_with_busy() {
        let v = PasswordVerifier::builder()
            .params(cheap(64, 1))
            .max_concurrent(1)
            .max_queued(0)
            .retry_after(Duration::from_secs(3))
            .build()
            .unwrap();
        let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let limiter = v.limiter().clone();
        let holder = tokio::spawn(async move {
            limiter
                .run(move || {
                    started_tx.send(()).unwrap();
                    hold_rx.recv().unwrap();
                })
                .await
        });
        started_rx.await.unwrap();
        match v.verify(b"pw", None).await {
            Err(PasswordError::Busy(busy)) => {
                assert_eq!(busy.retry_after(), Duration::from_secs(3));
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        hold_tx.send(()).unwrap();
        holder.await.unwrap().unwrap();
        assert!(!v.verify(b"pw", None).await.unwrap());
    }

    #[test]
    fn defaults_are_argon2id_with_recommended_costs_and_one_slot_per_cpu() {
        let v = PasswordVerifier::builder().build().unwrap();
        assert_eq!(v.params(), &HashParams::default());
        assert!(
            v.decoy_hash()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        let cpus = std::thread::available_parallelism().unwrap().get();
        assert_eq!(v.limiter().max_concurrent(), cpus);
        assert_eq!(v.limiter().max_queued(), cpus);
    }
}
