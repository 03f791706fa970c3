//! The `RateLimit-Policy` / `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers)
//! and the legacy `X-RateLimit-*` ones.

use crate::decision::{Decision, ceil_secs};
use crate::{Limit, Quota};
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

/// The `RateLimit-Policy` of a limiter with one limit, written once: it
/// names the limit's quota, the same on every response unless a quota
/// source gives a key its own.
#[derive(Debug, Clone)]
pub(crate) struct FixedPolicy {
    name: &'static str,
    quota: Quota,
    value: HeaderValue,
}

impl FixedPolicy {
    /// The policy of `limits` when there is exactly one.
    pub(crate) fn of(limits: &[Limit]) -> Option<Self> {
        let [limit] = limits else { return None };
        let (name, quota) = (limit.name, limit.quota());
        let mut text = String::new();
        policy_item(&mut text, name, &quota);
        let value = HeaderValue::try_from(text).ok()?;
        Some(Self { name, quota, value })
    }
}

/// The headers describing `decision`. Names are validated as ASCII tokens
/// when the limiter is built, so each item is a valid structured-field string.
/// Written straight into one buffer per header: these go on every allowed
/// response by default, so they are on the hot path.
pub(crate) fn headers(
    decision: &Decision,
    options: HeaderOptions,
    fixed: Option<&FixedPolicy>,
) -> RateLimitHeaders {
    let limits = decision.limits();
    if limits.is_empty() {
        return Vec::new();
    }
    let mut map = Vec::with_capacity(if options.legacy { 5 } else { 2 });
    let mut state = String::with_capacity(32 * limits.len());
    for (i, l) in limits.iter().enumerate() {
        if i > 0 {
            state.push_str(", ");
        }
        let reset = if l.allowed {
            l.reset_after
        } else {
            l.retry_after.max(l.reset_after)
        };
        item(
            &mut state,
            l.name,
            ";r=",
            u64::from(l.remaining),
            ";t=",
            ceil_secs(reset),
        );
    }
    match (fixed, limits) {
        (Some(f), [l]) if f.name == l.name && f.quota == l.quota => {
            map.push((RATELIMIT_POLICY, f.value.clone()));
        }
        _ => {
            let mut policy = String::with_capacity(32 * limits.len());
            for (i, l) in limits.iter().enumerate() {
                if i > 0 {
                    policy.push_str(", ");
                }
                policy_item(&mut policy, l.name, &l.quota);
            }
            insert(&mut map, RATELIMIT_POLICY, policy);
        }
    }
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

/// `"name";q=limit;w=window`.
fn policy_item(out: &mut String, name: &str, quota: &Quota) {
    item(
        out,
        name,
        ";q=",
        u64::from(quota.limit()),
        ";w=",
        ceil_secs(quota.period()),
    );
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
