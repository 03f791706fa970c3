//! `RateLimitLayer`: the limiter in front of a tower service.

mod headers;
mod rejection;
mod service;

pub use headers::{RATELIMIT, RATELIMIT_POLICY};
pub use rejection::RateLimitRejection;
pub use service::{RateLimitService, ResponseFuture};

use crate::RateLimiter;
use headers::HeaderOptions;
use rampart_core::ProblemResponse;
use tower_layer::Layer;

/// Limits the requests reaching the inner service.
///
/// Keys come from what outer layers inserted: the [`rampart_core::ClientIp`]
/// that `ClientIpLayer` resolved through `TrustedProxies` (forwarding headers
/// are never read here), and the [`rampart_core::Principal`] an auth layer
/// inserted. Place one layer keyed by IP outermost (cheap refusal before any
/// cryptography) and one keyed by user or tenant after authentication.
///
/// A refused request gets `429` problem JSON with `Retry-After` (or `503` when
/// the store fails closed); the typed [`RateLimitRejection`] is attached to the
/// response. The IETF `RateLimit-Policy` and `RateLimit` headers are written on
/// refusals and, unless turned off, on admitted responses; the legacy
/// `X-RateLimit-*` headers on request. Events go to the limiter's sink.
///
/// ```
/// use rampart_core::{ClientIpLayer, TrustedProxies};
/// use rampart_ratelimit::{Key, Limit, Quota, RateLimitLayer, RateLimiter};
/// use tower::ServiceBuilder;
///
/// let by_ip = RateLimiter::new(Limit::new("ip", Quota::per_minute(600)))?;
/// let by_user = RateLimiter::new(Limit::new("user", Quota::per_minute(300)).key(Key::subject()))?;
/// let stack = ServiceBuilder::new()
///     .layer(ClientIpLayer::new(TrustedProxies::none()))
///     .layer(RateLimitLayer::new(by_ip))
///     // .layer(auth layer inserting the Principal)
///     .layer(RateLimitLayer::new(by_user).legacy_headers(true));
/// # let _ = stack;
/// # Ok::<(), rampart_ratelimit::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RateLimitLayer<R = ProblemResponse> {
    limiter: RateLimiter,
    options: HeaderOptions,
    responder: R,
}

impl RateLimitLayer {
    /// A layer checking every request against `limiter`.
    pub fn new(limiter: RateLimiter) -> Self {
        Self {
            limiter,
            options: HeaderOptions {
                on_allowed: true,
                legacy: false,
            },
            responder: ProblemResponse,
        }
    }
}

impl<R> RateLimitLayer<R> {
    /// Whether admitted responses carry `RateLimit-Policy` / `RateLimit`
    /// (default: yes; refusals always do).
    pub fn headers_on_allowed(mut self, on: bool) -> Self {
        self.options.on_allowed = on;
        self
    }

    /// Also writes `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds) for
    /// clients that predate the IETF headers (default: no).
    pub fn legacy_headers(mut self, on: bool) -> Self {
        self.options.legacy = on;
        self
    }

    /// Replaces the refusal response (default: problem JSON).
    pub fn with_response<R2>(self, responder: R2) -> RateLimitLayer<R2> {
        RateLimitLayer {
            limiter: self.limiter,
            options: self.options,
            responder,
        }
    }
}

impl<S, R: Clone> Layer<S> for RateLimitLayer<R> {
    type Service = RateLimitService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService::new(
            inner,
            self.limiter.clone(),
            self.options,
            self.responder.clone(),
        )
    }
}
