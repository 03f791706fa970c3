//! CORS presets on tower-http's `CorsLayer`, validated when built.
//!
//! tower-http implements the CORS protocol (preflights, `Vary`, header
//! echoing); rampart only decides *which* origins may pass and refuses
//! configurations that are unsafe or that tower-http would panic on at run
//! time, such as `*` together with credentials.

use crate::ConfigError;
use crate::origin::Origin;
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// A CORS policy: which origins may read responses, with what.
///
/// By default no origin is allowed, so a browser refuses every cross-origin
/// read; list the front-ends that need access.
///
/// ```
/// use rampart_headers::CorsPolicy;
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

    /// Validates the policy and builds tower-http's `CorsLayer`.
    ///
    /// # Errors
    /// [`ConfigError::WildcardWithCredentials`], [`ConfigError::InvalidOrigin`]
    /// for a malformed origin or subdomain pattern, [`ConfigError::InvalidCors`]
    /// for a bad header name.
    pub fn build(self) -> Result<CorsLayer, ConfigError> {
        if self.any_origin && self.credentials {
            return Err(ConfigError::WildcardWithCredentials);
        }
        let exact = self
            .origins
            .iter()
            .map(|o| {
                if o.trim() == "*" {
                    return Err(if self.credentials {
                        ConfigError::WildcardWithCredentials
                    } else {
                        ConfigError::InvalidOrigin {
                            value: o.clone(),
                            reason: "use allow_any_origin() for `*`",
                        }
                    });
                }
                Origin::parse(o).map(|o| o.as_str().to_owned())
            })
            .collect::<Result<HashSet<_>, _>>()?;
        let patterns = self
            .subdomain_patterns
            .iter()
            .map(|p| SubdomainPattern::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
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
        let allow_headers = header_names("request header", &self.headers)?;
        let expose_headers = header_names("exposed header", &self.expose)?;

        let allow_origin = if self.any_origin {
            AllowOrigin::any()
        } else {
            let allowed = Arc::new(AllowedOrigins { exact, patterns });
            AllowOrigin::predicate(move |origin: &HeaderValue, _: &Parts| allowed.allows(origin))
        };
        Ok(CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods(self.methods)
            .allow_headers(allow_headers)
            .expose_headers(expose_headers)
            .allow_credentials(self.credentials)
            .max_age(self.max_age))
    }
}

#[derive(Debug)]
struct AllowedOrigins {
    exact: HashSet<String>,
    patterns: Vec<SubdomainPattern>,
}

impl AllowedOrigins {
    fn allows(&self, origin: &HeaderValue) -> bool {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        self.exact.contains(origin) || self.patterns.iter().any(|p| p.matches(origin))
    }
}

/// `scheme://*.domain[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SubdomainPattern {
    scheme_prefix: String,
    dot_domain: String,
    port_suffix: String,
}

impl SubdomainPattern {
    fn parse(text: &str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidOrigin {
            value: text.to_owned(),
            reason,
        };
        let (scheme, rest) = text
            .split_once("://*.")
            .ok_or_else(|| invalid("a subdomain pattern looks like https://*.example.com"))?;
        if !matches!(scheme, "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        // The rest must be an ordinary origin once the wildcard label is removed.
        let base = Origin::parse(&format!("{scheme}://{rest}"))
            .map_err(|_| invalid("the part after `*.` must be a domain with an optional port"))?;
        let authority = base.authority();
        let (domain, port_suffix) = match authority.rsplit_once(':') {
            Some((d, p)) => (d, format!(":{p}")),
            None => (authority, String::new()),
        };
        let labels: Vec<&str> = domain.split('.').collect();
        let plain_label = |l: &&str| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !labels.iter().all(plain_label) {
            return Err(invalid("only the first label may be a wildcard"));
        }
        if labels.len() < 2 {
            return Err(invalid(
                "the wildcard must sit under a registrable domain, not a top-level domain",
            ));
        }
        if domain.starts_with('[') || domain.parse::<std::net::Ipv4Addr>().is_ok() {
            return Err(invalid("IP addresses have no subdomains"));
        }
        Ok(Self {
            scheme_prefix: format!("{scheme}://"),
            dot_domain: format!(".{domain}"),
            port_suffix,
        })
    }

    fn matches(&self, origin: &str) -> bool {
        let Some(rest) = origin.strip_prefix(&self.scheme_prefix) else {
            return false;
        };
        let Some(host) = rest.strip_suffix(&self.port_suffix) else {
            return false;
        };
        if host.contains(':') {
            return false;
        }
        let Some(sub) = host.strip_suffix(&self.dot_domain) else {
            return false;
        };
        !sub.is_empty()
            && sub.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
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
    /// The policy this config describes.
    ///
    /// # Errors
    /// [`ConfigError::InvalidCors`] for a method that is not a token.
    pub fn to_policy(&self) -> Result<CorsPolicy, ConfigError> {
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
            let methods = methods
                .iter()
                .map(|m| {
                    Method::from_bytes(m.as_bytes()).map_err(|_| ConfigError::InvalidCors {
                        what: "method",
                        value: m.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            policy = policy.allow_methods(methods);
        }
        if let Some(headers) = &self.allowed_headers {
            policy = policy.allow_headers(headers.clone());
        }
        policy = policy.expose_headers(self.expose_headers.clone());
        if let Some(secs) = self.max_age_secs {
            policy = policy.max_age(Duration::from_secs(secs));
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_patterns_match_only_subdomains() {
        let p = SubdomainPattern::parse("https://*.example.com").unwrap();
        assert!(p.matches("https://app.example.com"));
        assert!(p.matches("https://a.b.example.com"));
        assert!(!p.matches("https://example.com"));
        assert!(!p.matches("https://evilexample.com"));
        assert!(!p.matches("https://app.example.com.evil.net"));
        assert!(!p.matches("http://app.example.com"));
        assert!(!p.matches("https://app.example.com:8443"));
        assert!(!p.matches("https://.example.com"));
        assert!(!p.matches("https://a_b.example.com"));
        let with_port = SubdomainPattern::parse("https://*.example.com:8443").unwrap();
        assert!(with_port.matches("https://app.example.com:8443"));
        assert!(!with_port.matches("https://app.example.com"));
    }

    #[test]
    fn unsafe_patterns_are_refused() {
        for bad in [
            "https://*.com",
            "https://*",
            "https://*.example.com/path",
            "ftp://*.example.com",
            "https://app.*.example.com",
            "https://*.*.example.com",
            "https://*.10.0.0.1",
            "*.example.com",
        ] {
            assert!(SubdomainPattern::parse(bad).is_err(), "{bad}");
        }
    }

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
            config.to_policy().unwrap().build().err(),
            Some(ConfigError::WildcardWithCredentials)
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
