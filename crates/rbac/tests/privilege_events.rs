//! Every grant and role binding given, taken or lapsed through the authorizer
//! is one `PrivilegeChanged` event on its sink, with who changed whose
//! privileges; a change the store did not make is never reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{
    AuthMethod, Clock, EventKind, ManualClock, MemorySink, Principal, SecurityEvent,
};
use rampart_rbac::{
    Authorizer, Grant, GrantStore, MemoryGrantStore, MemoryRoleStore, Policy, Resource,
    RoleBinding, RoleStore, StoreError, StoreFuture,
};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

const POLICY: &str = r#"
[roles.member]
permissions = ["items:read"]
[roles.admin]
permissions = ["*"]
"#;

struct Setup {
    authz: Authorizer,
    sink: MemorySink,
    grants: Arc<MemoryGrantStore>,
    roles: Arc<MemoryRoleStore>,
    clock: ManualClock,
}

fn setup() -> Setup {
    let sink = MemorySink::new();
    let grants = Arc::new(MemoryGrantStore::new());
    let roles = Arc::new(MemoryRoleStore::new());
    let clock = ManualClock::at_unix(1_000);
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .grant_store(grants.clone())
        .role_store(roles.clone())
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    Setup {
        authz,
        sink,
        grants,
        roles,
        clock,
    }
}

fn only(sink: &MemorySink) -> SecurityEvent {
    let events = sink.take();
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = events.into_iter().next().unwrap();
    assert_eq!(event.kind, EventKind::PrivilegeChanged);
    assert_eq!(event.source, "rampart::rbac");
    event
}

fn member(subject: &str, tenant: &str) -> Principal {
    Principal::new(subject, AuthMethod::Jwt)
        .with_tenant(tenant)
        .with_roles(["member"])
}

#[tokio::test]
async fn a_grant_is_one_event_naming_actor_subject_tenant_and_what() {
    let s = setup();
    let until = UNIX_EPOCH + Duration::from_millis(5_000_123);
    s.authz
        .grant_by(
            "alice",
            Grant::in_tenant("acme", "bob", "docs", "7", ["read", "comment"]).expires_at(until),
        )
        .await
        .unwrap();
    let e = only(&s.sink);
    assert_eq!(e.subject.as_deref(), Some("bob"));
    assert_eq!(e.tenant.as_deref(), Some("acme"));
    assert_eq!(e.at_unix_ms, 1_000_000, "the authorizer's clock");
    assert_eq!(
        serde_json::Value::Object(e.fields),
        serde_json::json!({
            "action": "granted", "actor": "alice", "resource_type": "docs",
            "resource_id": "7", "actions": ["read", "comment"],
            "expires_at_unix_ms": 5_000_123u64,
        })
    );
    assert!(
        s.grants
            .get(Some("acme"), "bob", "docs", "7")
            .await
            .unwrap()
            .is_some()
    );

    // Without an actor, and global: no `actor`, no tenant, no expiry.
    s.authz
        .grant(Grant::global("bob", "docs", "9", ["read"]))
        .await
        .unwrap();
    let e = only(&s.sink);
    assert_eq!(e.tenant, None);
    assert!(!e.fields.contains_key("actor"));
    assert!(!e.fields.contains_key("expires_at_unix_ms"));
}

#[tokio::test]
async fn a_revocation_is_reported_once_and_revoking_nothing_not_at_all() {
    let s = setup();
    s.authz
        .grant(Grant::in_tenant("acme", "bob", "docs", "7", ["read"]))
        .await
        .unwrap();
    s.sink.take();
    assert!(
        s.authz
            .revoke_grant_by("alice", Some("acme"), "bob", "docs", "7")
            .await
            .unwrap()
    );
    let e = only(&s.sink);
    assert_eq!(e.fields["action"], "revoked");
    assert_eq!(e.fields["actor"], "alice");
    assert_eq!(e.fields["resource_id"], "7");
    assert_eq!(e.subject.as_deref(), Some("bob"));
    assert_eq!(e.tenant.as_deref(), Some("acme"));
    assert!(
        !s.authz
            .revoke_grant_by("alice", Some("acme"), "bob", "docs", "7")
            .await
            .unwrap()
    );
    assert!(
        !s.authz
            .revoke_grant(None, "bob", "docs", "7")
            .await
            .unwrap()
    );
    assert!(s.sink.events().is_empty(), "{:?}", s.sink.events());
}

#[tokio::test]
async fn role_bindings_given_and_taken_are_reported_once_each() {
    let s = setup();
    let admin_acme = RoleBinding::in_tenant("admin", "acme");
    assert!(
        s.authz
            .bind_role_by("root", "alice", admin_acme.clone())
            .await
            .unwrap()
    );
    let e = only(&s.sink);
    assert_eq!(e.subject.as_deref(), Some("alice"));
    assert_eq!(e.tenant.as_deref(), Some("acme"));
    assert_eq!(
        serde_json::Value::Object(e.fields),
        serde_json::json!({"action": "granted", "actor": "root", "role": "admin"})
    );
    assert_eq!(s.roles.bindings_of("alice"), vec![admin_acme.clone()]);
    // The binding is in force for the next check.
    let alice = Principal::new("alice", AuthMethod::Jwt).with_tenant("acme");
    assert!(
        s.authz
            .check_with_stores(
                &alice,
                "delete",
                &Resource::new("items").with_tenant("acme")
            )
            .await
            .unwrap()
            .is_allowed()
    );

    // Binding it again changes nothing and says nothing.
    assert!(
        !s.authz
            .bind_role("alice", admin_acme.clone())
            .await
            .unwrap()
    );
    assert!(s.sink.events().is_empty());

    s.authz
        .bind_role("alice", RoleBinding::in_org("member", "o1"))
        .await
        .unwrap();
    let e = only(&s.sink);
    assert!(!e.fields.contains_key("actor"));
    assert_eq!(e.fields["org"], "o1");
    assert_eq!(e.tenant, None);

    assert!(
        s.authz
            .unbind_role_by("root", "alice", &admin_acme)
            .await
            .unwrap()
    );
    let e = only(&s.sink);
    assert_eq!(e.fields["action"], "revoked");
    assert_eq!(e.fields["role"], "admin");
    assert!(!s.authz.unbind_role("alice", &admin_acme).await.unwrap());
    assert!(s.sink.events().is_empty());
}

#[tokio::test]
async fn off_boarding_reports_each_binding_removed() {
    let s = setup();
    s.roles.bind("carol", RoleBinding::global("member"));
    s.roles
        .bind("carol", RoleBinding::in_tenant("admin", "acme"));
    assert_eq!(
        s.authz.unbind_all_roles_by("root", "carol").await.unwrap(),
        2
    );
    let events = s.sink.take();
    assert_eq!(events.len(), 2);
    let mut roles: Vec<_> = events
        .iter()
        .map(|e| {
            assert_eq!(e.fields["action"], "revoked");
            assert_eq!(e.fields["actor"], "root");
            e.fields["role"].as_str().unwrap().to_owned()
        })
        .collect();
    roles.sort();
    assert_eq!(roles, ["admin", "member"]);
    assert!(s.roles.bindings_of("carol").is_empty());
    assert_eq!(
        s.authz.unbind_all_roles_by("root", "carol").await.unwrap(),
        0
    );
    assert!(s.sink.events().is_empty());
}

/// A grant store whose writes fail, as Redis down would.
struct Down;

impl GrantStore for Down {
    fn grant(&self, _: Grant) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Err(StoreError::Backend {
            store: "test",
            message: "connection refused".into(),
        })))
    }
    fn revoke<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(std::future::ready(Err(StoreError::Backend {
            store: "test",
            message: "connection refused".into(),
        })))
    }
    fn get<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> StoreFuture<'a, Option<Grant>> {
        Box::pin(std::future::ready(Ok(None)))
    }
    fn list<'a>(&'a self, _: &'a str, _: &'a str) -> StoreFuture<'a, Vec<Grant>> {
        Box::pin(std::future::ready(Ok(Vec::new())))
    }
}

/// A role store the application fills elsewhere: read-only.
struct Directory;

impl RoleStore for Directory {
    fn bindings<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Vec<RoleBinding>> {
        Box::pin(std::future::ready(Ok(vec![RoleBinding::global("member")])))
    }
}

#[tokio::test]
async fn a_failed_or_refused_write_reports_nothing() {
    let sink = MemorySink::new();
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .grant_store(Arc::new(Down))
        .role_store(Arc::new(Directory))
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let err = authz
        .grant_by(
            "alice",
            Grant::in_tenant("acme", "bob", "docs", "7", ["read"]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err}");
    let err = authz
        .revoke_grant_by("alice", Some("acme"), "bob", "docs", "7")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err}");
    let err = authz
        .bind_role_by("root", "bob", RoleBinding::global("admin"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unsupported(_)), "{err}");
    let err = authz.unbind_all_roles_by("root", "bob").await.unwrap_err();
    assert!(matches!(err, StoreError::Unsupported(_)), "{err}");
    assert!(sink.events().is_empty(), "{:?}", sink.events());
}

#[tokio::test]
async fn bad_input_is_an_error_and_no_event() {
    let s = setup();
    let cases: Vec<Result<(), StoreError>> = vec![
        s.authz
            .grant_by("", Grant::global("bob", "docs", "1", ["read"]))
            .await,
        s.authz
            .grant(Grant::global("", "docs", "1", ["read"]))
            .await,
        s.authz
            .grant(Grant::in_tenant("", "bob", "docs", "1", ["read"]))
            .await,
        s.authz
            .bind_role("", RoleBinding::global("admin"))
            .await
            .map(drop),
        s.authz
            .bind_role("bob", RoleBinding::global("not a role\n"))
            .await
            .map(drop),
        s.authz
            .bind_role("bob", RoleBinding::in_tenant("admin", ""))
            .await
            .map(drop),
        s.authz
            .unbind_role_by("", "bob", &RoleBinding::global("admin"))
            .await
            .map(drop),
    ];
    for (i, case) in cases.into_iter().enumerate() {
        assert!(
            matches!(case, Err(StoreError::Invalid(_))),
            "case {i}: {case:?}"
        );
    }
    assert!(s.sink.events().is_empty(), "{:?}", s.sink.events());
    assert!(s.grants.is_empty());
    assert!(s.roles.bindings_of("bob").is_empty());

    // An authorizer without stores says so rather than pretending.
    let bare = Authorizer::from_toml(POLICY).unwrap();
    assert!(matches!(
        bare.grant(Grant::global("bob", "docs", "1", ["read"]))
            .await,
        Err(StoreError::Unsupported(_))
    ));
    assert!(matches!(
        bare.bind_role("bob", RoleBinding::global("admin")).await,
        Err(StoreError::Unsupported(_))
    ));
}

#[tokio::test]
async fn a_lapsed_grant_is_reported_by_the_first_check_that_finds_it_once() {
    let s = setup();
    let until = s.clock.now() + Duration::from_secs(60);
    s.authz
        .grant_by(
            "alice",
            Grant::in_tenant("acme", "bob", "docs", "7", ["read"]).expires_at(until),
        )
        .await
        .unwrap();
    s.sink.take();
    let bob = member("bob", "acme");
    let doc = Resource::new("docs").with_id("7");
    assert!(
        s.authz
            .check_with_stores(&bob, "read", &doc)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(s.sink.events().is_empty(), "nothing has lapsed yet");

    s.clock.advance(Duration::from_secs(61));
    assert!(
        !s.authz
            .check_with_stores(&bob, "read", &doc)
            .await
            .unwrap()
            .is_allowed()
    );
    let e = only(&s.sink);
    assert_eq!(e.fields["action"], "expired");
    assert!(!e.fields.contains_key("actor"), "nobody made a lapse");
    assert_eq!(e.subject.as_deref(), Some("bob"));
    assert_eq!(e.tenant.as_deref(), Some("acme"));
    assert_eq!(e.fields["expires_at_unix_ms"], 1_060_000);
    assert_eq!(e.at_unix_ms, 1_061_000, "noticed at the check");
    assert!(s.grants.is_empty(), "the lapsed grant is removed");

    for _ in 0..3 {
        assert!(
            !s.authz
                .check_with_stores(&bob, "read", &doc)
                .await
                .unwrap()
                .is_allowed()
        );
    }
    assert!(s.sink.events().is_empty(), "{:?}", s.sink.events());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_checks_report_one_lapse() {
    let s = setup();
    let until = s.clock.now() + Duration::from_secs(1);
    s.grants
        .grant(Grant::in_tenant("acme", "bob", "docs", "7", ["read"]).expires_at(until))
        .await
        .unwrap();
    s.clock.advance(Duration::from_secs(2));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let authz = s.authz.clone();
            tokio::spawn(async move {
                let d = authz
                    .check_with_stores(
                        &member("bob", "acme"),
                        "read",
                        &Resource::new("docs").with_id("7"),
                    )
                    .await
                    .unwrap();
                assert!(!d.is_allowed());
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(s.sink.count(EventKind::PrivilegeChanged), 1);
}

#[tokio::test]
async fn a_renewed_grant_is_neither_removed_nor_reported_as_lapsed() {
    let s = setup();
    let old = Grant::in_tenant("acme", "bob", "docs", "7", ["read"])
        .expires_at(s.clock.now() + Duration::from_secs(1));
    s.grants.grant(old.clone()).await.unwrap();
    let renewed = old
        .clone()
        .expires_at(s.clock.now() + Duration::from_secs(3600));
    s.grants.grant(renewed.clone()).await.unwrap();
    // What a check that read `old` just before the renewal would try.
    assert!(!s.grants.remove_exact(&old).await.unwrap());
    assert_eq!(
        s.grants
            .get(Some("acme"), "bob", "docs", "7")
            .await
            .unwrap(),
        Some(renewed.clone())
    );
    s.clock.advance(Duration::from_secs(2));
    assert_eq!(
        s.authz.purge_expired_grants("bob", "docs").await.unwrap(),
        0
    );
    assert!(s.sink.events().is_empty());
    assert!(s.grants.remove_exact(&renewed).await.unwrap());
    assert!(s.grants.is_empty());
}

#[tokio::test]
async fn purging_reports_each_lapsed_grant_and_keeps_the_rest() {
    let s = setup();
    let soon = s.clock.now() + Duration::from_secs(10);
    for id in ["1", "2"] {
        s.grants
            .grant(Grant::in_tenant("acme", "bob", "docs", id, ["read"]).expires_at(soon))
            .await
            .unwrap();
    }
    s.grants
        .grant(Grant::in_tenant("acme", "bob", "docs", "3", ["read"]))
        .await
        .unwrap();
    assert_eq!(
        s.authz.purge_expired_grants("bob", "docs").await.unwrap(),
        0
    );
    s.clock.advance(Duration::from_secs(10));
    assert_eq!(
        s.authz.purge_expired_grants("bob", "docs").await.unwrap(),
        2
    );
    let events = s.sink.take();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.fields["action"] == "expired"));
    assert_eq!(s.grants.len(), 1);
    assert_eq!(
        s.authz.purge_expired_grants("bob", "docs").await.unwrap(),
        0
    );
    assert!(s.sink.events().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_are_each_reported_exactly_once() {
    let s = setup();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let authz = s.authz.clone();
            tokio::spawn(async move {
                authz
                    .grant_by(
                        "alice",
                        Grant::in_tenant("acme", "bob", "docs", i.to_string(), ["read"]),
                    )
                    .await
                    .unwrap();
                // Everyone races to bind the same role: one wins, one event.
                authz
                    .bind_role_by("alice", "bob", RoleBinding::global("member"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    let events = s.sink.take();
    let granted = |has_role: bool| {
        events
            .iter()
            .filter(|e| e.fields.contains_key("role") == has_role)
            .count()
    };
    assert_eq!(granted(false), 100);
    assert_eq!(granted(true), 1);
    assert_eq!(s.grants.len(), 100);
}

#[tokio::test]
async fn a_policy_reload_names_what_changed() {
    let s = setup();
    s.authz.reload_toml(POLICY).unwrap();
    let events = s.sink.take();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::ConfigurationChanged);
    assert_eq!(events[0].fields["change"], rampart_core::CHANGE_POLICY);
    assert_eq!(events[0].fields["roles"], 2);
}
