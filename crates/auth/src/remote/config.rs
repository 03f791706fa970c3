//! Verifying an external provider's tokens from one serde config.

use super::{DiscoveryError, RemoteJwks};
use crate::jwt::algorithm::Algorithm;
use crate::jwt::mapping::ClaimPath;
use crate::jwt::verify::{DEFAULT_MAX_TOKEN_BYTES, JwtVerifier};
use rampart_core::{SharedClock, SharedSink, SystemClock, TracingSink};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// An external OpenID Connect provider, as read from TOML or any serde
/// format; unknown fields are an error.
///
/// ```
/// let config: rampart::auth::remote::ProviderConfig = toml::from_str(r#"
///     issuer = "https://login.example.com/"
///     audience = "https://api.example.com"
///     tenant_claim = "tid"
///     roles_claim = ["realm_access", "roles"]
/// "#)?;
/// assert_eq!(config.refresh_interval_secs, 300);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// The provider's issuer, exactly as in its tokens' `iss`. Required.
    pub issuer: String,
    /// Your API's identifier in the tokens' `aud` (one or a list). Required.
    #[serde(deserialize_with = "crate::config::one_or_many")]
    pub audience: Vec<String>,
    /// The key set's URL. Default: found by OpenID Connect discovery from the issuer.
    pub jwks_url: Option<String>,
    /// The algorithm of published keys without `alg`. Default: such keys are skipped.
    pub default_algorithm: Option<Algorithm>,
    /// Seconds between periodic key refreshes. Default 300.
    pub refresh_interval_secs: u64,
    /// Minimum seconds between refreshes on an unknown `kid`. Default 60.
    pub min_refresh_interval_secs: u64,
    /// The claim holding the tenant. Default: `tenant`.
    pub tenant_claim: Option<ClaimPath>,
    /// The claim holding the org. Default: `org`.
    pub org_claim: Option<ClaimPath>,
    /// The claim holding the roles. Default: `roles`.
    pub roles_claim: Option<ClaimPath>,
    /// Other claims copied into the principal.
    pub principal_claims: Vec<String>,
    /// Clock-skew leeway in seconds. Default 30, at most 300.
    pub leeway_secs: u64,
    /// Largest accepted token. Default 8192.
    pub max_token_bytes: usize,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: Vec::new(),
            jwks_url: None,
            default_algorithm: None,
            refresh_interval_secs: 300,
            min_refresh_interval_secs: 60,
            tenant_claim: None,
            org_claim: None,
            roles_claim: None,
            principal_claims: Vec::new(),
            leeway_secs: 30,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

impl ProviderConfig {
    /// Discovers the provider (unless `jwks_url` is set), loads its keys
    /// (failing fast when it cannot be reached) and builds the verifier,
    /// with the system clock and the `tracing` sink.
    pub async fn build(&self) -> Result<JwtVerifier, DiscoveryError> {
        self.build_with(SystemClock::shared(), TracingSink::shared())
            .await
    }

    /// Like [`build`](Self::build), with the given clock and event sink.
    pub async fn build_with(
        &self,
        clock: SharedClock,
        sink: SharedSink,
    ) -> Result<JwtVerifier, DiscoveryError> {
        let remote = match &self.jwks_url {
            Some(url) => RemoteJwks::from_url(url)?.issuer(self.issuer.clone()),
            None => RemoteJwks::discover(&self.issuer).await?,
        };
        let mut remote = remote
            .refresh_interval(Duration::from_secs(self.refresh_interval_secs))
            .min_interval(Duration::from_secs(self.min_refresh_interval_secs))
            .clock(clock.clone())
            .event_sink(sink.clone());
        if let Some(alg) = self.default_algorithm {
            remote = remote.default_algorithm(alg);
        }
        let remote = Arc::new(remote);
        remote.refresh().await.map_err(|e| DiscoveryError::Fetch {
            url: self.jwks_url.clone().unwrap_or_else(|| self.issuer.clone()),
            reason: e.0,
        })?;
        let mut verifier = JwtVerifier::external(remote)
            .audience(self.audience.iter().cloned())
            .leeway(Duration::from_secs(self.leeway_secs))
            .max_token_bytes(self.max_token_bytes)
            .principal_claims(self.principal_claims.iter().cloned())
            .clock(clock)
            .event_sink(sink);
        if let Some(path) = &self.tenant_claim {
            verifier = verifier.tenant_claim(path.clone());
        }
        if let Some(path) = &self.org_claim {
            verifier = verifier.org_claim(path.clone());
        }
        if let Some(path) = &self.roles_claim {
            verifier = verifier.roles_claim(path.clone());
        }
        Ok(verifier.build()?)
    }
}
