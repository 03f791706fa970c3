//! The Redis role store against a real Redis (`REDIS_URL`): bindings changed
//! through one instance are seen by another, and an outage fails closed.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, EventKind, MemorySink, Principal};
use rampart_rbac::{Authorizer, Policy, Reason, RedisRoleStore, Resource, RoleBinding, RoleStore};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const POLICY: &str = r#"
    [roles.editor]
    permissions = ["items:*"]
    [roles.admin]
    permissions = ["items:*", "reports:read"]
    [roles.suspended]
    deny = ["items:delete"]
"#;

fn prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("rampart-test:{test}:{}:{nanos}", std::process::id())
}

/// An authorizer with its own connection to Redis, as another instance of the
/// service would have.
async fn instance(url: &str, prefix: &str) -> (Arc<RedisRoleStore>, Authorizer) {
    let store = Arc::new(RedisRoleStore::connect(url, prefix).await.unwrap());
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .role_store(store.clone())
        .build()
        .unwrap();
    (store, authz)
}

#[tokio::test]
async fn bindings_changed_through_one_instance_are_seen_by_another() {
    for url in rampart_test_support::redis_urls("redis role store") {
        let prefix = prefix("roles_shared");
        let (one, authz_one) = instance(&url, &prefix).await;
        let (two, authz_two) = instance(&url, &prefix).await;
        let alice = Principal::new("alice", AuthMethod::Jwt).with_tenant("acme");
        let report = |t: &'static str| Resource::new("reports").with_tenant(t);
        let allowed = |a: &Authorizer, r: Resource<'static>| {
            let (a, p) = (a.clone(), alice.clone());
            async move {
                a.check_with_stores(&p, "read", &r)
                    .await
                    .unwrap()
                    .is_allowed()
            }
        };

        assert!(!allowed(&authz_two, report("acme")).await);
        assert!(
            one.bind("alice", &RoleBinding::in_tenant("admin", "acme"))
                .await
                .unwrap()
        );
        assert!(
            !one.bind("alice", &RoleBinding::in_tenant("admin", "acme"))
                .await
                .unwrap()
        );
        // Bound through one, seen by the other, in the binding's tenant only.
        assert!(allowed(&authz_two, report("acme")).await);
        assert!(!allowed(&authz_two, report("globex")).await);
        assert_eq!(
            two.bindings("alice").await.unwrap(),
            [RoleBinding::in_tenant("admin", "acme")]
        );
        // Removed through the other, gone for the first.
        assert!(
            two.unbind("alice", &RoleBinding::in_tenant("admin", "acme"))
                .await
                .unwrap()
        );
        assert!(!allowed(&authz_one, report("acme")).await);
        assert!(
            !two.unbind("alice", &RoleBinding::in_tenant("admin", "acme"))
                .await
                .unwrap()
        );

        // A deny bound through one instance reaches a principal whose token allows.
        let bob = Principal::new("bob", AuthMethod::Jwt)
            .with_tenant("acme")
            .with_roles(["editor"]);
        let items = Resource::new("items").with_tenant("acme");
        assert!(
            authz_two
                .check_with_stores(&bob, "delete", &items)
                .await
                .unwrap()
                .is_allowed()
        );
        one.bind("bob", &RoleBinding::in_tenant("suspended", "acme"))
            .await
            .unwrap();
        let d = authz_two
            .check_with_stores(&bob, "delete", &items)
            .await
            .unwrap();
        assert!(matches!(d.reason(), Reason::Rule(r) if r.is_deny()), "{d}");

        // Subjects with `:` do not share keys with others; unbind_all off-boards.
        one.bind("bob:x", &RoleBinding::global("admin"))
            .await
            .unwrap();
        assert_eq!(two.bindings("bob").await.unwrap().len(), 1);
        assert!(two.unbind_all("bob").await.unwrap());
        assert!(two.unbind_all("bob:x").await.unwrap());
        assert!(one.bindings("bob").await.unwrap().is_empty());
        assert!(!one.unbind_all("bob").await.unwrap());
    }
}

#[tokio::test]
async fn invalid_bindings_are_refused_before_reaching_redis() {
    for url in rampart_test_support::redis_urls("redis role store") {
        let (store, _) = instance(&url, &prefix("roles_invalid")).await;
        assert!(store.bind("", &RoleBinding::global("admin")).await.is_err());
        assert!(
            store
                .bind("a", &RoleBinding::in_tenant("admin", ""))
                .await
                .is_err()
        );
        assert!(
            store
                .bind("a", &RoleBinding::global("no such name!"))
                .await
                .is_err()
        );
        assert!(store.bindings("").await.is_err());
    }
}

/// A store whose Redis is gone: a lazily connected manager pointed at a port
/// nothing listens on, with short timeouts so the test does not wait long.
fn unreachable_store() -> RedisRoleStore {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(10))
        .set_connection_timeout(Some(Duration::from_millis(200)))
        .set_response_timeout(Some(Duration::from_millis(200)));
    let conn = redis::aio::ConnectionManager::new_lazy_with_config(client, config).unwrap();
    RedisRoleStore::new(
        rampart_core::redis::RedisConnection::from_manager(conn),
        prefix("roles_down"),
    )
}

#[tokio::test]
async fn redis_down_fails_closed_with_an_event() {
    let sink = MemorySink::new();
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .role_store(Arc::new(unreachable_store()))
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let bob = Principal::new("bob", AuthMethod::Jwt)
        .with_tenant("acme")
        .with_roles(["editor"]);
    let items = Resource::new("items").with_tenant("acme");
    // The policy has deny rules, so even the token's allow must hear from the
    // store (it might bind `suspended`): with the store down, it is refused.
    let d = authz
        .check_with_stores(&bob, "delete", &items)
        .await
        .unwrap();
    assert!(!d.is_allowed());
    assert_eq!(d.reason(), &Reason::StoreUnavailable);
    let events = sink.events();
    let failure = events
        .iter()
        .find(|e| e.kind == EventKind::StoreFailure)
        .expect("a StoreFailure event");
    assert_eq!(failure.fields["store"], "roles");
    assert_eq!(failure.fields["fail_mode"], "closed");
    assert_eq!(
        authz.filter_with_stores(&bob, "read", "items").await,
        rampart_rbac::DataFilter::Nothing
    );

    // Failing open is a choice the builder names as insecure: the token's roles
    // still decide, the store's do not.
    let open = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .role_store(Arc::new(unreachable_store()))
        .event_sink(Arc::new(sink.clone()))
        .insecure_fail_open()
        .build()
        .unwrap();
    assert!(
        open.check_with_stores(&bob, "delete", &items)
            .await
            .unwrap()
            .is_allowed()
    );
    assert_eq!(sink.count(EventKind::StoreFailure), 3);
}
