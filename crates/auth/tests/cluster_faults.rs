//! Revocations on a Redis Cluster whose master dies: lookups in flight fail
//! (an error, which the auth layer turns into 503, never a pass), and once
//! the replica is promoted the same store answers again, with the
//! revocations the replica holds. The test runs its own cluster (ports
//! 7121–7126), so the shared one is never disturbed.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_auth::revocation::{RedisStore, RevocationStore, Revoked, TokenRef};
use rampart_core::redis::slot;
use rampart_test_support::ScratchCluster;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn token(jti: &str) -> TokenRef<'_> {
    TokenRef {
        subject: "alice",
        jti: Some(jti),
        family: None,
        issued_at: 1,
    }
}

/// Waits until the replica has every write its master acknowledged.
fn replicated(c: &ScratchCluster, master: u16) {
    for _ in 0..100 {
        let info = c.cli(master, &["info", "replication"]);
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_owned())
        };
        let offset = field("master_repl_offset:").unwrap_or_default();
        let replica = field("slave0:").unwrap_or_default();
        if !offset.is_empty() && replica.contains(&format!("offset={offset},")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the replica of {master} did not catch up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_on_a_dead_master_is_an_error_and_the_promoted_replica_answers() {
    let Some(c) = ScratchCluster::start(7120, "revocations_through_a_failover") else {
        return;
    };
    let store = RedisStore::connect(&c.urls, "faults").await.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    store.revoke_token("alice", "j1", now + 3600).await.unwrap();
    assert_eq!(
        store.check(token("j1"), now).await.unwrap(),
        Some(Revoked::Token)
    );
    // The subject is the hash tag: base64url("alice").
    let master = c.master_of(slot("faults:{YWxpY2U}:t:j1"));
    replicated(&c, master);

    c.kill(master);
    assert!(
        store.check(token("j1"), now).await.is_err(),
        "a lookup on a dead master must fail, not pass the token"
    );
    let started = Instant::now();
    let answer = loop {
        if let Ok(answer) = store.check(token("j1"), now).await {
            break answer;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(answer, Some(Revoked::Token), "the revocation was lost");
    assert_eq!(store.check(token("j2"), now).await.unwrap(), None);
    store.revoke_token("alice", "j2", now + 3600).await.unwrap();
    assert_eq!(
        store.check(token("j2"), now).await.unwrap(),
        Some(Revoked::Token)
    );
    c.restart(master);
    c.wait_ok();
}
