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

/// The headers describing `decision`, to be moved into the response: at
/// most five, kept inline so the allowed path allocates only their values.
#[derive(Debug, Default)]
pub(crate) struct RateLimitHeaders {
    items: [Option<(HeaderName, HeaderValue)>; 5],
}

impl RateLimitHeaders {
    fn push(&mut self, name: HeaderName, value: HeaderValue) {
        if let Some(slot) = self.items.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some((name, value));
        }
    }
}

impl IntoIterator for RateLimitHeaders {
    type Item = (HeaderName, HeaderValue);
    type IntoIter = std::iter::Flatten<std::array::IntoIter<Option<Self::Item>, 5>>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter().flatten()
    }
}

/// Header text written on the stack, then copied once into its
/// `HeaderValue`; a long list of limits spills to the heap.
struct Text {
    inline: [u8; 160],
    len: usize,
    spilled: Vec<u8>,
}

impl Text {
    fn new() -> Self {
        Self {
            inline: [0; 160],
            len: 0,
            spilled: Vec::new(),
        }
    }

    fn push_str(&mut self, s: &str) {
        let s = s.as_bytes();
        if self.spilled.is_empty()
            && let Some(room) = self.inline.get_mut(self.len..self.len + s.len())
        {
            room.copy_from_slice(s);
            self.len += s.len();
            return;
        }
        if self.spilled.is_empty() {
            self.spilled.extend_from_slice(&self.inline[..self.len]);
        }
        self.spilled.extend_from_slice(s);
    }

    fn as_bytes(&self) -> &[u8] {
        if self.spilled.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

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
        let mut text = Text::new();
        policy_item(&mut text, name, &quota);
        let value = HeaderValue::from_bytes(text.as_bytes()).ok()?;
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
    let mut map = RateLimitHeaders::default();
    let limits = decision.limits();
    if limits.is_empty() {
        return map;
    }
    let mut state = Text::new();
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
            map.push(RATELIMIT_POLICY, f.value.clone());
        }
        _ => {
            let mut policy = Text::new();
            for (i, l) in limits.iter().enumerate() {
                if i > 0 {
                    policy.push_str(", ");
                }
                policy_item(&mut policy, l.name, &l.quota);
            }
            insert(&mut map, RATELIMIT_POLICY, policy.as_bytes());
        }
    }
    insert(&mut map, RATELIMIT, state.as_bytes());
    if options.legacy
        && let Some(t) = decision.denied_by().or_else(|| decision.tightest())
    {
        let mut digits = itoa::Buffer::new();
        let reset = if t.allowed {
            t.reset_after
        } else {
            t.retry_after
        };
        let legacy = [
            (X_LIMIT, u64::from(t.quota.limit())),
            (X_REMAINING, u64::from(t.remaining)),
            (X_RESET, ceil_secs(reset)),
        ];
        for (name, n) in legacy {
            insert(&mut map, name, digits.format(n).as_bytes());
        }
    }
    map
}

/// `"name";q=limit;w=window`.
fn policy_item(out: &mut Text, name: &str, quota: &Quota) {
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
fn item(out: &mut Text, name: &str, a: &str, first: u64, b: &str, second: u64) {
    let mut digits = itoa::Buffer::new();
    out.push_str("\"");
    out.push_str(name);
    out.push_str("\"");
    out.push_str(a);
    out.push_str(digits.format(first));
    out.push_str(b);
    out.push_str(digits.format(second));
}

fn insert(map: &mut RateLimitHeaders, name: HeaderName, value: &[u8]) {
    if let Ok(v) = HeaderValue::from_bytes(value) {
        map.push(name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_spills_to_the_heap_past_its_inline_room_and_keeps_every_byte() {
        let mut text = Text::new();
        let piece = "\"per-user-limit\";r=99;t=60, ";
        let mut expected = String::new();
        for _ in 0..20 {
            text.push_str(piece);
            expected.push_str(piece);
        }
        assert!(expected.len() > 160);
        assert_eq!(text.as_bytes(), expected.as_bytes());
        let mut short = Text::new();
        short.push_str("abc");
        short.push_str("");
        assert_eq!(short.as_bytes(), b"abc");
        assert!(short.spilled.is_empty());
    }

    #[test]
    fn at_most_five_headers_are_kept_in_order() {
        let mut map = RateLimitHeaders::default();
        for i in 0..7u8 {
            map.push(RATELIMIT, HeaderValue::from(u16::from(i)));
        }
        let values: Vec<_> = map.into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, ["0", "1", "2", "3", "4"]);
    }
}
