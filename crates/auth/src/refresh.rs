//! Token pairs, refresh rotation with reuse detection, and logout.

use crate::error::{AuthError, ConfigError, IssueError, RefreshError, StoreError};
use crate::jwt::claims::TokenUse;
use crate::jwt::issue::{JwtIssuer, TokenRequest};
use crate::jwt::verify::JwtVerifier;
use crate::revalidate::{Revalidate, Revalidation, RevalidationPolicy, Standing};
use crate::revocation::{
    FamilyInfo, NewFamily, Rotation, RotationOutcome, SharedFamilyStore, SharedRevocationStore,
};
use rampart_core::{EventKind, Principal, SecurityEvent, SharedSink};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// What a sign-in or refresh endpoint answers (RFC 6749 §5.1 field names).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    /// The access token, sent as `Authorization: Bearer ...`.
    pub access_token: String,
    /// The refresh token, presented once to get the next pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

struct Inner {
    issuer: JwtIssuer,
    verifier: JwtVerifier,
    revocations: SharedRevocationStore,
    families: SharedFamilyStore,
    grace: u64,
    family_lifetime: u64,
    revalidation: RevalidationPolicy,
    sink: SharedSink,
}

/// Default absolute lifetime of a refresh family: 30 days.
pub const DEFAULT_FAMILY_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// Issues token pairs, rotates refresh tokens and logs out.
///
/// Each refresh token works once. Presenting one that was already used means
/// two parties hold it, so the whole family (the sign-in session, every
/// access and refresh token in it) is revoked, as the OAuth 2.0 Security BCP
/// (RFC 9700 §4.14) recommends. An optional grace window lets a client that
/// sent two refreshes at once get an answer to both.
///
/// Every refresh asks the application who the user is now (a
/// [`Revalidate`] hook), so a removed user cannot refresh and a demoted one
/// gets the new roles; and a family ends at its absolute lifetime (default
/// 30 days after sign-in) however often it is refreshed.
///
/// The manager revokes into the verifier's revocation store, so a logout is
/// seen by every layer using that verifier.
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("issuer", &self.inner.issuer)
            .field("grace_secs", &self.inner.grace)
            .field("family_lifetime_secs", &self.inner.family_lifetime)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TokenManager`].
#[must_use]
pub struct TokenManagerBuilder {
    issuer: JwtIssuer,
    verifier: JwtVerifier,
    families: SharedFamilyStore,
    grace: u64,
    family_lifetime: Duration,
    revalidation: RevalidationPolicy,
    sink: Option<SharedSink>,
}

impl TokenManager {
    /// A manager issuing with `issuer`, checking refresh tokens with
    /// `verifier` (which must have a revocation store) and keeping refresh
    /// families in `families`. Choose how refreshes re-check the user with
    /// [`revalidate`](TokenManagerBuilder::revalidate) (or, knowingly,
    /// [`insecure_skip_revalidation`](TokenManagerBuilder::insecure_skip_revalidation)):
    /// `build` refuses a builder with neither.
    pub fn builder(
        issuer: JwtIssuer,
        verifier: JwtVerifier,
        families: SharedFamilyStore,
    ) -> TokenManagerBuilder {
        TokenManagerBuilder {
            issuer,
            verifier,
            families,
            grace: 0,
            family_lifetime: DEFAULT_FAMILY_LIFETIME,
            revalidation: RevalidationPolicy::Unset,
            sink: None,
        }
    }

    /// Signs in: a new family with its first access and refresh tokens.
    pub async fn issue_pair(&self, request: &TokenRequest) -> Result<TokenPair, IssueError> {
        self.issue_pair_with(request, &Map::new()).await
    }

    /// Signs in with application claims copied into both tokens (and carried
    /// over on every refresh).
    pub async fn issue_pair_with<E: Serialize>(
        &self,
        request: &TokenRequest,
        custom: &E,
    ) -> Result<TokenPair, IssueError> {
        let family = uuid::Uuid::new_v4().simple().to_string();
        let issuer = &self.inner.issuer;
        let refresh = issuer.issue(request, TokenUse::Refresh, Some(&family), custom)?;
        let access = issuer.issue(request, TokenUse::Access, Some(&family), custom)?;
        let deadline = self.now().saturating_add(self.inner.family_lifetime);
        let client = request.client.clone().unwrap_or_default();
        self.inner
            .families
            .create_family_with_client(
                &NewFamily {
                    family,
                    subject: request.subject.clone(),
                    current: refresh.jti,
                    device: request.device.clone(),
                    until: refresh.expires_at.min(deadline),
                    deadline,
                },
                &client,
            )
            .await?;
        Ok(self.pair(access.token, refresh.token))
    }

    fn pair(&self, access_token: String, refresh_token: String) -> TokenPair {
        TokenPair {
            access_token,
            refresh_token,
            token_type: "Bearer".into(),
            expires_in: self.inner.issuer.access_ttl().as_secs(),
        }
    }

    fn now(&self) -> u64 {
        self.inner.verifier.settings.clock.unix_secs()
    }

    fn emit(&self, kind: EventKind, reason: &'static str, subject: &str) {
        self.inner.sink.emit(
            SecurityEvent::new(kind, "rampart::auth", reason)
                .at(self.inner.verifier.settings.clock.now())
                .with_subject(subject)
                .with_field("credential", rampart_core::CREDENTIAL_TOKEN),
        );
    }

    /// Exchanges a refresh token for a new pair. `device` is the device id the
    /// client presents, checked when the family was bound to one.
    ///
    /// The order matters: the token is verified (signature, expiry,
    /// revocation), then the application re-validates the user, and only
    /// then is the token consumed by the rotation. So a store or directory
    /// outage ([`RefreshError::Unavailable`]) leaves the token usable for a
    /// retry, and a refused user ([`RefreshError::UserRefused`]) loses the
    /// whole family.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        device: Option<&str>,
    ) -> Result<TokenPair, RefreshError> {
        let inner = &*self.inner;
        if matches!(inner.revalidation, RevalidationPolicy::Unset) {
            tracing::error!(target: "rampart::auth", "refresh refused: no re-validation hook configured");
            return Err(RefreshError::RevalidationUnset);
        }
        let claims = inner
            .verifier
            .verify_as_with::<Map<String, Value>>(refresh_token, TokenUse::Refresh)
            .await?;
        let family = claims
            .sid
            .as_deref()
            .ok_or(RefreshError::Invalid(AuthError::MissingClaim("sid")))?;
        let subject = claims.subject();
        let standing = match &inner.revalidation {
            RevalidationPolicy::Hook(hook) => {
                let span = tracing::debug_span!(target: "rampart::auth", "refresh_revalidate");
                match hook.revalidate(&claims).instrument(span).await {
                    Ok(Revalidation::Allow(standing)) => standing,
                    Ok(Revalidation::Refuse) => {
                        self.refuse(subject, family).await?;
                        return Err(RefreshError::UserRefused);
                    }
                    Err(e) => {
                        self.store_failed(&e, subject, "user re-validation failed");
                        return Err(RefreshError::Unavailable(e));
                    }
                }
            }
            RevalidationPolicy::Skip | RevalidationPolicy::Unset => Standing {
                tenant: claims.tenant.clone(),
                org: claims.org.clone(),
                roles: claims.roles.clone(),
            },
        };
        let request = TokenRequest {
            subject: subject.to_owned(),
            tenant: standing.tenant,
            org: standing.org,
            roles: standing.roles,
            device: None,
            client: None,
        };
        let next = inner
            .issuer
            .issue(&request, TokenUse::Refresh, Some(family), &claims.custom)?;
        let now = self.now();
        let rotation = Rotation {
            family,
            subject,
            presented: claims.token_id(),
            next: &next.jti,
            device,
            now,
            grace_secs: inner.grace,
            until: next.expires_at,
        };
        let span = tracing::debug_span!(target: "rampart::auth", "refresh_rotate");
        let outcome = match inner.families.rotate(rotation).instrument(span).await {
            Ok(o) => o,
            Err(e) => {
                self.store_failed(&e, subject, "refresh family store failed");
                return Err(RefreshError::Unavailable(e));
            }
        };
        match outcome {
            RotationOutcome::Rotated | RotationOutcome::Grace => {
                let access =
                    inner
                        .issuer
                        .issue(&request, TokenUse::Access, Some(family), &claims.custom)?;
                Ok(self.pair(access.token, next.token))
            }
            RotationOutcome::Reused => {
                tracing::warn!(target: "rampart::auth", subject, "refresh token reused: family revoked");
                self.emit(
                    EventKind::RefreshTokenReused,
                    "refresh token reused: family revoked",
                    subject,
                );
                let until = now + self.lifetime_bound();
                if let Err(e) = inner
                    .revocations
                    .revoke_family(subject, family, until)
                    .await
                {
                    // The family store has ended the family; its access tokens
                    // could not be revoked. Say so, and let the client retry.
                    self.store_failed(&e, subject, "revoking a reused family failed");
                    return Err(RefreshError::Unavailable(e));
                }
                Err(RefreshError::Reused)
            }
            RotationOutcome::DeviceMismatch => {
                self.emit(
                    EventKind::AuthenticationFailed,
                    "refresh token presented from another device",
                    subject,
                );
                Err(RefreshError::DeviceMismatch)
            }
            _ => Err(RefreshError::FamilyRevoked),
        }
    }

    /// The longest any token issued now can stay valid, leeway included.
    fn lifetime_bound(&self) -> u64 {
        self.inner.issuer.refresh_ttl().as_secs() + self.inner.verifier.leeway().as_secs()
    }

    fn store_failed(&self, e: &StoreError, subject: &str, reason: &'static str) {
        tracing::warn!(target: "rampart::auth", error = %e, "{reason}");
        self.emit(EventKind::StoreFailure, reason, subject);
    }

    /// Ends a family whose user the application refused: every token of it
    /// is revoked, and no refresh token of it rotates again.
    async fn refuse(&self, subject: &str, family: &str) -> Result<(), StoreError> {
        tracing::info!(target: "rampart::auth", subject, "refresh refused by re-validation: family revoked");
        let ended = self.end(subject, family).await;
        if let Err(e) = &ended {
            self.store_failed(e, subject, "refresh family store failed");
        }
        ended?;
        self.emit(
            EventKind::TokenRevoked,
            "user refused on refresh: family revoked",
            subject,
        );
        Ok(())
    }

    /// Logs out one session: revokes the principal's access token (`jti`) and
    /// its whole refresh family (`sid`).
    pub async fn logout(&self, principal: &Principal) -> Result<(), StoreError> {
        let inner = &*self.inner;
        let now = self.now();
        let subject = principal.subject();
        // A token without a `jti` cannot be revoked on its own (the store
        // refuses an empty one); its family below still ends the session.
        if let Some(jti) = principal.token_id().filter(|j| !j.is_empty()) {
            let until =
                now + inner.issuer.access_ttl().as_secs() + inner.verifier.leeway().as_secs();
            inner.revocations.revoke_token(subject, jti, until).await?;
        }
        if let Some(family) = principal.session_id() {
            self.end(subject, family).await?;
        }
        self.emit(EventKind::TokenRevoked, "logout", subject);
        Ok(())
    }

    /// Logs `subject` out everywhere: every token issued up to this second is
    /// revoked. Sign-ins from the next second on work again.
    pub async fn logout_everywhere(&self, subject: &str) -> Result<(), StoreError> {
        let now = self.now();
        self.inner
            .revocations
            .revoke_subject(subject, now, now + self.lifetime_bound())
            .await?;
        self.emit(EventKind::TokenRevoked, "logout everywhere", subject);
        Ok(())
    }

    /// The live refresh families (sign-ins) of `subject`, oldest first,
    /// with the client each came from: what a "your devices" page shows.
    /// Pass the caller's own subject: the listing is of that subject only.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails or cannot list.
    pub async fn list_families(&self, subject: &str) -> Result<Vec<FamilyInfo>, StoreError> {
        self.inner.families.list_families(subject, self.now()).await
    }

    /// Ends one refresh family of `subject` ("sign out that device"): its
    /// access and refresh tokens are revoked. `false`, and nothing done, when
    /// `subject` has no live family `family`: another subject's family id
    /// ends nothing.
    ///
    /// # Errors
    /// A [`StoreError`] when a store fails; call again, it is idempotent.
    pub async fn end_family(&self, subject: &str, family: &str) -> Result<bool, StoreError> {
        let owned = self
            .list_families(subject)
            .await?
            .iter()
            .any(|f| f.family == family);
        if owned {
            self.end(subject, family).await?;
            self.emit(EventKind::TokenRevoked, "refresh family ended", subject);
        }
        Ok(owned)
    }

    /// Ends every refresh family of `subject` but `keep` (the caller's own,
    /// for "sign out everywhere else"; `None` ends all); answers how many
    /// ended. Unlike [`logout_everywhere`](Self::logout_everywhere) it
    /// leaves `keep` and sign-ins made after the call untouched.
    ///
    /// # Errors
    /// A [`StoreError`] when a store fails; call again, it is idempotent.
    pub async fn end_families(
        &self,
        subject: &str,
        keep: Option<&str>,
    ) -> Result<usize, StoreError> {
        let mut ended = 0;
        for family in self.list_families(subject).await? {
            if Some(family.family.as_str()) != keep {
                self.end(subject, &family.family).await?;
                ended += 1;
            }
        }
        if ended > 0 {
            self.inner.sink.emit(
                SecurityEvent::new(
                    EventKind::TokenRevoked,
                    "rampart::auth",
                    "refresh families ended",
                )
                .at(self.inner.verifier.settings.clock.now())
                .with_subject(subject)
                .with_field("credential", rampart_core::CREDENTIAL_TOKEN)
                .with_field("count", ended),
            );
        }
        Ok(ended)
    }

    /// Revokes every token of `family` and stops its refresh tokens rotating.
    async fn end(&self, subject: &str, family: &str) -> Result<(), StoreError> {
        let until = self.now() + self.lifetime_bound();
        self.inner
            .revocations
            .revoke_family(subject, family, until)
            .await?;
        self.inner.families.end_family(subject, family, until).await
    }

    /// The issuer.
    pub fn issuer(&self) -> &JwtIssuer {
        &self.inner.issuer
    }

    /// The verifier (for the layer).
    pub fn verifier(&self) -> &JwtVerifier {
        &self.inner.verifier
    }
}

impl TokenManagerBuilder {
    /// Accepts the token a rotation just replaced for `grace` more (concurrent
    /// refreshes from one client). Default: 0, strict single use; at most 60 s.
    pub fn refresh_grace(mut self, grace: Duration) -> Self {
        self.grace = grace.as_secs();
        self
    }

    /// How every refresh re-checks the user: `hook` loads the user from the
    /// application's directory and answers the current tenant and roles, or
    /// refuses (the family is then revoked). Required, unless
    /// [`insecure_skip_revalidation`](Self::insecure_skip_revalidation) is chosen.
    pub fn revalidate(mut self, hook: impl Revalidate) -> Self {
        self.revalidation = RevalidationPolicy::Hook(Arc::new(hook));
        self
    }

    /// Refreshes without asking the application: the new pair copies tenant
    /// and roles from the old refresh token, so a user removed from the
    /// directory, or demoted, keeps the sign-in's roles until the family's
    /// absolute lifetime ends. Only for services whose tokens carry no
    /// authority that can be withdrawn.
    pub fn insecure_skip_revalidation(mut self) -> Self {
        self.revalidation = RevalidationPolicy::Skip;
        self
    }

    pub(crate) fn revalidation_policy(mut self, policy: RevalidationPolicy) -> Self {
        self.revalidation = policy;
        self
    }

    /// The longest a sign-in lasts, however often it is refreshed: rotation
    /// never moves a family's end past `lifetime` after sign-in (OAuth 2.0
    /// Security BCP, RFC 9700 §4.14.2). Default 30 days; at least one minute.
    pub fn family_lifetime(mut self, lifetime: Duration) -> Self {
        self.family_lifetime = lifetime;
        self
    }

    /// Where reuse, logouts and store failures are reported. Default: the verifier's sink.
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Checks the settings and builds the manager.
    pub fn build(self) -> Result<TokenManager, ConfigError> {
        if matches!(self.revalidation, RevalidationPolicy::Unset) {
            return Err(ConfigError::Invalid {
                name: "revalidation",
                reason: "choose how a refresh re-checks the user: `.revalidate(hook)` loads their current roles and tenant (and refuses removed users); `.insecure_skip_revalidation()` copies them from the old token".into(),
            });
        }
        self.build_unchecked()
    }

    /// Builds without requiring a re-validation choice: a manager from
    /// `JwtConfig` whose runtime chose none refuses every refresh instead.
    pub(crate) fn build_unchecked(self) -> Result<TokenManager, ConfigError> {
        let revocations = self
            .verifier
            .revocation_store()
            .cloned()
            .ok_or(ConfigError::Invalid {
                name: "revocation",
                reason: "give the verifier a revocation store so logouts and reuse detection reach access tokens".into(),
            })?;
        if self.grace > 60 {
            return Err(ConfigError::Invalid {
                name: "refresh_grace",
                reason: "a grace window over 60 seconds lets a stolen refresh token be replayed unnoticed".into(),
            });
        }
        if self.family_lifetime < Duration::from_secs(60) {
            return Err(ConfigError::Invalid {
                name: "family_lifetime",
                reason: "a refresh family must be allowed to live at least one minute".into(),
            });
        }
        let sink = self
            .sink
            .unwrap_or_else(|| self.verifier.settings.sink.clone());
        Ok(TokenManager {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                verifier: self.verifier,
                revocations,
                families: self.families,
                grace: self.grace,
                family_lifetime: self.family_lifetime.as_secs(),
                revalidation: self.revalidation,
                sink,
            }),
        })
    }
}
