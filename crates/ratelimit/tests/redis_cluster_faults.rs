//! The Redis store on a cluster that changes under it: a slot migrated to
//! another master (ASK, then MOVED), a master that dies and fails over to its
//! replica, the dead node restarting, and a manual failover. Checks in flight
//! fail by the fail mode (closed: refused); later ones succeed on the same
//! limiter, without a restart. Each test runs its own cluster (ports 71xx),
//! so the shared one is never disturbed.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::redis::slot;
use rampart_core::{EventKind, MemorySink};
use rampart_ratelimit::{
    Decision, Key, KeyContext, Limit, Quota, RateLimiter, RedisStore, Verdict,
};
use rampart_test_support::ScratchCluster;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn limiter(urls: &str, per_hour: u32, sink: &MemorySink) -> RateLimiter {
    let store = RedisStore::connect_with_timeout(urls, "faults", Duration::from_millis(300))
        .await
        .unwrap();
    RateLimiter::builder()
        .limit(Limit::new("x", Quota::per_hour(per_hour)).key(Key::given()))
        .redis(store)
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap()
}

fn key(k: &str) -> KeyContext<'_> {
    KeyContext::new().key(k)
}

/// The slot of a one-limit limiter's counter for `k` (tagged `{x:<k>}`).
fn slot_of(k: &str) -> u16 {
    slot(&format!("faults:{{x:{k}}}:g"))
}

/// Checks `k` until Redis answers (not degraded), on the same limiter.
async fn until_answered(l: &RateLimiter, k: &str) -> Decision {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let d = l.check(&key(k)).await;
        if !d.is_degraded() {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the limiter did not recover on the cluster");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrating_slot_is_followed_through_ask_and_moved_with_its_counts() {
    let Some(c) = ScratchCluster::start(7100, "a_migrating_slot_is_followed") else {
        return;
    };
    let sink = MemorySink::new();
    let l = limiter(&c.urls, 5, &sink).await;
    for remaining in [4, 3] {
        let d = l.check(&key("k")).await;
        assert!(d.is_allowed());
        assert_eq!(d.limits()[0].remaining, remaining);
    }
    let s = slot_of("k");
    let from = c.master_of(s);
    let to = (1..=3).map(|n| c.port(n)).find(|&p| p != from).unwrap();
    let (from_id, to_id) = (c.node_id(from), c.node_id(to));
    let ss = s.to_string();
    c.cli(to, &["cluster", "setslot", &ss, "importing", &from_id]);
    c.cli(from, &["cluster", "setslot", &ss, "migrating", &to_id]);
    let keys = c.cli(from, &["cluster", "getkeysinslot", &ss, "100"]);
    let keys: Vec<&str> = keys.split_whitespace().collect();
    assert!(!keys.is_empty(), "the counter is not in slot {s}");
    let to_port = to.to_string();
    let mut migrate = vec!["migrate", "127.0.0.1", &to_port, "", "0", "5000", "keys"];
    migrate.extend(keys.iter().copied());
    assert!(c.cli(from, &migrate).contains("OK"));
    // Mid-migration: the source answers ASK, the client asks the target.
    let d = l.check(&key("k")).await;
    assert!(d.is_allowed() && !d.is_degraded(), "{d:?}");
    assert_eq!(
        d.limits()[0].remaining,
        2,
        "the count was lost in migration"
    );
    for n in 1..=6 {
        c.cli(c.port(n), &["cluster", "setslot", &ss, "node", &to_id]);
    }
    // Done: the source answers MOVED, the client learns the new owner.
    let d = l.check(&key("k")).await;
    assert!(d.is_allowed() && !d.is_degraded(), "{d:?}");
    assert_eq!(d.limits()[0].remaining, 1);
    assert!(l.check(&key("k")).await.is_allowed());
    assert_eq!(l.check(&key("k")).await.verdict(), Verdict::Limited);
    assert_eq!(sink.count(EventKind::StoreFailure), 0);
    assert_eq!(c.master_of(s), to);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_master_fails_closed_then_its_replica_serves_without_a_restart() {
    let Some(c) = ScratchCluster::start(7110, "a_dead_master_fails_closed") else {
        return;
    };
    let sink = MemorySink::new();
    let l = limiter(&c.urls, 1000, &sink).await;
    assert!(l.check(&key("k")).await.is_allowed());
    let master = c.master_of(slot_of("k"));
    // A key another master serves, to show the rest of the cluster stays up.
    let elsewhere = (0..1000)
        .map(|i| format!("other-{i}"))
        .find(|k| c.master_of(slot_of(k)) != master)
        .unwrap();
    let replica = c.replica_of(master);

    c.kill(master);
    let d = l.check(&key("k")).await;
    assert_eq!(d.verdict(), Verdict::Unavailable, "{d:?}");
    assert!(sink.count(EventKind::StoreFailure) >= 1);
    assert!(l.check(&key(&elsewhere)).await.is_allowed());

    // The replica is promoted; the same limiter follows it.
    let d = until_answered(&l, "k").await;
    assert!(d.is_allowed(), "{d:?}");
    c.wait_ok();
    assert_eq!(c.master_of(slot_of("k")), replica);

    // The dead node restarts and rejoins (as the replica now).
    c.restart(master);
    c.wait_ok();
    assert!(until_answered(&l, "k").await.is_allowed());

    // A manual failover hands the slots back to it.
    for _ in 0..50 {
        if c.cli(master, &["role"]).starts_with("slave")
            && c.cli(master, &["info", "replication"])
                .contains("master_link_status:up")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(c.cli(master, &["cluster", "failover"]).contains("OK"));
    let started = Instant::now();
    while c.master_of(slot_of("k")) != master {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the failover did not happen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(until_answered(&l, "k").await.is_allowed());
    assert!(!l.check(&key(&elsewhere)).await.is_degraded());
}
