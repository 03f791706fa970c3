//! Verifying tokens: structure, header, key, signature, claims, revocation.

use super::algorithm::Algorithm;
use super::claims::{Claims, RequiredClaim, TokenUse};
use super::key_set::KeySet;
use crate::error::{AuthError, ConfigError};
use crate::revocation::{FailMode, SharedRevocationStore, TokenRef};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::{EventKind, SecurityEvent, SharedClock, SharedSink, SystemClock, TracingSink};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// Tokens longer than this are refused before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The header fields rampart looks at. Everything a token could use to bring
/// its own key is captured only to be refused.
#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    typ: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
    #[serde(default)]
    jwk: Option<IgnoredAny>,
    #[serde(default)]
    jku: Option<IgnoredAny>,
    #[serde(default)]
    x5u: Option<IgnoredAny>,
    #[serde(default)]
    x5c: Option<IgnoredAny>,
}

pub(crate) struct Settings {
    keys: KeySet,
    issuer: Option<String>,
    audience: Vec<String>,
    leeway: u64,
    max_bytes: usize,
    required: Vec<RequiredClaim>,
    access_types: Vec<String>,
    require_token_use: bool,
    revocation: Option<SharedRevocationStore>,
    #[cfg(feature = "remote-jwks")]
    refresher: Option<crate::remote::SharedKeyRefresher>,
    fail_mode: FailMode,
    pub(crate) clock: SharedClock,
    pub(crate) sink: SharedSink,
}

/// Verifies JWTs against a [`KeySet`].
///
/// Checks, in order, each failing with its own [`AuthError`]: size limit
/// (before any parsing), three base64url parts, a JSON header, `alg` not
/// `none` in any spelling, no embedded or remote key (`jwk`, `jku`, `x5u`,
/// `x5c`), no `crit`, `typ`, a known `kid` whose key's algorithm equals `alg`,
/// the signature, then the claims: `sub`, `exp`, `iat`, `jti` present, `exp`
/// passed, `nbf` reached, `iat` not in the future (each with leeway), `iss`,
/// `aud`, required claims, `token_use`, and finally revocation.
///
/// The `kid` is only ever a map key: it never names a file, a URL or a row.
///
/// Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct JwtVerifier {
    pub(crate) settings: Arc<Settings>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.settings.issuer)
            .field("audience", &self.settings.audience)
            .field("leeway", &self.settings.leeway)
            .finish_non_exhaustive()
    }
}

/// Builds a [`JwtVerifier`]; every setting's default is the strict one.
#[must_use]
pub struct JwtVerifierBuilder {
    settings: Settings,
}

impl JwtVerifier {
    /// Starts a verifier trusting the keys in `keys`.
    pub fn builder(keys: KeySet) -> JwtVerifierBuilder {
        JwtVerifierBuilder {
            settings: Settings {
                keys,
                issuer: None,
                audience: Vec::new(),
                leeway: 30,
                max_bytes: DEFAULT_MAX_TOKEN_BYTES,
                required: Vec::new(),
                access_types: vec!["at+jwt".into(), "application/at+jwt".into()],
                require_token_use: true,
                revocation: None,
                #[cfg(feature = "remote-jwks")]
                refresher: None,
                fail_mode: FailMode::Closed,
                clock: SystemClock::shared(),
                sink: TracingSink::shared(),
            },
        }
    }

    /// Verifies an access token, including revocation when a store is set.
    pub async fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<Claims<C>, AuthError> {
        self.verify_as(token, TokenUse::Access).await
    }

    /// Verifies a token of the given use, including revocation.
    pub async fn verify_as<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims<C>, AuthError> {
        let claims = match self.verify_stateless::<C>(token, token_use) {
            #[cfg(feature = "remote-jwks")]
            Err(AuthError::UnknownKey) => self.retry_after_key_refresh(token, token_use).await?,
            other => other?,
        };
        self.check_revocation(&claims).await?;
        Ok(claims)
    }

    #[cfg(feature = "remote-jwks")]
    async fn retry_after_key_refresh<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims<C>, AuthError> {
        match &self.settings.refresher {
            Some(refresher) if matches!(refresher.refresh_on_unknown_kid().await, Ok(true)) => {
                self.verify_stateless(token, token_use)
            }
            _ => Err(AuthError::UnknownKey),
        }
    }

    /// Everything but revocation: signature and claims only. For callers that
    /// check revocation themselves or have no store.
    pub fn verify_stateless<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims<C>, AuthError> {
        let s = &*self.settings;
        if token.len() > s.max_bytes {
            return Err(AuthError::TooLarge);
        }
        let bytes = token.as_bytes();
        let first = memchr(bytes, 0).ok_or(AuthError::Malformed)?;
        let second = memchr(bytes, first + 1).ok_or(AuthError::Malformed)?;
        if memchr(bytes, second + 1).is_some() {
            return Err(AuthError::Malformed);
        }
        let (header_b64, payload_b64, signature_b64) = (
            &token[..first],
            &token[first + 1..second],
            &token[second + 1..],
        );
        let header_json = URL_SAFE_NO_PAD
            .decode(header_b64)
            .map_err(|_| AuthError::Malformed)?;
        let header: RawHeader<'_> =
            serde_json::from_slice(&header_json).map_err(|_| AuthError::Malformed)?;

        if header.alg.eq_ignore_ascii_case("none") {
            return Err(AuthError::AlgorithmNone);
        }
        let alg = Algorithm::from_header(&header.alg).ok_or(AuthError::UnsupportedAlgorithm)?;
        if header.jwk.is_some()
            || header.jku.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
        {
            return Err(AuthError::EmbeddedKey);
        }
        // rampart understands no JWS extension, so any `crit` entry is unknown
        // (RFC 7515 §4.1.11: the recipient must then reject).
        if header.crit.is_some() {
            return Err(AuthError::UnknownCritical);
        }
        let typ_ok = match (token_use, header.typ.as_deref()) {
            (TokenUse::Refresh, Some(t)) => t.eq_ignore_ascii_case(TokenUse::Refresh.typ()),
            (_, Some(t)) => s.access_types.iter().any(|a| a.eq_ignore_ascii_case(t)),
            (_, None) => false,
        };
        if !typ_ok {
            return Err(AuthError::WrongType);
        }

        let keys = s.keys.load();
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| keys.verifying.get(kid))
            .ok_or(AuthError::UnknownKey)?;
        if key.algorithm() != alg {
            return Err(AuthError::AlgorithmMismatch);
        }
        let message = &bytes[..second];
        let valid = jsonwebtoken::crypto::verify(
            signature_b64,
            message,
            key.decoding(),
            alg.to_jsonwebtoken(),
        )
        .map_err(|_| AuthError::BadSignature)?;
        if !valid {
            return Err(AuthError::BadSignature);
        }

        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| AuthError::Malformed)?;
        let claims: Claims<C> =
            serde_json::from_slice(&payload).map_err(|_| AuthError::Malformed)?;
        self.check_claims(&claims, token_use)?;
        Ok(claims)
    }

    fn check_claims<C>(&self, c: &Claims<C>, token_use: TokenUse) -> Result<(), AuthError> {
        let s = &*self.settings;
        let exp = c.exp.ok_or(AuthError::MissingClaim("exp"))?;
        let iat = c.iat.ok_or(AuthError::MissingClaim("iat"))?;
        if c.sub.as_deref().is_none_or(str::is_empty) {
            return Err(AuthError::MissingClaim("sub"));
        }
        if c.jti.as_deref().is_none_or(str::is_empty) {
            return Err(AuthError::MissingClaim("jti"));
        }
        let now = s.clock.unix_secs();
        if now >= exp.saturating_add(s.leeway) {
            return Err(AuthError::Expired);
        }
        if c.nbf.is_some_and(|nbf| now.saturating_add(s.leeway) < nbf) {
            return Err(AuthError::NotYetValid);
        }
        if now.saturating_add(s.leeway) < iat {
            return Err(AuthError::IssuedInFuture);
        }
        if let Some(issuer) = &s.issuer {
            match &c.iss {
                None => return Err(AuthError::MissingClaim("iss")),
                Some(iss) if iss != issuer => return Err(AuthError::WrongIssuer),
                Some(_) => {}
            }
        }
        if !s.audience.is_empty() {
            let aud = c.aud.as_ref().ok_or(AuthError::MissingClaim("aud"))?;
            if !s.audience.iter().any(|a| aud.contains(a)) {
                return Err(AuthError::WrongAudience);
            }
        }
        if let Some(missing) = s.required.iter().find(|r| !r.present(c)) {
            return Err(AuthError::MissingClaim(missing.name()));
        }
        match c.token_use {
            Some(u) if u == token_use => {}
            None if !s.require_token_use && token_use == TokenUse::Access => {}
            None => return Err(AuthError::MissingClaim("token_use")),
            Some(_) => return Err(AuthError::WrongTokenUse),
        }
        Ok(())
    }

    async fn check_revocation<C>(&self, c: &Claims<C>) -> Result<(), AuthError> {
        let s = &*self.settings;
        let Some(store) = &s.revocation else {
            return Ok(());
        };
        let token = TokenRef {
            subject: c.subject(),
            jti: c.token_id(),
            family: c.sid.as_deref(),
            issued_at: c.iat.unwrap_or_default(),
        };
        let span = tracing::debug_span!(target: "rampart::auth", "revocation_check");
        match store
            .check(token, s.clock.unix_secs())
            .instrument(span)
            .await
        {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err(AuthError::Revoked),
            Err(e) => {
                tracing::warn!(target: "rampart::auth", error = %e, "revocation store failed");
                s.sink.emit(
                    SecurityEvent::new(
                        EventKind::StoreFailure,
                        "rampart::auth",
                        "revocation check failed",
                    )
                    .at(s.clock.now())
                    .with_subject(c.subject())
                    .with_field("fail_mode", format!("{:?}", s.fail_mode).to_lowercase()),
                );
                match s.fail_mode {
                    FailMode::Open => Ok(()),
                    _ => Err(AuthError::StoreUnavailable),
                }
            }
        }
    }

    /// The key set this verifier trusts.
    pub fn keys(&self) -> &KeySet {
        &self.settings.keys
    }

    /// The revocation store, if one is set.
    pub fn revocation_store(&self) -> Option<&SharedRevocationStore> {
        self.settings.revocation.as_ref()
    }

    /// The leeway applied to `exp`, `nbf` and `iat`.
    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.settings.leeway)
    }
}

fn memchr(haystack: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .iter()
        .position(|&b| b == b'.')
        .map(|i| i + from)
}

impl JwtVerifierBuilder {
    /// Requires `iss` to equal `issuer`. Default: not checked.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.issuer = Some(issuer.into());
        self
    }

    /// Requires `aud` to contain one of `audience`. Default: not checked.
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default 30 s; at most 5 minutes.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.settings.leeway = leeway.as_secs();
        self
    }

    /// Tokens longer than this are refused unread. Default 8 KiB.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_bytes = bytes;
        self
    }

    /// Claims that must be present besides `sub`, `exp`, `iat` and `jti`. Default: none.
    pub fn require_claims(mut self, claims: impl IntoIterator<Item = RequiredClaim>) -> Self {
        self.settings.required = claims.into_iter().collect();
        self
    }

    /// `typ` header values accepted on access tokens, compared without case.
    /// Default: `at+jwt` and `application/at+jwt` (RFC 9068).
    pub fn access_token_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.access_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts access tokens without a `token_use` claim (tokens from an
    /// external provider that does not write one). A token that does carry
    /// `token_use` must still say `access`. Default: the claim is required.
    pub fn insecure_allow_missing_token_use(mut self) -> Self {
        self.settings.require_token_use = false;
        self
    }

    /// Checks every token against `store`. Default: no revocation check.
    pub fn revocation(mut self, store: SharedRevocationStore) -> Self {
        self.settings.revocation = Some(store);
        self
    }

    /// Asks `refresher` for new keys when a token names an unknown `kid`
    /// (a [`RemoteJwks`](crate::remote::RemoteJwks)). Default: none.
    #[cfg(feature = "remote-jwks")]
    pub fn key_refresher(mut self, refresher: crate::remote::SharedKeyRefresher) -> Self {
        self.settings.refresher = Some(refresher);
        self
    }

    /// Accepts tokens when the revocation store fails. Default: refused (fail closed).
    pub fn insecure_fail_open(mut self) -> Self {
        self.settings.fail_mode = FailMode::Open;
        self
    }

    /// Sets the fail mode from configuration.
    pub fn fail_mode(mut self, mode: FailMode) -> Self {
        self.settings.fail_mode = mode;
        self
    }

    /// The clock deciding expiry. Default: the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Where store failures are reported. Default: `tracing`.
    pub fn events(mut self, sink: SharedSink) -> Self {
        self.settings.sink = sink;
        self
    }

    /// Checks the settings and builds the verifier.
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        let s = &self.settings;
        if s.leeway > 300 {
            return Err(ConfigError::Invalid {
                name: "leeway",
                reason: "more than 5 minutes of leeway keeps expired tokens alive; fix the clocks instead".into(),
            });
        }
        if s.max_bytes < 256 {
            return Err(ConfigError::Invalid {
                name: "max_token_bytes",
                reason: "at least 256 bytes are needed for any signed token".into(),
            });
        }
        if s.access_types.is_empty() {
            return Err(ConfigError::Invalid {
                name: "access_token_types",
                reason: "list at least one accepted `typ`, such as `at+jwt`".into(),
            });
        }
        Ok(JwtVerifier {
            settings: Arc::new(self.settings),
        })
    }
}
