//! WebAuthn / FIDO2 as a second factor: security keys and passkeys.
//!
//! [`WebAuthnMfa`] runs the two ceremonies of the W3C Web Authentication
//! standard on [webauthn-rs](https://docs.rs/webauthn-rs):
//! [`start_registration`](WebAuthnMfa::start_registration) /
//! [`finish_registration`](WebAuthnMfa::finish_registration) add a
//! credential to a signed-in user,
//! [`start_authentication`](WebAuthnMfa::start_authentication) /
//! [`finish_authentication`](WebAuthnMfa::finish_authentication) check one
//! after the password. A user may register several credentials, list them
//! and remove them. They live in a [`WebAuthnCredentialStore`]:
//! [`MemoryWebAuthnStore`], `RedisWebAuthnStore` (feature `redis`), or the
//! application's own database.
//!
//! # Security keys and passkeys as a second factor
//!
//! A *security key* is a hardware authenticator (USB, NFC) holding a
//! private key that never leaves it; a *passkey* is the same kind of
//! credential kept by a phone, a laptop's secure chip or a password manager,
//! often synchronised between the user's devices. Either works here: the
//! ceremonies ask for the user's *presence* (a touch) and *prefer* user
//! verification (PIN, biometric) without requiring it, because the password
//! is already the first factor. What the second factor adds is possession
//! of the authenticator and resistance to phishing: the browser binds each
//! signature to the site's origin, so a look-alike site gets nothing usable.
//! A synchronised passkey is as strong as the account that syncs it; a
//! security key cannot be copied, and a copy would show in its counter.
//!
//! # What is stored
//!
//! Per credential ([`StoredCredential`]): its id, public key and algorithm,
//! the signature counter and backup flags, a name the user chose, when it
//! was made and last used. Per user: a random 128-bit user handle (the
//! authenticator keeps it with the credential; it is never the user name).
//! No secret: a copy of the store lets nobody sign in.
//!
//! # Security choices
//!
//! - **Ceremony state stays on the server.** Between start and finish the
//!   challenge and the allowed credentials are kept in this process; the
//!   client only holds an opaque [`CeremonyId`]. A ceremony is bound to the
//!   user who started it (another user's id is refused and left for its
//!   owner), works once whatever its outcome (a replayed response finds
//!   nothing), and expires after
//!   [`ceremony_timeout`](WebAuthnMfaBuilder::ceremony_timeout) (five
//!   minutes by default, by the configured [`Clock`](rampart_core::Clock)).
//!   Pending ceremonies are bounded: four per user (a fifth drops the
//!   oldest) and [`max_pending`](WebAuthnMfaBuilder::max_pending) in all.
//! - **Cloned keys.** An authenticator with a signature counter must show a
//!   higher one each time. webauthn-rs checks the counter the ceremony
//!   started with; the store then moves it forward by check-and-set, so two
//!   assertions racing with one counter cannot both pass. A counter that did
//!   not advance is refused ([`WebAuthnError::PossibleClone`]) and reported
//!   as a critical `AttackDetected` event.
//! - **One owner per credential.** Registering an id that any user has is
//!   refused; an assertion by a credential that is not the user's is
//!   [`WebAuthnError::UnknownCredential`].
//! - **Untrusted input.** Responses are parsed from JSON with a size bound
//!   ([`MAX_RESPONSE_BYTES`]); malformed ones are
//!   [`WebAuthnError::MalformedResponse`], never a panic. Names users give
//!   keys are bounded and free of control characters.
//! - **Events.** Registration and removal are `ConfigurationChanged`
//!   events with `change` = [`CHANGE_MFA`](rampart_core::CHANGE_MFA), `step`
//!   [`MFA_ENROLLED`](rampart_core::MFA_ENROLLED) or
//!   [`MFA_RESET`](rampart_core::MFA_RESET) and `factor` =
//!   [`FACTOR_WEBAUTHN`]; refusals are `AuthenticationFailed` with an
//!   `error` code; store outages are `StoreFailure` and fail closed.
//! - **No attestation check.** Any FIDO2 authenticator may register; the
//!   second factor does not vet makers (webauthn-rs's `attestation` feature
//!   is off).
//!
//! # Several instances
//!
//! Credentials are shared through the store. Pending ceremonies are not:
//! webauthn-rs keeps their state in a type it deliberately does not
//! serialise (a stored challenge the client could read or reuse would undo
//! the protection), so a ceremony must finish on the instance that started
//! it. Behind a load balancer, route a user's requests to one instance for
//! the minute a ceremony takes (session affinity on the session cookie);
//! a ceremony that lands elsewhere fails with
//! [`WebAuthnError::CeremonyNotFound`] and the user simply tries again.
//!
//! # Example
//!
//! ```
//! use rampart::auth::webauthn::{MemoryWebAuthnStore, WebAuthnMfa};
//! use std::sync::Arc;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mfa = WebAuthnMfa::builder("localhost", "http://localhost:8080", "Demo")
//!     .store(Arc::new(MemoryWebAuthnStore::new()))
//!     .build()?;
//! // At sign-in, after the password:
//! if mfa.has_credentials("alice").await? {
//!     let challenge = mfa.start_authentication("alice").await?;
//!     // ... send challenge.options to navigator.credentials.get, keep
//!     // challenge.ceremony in the server-side session, then call
//!     // mfa.finish_authentication("alice", &ceremony, &response_json) ...
//!     # let _ = challenge;
//! }
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
//! ```

mod builder;
mod ceremony;
mod credential;
mod error;
mod service;
mod store;

pub use builder::{
    DEFAULT_CEREMONY_TIMEOUT, DEFAULT_MAX_CREDENTIALS, DEFAULT_MAX_PENDING, MAX_PENDING_PER_USER,
    WebAuthnMfaBuilder,
};
pub use ceremony::CeremonyId;
pub use credential::{CredentialInfo, MAX_NAME_CHARS, StoredCredential};
pub use error::WebAuthnError;
pub use service::{
    AuthenticationChallenge, Challenge, FACTOR_WEBAUTHN, MAX_RESPONSE_BYTES, RegistrationChallenge,
    Verified, WebAuthnMfa,
};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use store::RedisWebAuthnStore;
pub use store::{
    AddOutcome, CredentialUse, MemoryWebAuthnStore, SharedWebAuthnStore, UseOutcome,
    WebAuthnCredentialStore,
};
/// The webauthn-rs types that appear in this module's API: the options sent
/// to the browser, the responses it sends back, the stored key.
pub use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, SecurityKey,
};
