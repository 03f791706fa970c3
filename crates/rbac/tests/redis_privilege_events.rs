//! Privilege changes through the Redis stores (`REDIS_URL`): each is one
//! event; a lapse seen by two instances at once is reported once; a write
//! during an outage reports nothing.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, Clock, EventKind, ManualClock, MemorySink, Principal};
use rampart_rbac::{
    Authorizer, Grant, GrantStore, Policy, RedisGrantStore, RedisRoleStore, Resource, RoleBinding,
    StoreError,
};
use rampart_test_support::Relay;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const POLICY: &str =
    "[roles.member]\npermissions = [\"items:read\"]\n[roles.admin]\npermissions = [\"*\"]";

fn prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("rampart-test:{test}:{}:{nanos}", std::process::id())
}

/// One instance of the service: its own connections, sink and clock.
async fn instance(url: &str, prefix: &str, clock: &ManualClock) -> (Authorizer, MemorySink) {
    let sink = MemorySink::new();
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .grant_store(Arc::new(
            RedisGrantStore::connect(url, prefix).await.unwrap(),
        ))
        .role_store(Arc::new(
            RedisRoleStore::connect(url, prefix).await.unwrap(),
        ))
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    (authz, sink)
}

#[tokio::test]
async fn redis_grants_and_bindings_are_reported_once_each() {
    for url in rampart_test_support::redis_urls("redis privilege events") {
        let clock = ManualClock::at_unix(7_000);
        let (authz, sink) = instance(&url, &prefix("priv_changes"), &clock).await;
        let until = clock.now() + Duration::from_secs(30);
        authz
            .grant_by(
                "alice",
                Grant::in_tenant("acme", "bob", "docs", "7", ["read"]).expires_at(until),
            )
            .await
            .unwrap();
        assert!(
            authz
                .revoke_grant_by("alice", Some("acme"), "bob", "docs", "7")
                .await
                .unwrap()
        );
        assert!(
            !authz
                .revoke_grant_by("alice", Some("acme"), "bob", "docs", "7")
                .await
                .unwrap()
        );
        assert!(
            authz
                .bind_role_by("root", "bob", RoleBinding::in_tenant("admin", "acme"))
                .await
                .unwrap()
        );
        assert!(
            !authz
                .bind_role_by("root", "bob", RoleBinding::in_tenant("admin", "acme"))
                .await
                .unwrap()
        );
        assert_eq!(authz.unbind_all_roles_by("root", "bob").await.unwrap(), 1);

        let events = sink.take();
        let summary: Vec<_> = events
            .iter()
            .map(|e| {
                assert_eq!(e.kind, EventKind::PrivilegeChanged);
                assert_eq!(e.subject.as_deref(), Some("bob"));
                assert_eq!(e.tenant.as_deref(), Some("acme"));
                (
                    e.fields["action"].as_str().unwrap().to_owned(),
                    e.fields["actor"].as_str().unwrap().to_owned(),
                    e.fields.contains_key("role"),
                )
            })
            .collect();
        let s = |a: &str, b: &str, role| (a.to_owned(), b.to_owned(), role);
        assert_eq!(
            summary,
            [
                s("granted", "alice", false),
                s("revoked", "alice", false),
                s("granted", "root", true),
                s("revoked", "root", true),
            ]
        );
        assert_eq!(events[0].fields["expires_at_unix_ms"], 7_030_000);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lapse_seen_by_two_instances_is_reported_once() {
    for url in rampart_test_support::redis_urls("redis privilege events") {
        let prefix = prefix("priv_lapse");
        let clock = ManualClock::at_unix(9_000);
        let (one, sink_one) = instance(&url, &prefix, &clock).await;
        let (two, sink_two) = instance(&url, &prefix, &clock).await;
        let store = RedisGrantStore::connect(&url, prefix.as_str())
            .await
            .unwrap();
        let lapsing = Grant::in_tenant("acme", "bob", "docs", "7", ["read"])
            .expires_at(clock.now() + Duration::from_secs(5));
        one.grant(lapsing.clone()).await.unwrap();
        sink_one.take();

        // A renewal between a check's read and its removal survives.
        let renewed = lapsing
            .clone()
            .expires_at(clock.now() + Duration::from_secs(3600));
        store.grant(renewed.clone()).await.unwrap();
        assert!(!store.remove_exact(&lapsing).await.unwrap());
        store.grant(lapsing.clone()).await.unwrap();

        clock.advance(Duration::from_secs(5));
        let bob = Principal::new("bob", AuthMethod::Jwt)
            .with_tenant("acme")
            .with_roles(["member"]);
        let doc = Resource::new("docs").with_id("7");
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let authz = if i % 2 == 0 { one.clone() } else { two.clone() };
                let (bob, doc) = (bob.clone(), doc.clone());
                tokio::spawn(async move {
                    assert!(
                        !authz
                            .check_with_stores(&bob, "read", &doc)
                            .await
                            .unwrap()
                            .is_allowed()
                    );
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let lapses = sink_one.count(EventKind::PrivilegeChanged)
            + sink_two.count(EventKind::PrivilegeChanged);
        assert_eq!(lapses, 1, "{:?} {:?}", sink_one.events(), sink_two.events());
        assert!(
            store
                .get(Some("acme"), "bob", "docs", "7")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(one.purge_expired_grants("bob", "docs").await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_write_during_an_outage_is_an_error_and_no_event() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "redis privilege events") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let clock = ManualClock::at_unix(0);
    let (authz, sink) = instance(&relay.url, &prefix("priv_outage"), &clock).await;
    relay.cut();
    let err = authz
        .grant_by(
            "alice",
            Grant::in_tenant("acme", "bob", "docs", "7", ["read"]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err}");
    let err = authz
        .bind_role_by("root", "bob", RoleBinding::global("admin"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err}");
    assert!(
        sink.count(EventKind::PrivilegeChanged) == 0,
        "{:?}",
        sink.events()
    );
    relay.restore();
}
