//! A script cache emptied under the store (a failover to a replica, an
//! operator's `SCRIPT FLUSH`) costs no degraded answer: the script is sent
//! with its body when its SHA is unknown.
//!
//! A test binary of its own: the flush empties every node's script cache,
//! which other suites running beside it need not see.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::redis::RedisConnection;
use rampart_core::{EventKind, MemorySink};
use rampart_ratelimit::{
    Algorithm, Key, KeyContext, Limit, LoginThrottle, Quota, RateLimiter, RedisStore,
};
use std::sync::Arc;

/// A prefix no other run shares.
fn prefix(test: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("rampart-test:noscript:{test}:{t}:{}", std::process::id())
}

/// Empties the script cache; on a cluster the command reaches every node.
async fn flush(conn: &mut RedisConnection) {
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async::<()>(conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_check_after_a_flush_is_counted_and_none_degrades() {
    for url in rampart_test_support::redis_urls("every_check_after_a_flush_is_counted") {
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        // GCRA alone takes the fast-path script, the others the general one.
        for algorithm in [Algorithm::Gcra, Algorithm::SlidingWindow] {
            let sink = MemorySink::new();
            let store = RedisStore::connect(&url, &prefix("limiter")).await.unwrap();
            let l = RateLimiter::builder()
                .limit(
                    Limit::new("x", Quota::per_hour(5))
                        .key(Key::given())
                        .algorithm(algorithm),
                )
                .redis(store)
                .event_sink(Arc::new(sink.clone()))
                .build()
                .unwrap();
            for remaining in (0..5).rev() {
                flush(&mut conn).await;
                let d = l.check(&KeyContext::new().key("k")).await;
                assert!(d.is_allowed(), "{url} {algorithm:?}: {d:?}");
                assert!(!d.is_degraded(), "{url} {algorithm:?}: {d:?}");
                assert_eq!(d.limits()[0].remaining, remaining, "{url} {algorithm:?}");
            }
            flush(&mut conn).await;
            let d = l.check(&KeyContext::new().key("k")).await;
            assert!(
                !d.is_allowed() && !d.is_degraded(),
                "{url} {algorithm:?}: {d:?}"
            );
            assert_eq!(
                sink.count(EventKind::StoreFailure),
                0,
                "{url} {algorithm:?}"
            );
        }
    }
}

#[tokio::test]
async fn login_failures_after_a_flush_are_counted() {
    for url in rampart_test_support::redis_urls("login_failures_after_a_flush") {
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        let sink = MemorySink::new();
        let store = RedisStore::connect(&url, &prefix("login")).await.unwrap();
        let t = LoginThrottle::builder()
            .redis(store)
            .event_sink(Arc::new(sink.clone()))
            .build()
            .unwrap();
        let ip: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        let mut locked = false;
        for _ in 0..50 {
            flush(&mut conn).await;
            if !t.record_failure("alice", ip).await.is_allowed() {
                locked = true;
                break;
            }
        }
        assert!(locked, "{url}: failures after flushes were not counted");
        flush(&mut conn).await;
        assert!(!t.check("alice", ip).await.is_allowed(), "{url}");
        assert_eq!(sink.count(EventKind::StoreFailure), 0, "{url}");
        assert_eq!(sink.count(EventKind::AccountLocked), 1, "{url}");
    }
}

/// A Redis node of this test's own on a free loopback port, stopped when
/// dropped: the flush storm below must not reach the shared servers.
struct PrivateRedis {
    child: std::process::Child,
    url: String,
}

impl PrivateRedis {
    /// Starts it when this machine runs the Redis suites (`REDIS_URL` set),
    /// or `None` after a printed skip.
    async fn start(test: &str) -> Option<Self> {
        rampart_test_support::service_url("REDIS_URL", test)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs");
        let node = Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if RedisConnection::connect(&node.url).await.is_ok() {
                return Some(node);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{test}: the private redis-server did not answer");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Flushes as fast as the server answers while checks run: a flush can land
/// between a reload and the call that needs it, which a reload-and-retry
/// store answers with an error. Every check must still count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checks_during_a_flush_storm_all_count() {
    let Some(node) = PrivateRedis::start("checks_during_a_flush_storm").await else {
        return;
    };
    let sink = MemorySink::new();
    let store = RedisStore::connect(&node.url, &prefix("storm"))
        .await
        .unwrap();
    let l = RateLimiter::builder()
        .limit(Limit::new("x", Quota::per_hour(10_000)).key(Key::given()))
        .redis(store)
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut conn = RedisConnection::connect(&node.url).await.unwrap();
    let flusher = {
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut flushes = 0u32;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                flush(&mut conn).await;
                flushes += 1;
            }
            flushes
        })
    };
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let l = l.clone();
        tasks.push(tokio::spawn(async move {
            let mut degraded = 0u32;
            for _ in 0..100 {
                let d = l.check(&KeyContext::new().key("k")).await;
                degraded += u32::from(d.is_degraded() || !d.is_allowed());
            }
            degraded
        }));
    }
    let mut degraded = 0;
    for t in tasks {
        degraded += t.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let flushes = flusher.await.unwrap();
    assert!(flushes > 10, "only {flushes} flushes ran");
    assert_eq!(degraded, 0, "of 800 checks during {flushes} flushes");
    assert_eq!(sink.count(EventKind::StoreFailure), 0);
    // 800 taken; GCRA refills about 3 an hour's second while the test runs.
    let left = l.check(&KeyContext::new().key("k")).await.limits()[0].remaining;
    assert!((10_000 - 801..10_000 - 780).contains(&left), "{left} left");
}
