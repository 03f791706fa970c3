//! [`Mfa`]: what an application calls to enrol, confirm and check a second factor.

use super::backup::{self, BackupCode};
use super::seal::DerivedKeys;
use super::store::{BackupHash, MemoryMfaStore, MfaRecord, SharedMfaStore};
use super::throttle::{DEFAULT_FAILURE_WINDOW, DEFAULT_LOCKOUT, DEFAULT_MAX_FAILURES};
use super::{
    FailureOutcome, MfaError, MfaKey, ThrottlePolicy, Totp, TotpAlgorithm, TotpSecret,
    provisioning_uri, qr_svg,
};
use crate::ConfigError;
use rampart_core::{
    CHANGE_MFA, EventKind, MFA_BACKUP_CODES_REPLACED, MFA_ENROLLED, MFA_RESET, SecurityEvent,
    SharedClock, SharedSink, SystemClock, TracingSink,
};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

const SOURCE: &str = "rampart::auth";

/// What a new enrolment shows the user, once: the secret to type, the URI
/// and its QR code to scan, and the backup codes to write down. Nothing here
/// can be shown again (the store holds it sealed or hashed), and its `Debug`
/// form hides all of it.
#[non_exhaustive]
pub struct Enrollment {
    /// The TOTP secret.
    pub secret: TotpSecret,
    /// The `otpauth://` URI.
    pub uri: Zeroizing<String>,
    /// The URI as an SVG QR code.
    pub qr_svg: Zeroizing<String>,
    /// The single-use backup codes.
    pub backup_codes: Vec<BackupCode>,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrollment([redacted])")
    }
}

/// Which factor a successful check used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verified {
    /// A TOTP code.
    Totp,
    /// A backup code, now used up; `remaining` are left (tell the user to
    /// regenerate when few are).
    BackupCode {
        /// Unused backup codes left.
        remaining: usize,
    },
}

/// The second factor: TOTP with backup codes, replay protection and
/// per-account throttling, over an [`MfaStore`](super::MfaStore).
///
/// Cheap to clone; clones share the store.
///
/// ```
/// # #[cfg(feature = "mfa")] {
/// use rampart::auth::mfa::{Mfa, MfaError, MfaKey, Totp};
/// use rampart::core::ManualClock;
///
/// # async fn run() -> Result<(), MfaError> {
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let mfa = Mfa::builder("ACME", MfaKey::generate()?).clock(clock.shared()).build().unwrap();
///
/// let enrollment = mfa.enroll("alice").await?;
/// // ... the user scans enrollment.qr_svg and types the code their app shows ...
/// let code = Totp::default().code_at(&enrollment.secret, 1_700_000_000);
/// mfa.confirm("alice", &code).await?;
/// assert!(mfa.is_enrolled("alice").await?);
///
/// // At the next login, the same code is refused: each code works once.
/// assert_eq!(mfa.verify("alice", &code).await, Err(MfaError::Replayed));
/// // A backup code works once too.
/// let backup = enrollment.backup_codes[0].as_str();
/// assert!(mfa.verify("alice", backup).await.is_ok());
/// assert_eq!(mfa.verify("alice", backup).await, Err(MfaError::InvalidCode));
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct Mfa {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    totp: Totp,
    secret_bytes: usize,
    keys: DerivedKeys,
    #[cfg(feature = "crypto")]
    field: Option<super::field_seal::FieldSeal>,
    store: SharedMfaStore,
    clock: SharedClock,
    sink: SharedSink,
    throttle: ThrottlePolicy,
}

impl std::fmt::Debug for Mfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mfa")
            .field("issuer", &self.inner.issuer)
            .field("totp", &self.inner.totp)
            .field("throttle", &self.inner.throttle)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Mfa`]; see each setter for its default.
#[must_use]
pub struct MfaBuilder {
    issuer: String,
    key: MfaKey,
    #[cfg(feature = "crypto")]
    field: Option<super::field_seal::FieldSeal>,
    algorithm: TotpAlgorithm,
    digits: u8,
    secret_bytes: usize,
    store: Option<SharedMfaStore>,
    clock: Option<SharedClock>,
    sink: Option<SharedSink>,
    max_failures: u32,
    window: Duration,
    lockout: Duration,
}

impl std::fmt::Debug for MfaBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaBuilder")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl MfaBuilder {
    /// The HMAC for new enrolments. Default SHA-1, the one every
    /// authenticator app supports (several silently ignore the others and
    /// then show wrong codes). Existing enrolments keep theirs.
    pub fn algorithm(mut self, algorithm: TotpAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Digits per code for new enrolments, 6 to 8. Default 6.
    pub fn digits(mut self, digits: u8) -> Self {
        self.digits = digits;
        self
    }

    /// Bytes of a new secret, at least 20 (160 bits). Default 20.
    pub fn secret_bytes(mut self, bytes: usize) -> Self {
        self.secret_bytes = bytes;
        self
    }

    /// Seals new TOTP secrets with rampart-crypto's `cipher` instead of the
    /// [`MfaKey`], bound to the user id, the field and `tenant` (when the
    /// service serves one tenant, e.g. with a cipher from `TenantKeys`), so
    /// they follow the keyring's rotation: a secret sealed under an older
    /// key still opens, and is sealed again under the primary key at the
    /// user's next accepted code ([`Mfa::reseal`] does it on demand).
    /// Secrets sealed under the `MfaKey` before keep opening, and move to
    /// the cipher the same way; keep the `MfaKey` configured (it also keys
    /// backup code hashes). Default: sealed under the `MfaKey`.
    #[cfg(feature = "crypto")]
    #[cfg_attr(docsrs, doc(cfg(feature = "crypto")))]
    pub fn field_cipher(
        mut self,
        cipher: rampart_crypto::FieldCipher,
        tenant: Option<&str>,
    ) -> Self {
        self.field = Some(super::field_seal::FieldSeal::new(
            cipher,
            tenant.map(str::to_owned),
        ));
        self
    }

    /// Where state lives. Default: a fresh [`MemoryMfaStore`] (one instance only).
    pub fn store(mut self, store: SharedMfaStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock TOTP steps and lockouts are read from. Default: the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where wrong codes, locks and store failures are reported. Default:
    /// [`TracingSink`].
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Wrong codes within [`failure_window`](Self::failure_window) that lock
    /// the second factor. Default 5.
    pub fn max_failures(mut self, max: u32) -> Self {
        self.max_failures = max;
        self
    }

    /// The window wrong codes are counted in. Default 15 minutes.
    pub fn failure_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// How long the second factor stays locked. Default 15 minutes.
    pub fn lockout(mut self, lockout: Duration) -> Self {
        self.lockout = lockout;
        self
    }

    /// Checks the settings and builds the service.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first setting out of range.
    pub fn build(self) -> Result<Mfa, ConfigError> {
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid { name, reason };
        super::uri::check_label(&self.issuer).map_err(|e| invalid("issuer", e.to_string()))?;
        let totp =
            Totp::new(self.algorithm, self.digits).map_err(|e| invalid("digits", e.to_string()))?;
        if !(super::MIN_SECRET_BYTES..=super::MAX_SECRET_BYTES).contains(&self.secret_bytes) {
            return Err(invalid(
                "secret_bytes",
                "a TOTP secret has 20 to 128 bytes (at least 160 bits)".into(),
            ));
        }
        if self.max_failures == 0 {
            return Err(invalid("max_failures", "at least 1".into()));
        }
        if self.window.as_secs() == 0 || self.lockout.as_secs() == 0 {
            return Err(invalid(
                "failure_window/lockout",
                "both must be at least one second".into(),
            ));
        }
        let keys = DerivedKeys::new(&self.key).map_err(|e| invalid("key", e.to_string()))?;
        Ok(Mfa {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                totp,
                secret_bytes: self.secret_bytes,
                keys,
                #[cfg(feature = "crypto")]
                field: self.field,
                store: self
                    .store
                    .unwrap_or_else(|| Arc::new(MemoryMfaStore::new())),
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                sink: self.sink.unwrap_or_else(TracingSink::shared),
                throttle: ThrottlePolicy {
                    max_failures: self.max_failures,
                    window_secs: self.window.as_secs(),
                    lockout_secs: self.lockout.as_secs(),
                },
            }),
        })
    }
}

impl Mfa {
    /// A builder: `issuer` names the service in authenticator apps, `key`
    /// seals secrets and keys backup code hashes.
    pub fn builder(issuer: impl Into<String>, key: MfaKey) -> MfaBuilder {
        MfaBuilder {
            issuer: issuer.into(),
            key,
            #[cfg(feature = "crypto")]
            field: None,
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            secret_bytes: super::MIN_SECRET_BYTES,
            store: None,
            clock: None,
            sink: None,
            max_failures: DEFAULT_MAX_FAILURES,
            window: DEFAULT_FAILURE_WINDOW,
            lockout: DEFAULT_LOCKOUT,
        }
    }

    /// Starts an enrolment for `user`: a new secret and backup codes, pending
    /// until [`confirm`](Self::confirm). Starting again replaces a pending
    /// enrolment (the user lost the QR code before confirming).
    ///
    /// # Errors
    /// [`MfaError::AlreadyEnrolled`] when `user` has a confirmed enrolment
    /// ([`disable`](Self::disable) first, after re-authenticating them);
    /// [`MfaError::InvalidLabel`] for a user id that cannot be an account
    /// name; [`MfaError::Unavailable`] when the store is down.
    pub async fn enroll(&self, user: &str) -> Result<Enrollment, MfaError> {
        let inner = &self.inner;
        let now = inner.clock.unix_secs();
        let record = self.load(user, now).await?.unwrap_or_default();
        if record.secret.is_some() {
            return Err(MfaError::AlreadyEnrolled);
        }
        let secret = TotpSecret::generate(inner.secret_bytes)?;
        let uri = provisioning_uri(&inner.totp, &secret, &inner.issuer, user)?;
        let qr_svg = qr_svg(&uri)?;
        let sealed = self.seal(user, &inner.totp, &secret)?;
        let backup_codes = BackupCode::generate_set()?;
        let hashes = self.hashes(user, &backup_codes);
        if !self.store(inner.store.begin(user, &sealed, &hashes).await, user)? {
            return Err(MfaError::AlreadyEnrolled);
        }
        Ok(Enrollment {
            secret,
            uri,
            qr_svg,
            backup_codes,
        })
    }

    /// Confirms the pending enrolment with a code from the new secret: from
    /// now on [`verify`](Self::verify) applies. Wrong codes count toward the
    /// lockout, as at login. Backup codes do not confirm.
    ///
    /// # Errors
    /// [`MfaError::InvalidCode`], [`MfaError::Locked`],
    /// [`MfaError::NotPending`] (nothing to confirm),
    /// [`MfaError::AlreadyEnrolled`], [`MfaError::Unavailable`].
    pub async fn confirm(&self, user: &str, code: &str) -> Result<(), MfaError> {
        let inner = &self.inner;
        let now = inner.clock.unix_secs();
        let record = self.load(user, now).await?.unwrap_or_default();
        self.refuse_if_locked(user, &record, now)?;
        let Some(pending) = record.pending else {
            return Err(if record.secret.is_some() {
                MfaError::AlreadyEnrolled
            } else {
                MfaError::NotPending
            });
        };
        let (totp, secret) = self.open(user, &pending)?;
        let Some(step) = totp.matching_step(&secret, code, now, None) else {
            return Err(self.failed(user, now, MfaError::InvalidCode).await);
        };
        if !self.store(inner.store.confirm(user, &pending, step).await, user)? {
            return Err(MfaError::NotPending);
        }
        if record.failures > 0 {
            self.clear(user).await;
        }
        self.changed(
            user,
            MFA_ENROLLED,
            "second factor enrolled: sign-ins need it",
        );
        Ok(())
    }

    /// Checks a second factor at login: a TOTP code (digits only) or a
    /// backup code (`xxxxx-xxxxx`).
    ///
    /// A TOTP is accepted for the current step or one either side, once: the
    /// step it matched becomes the last used, and a code for that step or an
    /// earlier one is refused as [`MfaError::Replayed`]. Two concurrent
    /// checks of one code: one wins. A backup code is consumed atomically.
    /// Every wrong code is counted; at the limit the second factor locks.
    ///
    /// # Errors
    /// [`MfaError::InvalidCode`], [`MfaError::Replayed`], [`MfaError::Locked`]
    /// (checked first: while locked even a right code is refused),
    /// [`MfaError::NotEnrolled`], [`MfaError::Unavailable`] (fail closed:
    /// without the store nothing is accepted), [`MfaError::Sealed`].
    pub async fn verify(&self, user: &str, code: &str) -> Result<Verified, MfaError> {
        let inner = &self.inner;
        let now = inner.clock.unix_secs();
        let record = self.load(user, now).await?.unwrap_or_default();
        self.refuse_if_locked(user, &record, now)?;
        let Some(sealed) = &record.secret else {
            return Err(MfaError::NotEnrolled);
        };
        let is_totp =
            !code.is_empty() && code.len() <= 8 && code.bytes().all(|b| b.is_ascii_digit());
        let outcome = if is_totp {
            let (totp, secret) = self.open(user, sealed)?;
            match totp.matching_step(&secret, code, now, record.last_step) {
                Some(step) if self.store(inner.store.advance_step(user, step).await, user)? => {
                    #[cfg(feature = "crypto")]
                    self.reseal_if_stale(user, sealed, &totp, &secret).await;
                    Ok(Verified::Totp)
                }
                // Right code, but its step is used: this request lost a
                // race with another presenting the same code.
                Some(_) => Err(MfaError::Replayed),
                None if totp.matching_step(&secret, code, now, None).is_some() => {
                    Err(MfaError::Replayed)
                }
                None => Err(MfaError::InvalidCode),
            }
        } else {
            match backup::normalise(code) {
                Some(normalised) => {
                    let hash = inner.keys.backup_hash(user, &normalised);
                    match self.store(inner.store.consume_backup_code(user, &hash).await, user)? {
                        Some(remaining) => Ok(Verified::BackupCode { remaining }),
                        None => Err(MfaError::InvalidCode),
                    }
                }
                None => Err(MfaError::InvalidCode),
            }
        };
        match outcome {
            Ok(verified) => {
                if record.failures > 0 {
                    self.clear(user).await;
                }
                Ok(verified)
            }
            Err(error) => Err(self.failed(user, now, error).await),
        }
    }

    /// Replaces every backup code of a confirmed enrolment with ten new ones
    /// (the old ones stop working at once). Re-authenticate the user first.
    ///
    /// # Errors
    /// [`MfaError::NotEnrolled`], [`MfaError::Unavailable`].
    pub async fn regenerate_backup_codes(&self, user: &str) -> Result<Vec<BackupCode>, MfaError> {
        let codes = BackupCode::generate_set()?;
        let hashes = self.hashes(user, &codes);
        if self.store(
            self.inner.store.replace_backup_codes(user, &hashes).await,
            user,
        )? {
            self.changed(
                user,
                MFA_BACKUP_CODES_REPLACED,
                "backup codes replaced: the old ones no longer work",
            );
            Ok(codes)
        } else {
            Err(MfaError::NotEnrolled)
        }
    }

    /// Removes the user's enrolment, pending or confirmed, with its backup
    /// codes: the reset after a lost device, once the user proved who they
    /// are another way. A running lockout stays.
    ///
    /// # Errors
    /// [`MfaError::Unavailable`].
    pub async fn disable(&self, user: &str) -> Result<(), MfaError> {
        self.store(self.inner.store.remove(user).await, user)?;
        self.changed(
            user,
            MFA_RESET,
            "second factor removed: sign-ins no longer ask for one",
        );
        Ok(())
    }

    /// Whether `user` has a confirmed enrolment, so login must ask for a
    /// second factor.
    ///
    /// # Errors
    /// [`MfaError::Unavailable`]: do not let the user in on a guess.
    pub async fn is_enrolled(&self, user: &str) -> Result<bool, MfaError> {
        let now = self.inner.clock.unix_secs();
        Ok(self
            .load(user, now)
            .await?
            .is_some_and(|r| r.secret.is_some()))
    }

    /// Seals `user`'s confirmed secret again under the field cipher's
    /// primary key, if it was sealed under the [`MfaKey`] or an older key
    /// (a migration step to run over every user after a rotation, so the
    /// old key can be retired without waiting for each user's next
    /// sign-in). `true` when it was sealed again; `false` when there was
    /// nothing to do (not enrolled, already current, or no field cipher).
    ///
    /// # Errors
    /// [`MfaError::Sealed`] when the secret does not open;
    /// [`MfaError::Unavailable`].
    #[cfg(feature = "crypto")]
    #[cfg_attr(docsrs, doc(cfg(feature = "crypto")))]
    pub async fn reseal(&self, user: &str) -> Result<bool, MfaError> {
        let Some(field) = &self.inner.field else {
            return Ok(false);
        };
        let now = self.inner.clock.unix_secs();
        let Some(sealed) = self.load(user, now).await?.and_then(|r| r.secret) else {
            return Ok(false);
        };
        if field.is_current(&sealed) {
            return Ok(false);
        }
        let (totp, secret) = self.open(user, &sealed)?;
        let fresh = field.seal(user, &totp, &secret)?;
        self.store(
            self.inner.store.replace_secret(user, &sealed, &fresh).await,
            user,
        )
    }

    /// After an accepted code: a secret sealed the old way is sealed again.
    /// A failure changes nothing for the sign-in (the old seal still opens)
    /// and is retried at the next one.
    #[cfg(feature = "crypto")]
    async fn reseal_if_stale(&self, user: &str, sealed: &[u8], totp: &Totp, secret: &TotpSecret) {
        let Some(field) = &self.inner.field else {
            return;
        };
        if field.is_current(sealed) {
            return;
        }
        if let Ok(fresh) = field.seal(user, totp, secret) {
            let _ = self.store(
                self.inner.store.replace_secret(user, sealed, &fresh).await,
                user,
            );
        }
    }

    /// The TOTP settings new enrolments get.
    pub fn totp(&self) -> Totp {
        self.inner.totp
    }

    fn hashes(&self, user: &str, codes: &[BackupCode]) -> Vec<BackupHash> {
        codes
            .iter()
            .filter_map(|c| backup::normalise(c.as_str()))
            .map(|n| self.inner.keys.backup_hash(user, &n))
            .collect()
    }

    /// Seals a new secret: with the field cipher when one is set, else
    /// under the [`MfaKey`].
    fn seal(&self, user: &str, totp: &Totp, secret: &TotpSecret) -> Result<Vec<u8>, MfaError> {
        #[cfg(feature = "crypto")]
        if let Some(field) = &self.inner.field {
            return field.seal(user, totp, secret);
        }
        self.inner.keys.seal(user, totp, secret)
    }

    fn open(&self, user: &str, sealed: &[u8]) -> Result<(Totp, TotpSecret), MfaError> {
        #[cfg(feature = "crypto")]
        let opened = match &self.inner.field {
            Some(field) => field
                .open(user, sealed)
                .unwrap_or_else(|| self.inner.keys.open(user, sealed)),
            None => self.inner.keys.open(user, sealed),
        };
        #[cfg(not(feature = "crypto"))]
        let opened = self.inner.keys.open(user, sealed);
        opened.inspect_err(|_| {
            self.emit(
                SecurityEvent::new(
                    EventKind::AuthenticationFailed,
                    SOURCE,
                    "stored TOTP secret does not open: wrong MFA key or altered record",
                )
                .with_severity(rampart_core::Severity::Critical)
                .with_subject(user),
            );
        })
    }

    async fn load(&self, user: &str, now: u64) -> Result<Option<MfaRecord>, MfaError> {
        self.store(self.inner.store.load(user, now).await, user)
    }

    /// A store result, reporting an outage as an event (the caller fails closed).
    fn store<T>(&self, result: Result<T, crate::StoreError>, user: &str) -> Result<T, MfaError> {
        result.map_err(|e| {
            self.emit(
                SecurityEvent::new(
                    EventKind::StoreFailure,
                    SOURCE,
                    "MFA store unavailable; second factor refused (fail closed)",
                )
                .with_subject(user)
                .with_field("error", e.0.clone()),
            );
            MfaError::Unavailable(e)
        })
    }

    fn refuse_if_locked(&self, user: &str, record: &MfaRecord, now: u64) -> Result<(), MfaError> {
        match record.locked_until {
            Some(until) if until > now => {
                self.emit(
                    SecurityEvent::new(
                        EventKind::AuthenticationFailed,
                        SOURCE,
                        "second factor locked after repeated wrong codes",
                    )
                    .with_subject(user)
                    .with_field("locked_until_unix", until),
                );
                Err(MfaError::Locked {
                    retry_after: Duration::from_secs(until - now),
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong code, reports it (and a lock it caused), and hands back
    /// the error to answer: the original one, or an outage.
    async fn failed(&self, user: &str, now: u64, error: MfaError) -> MfaError {
        let outcome = match self.store(
            self.inner
                .store
                .record_failure(user, now, self.inner.throttle)
                .await,
            user,
        ) {
            Ok(outcome) => outcome,
            Err(outage) => return outage,
        };
        self.emit(
            SecurityEvent::new(
                EventKind::AuthenticationFailed,
                SOURCE,
                "wrong second-factor code",
            )
            .with_subject(user)
            .with_field("error", error.code()),
        );
        if let FailureOutcome::LockedNow(until) = outcome {
            self.emit(
                SecurityEvent::new(
                    EventKind::AccountLocked,
                    SOURCE,
                    "second factor locked after repeated wrong codes",
                )
                .with_subject(user)
                .with_field("locked_until_unix", until)
                .with_field("max_failures", self.inner.throttle.max_failures),
            );
        }
        error
    }

    /// Resets the failure count after a right code. An outage here is
    /// reported but does not undo the success: the code was checked and its
    /// step (or backup code) is spent.
    async fn clear(&self, user: &str) {
        let _ = self.store(self.inner.store.clear_failures(user).await, user);
    }

    /// Reports a change to the user's second factor, which the audit trail
    /// records as `auth.mfa.enrolled` or `auth.mfa.reset`.
    fn changed(&self, user: &str, step: &'static str, reason: &'static str) {
        self.emit(
            SecurityEvent::new(EventKind::ConfigurationChanged, SOURCE, reason)
                .with_subject(user)
                .with_field("change", CHANGE_MFA)
                .with_field("step", step),
        );
    }

    fn emit(&self, event: SecurityEvent) {
        self.inner.sink.emit(event.at(self.inner.clock.now()));
    }
}
