//! Who a limit counts: the key a request is charged to.

use crate::error::ConfigError;
use blake2::{Blake2s256, Digest};
use http::{Extensions, HeaderMap, HeaderName};
use ipnet::{Ipv4Net, Ipv6Net};
use rampart_core::{ClientIp, Principal};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// What is known about a request, from which each limit takes its key.
///
/// The layer builds it from the request (the [`ClientIp`] and [`Principal`]
/// that outer layers inserted, the route template, the headers); the plain API
/// builds it by hand.
///
/// ```
/// use rampart_ratelimit::KeyContext;
/// let ctx = KeyContext::new().ip("203.0.113.9".parse().unwrap()).subject("bob").tenant("acme");
/// assert_eq!(ctx.subject_str(), Some("bob"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyContext<'a> {
    ip: Option<IpAddr>,
    subject: Option<&'a str>,
    tenant: Option<&'a str>,
    route: Option<&'a str>,
    given: Option<&'a str>,
    headers: Option<&'a HeaderMap>,
    extensions: Option<&'a Extensions>,
}

/// The route template of a request (`/api/items/{id}`), for [`Key::route`].
///
/// With the `axum` feature axum's `MatchedPath` is read; other routers insert
/// this into the request extensions. The raw path is never used: every
/// distinct `/api/items/123` would be its own key, which a client controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTemplate(pub Arc<str>);

impl<'a> KeyContext<'a> {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the outer layers put in `extensions` (client IP, principal, route
    /// template), plus the request's headers.
    pub fn from_request(headers: &'a HeaderMap, extensions: &'a Extensions) -> Self {
        let principal = extensions.get::<Principal>();
        #[cfg(feature = "axum")]
        let matched = extensions
            .get::<axum::extract::MatchedPath>()
            .map(axum::extract::MatchedPath::as_str);
        #[cfg(not(feature = "axum"))]
        let matched: Option<&str> = None;
        Self {
            ip: extensions.get::<ClientIp>().map(ClientIp::ip),
            subject: principal.map(Principal::subject),
            tenant: principal.and_then(Principal::tenant),
            route: matched.or_else(|| extensions.get::<RouteTemplate>().map(|r| &*r.0)),
            given: None,
            headers: Some(headers),
            extensions: Some(extensions),
        }
    }

    /// Sets the client address.
    #[must_use]
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Sets the subject (user id).
    #[must_use]
    pub fn subject(mut self, subject: &'a str) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the tenant.
    #[must_use]
    pub fn tenant(mut self, tenant: &'a str) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Sets the route template.
    #[must_use]
    pub fn route(mut self, route: &'a str) -> Self {
        self.route = Some(route);
        self
    }

    /// Sets the key read by [`Key::given`] (the plain API's own key).
    #[must_use]
    pub fn key(mut self, key: &'a str) -> Self {
        self.given = Some(key);
        self
    }

    /// The client address, if known.
    pub fn ip_addr(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The subject, if known.
    pub fn subject_str(&self) -> Option<&'a str> {
        self.subject
    }

    /// The tenant, if known.
    pub fn tenant_str(&self) -> Option<&'a str> {
        self.tenant
    }

    /// The route template, if known.
    pub fn route_str(&self) -> Option<&'a str> {
        self.route
    }

    /// The request headers, when built from a request.
    pub fn headers(&self) -> Option<&'a HeaderMap> {
        self.headers
    }

    /// The request extensions, when built from a request.
    pub fn extensions(&self) -> Option<&'a Extensions> {
        self.extensions
    }
}

type KeyFn = Arc<dyn Fn(&KeyContext<'_>) -> Option<String> + Send + Sync>;

/// How a limit derives its key from a [`KeyContext`].
///
/// A key that cannot be derived (no principal on an anonymous request) makes
/// the limit skip the request, except [`Key::client_ip`] which by default
/// charges all address-less requests to one shared key, so a stack missing its
/// `ClientIpLayer` limits everyone together instead of no one.
///
/// ```
/// use rampart_ratelimit::{Key, KeyContext};
/// let ctx = KeyContext::new().ip("2001:db8:1:2:3:4:5:6".parse().unwrap()).subject("bob");
/// assert_eq!(Key::client_ip().derive(&ctx).as_deref(), Some("2001:db8:1:2::/64"));
/// assert_eq!(Key::subject().derive(&ctx).as_deref(), Some("bob"));
/// assert_eq!(Key::subject().and(Key::fixed("login")).derive(&ctx).as_deref(), Some("3:bob5:login"));
/// assert_eq!(Key::tenant().derive(&ctx), None);
/// ```
#[derive(Clone)]
pub struct Key(Kind);

#[derive(Clone)]
enum Kind {
    ClientIp { v4: u8, v6: u8 },
    Subject,
    Tenant,
    Route,
    ApiKey(HeaderName),
    Given,
    Fixed(Arc<str>),
    Custom(KeyFn),
    All(Arc<[Key]>),
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::ClientIp { v4, v6 } => write!(f, "ClientIp(/{v4}, /{v6})"),
            Kind::Subject => f.write_str("Subject"),
            Kind::Tenant => f.write_str("Tenant"),
            Kind::Route => f.write_str("Route"),
            Kind::ApiKey(h) => write!(f, "ApiKey({h})"),
            Kind::Given => f.write_str("Given"),
            Kind::Fixed(s) => write!(f, "Fixed({s:?})"),
            Kind::Custom(_) => f.write_str("Custom"),
            Kind::All(keys) => f.debug_tuple("All").field(keys).finish(),
        }
    }
}

impl Key {
    /// The client address ([`ClientIp`], resolved through `TrustedProxies`),
    /// IPv4 per address and IPv6 per `/64`: one host usually holds a whole
    /// `/64`, so counting single IPv6 addresses would let it rotate freely.
    pub fn client_ip() -> Self {
        Key(Kind::ClientIp { v4: 32, v6: 64 })
    }

    /// Groups IPv4 addresses by `/v4` and IPv6 by `/v6` (checked when the
    /// limiter is built).
    pub fn client_ip_grouped(v4: u8, v6: u8) -> Self {
        Key(Kind::ClientIp { v4, v6 })
    }

    /// The principal's subject.
    pub fn subject() -> Self {
        Key(Kind::Subject)
    }

    /// The principal's tenant.
    pub fn tenant() -> Self {
        Key(Kind::Tenant)
    }

    /// The route template (see [`RouteTemplate`]).
    pub fn route() -> Self {
        Key(Kind::Route)
    }

    /// An API key presented in `header`. Only a digest of it is kept, so the
    /// store never holds the secret.
    pub fn api_key(header: HeaderName) -> Self {
        Key(Kind::ApiKey(header))
    }

    /// The key the plain API passes with [`KeyContext::key`].
    pub fn given() -> Self {
        Key(Kind::Given)
    }

    /// The same key for every request: a global limit, or a constant part of
    /// a combination (`subject + "login"`).
    pub fn fixed(value: impl Into<Arc<str>>) -> Self {
        Key(Kind::Fixed(value.into()))
    }

    /// A key computed by the application; `None` skips the limit.
    pub fn custom<F>(f: F) -> Self
    where
        F: Fn(&KeyContext<'_>) -> Option<String> + Send + Sync + 'static,
    {
        Key(Kind::Custom(Arc::new(f)))
    }

    /// Every part together (tenant and route, subject and an action); missing
    /// if any part is.
    pub fn all(keys: impl IntoIterator<Item = Key>) -> Self {
        Key(Kind::All(keys.into_iter().collect()))
    }

    /// This key combined with `other`.
    #[must_use]
    pub fn and(self, other: Key) -> Self {
        match self.0 {
            Kind::All(keys) => {
                let mut v = keys.to_vec();
                v.push(other);
                Key::all(v)
            }
            kind => Key::all([Key(kind), other]),
        }
    }

    pub(crate) fn is_client_ip(&self) -> bool {
        matches!(self.0, Kind::ClientIp { .. })
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        match &self.0 {
            Kind::ClientIp { v4, .. } if *v4 > 32 => Err(ConfigError::Prefix {
                family: "IPv4",
                prefix: *v4,
                max: 32,
            }),
            Kind::ClientIp { v6, .. } if *v6 > 128 => Err(ConfigError::Prefix {
                family: "IPv6",
                prefix: *v6,
                max: 128,
            }),
            Kind::All(keys) => keys.iter().try_for_each(Key::validate),
            _ => Ok(()),
        }
    }

    /// The key of `ctx`, or `None` when it cannot be derived.
    ///
    /// Keys the context holds as is are borrowed here, inlined into every
    /// check; those that must be computed are built by `derive_owned`.
    #[inline]
    pub fn derive<'a>(&self, ctx: &KeyContext<'a>) -> Option<Cow<'a, str>> {
        match &self.0 {
            Kind::Subject => ctx.subject.map(Cow::Borrowed),
            Kind::Tenant => ctx.tenant.map(Cow::Borrowed),
            Kind::Route => ctx.route.map(Cow::Borrowed),
            Kind::Given => ctx.given.map(Cow::Borrowed),
            _ => self.derive_owned(ctx),
        }
    }

    fn derive_owned<'a>(&self, ctx: &KeyContext<'a>) -> Option<Cow<'a, str>> {
        match &self.0 {
            Kind::ClientIp { v4, v6 } => ctx.ip.map(|ip| Cow::Owned(group_ip(ip, *v4, *v6))),
            Kind::Subject | Kind::Tenant | Kind::Route | Kind::Given => self.derive(ctx),
            Kind::Fixed(s) => Some(Cow::Owned(s.to_string())),
            Kind::ApiKey(name) => {
                let value = ctx.headers?.get(name)?.as_bytes();
                if value.is_empty() {
                    return None;
                }
                Some(Cow::Owned(digest(value)))
            }
            Kind::Custom(f) => f(ctx).map(Cow::Owned),
            Kind::All(keys) => {
                // Length-prefixed parts, so ("a:b", "c") and ("a", "b:c") differ.
                let mut out = String::new();
                for key in keys.iter() {
                    let part = key.derive(ctx)?;
                    out.push_str(&part.len().to_string());
                    out.push(':');
                    out.push_str(&part);
                }
                Some(Cow::Owned(out))
            }
        }
    }
}

/// The network of `ip` at the given prefix, as text (`203.0.113.9`, `2001:db8::/64`).
pub(crate) fn group_ip(ip: IpAddr, v4: u8, v6: u8) -> String {
    match ip.to_canonical() {
        IpAddr::V4(a) if v4 >= 32 => rampart_core::ip_text(IpAddr::V4(a)),
        IpAddr::V4(a) => Ipv4Net::new(a, v4)
            .map(|n| n.trunc().to_string())
            .unwrap_or_else(|_| a.to_string()),
        IpAddr::V6(a) if v6 >= 128 => a.to_string(),
        IpAddr::V6(a) => Ipv6Net::new(a, v6)
            .map(|n| n.trunc().to_string())
            .unwrap_or_else(|_| a.to_string()),
    }
}

pub(crate) fn digest(value: &[u8]) -> String {
    let hash = Blake2s256::digest(value);
    let mut out = String::with_capacity(34);
    out.push_str("k:");
    for b in hash.iter().take(16) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use rampart_core::AuthMethod;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_is_grouped_by_64_and_ipv4_mapped_is_ipv4() {
        let k = Key::client_ip();
        let a = k
            .derive(&KeyContext::new().ip(ip("2001:db8:0:1::1")))
            .unwrap();
        let b = k
            .derive(&KeyContext::new().ip(ip("2001:db8:0:1:ffff::9")))
            .unwrap();
        let c = k
            .derive(&KeyContext::new().ip(ip("2001:db8:0:2::1")))
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mapped = k
            .derive(&KeyContext::new().ip(ip("::ffff:203.0.113.9")))
            .unwrap();
        assert_eq!(mapped, "203.0.113.9");
        let k24 = Key::client_ip_grouped(24, 48);
        assert_eq!(
            k24.derive(&KeyContext::new().ip(ip("203.0.113.9")))
                .unwrap(),
            "203.0.113.0/24"
        );
        assert_eq!(
            Key::client_ip_grouped(32, 128)
                .derive(&KeyContext::new().ip(ip("2001:db8::1")))
                .unwrap(),
            "2001:db8::1"
        );
        assert!(Key::client_ip_grouped(33, 64).validate().is_err());
        assert!(Key::client_ip_grouped(32, 129).validate().is_err());
        assert!(
            Key::all([Key::subject(), Key::client_ip_grouped(40, 64)])
                .validate()
                .is_err()
        );
    }

    #[test]
    fn request_context_reads_what_outer_layers_inserted() {
        let mut ext = Extensions::new();
        ext.insert(ClientIp(ip("198.51.100.7")));
        ext.insert(Principal::new("bob", AuthMethod::Jwt).with_tenant("acme"));
        ext.insert(RouteTemplate(Arc::from("/api/items/{id}")));
        let headers = HeaderMap::new();
        let ctx = KeyContext::from_request(&headers, &ext);
        assert_eq!(Key::client_ip().derive(&ctx).unwrap(), "198.51.100.7");
        assert_eq!(Key::subject().derive(&ctx).unwrap(), "bob");
        assert_eq!(Key::tenant().derive(&ctx).unwrap(), "acme");
        assert_eq!(Key::route().derive(&ctx).unwrap(), "/api/items/{id}");
        let empty = Extensions::new();
        let anon = KeyContext::from_request(&headers, &empty);
        assert!(Key::subject().derive(&anon).is_none());
        assert!(Key::client_ip().derive(&anon).is_none());
    }

    #[test]
    fn combinations_are_unambiguous_and_missing_if_a_part_is() {
        let k = Key::subject().and(Key::tenant());
        let a = k
            .derive(&KeyContext::new().subject("a:b").tenant("c"))
            .unwrap();
        let b = k
            .derive(&KeyContext::new().subject("a").tenant("b:c"))
            .unwrap();
        assert_ne!(a, b);
        assert!(k.derive(&KeyContext::new().subject("a")).is_none());
        let three = Key::subject().and(Key::tenant()).and(Key::fixed("x"));
        assert_eq!(
            three
                .derive(&KeyContext::new().subject("s").tenant("t"))
                .unwrap(),
            "1:s1:t1:x"
        );
    }

    #[test]
    fn api_keys_are_digested_and_empty_ones_are_missing() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("sk_live_secret"));
        let ext = Extensions::new();
        let ctx = KeyContext::from_request(&headers, &ext);
        let k = Key::api_key(HeaderName::from_static("x-api-key"));
        let key = k.derive(&ctx).unwrap();
        assert!(!key.contains("secret"));
        assert_eq!(key.len(), 34);
        assert_eq!(key, k.derive(&ctx).unwrap(), "stable across calls");
        headers.insert("x-api-key", HeaderValue::from_static(""));
        assert!(
            k.derive(&KeyContext::from_request(&headers, &ext))
                .is_none()
        );
    }

    #[test]
    fn custom_and_given_keys() {
        let k = Key::custom(|ctx| ctx.subject_str().map(|s| format!("plan-{s}")));
        assert_eq!(k.derive(&KeyContext::new().subject("x")).unwrap(), "plan-x");
        assert_eq!(
            Key::given().derive(&KeyContext::new().key("k1")).unwrap(),
            "k1"
        );
        assert!(format!("{:?}", Key::subject().and(k)).contains("Custom"));
    }
}
