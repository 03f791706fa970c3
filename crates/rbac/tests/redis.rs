//! The Redis grant store against a real Redis: a single node (`REDIS_URL`)
//! and a cluster (`REDIS_CLUSTER_URLS`).
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use rampart_core::{AuthMethod, Clock, ManualClock, Principal};
use rampart_rbac::{Authorizer, Grant, GrantStore, Policy, RedisGrantStore, Resource};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A store on the single node and one on the cluster, each configured one.
async fn stores(test: &str) -> Vec<RedisGrantStore> {
    let mut stores = Vec::new();
    for url in rampart_test_support::redis_urls(test) {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let prefix = format!("rampart-test:{test}:{}:{nanos}", std::process::id());
        eprintln!("{test}: on {url}");
        stores.push(
            RedisGrantStore::connect(&url, prefix)
                .await
                .expect("Redis is configured but cannot be reached"),
        );
    }
    stores
}

#[tokio::test]
async fn grant_get_list_revoke_round_trip() {
    for store in stores("round_trip").await {
        let until = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        store
            .grant(Grant::in_tenant("A", "bob", "docs", "2", ["read"]).expires_at(until))
            .await
            .unwrap();
        store
            .grant(Grant::in_tenant("A", "bob", "docs", "1", ["*"]))
            .await
            .unwrap();
        store
            .grant(Grant::in_tenant("A", "bob:x", "docs", "9", ["read"]))
            .await
            .unwrap();
        let got = store
            .get(Some("A"), "bob", "docs", "2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            got,
            Grant::in_tenant("A", "bob", "docs", "2", ["read"]).expires_at(until)
        );
        let ids: Vec<_> = store
            .list("bob", "docs")
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.resource_id)
            .collect();
        assert_eq!(ids, ["1", "2"]);
        // Escaping keeps `bob:x` + `docs` apart from `bob` + `x:docs`.
        assert!(store.list("bob", "x:docs").await.unwrap().is_empty());
        assert!(store.revoke(Some("A"), "bob", "docs", "1").await.unwrap());
        assert!(!store.revoke(Some("A"), "bob", "docs", "1").await.unwrap());
        assert!(
            store
                .get(Some("A"), "bob", "docs", "1")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.purge_expired("bob", "docs", until).await.unwrap(), 1);
        assert!(store.list("bob", "docs").await.unwrap().is_empty());
        store.revoke(Some("A"), "bob:x", "docs", "9").await.unwrap();
    }
}

#[tokio::test]
async fn authorizer_uses_redis_grants_with_expiry() {
    for store in stores("authorizer").await {
        let store = Arc::new(store);
        let clock = ManualClock::at_unix(50_000);
        let authz = Authorizer::builder()
            .policy(Policy::from_toml("[roles.guest]").unwrap())
            .grant_store(store.clone())
            .clock(clock.shared())
            .build()
            .unwrap();
        let bob = Principal::new("bob", AuthMethod::Jwt)
            .with_tenant("A")
            .with_roles(["guest"]);
        let doc = Resource::new("docs").with_id("7");
        assert!(
            !authz
                .check_with_stores(&bob, "read", &doc)
                .await
                .unwrap()
                .is_allowed()
        );
        store
            .grant(
                Grant::in_tenant("A", "bob", "docs", "7", ["read"])
                    .expires_at(clock.now() + Duration::from_secs(10)),
            )
            .await
            .unwrap();
        assert!(
            authz
                .check_with_stores(&bob, "read", &doc)
                .await
                .unwrap()
                .is_allowed()
        );
        clock.advance(Duration::from_secs(10));
        assert!(
            !authz
                .check_with_stores(&bob, "read", &doc)
                .await
                .unwrap()
                .is_allowed()
        );
        store.revoke(Some("A"), "bob", "docs", "7").await.unwrap();
    }
}

#[tokio::test]
async fn redis_grants_stay_in_their_tenant() {
    for store in stores("tenants").await {
        common::grants_stay_in_their_tenant(Arc::new(store)).await;
    }
}
