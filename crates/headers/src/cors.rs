//! CORS presets on tower-http's `CorsLayer`, validated when built.
//!
//! tower-http implements the CORS protocol (preflights, `Vary`, header
//! echoing); rampart only decides *which* origins may pass and refuses
//! configurations that are unsafe or that tower-http would panic on at run
//! time, such as `*` together with credentials.

use crate::ConfigError;
use crate::origin::AllowedOrigins;
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// A CORS policy: which origins may read responses, with what.
///
/// By default no origin is allowed, so a browser refuses every cross-origin
/// read; list the front-ends that need access.
///
/// ```
/// use rampart::headers::CorsPolicy;
///
/// let layer = CorsPolicy::new()
///     .allow_origin("https://app.example.com")
///     .allow_subdomains_of("https://*.example.org")
///     .allow_credentials(true)
///     .build()
///     .unwrap();
/// # let _ = layer;
///
/// let unsafe_policy = CorsPolicy::new().allow_any_origin().allow_credentials(true);
/// assert!(unsafe_policy.build().is_err());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CorsPolicy {
    origins: Vec<String>,
    subdomain_patterns: Vec<String>,
    any_origin: bool,
    methods: Vec<Method>,
    /// Methods as a config file names them, checked in `build`.
    method_names: Option<Vec<String>>,
    headers: Vec<String>,
    expose: Vec<String>,
    credentials: bool,
    max_age: Duration,
}

impl Default for CorsPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl CorsPolicy {
    /// No origin allowed; methods GET, HEAD, POST, PUT, PATCH, DELETE; request
    /// headers `authorization` and `content-type`; no credentials; preflights
    /// cached for ten minutes.
    pub fn new() -> Self {
        Self {
            origins: Vec::new(),
            subdomain_patterns: Vec::new(),
            any_origin: false,
            methods: vec![
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ],
            method_names: None,
            headers: vec!["authorization".into(), "content-type".into()],
            expose: Vec::new(),
            credentials: false,
            max_age: Duration::from_secs(600),
        }
    }

    /// Allows one exact origin, `scheme://host[:port]`.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Allows each of `origins`.
    pub fn allow_origins<I, S>(self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        origins.into_iter().fold(self, Self::allow_origin)
    }

    /// Allows every subdomain of a domain: `https://*.example.com` (any depth,
    /// same scheme and port, not the bare domain itself).
    pub fn allow_subdomains_of(mut self, pattern: impl Into<String>) -> Self {
        self.subdomain_patterns.push(pattern.into());
        self
    }

    /// Allows any origin (`*`), for public, credential-free APIs only.
    pub fn allow_any_origin(mut self) -> Self {
        self.any_origin = true;
        self
    }

    /// Lets browsers send cookies and HTTP authentication. Default: `false`.
    pub fn allow_credentials(mut self, yes: bool) -> Self {
        self.credentials = yes;
        self
    }

    /// The methods allowed in preflights.
    pub fn allow_methods<I: IntoIterator<Item = Method>>(mut self, methods: I) -> Self {
        self.methods = methods.into_iter().collect();
        self.method_names = None;
        self
    }

    /// The methods allowed in preflights, by name, as a config file gives
    /// them; [`CorsPolicy::build`] checks them.
    fn allow_method_names(mut self, names: Vec<String>) -> Self {
        self.method_names = Some(names);
        self
    }

    /// The request headers allowed in preflights.
    pub fn allow_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// Response headers scripts may read beyond the safelisted ones.
    pub fn expose_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expose = headers.into_iter().map(Into::into).collect();
        self
    }

    /// How long browsers may cache a preflight answer. Default: ten minutes.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The exact origins, subdomain patterns and any-origin switch as written,
    /// for [`crate::CsrfPolicyBuilder::trust_cors_origins`].
    pub(crate) fn origins(&self) -> (&[String], &[String], bool) {
        (&self.origins, &self.subdomain_patterns, self.any_origin)
    }

    /// Validates the policy and builds tower-http's `CorsLayer`.
    ///
    /// # Errors
    /// [`ConfigError::WildcardWithCredentials`], [`ConfigError::InvalidOrigin`]
    /// for a malformed origin or subdomain pattern, [`ConfigError::InvalidCors`]
    /// for a bad header or method name.
    pub fn build(self) -> Result<CorsLayer, ConfigError> {
        if self.any_origin && self.credentials {
            return Err(ConfigError::WildcardWithCredentials);
        }
        if let Some(star) = self.origins.iter().find(|o| o.trim() == "*") {
            return Err(if self.credentials {
                ConfigError::WildcardWithCredentials
            } else {
                ConfigError::InvalidOrigin {
                    value: star.clone(),
                    reason: "use allow_any_origin() for `*`",
                }
            });
        }
        let allowed = AllowedOrigins::parse(&self.origins, &self.subdomain_patterns)?;
        let header_names = |what: &'static str, names: &[String]| {
            names
                .iter()
                .map(|n| {
                    HeaderName::try_from(n.as_str()).map_err(|_| ConfigError::InvalidCors {
                        what,
                        value: n.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let methods = match &self.method_names {
            Some(names) => names
                .iter()
                .map(|m| {
                    Method::from_bytes(m.as_bytes()).map_err(|_| ConfigError::InvalidCors {
                        what: "method",
                        value: m.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => self.methods,
        };
        let allow_headers = header_names("request header", &self.headers)?;
        let expose_headers = header_names("exposed header", &self.expose)?;

        let allow_origin = if self.any_origin {
            AllowOrigin::any()
        } else {
            let allowed = Arc::new(allowed);
            AllowOrigin::predicate(move |origin: &HeaderValue, _: &Parts| {
                origin.to_str().is_ok_and(|origin| allowed.allows(origin))
            })
        };
        Ok(CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods(methods)
            .allow_headers(allow_headers)
            .expose_headers(expose_headers)
            .allow_credentials(self.credentials)
            .max_age(self.max_age))
    }
}

/// Serde form of a [`CorsPolicy`]. Entries of `allowed_origins` are exact
/// origins, `scheme://*.domain` subdomain patterns, or `*`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    /// Allowed origins.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Whether credentials are allowed.
    #[serde(default)]
    pub allow_credentials: bool,
    /// Allowed methods (default as [`CorsPolicy::new`]).
    #[serde(default)]
    pub allowed_methods: Option<Vec<String>>,
    /// Allowed request headers (default as [`CorsPolicy::new`]).
    #[serde(default)]
    pub allowed_headers: Option<Vec<String>>,
    /// Exposed response headers.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// Preflight cache lifetime in seconds (default 600).
    #[serde(default)]
    pub max_age_secs: Option<u64>,
}

impl CorsConfig {
    /// The policy this config describes; nothing is checked until
    /// [`CorsPolicy::build`].
    pub fn to_policy(&self) -> CorsPolicy {
        let mut policy = CorsPolicy::new().allow_credentials(self.allow_credentials);
        for origin in &self.allowed_origins {
            policy = if origin.trim() == "*" {
                policy.allow_any_origin()
            } else if origin.contains("://*.") {
                policy.allow_subdomains_of(origin.clone())
            } else {
                policy.allow_origin(origin.clone())
            };
        }
        if let Some(methods) = &self.allowed_methods {
            policy = policy.allow_method_names(methods.clone());
        }
        if let Some(headers) = &self.allowed_headers {
            policy = policy.allow_headers(headers.clone());
        }
        policy = policy.expose_headers(self.expose_headers.clone());
        if let Some(secs) = self.max_age_secs {
            policy = policy.max_age(Duration::from_secs(secs));
        }
        policy
    }

    /// Validates the config and builds tower-http's `CorsLayer`.
    ///
    /// # Errors
    /// As [`CorsPolicy::build`].
    pub fn build(&self) -> Result<CorsLayer, ConfigError> {
        self.to_policy().build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_with_credentials_is_a_build_error() {
        assert_eq!(
            CorsPolicy::new()
                .allow_origin("*")
                .allow_credentials(true)
                .build()
                .err(),
            Some(ConfigError::WildcardWithCredentials)
        );
        let config = CorsConfig {
            allowed_origins: vec!["*".into()],
            allow_credentials: true,
            ..CorsConfig::default()
        };
        assert_eq!(
            config.build().err(),
            Some(ConfigError::WildcardWithCredentials)
        );
    }

    #[test]
    fn a_bad_method_in_a_config_is_a_build_error_naming_it() {
        let config = CorsConfig {
            allowed_origins: vec!["https://app.example.com".into()],
            allowed_methods: Some(vec!["GET".into(), "PO ST".into()]),
            ..CorsConfig::default()
        };
        assert_eq!(
            config.build().err(),
            Some(ConfigError::InvalidCors {
                what: "method",
                value: "PO ST".into()
            })
        );
        let fine = CorsConfig {
            allowed_methods: Some(vec!["GET".into(), "PURGE".into()]),
            ..CorsConfig::default()
        };
        assert!(fine.build().is_ok());
        // Typed methods set afterwards replace the names from the config.
        assert!(
            config
                .to_policy()
                .allow_methods([Method::GET])
                .build()
                .is_ok()
        );
    }

    #[test]
    fn bad_origins_and_headers_are_build_errors() {
        assert!(
            CorsPolicy::new()
                .allow_origin("app.example.com")
                .build()
                .is_err()
        );
        assert!(
            CorsPolicy::new()
                .allow_headers(["bad header"])
                .build()
                .is_err()
        );
    }
}
