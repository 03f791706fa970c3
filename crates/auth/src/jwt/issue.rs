//! Signing access and refresh tokens.

use super::claims::{Audience, Claims, TokenUse};
use super::key_set::KeySet;
use super::numeric_date::NumericDate;
use super::rotation::KeyRotation;
use crate::error::{ConfigError, IssueError};
use rampart_core::{SharedClock, SystemClock};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// Who a token is for: subject, tenant, roles and, optionally, the device a
/// refresh family is bound to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRequest {
    pub(crate) subject: String,
    pub(crate) tenant: Option<String>,
    pub(crate) org: Option<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) device: Option<String>,
    pub(crate) client: Option<crate::revocation::FamilyClient>,
}

impl TokenRequest {
    /// Tokens for `subject` (the `sub` claim).
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            ..Self::default()
        }
    }

    /// Sets the tenant (`tenant` claim).
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Sets the organisation inside the tenant (`org` claim), what
    /// rampart-rbac's `own_org` scope compares.
    #[must_use]
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.org = Some(org.into());
        self
    }

    /// Sets the roles (`roles` claim).
    #[must_use]
    pub fn roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Binds the refresh family to a device id: a refresh from any other
    /// device is refused. Not written into the tokens.
    #[must_use]
    pub fn device(mut self, device: impl Into<String>) -> Self {
        self.device = Some(device.into());
        self
    }

    /// Records the client signing in (user agent, address) with the refresh
    /// family, for [`TokenManager::list_families`](crate::TokenManager::list_families).
    /// Not written into the tokens.
    #[must_use]
    pub fn client(mut self, client: crate::revocation::FamilyClient) -> Self {
        self.client = Some(client);
        self
    }
}

/// A signed token with the facts its issuer needs to track it.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact JWS.
    pub token: String,
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`, seconds since the epoch.
    pub expires_at: u64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"[redacted]")
            .field("jti", &self.jti)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

struct IssuerSettings {
    keys: KeySet,
    issuer: Option<String>,
    audience: Vec<String>,
    access_ttl: u64,
    refresh_ttl: u64,
    clock: SharedClock,
    rotation: Option<KeyRotation>,
}

/// Signs tokens with the active key of a [`KeySet`].
///
/// Every token carries `iss` and `aud` (when configured), `sub`, `iat`,
/// `exp`, a random `jti`, `token_use`, and the `typ` header RFC 9068 asks
/// for (`at+jwt`; refresh tokens `rt+jwt`). Cheap to clone.
#[derive(Clone)]
pub struct JwtIssuer {
    settings: Arc<IssuerSettings>,
}

impl std::fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("issuer", &self.settings.issuer)
            .field("access_ttl", &self.settings.access_ttl)
            .field("refresh_ttl", &self.settings.refresh_ttl)
            .finish_non_exhaustive()
    }
}

/// Builds a [`JwtIssuer`].
#[must_use]
pub struct JwtIssuerBuilder {
    settings: IssuerSettings,
}

const RESERVED: [&str; 12] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "token_use",
    "tenant",
    "org",
    "roles",
    "sid",
];

impl JwtIssuer {
    /// Starts an issuer signing with `keys`' active key.
    pub fn builder(keys: KeySet) -> JwtIssuerBuilder {
        JwtIssuerBuilder {
            settings: IssuerSettings {
                keys,
                issuer: None,
                audience: Vec::new(),
                access_ttl: 15 * 60,
                refresh_ttl: 14 * 24 * 3600,
                clock: SystemClock::shared(),
                rotation: None,
            },
        }
    }

    /// Signs one access token without a refresh family.
    pub fn issue_access(&self, request: &TokenRequest) -> Result<IssuedToken, IssueError> {
        self.issue(request, TokenUse::Access, None, &Map::new())
    }

    /// Signs one token. `family` becomes the `sid` claim; `custom` (anything
    /// serialising to a JSON object) is flattened beside the registered claims
    /// and may not reuse their names.
    pub fn issue<E: Serialize>(
        &self,
        request: &TokenRequest,
        token_use: TokenUse,
        family: Option<&str>,
        custom: &E,
    ) -> Result<IssuedToken, IssueError> {
        let s = &*self.settings;
        let custom =
            match serde_json::to_value(custom).map_err(|e| IssueError::Signing(e.to_string()))? {
                Value::Object(map) => map,
                Value::Null => Map::new(),
                _ => {
                    return Err(IssueError::Signing(
                        "custom claims must serialise to a JSON object".into(),
                    ));
                }
            };
        if let Some(name) = RESERVED.iter().find(|n| custom.contains_key(**n)) {
            return Err(IssueError::Signing(format!(
                "custom claim `{name}` would shadow a registered claim"
            )));
        }
        let now = s.clock.unix_secs();
        let ttl = if token_use == TokenUse::Refresh {
            s.refresh_ttl
        } else {
            s.access_ttl
        };
        let jti = uuid::Uuid::new_v4().simple().to_string();
        let claims = Claims {
            iss: s.issuer.clone(),
            sub: Some(request.subject.clone()),
            aud: match s.audience.len() {
                0 => None,
                1 => Some(Audience::One(s.audience[0].clone())),
                _ => Some(Audience::Many(s.audience.clone())),
            },
            exp: Some(NumericDate::from_secs(now + ttl)),
            nbf: None,
            iat: Some(NumericDate::from_secs(now)),
            jti: Some(jti.clone()),
            token_use: Some(token_use),
            tenant: request.tenant.clone(),
            org: request.org.clone(),
            roles: request.roles.clone(),
            sid: family.map(str::to_owned),
            custom,
        };
        if let Some(rotation) = &s.rotation {
            // A failed step is reported by the rotation itself; the current
            // key keeps signing meanwhile.
            let _ = rotation.tick();
        }
        let keys = s.keys.load();
        let key = keys.signing.as_ref().ok_or(IssueError::NoSigningKey)?;
        let mut header = jsonwebtoken::Header::new(key.algorithm().to_jsonwebtoken());
        header.typ = Some(token_use.typ().to_owned());
        header.kid = Some(key.kid().to_owned());
        let token = jsonwebtoken::encode(&header, &claims, key.encoding())
            .map_err(|e| IssueError::Signing(e.to_string()))?;
        Ok(IssuedToken {
            token,
            jti,
            expires_at: now + ttl,
        })
    }

    /// Access-token lifetime.
    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.settings.access_ttl)
    }

    /// Refresh-token lifetime.
    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.settings.refresh_ttl)
    }

    /// The key set this issuer signs with.
    pub fn keys(&self) -> &KeySet {
        &self.settings.keys
    }
}

impl JwtIssuerBuilder {
    /// The `iss` claim. Default: none.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.issuer = Some(issuer.into());
        self
    }

    /// The `aud` claim (a string for one audience, an array for several). Default: none.
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.audience = audience.into_iter().map(Into::into).collect();
        self
    }

    /// Access-token lifetime. Default 15 minutes; at least 1 second, at most a day.
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.settings.access_ttl = ttl.as_secs();
        self
    }

    /// Refresh-token lifetime. Default 14 days; longer than the access lifetime.
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.settings.refresh_ttl = ttl.as_secs();
        self
    }

    /// The clock for `iat` and `exp`. Default: the system clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Rotates the signing key by age, taking each due step before signing.
    /// The rotation must be of this issuer's key set and keep replaced keys
    /// at least as long as refresh tokens live. Default: no rotation.
    pub fn rotation(mut self, rotation: KeyRotation) -> Self {
        self.settings.rotation = Some(rotation);
        self
    }

    /// Checks the settings and builds the issuer.
    pub fn build(self) -> Result<JwtIssuer, ConfigError> {
        let s = &self.settings;
        if s.access_ttl == 0 || s.access_ttl > 24 * 3600 {
            return Err(ConfigError::Invalid {
                name: "access_ttl",
                reason: "access tokens must live between 1 second and 1 day; use refresh tokens for longer sessions".into(),
            });
        }
        if s.refresh_ttl <= s.access_ttl {
            return Err(ConfigError::Invalid {
                name: "refresh_ttl",
                reason: "refresh tokens must outlive access tokens".into(),
            });
        }
        if s.keys.load().signing.is_none() {
            return Err(ConfigError::Invalid {
                name: "keys",
                reason: "the key set has no signing key".into(),
            });
        }
        if let Some(rotation) = &s.rotation {
            if !rotation.keys().same_set(&s.keys) {
                return Err(ConfigError::Invalid {
                    name: "rotation",
                    reason: "the rotation must rotate the issuer's own key set".into(),
                });
            }
            if rotation.retire_after() < Duration::from_secs(s.refresh_ttl) {
                return Err(ConfigError::Invalid {
                    name: "rotation",
                    reason: "a replaced key would be retired before the tokens it signed expire: retire_after must be at least the refresh lifetime".into(),
                });
            }
        }
        Ok(JwtIssuer {
            settings: Arc::new(self.settings),
        })
    }
}
