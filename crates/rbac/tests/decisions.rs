//! What a decision reports, and when the stores are asked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, EventKind, MemorySink, Principal};
use rampart_rbac::StoreFuture;
use rampart_rbac::{Authorizer, Policy, Reason, Resource, RoleBinding, RoleStore, StoreError};
use std::sync::Arc;

fn who(roles: &[&str]) -> Principal {
    Principal::new("x", AuthMethod::Jwt)
        .with_tenant("A")
        .with_roles(roles.iter().copied())
}

#[test]
fn the_authorizer_knows_its_roles() {
    let authz = Authorizer::from_toml("[roles.viewer]\n[roles.editor]").unwrap();
    assert!(authz.has_role("viewer"));
    assert!(authz.has_role("editor"));
    assert!(!authz.has_role("admin"));
    assert!(!authz.has_role(""));
}

#[test]
fn a_scope_miss_names_the_first_allow_rule_that_missed_never_a_deny() {
    let authz = Authorizer::from_toml(
        r#"
        [roles.r]
        permissions = ["docs:read:own_tenant", "docs:read:own"]
        [roles.d]
        deny = ["docs:read:own"]
    "#,
    )
    .unwrap();
    let elsewhere = Resource::new("docs").with_tenant("B").with_owner("y");
    let d = authz.check(&who(&["r"]), "read", &elsewhere).unwrap();
    assert!(!d.is_allowed());
    match d.reason() {
        Reason::ScopeNotSatisfied(rule) => {
            assert_eq!(rule.location(), "roles.r.permissions[0]");
        }
        other => panic!("{other:?}"),
    }
    // A deny whose scope misses is no reason at all: nothing covered the action.
    let d = authz.check(&who(&["d"]), "read", &elsewhere).unwrap();
    assert_eq!(d.reason(), &Reason::NoPermission);
}

/// A role store that is down.
struct Down;

impl RoleStore for Down {
    fn bindings<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Vec<RoleBinding>> {
        Box::pin(async {
            Err(StoreError::Backend {
                store: "test roles",
                message: "connection refused".into(),
            })
        })
    }
}

#[tokio::test]
async fn without_deny_rules_an_allowed_check_never_waits_for_the_role_store() {
    let sink = MemorySink::new();
    let build = |policy: &str| {
        Authorizer::builder()
            .policy(Policy::from_toml(policy).unwrap())
            .role_store(Arc::new(Down))
            .event_sink(Arc::new(sink.clone()))
            .build()
            .unwrap()
    };
    let items = Resource::new("items").with_tenant("A");
    // No deny rule anywhere: the token's allow cannot be taken back by a stored
    // binding, so an outage of the store does not refuse it.
    let authz = build("[roles.editor]\npermissions = [\"items:*\"]");
    let d = authz
        .check_with_stores(&who(&["editor"]), "delete", &items)
        .await
        .unwrap();
    assert!(d.is_allowed(), "{d}");
    assert_eq!(sink.count(EventKind::StoreFailure), 0);
    // With a deny rule in the policy, the same check must hear from the store.
    let authz = build(
        "[roles.editor]\npermissions = [\"items:*\"]\n[roles.suspended]\ndeny = [\"items:delete\"]",
    );
    let d = authz
        .check_with_stores(&who(&["editor"]), "delete", &items)
        .await
        .unwrap();
    assert_eq!(d.reason(), &Reason::StoreUnavailable);
    assert_eq!(sink.count(EventKind::StoreFailure), 1);
}
