//! The caller's address, resolved through the proxies the user trusts.

use crate::error::ConfigError;
use crate::forwarded::{
    ForwardedProto, forwarded_hops, forwarded_protos, x_forwarded_for_hops, x_forwarded_protos,
};
use http::{HeaderMap, Request};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// The resolved address of the client that made a request.
///
/// [`ClientIpLayer`] inserts it into the request extensions; rate limiting and
/// audit key on it. It is the peer address unless that peer is a trusted proxy,
/// in which case it is the rightmost hop of the forwarding header that no
/// trusted proxy added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The address.
    pub fn ip(&self) -> IpAddr {
        self.0
    }
}

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which forwarding header the trusted proxies write.
///
/// Only that one header is read: if a proxy writes `X-Forwarded-For` but passes a
/// client's own `Forwarded` header through untouched, reading `Forwarded` would
/// hand the client the pen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ForwardingHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (the default; what most proxies write).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// The proxies whose forwarding headers may be believed.
///
/// By default nothing is trusted and the client address is always the TCP
/// peer: a forwarding header is a claim made by whoever sent it, so it only
/// means something when the sender is a proxy you run.
///
/// ```
/// use rampart::core::TrustedProxies;
/// use http::HeaderMap;
///
/// let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
///
/// // Through our load balancer: the hop it appended is the client.
/// let via_proxy = proxies.resolve("10.1.2.3".parse().unwrap(), &headers);
/// assert_eq!(via_proxy.to_string(), "203.0.113.9");
///
/// // Straight from the internet: the header is ignored.
/// let direct = proxies.resolve("198.51.100.4".parse().unwrap(), &headers);
/// assert_eq!(direct.to_string(), "198.51.100.4");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "TrustedProxiesConfig")]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ForwardingHeader,
}

/// Serde form of [`TrustedProxies`]: CIDR strings (a bare address means a single host).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedProxiesConfig {
    /// CIDR blocks of the proxies, e.g. `["10.0.0.0/8", "fd00::/8"]`.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The header those proxies write.
    #[serde(default)]
    pub header: ForwardingHeader,
}

impl TryFrom<TrustedProxiesConfig> for TrustedProxies {
    type Error = ConfigError;

    fn try_from(config: TrustedProxiesConfig) -> Result<Self, Self::Error> {
        Ok(TrustedProxies::new(config.trusted_proxies)?.header(config.header))
    }
}

impl TrustedProxies {
    /// Trusts no proxy: the client is always the TCP peer.
    pub fn none() -> Self {
        Self::default()
    }

    /// Trusts the given CIDR blocks (`"10.0.0.0/8"`, `"fd00::/8"`, or a bare address).
    ///
    /// # Errors
    /// [`ConfigError::InvalidCidr`] naming the first entry that is not a network.
    pub fn new<I, S>(cidrs: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let networks = cidrs
            .into_iter()
            .map(|cidr| parse_network(cidr.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            networks,
            header: ForwardingHeader::default(),
        })
    }

    /// Reads `header` instead of `X-Forwarded-For`.
    #[must_use]
    pub fn header(mut self, header: ForwardingHeader) -> Self {
        self.header = header;
        self
    }

    /// Whether `ip` belongs to a trusted proxy.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.networks.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request that arrived from `peer` with `headers`.
    ///
    /// Walks the forwarding header from the right, skipping hops added by
    /// trusted proxies, and answers the first hop that is not trusted. A hop it
    /// cannot read stops the walk and the peer address is answered, so that
    /// garbage never moves the result toward what the client wrote.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if self.networks.is_empty() || !self.is_trusted(peer) {
            return peer;
        }
        let Some(hops) = self.hops(headers) else {
            return peer;
        };
        self.client_hop(&hops)
            .and_then(|index| hops[index])
            .unwrap_or(peer)
    }

    /// The scheme the client used to reach the first trusted proxy, as the
    /// trusted proxies report it: `proto=` of the client's element in
    /// `Forwarded`, or with `X-Forwarded-For`, the `X-Forwarded-Proto` value
    /// at the client's hop (or its only value, when the proxy writes one).
    ///
    /// `None` when the peer is not a trusted proxy (a client's own claim
    /// counts for nothing), when the header is absent, or when it cannot be
    /// read unambiguously; a caller enforcing HTTPS treats `None` as plain
    /// HTTP.
    ///
    /// ```
    /// use rampart::core::{ForwardedProto, TrustedProxies};
    /// use http::HeaderMap;
    ///
    /// let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
    /// headers.insert("x-forwarded-proto", "https".parse().unwrap());
    /// let lb = "10.1.2.3".parse().unwrap();
    /// assert_eq!(proxies.forwarded_proto(lb, &headers), Some(ForwardedProto::Https));
    /// // The same headers straight from the internet prove nothing.
    /// let direct = "198.51.100.4".parse().unwrap();
    /// assert_eq!(proxies.forwarded_proto(direct, &headers), None);
    /// ```
    pub fn forwarded_proto(&self, peer: IpAddr, headers: &HeaderMap) -> Option<ForwardedProto> {
        let peer = peer.to_canonical();
        if self.networks.is_empty() || !self.is_trusted(peer) {
            return None;
        }
        let hops = self.hops(headers)?;
        let index = self.client_hop(&hops)?;
        let protos = match self.header {
            ForwardingHeader::XForwardedFor => x_forwarded_protos(headers)?,
            ForwardingHeader::Forwarded => forwarded_protos(headers)?,
        };
        match protos.as_slice() {
            protos if protos.len() == hops.len() => protos[index],
            [only] if self.header == ForwardingHeader::XForwardedFor => *only,
            _ => None,
        }
    }

    /// The hops of the chosen forwarding header, left to right.
    fn hops(&self, headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
        match self.header {
            ForwardingHeader::XForwardedFor => x_forwarded_for_hops(headers),
            ForwardingHeader::Forwarded => forwarded_hops(headers),
        }
    }

    /// The index of the client's hop: walking from the right, skipping hops
    /// added by trusted proxies, the first that is not trusted. An unreadable
    /// hop stops the walk (`None`), so that garbage never moves the result
    /// toward what the client wrote. When every hop is one of ours, the
    /// leftmost is the nearest we know to the origin.
    fn client_hop(&self, hops: &[Option<IpAddr>]) -> Option<usize> {
        for (index, hop) in hops.iter().enumerate().rev() {
            match hop {
                None => return None,
                Some(ip) if self.is_trusted(*ip) => continue,
                Some(_) => return Some(index),
            }
        }
        if hops.is_empty() { None } else { Some(0) }
    }
}

fn parse_network(text: &str) -> Result<IpNet, ConfigError> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|net| match net {
            IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
                Some(v4) => IpNet::new(IpAddr::V4(v4), v6.prefix_len().saturating_sub(96))
                    .unwrap_or(IpNet::V6(v6)),
                None => IpNet::V6(v6),
            },
            v4 => v4,
        })
        .map_err(|_| ConfigError::InvalidCidr {
            value: text.to_owned(),
        })
}

/// Resolves [`ClientIp`] once per request and inserts it into the extensions.
///
/// The peer address is read from axum's `ConnectInfo<SocketAddr>` (with the
/// `axum` feature) or from a `SocketAddr` extension. Without either, no
/// `ClientIp` is inserted and layers keyed on it treat the request as anonymous.
#[derive(Debug, Clone, Default)]
pub struct ClientIpLayer {
    proxies: Arc<TrustedProxies>,
}

impl ClientIpLayer {
    /// A layer honouring `proxies`.
    pub fn new(proxies: TrustedProxies) -> Self {
        Self {
            proxies: Arc::new(proxies),
        }
    }
}

impl<S> Layer<S> for ClientIpLayer {
    type Service = ClientIpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientIpService {
            inner,
            proxies: Arc::clone(&self.proxies),
        }
    }
}

/// The service made by [`ClientIpLayer`].
#[derive(Debug, Clone)]
pub struct ClientIpService<S> {
    inner: S,
    proxies: Arc<TrustedProxies>,
}

impl<S, B> Service<Request<B>> for ClientIpService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if let Some(peer) = peer_addr(request.extensions()) {
            let ip = self.proxies.resolve(peer.ip(), request.headers());
            request.extensions_mut().insert(ClientIp(ip));
        }
        self.inner.call(request)
    }
}

/// The TCP peer of a request: axum's `ConnectInfo<SocketAddr>` (with the
/// `axum` feature) or a `SocketAddr` extension the server inserted. Layers
/// that must tell a trusted proxy from a client start here.
pub fn peer_addr(extensions: &http::Extensions) -> Option<SocketAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0);
    }
    extensions.get::<SocketAddr>().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http::header::FORWARDED;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn no_trusted_proxy_means_peer() {
        let proxies = TrustedProxies::none();
        assert_eq!(
            proxies.resolve(ip("10.0.0.1"), &xff("1.2.3.4")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn skips_every_trusted_hop_from_the_right() {
        let proxies = TrustedProxies::new(["10.0.0.0/8", "192.168.1.1"]).unwrap();
        let headers = xff("7.7.7.7, 203.0.113.5, 192.168.1.1, 10.9.9.9");
        assert_eq!(proxies.resolve(ip("10.0.0.1"), &headers), ip("203.0.113.5"));
    }

    #[test]
    fn garbage_hop_falls_back_to_peer() {
        let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
        let headers = xff("203.0.113.5, not-an-ip");
        assert_eq!(proxies.resolve(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
        let mut bad = HeaderMap::new();
        bad.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"1.2.3.4\xff").unwrap(),
        );
        assert_eq!(proxies.resolve(ip("10.0.0.1"), &bad), ip("10.0.0.1"));
    }

    #[test]
    fn missing_header_means_peer() {
        let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
        assert_eq!(
            proxies.resolve(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn all_hops_trusted_answers_the_leftmost() {
        let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
        assert_eq!(
            proxies.resolve(ip("10.0.0.1"), &xff("10.0.0.7, 10.0.0.8")),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn ipv4_mapped_peer_and_networks_match_ipv4() {
        let proxies = TrustedProxies::new(["::ffff:10.0.0.0/104"]).unwrap();
        assert!(proxies.is_trusted(ip("10.1.1.1")));
        let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
        assert_eq!(
            proxies.resolve(ip("::ffff:10.0.0.1"), &xff("::ffff:203.0.113.5")),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn ipv6_proxies() {
        let proxies = TrustedProxies::new(["fd00::/8"]).unwrap();
        assert_eq!(
            proxies.resolve(ip("fd00::1"), &xff("2001:db8::5, fd00::2")),
            ip("2001:db8::5")
        );
    }

    #[test]
    fn forwarded_header_is_read_only_when_chosen() {
        let mut headers = xff("198.51.100.1");
        headers.insert(
            FORWARDED,
            HeaderValue::from_static("for=\"[2001:db8::9]:1234\""),
        );
        let xff_proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
        assert_eq!(
            xff_proxies.resolve(ip("10.0.0.1"), &headers),
            ip("198.51.100.1")
        );
        let fwd_proxies = xff_proxies.header(ForwardingHeader::Forwarded);
        assert_eq!(
            fwd_proxies.resolve(ip("10.0.0.1"), &headers),
            ip("2001:db8::9")
        );
    }

    fn with_proto(mut headers: HeaderMap, name: &'static str, value: &'static str) -> HeaderMap {
        headers.append(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn forwarded_proto_is_believed_only_from_a_trusted_peer() {
        let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
        let headers = with_proto(xff("203.0.113.5"), "x-forwarded-proto", "https");
        assert_eq!(
            proxies.forwarded_proto(ip("10.0.0.1"), &headers),
            Some(ForwardedProto::Https)
        );
        assert_eq!(proxies.forwarded_proto(ip("203.0.113.5"), &headers), None);
        assert_eq!(
            TrustedProxies::none().forwarded_proto(ip("10.0.0.1"), &headers),
            None
        );
        assert_eq!(
            proxies.forwarded_proto(ip("10.0.0.1"), &xff("203.0.113.5")),
            None
        );
    }

    #[test]
    fn forwarded_proto_is_the_client_hops_value() {
        let proxies = TrustedProxies::new(["10.0.0.0/8"]).unwrap();
        // The client claims https; our edge proxy appended what it saw: http.
        let headers = with_proto(
            xff("6.6.6.6, 203.0.113.5, 10.0.0.9"),
            "x-forwarded-proto",
            "https, http, https",
        );
        assert_eq!(
            proxies.forwarded_proto(ip("10.0.0.1"), &headers),
            Some(ForwardedProto::Http)
        );
        // Lists that do not line up with the hops are not guessed at.
        let uneven = with_proto(
            xff("203.0.113.5, 10.0.0.9"),
            "x-forwarded-proto",
            "https, https, https",
        );
        assert_eq!(proxies.forwarded_proto(ip("10.0.0.1"), &uneven), None);
        // An unreadable hop stops the walk, as for the address.
        let garbage = with_proto(
            xff("203.0.113.5, nope"),
            "x-forwarded-proto",
            "https, https",
        );
        assert_eq!(proxies.forwarded_proto(ip("10.0.0.1"), &garbage), None);
        // Every hop ours: the leftmost.
        let ours = with_proto(
            xff("10.0.0.7, 10.0.0.8"),
            "x-forwarded-proto",
            "https, http",
        );
        assert_eq!(
            proxies.forwarded_proto(ip("10.0.0.1"), &ours),
            Some(ForwardedProto::Https)
        );
    }

    #[test]
    fn forwarded_proto_from_rfc_7239_elements() {
        let proxies = TrustedProxies::new(["10.0.0.0/8"])
            .unwrap()
            .header(ForwardingHeader::Forwarded);
        let mut headers = HeaderMap::new();
        headers.insert(
            FORWARDED,
            HeaderValue::from_static(
                "for=6.6.6.6;proto=http, for=203.0.113.5;proto=https, for=10.0.0.9;proto=http",
            ),
        );
        assert_eq!(
            proxies.forwarded_proto(ip("10.0.0.1"), &headers),
            Some(ForwardedProto::Https)
        );
        // X-Forwarded-Proto is not read when Forwarded is the chosen header.
        let mut only_xfp = with_proto(HeaderMap::new(), "x-forwarded-proto", "https");
        only_xfp.insert(FORWARDED, HeaderValue::from_static("for=203.0.113.5"));
        assert_eq!(proxies.forwarded_proto(ip("10.0.0.1"), &only_xfp), None);
    }

    #[test]
    fn invalid_cidr_is_named() {
        let err = TrustedProxies::new(["10.0.0.0/8", "10.0.0.0/33"]).unwrap_err();
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn deserialises_from_config() {
        let proxies: TrustedProxies = serde_json::from_value(serde_json::json!({
            "trusted_proxies": ["10.0.0.0/8"],
            "header": "forwarded"
        }))
        .unwrap();
        assert!(proxies.is_trusted(ip("10.2.3.4")));
        assert!(
            serde_json::from_value::<TrustedProxies>(
                serde_json::json!({"trusted_proxies": ["nope"]})
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn layer_inserts_client_ip_from_socket_addr() {
        use tower::{ServiceExt, service_fn};
        let svc = ClientIpLayer::new(TrustedProxies::new(["10.0.0.0/8"]).unwrap()).layer(
            service_fn(|req: Request<()>| async move {
                Ok::<_, std::convert::Infallible>(req.extensions().get::<ClientIp>().copied())
            }),
        );
        let mut request = Request::builder()
            .header("x-forwarded-for", "203.0.113.77")
            .body(())
            .unwrap();
        request
            .extensions_mut()
            .insert(SocketAddr::from(([10, 0, 0, 1], 5000)));
        let seen = svc.clone().oneshot(request).await.unwrap();
        assert_eq!(seen, Some(ClientIp(ip("203.0.113.77"))));

        let without_peer = svc.oneshot(Request::new(())).await.unwrap();
        assert_eq!(without_peer, None);
    }

    #[cfg(feature = "axum")]
    #[tokio::test]
    async fn layer_reads_axum_connect_info() {
        use tower::{ServiceExt, service_fn};
        let svc = ClientIpLayer::new(TrustedProxies::none()).layer(service_fn(
            |req: Request<()>| async move {
                Ok::<_, std::convert::Infallible>(req.extensions().get::<ClientIp>().copied())
            },
        ));
        let mut request = Request::builder()
            .header("x-forwarded-for", "203.0.113.77")
            .body(())
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(SocketAddr::from((
                [198, 51, 100, 9],
                4000,
            ))));
        let seen = svc.oneshot(request).await.unwrap();
        assert_eq!(
            seen,
            Some(ClientIp(ip("198.51.100.9"))),
            "the untrusted header was believed"
        );
    }
}
