//! Serde form of [`HttpsOnly`], for the `[https_only]` table of a config file.

use super::HttpsOnly;
use crate::ConfigError;
use http::StatusCode;
use rampart_core::TrustedProxies;
use serde::{Deserialize, Serialize};

/// Serde form of [`HttpsOnly`]. The proxies whose `X-Forwarded-Proto` is
/// believed are not part of it: they are the same list as the client
/// address's, passed to [`build`](Self::build), so the two can never disagree.
///
/// ```
/// use rampart::core::TrustedProxies;
/// use rampart::headers::HttpsOnlyConfig;
///
/// let config: HttpsOnlyConfig = toml::from_str(r#"
///     canonical_host = "www.example.com"
///     exempt_paths = ["/health"]
/// "#)?;
/// let policy = config.build(TrustedProxies::new(["10.0.0.0/8"])?)?;
/// # drop(policy);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpsOnlyConfig {
    /// Host to redirect to, whatever host the request named. Default: the
    /// request's own host (set one in production).
    pub canonical_host: Option<String>,
    /// Port HTTPS is served on. Default 443.
    pub https_port: u16,
    /// Redirect status: 308 (default), 301, 307 or 302.
    pub redirect_status: u16,
    /// Paths let through on plain HTTP, matched exactly (a load balancer's
    /// health check).
    pub exempt_paths: Vec<String>,
}

impl Default for HttpsOnlyConfig {
    fn default() -> Self {
        Self {
            canonical_host: None,
            https_port: 443,
            redirect_status: StatusCode::PERMANENT_REDIRECT.as_u16(),
            exempt_paths: Vec::new(),
        }
    }
}

impl HttpsOnlyConfig {
    /// Validates and builds the policy, believing the scheme reported by `proxies`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidRedirectHost`] for a canonical host that is not
    /// a bare host; [`ConfigError::InvalidRedirectStatus`] for a status other
    /// than 301, 302, 307 or 308.
    pub fn build(&self, proxies: TrustedProxies) -> Result<HttpsOnly, ConfigError> {
        let status = StatusCode::from_u16(self.redirect_status)
            .map_err(|_| ConfigError::InvalidRedirectStatus(self.redirect_status))?;
        let mut policy = HttpsOnly::new()
            .trusted_proxies(proxies)
            .https_port(self.https_port)
            .redirect_status(status)?;
        if let Some(host) = &self.canonical_host {
            policy = policy.canonical_host(host)?;
        }
        Ok(self
            .exempt_paths
            .iter()
            .fold(policy, |policy, path| policy.exempt_path(path.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;

    fn plain(path: &str) -> Request<()> {
        Request::get(path)
            .header("host", "example.com")
            .body(())
            .unwrap()
    }

    #[test]
    fn defaults_redirect_permanently_to_the_same_host() {
        let policy = HttpsOnlyConfig::default()
            .build(TrustedProxies::none())
            .unwrap();
        let refusal = policy.check(&plain("/a?b=c")).unwrap_err();
        assert_eq!(refusal.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(refusal.location(), Some("https://example.com/a?b=c"));
    }

    #[test]
    fn every_setting_is_applied() {
        let config: HttpsOnlyConfig = toml::from_str(
            r#"
            canonical_host = "www.example.com"
            https_port = 8443
            redirect_status = 307
            exempt_paths = ["/health"]
            "#,
        )
        .unwrap();
        let policy = config.build(TrustedProxies::none()).unwrap();
        assert!(policy.check(&plain("/health")).is_ok());
        let refusal = policy.check(&plain("/x")).unwrap_err();
        assert_eq!(refusal.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(refusal.location(), Some("https://www.example.com:8443/x"));
    }

    #[test]
    fn bad_values_are_config_errors() {
        for (text, what) in [
            ("redirect_status = 200", "status"),
            ("redirect_status = 1000", "status"),
            ("canonical_host = \"https://evil.example\"", "host"),
            ("canonical_host = \"example.com:80\"", "host"),
        ] {
            let config: HttpsOnlyConfig = toml::from_str(text).unwrap();
            let err = config.build(TrustedProxies::none()).unwrap_err();
            let matches = match what {
                "status" => matches!(err, ConfigError::InvalidRedirectStatus(_)),
                _ => matches!(err, ConfigError::InvalidRedirectHost { .. }),
            };
            assert!(matches, "{text}: {err:?}");
        }
        assert!(toml::from_str::<HttpsOnlyConfig>("unknown = 1").is_err());
    }
}
