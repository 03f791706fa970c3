//! The `RateLimit-Policy` / `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers)
//! and the legacy `X-RateLimit-*` ones.

use crate::decision::{Decision, LimitStatus, ceil_secs};
use http::{HeaderMap, HeaderName, HeaderValue};

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

/// The headers describing `decision`. Names are validated as ASCII tokens
/// when the limiter is built, so each item is a valid structured-field string.
pub(crate) fn headers(decision: &Decision, options: HeaderOptions) -> HeaderMap {
    let mut map = HeaderMap::new();
    let limits = decision.limits();
    if limits.is_empty() {
        return map;
    }
    let policy = join(limits, |l| {
        format!(
            "\"{}\";q={};w={}",
            l.name,
            l.quota.limit(),
            ceil_secs(l.quota.period())
        )
    });
    let state = join(limits, |l| {
        format!(
            "\"{}\";r={};t={}",
            l.name,
            l.remaining,
            ceil_secs(if l.allowed {
                l.reset_after
            } else {
                l.retry_after.max(l.reset_after)
            })
        )
    });
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

fn join(limits: &[LimitStatus], f: impl Fn(&LimitStatus) -> String) -> String {
    limits.iter().map(f).collect::<Vec<_>>().join(", ")
}

fn insert(map: &mut HeaderMap, name: HeaderName, value: String) {
    if let Ok(v) = HeaderValue::try_from(value) {
        map.insert(name, v);
    }
}
