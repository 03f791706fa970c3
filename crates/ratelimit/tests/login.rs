//! `LoginThrottle` in memory under a manual clock: lockouts per username and
//! per address, Unicode variants, success resets, lists, backoff, events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{EventKind, ManualClock, MemorySink, Rejection};
use rampart_ratelimit::{ConfigError, LoginDecision, LoginThrottle, ThrottleReason};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn throttle(clock: &ManualClock, sink: &MemorySink) -> LoginThrottle {
    LoginThrottle::builder()
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap()
}

async fn fail_n(t: &LoginThrottle, user: &str, from: IpAddr, n: usize) {
    for _ in 0..n {
        t.record_failure(user, from).await;
    }
}

#[tokio::test]
async fn five_failures_lock_the_username_for_thirty_minutes() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let sink = MemorySink::new();
    let t = throttle(&clock, &sink);
    let a = ip("203.0.113.5");
    fail_n(&t, "alice", a, 4).await;
    assert!(t.check("alice", a).await.is_allowed());
    let locked = t.record_failure("alice", a).await;
    assert_eq!(
        locked,
        LoginDecision::Throttled {
            reason: ThrottleReason::UserLocked,
            retry_after: Duration::from_secs(1800)
        }
    );
    assert_eq!(sink.count(EventKind::AccountLocked), 1);
    // The lock holds whatever the address, and other users are not affected.
    assert!(!t.check("alice", ip("198.51.100.1")).await.is_allowed());
    assert!(t.check("bob", a).await.is_allowed());
    assert!(sink.count(EventKind::RateLimited) >= 1);
    clock.advance(Duration::from_secs(1799));
    assert!(!t.check("alice", a).await.is_allowed());
    clock.advance(Duration::from_secs(1));
    assert!(t.check("alice", a).await.is_allowed());
}

#[tokio::test]
async fn case_and_unicode_variants_are_one_username() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let t = throttle(&clock, &MemorySink::new());
    let a = ip("203.0.113.5");
    for variant in ["alice", "Alice", "ALICE", "ａｌｉｃｅ", " alice"] {
        t.record_failure(variant, a).await;
    }
    assert!(!t.check("aLiCe", a).await.is_allowed());
}

#[tokio::test]
async fn failures_outside_the_window_do_not_add_up() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let t = throttle(&clock, &MemorySink::new());
    let a = ip("203.0.113.5");
    fail_n(&t, "alice", a, 4).await;
    clock.advance(Duration::from_secs(15 * 60));
    fail_n(&t, "alice", a, 4).await;
    assert!(t.check("alice", a).await.is_allowed());
}

#[tokio::test]
async fn success_resets_the_username_but_not_the_address() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let t = throttle(&clock, &MemorySink::new());
    let a = ip("203.0.113.5");
    fail_n(&t, "alice", a, 4).await;
    t.record_success("Alice", a).await;
    fail_n(&t, "alice", a, 4).await;
    assert!(t.check("alice", a).await.is_allowed());
    // The address has 8 failures; 12 more under other names block it.
    for i in 0..12 {
        t.record_failure(&format!("user{i}"), a).await;
    }
    let d = t.check("carol", a).await;
    assert_eq!(
        d,
        LoginDecision::Throttled {
            reason: ThrottleReason::IpBlocked,
            retry_after: Duration::from_secs(3600)
        }
    );
}

#[tokio::test]
async fn an_address_spraying_usernames_is_blocked_for_an_hour_and_its_64_with_it() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let sink = MemorySink::new();
    let t = throttle(&clock, &sink);
    for i in 0..20 {
        t.record_failure(&format!("victim{i}"), ip(&format!("2001:db8:0:7::{i:x}")))
            .await;
    }
    assert!(
        !t.check("anyone", ip("2001:db8:0:7::ffff"))
            .await
            .is_allowed()
    );
    assert!(t.check("anyone", ip("2001:db8:0:8::1")).await.is_allowed());
    let locked: Vec<_> = sink
        .events()
        .into_iter()
        .filter(|e| e.kind == EventKind::AccountLocked)
        .collect();
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].fields["scope"], "ip");
    clock.advance(Duration::from_secs(3600));
    assert!(t.check("anyone", ip("2001:db8:0:7::1")).await.is_allowed());
}

#[tokio::test]
async fn allow_and_block_lists_with_expiry() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let t = throttle(&clock, &MemorySink::new());
    let office = ip("192.0.2.10");
    t.allow_network("192.0.2.0/24", None).unwrap();
    for i in 0..50 {
        t.record_failure(&format!("u{i}"), office).await;
    }
    assert!(
        t.check("fresh", office).await.is_allowed(),
        "allow-listed address was blocked"
    );
    // Usernames are still counted from an allowed network.
    fail_n(&t, "bob", office, 5).await;
    assert!(!t.check("bob", office).await.is_allowed());

    let until = UNIX_EPOCH + Duration::from_secs(1_700_000_600);
    t.block_network("198.51.100.0/24", Some(until)).unwrap();
    let d = t.check("carol", ip("198.51.100.9")).await;
    assert!(matches!(
        d,
        LoginDecision::Throttled {
            reason: ThrottleReason::BlockListed,
            ..
        }
    ));
    clock.advance(Duration::from_secs(600));
    assert!(t.check("carol", ip("198.51.100.9")).await.is_allowed());

    t.block_network("203.0.113.7", None).unwrap();
    assert!(!t.check("x", ip("203.0.113.7")).await.is_allowed());
    assert!(t.remove_blocked("203.0.113.7").unwrap());
    assert!(t.check("x", ip("203.0.113.7")).await.is_allowed());
    assert!(t.remove_allowed("192.0.2.0/24").unwrap());
    assert!(matches!(
        t.block_network("not a net", None),
        Err(ConfigError::InvalidCidr(_))
    ));
}

#[tokio::test]
async fn exponential_backoff_instead_of_an_early_lock() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let t = LoginThrottle::builder()
        .clock(clock.shared())
        .user_failures(10, Duration::from_secs(3600))
        .exponential_backoff(Duration::from_secs(1), Duration::from_secs(8))
        .event_sink(Arc::new(MemorySink::new()))
        .build()
        .unwrap();
    let a = ip("203.0.113.5");
    for expected in [1u64, 2, 4, 8, 8] {
        t.record_failure("alice", a).await;
        let d = t.check("alice", a).await;
        assert_eq!(
            d,
            LoginDecision::Throttled {
                reason: ThrottleReason::UserBackoff,
                retry_after: Duration::from_secs(expected)
            }
        );
        clock.advance(Duration::from_secs(expected));
        assert!(t.check("alice", a).await.is_allowed());
    }
}

#[test]
fn throttled_is_a_429_problem_and_outage_a_503() {
    let p = LoginDecision::Throttled {
        reason: ThrottleReason::UserLocked,
        retry_after: Duration::from_millis(1500),
    }
    .to_problem();
    assert_eq!(p.status(), 429);
    assert_eq!(p.headers()["retry-after"], "2");
    let p = LoginDecision::Unavailable.to_problem();
    assert_eq!(p.status(), 503);
    assert_eq!(p.headers()["retry-after"], "5");
}

#[test]
fn bad_settings_are_refused() {
    let zero = LoginThrottle::builder()
        .user_failures(0, Duration::from_secs(60))
        .build();
    assert!(matches!(zero, Err(ConfigError::Login { what: "user", .. })));
    let no_window = LoginThrottle::builder()
        .ip_failures(5, Duration::ZERO)
        .build();
    assert!(matches!(
        no_window,
        Err(ConfigError::Login { what: "ip", .. })
    ));
    let backoff = LoginThrottle::builder()
        .exponential_backoff(Duration::from_secs(10), Duration::from_secs(1))
        .build();
    assert!(backoff.is_err());
    assert!(
        LoginThrottle::builder()
            .user_lockout(Duration::ZERO)
            .build()
            .is_err()
    );
    assert!(matches!(
        LoginThrottle::builder().max_keys(0).build(),
        Err(ConfigError::Capacity)
    ));
}
