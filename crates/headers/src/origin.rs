//! Web origins (`scheme://host[:port]`) as written in allow-lists.

use crate::ConfigError;
use std::collections::HashSet;
use url::Url;

/// A validated web origin, kept in the serialised form browsers send in the
/// `Origin` header (lowercase, default port omitted), so that a request's
/// origin can be checked with a plain byte comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    serialized: String,
}

impl Origin {
    /// Parses an allow-list entry such as `https://app.example.com:8443`.
    pub(crate) fn parse(text: &str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidOrigin {
            value: text.to_owned(),
            reason,
        };
        let url = Url::parse(text).map_err(|_| invalid("not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host().is_none() {
            return Err(invalid("a host is required"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("an origin has no user information"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("an origin has no path, query or fragment"));
        }
        Ok(Self {
            serialized: url.origin().ascii_serialization(),
        })
    }

    /// The origin of a full URL, such as a `Referer` value; `None` when it has none.
    pub(crate) fn of_url(text: &str) -> Option<Self> {
        let url = Url::parse(text).ok()?;
        let origin = url.origin();
        origin.is_tuple().then(|| Self {
            serialized: origin.ascii_serialization(),
        })
    }

    /// The serialised origin.
    pub(crate) fn as_str(&self) -> &str {
        &self.serialized
    }

    /// The `host[:port]` part, to compare with a `Host` header.
    pub(crate) fn authority(&self) -> &str {
        self.serialized
            .split_once("://")
            .map_or(self.serialized.as_str(), |(_, rest)| rest)
    }
}

/// An allow-list of origins: exact origins and subdomain patterns, checked
/// against the `Origin` a browser sent with a plain comparison.
///
/// CORS and CSRF share it, so an origin the CORS policy lets read is the
/// same origin the CSRF policy trusts, normalised the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AllowedOrigins {
    exact: HashSet<String>,
    patterns: Vec<SubdomainPattern>,
}

impl AllowedOrigins {
    /// Validates exact origins (`https://app.example.com`) and subdomain
    /// patterns (`https://*.example.com`).
    pub(crate) fn parse(exact: &[String], patterns: &[String]) -> Result<Self, ConfigError> {
        Ok(Self {
            exact: exact
                .iter()
                .map(|o| Origin::parse(o).map(|o| o.as_str().to_owned()))
                .collect::<Result<_, _>>()?,
            patterns: patterns
                .iter()
                .map(|p| SubdomainPattern::parse(p))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether `origin`, as a browser sends it, is on the list.
    pub(crate) fn allows(&self, origin: &str) -> bool {
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
        if !labels.iter().all(|l| plain_label(l)) {
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
        !sub.is_empty() && sub.split('.').all(plain_label)
    }
}

/// A DNS label as browsers serialise it: lowercase ASCII letters, digits and
/// hyphens (internationalised names arrive as `xn--` punycode).
fn plain_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_a_browser() {
        let o = Origin::parse("HTTPS://App.Example.com:443").unwrap();
        assert_eq!(o.as_str(), "https://app.example.com");
        assert_eq!(o.authority(), "app.example.com");
        let o = Origin::parse("http://localhost:8080/").unwrap();
        assert_eq!(o.authority(), "localhost:8080");
    }

    #[test]
    fn rejects_what_is_not_an_origin() {
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://example.com/path",
            "https://user@example.com",
            "https://example.com?q",
            "null",
            "*",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origin_of_a_referer() {
        let o = Origin::of_url("https://example.com:8443/a/b?c#d").unwrap();
        assert_eq!(o.as_str(), "https://example.com:8443");
        assert!(Origin::of_url("data:text/plain,hi").is_none());
        assert!(Origin::of_url("not a url").is_none());
    }

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
        let hyphens = SubdomainPattern::parse("https://*.my-app2.example.com").unwrap();
        assert!(hyphens.matches("https://eu-1.my-app2.example.com"));
        assert!(hyphens.matches("https://xn--bcher-kva.my-app2.example.com"));
        assert!(!hyphens.matches("https://eu_1.my-app2.example.com"));
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
    fn an_allow_list_matches_exact_origins_and_subdomains_only() {
        let list = AllowedOrigins::parse(
            &["https://App.example.com:443".into()],
            &["https://*.tenant.example.net".into()],
        )
        .unwrap();
        assert!(list.allows("https://app.example.com"));
        assert!(list.allows("https://acme.tenant.example.net"));
        assert!(!list.allows("https://tenant.example.net"));
        assert!(!list.allows("https://app.example.com:8443"));
        assert!(!list.allows("http://app.example.com"));
        assert!(!list.allows("null"));
        assert!(!AllowedOrigins::default().allows("https://app.example.com"));
        assert!(AllowedOrigins::parse(&["app.example.com".into()], &[]).is_err());
        assert!(AllowedOrigins::parse(&[], &["https://*.com".into()]).is_err());
    }
}
