//! What a login learns from a password check besides yes or no: whether to
//! store a new hash, and whether the password has expired.

use super::legacy::{LegacyHash, LegacyScheme};
use super::policy::PasswordPolicy;
use super::{HashParams, PasswordError, PasswordVerifier};
use std::time::SystemTime;
use zeroize::Zeroizing;

/// The outcome of [`PasswordVerifier::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verification {
    /// The password is right and its hash is current.
    Valid,
    /// The password is right; hash it again with
    /// [`PasswordVerifier::hash_bounded`] and store the new hash, which
    /// upgrades legacy and outdated hashes at each user's next login.
    NeedsRehash(RehashReason),
    /// The password is right but older than the policy's maximum age: the
    /// user must choose a new one before being let in (answer `403`
    /// `password_expired`, not a session).
    MustChange,
    /// Wrong password, or unknown user.
    Invalid,
}

impl Verification {
    /// Whether the password was right (including [`MustChange`](Self::MustChange),
    /// which is not a permission to log in).
    pub fn password_matched(self) -> bool {
        !matches!(self, Self::Invalid)
    }

    /// Whether the user may be let in now.
    pub fn allows_login(self) -> bool {
        matches!(self, Self::Valid | Self::NeedsRehash(_))
    }
}

/// Why a stored hash should be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RehashReason {
    /// A bcrypt, PBKDF2 or scrypt hash from a migrated system.
    Legacy(LegacyScheme),
    /// An argon2 hash of another variant or version than the verifier's, or
    /// cheaper (memory × passes) than its parameters.
    Params,
}

impl PasswordVerifier {
    /// Checks `password` against `stored` (any supported format; the decoy
    /// when `None`) and says whether the hash should be upgraded.
    ///
    /// ```
    /// use rampart::auth::password::{PasswordVerifier, Verification};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = PasswordVerifier::builder().build()?;
    /// // A user migrated with a PBKDF2 hash (Django's format).
    /// let legacy = "pbkdf2_sha256$1000$saltsalt$RWLoKQhrvw5R521ZO3w9dL0KHGxNSGnIgDahrE7URKc=";
    /// match verifier.check(b"hunter2hunter2", Some(legacy)).await? {
    ///     Verification::NeedsRehash(_) => {
    ///         let upgraded = verifier.hash_bounded(b"hunter2hunter2").await?;
    ///         assert!(upgraded.starts_with("$argon2id$"));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(run())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`verify`](Self::verify), and [`PasswordError::TooLongForBcrypt`]
    /// for a password over 72 bytes against a bcrypt hash.
    pub async fn check(
        &self,
        password: &[u8],
        stored: Option<&str>,
    ) -> Result<Verification, PasswordError> {
        if !self.verify(password, stored).await? {
            return Ok(Verification::Invalid);
        }
        Ok(match stored.and_then(|s| self.rehash_reason(s)) {
            Some(reason) => Verification::NeedsRehash(reason),
            None => Verification::Valid,
        })
    }

    /// [`check`](Self::check), then the policy's maximum age: a right
    /// password set at `set_at` that is expired at `now` yields
    /// [`Verification::MustChange`]. An unknown `set_at` (`None`) under a
    /// policy with a maximum age counts as expired: record when each
    /// password was set (the migration time for imported ones).
    ///
    /// # Errors
    /// As [`check`](Self::check).
    pub async fn check_expiring(
        &self,
        password: &[u8],
        stored: Option<&str>,
        set_at: Option<SystemTime>,
        policy: &PasswordPolicy,
        now: SystemTime,
    ) -> Result<Verification, PasswordError> {
        let outcome = self.check(password, stored).await?;
        let expired = policy.max_age().is_some()
            && set_at.is_none_or(|set_at| policy.is_expired(set_at, now));
        Ok(if outcome.password_matched() && expired {
            Verification::MustChange
        } else {
            outcome
        })
    }

    /// Whether `stored` should be replaced by a hash made with
    /// [`params`](Self::params): it is a legacy hash, an argon2 hash of
    /// another variant or version or cheaper than the configured parameters,
    /// or unreadable. A costlier argon2 hash is kept: a login never
    /// downgrades a hash.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        match LegacyHash::parse(stored) {
            Some(_) => true,
            None => HashParams::from_phc(stored).map_or(true, |p| self.weaker(&p)),
        }
    }

    fn rehash_reason(&self, stored: &str) -> Option<RehashReason> {
        if let Some(Ok(legacy)) = LegacyHash::parse(stored) {
            return Some(RehashReason::Legacy(legacy.scheme()));
        }
        match HashParams::from_phc(stored) {
            Ok(params) if self.weaker(&params) => Some(RehashReason::Params),
            _ => None,
        }
    }

    fn weaker(&self, stored: &HashParams) -> bool {
        let mine = self.params();
        stored.algorithm != mine.algorithm
            || stored.version != mine.version
            || stored.cost() < mine.cost()
    }

    /// [`hash`](Self::hash) on the blocking pool under the limiter, for
    /// async code (a rehash at login, a password change).
    ///
    /// # Errors
    /// [`PasswordError::Busy`] at once when the limiter is full, or as
    /// [`hash`](Self::hash).
    pub async fn hash_bounded(&self, password: &[u8]) -> Result<String, PasswordError> {
        let params = self.params().clone();
        let password = Zeroizing::new(password.to_vec());
        self.limiter().run(move || params.hash(&password)).await?
    }
}
