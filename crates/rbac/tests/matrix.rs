//! The role matrix of a real multi-tenant application, allowed and denied cases
//! for each role, and the absence of cross-tenant access.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{Authorizer, Policy, Reason, Resource};

const POLICY: &str = include_str!("fixtures/multi_tenant.toml");

/// The application's custom scope: the prediction's company must be in the
/// caller's `assigned_companies` claim.
fn assigned_companies(p: &Principal, r: &Resource<'_>) -> bool {
    let (Some(company), Some(list)) = (r.attribute("company"), p.claim("assigned_companies"))
    else {
        return false;
    };
    list.as_array()
        .is_some_and(|l| l.iter().any(|c| c.as_str() == Some(company)))
}

fn authorizer() -> Authorizer {
    Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .scope("assigned_companies", assigned_companies)
        .build()
        .unwrap()
}

fn who(role: &str) -> Principal {
    Principal::new(format!("{role}-1"), AuthMethod::Jwt)
        .with_tenant("A")
        .with_org("o1")
        .with_roles([role])
        .with_claim("assigned_companies", serde_json::json!(["c1", "c2"]))
}

fn tenant(id: &str) -> Resource<'_> {
    Resource::new("tenant").with_id(id).with_tenant(id)
}

fn org<'a>(tenant: &'a str, id: &'a str) -> Resource<'a> {
    Resource::new("organization")
        .with_id(id)
        .with_tenant(tenant)
        .with_org(id)
}

fn in_org<'a>(kind: &'a str, tenant: &'a str, org: &'a str) -> Resource<'a> {
    Resource::new(kind)
        .with_id("x")
        .with_tenant(tenant)
        .with_org(org)
}

fn prediction<'a>(tenant: &'a str, org: &'a str, company: &'a str) -> Resource<'a> {
    in_org("prediction", tenant, org).with_attribute("company", company)
}

#[track_caller]
fn allowed(a: &Authorizer, p: &Principal, action: &str, r: &Resource<'_>) {
    let d = a.check(p, action, r).unwrap();
    assert!(d.is_allowed(), "{} should {action} {r:?}: {d}", p.subject());
}

#[track_caller]
fn denied(a: &Authorizer, p: &Principal, action: &str, r: &Resource<'_>) {
    let d = a.check(p, action, r).unwrap();
    assert!(
        !d.is_allowed(),
        "{} should not {action} {r:?}: {d}",
        p.subject()
    );
}

#[test]
fn super_admin() {
    let a = authorizer();
    let p = who("super_admin");
    allowed(&a, &p, "restart", &Resource::new("system"));
    allowed(&a, &p, "delete", &tenant("B"));
    allowed(&a, &p, "create", &in_org("user", "B", "o9"));
    allowed(&a, &p, "delete", &prediction("C", "o3", "c9"));
    allowed(&a, &p, "read", &Resource::new("audit"));
    denied(&a, &p, "write", &Resource::new("audit"));
    denied(&a, &p, "read", &org("A", "o1"));
    denied(&a, &p, "read", &Resource::new("billing"));
}

#[test]
fn tenant_admin() {
    let a = authorizer();
    let p = who("tenant_admin");
    allowed(&a, &p, "read", &tenant("A"));
    allowed(&a, &p, "update", &tenant("A"));
    allowed(&a, &p, "create", &org("A", "o7"));
    allowed(&a, &p, "delete", &in_org("user", "A", "o2"));
    allowed(&a, &p, "read", &prediction("A", "o3", "c9"));
    denied(&a, &p, "delete", &tenant("A"));
    denied(&a, &p, "read", &tenant("B"));
    denied(&a, &p, "read", &org("B", "o1"));
    denied(&a, &p, "read", &in_org("user", "B", "o1"));
    denied(&a, &p, "read", &prediction("B", "o1", "c1"));
    denied(&a, &p, "read", &Resource::new("audit"));
    denied(&a, &p, "restart", &Resource::new("system"));
    // A tenant scope needs to know the resource's tenant.
    denied(&a, &p, "read", &Resource::new("prediction"));
}

#[test]
fn org_admin() {
    let a = authorizer();
    let p = who("org_admin");
    allowed(&a, &p, "read", &org("A", "o1"));
    allowed(&a, &p, "update", &org("A", "o1"));
    allowed(&a, &p, "create", &in_org("user", "A", "o1"));
    allowed(&a, &p, "read", &in_org("user", "A", "o1"));
    allowed(&a, &p, "update", &in_org("user", "A", "o1"));
    allowed(&a, &p, "delete", &prediction("A", "o1", "c9"));
    denied(&a, &p, "delete", &org("A", "o1"));
    denied(&a, &p, "read", &org("A", "o2"));
    denied(&a, &p, "delete", &in_org("user", "A", "o1"));
    denied(&a, &p, "read", &in_org("user", "A", "o2"));
    // Same organisation id in another tenant is another organisation.
    denied(&a, &p, "read", &in_org("user", "B", "o1"));
    denied(&a, &p, "read", &org("B", "o1"));
    denied(&a, &p, "read", &prediction("A", "o2", "c1"));
    denied(&a, &p, "read", &tenant("A"));
}

#[test]
fn org_member() {
    let a = authorizer();
    let p = who("org_member");
    allowed(&a, &p, "read", &org("A", "o1"));
    allowed(&a, &p, "read", &in_org("user", "A", "o1"));
    allowed(&a, &p, "create", &prediction("A", "o1", "c1"));
    allowed(&a, &p, "read", &prediction("A", "o1", "c1"));
    denied(&a, &p, "update", &org("A", "o1"));
    denied(&a, &p, "update", &in_org("user", "A", "o1"));
    denied(&a, &p, "delete", &prediction("A", "o1", "c1"));
    denied(&a, &p, "read", &prediction("A", "o2", "c1"));
    denied(&a, &p, "read", &prediction("B", "o1", "c1"));
}

#[test]
fn user_with_assigned_companies() {
    let a = authorizer();
    let p = who("user");
    allowed(&a, &p, "read", &prediction("A", "o5", "c1"));
    allowed(&a, &p, "create", &prediction("A", "o1", "c2"));
    denied(&a, &p, "read", &prediction("A", "o1", "c3"));
    denied(&a, &p, "delete", &prediction("A", "o1", "c1"));
    denied(&a, &p, "read", &prediction("B", "o1", "c1"));
    denied(
        &a,
        &p,
        "read",
        &Resource::new("prediction").with_tenant("A"),
    );
    denied(&a, &p, "read", &in_org("user", "A", "o1"));
    let unassigned = Principal::new("u2", AuthMethod::Jwt)
        .with_tenant("A")
        .with_roles(["user"]);
    denied(&a, &unassigned, "read", &prediction("A", "o1", "c1"));
}

#[test]
fn no_role_reaches_another_tenant_without_an_unscoped_permission() {
    let a = authorizer();
    let kinds = [
        "tenant",
        "organization",
        "user",
        "prediction",
        "audit",
        "system",
    ];
    let actions = ["create", "read", "update", "delete", "list"];
    for role in ["tenant_admin", "org_admin", "org_member", "user"] {
        let p = who(role);
        for kind in kinds {
            for action in actions {
                let foreign = Resource::new(kind)
                    .with_id("B")
                    .with_tenant("B")
                    .with_org("o1")
                    .with_owner(p.subject())
                    .with_attribute("company", "c1");
                denied(&a, &p, action, &foreign);
            }
        }
    }
}

#[test]
fn denial_reason_points_at_the_rule_whose_scope_failed() {
    let a = authorizer();
    let d = a.check(&who("tenant_admin"), "read", &tenant("B")).unwrap();
    let Reason::ScopeNotSatisfied(rule) = d.reason() else {
        panic!("{d}")
    };
    assert_eq!(rule.permission(), "tenant:read:own");
    assert_eq!(rule.location(), "roles.tenant_admin.permissions[0]");
    let d = a
        .check(&who("org_member"), "delete", &prediction("A", "o1", "c1"))
        .unwrap();
    assert_eq!(d.reason(), &Reason::NoPermission);
}

#[test]
fn custom_scope_without_resolver_fails_at_build_naming_the_entry() {
    let err = Authorizer::new(Policy::from_toml(POLICY).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "roles.user.permissions[0]: scope \"assigned_companies\" is not built in (own, own_tenant, own_org); register a resolver with `Authorizer::builder().scope(\"assigned_companies\", ...)`"
    );
}
