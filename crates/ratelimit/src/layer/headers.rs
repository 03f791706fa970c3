//! The `RateLimit-Policy` / `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers)
//! and the legacy `X-RateLimit-*` ones.

use crate::decision::{Decision, ceil_secs};
use http::{HeaderName, HeaderValue};

/// `RateLimit-Policy`: each limit's quota and window.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`: each limit's remaining requests and seconds until reset.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const X_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Which rate-limit headers the layer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderOptions {
    pub(crate) on_allowed: bool,
    pub(crate) legacy: bool,
}

/// The headers describing `decision`, to be moved into the response.
pub(crate) type RateLimitHeaders = Vec<(HeaderName, HeaderValue)>;

/// The headers describing `decision`. Names are validated as ASCII tokens
/// when the limiter is built, so each item is a valid structured-field string.
/// Written straight into one buffer per header: these go on every allowed
/// response by default, so they are on the hot path.
pub(crate) fn headers(decision: &Decision, options: HeaderOptions) -> RateLimitHeaders {
    let limits = decision.limits();
    if limits.is_empty() {
        return Vec::new();
    }
    let mut map = Vec::with_capacity(if options.legacy { 5 } else { 2 });
    let mut policy = String::with_capacity(32 * limits.len());
    let mut state = String::with_capacity(32 * limits.len());
    for (i, l) in limits.iter().enumerate() {
        if i > 0 {
            policy.push_str(", ");
            state.push_str(", ");
        }
        let reset = if l.allowed {
            l.reset_after
        } else {
            l.retry_after.max(l.reset_after)
        };
        item(
            &mut policy,
            l.name,
            ";q=",
            u64::from(l.quota.limit()),
            ";w=",
            ceil_secs(l.quota.period()),
        );
        item(
            &mut state,
            l.name,
            ";r=",
            u64::from(l.remaining),
            ";t=",
            ceil_secs(reset),
        );
    }
    insert(&mut map, RATELIMIT_POLICY, policy);
    insert(&mut map, RATELIMIT, state);
    if options.legacy
        && let Some(t) = decision.denied_by().or_else(|| decision.tightest())
    {
        insert(&mut map, X_LIMIT, t.quota.limit().to_string());
        insert(&mut map, X_REMAINING, t.remaining.to_string());
        let reset = if t.allowed {
            t.reset_after
        } else {
            t.retry_after
        };
        insert(&mut map, X_RESET, ceil_secs(reset).to_string());
    }
    map
}

/// `"name";a=1;b=2`.
fn item(out: &mut String, name: &str, a: &str, first: u64, b: &str, second: u64) {
    let mut digits = itoa::Buffer::new();
    out.push('"');
    out.push_str(name);
    out.push('"');
    out.push_str(a);
    out.push_str(digits.format(first));
    out.push_str(b);
    out.push_str(digits.format(second));
}

fn insert(map: &mut RateLimitHeaders, name: HeaderName, value: String) {
    if let Ok(v) = HeaderValue::try_from(value) {
        map.push((name, v));
    }
}
