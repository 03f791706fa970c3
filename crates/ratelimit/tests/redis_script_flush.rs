//! A flushed script cache (a failover to a replica, an operator's `SCRIPT
//! FLUSH`) is reloaded without a degraded answer.
//!
//! A test binary of its own: the flush empties every node's script cache, and
//! a check of another test caught between its reload and its second
//! `EVALSHA` would fail closed, so this must not run beside the other Redis
//! tests.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_ratelimit::{Key, KeyContext, Limit, Quota, RateLimiter, RedisStore};

/// A prefix no other run shares.
fn prefix() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("rampart-test:noscript:{t}:{}", std::process::id())
}

#[tokio::test]
async fn a_flushed_script_cache_is_reloaded() {
    for url in rampart_test_support::redis_urls("a_flushed_script_cache_is_reloaded") {
        let l = limiter(
            &url,
            &prefix(),
            Limit::new("x", Quota::per_hour(5)).key(Key::given()),
        )
        .await;
        assert!(l.check(&key("k")).await.is_allowed());
        // On a cluster the flush reaches every node.
        let mut conn = rampart_core::redis::RedisConnection::connect(&url)
            .await
            .unwrap();
        redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        let d = l.check(&key("k")).await;
        assert!(d.is_allowed() && !d.is_degraded());
        assert_eq!(d.limits()[0].remaining, 3);
    }
}

async fn limiter(url: &str, prefix: &str, limit: Limit) -> RateLimiter {
    let store = RedisStore::connect(url, prefix).await.unwrap();
    RateLimiter::builder()
        .limit(limit)
        .redis(store)
        .build()
        .unwrap()
}

fn key(k: &str) -> KeyContext<'_> {
    KeyContext::new().key(k)
}
