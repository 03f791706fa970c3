//! [`WebAuthnMfa`]: the registration and authentication ceremonies.

use super::builder::WebAuthnMfaBuilder;
use super::ceremony::{Ceremonies, CeremonyId, Pending};
use super::credential::check_name;
use super::store::{AddOutcome, CredentialUse, SharedWebAuthnStore, UseOutcome};
use super::{CredentialInfo, StoredCredential, WebAuthnError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::{
    CHANGE_MFA, EventKind, MFA_ENROLLED, MFA_RESET, SecurityEvent, Severity, SharedClock,
    SharedSink,
};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use uuid::Uuid;
use webauthn_rs::Webauthn;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, WebauthnError as LibError,
};

const SOURCE: &str = "rampart::auth";

/// The `factor` field of this module's events, telling them from TOTP's.
pub const FACTOR_WEBAUTHN: &str = "webauthn";

/// The largest client response accepted, in bytes. A registration with an
/// attestation certificate chain is a few KiB; an assertion far less.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A started ceremony: the options for the browser and the id to finish it with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Challenge<O> {
    /// Names the server-side state; give it back to the matching `finish_*`.
    pub ceremony: CeremonyId,
    /// The options for `navigator.credentials.create` (registration) or
    /// `.get` (authentication), as JSON `{"publicKey": {...}}` with binary
    /// fields in base64url.
    pub options: O,
}

/// The options of a registration ceremony.
pub type RegistrationChallenge = Challenge<CreationChallengeResponse>;

/// The options of an authentication ceremony.
pub type AuthenticationChallenge = Challenge<RequestChallengeResponse>;

/// A verified second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The id of the credential that signed.
    pub credential: String,
    /// Whether the authenticator verified the user (PIN, biometric) as well
    /// as their presence.
    pub user_verified: bool,
}

/// WebAuthn (FIDO2) security keys and passkeys as a second factor, over a
/// [`WebAuthnCredentialStore`](super::WebAuthnCredentialStore).
///
/// Cheap to clone; clones share the store and the pending ceremonies.
///
/// ```
/// use rampart::auth::webauthn::{WebAuthnError, WebAuthnMfa};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mfa = WebAuthnMfa::builder("example.com", "https://example.com", "Example").build()?;
///
/// // Signed in with a password: offer to register a key.
/// let challenge = mfa.start_registration("alice").await?;
/// let options = serde_json::to_string(&challenge.options)?; // to navigator.credentials.create
/// # let _ = options;
/// // ... the browser posts back the credential as JSON ...
/// let response = r#"{"not": "a credential"}"#;
/// let outcome = mfa
///     .finish_registration("alice", challenge.ceremony.as_str(), response, "office key")
///     .await;
/// assert!(matches!(outcome, Err(WebAuthnError::MalformedResponse(_))));
///
/// // Each ceremony works once, whatever its outcome.
/// let again = mfa
///     .finish_registration("alice", challenge.ceremony.as_str(), response, "office key")
///     .await;
/// assert_eq!(again.unwrap_err(), WebAuthnError::CeremonyNotFound);
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// ```
#[derive(Clone)]
pub struct WebAuthnMfa {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) webauthn: Webauthn,
    pub(super) rp_id: String,
    pub(super) store: SharedWebAuthnStore,
    pub(super) clock: SharedClock,
    pub(super) sink: SharedSink,
    pub(super) timeout_secs: u64,
    pub(super) max_credentials: usize,
    pub(super) ceremonies: Ceremonies,
}

impl std::fmt::Debug for WebAuthnMfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebAuthnMfa")
            .field("rp_id", &self.inner.rp_id)
            .field("timeout_secs", &self.inner.timeout_secs)
            .field("max_credentials", &self.inner.max_credentials)
            .finish_non_exhaustive()
    }
}

impl WebAuthnMfa {
    /// A builder for the relying party: `rp_id` the domain credentials are
    /// bound to (`example.com`), `rp_origin` the origin of the pages that run
    /// ceremonies (`https://login.example.com`), `rp_name` what authenticators
    /// show the user.
    pub fn builder(
        rp_id: impl Into<String>,
        rp_origin: impl Into<String>,
        rp_name: impl Into<String>,
    ) -> WebAuthnMfaBuilder {
        WebAuthnMfaBuilder::new(rp_id.into(), rp_origin.into(), rp_name.into())
    }

    /// Starts registering a new credential for `user`, who must be signed in
    /// (freshly: adding a factor is a sensitive change). The user's keys are
    /// excluded, so the same authenticator is not registered twice.
    ///
    /// # Errors
    /// [`WebAuthnError::TooManyCredentials`], [`WebAuthnError::Busy`],
    /// [`WebAuthnError::Unavailable`], [`WebAuthnError::Internal`].
    pub async fn start_registration(
        &self,
        user: &str,
    ) -> Result<RegistrationChallenge, WebAuthnError> {
        let inner = &self.inner;
        let existing = self.store(inner.store.list(user).await, user)?;
        if existing.len() >= inner.max_credentials {
            return Err(WebAuthnError::TooManyCredentials {
                max: inner.max_credentials,
            });
        }
        let handle = self.store(inner.store.user_handle(user, Uuid::new_v4()).await, user)?;
        let exclude = existing.iter().map(|c| c.key.cred_id().clone()).collect();
        let (mut options, state) = inner
            .webauthn
            .start_securitykey_registration(handle, user, user, Some(exclude), None, None)
            .map_err(|e| WebAuthnError::Internal(e.to_string()))?;
        // webauthn-rs asks for credProtect "user verification required"
        // while preferring (not requiring) verification and a
        // non-discoverable key; Chromium refuses that combination as
        // incongruent and no key registers. A second factor behind a
        // password needs no such policy, and the extension's output is
        // never relied on (no attestation), so it is not requested.
        if let Some(extensions) = options.public_key.extensions.as_mut() {
            extensions.cred_protect = None;
        }
        let ceremony = self.keep(user, Pending::Registration(Box::new(state)))?;
        Ok(Challenge { ceremony, options })
    }

    /// Finishes a registration: checks the browser's `response` (the JSON of
    /// the `PublicKeyCredential` that `navigator.credentials.create` gave,
    /// binary fields in base64url) against the ceremony `user` started, and
    /// stores the new credential under `name`.
    ///
    /// An invalid `name` is refused before the ceremony is touched, so the
    /// user can correct it; any other outcome uses the ceremony up.
    ///
    /// # Errors
    /// [`WebAuthnError::InvalidName`], the ceremony errors
    /// ([`CeremonyNotFound`](WebAuthnError::CeremonyNotFound),
    /// [`CeremonyExpired`](WebAuthnError::CeremonyExpired),
    /// [`CeremonyMismatch`](WebAuthnError::CeremonyMismatch)),
    /// [`WebAuthnError::MalformedResponse`], [`WebAuthnError::Rejected`],
    /// [`WebAuthnError::DuplicateCredential`],
    /// [`WebAuthnError::TooManyCredentials`], [`WebAuthnError::Unavailable`].
    pub async fn finish_registration(
        &self,
        user: &str,
        ceremony: &str,
        response: &str,
        name: &str,
    ) -> Result<CredentialInfo, WebAuthnError> {
        let inner = &self.inner;
        let name = check_name(name)?;
        let now = inner.clock.unix_secs();
        let Pending::Registration(state) = self.take(user, ceremony, true, now)? else {
            return Err(WebAuthnError::CeremonyMismatch);
        };
        let outcome = parse::<RegisterPublicKeyCredential>(response).and_then(|response| {
            inner
                .webauthn
                .finish_securitykey_registration(&response, &state)
                .map_err(|e| rejected(&e))
        });
        let key = outcome.map_err(|e| self.refused(user, "registration", e))?;
        let credential = StoredCredential {
            id: URL_SAFE_NO_PAD.encode(key.cred_id().as_ref()),
            name,
            created: now,
            last_used: None,
            counter: 0,
            key,
        };
        match self.store(
            inner
                .store
                .add(user, &credential, inner.max_credentials)
                .await,
            user,
        )? {
            AddOutcome::Added => {}
            AddOutcome::Duplicate => {
                return Err(self.refused(user, "registration", WebAuthnError::DuplicateCredential));
            }
            AddOutcome::LimitReached => {
                return Err(WebAuthnError::TooManyCredentials {
                    max: inner.max_credentials,
                });
            }
        }
        self.changed(
            user,
            MFA_ENROLLED,
            &credential.id,
            "security key registered: sign-ins can use it as a second factor",
        );
        Ok(credential.info())
    }

    /// Starts a second-factor check for `user` (who gave their password):
    /// the options name every credential of theirs.
    ///
    /// # Errors
    /// [`WebAuthnError::NoCredentials`] (nothing to ask for: check
    /// [`has_credentials`](Self::has_credentials) first),
    /// [`WebAuthnError::Busy`], [`WebAuthnError::Unavailable`],
    /// [`WebAuthnError::Internal`].
    pub async fn start_authentication(
        &self,
        user: &str,
    ) -> Result<AuthenticationChallenge, WebAuthnError> {
        let inner = &self.inner;
        let credentials = self.store(inner.store.list(user).await, user)?;
        if credentials.is_empty() {
            return Err(WebAuthnError::NoCredentials);
        }
        let keys: Vec<_> = credentials.into_iter().map(|c| c.key).collect();
        let (options, state) = inner
            .webauthn
            .start_securitykey_authentication(&keys)
            .map_err(|e| WebAuthnError::Internal(e.to_string()))?;
        let ceremony = self.keep(user, Pending::Authentication(Box::new(state)))?;
        Ok(Challenge { ceremony, options })
    }

    /// Finishes a second-factor check: verifies the browser's `response`
    /// (the JSON of the `PublicKeyCredential` that `navigator.credentials.get`
    /// gave) against the ceremony `user` started, then moves the credential's
    /// signature counter forward in the store (check-and-set). Any outcome
    /// uses the ceremony up.
    ///
    /// # Errors
    /// The ceremony errors, [`WebAuthnError::MalformedResponse`],
    /// [`WebAuthnError::Rejected`], [`WebAuthnError::UnknownCredential`]
    /// (not one of the user's, or removed meanwhile),
    /// [`WebAuthnError::PossibleClone`] (reported as an attack),
    /// [`WebAuthnError::Unavailable`] (fail closed).
    pub async fn finish_authentication(
        &self,
        user: &str,
        ceremony: &str,
        response: &str,
    ) -> Result<Verified, WebAuthnError> {
        let inner = &self.inner;
        let now = inner.clock.unix_secs();
        let Pending::Authentication(state) = self.take(user, ceremony, false, now)? else {
            return Err(WebAuthnError::CeremonyMismatch);
        };
        let outcome = parse::<PublicKeyCredential>(response).and_then(|response| {
            inner
                .webauthn
                .finish_securitykey_authentication(&response, &state)
                .map_err(|e| match e {
                    LibError::CredentialNotFound => WebAuthnError::UnknownCredential,
                    LibError::CredentialPossibleCompromise => WebAuthnError::PossibleClone,
                    e => rejected(&e),
                })
        });
        let result = outcome.map_err(|e| self.refused(user, "authentication", e))?;
        let id = URL_SAFE_NO_PAD.encode(result.cred_id().as_ref());
        // The stored credential now, not the one the ceremony started with:
        // it may have been used or removed since.
        let current = self.store(inner.store.list(user).await, user)?;
        let Some(mut stored) = current.into_iter().find(|c| c.id == id) else {
            return Err(self.refused(user, "authentication", WebAuthnError::UnknownCredential));
        };
        stored.key.update_credential(&result);
        let used = CredentialUse::new(result.counter(), stored.key, now);
        match self.store(inner.store.record_use(user, &id, &used).await, user)? {
            UseOutcome::Recorded => Ok(Verified {
                credential: id,
                user_verified: result.user_verified(),
            }),
            UseOutcome::CounterNotAdvanced { .. } => {
                Err(self.refused(user, "authentication", WebAuthnError::PossibleClone))
            }
            UseOutcome::NotFound => {
                Err(self.refused(user, "authentication", WebAuthnError::UnknownCredential))
            }
        }
    }

    /// The user's registered credentials, oldest first, without their keys.
    ///
    /// # Errors
    /// [`WebAuthnError::Unavailable`].
    pub async fn credentials(&self, user: &str) -> Result<Vec<CredentialInfo>, WebAuthnError> {
        let list = self.store(self.inner.store.list(user).await, user)?;
        Ok(list.iter().map(StoredCredential::info).collect())
    }

    /// Whether `user` has a credential, so sign-in must ask for it.
    ///
    /// # Errors
    /// [`WebAuthnError::Unavailable`]: do not let the user in on a guess.
    pub async fn has_credentials(&self, user: &str) -> Result<bool, WebAuthnError> {
        Ok(!self
            .store(self.inner.store.list(user).await, user)?
            .is_empty())
    }

    /// Removes one of the user's credentials (a lost key); `false` when they
    /// have none with this id. Re-authenticate the user first. Another
    /// user's credential is never touched, whatever id is given.
    ///
    /// # Errors
    /// [`WebAuthnError::Unavailable`].
    pub async fn remove_credential(&self, user: &str, id: &str) -> Result<bool, WebAuthnError> {
        let removed = self.store(self.inner.store.remove(user, id).await, user)?;
        if removed {
            self.changed(
                user,
                MFA_RESET,
                id,
                "security key removed: it no longer signs in",
            );
        }
        Ok(removed)
    }

    /// The relying party id credentials are bound to.
    pub fn rp_id(&self) -> &str {
        &self.inner.rp_id
    }

    /// Ceremonies pending on this instance (started, not yet finished, and
    /// not yet purged after expiring).
    pub fn pending_ceremonies(&self) -> usize {
        self.inner.ceremonies.len()
    }

    fn keep(&self, user: &str, state: Pending) -> Result<CeremonyId, WebAuthnError> {
        let now = self.inner.clock.unix_secs();
        let expires = now.saturating_add(self.inner.timeout_secs);
        self.inner
            .ceremonies
            .insert(user, now, expires, state)
            .inspect_err(|e| {
                if *e == WebAuthnError::Busy {
                    self.emit(
                        SecurityEvent::new(
                            EventKind::RateLimited,
                            SOURCE,
                            "too many WebAuthn ceremonies pending; new ones refused",
                        )
                        .with_subject(user)
                        .with_field("factor", FACTOR_WEBAUTHN),
                    );
                }
            })
    }

    fn take(
        &self,
        user: &str,
        ceremony: &str,
        registration: bool,
        now: u64,
    ) -> Result<Pending, WebAuthnError> {
        let kind = if registration {
            "registration"
        } else {
            "authentication"
        };
        let id = CeremonyId::parse(ceremony).ok_or(WebAuthnError::CeremonyNotFound);
        id.and_then(|id| self.inner.ceremonies.take(&id, user, registration, now))
            .map_err(|e| self.refused(user, kind, e))
    }

    /// Reports a refused ceremony and hands the error back.
    fn refused(&self, user: &str, ceremony: &'static str, error: WebAuthnError) -> WebAuthnError {
        let event = if error == WebAuthnError::PossibleClone {
            SecurityEvent::new(
                EventKind::AttackDetected,
                SOURCE,
                "security key signature counter went backwards: possible cloned key",
            )
            .with_severity(Severity::Critical)
        } else {
            SecurityEvent::new(
                EventKind::AuthenticationFailed,
                SOURCE,
                "WebAuthn ceremony refused",
            )
        };
        self.emit(
            event
                .with_subject(user)
                .with_field("factor", FACTOR_WEBAUTHN)
                .with_field("ceremony", ceremony)
                .with_field("error", error.code()),
        );
        error
    }

    /// A store result, reporting an outage as an event (the caller fails closed).
    fn store<T>(
        &self,
        result: Result<T, crate::StoreError>,
        user: &str,
    ) -> Result<T, WebAuthnError> {
        result.map_err(|e| {
            self.emit(
                SecurityEvent::new(
                    EventKind::StoreFailure,
                    SOURCE,
                    "WebAuthn credential store unavailable; second factor refused (fail closed)",
                )
                .with_subject(user)
                .with_field("factor", FACTOR_WEBAUTHN)
                .with_field("error", e.0.clone()),
            );
            WebAuthnError::Unavailable(e)
        })
    }

    /// Reports a change to the user's second factor, which the audit trail
    /// records as `auth.mfa.enrolled` or `auth.mfa.reset`.
    fn changed(&self, user: &str, step: &'static str, credential: &str, reason: &'static str) {
        self.emit(
            SecurityEvent::new(EventKind::ConfigurationChanged, SOURCE, reason)
                .with_subject(user)
                .with_field("change", CHANGE_MFA)
                .with_field("step", step)
                .with_field("factor", FACTOR_WEBAUTHN)
                .with_field("credential", credential.to_owned()),
        );
    }

    fn emit(&self, event: SecurityEvent) {
        self.inner.sink.emit(event.at(self.inner.clock.now()));
    }
}

/// Parses a client's JSON response, bounded in size; the error names what
/// was wrong without echoing the input.
fn parse<T: DeserializeOwned>(response: &str) -> Result<T, WebAuthnError> {
    if response.len() > MAX_RESPONSE_BYTES {
        return Err(WebAuthnError::MalformedResponse(format!(
            "larger than {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    serde_json::from_str(response).map_err(|e| {
        WebAuthnError::MalformedResponse(format!(
            "not a WebAuthn credential (line {}, column {}: {})",
            e.line(),
            e.column(),
            match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    "invalid JSON"
                }
                serde_json::error::Category::Data => "missing or mistyped field",
                serde_json::error::Category::Io => "unreadable",
            }
        ))
    })
}

fn rejected(error: &LibError) -> WebAuthnError {
    WebAuthnError::Rejected(error.to_string())
}
