//! Token pairs, refresh rotation with reuse detection, and logout.

use crate::error::{AuthError, ConfigError, IssueError, RefreshError, StoreError};
use crate::jwt::claims::TokenUse;
use crate::jwt::issue::{JwtIssuer, TokenRequest};
use crate::jwt::verify::JwtVerifier;
use crate::revocation::{
    NewFamily, Rotation, RotationOutcome, SharedFamilyStore, SharedRevocationStore,
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
    sink: SharedSink,
}

/// Issues token pairs, rotates refresh tokens and logs out.
///
/// Each refresh token works once. Presenting one that was already used means
/// two parties hold it, so the whole family (the sign-in session, every
/// access and refresh token in it) is revoked, as the OAuth 2.0 Security BCP
/// (RFC 9700 §4.14) recommends. An optional grace window lets a client that
/// sent two refreshes at once get an answer to both.
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
    sink: Option<SharedSink>,
}

impl TokenManager {
    /// A manager issuing with `issuer`, checking refresh tokens with
    /// `verifier` (which must have a revocation store) and keeping refresh
    /// families in `families`.
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
        self.inner
            .families
            .create_family(&NewFamily {
                family,
                subject: request.subject.clone(),
                current: refresh.jti,
                device: request.device.clone(),
                until: refresh.expires_at,
            })
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
                .with_subject(subject),
        );
    }

    /// Exchanges a refresh token for a new pair. `device` is the device id the
    /// client presents, checked when the family was bound to one.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        device: Option<&str>,
    ) -> Result<TokenPair, RefreshError> {
        let inner = &*self.inner;
        let claims = match inner
            .verifier
            .verify_as::<Map<String, Value>>(refresh_token, TokenUse::Refresh)
            .await
        {
            Ok(c) => c,
            Err(AuthError::Revoked) => return Err(RefreshError::FamilyRevoked),
            Err(e) => return Err(RefreshError::Invalid(e)),
        };
        let family = claims
            .sid
            .as_deref()
            .ok_or(AuthError::MissingClaim("sid"))?;
        let subject = claims.subject();
        let request = TokenRequest {
            subject: subject.to_owned(),
            tenant: claims.tenant.clone(),
            roles: claims.roles.clone(),
            device: None,
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
                self.store_failed(&e, subject);
                return Err(e.into());
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
                inner
                    .revocations
                    .revoke_family(subject, family, until)
                    .await?;
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

    fn store_failed(&self, e: &StoreError, subject: &str) {
        tracing::warn!(target: "rampart::auth", error = %e, "family store failed");
        self.emit(
            EventKind::StoreFailure,
            "refresh family store failed",
            subject,
        );
    }

    /// Logs out one session: revokes the principal's access token (`jti`) and
    /// its whole refresh family (`sid`).
    pub async fn logout(&self, principal: &Principal) -> Result<(), StoreError> {
        let inner = &*self.inner;
        let now = self.now();
        let subject = principal.subject();
        if let Some(jti) = principal.token_id() {
            let until =
                now + inner.issuer.access_ttl().as_secs() + inner.verifier.leeway().as_secs();
            inner.revocations.revoke_token(subject, jti, until).await?;
        }
        if let Some(family) = principal.session_id() {
            let until = now + self.lifetime_bound();
            inner
                .revocations
                .revoke_family(subject, family, until)
                .await?;
            inner.families.end_family(subject, family, until).await?;
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

    /// Where reuse, logouts and store failures are reported. Default: the verifier's sink.
    pub fn events(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Checks the settings and builds the manager.
    pub fn build(self) -> Result<TokenManager, ConfigError> {
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
                sink,
            }),
        })
    }
}
