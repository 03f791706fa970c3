//! Resolving a host once and checking every address it resolves to.
//!
//! DNS answers can change between a check and a connection (DNS
//! rebinding), so the addresses checked here are the ones to connect to:
//! [`ResolvedUrl::addrs`] hands them over, and the `reqwest` feature's
//! `SafeClient` connects to exactly those.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use super::{CheckedUrl, UrlError, UrlPolicy};

/// The future a [`Resolver`] returns.
pub type Resolving<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Turns a host name into addresses. Implement it to use another DNS client,
/// or to answer from a table in tests.
pub trait Resolver: Send + Sync + 'static {
    /// Every address `host` resolves to.
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a>;
}

impl<R: Resolver + ?Sized> Resolver for Arc<R> {
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a> {
        (**self).resolve(host)
    }
}

/// The operating system's resolver, through `tokio::net::lookup_host`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Answers from a fixed table; unknown names fail. For tests, and for
/// pinning a few service names to known addresses.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    table: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `addrs` for `host` (case-insensitive).
    #[must_use]
    pub fn with(mut self, host: &str, addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        self.table
            .insert(host.to_ascii_lowercase(), addrs.into_iter().collect());
        self
    }
}

impl Resolver for StaticResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a> {
        let answer = self
            .table
            .get(&host.trim_end_matches('.').to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such host in the table"));
        Box::pin(async move { answer })
    }
}

/// A URL whose host resolved only to addresses the policy allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUrl {
    checked: CheckedUrl,
    addrs: Vec<SocketAddr>,
}

impl ResolvedUrl {
    /// The URL as checked.
    pub fn checked(&self) -> &CheckedUrl {
        &self.checked
    }

    /// The addresses to connect to, with the URL's effective port: connect
    /// to these, not to a fresh resolution of the name.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }
}

impl UrlPolicy {
    /// Checks `input` as written, resolves its host (unless it is an
    /// address) and checks every address it resolves to.
    ///
    /// # Errors
    /// What [`UrlPolicy::check`] refuses, [`UrlError::Resolution`] when the
    /// name does not resolve, and [`UrlError::ResolvesToBlocked`] when any
    /// answer is internal.
    ///
    /// ```
    /// use rampart_sanitize::validate::{StaticResolver, UrlPolicy};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let dns = StaticResolver::new()
    ///     .with("api.example", ["93.184.215.14".parse().unwrap()])
    ///     .with("rebind.example", ["93.184.215.14".parse().unwrap(), "127.0.0.1".parse().unwrap()]);
    /// let policy = UrlPolicy::new();
    /// let ok = policy.check_resolved("https://api.example/v1", &dns).await.unwrap();
    /// assert_eq!(ok.addrs()[0].to_string(), "93.184.215.14:443");
    /// assert!(policy.check_resolved("https://rebind.example/", &dns).await.is_err());
    /// # });
    /// ```
    pub async fn check_resolved<R: Resolver + ?Sized>(
        &self,
        input: &str,
        resolver: &R,
    ) -> Result<ResolvedUrl, UrlError> {
        let checked = self.check(input)?;
        let port = checked.port();
        let ips = match (checked.ip(), checked.domain()) {
            (Some(ip), _) => vec![ip],
            (None, Some(host)) => self.resolve_checked(host, resolver).await?,
            (None, None) => return Err(UrlError::MissingHost),
        };
        let addrs = ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect();
        Ok(ResolvedUrl { checked, addrs })
    }

    /// Resolves `host` once and returns its addresses if every one of them
    /// is allowed.
    ///
    /// # Errors
    /// [`UrlError::Resolution`], [`UrlError::NoAddresses`] or
    /// [`UrlError::ResolvesToBlocked`].
    pub async fn resolve_checked<R: Resolver + ?Sized>(
        &self,
        host: &str,
        resolver: &R,
    ) -> Result<Vec<IpAddr>, UrlError> {
        let ips = resolver
            .resolve(host)
            .await
            .map_err(|e| UrlError::Resolution {
                host: host.to_owned(),
                message: e.to_string(),
            })?;
        self.check_resolved_addrs(host, &ips)?;
        Ok(ips)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn a_name_resolving_anywhere_internal_is_refused() {
        let dns = StaticResolver::new()
            .with(
                "ok.example",
                [
                    ip("93.184.215.14"),
                    ip("2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
                ],
            )
            .with("meta.example", [ip("169.254.169.254")])
            .with(
                "mixed.example",
                [ip("93.184.215.14"), ip("::ffff:10.0.0.1")],
            )
            .with("empty.example", []);
        let policy = UrlPolicy::new();
        let ok = policy
            .check_resolved("https://OK.example:8443/", &dns)
            .await
            .unwrap();
        assert_eq!(ok.addrs().len(), 2);
        assert!(ok.addrs().iter().all(|a| a.port() == 8443));
        assert_eq!(ok.checked().domain(), Some("ok.example"));

        let err = policy
            .check_resolved("https://meta.example/", &dns)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "resolves_to_blocked");
        assert!(err.to_string().contains("169.254.169.254"));
        let err = policy
            .check_resolved("https://mixed.example/", &dns)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "resolves_to_blocked");
        let err = policy
            .check_resolved("https://empty.example/", &dns)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "no_addresses");
        let err = policy
            .check_resolved("https://unknown.example/", &dns)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "resolution_failed");
    }

    #[tokio::test]
    async fn literal_hosts_are_not_resolved() {
        // An empty table would fail any lookup.
        let dns = StaticResolver::new();
        let policy = UrlPolicy::new();
        let ok = policy
            .check_resolved("https://93.184.215.14/", &dns)
            .await
            .unwrap();
        assert_eq!(ok.addrs(), &["93.184.215.14:443".parse().unwrap()]);
        let err = policy
            .check_resolved("https://0x7f.1/", &dns)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "blocked_address");
    }

    #[tokio::test]
    async fn the_system_resolver_resolves_localhost_names_to_loopback() {
        // `localhost` itself is refused before resolution; the resolver is
        // exercised directly.
        let ips = SystemResolver.resolve("localhost").await.unwrap();
        assert!(ips.iter().all(|ip| ip.is_loopback()), "{ips:?}");
        let policy = UrlPolicy::new();
        assert!(policy.check_resolved_addrs("localhost", &ips).is_err());
    }
}
