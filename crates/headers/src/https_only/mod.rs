//! [`HttpsOnly`]: plain-HTTP requests are redirected (safe methods) or
//! refused (the rest), so that HSTS is not the only protection of a first
//! visit.
//!
//! HSTS only works once a browser has seen it over HTTPS; the very first
//! request (or the first after the max-age ran out) may still go out over
//! plain HTTP, where a network attacker can read and change it. Redirecting
//! that request to HTTPS limits the damage to the redirect itself; refusing an
//! unsafe one (a form post, an API call with a token) keeps it from being
//! acted on at all: a redirect would not help, since the request, its body and
//! its credentials have already crossed the network in the clear, and clients
//! repeat only some methods after a redirect.

mod config;
mod layer;

pub use config::HttpsOnlyConfig;
pub use layer::{HttpsOnlyFuture, HttpsOnlyLayer, HttpsOnlyService};

use crate::ConfigError;
use http::header::{HOST, LOCATION};
use http::uri::{Authority, Scheme};
use http::{HeaderValue, Method, Request, StatusCode};
use rampart_core::{ForwardedProto, Problem, Rejection, TrustedProxies, peer_addr};

/// Marks a request that arrived over TLS terminated by this process.
///
/// A server that terminates TLS itself (with rustls, say) inserts it into
/// each request's extensions; [`HttpsOnly`] then knows the request is secure.
/// Behind a TLS-terminating proxy, the proxy's `X-Forwarded-Proto` or
/// `Forwarded: proto=` says so instead, believed only from
/// [`TrustedProxies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsConnection;

/// Where plain-HTTP requests go: a redirect to HTTPS for `GET` and `HEAD`,
/// `403` problem JSON for every other method.
///
/// A request counts as HTTPS when it carries [`TlsConnection`], when its URI
/// has the `https` scheme (HTTP/2's `:scheme`, an absolute-form target), or
/// when a **trusted** proxy reports that the client used HTTPS
/// ([`TrustedProxies::forwarded_proto`]). A client's own `X-Forwarded-Proto`
/// is ignored unless its peer is a trusted proxy.
///
/// The redirect goes to the configured canonical host when one is set, else to
/// the request's own host. Set one in production: the `Host` header is the
/// client's to write, and a shared cache that ignores it could be taught to
/// send visitors elsewhere.
///
/// ```
/// use rampart::core::TrustedProxies;
/// use rampart::headers::HttpsOnly;
/// use http::{Request, StatusCode};
///
/// let policy = HttpsOnly::new()
///     .trusted_proxies(TrustedProxies::new(["10.0.0.0/8"])?)
///     .canonical_host("www.example.com")?
///     .exempt_path("/health");
/// let request = Request::get("/login?next=%2F")
///     .header("host", "example.com")
///     .body(())?;
/// let refusal = policy.check(&request).unwrap_err();
/// assert_eq!(refusal.status(), StatusCode::PERMANENT_REDIRECT);
/// assert_eq!(
///     refusal.location().unwrap(),
///     "https://www.example.com/login?next=%2F"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HttpsOnly {
    proxies: TrustedProxies,
    host: Option<String>,
    https_port: u16,
    redirect: StatusCode,
    exempt: Vec<String>,
}

impl Default for HttpsOnly {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpsOnly {
    /// Redirects with `308 Permanent Redirect` to the request's own host on
    /// port 443; trusts no proxy, so only [`TlsConnection`] or an `https` URI
    /// make a request secure.
    pub fn new() -> Self {
        Self {
            proxies: TrustedProxies::none(),
            host: None,
            https_port: 443,
            redirect: StatusCode::PERMANENT_REDIRECT,
            exempt: Vec::new(),
        }
    }

    /// Believes the scheme reported by these proxies (the same list as the
    /// `ClientIpLayer`'s).
    #[must_use]
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Redirects to `host` (a name or an address, without scheme, port or
    /// path) whatever host the request named.
    ///
    /// # Errors
    /// [`ConfigError::InvalidRedirectHost`] for anything but a bare host.
    pub fn canonical_host(mut self, host: &str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidRedirectHost {
            value: host.to_owned(),
            reason,
        };
        let bare = bare_host(host).ok_or_else(|| invalid("not a host name or address"))?;
        if bare != host {
            return Err(invalid("give the host alone, without port or user"));
        }
        self.host = Some(bare.to_owned());
        Ok(self)
    }

    /// The port HTTPS is served on, when it is not 443.
    #[must_use]
    pub fn https_port(mut self, port: u16) -> Self {
        self.https_port = port;
        self
    }

    /// Redirects with `status`: 308 (the default) and 301 are cached by
    /// browsers; 307 and 302 are not, for a trial period.
    ///
    /// # Errors
    /// [`ConfigError::InvalidRedirectStatus`] for any other status.
    pub fn redirect_status(mut self, status: StatusCode) -> Result<Self, ConfigError> {
        match status.as_u16() {
            301 | 302 | 307 | 308 => {
                self.redirect = status;
                Ok(self)
            }
            other => Err(ConfigError::InvalidRedirectStatus(other)),
        }
    }

    /// Lets plain HTTP through on exactly this path, for a load balancer's
    /// health check that cannot speak TLS. Nothing secret belongs there.
    #[must_use]
    pub fn exempt_path(mut self, path: impl Into<String>) -> Self {
        self.exempt.push(path.into());
        self
    }

    /// Whether `request` arrived over HTTPS, as far as can be known.
    pub fn is_secure<B>(&self, request: &Request<B>) -> bool {
        if request.extensions().get::<TlsConnection>().is_some()
            || request.uri().scheme() == Some(&Scheme::HTTPS)
        {
            return true;
        }
        peer_addr(request.extensions()).is_some_and(|peer| {
            self.proxies.forwarded_proto(peer.ip(), request.headers())
                == Some(ForwardedProto::Https)
        })
    }

    /// Passes a secure request (or one on an exempt path); answers anything
    /// else with where it should have gone.
    ///
    /// # Errors
    /// [`HttpsRequired`]: a redirect for `GET` and `HEAD` whose host can be
    /// named, a refusal otherwise.
    pub fn check<B>(&self, request: &Request<B>) -> Result<(), HttpsRequired> {
        if self.is_secure(request) || self.exempt.iter().any(|p| p == request.uri().path()) {
            return Ok(());
        }
        let redirectable = request.method() == Method::GET || request.method() == Method::HEAD;
        let location = if redirectable {
            self.location(request)
        } else {
            None
        };
        Err(HttpsRequired {
            status: if location.is_some() {
                self.redirect
            } else {
                StatusCode::FORBIDDEN
            },
            location,
        })
    }

    /// `https://<host>[:port]<path and query>`, or `None` when the request
    /// names no usable host or no origin-form path.
    fn location<B>(&self, request: &Request<B>) -> Option<HeaderValue> {
        let requested = match request.uri().authority() {
            Some(authority) => Some(authority.as_str()),
            None => request.headers().get(HOST).and_then(|h| h.to_str().ok()),
        };
        let host = match &self.host {
            Some(host) => host.as_str(),
            None => bare_host(requested?)?,
        };
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        if !target.starts_with('/') || target.starts_with("//") {
            return None;
        }
        let target = escape_target(target);
        let location = if self.https_port == 443 {
            format!("https://{host}{target}")
        } else {
            format!("https://{host}:{}{target}", self.https_port)
        };
        HeaderValue::from_str(&location).ok()
    }
}

/// `target` with every byte that is not visible ASCII percent-encoded, as a
/// browser would have sent it: `http::Uri` lets raw UTF-8 through in a query,
/// and a `Location` holding it is not a URI (and not readable as text through
/// [`HttpsRequired::location`]).
fn escape_target(target: &str) -> std::borrow::Cow<'_, str> {
    if target.bytes().all(|b| b.is_ascii_graphic()) {
        return target.into();
    }
    let mut escaped = String::with_capacity(target.len() + 16);
    for b in target.bytes() {
        if b.is_ascii_graphic() {
            escaped.push(char::from(b));
        } else {
            escaped.push_str(&format!("%{b:02X}"));
        }
    }
    escaped.into()
}

/// The host of an authority (`example.com:8080` → `example.com`,
/// `[::1]:80` → `[::1]`); `None` for user information or anything that is not
/// an authority.
fn bare_host(authority: &str) -> Option<&str> {
    if authority.contains('@') || authority.is_empty() {
        return None;
    }
    let parsed: Authority = authority.parse().ok()?;
    let len = parsed.host().len();
    // Without user information, the host is where the authority starts.
    let host: &str = authority.get(..len)?;
    (len > 0 && host == parsed.host()).then_some(host)
}

/// The answer to a plain-HTTP request: a redirect to HTTPS or a refusal. It
/// rides in the response extensions, so the audit trail records why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsRequired {
    status: StatusCode,
    location: Option<HeaderValue>,
}

impl HttpsRequired {
    /// The redirect status, or `403 Forbidden` for a refusal.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where a redirect points; `None` for a refusal.
    pub fn location(&self) -> Option<&str> {
        self.location.as_ref().and_then(|l| l.to_str().ok())
    }
}

impl Rejection for HttpsRequired {
    fn to_problem(&self) -> Problem {
        let problem = Problem::new(self.status)
            .with_type("https://rampart.rs/problems/https-required")
            .with_title("HTTPS required");
        match &self.location {
            Some(location) => problem
                .with_detail("this service is served over HTTPS only; follow the Location header")
                .with_header(LOCATION, location.clone()),
            None => problem.with_detail(
                "this request was sent over plain HTTP and was not acted on; send it again over HTTPS",
            ),
        }
    }
}

#[cfg(test)]
mod tests;
