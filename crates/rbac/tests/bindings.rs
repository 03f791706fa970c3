//! Roles bound to one organisation, and deny rules that reach a principal only
//! through a role store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{
    Authorizer, BindingConfig, MemoryRoleStore, Policy, PolicyConfig, Reason, Resource,
    RoleBinding, RoleConfig,
};
use std::sync::Arc;

fn carol(org: &str) -> Principal {
    Principal::new("carol", AuthMethod::Jwt)
        .with_tenant("A")
        .with_org(org)
}

fn item<'a>(org: &'a str) -> Resource<'a> {
    Resource::new("items").with_tenant("A").with_org(org)
}

#[test]
fn a_static_binding_to_one_org_acts_there_and_nowhere_else() {
    let cfg = PolicyConfig::new()
        .role("admin", RoleConfig::new().permissions(["items:delete"]))
        .binding(BindingConfig::new("carol", "admin").in_org("o1"));
    let authz = Authorizer::new(Policy::from_config(cfg).unwrap()).unwrap();
    let d = authz.check(&carol("o1"), "delete", &item("o1")).unwrap();
    assert!(d.is_allowed(), "{d}");
    assert_eq!(d.rule().unwrap().binding(), Some("bindings[0]"));
    // Same tenant, another organisation: the binding does not reach it, whether
    // the org comes from the resource or (resource silent) from the principal.
    assert!(
        !authz
            .check(&carol("o1"), "delete", &item("o2"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check(&carol("o2"), "delete", &Resource::new("items"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        authz
            .check(&carol("o1"), "delete", &Resource::new("items"))
            .unwrap()
            .is_allowed()
    );
}

#[tokio::test]
async fn a_stored_binding_to_one_org_acts_there_and_nowhere_else() {
    let roles = Arc::new(MemoryRoleStore::new());
    roles.bind("carol", RoleBinding::in_org("admin", "o1"));
    let authz = Authorizer::builder()
        .policy(Policy::from_toml("[roles.admin]\npermissions = [\"items:delete\"]").unwrap())
        .role_store(roles)
        .build()
        .unwrap();
    assert!(
        authz
            .check_with_stores(&carol("o1"), "delete", &item("o1"))
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check_with_stores(&carol("o1"), "delete", &item("o2"))
            .await
            .unwrap()
            .is_allowed()
    );
}

#[tokio::test]
async fn a_deny_reached_only_through_the_role_store_overrides_the_tokens_allow() {
    let roles = Arc::new(MemoryRoleStore::new());
    let authz = Authorizer::builder()
        .policy(
            Policy::from_toml(
                r#"
                [roles.editor]
                permissions = ["items:*"]
                [roles.suspended]
                deny = ["items:delete"]
            "#,
            )
            .unwrap(),
        )
        .role_store(roles.clone())
        .build()
        .unwrap();
    let dave = Principal::new("dave", AuthMethod::Jwt)
        .with_tenant("A")
        .with_roles(["editor"]);
    let items = Resource::new("items").with_tenant("A");
    assert!(
        authz
            .check_with_stores(&dave, "delete", &items)
            .await
            .unwrap()
            .is_allowed()
    );
    roles.bind("dave", RoleBinding::in_tenant("suspended", "A"));
    let d = authz
        .check_with_stores(&dave, "delete", &items)
        .await
        .unwrap();
    assert!(!d.is_allowed(), "{d}");
    assert!(matches!(d.reason(), Reason::Rule(r) if r.is_deny() && r.role() == "suspended"));
    // The deny covers only what it names.
    assert!(
        authz
            .check_with_stores(&dave, "write", &items)
            .await
            .unwrap()
            .is_allowed()
    );
    // The synchronous check cannot see the store; that is why the layer awaits it.
    assert!(authz.check(&dave, "delete", &items).unwrap().is_allowed());
}
