//! Verifying tokens: structure, header, key, signature, claims, revocation.

use super::algorithm::Algorithm;
use super::claims::{Claims, NoCustomClaims, RequiredClaim, TokenUse, pick_claims};
use super::header::RawHeader;
use super::key_set::KeySet;
use super::keys::VerificationKey;
use super::mapping::{ClaimMapping, ClaimPath, PrincipalMapper, Wanted};
use super::numeric_date::NumericDate;
use super::verified_cache::{Accepted, DEFAULT_VERIFIED_CACHE, Verified, VerifiedCache};
use crate::error::{AuthError, ConfigError};
use crate::revocation::{FailMode, SharedRevocationStore, TokenRef};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::{
    EventKind, Principal, SecurityEvent, SharedClock, SharedSink, SystemClock, TracingSink,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};
use tracing::Instrument;

/// Verified claims and the claims picked for the principal.
type Decoded<C> = (Claims<C>, Map<String, Value>);

/// The `kid` and the key that checked a signature.
type TrustedKey = (Box<str>, Arc<VerificationKey>);

/// Tokens longer than this are refused before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

pub(crate) struct Settings {
    keys: KeySet,
    issuer: Option<String>,
    audience: Vec<String>,
    leeway: u64,
    max_bytes: usize,
    required: Vec<RequiredClaim>,
    waived: Vec<RequiredClaim>,
    access_types: Vec<String>,
    allow_missing_typ: bool,
    require_token_use: bool,
    mapping: ClaimMapping,
    wanted: Wanted,
    external: bool,
    revocation: Option<SharedRevocationStore>,
    #[cfg(feature = "remote-jwks")]
    refresher: Option<crate::remote::SharedKeyRefresher>,
    fail_mode: FailMode,
    verified_cache: usize,
    cache: Option<VerifiedCache>,
    pub(crate) clock: SharedClock,
    pub(crate) sink: SharedSink,
}

/// Verifies JWTs against a [`KeySet`].
///
/// Checks, in order, each failing with its own [`AuthError`]: size limit
/// (before any parsing), three base64url parts, a header that is a JSON
/// object, `alg` not `none` in any spelling, no embedded or remote key
/// (`jwk`, `jku`, `x5u`, `x5c`, even `null`), no `crit` (even `null`), `typ`,
/// a known `kid` whose key's algorithm equals `alg`, the signature, then the
/// claims: `exp`, `sub`, `iat`, `jti` present, `exp` not passed, `nbf`
/// reached, `iat` not in the future (each with leeway, compared to the
/// nanosecond: times may be fractional), `iss`, `aud`, required claims,
/// `token_use`, and finally revocation.
///
/// The `kid` is only ever a map key: it never names a file, a URL or a row.
///
/// # Tokens from another issuer (OIDC providers)
///
/// The defaults fit the tokens rampart issues. For a provider's access
/// tokens, [`external_provider`](JwtVerifierBuilder::external_provider) says
/// what differs (`typ` `JWT` or absent, no `token_use`, no `jti`) and requires
/// an issuer and an audience; [`JwtVerifier::external`] starts from a
/// [`RemoteJwks`](crate::remote::RemoteJwks) with that preset. Map the
/// provider's claims with [`tenant_claim`](JwtVerifierBuilder::tenant_claim),
/// [`org_claim`](JwtVerifierBuilder::org_claim),
/// [`roles_claim`](JwtVerifierBuilder::roles_claim),
/// [`principal_claims`](JwtVerifierBuilder::principal_claims) or a
/// [`map_principal`](JwtVerifierBuilder::map_principal) hook. These apply to
/// access tokens only: refresh tokens are always rampart's own.
///
/// ```
/// use rampart::auth::{Algorithm, JwtVerifier, KeySet, SigningKey};
///
/// # let keys = KeySet::new(SigningKey::generate(Algorithm::RS256)?);
/// let verifier = JwtVerifier::builder(keys) // the provider's JWKS
///     .external_provider()
///     .issuer("https://login.example.com/")
///     .audience(["https://api.example.com"])
///     .tenant_claim("tid")
///     .roles_claim("groups")
///     .principal_claims(["department"])
///     .build()?;
/// # let _ = verifier;
/// # Ok::<(), rampart::auth::ConfigError>(())
/// ```
///
/// # ECDSA signatures are malleable
///
/// For ES256/ES384, if `(r, s)` is a valid signature so is `(r, n - s)`:
/// RFC 7518 does not ask for the "low-S" form, and many signers (OpenSSL,
/// Go, Java) produce either half at random, so both are accepted — refusing
/// high-S would refuse about half of a provider's valid tokens. The
/// consequence: the same claims can arrive as two different token strings.
/// Anything that must recognise a token again (revocation, replay
/// detection, refresh reuse) must key on `jti`, never on the signature
/// bytes or a hash of the whole token; rampart does. The verified-token
/// cache is the opposite case and keys on the whole string: a malleated
/// copy misses it and is verified in full.
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
                waived: Vec::new(),
                access_types: vec!["at+jwt".into(), "application/at+jwt".into()],
                allow_missing_typ: false,
                require_token_use: true,
                mapping: ClaimMapping::default(),
                wanted: Wanted::Names(Vec::new()),
                external: false,
                revocation: None,
                #[cfg(feature = "remote-jwks")]
                refresher: None,
                fail_mode: FailMode::Closed,
                verified_cache: DEFAULT_VERIFIED_CACHE,
                cache: None,
                clock: SystemClock::shared(),
                sink: TracingSink::shared(),
            },
        }
    }

    /// Starts a verifier for access tokens from an external provider whose
    /// keys `remote` fetches: its keys, refreshed as
    /// [`RemoteJwks`](crate::remote::RemoteJwks) describes, its issuer when
    /// known (discovered or set), and the
    /// [`external_provider`](JwtVerifierBuilder::external_provider) preset.
    /// Name your API's audience, and map the provider's claims
    /// ([`tenant_claim`](JwtVerifierBuilder::tenant_claim),
    /// [`roles_claim`](JwtVerifierBuilder::roles_claim)) as needed.
    ///
    /// ```no_run
    /// # #[cfg(feature = "oidc")] {
    /// use rampart::auth::{JwtAuthLayer, JwtVerifier, remote::RemoteJwks};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let provider = RemoteJwks::discover("https://login.example.com/").await?;
    /// provider.refresh().await?; // load the keys now: fail fast at start-up
    /// let verifier = JwtVerifier::external(provider)
    ///     .audience(["https://api.example.com"])
    ///     .roles_claim("permissions")
    ///     .build()?;
    /// let layer = JwtAuthLayer::new(verifier);
    /// # let _ = layer; Ok(()) }
    /// # }
    /// ```
    #[cfg(feature = "remote-jwks")]
    #[cfg_attr(docsrs, doc(cfg(feature = "remote-jwks")))]
    pub fn external(remote: impl Into<Arc<crate::remote::RemoteJwks>>) -> JwtVerifierBuilder {
        let remote = remote.into();
        let mut builder = Self::builder(remote.keys().clone()).external_provider();
        if let Some(issuer) = remote.provider_issuer() {
            builder = builder.issuer(issuer);
        }
        builder.key_refresher(remote)
    }

    /// Verifies an access token, including revocation when a store is set.
    ///
    /// Returns the registered claims only ([`NoCustomClaims`]), so the call
    /// needs no type annotation; use [`verify_with`](Self::verify_with) to
    /// also deserialize application claims.
    ///
    /// ```
    /// use rampart::auth::{Algorithm, JwtIssuer, JwtVerifier, KeySet, SigningKey, TokenRequest, TokenUse};
    /// use serde::Deserialize;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let keys = KeySet::new(SigningKey::hmac(Algorithm::HS256, &[7; 32], "k1")?);
    /// let issuer = JwtIssuer::builder(keys.clone()).issuer("https://id.example").build()?;
    /// let verifier = JwtVerifier::builder(keys).issuer("https://id.example").build()?;
    /// let plan = serde_json::json!({ "plan": "pro" });
    /// let token = issuer.issue(&TokenRequest::new("alice"), TokenUse::Access, None, &plan)?.token;
    ///
    /// // No type annotation: the registered claims only.
    /// let claims = verifier.verify(&token).await?;
    /// assert_eq!(claims.subject(), "alice");
    ///
    /// // Application claims: name their type.
    /// #[derive(Deserialize)]
    /// struct Mine {
    ///     plan: String,
    /// }
    /// let claims = verifier.verify_with::<Mine>(&token).await?;
    /// assert_eq!(claims.custom.plan, "pro");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify(&self, token: &str) -> Result<Claims<NoCustomClaims>, AuthError> {
        self.verify_with(token).await
    }

    /// Like [`verify`](Self::verify), also deserializing the application
    /// claims into `C` (flattened next to the registered ones):
    /// `verifier.verify_with::<MyClaims>(&token)`.
    pub async fn verify_with<C: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Claims<C>, AuthError> {
        self.verify_as_with(token, TokenUse::Access).await
    }

    /// Verifies a token of the given use, including revocation; registered
    /// claims only (see [`verify_as_with`](Self::verify_as_with)).
    pub async fn verify_as(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims<NoCustomClaims>, AuthError> {
        self.verify_as_with(token, token_use).await
    }

    /// Like [`verify_as`](Self::verify_as), also deserializing the
    /// application claims into `C`.
    pub async fn verify_as_with<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims<C>, AuthError> {
        let (claims, _) = self.verify_checked(token, token_use, false).await?;
        Ok(claims)
    }

    /// Verifies an access token like [`verify`](Self::verify) and builds the
    /// caller's [`Principal`]: subject, tenant, org, roles, session, token id,
    /// and the application claims named in
    /// [`principal_claims`](JwtVerifierBuilder::principal_claims).
    /// This is what [`JwtAuthLayer`](crate::JwtAuthLayer) inserts.
    /// Registered claims only; see [`authenticate_with`](Self::authenticate_with).
    pub async fn authenticate(
        &self,
        token: &str,
    ) -> Result<(Claims<NoCustomClaims>, Principal), AuthError> {
        self.authenticate_with(token).await
    }

    /// Like [`authenticate`](Self::authenticate), also deserializing the
    /// application claims into `C`.
    ///
    /// A token this verifier has already accepted is not decoded and its
    /// signature not checked again until it expires (see
    /// [`verified_cache`](JwtVerifierBuilder::verified_cache)); revocation
    /// is still checked on every call. The principal a cached token maps to
    /// is kept with it, unless an application mapper
    /// ([`map_principal`](JwtVerifierBuilder::map_principal)) builds it: that
    /// one runs on every call.
    pub async fn authenticate_with<C>(
        &self,
        token: &str,
    ) -> Result<(Claims<C>, Principal), AuthError>
    where
        C: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let (claims, principal) = self.authenticate_shared(token).await?;
        // Without a cache nothing else holds the claims: no copy then.
        let claims = Arc::try_unwrap(claims).unwrap_or_else(|shared| Claims::clone(&shared));
        Ok((claims, principal))
    }

    /// [`authenticate_with`](Self::authenticate_with), the claims shared with
    /// the verified-token cache rather than copied: what the layer inserts.
    pub(crate) async fn authenticate_shared<C>(
        &self,
        token: &str,
    ) -> Result<(Arc<Claims<C>>, Principal), AuthError>
    where
        C: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        self.refresh_keys_if_due().await;
        let entry = match self.cached::<C>(token) {
            Some(hit) => hit,
            None => {
                let (decoded, key) = self
                    .decode_refreshing::<C>(token, TokenUse::Access, true)
                    .await?;
                self.remember(token, decoded, key)
            }
        };
        self.check_revocation(&entry.claims).await?;
        let mapping = &self.settings.mapping;
        let principal = match entry.principal.get() {
            Some(principal) => principal.clone(),
            None => {
                let principal = mapping.principal(&entry.claims, entry.picked.clone())?;
                // Built from the claims and fixed settings alone, it is the
                // same on every request: later ones share it.
                if mapping.reads_only_claims() {
                    entry.principal.get_or_init(|| principal).clone()
                } else {
                    principal
                }
            }
        };
        Ok((Arc::clone(&entry.claims), principal))
    }

    /// The claims of `token` if this verifier accepted exactly this string
    /// before, under a key it still trusts, and it is still within its times.
    fn cached<C>(&self, token: &str) -> Option<Arc<Accepted<C>>>
    where
        C: Clone + Send + Sync + 'static,
    {
        let s = &*self.settings;
        let cache = s.cache.as_ref()?;
        let entry = cache.get(token)?;
        let now = s.clock.now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let same_key = s
            .keys
            .load()
            .verifying
            .get(&*entry.kid)
            .is_some_and(|key| Arc::ptr_eq(key, &entry.key));
        if !same_key || now >= entry.valid_until {
            cache.remove(token);
            return None;
        }
        if now < entry.valid_from {
            return None;
        }
        Arc::clone(&entry.value).downcast::<Accepted<C>>().ok()
    }

    /// Keeps a token that passed every check but revocation, with the times
    /// between which those checks hold.
    fn remember<C>(
        &self,
        token: &str,
        (claims, picked): (Claims<C>, Map<String, Value>),
        (kid, key): TrustedKey,
    ) -> Arc<Accepted<C>>
    where
        C: Clone + Send + Sync + 'static,
    {
        let accepted = Arc::new(Accepted {
            claims: Arc::new(claims),
            picked,
            principal: OnceLock::new(),
        });
        let s = &*self.settings;
        let Some(cache) = &s.cache else {
            return accepted;
        };
        let claims = &accepted.claims;
        let Some(exp) = claims.exp else {
            return accepted;
        };
        let leeway = Duration::from_secs(s.leeway);
        let starts = [claims.iat, claims.nbf]
            .into_iter()
            .flatten()
            .map(NumericDate::since_epoch)
            .max()
            .unwrap_or_default();
        let now = s.clock.now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let verified = Verified {
            kid,
            key,
            valid_from: starts.saturating_sub(leeway),
            valid_until: exp.since_epoch().saturating_add(leeway),
            value: accepted.clone(),
        };
        cache.insert(token, verified, now);
        accepted
    }

    async fn refresh_keys_if_due(&self) {
        #[cfg(feature = "remote-jwks")]
        if let Some(refresh) = self
            .settings
            .refresher
            .as_ref()
            .and_then(|r| r.refresh_if_due())
        {
            // A failed fetch keeps the cached keys (and raised its event).
            let _ = refresh.await;
        }
    }

    /// [`decode`](Self::decode), once more after a key refresh when the
    /// `kid` is unknown and a remote key source is set.
    async fn decode_refreshing<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
        pick: bool,
    ) -> Result<(Decoded<C>, TrustedKey), AuthError> {
        match self.decode_keyed::<C>(token, token_use, pick) {
            #[cfg(feature = "remote-jwks")]
            Err(AuthError::UnknownKey) => match &self.settings.refresher {
                Some(refresher) if matches!(refresher.refresh_on_unknown_kid().await, Ok(true)) => {
                    self.decode_keyed(token, token_use, pick)
                }
                _ => Err(AuthError::UnknownKey),
            },
            other => other,
        }
    }

    async fn verify_checked<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
        pick: bool,
    ) -> Result<Decoded<C>, AuthError> {
        self.refresh_keys_if_due().await;
        let (verified, _) = self.decode_refreshing::<C>(token, token_use, pick).await?;
        self.check_revocation(&verified.0).await?;
        Ok(verified)
    }

    /// Everything but revocation: signature and claims only. For callers that
    /// check revocation themselves or have no store. Registered claims only;
    /// see [`verify_stateless_with`](Self::verify_stateless_with).
    pub fn verify_stateless(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims<NoCustomClaims>, AuthError> {
        self.verify_stateless_with(token, token_use)
    }

    /// Like [`verify_stateless`](Self::verify_stateless), also deserializing
    /// the application claims into `C`.
    pub fn verify_stateless_with<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims<C>, AuthError> {
        self.decode(token, token_use, false)
            .map(|(claims, _)| claims)
    }

    /// Signature and claims; with `pick`, also the claims named for the
    /// principal (read only once the token is known to be genuine and valid).
    fn decode<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
        pick: bool,
    ) -> Result<Decoded<C>, AuthError> {
        self.decode_keyed(token, token_use, pick)
            .map(|(decoded, _)| decoded)
    }

    /// [`decode`](Self::decode), also naming the key that checked the signature.
    fn decode_keyed<C: DeserializeOwned>(
        &self,
        token: &str,
        token_use: TokenUse,
        pick: bool,
    ) -> Result<(Decoded<C>, TrustedKey), AuthError> {
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
        let header = RawHeader::parse(&header_json)?;

        if header.alg.eq_ignore_ascii_case("none") {
            return Err(AuthError::AlgorithmNone);
        }
        let alg = Algorithm::from_header(&header.alg).ok_or(AuthError::UnsupportedAlgorithm)?;
        if header.carries_key() {
            return Err(AuthError::EmbeddedKey);
        }
        // rampart understands no JWS extension, so any `crit` entry is unknown
        // (RFC 7515 §4.1.11: the recipient must then reject).
        if header.crit.0 {
            return Err(AuthError::UnknownCritical);
        }
        let typ_ok = match (token_use, header.typ.as_deref()) {
            (TokenUse::Refresh, Some(t)) => t.eq_ignore_ascii_case(TokenUse::Refresh.typ()),
            (TokenUse::Refresh, None) => false,
            (_, Some(t)) => s.access_types.iter().any(|a| a.eq_ignore_ascii_case(t)),
            (_, None) => s.allow_missing_typ,
        };
        if !typ_ok {
            return Err(AuthError::WrongType);
        }

        let keys = s.keys.load();
        let (kid, key) = header
            .kid
            .as_deref()
            .and_then(|kid| keys.verifying.get_key_value(kid))
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
        let extra = match &s.wanted {
            _ if !pick => Map::new(),
            Wanted::Names(names) if names.is_empty() => Map::new(),
            Wanted::Names(names) => {
                pick_claims(&payload, names).map_err(|_| AuthError::Malformed)?
            }
            Wanted::All => serde_json::from_slice(&payload).map_err(|_| AuthError::Malformed)?,
        };
        Ok(((claims, extra), (kid.as_str().into(), key.clone())))
    }

    fn check_claims<C>(&self, c: &Claims<C>, token_use: TokenUse) -> Result<(), AuthError> {
        let s = &*self.settings;
        let exp = c.exp.ok_or(AuthError::MissingClaim("exp"))?;
        // An empty `sub` or `jti` is refused even where the claim may be
        // omitted: it would name nobody, and one empty `jti` revoked would
        // revoke every token without one.
        for (name, value) in [("sub", &c.sub), ("jti", &c.jti)] {
            if value.as_deref() == Some("") {
                return Err(AuthError::MissingClaim(name));
            }
        }
        // Waivers are for external access tokens; refresh tokens are rampart's own.
        let waivable = token_use == TokenUse::Access;
        if let Some(missing) = RequiredClaim::DEFAULT
            .into_iter()
            .filter(|r| !(waivable && s.waived.contains(r)))
            .find(|r| !r.present(c))
        {
            return Err(AuthError::MissingClaim(missing.name()));
        }
        let now = s.clock.now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let leeway = Duration::from_secs(s.leeway);
        if now >= exp.since_epoch().saturating_add(leeway) {
            return Err(AuthError::Expired);
        }
        let later = now.saturating_add(leeway);
        if c.nbf.is_some_and(|nbf| later < nbf.since_epoch()) {
            return Err(AuthError::NotYetValid);
        }
        if c.iat.is_some_and(|iat| later < iat.since_epoch()) {
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
        // A token without `iat` counts as issued at the epoch, so a subject-wide
        // revocation ("log out everywhere") covers it until the cut-off expires.
        // A fractional `iat` rounds down: issued within the cut-off's second
        // is before the cut-off, as for whole seconds.
        let token = TokenRef {
            subject: c.subject(),
            jti: c.jti.as_deref(),
            family: c.sid.as_deref(),
            issued_at: c.iat.map_or(0, NumericDate::secs),
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

    /// Claims that must be present besides `exp`, `sub`, `iat` and `jti`. Default: none.
    pub fn require_claims(mut self, claims: impl IntoIterator<Item = RequiredClaim>) -> Self {
        self.settings.required = claims.into_iter().collect();
        self
    }

    /// Accepts access tokens that omit some of `sub`, `iat` and `jti` (the
    /// only claims it may name), for providers that do not write them.
    /// Default: all three required, as on every token rampart issues.
    ///
    /// What each waiver costs: without `jti` a single token cannot be
    /// revoked (a session logout does not reach it; "log out everywhere"
    /// still does); without `iat` the token counts as issued at the epoch,
    /// so any "log out everywhere" of its subject revokes it until the
    /// cut-off expires; without `sub` the [`Principal`]'s subject is empty,
    /// so nothing may be decided per subject for such callers. A claim that
    /// is present must still be well-formed: an empty `sub` or `jti` is
    /// refused. Refresh tokens always need all three.
    pub fn insecure_allow_missing_claims(
        mut self,
        claims: impl IntoIterator<Item = RequiredClaim>,
    ) -> Self {
        self.settings.waived = claims.into_iter().collect();
        self
    }

    /// `typ` header values accepted on access tokens, compared without case.
    /// Default: `at+jwt` and `application/at+jwt` (RFC 9068). Many providers
    /// write `JWT`; listing it accepts any token of theirs signed with the
    /// same key, ID tokens included, so keep the audience check on.
    pub fn access_token_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.access_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts access tokens without a `typ` header (providers that write
    /// none). A `typ` that is present must still be one of
    /// [`access_token_types`](Self::access_token_types). Refresh tokens always
    /// need `rt+jwt`. Default: `typ` required (RFC 8725 §3.11 explicit typing,
    /// so that no other kind of JWT passes for an access token).
    pub fn insecure_allow_missing_typ(mut self) -> Self {
        self.settings.allow_missing_typ = true;
        self
    }

    /// Application claims copied into the [`Principal`] (read back with
    /// [`Principal::claim`]) when the verifier builds it
    /// ([`JwtVerifier::authenticate`], the layer), for authorisation rules
    /// that read claims, such as a rampart-rbac scope resolver. `org` needs
    /// no listing: it always becomes [`Principal::org`]. Default: none.
    pub fn principal_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.mapping.copied = names.into_iter().map(Into::into).collect();
        self
    }

    /// The claim holding the caller's tenant, in place of rampart's `tenant`
    /// (Azure AD: `"tid"`). A string or an integer; absent means no tenant,
    /// and a value of another type refuses the token
    /// ([`AuthError::InvalidClaim`]) rather than guessing.
    /// Default: `tenant`.
    ///
    /// ```
    /// use rampart::auth::{Algorithm, JwtVerifier, KeySet, SigningKey};
    ///
    /// # let keys = KeySet::new(SigningKey::generate(Algorithm::ES256)?);
    /// let verifier = JwtVerifier::builder(keys)
    ///     .tenant_claim("tid")
    ///     .roles_claim(["realm_access", "roles"]) // Keycloak: nested
    ///     .build()?;
    /// # let _ = verifier;
    /// # Ok::<(), rampart::auth::ConfigError>(())
    /// ```
    pub fn tenant_claim(mut self, claim: impl Into<ClaimPath>) -> Self {
        self.settings.mapping.tenant = Some(claim.into());
        self
    }

    /// The claim holding the caller's org, in place of rampart's `org`; read
    /// like [`tenant_claim`](Self::tenant_claim). Default: `org`.
    pub fn org_claim(mut self, claim: impl Into<ClaimPath>) -> Self {
        self.settings.mapping.org = Some(claim.into());
        self
    }

    /// The claim holding the caller's roles, in place of rampart's `roles`:
    /// `"groups"`, `"permissions"` (Auth0), `["realm_access", "roles"]`
    /// (Keycloak), `"cognito:groups"`, or `"scope"` (a space-separated string
    /// is split). A list must hold non-empty strings only, or the token is
    /// refused ([`AuthError::InvalidClaim`]); absent means no role.
    /// Default: `roles`.
    pub fn roles_claim(mut self, claim: impl Into<ClaimPath>) -> Self {
        self.settings.mapping.roles = Some(claim.into());
        self
    }

    /// Hands every principal to `mapper`, with all the claims of its
    /// (verified) token, for mappings the named settings cannot say: the
    /// returned principal is the one requests get, and an error refuses the
    /// token with that error. It runs after the named mappings, in the layer
    /// and in [`JwtVerifier::authenticate`] alike, so no hand-written
    /// middleware (which would silently see no principal when placed outside
    /// the auth layer) is needed. Default: none.
    ///
    /// ```
    /// use rampart::auth::{Algorithm, AuthError, JwtVerifier, KeySet, SigningKey};
    ///
    /// # let keys = KeySet::new(SigningKey::generate(Algorithm::ES256)?);
    /// let verifier = JwtVerifier::builder(keys)
    ///     .map_principal(|principal, claims| {
    ///         // Suspended accounts carry `"suspended": true`: refuse them.
    ///         if claims.get("suspended").and_then(|v| v.as_bool()) == Some(true) {
    ///             return Err(AuthError::InvalidClaim);
    ///         }
    ///         let tier = claims.get("tier").and_then(|v| v.as_str()).unwrap_or("free");
    ///         Ok(principal.with_claim("tier", tier))
    ///     })
    ///     .build()?;
    /// # let _ = verifier;
    /// # Ok::<(), rampart::auth::ConfigError>(())
    /// ```
    pub fn map_principal<F>(mut self, mapper: F) -> Self
    where
        F: Fn(Principal, &Map<String, Value>) -> Result<Principal, AuthError>
            + Send
            + Sync
            + 'static,
    {
        let mapper: PrincipalMapper = Arc::new(mapper);
        self.settings.mapping.mapper = Some(mapper);
        self
    }

    /// Settings for access tokens from an external OpenID Connect / OAuth
    /// provider (Auth0, Okta, Entra ID, Keycloak, Cognito, Google...), each
    /// one visible here rather than found among `insecure_*` switches:
    ///
    /// - `typ` may be `at+jwt` (RFC 9068), `JWT`, or absent: providers write
    ///   all three. Since `JWT` also fits the provider's ID tokens, signed
    ///   with the same keys, an [`audience`](Self::audience) is then
    ///   required: [`build`](Self::build) refuses the preset without one (an
    ///   ID token's audience is the client id, not your API).
    /// - no `token_use` claim is required (it is rampart's own);
    /// - no `jti` is required: such tokens cannot be revoked one by one (a
    ///   subject-wide revocation still reaches them), so keep them short-lived
    ///   at the provider;
    /// - an [`issuer`](Self::issuer) is required ([`build`](Self::build)
    ///   refuses the preset without one), since the provider's keys may sign
    ///   for other issuers (tenants) too.
    ///
    /// `exp`, `sub` and `iat` stay required, signatures and algorithms are
    /// checked as for every token, and refresh tokens are unaffected.
    pub fn external_provider(mut self) -> Self {
        let s = &mut self.settings;
        s.external = true;
        s.access_types = vec!["at+jwt".into(), "application/at+jwt".into(), "JWT".into()];
        s.allow_missing_typ = true;
        s.require_token_use = false;
        if !s.waived.contains(&RequiredClaim::Jti) {
            s.waived.push(RequiredClaim::Jti);
        }
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
    #[cfg_attr(docsrs, doc(cfg(feature = "remote-jwks")))]
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

    /// How many verified access tokens to remember, so that a token presented
    /// again is a lookup instead of a signature check (ES256 costs about
    /// 64 µs). Default [`DEFAULT_VERIFIED_CACHE`]; 0 turns it off.
    ///
    /// Only the exact token string that passed every check can hit, and only
    /// while the key that signed it is still trusted and its times still
    /// hold; revocation, the principal mapping and the account-status check
    /// still run on every request. Applies to
    /// [`authenticate`](JwtVerifier::authenticate) (and so to
    /// [`JwtAuthLayer`](crate::JwtAuthLayer)); the `verify` calls always check
    /// in full.
    pub fn verified_cache(mut self, capacity: usize) -> Self {
        self.settings.verified_cache = capacity;
        self
    }

    /// Where store failures are reported. Default: `tracing`.
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.settings.sink = sink;
        self
    }

    /// Checks the settings and builds the verifier.
    pub fn build(mut self) -> Result<JwtVerifier, ConfigError> {
        self.settings.mapping.check()?;
        self.settings.cache = VerifiedCache::new(self.settings.verified_cache);
        self.settings.wanted = self.settings.mapping.wanted();
        let s = &self.settings;
        if s.external && s.issuer.is_none() {
            return Err(ConfigError::Invalid {
                name: "issuer",
                reason: "tokens from an external provider need the provider's issuer: its keys may sign for other issuers too".into(),
            });
        }
        if s.external && s.audience.is_empty() {
            return Err(ConfigError::Invalid {
                name: "audience",
                reason: "tokens from an external provider need an audience (your API's identifier): the provider signs ID tokens and other applications' tokens with the same keys".into(),
            });
        }
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
        if let Some(claim) = s
            .waived
            .iter()
            .find(|c| !RequiredClaim::DEFAULT.contains(c))
        {
            return Err(ConfigError::Invalid {
                name: "insecure_allow_missing_claims",
                reason: format!(
                    "`{}` is not required by default; only `sub`, `iat` and `jti` can be waived (`token_use` has `insecure_allow_missing_token_use`)",
                    claim.name()
                ),
            });
        }
        if let Some(claim) = s.waived.iter().find(|c| s.required.contains(c)) {
            return Err(ConfigError::Invalid {
                name: "insecure_allow_missing_claims",
                reason: format!("`{}` is both required and waived", claim.name()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, JwtIssuer, SigningKey, TokenRequest};
    use rampart_core::ManualClock;

    /// What tells a hit from a fresh check: an entry planted for a string
    /// that could never verify is accepted exactly while its times and key
    /// hold, and a verified token is remembered at all.
    #[tokio::test]
    async fn hits_are_served_from_the_cache_exactly_within_their_times() {
        let clock = ManualClock::at_unix(1_000);
        let keys = KeySet::new(SigningKey::hmac(Algorithm::HS256, &[7; 32], "k").unwrap());
        let issuer = JwtIssuer::builder(keys.clone())
            .clock(clock.shared())
            .build()
            .unwrap();
        let v = JwtVerifier::builder(keys)
            .clock(clock.shared())
            .build()
            .unwrap();
        let token = issuer
            .issue(
                &TokenRequest::new("alice"),
                TokenUse::Access,
                None,
                &NoCustomClaims {},
            )
            .unwrap()
            .token;
        v.authenticate(&token).await.unwrap();
        let cache = v.settings.cache.as_ref().unwrap();
        let entry = cache.get(&token).expect("a verified token is remembered");

        let forged = "not.a.token";
        let planted = Verified {
            kid: entry.kid.clone(),
            key: entry.key.clone(),
            valid_from: Duration::from_secs(1_000),
            valid_until: Duration::from_secs(2_000),
            value: entry.value.clone(),
        };
        cache.insert(forged, planted, Duration::from_secs(1_000));
        let subject = |r: Result<(Claims<NoCustomClaims>, Principal), AuthError>| {
            r.map(|(claims, _)| claims.subject().to_owned())
        };
        assert_eq!(
            subject(v.authenticate(forged).await).as_deref(),
            Ok("alice")
        );
        clock.set_unix(999);
        assert_eq!(
            subject(v.authenticate(forged).await),
            Err(AuthError::Malformed)
        );
        clock.set_unix(1_999);
        assert_eq!(
            subject(v.authenticate(forged).await).as_deref(),
            Ok("alice")
        );
        clock.set_unix(2_000);
        assert_eq!(
            subject(v.authenticate(forged).await),
            Err(AuthError::Malformed)
        );
        assert!(cache.get(forged).is_none(), "an expired entry is dropped");
    }

    #[test]
    fn debug_names_the_settings_but_no_key() {
        let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
        let v = JwtVerifier::builder(keys)
            .issuer("https://auth.example.com")
            .audience(["api"])
            .build()
            .unwrap();
        let debug = format!("{v:?}");
        assert!(debug.starts_with("JwtVerifier"), "{debug}");
        assert!(debug.contains("https://auth.example.com") && debug.contains("api"));
        assert!(debug.contains("leeway: 30"), "{debug}");
    }
}
