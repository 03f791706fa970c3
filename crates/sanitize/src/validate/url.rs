//! URLs an application is about to fetch, checked against SSRF.
//!
//! [`UrlPolicy::check`] judges the URL as written: scheme, credentials,
//! port, and the host in whatever literal form it takes. A host *name* can
//! still resolve to an internal address; [`UrlPolicy::check_resolved`]
//! resolves it and checks every answer, and the `reqwest` feature's
//! `SafeClient` connects only to the addresses it checked.

use std::net::IpAddr;

use ipnet::IpNet;
use url::{Host, Url};

use super::{UrlError, blocked_range, parse_ip_literal};

/// Suffixes of names that only resolve inside a network: RFC 6761/6762
/// special-use names, ICANN's private-use `.internal`, and home/corporate
/// conventions (`metadata.google.internal` is the GCP metadata service).
const INTERNAL_SUFFIXES: &[&str] = &[
    "localhost",
    "local",
    "internal",
    "localdomain",
    "home.arpa",
    "lan",
    "intranet",
    "corp",
    "private",
];

/// What an outbound URL may look like.
///
/// Defaults are the secure choice: `https` only, any port, no credentials,
/// no internal names, no single-label hosts, no address outside public
/// unicast, at most 2048 bytes.
///
/// ```
/// use rampart_sanitize::validate::UrlPolicy;
///
/// let policy = UrlPolicy::new().allow_schemes(["http", "https"]);
/// assert!(policy.check("https://example.com/a").is_ok());
/// assert!(policy.check("http://0x7f.1/").is_err());
/// assert!(policy.check("http://[::ffff:169.254.169.254]/").is_err());
/// assert!(policy.check("https://user:pw@example.com/").is_err());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct UrlPolicy {
    schemes: Vec<String>,
    ports: Option<Vec<u16>>,
    allowed_nets: Vec<IpNet>,
    denied_hosts: Vec<String>,
    single_label: bool,
    max_len: usize,
}

impl Default for UrlPolicy {
    fn default() -> Self {
        Self::new()
    }
}

/// A URL that passed [`UrlPolicy::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUrl {
    url: Url,
    ip: Option<IpAddr>,
    port: u16,
}

impl CheckedUrl {
    /// The parsed URL (hosts normalised: `0x7f.1` reads `127.0.0.1`, IDN
    /// names are punycode).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL, consumed.
    pub fn into_url(self) -> Url {
        self.url
    }

    /// The address, when the host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The host name, when the host is not an IP literal.
    pub fn domain(&self) -> Option<&str> {
        match self.ip {
            Some(_) => None,
            None => self.url.host_str(),
        }
    }

    /// The effective port (explicit, or the scheme's default).
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl UrlPolicy {
    /// The secure defaults (see the type's docs).
    pub fn new() -> Self {
        Self {
            schemes: vec!["https".to_owned()],
            ports: None,
            allowed_nets: Vec::new(),
            denied_hosts: Vec::new(),
            single_label: false,
            max_len: 2048,
        }
    }

    /// The schemes a URL may use (default `https`). Hosts of schemes other
    /// than `http(s)`, `ws(s)` and `ftp` are opaque to the URL parser; their
    /// IP literals are still recognised by [`parse_ip_literal`].
    pub fn allow_schemes<I, S>(mut self, schemes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.schemes = schemes
            .into_iter()
            .map(|s| s.into().to_ascii_lowercase())
            .collect();
        self
    }

    /// The ports a URL may target, explicit or implied by the scheme
    /// (default: any).
    pub fn allow_ports<I: IntoIterator<Item = u16>>(mut self, ports: I) -> Self {
        self.ports = Some(ports.into_iter().collect());
        self
    }

    /// Lets addresses in `net` through although they are not public, for a
    /// known internal service (default: none). Every address in the network
    /// becomes reachable by whoever controls the URL.
    pub fn insecure_allow_net(mut self, net: IpNet) -> Self {
        self.allowed_nets.push(net);
        self
    }

    /// Refuses `host` and its subdomains (default: only the built-in internal
    /// suffixes such as `localhost` and `.internal`).
    pub fn deny_host(mut self, host: impl Into<String>) -> Self {
        let host = host.into().trim_end_matches('.').to_ascii_lowercase();
        self.denied_hosts.push(host);
        self
    }

    /// Allows single-label host names such as `metadata` or `intranet`,
    /// which resolve through search domains and hosts files (default:
    /// refused).
    pub fn insecure_allow_single_label_hosts(mut self) -> Self {
        self.single_label = true;
        self
    }

    /// The longest URL accepted, in bytes (default 2048).
    pub fn max_length(mut self, max: usize) -> Self {
        self.max_len = max;
        self
    }

    /// Checks `input` as written, without resolving its host.
    ///
    /// # Errors
    /// The first rule the URL breaks.
    pub fn check(&self, input: &str) -> Result<CheckedUrl, UrlError> {
        if input.len() > self.max_len {
            return Err(UrlError::TooLong {
                len: input.len(),
                max: self.max_len,
            });
        }
        // Backslashes, whitespace and control characters are where URL
        // parsers disagree (`http://a\@b/` has host `a` for WHATWG and `b`
        // for RFC 3986 parsers); a URL meant for an outbound request has no
        // need of them unencoded.
        if let Some(c) = input
            .chars()
            .find(|c| *c == '\\' || c.is_whitespace() || c.is_control())
        {
            return Err(UrlError::Malformed {
                reason: format!("contains the character {c:?}; percent-encode it"),
            });
        }
        let url = Url::parse(input).map_err(|e| UrlError::Malformed {
            reason: e.to_string(),
        })?;
        self.check_url(url)
    }

    /// Checks an already parsed URL (a redirect target, say), without
    /// resolving its host.
    ///
    /// # Errors
    /// The first rule the URL breaks.
    pub fn check_url(&self, url: Url) -> Result<CheckedUrl, UrlError> {
        if !self.schemes.iter().any(|s| s == url.scheme()) {
            return Err(UrlError::SchemeNotAllowed {
                scheme: url.scheme().to_owned(),
                allowed: self.schemes.join(", "),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        let ip = match url.host() {
            None => return Err(UrlError::MissingHost),
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(Host::Domain(name)) => parse_ip_literal(name),
        };
        match ip {
            Some(ip) => self.check_ip(ip)?,
            None => self.check_name(url.host_str().unwrap_or_default())?,
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| UrlError::Malformed {
                reason: format!("no port, and `{}` has no default port", url.scheme()),
            })?;
        if let Some(ports) = &self.ports
            && !ports.contains(&port)
        {
            return Err(UrlError::PortNotAllowed { port });
        }
        Ok(CheckedUrl { url, ip, port })
    }

    /// Checks one address: public, or inside a network the policy lets
    /// through.
    ///
    /// # Errors
    /// [`UrlError::BlockedAddress`] with the range it falls in.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), UrlError> {
        let ip = canonical(ip);
        if self.allowed_nets.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        match blocked_range(ip) {
            Some(range) => Err(UrlError::BlockedAddress { ip, range }),
            None => Ok(()),
        }
    }

    /// Checks every address `host` resolved to; one internal answer refuses
    /// the host, since the connection may use any of them.
    ///
    /// # Errors
    /// [`UrlError::NoAddresses`] or [`UrlError::ResolvesToBlocked`].
    pub fn check_resolved_addrs(&self, host: &str, addrs: &[IpAddr]) -> Result<(), UrlError> {
        if addrs.is_empty() {
            return Err(UrlError::NoAddresses {
                host: host.to_owned(),
            });
        }
        for &ip in addrs {
            if let Err(UrlError::BlockedAddress { ip, range }) = self.check_ip(ip) {
                return Err(UrlError::ResolvesToBlocked {
                    host: host.to_owned(),
                    ip,
                    range,
                });
            }
        }
        Ok(())
    }

    fn check_name(&self, host: &str) -> Result<(), UrlError> {
        // Hosts of non-special schemes stay percent-encoded (`%31%32%37.0.0.1`);
        // a name to resolve never needs it.
        if host.contains('%') {
            return Err(UrlError::Malformed {
                reason: "percent-encoded host".to_owned(),
            });
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        let internal = || UrlError::InternalName { host: name.clone() };
        if name.is_empty() {
            return Err(UrlError::MissingHost);
        }
        if !self.single_label && !name.contains('.') {
            return Err(internal());
        }
        let under = |suffix: &str| {
            name == suffix
                || name
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.'))
        };
        if INTERNAL_SUFFIXES.iter().any(|s| under(s)) || self.denied_hosts.iter().any(|s| under(s))
        {
            return Err(internal());
        }
        Ok(())
    }
}

/// IPv4-mapped IPv6 as the IPv4 address it is, so an allowed IPv4 network
/// covers it too.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::BlockedRange;

    fn web() -> UrlPolicy {
        UrlPolicy::new().allow_schemes(["http", "https"])
    }

    #[test]
    fn public_urls_pass_and_keep_their_parts() {
        let checked = web().check("https://Example.COM:8443/a?b=c").unwrap();
        assert_eq!(checked.domain(), Some("example.com"));
        assert_eq!(checked.port(), 8443);
        assert_eq!(checked.ip(), None);
        let checked = web().check("http://93.184.215.14/").unwrap();
        assert_eq!(checked.ip(), Some("93.184.215.14".parse().unwrap()));
        assert_eq!(checked.port(), 80);
        assert_eq!(checked.into_url().as_str(), "http://93.184.215.14/");
    }

    #[test]
    fn default_policy_is_https_only() {
        let err = UrlPolicy::default()
            .check("http://example.com/")
            .unwrap_err();
        assert_eq!(err.code(), "scheme_not_allowed");
        assert!(err.to_string().contains("allowed schemes: https"));
        for url in [
            "file:///etc/passwd",
            "gopher://example.com/",
            "jar:http://example.com!/",
        ] {
            assert!(matches!(
                web().check(url),
                Err(UrlError::SchemeNotAllowed { .. })
            ));
        }
    }

    #[test]
    fn disguised_internal_addresses_are_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://0/",
            "http://[::]/",
            "http://[0000::1]:80/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.100.100.200/",
            "http://192.0.0.192/",
            "http://255.255.255.255/",
        ] {
            let err = web().check(url).unwrap_err();
            assert!(
                matches!(err, UrlError::BlockedAddress { .. }),
                "{url}: {err}"
            );
            assert!(err.is_internal_target());
        }
    }

    #[test]
    fn internal_names_are_refused() {
        for url in [
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://metadata.google.internal/",
            "http://printer.local/",
            "http://metadata/",
            "http://ip6-localhost/",
        ] {
            let err = web().check(url).unwrap_err();
            assert_eq!(err.code(), "internal_name", "{url}");
        }
        assert!(web().check("http://notlocalhost.com/").is_ok());
        assert!(web().check("http://internal.example.com/").is_ok());
    }

    #[test]
    fn denied_hosts_cover_their_subdomains_only() {
        let policy = web().deny_host("Evil.Example.");
        assert!(policy.check("https://evil.example/").is_err());
        assert!(policy.check("https://a.evil.example/").is_err());
        assert!(policy.check("https://notevil.example/").is_ok());
    }

    #[test]
    fn single_label_hosts_only_when_asked() {
        assert!(web().check("http://intranet-app/").is_err());
        let lax = web().insecure_allow_single_label_hosts();
        assert!(lax.check("http://intranet-app/").is_ok());
        // Still refused: the built-in internal names.
        assert!(lax.check("http://localhost/").is_err());
    }

    #[test]
    fn credentials_and_parser_confusion_are_refused() {
        assert_eq!(
            web().check("https://user:secret@example.com/").unwrap_err(),
            UrlError::Credentials
        );
        assert_eq!(
            web().check("https://user@example.com/").unwrap_err(),
            UrlError::Credentials
        );
        let err = web().check("https://user:secret@example.com/").unwrap_err();
        assert!(!err.to_string().contains("secret"));
        for url in [
            "http://127.1.1.1:80\\@127.2.2.2:80/",
            "http://example.com/ a",
            "http://exa\tmple.com/",
            "http://example.com/\n",
        ] {
            assert_eq!(
                web().check(url).unwrap_err().code(),
                "url_malformed",
                "{url:?}"
            );
        }
        for url in [
            "",
            "not a url",
            "http://",
            "http://425.510.425.510/",
            "http://[fe80::1%25eth0]/",
        ] {
            assert!(web().check(url).is_err(), "{url:?}");
        }
    }

    #[test]
    fn opaque_hosts_of_other_schemes_are_still_judged() {
        let policy = UrlPolicy::new().allow_schemes(["gopher", "dict"]);
        for url in [
            "gopher://127.0.0.1:6379/_save",
            "gopher://0x7f.1:25/",
            "dict://LOCALHOST:11211/stat",
            "gopher://%31%32%37.0.0.1/",
        ] {
            assert!(policy.check(url).is_err(), "{url}");
        }
        let custom = UrlPolicy::new().allow_schemes(["foo"]);
        let err = custom.check("foo://example.com/").unwrap_err();
        assert_eq!(err.code(), "url_malformed");
        assert!(err.to_string().contains("no default port"), "{err}");
        assert!(custom.check("foo://example.com:99/").is_ok());
    }

    #[test]
    fn length_and_port_limits() {
        let long = format!("https://example.com/{}", "a".repeat(3000));
        assert!(matches!(web().check(&long), Err(UrlError::TooLong { .. })));
        assert!(web().max_length(4096).check(&long).is_ok());
        let policy = web().allow_ports([443]);
        assert!(policy.check("https://example.com/").is_ok());
        assert_eq!(
            policy.check("https://example.com:22/").unwrap_err(),
            UrlError::PortNotAllowed { port: 22 }
        );
        assert_eq!(
            policy.check("http://example.com/").unwrap_err(),
            UrlError::PortNotAllowed { port: 80 }
        );
    }

    #[test]
    fn allowed_networks_let_a_known_service_through() {
        let policy = web().insecure_allow_net("10.1.0.0/16".parse().unwrap());
        assert!(policy.check("http://10.1.2.3/").is_ok());
        assert!(policy.check("http://[::ffff:10.1.2.3]/").is_ok());
        assert!(policy.check("http://10.2.0.1/").is_err());
    }

    #[test]
    fn every_resolved_address_is_checked() {
        let policy = web();
        let public: IpAddr = "93.184.215.14".parse().unwrap();
        let private: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(policy.check_resolved_addrs("a.example", &[public]).is_ok());
        assert_eq!(
            policy.check_resolved_addrs("a.example", &[public, private]),
            Err(UrlError::ResolvesToBlocked {
                host: "a.example".into(),
                ip: private,
                range: BlockedRange::Private
            })
        );
        assert_eq!(
            policy
                .check_resolved_addrs("a.example", &[])
                .unwrap_err()
                .code(),
            "no_addresses"
        );
    }

    #[test]
    fn idn_hosts_are_normalised_before_the_checks() {
        let checked = web().check("http://ⓔⓧⓐⓜⓟⓛⓔ.ⓒⓞⓜ/").unwrap();
        assert_eq!(checked.domain(), Some("example.com"));
        let checked = web().check("https://bücher.example/").unwrap();
        assert_eq!(checked.domain(), Some("xn--bcher-kva.example"));
        // Full-width digits and dots normalise to an address.
        assert!(web().check("http://１２７．０．０．１/").is_err());
    }
}
