//! Cross-site request forgery defence without tokens.
//!
//! Browsers label every request with where it came from: `Sec-Fetch-Site`
//! (Fetch Metadata) in current browsers, `Origin` on every cross-origin
//! unsafe request, `Referer` in most others. A forged request is an unsafe
//! request (POST, PUT, PATCH, DELETE) that a browser sends on behalf of
//! another site; it always carries one of these labels saying so. Requests
//! with no browser label at all come from non-browser clients, which cannot
//! be made to carry the victim's cookies, and pass.

mod builder;
mod layer;

pub use builder::{CsrfConfig, CsrfPolicyBuilder};
pub use layer::{CsrfFuture, CsrfLayer, CsrfService};

use crate::origin::{AllowedOrigins, Origin};
use http::header::{HOST, ORIGIN, REFERER};
use http::{HeaderMap, HeaderName, Method, Uri};
use rampart_core::{Problem, Rejection};
use serde::Serialize;

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Why a request was refused as cross-site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CsrfReason {
    /// `Sec-Fetch-Site: cross-site` from an origin not in the allow-list.
    CrossSite,
    /// `Sec-Fetch-Site: same-site` (a sibling subdomain) not in the allow-list.
    SameSiteNotTrusted,
    /// `Sec-Fetch-Site` with a value browsers never send.
    InvalidFetchMetadata,
    /// No Fetch Metadata, and `Origin` names another origin.
    OriginMismatch,
    /// `Origin: null` (sandboxed frames, some redirects, `data:` pages).
    NullOrigin,
    /// No Fetch Metadata and no `Origin`, and `Referer` names another origin.
    RefererMismatch,
}

impl CsrfReason {
    /// A short description for logs and audit.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrossSite => "cross-site request from an untrusted origin",
            Self::SameSiteNotTrusted => "same-site request from an untrusted origin",
            Self::InvalidFetchMetadata => "invalid Sec-Fetch-Site value",
            Self::OriginMismatch => "Origin does not match the target host",
            Self::NullOrigin => "opaque (null) Origin",
            Self::RefererMismatch => "Referer does not match the target host",
        }
    }
}

/// The typed rejection the CSRF layer attaches to its 403 response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrfRejection {
    /// Why.
    pub reason: CsrfReason,
}

impl Rejection for CsrfRejection {
    fn to_problem(&self) -> Problem {
        Problem::forbidden()
            .with_type("https://rampart.rs/problems/cross-site-request")
            .with_title("Cross-site request refused")
            .with_detail("this request was sent by another site and cannot change state here")
    }
}

/// Which unsafe requests may come from elsewhere.
///
/// ```
/// use rampart::headers::CsrfPolicy;
/// use http::{HeaderMap, Method, Uri};
///
/// let policy = CsrfPolicy::builder()
///     .trust_origin("https://admin.example.com")
///     .build()
///     .unwrap();
/// let mut headers = HeaderMap::new();
/// headers.insert("host", "api.example.com".parse().unwrap());
/// headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
/// headers.insert("origin", "https://evil.example".parse().unwrap());
/// let uri = Uri::from_static("/transfer");
/// assert!(policy.check(&Method::POST, &uri, &headers).is_err());
///
/// headers.insert("origin", "https://admin.example.com".parse().unwrap());
/// assert!(policy.check(&Method::POST, &uri, &headers).is_ok());
/// assert!(policy.check(&Method::GET, &uri, &headers).is_ok());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CsrfPolicy {
    trusted: AllowedOrigins,
    allow_same_site: bool,
    plain_http: bool,
}

impl CsrfPolicy {
    /// The default policy: refuses every cross-site and same-site unsafe
    /// request and takes the service to be reached over HTTPS. The same as
    /// `CsrfPolicy::builder().build()`, which cannot fail without origins.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder for a policy that trusts other origins, sibling subdomains
    /// or plain HTTP.
    pub fn builder() -> CsrfPolicyBuilder {
        CsrfPolicyBuilder::default()
    }

    /// Decides whether a request may proceed.
    ///
    /// Safe methods always pass. For the others: an `Origin` on the allow-list
    /// passes; otherwise `Sec-Fetch-Site` decides when present (`same-origin`
    /// and `none` pass), and when it is absent, `Origin` or else `Referer` must
    /// name the request's own origin: scheme, host and port (default ports
    /// normalised), the host taken from the URI or `Host`. A request with none of these headers comes
    /// from a non-browser client and passes.
    ///
    /// # Errors
    /// A [`CsrfRejection`] saying which rule refused it.
    pub fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CsrfRejection> {
        if is_safe(method) {
            return Ok(());
        }
        let reject = |reason| Err(CsrfRejection { reason });
        let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
        if let Some(origin) = origin
            && self.trusted.allows(origin)
        {
            return Ok(());
        }
        if let Some(site) = headers.get(SEC_FETCH_SITE) {
            return match site.as_bytes() {
                b"same-origin" | b"none" => Ok(()),
                b"same-site" if self.allow_same_site => Ok(()),
                b"same-site" => reject(CsrfReason::SameSiteNotTrusted),
                b"cross-site" => reject(CsrfReason::CrossSite),
                _ => reject(CsrfReason::InvalidFetchMetadata),
            };
        }
        if let Some(value) = headers.get(ORIGIN) {
            let Ok(text) = value.to_str() else {
                return reject(CsrfReason::OriginMismatch);
            };
            if text == "null" {
                return reject(CsrfReason::NullOrigin);
            }
            return match (Origin::parse(text), self.target_origin(uri, headers)) {
                (Ok(origin), Some(target)) if origin == target => Ok(()),
                _ => reject(CsrfReason::OriginMismatch),
            };
        }
        if let Some(value) = headers.get(REFERER) {
            let origin = value.to_str().ok().and_then(Origin::of_url);
            return match (origin, self.target_origin(uri, headers)) {
                (Some(origin), Some(target)) if origin == target => Ok(()),
                _ => reject(CsrfReason::RefererMismatch),
            };
        }
        Ok(())
    }

    /// The origin the request was sent to: the URI's scheme when it has one,
    /// else the configured one, with the URI's authority (HTTP/2) or `Host`.
    /// `None` when there is no usable host.
    fn target_origin(&self, uri: &Uri, headers: &HeaderMap) -> Option<Origin> {
        let scheme = uri
            .scheme_str()
            .unwrap_or(if self.plain_http { "http" } else { "https" });
        let authority = uri
            .authority()
            .map(|a| a.as_str())
            .or_else(|| headers.get(HOST).and_then(|h| h.to_str().ok()))?;
        Origin::parse(&format!("{scheme}://{authority}")).ok()
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConfigError, CorsPolicy};
    use http::HeaderValue;
    use std::collections::HashSet;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn check(
        policy: &CsrfPolicy,
        pairs: &[(&'static str, &'static str)],
    ) -> Result<(), CsrfReason> {
        policy
            .check(&Method::POST, &Uri::from_static("/x"), &headers(pairs))
            .map_err(|r| r.reason)
    }

    #[test]
    fn every_reason_has_its_own_description() {
        let reasons = [
            (CsrfReason::CrossSite, "cross-site"),
            (CsrfReason::SameSiteNotTrusted, "same-site"),
            (CsrfReason::InvalidFetchMetadata, "Sec-Fetch-Site"),
            (CsrfReason::OriginMismatch, "Origin"),
            (CsrfReason::NullOrigin, "null"),
            (CsrfReason::RefererMismatch, "Referer"),
        ];
        let mut seen = HashSet::new();
        for (reason, word) in reasons {
            assert!(reason.as_str().contains(word), "{reason:?}");
            assert!(seen.insert(reason.as_str()), "{reason:?} repeats another");
        }
    }

    #[test]
    fn the_problem_is_a_403_of_its_own_type() {
        let problem = CsrfRejection {
            reason: CsrfReason::CrossSite,
        }
        .to_problem();
        assert_eq!(problem.status(), http::StatusCode::FORBIDDEN);
        assert_eq!(problem.title(), "Cross-site request refused");
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let p = CsrfPolicy::new();
        assert_eq!(check(&p, &[("sec-fetch-site", "same-origin")]), Ok(()));
        assert_eq!(check(&p, &[("sec-fetch-site", "none")]), Ok(()));
        assert_eq!(
            check(&p, &[("sec-fetch-site", "cross-site")]),
            Err(CsrfReason::CrossSite)
        );
        assert_eq!(
            check(&p, &[("sec-fetch-site", "same-site")]),
            Err(CsrfReason::SameSiteNotTrusted)
        );
        assert_eq!(
            check(
                &CsrfPolicy::builder().allow_same_site(true).build().unwrap(),
                &[("sec-fetch-site", "same-site")]
            ),
            Ok(())
        );
        assert_eq!(
            check(&p, &[("sec-fetch-site", "whatever")]),
            Err(CsrfReason::InvalidFetchMetadata)
        );
    }

    #[test]
    fn a_cross_site_request_with_a_matching_host_origin_is_still_refused() {
        // Sec-Fetch-Site is set by the browser and wins over headers a page can't set anyway.
        let p = CsrfPolicy::new();
        assert_eq!(
            check(
                &p,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("host", "api.example.com"),
                    ("origin", "https://api.example.com")
                ]
            ),
            Err(CsrfReason::CrossSite)
        );
    }

    #[test]
    fn origin_fallback_compares_with_host() {
        let p = CsrfPolicy::new();
        let same = [
            ("host", "api.example.com:8443"),
            ("origin", "https://api.example.com:8443"),
        ];
        assert_eq!(check(&p, &same), Ok(()));
        assert_eq!(
            check(
                &p,
                &[
                    ("host", "api.example.com"),
                    ("origin", "https://evil.example")
                ]
            ),
            Err(CsrfReason::OriginMismatch)
        );
        assert_eq!(
            check(&p, &[("host", "api.example.com"), ("origin", "null")]),
            Err(CsrfReason::NullOrigin)
        );
        assert_eq!(
            check(&p, &[("origin", "https://api.example.com")]),
            Err(CsrfReason::OriginMismatch),
            "without a Host the origin cannot be matched"
        );
    }

    #[test]
    fn origin_fallback_compares_the_scheme_too() {
        let https = CsrfPolicy::new();
        let http = CsrfPolicy::builder()
            .insecure_plain_http(true)
            .build()
            .unwrap();
        let host = ("host", "api.example.com");
        // A plain-HTTP page on the same host must not post to the HTTPS service, and back.
        assert_eq!(
            check(&https, &[host, ("origin", "http://api.example.com")]),
            Err(CsrfReason::OriginMismatch)
        );
        assert_eq!(
            check(&http, &[host, ("origin", "https://api.example.com")]),
            Err(CsrfReason::OriginMismatch)
        );
        assert_eq!(
            check(&http, &[host, ("origin", "http://api.example.com")]),
            Ok(())
        );
        assert_eq!(
            check(&https, &[host, ("referer", "http://api.example.com/form")]),
            Err(CsrfReason::RefererMismatch)
        );
        assert_eq!(
            check(&http, &[host, ("referer", "http://api.example.com/form")]),
            Ok(())
        );
        assert_eq!(
            check(&http, &[host, ("referer", "https://api.example.com/form")]),
            Err(CsrfReason::RefererMismatch)
        );
    }

    #[test]
    fn default_ports_are_normalised_and_other_ports_differ() {
        let p = CsrfPolicy::new();
        for (host, origin) in [
            ("api.example.com:443", "https://api.example.com"),
            ("API.example.com", "https://api.example.com"),
            ("api.example.com", "https://api.example.com:443"),
        ] {
            assert_eq!(
                check(&p, &[("host", host), ("origin", origin)]),
                Ok(()),
                "{host} {origin}"
            );
        }
        let http = CsrfPolicy::builder()
            .insecure_plain_http(true)
            .build()
            .unwrap();
        assert_eq!(
            check(
                &http,
                &[("host", "localhost:80"), ("origin", "http://localhost")]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &http,
                &[
                    ("host", "localhost:8080"),
                    ("origin", "http://localhost:8081")
                ]
            ),
            Err(CsrfReason::OriginMismatch)
        );
        assert_eq!(
            check(
                &p,
                &[
                    ("host", "api.example.com:8443"),
                    ("origin", "https://api.example.com")
                ]
            ),
            Err(CsrfReason::OriginMismatch)
        );
        assert_eq!(
            check(
                &p,
                &[
                    ("host", "evil@api.example.com"),
                    ("origin", "https://api.example.com")
                ]
            ),
            Err(CsrfReason::OriginMismatch),
            "a Host that is not host[:port] matches nothing"
        );
    }

    #[test]
    fn the_request_uri_scheme_wins_over_the_configured_one() {
        let p = CsrfPolicy::new();
        let uri = Uri::from_static("http://api.example.com/x");
        let headers = headers(&[("origin", "https://api.example.com")]);
        assert_eq!(
            p.check(&Method::POST, &uri, &headers).map_err(|r| r.reason),
            Err(CsrfReason::OriginMismatch)
        );
        let uri = Uri::from_static("https://api.example.com/x");
        assert_eq!(p.check(&Method::POST, &uri, &headers), Ok(()));
        let http = CsrfPolicy::try_from(&CsrfConfig {
            insecure_plain_http: true,
            ..CsrfConfig::default()
        })
        .unwrap();
        assert_eq!(http.check(&Method::POST, &uri, &headers), Ok(()));
    }

    #[test]
    fn referer_fallback_when_origin_is_missing() {
        let p = CsrfPolicy::new();
        assert_eq!(
            check(
                &p,
                &[
                    ("host", "api.example.com"),
                    ("referer", "https://api.example.com/form")
                ]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &p,
                &[
                    ("host", "api.example.com"),
                    ("referer", "https://evil.example/x")
                ]
            ),
            Err(CsrfReason::RefererMismatch)
        );
        assert_eq!(
            check(&p, &[("host", "api.example.com"), ("referer", "garbage")]),
            Err(CsrfReason::RefererMismatch)
        );
    }

    #[test]
    fn non_browser_clients_and_safe_methods_pass() {
        let p = CsrfPolicy::new();
        assert_eq!(check(&p, &[("host", "api.example.com")]), Ok(()));
        let cross = headers(&[("sec-fetch-site", "cross-site")]);
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(p.check(&method, &Uri::from_static("/"), &cross).is_ok());
        }
        for method in [Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(p.check(&method, &Uri::from_static("/"), &cross).is_err());
        }
    }

    #[test]
    fn trusted_origins_pass_even_cross_site() {
        let p = CsrfPolicy::try_from(&CsrfConfig {
            trusted_origins: vec!["https://App.Example.com".into()],
            allow_same_site: false,
            insecure_plain_http: false,
        })
        .unwrap();
        assert_eq!(
            check(
                &p,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://app.example.com")
                ]
            ),
            Ok(())
        );
    }

    #[test]
    fn a_bad_origin_is_reported_by_build_naming_it() {
        let built = CsrfPolicy::builder()
            .trust_origin("https://app.example.com")
            .trust_origin("not an origin")
            .allow_same_site(true)
            .build();
        assert!(
            matches!(&built, Err(ConfigError::InvalidOrigin { value, .. }) if value == "not an origin"),
            "{built:?}"
        );
        let config = CsrfConfig {
            trusted_origins: vec!["https://*.com".into()],
            ..CsrfConfig::default()
        };
        assert!(
            matches!(config.build(), Err(ConfigError::InvalidOrigin { value, .. }) if value == "https://*.com")
        );
    }

    #[test]
    fn every_origin_of_a_list_is_trusted_and_each_is_checked() {
        let p = CsrfPolicy::builder()
            .trust_origins(["https://a.example.com", "https://b.example.com"])
            .build()
            .unwrap();
        let from = |origin: &'static str| {
            check(&p, &[("sec-fetch-site", "cross-site"), ("origin", origin)])
        };
        assert_eq!(from("https://a.example.com"), Ok(()));
        assert_eq!(from("https://b.example.com"), Ok(()));
        assert_eq!(from("https://c.example.com"), Err(CsrfReason::CrossSite));
        assert!(matches!(
            CsrfPolicy::builder()
                .trust_origins(vec!["https://a.example.com".to_owned(), "b.example.com".to_owned()])
                .build(),
            Err(ConfigError::InvalidOrigin { value, .. }) if value == "b.example.com"
        ));
    }

    #[test]
    fn trusted_subdomains_pass_cross_site_and_nothing_else_does() {
        let p = CsrfConfig {
            trusted_origins: vec!["https://*.tenants.example.com".into()],
            ..CsrfConfig::default()
        }
        .build()
        .unwrap();
        let from = |origin: &'static str| {
            check(&p, &[("sec-fetch-site", "cross-site"), ("origin", origin)])
        };
        assert_eq!(from("https://acme.tenants.example.com"), Ok(()));
        for origin in [
            "https://tenants.example.com",
            "https://acme.tenants.example.com.evil.example",
            "http://acme.tenants.example.com",
            "https://acme.tenants.example.com:8443",
        ] {
            assert_eq!(from(origin), Err(CsrfReason::CrossSite), "{origin}");
        }
    }

    #[test]
    fn the_origins_of_a_cors_policy_are_trusted() {
        let cors = CorsPolicy::new()
            .allow_origin("https://app.example.com")
            .allow_subdomains_of("https://*.tenants.example.com");
        let p = CsrfPolicy::builder()
            .trust_cors_origins(&cors)
            .build()
            .unwrap();
        let from = |origin: &'static str| {
            check(&p, &[("sec-fetch-site", "cross-site"), ("origin", origin)])
        };
        assert_eq!(from("https://app.example.com"), Ok(()));
        assert_eq!(from("https://acme.tenants.example.com"), Ok(()));
        assert_eq!(from("https://evil.example"), Err(CsrfReason::CrossSite));

        let bad = CorsPolicy::new().allow_origin("app.example.com");
        assert!(matches!(
            CsrfPolicy::builder().trust_cors_origins(&bad).build(),
            Err(ConfigError::InvalidOrigin { value, .. }) if value == "app.example.com"
        ));
        let any = CorsPolicy::new().allow_any_origin();
        assert!(matches!(
            CsrfPolicy::builder().trust_cors_origins(&any).build(),
            Err(ConfigError::InvalidOrigin { value, .. }) if value == "*"
        ));
    }
}
