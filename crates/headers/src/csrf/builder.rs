//! [`CsrfPolicyBuilder`]: which origins a [`CsrfPolicy`] trusts, validated in
//! [`CsrfPolicyBuilder::build`].

use super::CsrfPolicy;
use crate::origin::AllowedOrigins;
use crate::{ConfigError, CorsPolicy};
use serde::{Deserialize, Serialize};

/// Builds a [`CsrfPolicy`]. Setters store what they are given; [`build`]
/// checks it all at once and names the first bad value, so a chain never
/// needs `?` half-way.
///
/// ```
/// use rampart::headers::{ConfigError, CsrfPolicy};
///
/// let policy = CsrfPolicy::builder()
///     .trust_origin("https://admin.example.com")
///     .trust_subdomains_of("https://*.tenants.example.com")
///     .build()
///     .unwrap();
/// # let _ = policy;
///
/// let typo = CsrfPolicy::builder().trust_origin("admin.example.com").build();
/// assert!(matches!(typo, Err(ConfigError::InvalidOrigin { value, .. }) if value == "admin.example.com"));
/// ```
///
/// [`build`]: CsrfPolicyBuilder::build
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CsrfPolicyBuilder {
    origins: Vec<String>,
    subdomain_patterns: Vec<String>,
    any_origin_from_cors: bool,
    allow_same_site: bool,
    plain_http: bool,
}

impl CsrfPolicyBuilder {
    /// Accepts unsafe requests from `origin` (`scheme://host[:port]`), e.g. a
    /// separate front-end. Default: no origin but the service's own.
    pub fn trust_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Accepts unsafe requests from each of `origins`.
    pub fn trust_origins<I, S>(self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        origins.into_iter().fold(self, Self::trust_origin)
    }

    /// Accepts unsafe requests from every subdomain of a domain:
    /// `https://*.example.com` (any depth, same scheme and port, not the bare
    /// domain), matched as [`CorsPolicy::allow_subdomains_of`] matches.
    pub fn trust_subdomains_of(mut self, pattern: impl Into<String>) -> Self {
        self.subdomain_patterns.push(pattern.into());
        self
    }

    /// Trusts the origins `cors` lets read responses, its exact origins and
    /// its subdomain patterns, as that policy lists them now.
    ///
    /// A front-end on another origin that calls the API with cookies needs
    /// both: CORS so that it may read the answers, CSRF trust so that its
    /// unsafe requests pass. Taking the list from the CORS policy keeps the
    /// two from drifting apart. A CORS policy that allows any origin cannot
    /// be trusted this way: [`build`](Self::build) refuses it, since trusting
    /// every origin is no CSRF defence at all.
    ///
    /// ```
    /// use rampart::headers::{CorsPolicy, CsrfPolicy};
    ///
    /// let cors = CorsPolicy::new()
    ///     .allow_origin("https://app.example.com")
    ///     .allow_credentials(true);
    /// let csrf = CsrfPolicy::builder().trust_cors_origins(&cors).build().unwrap();
    /// let cors = cors.build().unwrap();
    /// # let _ = (csrf, cors);
    /// ```
    pub fn trust_cors_origins(mut self, cors: &CorsPolicy) -> Self {
        let (origins, patterns, any_origin) = cors.origins();
        self.origins.extend_from_slice(origins);
        self.subdomain_patterns.extend_from_slice(patterns);
        self.any_origin_from_cors |= any_origin;
        self
    }

    /// Accepts unsafe requests from sibling subdomains (`Sec-Fetch-Site:
    /// same-site`). Default: `false`, since any subdomain that can be taken
    /// over or that hosts user content could then forge requests.
    pub fn allow_same_site(mut self, yes: bool) -> Self {
        self.allow_same_site = yes;
        self
    }

    /// Takes the service to be reached over plain `http://` when a request does
    /// not name its scheme. Default: `false`, the service is reached over
    /// `https://` (directly or through a TLS-terminating proxy).
    ///
    /// The `Origin`/`Referer` fallback compares whole origins, scheme included:
    /// an HTTP/1.1 request carries only `Host`, so the scheme comes from here
    /// unless the request URI has one (HTTP/2, absolute form). Turning this on
    /// for a service that is also served over HTTPS would let a plain-HTTP page
    /// on the same host, which anyone on the network path can rewrite, post to it.
    pub fn insecure_plain_http(mut self, yes: bool) -> Self {
        self.plain_http = yes;
        self
    }

    /// Validates every trusted origin and pattern and builds the policy.
    ///
    /// # Errors
    /// [`ConfigError::InvalidOrigin`] naming the first origin or pattern that
    /// is not `scheme://host[:port]` or `scheme://*.domain[:port]`, or `*`
    /// when the origins came from a CORS policy allowing any origin.
    pub fn build(self) -> Result<CsrfPolicy, ConfigError> {
        if self.any_origin_from_cors {
            return Err(ConfigError::InvalidOrigin {
                value: "*".to_owned(),
                reason: "CSRF cannot trust every origin: list the CORS policy's origins instead of allow_any_origin()",
            });
        }
        Ok(CsrfPolicy {
            trusted: AllowedOrigins::parse(&self.origins, &self.subdomain_patterns)?,
            allow_same_site: self.allow_same_site,
            plain_http: self.plain_http,
        })
    }
}

/// Serde form of a [`CsrfPolicy`].
///
/// ```
/// use rampart::headers::{CsrfConfig, CsrfPolicy};
///
/// let config: CsrfConfig = toml::from_str(r#"
///     trusted_origins = ["https://admin.example.com", "https://*.tenants.example.com"]
/// "#).unwrap();
/// assert!(config.build().is_ok());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsrfConfig {
    /// Origins whose unsafe requests are accepted: exact origins or
    /// `scheme://*.domain` subdomain patterns, as in
    /// [`CorsConfig`](crate::CorsConfig).
    #[serde(default)]
    pub trusted_origins: Vec<String>,
    /// Whether sibling subdomains are accepted.
    #[serde(default)]
    pub allow_same_site: bool,
    /// Whether the service is reached over plain `http://` (see
    /// [`CsrfPolicyBuilder::insecure_plain_http`]).
    #[serde(default)]
    pub insecure_plain_http: bool,
}

impl CsrfConfig {
    /// The builder this configuration describes; nothing is checked until
    /// [`CsrfPolicyBuilder::build`].
    pub fn to_builder(&self) -> CsrfPolicyBuilder {
        self.trusted_origins
            .iter()
            .fold(CsrfPolicy::builder(), |builder, origin| {
                if origin.contains("://*.") {
                    builder.trust_subdomains_of(origin.clone())
                } else {
                    builder.trust_origin(origin.clone())
                }
            })
            .allow_same_site(self.allow_same_site)
            .insecure_plain_http(self.insecure_plain_http)
    }

    /// Validates and builds the policy.
    ///
    /// # Errors
    /// As [`CsrfPolicyBuilder::build`].
    pub fn build(&self) -> Result<CsrfPolicy, ConfigError> {
        self.to_builder().build()
    }
}

impl TryFrom<&CsrfConfig> for CsrfPolicy {
    type Error = ConfigError;

    fn try_from(config: &CsrfConfig) -> Result<Self, Self::Error> {
        config.build()
    }
}
