//! The plain API: windows and refills under a manual clock, exactness under
//! concurrency, per-tenant quotas, multi-level policies, events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{EventKind, ManualClock, MemorySink};
use rampart_ratelimit::{
    Algorithm, ConfigError, Key, KeyContext, Limit, MemoryStore, MissingKey, Quota, RateLimiter,
    Verdict,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const ALL: [Algorithm; 6] = Algorithm::ALL;

fn limiter(limit: Limit, clock: &ManualClock) -> RateLimiter {
    RateLimiter::builder()
        .limit(limit)
        .clock(clock.shared())
        .build()
        .unwrap()
}

fn at(key: &str) -> KeyContext<'_> {
    KeyContext::new().key(key)
}

#[test]
fn every_algorithm_recovers_after_one_period_under_the_manual_clock() {
    for a in ALL {
        let clock = ManualClock::at_unix(1_700_000_040);
        let l = limiter(
            Limit::new("x", Quota::per_minute(3))
                .key(Key::given())
                .algorithm(a),
            &clock,
        );
        for _ in 0..3 {
            assert!(l.check_now(&at("k")).unwrap().is_allowed(), "{a:?}");
        }
        let refused = l.check_now(&at("k")).unwrap();
        assert_eq!(refused.verdict(), Verdict::Limited, "{a:?}");
        assert!(refused.retry_after() > Duration::ZERO);
        // The sliding counter weighs the previous window, so it may ask for
        // up to two periods; the others at most one.
        let most = if a == Algorithm::SlidingWindow {
            120
        } else {
            60
        };
        assert!(refused.retry_after() <= Duration::from_secs(most), "{a:?}");
        // Another key is untouched.
        assert!(l.check_now(&at("other")).unwrap().is_allowed(), "{a:?}");
        clock.advance(refused.retry_after());
        assert!(
            l.check_now(&at("k")).unwrap().is_allowed(),
            "{a:?} after retry_after"
        );
        clock.advance(Duration::from_secs(120));
        for _ in 0..3 {
            assert!(
                l.check_now(&at("k")).unwrap().is_allowed(),
                "{a:?} after a quiet spell"
            );
        }
    }
}

#[test]
fn penalty_keeps_the_key_out_for_the_whole_time() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let l = limiter(
        Limit::new(
            "x",
            Quota::per_minute(2).with_penalty(Duration::from_secs(60)),
        )
        .key(Key::given()),
        &clock,
    );
    l.check_now(&at("k"));
    l.check_now(&at("k"));
    assert!(!l.check_now(&at("k")).unwrap().is_allowed());
    clock.advance(Duration::from_secs(59));
    let d = l.check_now(&at("k")).unwrap();
    assert!(!d.is_allowed());
    assert!(d.limits()[0].blocked);
    assert_eq!(d.retry_after(), Duration::from_secs(1));
    clock.advance(Duration::from_secs(1));
    assert!(l.check_now(&at("k")).unwrap().is_allowed());
}

#[test]
fn many_threads_on_one_key_admit_exactly_the_quota() {
    for a in ALL {
        let l = RateLimiter::new(
            Limit::new("x", Quota::per_hour(1000))
                .key(Key::given())
                .algorithm(a),
        )
        .unwrap();
        let admitted = Arc::new(AtomicU32::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                let (l, admitted) = (l.clone(), Arc::clone(&admitted));
                s.spawn(move || {
                    for _ in 0..500 {
                        if l.check_now(&at("hot")).unwrap().is_allowed() {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        // 4000 attempts within far less than 3.6 s (one emission interval):
        // GCRA-family limiters admit the burst and at most one refill.
        let n = admitted.load(Ordering::Relaxed);
        assert!((1000..=1001).contains(&n), "{a:?} admitted {n}");
    }
}

#[test]
fn multi_level_refusal_consumes_nothing_and_concurrency_stays_exact() {
    let l = RateLimiter::builder()
        .limit(Limit::new("tenant", Quota::per_hour(100)).key(Key::tenant()))
        .limit(Limit::new("user", Quota::per_hour(30)).key(Key::subject()))
        .build()
        .unwrap();
    let admitted: HashMap<&str, u32> = std::thread::scope(|s| {
        let handles: Vec<_> = ["u1", "u2", "u3", "u4", "u5"]
            .into_iter()
            .map(|user| {
                let l = l.clone();
                s.spawn(move || {
                    let mut n = 0;
                    for _ in 0..50 {
                        let ctx = KeyContext::new().tenant("acme").subject(user);
                        n += u32::from(l.check_now(&ctx).unwrap().is_allowed());
                    }
                    (user, n)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: u32 = admitted.values().sum();
    assert_eq!(total, 100, "{admitted:?}");
    assert!(admitted.values().all(|&n| n <= 30), "{admitted:?}");
}

#[test]
fn tenants_get_their_plans_quota() {
    let plans: HashMap<String, Quota> = [
        ("gold".to_owned(), Quota::per_minute(5)),
        ("broken".to_owned(), Quota::per_minute(0)),
    ]
    .into_iter()
    .collect();
    let sink = MemorySink::new();
    let l = RateLimiter::builder()
        .limit(
            Limit::new("tenant", Quota::per_minute(2))
                .key(Key::tenant())
                .quotas_from(plans),
        )
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let count = |tenant: &str| {
        (0..10)
            .filter(|_| {
                l.check_now(&KeyContext::new().tenant(tenant))
                    .unwrap()
                    .is_allowed()
            })
            .count()
    };
    assert_eq!(count("gold"), 5);
    assert_eq!(count("free"), 2);
    // A plan the source got wrong falls back to the default, and says so.
    assert_eq!(count("broken"), 2);
    assert!(sink.count(EventKind::ConfigurationChanged) >= 1);
}

#[test]
fn missing_keys_skip_or_share() {
    let l = RateLimiter::builder()
        .limit(Limit::new("ip", Quota::per_minute(2)))
        .limit(Limit::new("user", Quota::per_minute(1)).key(Key::subject()))
        .build()
        .unwrap();
    // No address and no subject: the IP limit charges one shared key, the user limit skips.
    let anon = KeyContext::new();
    let d = l.check_now(&anon).unwrap();
    assert_eq!(d.limits().len(), 1);
    assert!(d.is_allowed());
    assert!(l.check_now(&anon).unwrap().is_allowed());
    assert!(!l.check_now(&anon).unwrap().is_allowed());

    let skip =
        RateLimiter::new(Limit::new("ip", Quota::per_minute(1)).when_key_missing(MissingKey::Skip))
            .unwrap();
    for _ in 0..5 {
        assert!(skip.check_now(&anon).unwrap().is_allowed());
    }
}

#[test]
fn ipv6_clients_in_one_64_share_a_quota() {
    let l = RateLimiter::new(Limit::new("ip", Quota::per_minute(2))).unwrap();
    let ip = |s: &str| KeyContext::new().ip(s.parse().unwrap());
    assert!(l.check_now(&ip("2001:db8:0:1::1")).unwrap().is_allowed());
    assert!(l.check_now(&ip("2001:db8:0:1::2")).unwrap().is_allowed());
    assert!(
        !l.check_now(&ip("2001:db8:0:1:abcd::3"))
            .unwrap()
            .is_allowed()
    );
    assert!(l.check_now(&ip("2001:db8:0:2::1")).unwrap().is_allowed());
}

#[test]
fn refusals_are_reported_with_the_limit() {
    let sink = MemorySink::new();
    let l = RateLimiter::builder()
        .limit(Limit::new("user", Quota::per_minute(1)).key(Key::subject()))
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let ctx = KeyContext::new().subject("bob");
    l.check_now(&ctx);
    assert_eq!(sink.count(EventKind::RateLimited), 0);
    l.check_now(&ctx);
    let events = sink.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::RateLimited);
    assert_eq!(events[0].subject.as_deref(), Some("bob"));
    assert_eq!(events[0].fields["limit"], "user");
}

#[test]
fn a_flood_of_refusals_is_reported_once_per_key_and_second() {
    let sink = MemorySink::new();
    let clock = ManualClock::at_unix(1_000_000);
    let l = RateLimiter::builder()
        .limit(Limit::new("user", Quota::per_minute(1)).key(Key::subject()))
        .event_sink(Arc::new(sink.clone()))
        .clock(clock.shared())
        .build()
        .unwrap();
    let bob = KeyContext::new().subject("bob");
    let eve = KeyContext::new().subject("eve");
    for _ in 0..1_000 {
        l.check_now(&bob);
    }
    // Every one of them refused but the first; one event says so.
    assert!(!l.check_now(&bob).unwrap().is_allowed());
    assert_eq!(sink.count(EventKind::RateLimited), 1);
    // Another key is reported on its own, in the same second.
    l.check_now(&eve);
    l.check_now(&eve);
    l.check_now(&eve);
    let subjects: Vec<_> = sink
        .events()
        .iter()
        .map(|e| e.subject.clone().unwrap())
        .collect();
    assert_eq!(subjects, ["bob", "eve"]);
    // The next second, bob's refusals are reported again, once.
    clock.advance(Duration::from_secs(1));
    for _ in 0..100 {
        l.check_now(&bob);
    }
    assert_eq!(sink.count(EventKind::RateLimited), 3);
}

#[test]
fn refusals_by_a_later_limit_are_told_apart_by_that_limit_s_key() {
    let sink = MemorySink::new();
    let clock = ManualClock::at_unix(1_000_000);
    let l = RateLimiter::builder()
        .limit(Limit::new("tenant", Quota::per_minute(1_000)).key(Key::tenant()))
        .limit(Limit::new("user", Quota::per_minute(1)).key(Key::subject()))
        .event_sink(Arc::new(sink.clone()))
        .clock(clock.shared())
        .build()
        .unwrap();
    // Two users of one tenant, and one without a tenant (that limit skipped).
    let bob = KeyContext::new().subject("bob").tenant("acme");
    let eve = KeyContext::new().subject("eve").tenant("acme");
    let ann = KeyContext::new().subject("ann");
    for ctx in [&bob, &eve, &ann] {
        for _ in 0..5 {
            l.check_now(ctx);
        }
    }
    let events = sink.events();
    let subjects: Vec<_> = events.iter().map(|e| e.subject.clone().unwrap()).collect();
    // Each user's flood is one event, though bob and eve share the tenant key.
    assert_eq!(subjects, ["bob", "eve", "ann"]);
    assert!(events.iter().all(|e| e.fields["limit"] == "user"));
}

#[test]
fn build_refuses_bad_configs() {
    let q = Quota::per_minute(1);
    assert_eq!(
        RateLimiter::builder().build().unwrap_err(),
        ConfigError::NoLimits
    );
    assert!(matches!(
        RateLimiter::builder()
            .limit(Limit::new("a", q))
            .limit(Limit::new("a", q))
            .build(),
        Err(ConfigError::DuplicateName(_))
    ));
    for bad in ["", "a b", "a\"b", "ä"] {
        assert!(matches!(
            RateLimiter::new(Limit::new(bad, q)),
            Err(ConfigError::InvalidName(_))
        ));
    }
    assert!(matches!(
        RateLimiter::new(Limit::new("a", Quota::per_minute(0))),
        Err(ConfigError::Quota { .. })
    ));
    assert!(matches!(
        RateLimiter::new(Limit::new("a", q).key(Key::client_ip_grouped(32, 130))),
        Err(ConfigError::Prefix { .. })
    ));
    assert_eq!(
        RateLimiter::builder()
            .limit(Limit::new("a", q))
            .memory(MemoryStore::new().max_keys(0))
            .build()
            .unwrap_err(),
        ConfigError::Capacity
    );
}

#[tokio::test]
async fn async_check_matches_check_now_in_memory() {
    let l = RateLimiter::new(Limit::new("x", Quota::per_minute(1)).key(Key::given())).unwrap();
    assert!(l.is_local());
    assert!(l.check(&at("k")).await.is_allowed());
    assert!(!l.check(&at("k")).await.is_allowed());
    assert!(!l.check_now(&at("k")).unwrap().is_allowed());
}

#[test]
fn a_limiter_lists_its_limits_and_says_where_it_counts() {
    let l = RateLimiter::builder()
        .limit(Limit::new("ip", Quota::per_minute(10)).key(Key::client_ip()))
        .limit(Limit::new("user", Quota::per_minute(5)).key(Key::subject()))
        .build()
        .unwrap();
    let names: Vec<&str> = l.limits().iter().map(|limit| limit.name()).collect();
    assert_eq!(names, ["ip", "user"]);
    let debug = format!("{l:?}");
    assert!(debug.starts_with("RateLimiter"), "{debug}");
    assert!(debug.contains("remote: false"), "{debug}");
}
