//! Web origins (`scheme://host[:port]`) as written in allow-lists.

use crate::ConfigError;
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
}
