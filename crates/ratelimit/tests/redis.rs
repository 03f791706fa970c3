//! The Redis store: one quota across instances, exactness under concurrency,
//! every algorithm, fail modes and recovery through a relay that can be cut.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{EventKind, MemorySink};
use rampart_ratelimit::{
    Algorithm, Key, KeyContext, Limit, Quota, RateLimiter, RedisStore, Verdict,
};
use rampart_test_support::Relay;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn redis_url(test: &str) -> Option<String> {
    rampart_test_support::service_url("REDIS_URL", test)
}

/// The single node and the cluster, each announced so a failure names it.
fn redis_targets(test: &str) -> Vec<String> {
    let urls = rampart_test_support::redis_urls(test);
    for url in &urls {
        eprintln!("{test}: on {url}");
    }
    urls
}

/// A prefix no other run shares.
fn prefix(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "rampart-test:{test}:{t}:{}",
        N.fetch_add(1, Ordering::Relaxed)
    )
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_quota() {
    for url in redis_targets("two_instances_share_one_quota") {
        let p = prefix("shared");
        let limit = || Limit::new("api", Quota::per_hour(20)).key(Key::given());
        let a = limiter(&url, &p, limit()).await;
        let b = limiter(&url, &p, limit()).await;
        assert!(!a.is_local());
        assert!(a.check_now(&key("k")).is_none());
        let mut admitted = 0;
        for i in 0..60 {
            let l = if i % 2 == 0 { &a } else { &b };
            admitted += u32::from(l.check(&key("k")).await.is_allowed());
        }
        assert_eq!(admitted, 20);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_admit_exactly_the_quota() {
    for url in redis_targets("many_tasks_admit_exactly_the_quota") {
        for a in Algorithm::ALL {
            let p = prefix("concurrent");
            let l = limiter(
                &url,
                &p,
                Limit::new("api", Quota::per_hour(50))
                    .key(Key::given())
                    .algorithm(a),
            )
            .await;
            let admitted = Arc::new(AtomicU32::new(0));
            let mut tasks = Vec::new();
            for _ in 0..20 {
                let (l, admitted) = (l.clone(), Arc::clone(&admitted));
                tasks.push(tokio::spawn(async move {
                    for _ in 0..10 {
                        if l.check(&key("hot")).await.is_allowed() {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            let n = admitted.load(Ordering::Relaxed);
            // Bucket algorithms may refill one request while the tasks run (one
            // per 72 s here); windows may roll over once at a boundary.
            assert!((50..=51).contains(&n), "{a:?} admitted {n}");
        }
    }
}

#[tokio::test]
async fn every_algorithm_admits_the_limit_then_refuses_with_a_retry() {
    for url in redis_targets("every_algorithm_admits_the_limit_then_refuses_with_a_retry") {
        for a in Algorithm::ALL {
            let l = limiter(
                &url,
                &prefix("algos"),
                Limit::new("x", Quota::per_hour(3))
                    .key(Key::given())
                    .algorithm(a),
            )
            .await;
            for i in 0..3u32 {
                let d = l.check(&key("k")).await;
                assert!(d.is_allowed(), "{a:?} #{i}");
                // Fixed and sliding windows may straddle a boundary; the rest count down.
                if matches!(
                    a,
                    Algorithm::Gcra
                        | Algorithm::TokenBucket
                        | Algorithm::LeakyBucket
                        | Algorithm::SlidingLog
                ) {
                    assert_eq!(d.limits()[0].remaining, 2 - i, "{a:?}");
                }
            }
            let d = l.check(&key("k")).await;
            assert_eq!(d.verdict(), Verdict::Limited, "{a:?}");
            let retry = d.retry_after();
            assert!(
                retry > Duration::ZERO && retry <= Duration::from_secs(7200),
                "{a:?} {retry:?}"
            );
            assert!(l.check(&key("other")).await.is_allowed(), "{a:?}");
        }
    }
}

#[tokio::test]
async fn multi_level_refusal_consumes_nothing_in_redis() {
    for url in redis_targets("multi_level_refusal_consumes_nothing_in_redis") {
        let store = RedisStore::connect(&url, &prefix("multi")).await.unwrap();
        let l = RateLimiter::builder()
            .limit(Limit::new("tenant", Quota::per_hour(10)).key(Key::tenant()))
            .limit(Limit::new("user", Quota::per_hour(1)).key(Key::subject()))
            .redis(store)
            .build()
            .unwrap();
        let bob = KeyContext::new().tenant("acme").subject("bob");
        assert!(l.check(&bob).await.is_allowed());
        for _ in 0..20 {
            let d = l.check(&bob).await;
            assert_eq!(d.denied_by().unwrap().name, "user");
        }
        let carol = KeyContext::new().tenant("acme").subject("carol");
        let d = l.check(&carol).await;
        assert!(d.is_allowed());
        assert_eq!(
            d.limits()[0].remaining,
            8,
            "bob's refusals were counted for the tenant"
        );
    }
}

#[tokio::test]
async fn gcra_beside_other_algorithms_keeps_one_state_with_the_gcra_only_path() {
    for url in redis_targets("gcra_beside_other_algorithms_keeps_one_state_with_the_gcra_only_path")
    {
        let prefix = prefix("mixed");
        let ip = || {
            Limit::new(
                "ip",
                Quota::per_hour(3).with_penalty(Duration::from_secs(600)),
            )
            .key(Key::tenant())
        };
        // A GCRA level beside a token bucket: the general script decides.
        let mixed = RateLimiter::builder()
            .limit(ip())
            .limit(
                Limit::new("user", Quota::per_hour(100))
                    .key(Key::subject())
                    .algorithm(Algorithm::TokenBucket),
            )
            .redis(RedisStore::connect(&url, &prefix).await.unwrap())
            .build()
            .unwrap();
        // The same limiter for a caller without a subject: only the GCRA
        // level applies, so the GCRA-only script decides.
        struct Alone<'a>(&'a RateLimiter);
        impl Alone<'_> {
            async fn check(&self, ctx: &KeyContext<'_>) -> rampart_ratelimit::Decision {
                let tenant = ctx.tenant_str().unwrap();
                self.0.check(&KeyContext::new().tenant(tenant)).await
            }
        }
        let alone = Alone(&mixed);
        let bob = KeyContext::new().tenant("10.0.0.1").subject("bob");
        assert!(mixed.check(&bob).await.is_allowed());
        let d = alone.check(&bob).await;
        assert!(d.is_allowed());
        assert_eq!(
            d.limits()[0].remaining,
            1,
            "the scripts disagree on GCRA state"
        );
        let d = mixed.check(&bob).await;
        assert!(d.is_allowed());
        assert_eq!(d.limits()[0].remaining, 0);
        assert_eq!(d.limits()[1].remaining, 98);
        // Refused by the GCRA level in the general script: the penalty starts,
        // the token bucket is not charged, and the GCRA-only path sees the block.
        let d = mixed.check(&bob).await;
        assert_eq!(d.denied_by().unwrap().name, "ip");
        assert_eq!(d.limits()[1].remaining, 98);
        let d = alone.check(&bob).await;
        assert!(d.limits()[0].blocked, "penalty not shared: {d:?}");
        assert!(d.retry_after() > Duration::from_secs(590));
        // And a penalty started by the GCRA-only script holds in the general one.
        let carol = KeyContext::new().tenant("10.0.0.2").subject("carol");
        for _ in 0..3 {
            assert!(alone.check(&carol).await.is_allowed());
        }
        assert!(!alone.check(&carol).await.is_allowed());
        let d = mixed.check(&carol).await;
        assert!(d.limits()[0].blocked, "penalty not shared: {d:?}");
        assert_eq!(
            d.limits()[1].remaining,
            100,
            "a refused check charged the user"
        );
    }
}

#[tokio::test]
async fn penalty_is_kept_in_redis() {
    for url in redis_targets("penalty_is_kept_in_redis") {
        let l = limiter(
            &url,
            &prefix("penalty"),
            Limit::new(
                "x",
                // One request per 500 ms: the second check comes well
                // within that even on a loaded machine or a cluster.
                Quota::per_second(2)
                    .with_burst(1)
                    .with_penalty(Duration::from_secs(30)),
            )
            .key(Key::given()),
        )
        .await;
        assert!(l.check(&key("k")).await.is_allowed());
        assert!(!l.check(&key("k")).await.is_allowed());
        tokio::time::sleep(Duration::from_millis(600)).await; // the quota alone would admit again
        let d = l.check(&key("k")).await;
        assert!(!d.is_allowed());
        assert!(d.limits()[0].blocked);
        assert!(d.retry_after() > Duration::from_secs(29));
    }
}

#[tokio::test]
async fn a_sliding_log_refuses_until_its_oldest_request_leaves_the_window() {
    for url in redis_targets("a_sliding_log_refuses_until_its_oldest_request_leaves_the_window") {
        // An hour: a GCRA of the same quota would admit again in 20 minutes,
        // so this tells the general script from the GCRA-only one.
        let l = limiter(
            &url,
            &prefix("sliding-log"),
            Limit::new("x", Quota::per_hour(3))
                .key(Key::given())
                .algorithm(Algorithm::SlidingLog),
        )
        .await;
        for _ in 0..3 {
            assert!(l.check(&key("k")).await.is_allowed());
        }
        let d = l.check(&key("k")).await;
        assert_eq!(d.verdict(), Verdict::Limited);
        let retry = d.retry_after();
        assert!(
            retry > Duration::from_secs(3500) && retry <= Duration::from_secs(3600),
            "{retry:?}"
        );
    }
}

async fn through_relay(relay: &Relay, sink: &MemorySink, mode: &str) -> RateLimiter {
    through_relay_keyed(relay, sink, mode, Key::given()).await
}

async fn through_relay_keyed(relay: &Relay, sink: &MemorySink, mode: &str, k: Key) -> RateLimiter {
    let store =
        RedisStore::connect_with_timeout(&relay.url, &prefix("relay"), Duration::from_millis(300))
            .await
            .unwrap();
    let b = RateLimiter::builder()
        .limit(Limit::new("x", Quota::per_hour(2)).key(k))
        .redis(store)
        .event_sink(Arc::new(sink.clone()));
    match mode {
        "open" => b.insecure_fail_open(),
        "memory" => b.fail_over_to_memory(),
        _ => b,
    }
    .build()
    .unwrap()
}

/// Checks until Redis answers again (the connection manager reconnects in
/// the background), without a restart.
async fn until_recovered(l: &RateLimiter) -> rampart_ratelimit::Decision {
    for _ in 0..100 {
        let d = l.check(&key("after")).await;
        if !d.is_degraded() {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the limiter did not recover after Redis came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_closed_by_default_and_recovers() {
    let Some(url) = redis_url("redis_down_fails_closed_by_default_and_recovers") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let sink = MemorySink::new();
    let l = through_relay(&relay, &sink, "closed").await;
    assert!(l.check(&key("k")).await.is_allowed());
    relay.cut();
    let d = l.check(&key("k")).await;
    assert_eq!(d.verdict(), Verdict::Unavailable);
    assert!(d.is_degraded());
    assert!(sink.count(EventKind::StoreFailure) >= 1);
    relay.restore();
    let d = until_recovered(&l).await;
    assert!(d.is_allowed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_open_when_asked_and_says_so() {
    let Some(url) = redis_url("redis_down_fails_open_when_asked_and_says_so") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let sink = MemorySink::new();
    let l = through_relay(&relay, &sink, "open").await;
    relay.cut();
    for _ in 0..5 {
        let d = l.check(&key("k")).await;
        assert!(d.is_allowed() && d.is_degraded());
    }
    assert!(sink.count(EventKind::StoreFailure) >= 5);
    relay.restore();
    until_recovered(&l).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_falls_back_to_local_memory() {
    let Some(url) = redis_url("redis_down_falls_back_to_local_memory") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let sink = MemorySink::new();
    let l = through_relay(&relay, &sink, "memory").await;
    relay.cut();
    let outcomes: Vec<bool> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(l.check(&key("k")).await.is_allowed());
        }
        v
    };
    assert_eq!(
        outcomes,
        [true, true, false, false],
        "local quota not enforced"
    );
    assert!(sink.count(EventKind::StoreFailure) >= 4);
    relay.restore();
    until_recovered(&l).await;
}

#[tokio::test]
async fn an_unreachable_redis_at_start_is_an_error() {
    let Some(_) = redis_url("an_unreachable_redis_at_start_is_an_error") else {
        return;
    };
    let err =
        RedisStore::connect_with_timeout("redis://127.0.0.1:1", "x", Duration::from_millis(200))
            .await
            .unwrap_err();
    assert!(err.to_string().contains("redis"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layer_answers_503_with_retry_after_while_redis_is_down() {
    use http::{Request, Response, StatusCode};
    use rampart_ratelimit::{RateLimitLayer, RateLimitRejection};
    use tower::{Layer, ServiceExt};
    let Some(url) = redis_url("the_layer_answers_503_with_retry_after_while_redis_is_down") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let sink = MemorySink::new();
    let l = through_relay_keyed(&relay, &sink, "closed", Key::fixed("all")).await;
    let svc = RateLimitLayer::new(l).layer(tower::service_fn(|_req: Request<()>| async {
        Ok::<_, std::convert::Infallible>(Response::new(bytes::Bytes::from_static(b"ok")))
    }));
    let ok = svc.clone().oneshot(Request::new(())).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.headers().contains_key("ratelimit"));
    relay.cut();
    let down = svc.clone().oneshot(Request::new(())).await.unwrap();
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.headers()["retry-after"], "5");
    assert_eq!(
        down.extensions().get::<RateLimitRejection>(),
        Some(&RateLimitRejection::Unavailable)
    );
    assert!(sink.count(EventKind::StoreFailure) >= 1);
}

mod login {
    use super::*;
    use rampart_ratelimit::{LoginDecision, LoginThrottle, LoginThrottleBuilder, ThrottleReason};

    async fn throttle(url: &str, prefix: &str, sink: &MemorySink) -> LoginThrottle {
        let store = RedisStore::connect(url, prefix).await.unwrap();
        LoginThrottle::builder()
            .redis(store)
            .event_sink(Arc::new(sink.clone()))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn two_instances_share_failures_and_success_resets() {
        for url in redis_targets("login_two_instances_share_failures") {
            let p = prefix("login");
            let sink = MemorySink::new();
            let (a, b) = (
                throttle(&url, &p, &sink).await,
                throttle(&url, &p, &sink).await,
            );
            let ip: std::net::IpAddr = "203.0.113.5".parse().unwrap();
            for i in 0..4 {
                let t = if i % 2 == 0 { &a } else { &b };
                t.record_failure(
                    if i % 2 == 0 {
                        "Alice"
                    } else {
                        "ａｌｉｃｅ"
                    },
                    ip,
                )
                .await;
            }
            b.record_success("alice", ip).await;
            for _ in 0..4 {
                a.record_failure("alice", ip).await;
            }
            assert!(b.check("alice", ip).await.is_allowed());
            let d = b.record_failure("alice", ip).await;
            match d {
                LoginDecision::Throttled {
                    reason: ThrottleReason::UserLocked,
                    retry_after,
                } => assert!(retry_after > Duration::from_secs(1790), "{retry_after:?}"),
                other => panic!("not locked: {other:?}"),
            }
            assert!(!a.check("ALICE", ip).await.is_allowed());
            assert_eq!(sink.count(EventKind::AccountLocked), 1);
        }
    }

    #[tokio::test]
    async fn an_address_is_blocked_across_instances() {
        for url in redis_targets("login_an_address_is_blocked_across_instances") {
            let p = prefix("login-ip");
            let sink = MemorySink::new();
            let (a, b) = (
                throttle(&url, &p, &sink).await,
                throttle(&url, &p, &sink).await,
            );
            let ip: std::net::IpAddr = "2001:db8:9::1".parse().unwrap();
            for i in 0..20 {
                let t = if i % 2 == 0 { &a } else { &b };
                t.record_failure(&format!("u{i}"), ip).await;
            }
            let d = a.check("someone", "2001:db8:9::2".parse().unwrap()).await;
            assert!(matches!(
                d,
                LoginDecision::Throttled {
                    reason: ThrottleReason::IpBlocked,
                    ..
                }
            ));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn store_down_fails_closed_then_recovers() {
        let Some(url) = redis_url("login_store_down_fails_closed_then_recovers") else {
            return;
        };
        let relay = Relay::start(&url).await;
        let sink = MemorySink::new();
        let store = RedisStore::connect_with_timeout(
            &relay.url,
            &prefix("login-down"),
            Duration::from_millis(300),
        )
        .await
        .unwrap();
        let t = LoginThrottle::builder()
            .redis(store)
            .event_sink(Arc::new(sink.clone()))
            .build()
            .unwrap();
        let ip: std::net::IpAddr = "203.0.113.5".parse().unwrap();
        assert!(t.check("alice", ip).await.is_allowed());
        relay.cut();
        assert_eq!(t.check("alice", ip).await, LoginDecision::Unavailable);
        assert!(sink.count(EventKind::StoreFailure) >= 1);
        relay.restore();
        for _ in 0..100 {
            if t.check("alice", ip).await.is_allowed() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the throttle did not recover");
    }

    async fn throttle_with(
        url: &str,
        prefix: &str,
        sink: &MemorySink,
        configure: impl FnOnce(LoginThrottleBuilder) -> LoginThrottleBuilder,
    ) -> LoginThrottle {
        let store = RedisStore::connect(url, prefix).await.unwrap();
        configure(LoginThrottle::builder())
            .redis(store)
            .event_sink(Arc::new(sink.clone()))
            .build()
            .unwrap()
    }

    /// The wait a throttled decision asks for, with its reason.
    fn throttled(d: LoginDecision) -> (ThrottleReason, Duration) {
        match d {
            LoginDecision::Throttled {
                reason,
                retry_after,
            } => (reason, retry_after),
            other => panic!("not throttled: {other:?}"),
        }
    }

    #[tokio::test]
    async fn backoff_doubles_up_to_its_maximum_across_instances() {
        for url in redis_targets("login_backoff_doubles_up_to_its_maximum") {
            let p = prefix("login-backoff");
            let sink = MemorySink::new();
            let backoff = |b: LoginThrottleBuilder| {
                b.exponential_backoff(Duration::from_secs(2), Duration::from_secs(5))
            };
            let a = throttle_with(&url, &p, &sink, backoff).await;
            let b = throttle_with(&url, &p, &sink, backoff).await;
            let ip: std::net::IpAddr = "203.0.113.7".parse().unwrap();
            let (reason, wait) = throttled(a.record_failure("bob", ip).await);
            assert_eq!(reason, ThrottleReason::UserBackoff);
            assert!(
                wait > Duration::from_secs(1) && wait <= Duration::from_secs(2),
                "{wait:?}"
            );
            let (reason, wait) = throttled(b.check("bob", ip).await);
            assert_eq!(reason, ThrottleReason::UserBackoff);
            assert!(wait <= Duration::from_secs(2), "{wait:?}");
            // The third failure would wait 8 s; the maximum caps it at 5 s.
            b.record_failure("bob", ip).await;
            let (reason, wait) = throttled(a.record_failure("bob", ip).await);
            assert_eq!(reason, ThrottleReason::UserBackoff);
            assert!(
                wait > Duration::from_secs(4) && wait <= Duration::from_secs(5),
                "{wait:?}"
            );
            assert!(a.check("carol", ip).await.is_allowed());
            assert_eq!(sink.count(EventKind::AccountLocked), 0);
        }
    }

    #[tokio::test]
    async fn the_failure_window_and_the_lockout_are_kept_as_configured() {
        for url in redis_targets("login_failure_window_and_lockout_as_configured") {
            let p = prefix("login-window");
            let sink = MemorySink::new();
            let t = throttle_with(&url, &p, &sink, |b| {
                b.user_failures(3, Duration::from_secs(1))
                    .user_lockout(Duration::from_secs(60))
            })
            .await;
            let ip: std::net::IpAddr = "203.0.113.8".parse().unwrap();
            t.record_failure("dave", ip).await;
            t.record_failure("dave", ip).await;
            // The window passes: the count starts again.
            tokio::time::sleep(Duration::from_millis(1200)).await;
            assert!(t.record_failure("dave", ip).await.is_allowed());
            assert!(t.record_failure("dave", ip).await.is_allowed());
            let (reason, wait) = throttled(t.record_failure("dave", ip).await);
            assert_eq!(reason, ThrottleReason::UserLocked);
            assert!(
                wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
                "{wait:?}"
            );
            assert_eq!(sink.count(EventKind::AccountLocked), 1);
        }
    }

    #[tokio::test]
    async fn an_address_block_is_announced_once_and_lasts_as_configured() {
        for url in redis_targets("login_an_address_block_is_announced_once") {
            let p = prefix("login-ip-block");
            let sink = MemorySink::new();
            let t = throttle_with(&url, &p, &sink, |b| {
                b.ip_failures(2, Duration::from_secs(900))
                    .ip_block(Duration::from_secs(60))
            })
            .await;
            let ip: std::net::IpAddr = "198.51.100.9".parse().unwrap();
            assert!(t.record_failure("erin", ip).await.is_allowed());
            assert_eq!(sink.count(EventKind::AccountLocked), 0);
            let (reason, wait) = throttled(t.record_failure("frank", ip).await);
            assert_eq!(reason, ThrottleReason::IpBlocked);
            assert!(
                wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
                "{wait:?}"
            );
            let (reason, _) = throttled(t.check("grace", ip).await);
            assert_eq!(reason, ThrottleReason::IpBlocked);
            let locked: Vec<_> = sink
                .events()
                .into_iter()
                .filter(|e| e.kind == EventKind::AccountLocked)
                .collect();
            assert_eq!(locked.len(), 1, "{locked:?}");
            assert_eq!(locked[0].fields["scope"], "ip");
        }
    }
}
