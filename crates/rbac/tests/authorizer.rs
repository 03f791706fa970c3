//! The plain API: deny rules, bindings, stores, grants, filters, reload, and
//! properties of wildcards and inheritance.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rampart_core::{AuthMethod, Clock, ManualClock, MemorySink, Principal};
use rampart_rbac::{
    Authorizer, BindingConfig, Constraint, DataFilter, Grant, GrantStore, MemoryGrantStore,
    MemoryRoleStore, Policy, PolicyConfig, Reason, Resource, RoleBinding, RoleConfig,
};
use std::sync::Arc;
use std::time::Duration;

fn p(subject: &str, tenant: &str, roles: &[&str]) -> Principal {
    Principal::new(subject, AuthMethod::Jwt)
        .with_tenant(tenant)
        .with_roles(roles.iter().copied())
}

#[test]
fn deny_overrides_every_allow_including_inherited_and_wildcards() {
    let authz = Authorizer::from_toml(
        r#"
        [roles.base]
        permissions = ["*"]
        [roles.auditor]
        inherits = ["base"]
        deny = ["audit:delete", "secrets:*"]
        [roles.other]
        permissions = ["audit:delete"]
    "#,
    )
    .unwrap();
    let x = p("x", "A", &["auditor", "other"]);
    let d = authz.check(&x, "delete", &Resource::new("audit")).unwrap();
    assert!(!d.is_allowed());
    let rule = d.rule().unwrap();
    assert!(rule.is_deny());
    assert_eq!(rule.location(), "roles.auditor.deny[0]");
    assert!(
        !authz
            .check(&x, "read", &Resource::new("secrets"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        authz
            .check(&x, "read", &Resource::new("audit"))
            .unwrap()
            .is_allowed()
    );
    // Order of roles does not matter.
    let y = p("y", "A", &["other", "auditor"]);
    assert!(
        !authz
            .check(&y, "delete", &Resource::new("audit"))
            .unwrap()
            .is_allowed()
    );
}

#[test]
fn scoped_deny_applies_only_inside_its_scope() {
    let authz = Authorizer::from_toml(
        r#"
        [roles.r]
        permissions = ["docs:*"]
        deny = ["docs:delete:own"]
    "#,
    )
    .unwrap();
    let x = p("x", "A", &["r"]);
    assert!(
        !authz
            .check(&x, "delete", &Resource::new("docs").with_owner("x"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        authz
            .check(&x, "delete", &Resource::new("docs").with_owner("y"))
            .unwrap()
            .is_allowed()
    );
}

#[test]
fn allowed_decision_names_the_rule_and_the_inheritance() {
    let authz = Authorizer::from_toml(
        "[roles.viewer]\npermissions = [\"items:read\"]\n[roles.editor]\ninherits = [\"viewer\"]",
    )
    .unwrap();
    let d = authz
        .check(&p("e", "A", &["editor"]), "read", &Resource::new("items"))
        .unwrap();
    let rule = d.rule().unwrap();
    assert_eq!((rule.role(), rule.defined_in()), ("editor", "viewer"));
    assert_eq!(
        d.to_string(),
        "allowed: permission items:read (roles.viewer.permissions[0]) inherited through role editor"
    );
    let d = authz
        .check(&p("n", "A", &["ghost"]), "read", &Resource::new("items"))
        .unwrap();
    assert_eq!(d.reason(), &Reason::NoPermission);
}

#[test]
fn static_bindings_are_per_tenant() {
    let cfg = PolicyConfig::new()
        .role("viewer", RoleConfig::new().permissions(["items:read"]))
        .role(
            "admin",
            RoleConfig::new()
                .inherits(["viewer"])
                .permissions(["items:delete", "reports:read:own_tenant"]),
        )
        .binding(BindingConfig::new("alice", "admin").in_tenant("A"))
        .binding(BindingConfig::new("alice", "viewer").in_tenant("B"));
    let authz = Authorizer::new(Policy::from_config(cfg).unwrap()).unwrap();
    let alice = Principal::new("alice", AuthMethod::Jwt).with_tenant("A");
    let item = |t: &'static str| Resource::new("items").with_tenant(t);
    assert!(
        authz
            .check(&alice, "delete", &item("A"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check(&alice, "delete", &item("B"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        authz
            .check(&alice, "read", &item("B"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check(&alice, "read", &item("C"))
            .unwrap()
            .is_allowed()
    );
    // A resource without tenant is judged in the principal's tenant.
    assert!(
        authz
            .check(&alice, "delete", &Resource::new("items"))
            .unwrap()
            .is_allowed()
    );
    let report = |t: &'static str| Resource::new("reports").with_tenant(t);
    assert!(
        authz
            .check(&alice, "read", &report("A"))
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check(&alice, "read", &report("B"))
            .unwrap()
            .is_allowed()
    );
    let d = authz.check(&alice, "delete", &item("A")).unwrap();
    assert_eq!(d.rule().unwrap().binding(), Some("bindings[0]"));
}

#[tokio::test]
async fn role_store_bindings_apply_in_their_tenant() {
    let roles = Arc::new(MemoryRoleStore::new());
    let authz = Authorizer::builder()
        .policy(
            Policy::from_toml(
                "[roles.admin]\npermissions = [\"items:*\"]\n[roles.viewer]\npermissions = [\"items:read\"]",
            )
            .unwrap(),
        )
        .role_store(roles.clone())
        .build()
        .unwrap();
    let alice = Principal::new("alice", AuthMethod::Jwt).with_tenant("A");
    let item = |t: &'static str| Resource::new("items").with_tenant(t);
    assert!(
        !authz
            .check_with_stores(&alice, "delete", &item("A"))
            .await
            .unwrap()
            .is_allowed()
    );
    roles.bind("alice", RoleBinding::in_tenant("admin", "A"));
    roles.bind("alice", RoleBinding::in_tenant("viewer", "B"));
    assert!(
        authz
            .check_with_stores(&alice, "delete", &item("A"))
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check_with_stores(&alice, "delete", &item("B"))
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        authz
            .check_with_stores(&alice, "read", &item("B"))
            .await
            .unwrap()
            .is_allowed()
    );
    // The synchronous check does not consult stores.
    assert!(
        !authz
            .check(&alice, "delete", &item("A"))
            .unwrap()
            .is_allowed()
    );
    assert!(roles.unbind("alice", &RoleBinding::in_tenant("admin", "A")));
    assert!(
        !authz
            .check_with_stores(&alice, "delete", &item("A"))
            .await
            .unwrap()
            .is_allowed()
    );
}

#[tokio::test]
async fn grants_expire_with_the_clock_and_can_be_revoked_but_never_beat_deny() {
    let clock = ManualClock::at_unix(10_000);
    let grants = Arc::new(MemoryGrantStore::new());
    let authz = Authorizer::builder()
        .policy(Policy::from_toml("[roles.guest]\ndeny = [\"docs:delete\"]").unwrap())
        .grant_store(grants.clone())
        .clock(clock.shared())
        .build()
        .unwrap();
    let bob = p("bob", "A", &["guest"]);
    let doc = |id: &'static str| Resource::new("docs").with_id(id);
    let until = clock.now() + Duration::from_secs(30);
    grants
        .grant(Grant::in_tenant("A", "bob", "docs", "1", ["read", "delete"]).expires_at(until))
        .await
        .unwrap();
    let d = authz
        .check_with_stores(&bob, "read", &doc("1"))
        .await
        .unwrap();
    assert!(d.is_allowed());
    assert!(matches!(d.reason(), Reason::Grant(g) if g.resource_id == "1"));
    assert!(
        !authz
            .check_with_stores(&bob, "read", &doc("2"))
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check_with_stores(&bob, "write", &doc("1"))
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !authz
            .check_with_stores(&bob, "delete", &doc("1"))
            .await
            .unwrap()
            .is_allowed()
    );
    clock.advance(Duration::from_secs(29));
    assert!(
        authz
            .check_with_stores(&bob, "read", &doc("1"))
            .await
            .unwrap()
            .is_allowed()
    );
    clock.advance(Duration::from_secs(1));
    assert!(
        !authz
            .check_with_stores(&bob, "read", &doc("1"))
            .await
            .unwrap()
            .is_allowed()
    );

    grants
        .grant(Grant::in_tenant("A", "bob", "docs", "3", ["*"]))
        .await
        .unwrap();
    assert!(
        authz
            .check_with_stores(&bob, "read", &doc("3"))
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(grants.revoke(Some("A"), "bob", "docs", "3").await.unwrap());
    assert!(
        !authz
            .check_with_stores(&bob, "read", &doc("3"))
            .await
            .unwrap()
            .is_allowed()
    );
}

#[tokio::test]
async fn filters_describe_the_visible_rows() {
    let grants = Arc::new(MemoryGrantStore::new());
    let clock = ManualClock::at_unix(0);
    let authz = Authorizer::builder()
        .policy(
            Policy::from_toml(
                r#"
                [roles.super]
                permissions = ["prediction:*"]
                [roles.tenant_admin]
                permissions = ["prediction:*:own_tenant"]
                [roles.member]
                permissions = ["prediction:read:own_org", "prediction:read:own"]
                [roles.muted]
                permissions = ["prediction:*"]
                deny = ["prediction:read"]
            "#,
            )
            .unwrap(),
        )
        .grant_store(grants.clone())
        .clock(clock.shared())
        .build()
        .unwrap();
    let who = |role: &str| p("u1", "A", &[role]).with_org("o1");
    assert_eq!(
        authz.filter(&who("super"), "read", "prediction"),
        DataFilter::All
    );
    assert_eq!(
        authz.filter(&who("tenant_admin"), "read", "prediction"),
        DataFilter::Rows {
            any_of: vec![Constraint::tenant("A")],
            none_of: vec![]
        }
    );
    let mut owner = Constraint::owner("u1");
    owner.tenant = Some("A".into());
    assert_eq!(
        authz.filter(&who("member"), "read", "prediction"),
        DataFilter::Rows {
            any_of: vec![owner.clone(), Constraint::org("A", "o1")],
            none_of: vec![]
        }
    );
    assert_eq!(
        authz.filter(&who("member"), "delete", "prediction"),
        DataFilter::Nothing
    );
    assert_eq!(
        authz.filter(&who("muted"), "read", "prediction"),
        DataFilter::Nothing
    );
    assert_eq!(
        authz.filter(&who("nobody"), "read", "prediction"),
        DataFilter::Nothing
    );

    grants
        .grant(
            Grant::in_tenant("A", "u1", "prediction", "p9", ["read"])
                .expires_at(clock.now() + Duration::from_secs(5)),
        )
        .await
        .unwrap();
    assert_eq!(
        authz
            .filter_with_stores(&who("nobody"), "read", "prediction")
            .await,
        DataFilter::Rows {
            any_of: vec![Constraint::ids_in_tenant("A", ["p9"])],
            none_of: vec![]
        }
    );
    clock.advance(Duration::from_secs(5));
    assert_eq!(
        authz
            .filter_with_stores(&who("nobody"), "read", "prediction")
            .await,
        DataFilter::Nothing
    );
}

#[test]
fn reload_is_atomic_under_concurrent_checks() {
    let sink = MemorySink::new();
    // Both versions allow a:x, through different roles and tables; a check that
    // saw part of one and part of the other could find neither.
    let v1 = "[roles.r1]\npermissions = [\"a:x\"]\n[roles.r2]\npermissions = [\"b:y\"]";
    let v2 = "[roles.r1]\npermissions = [\"b:y\"]\n[roles.r2]\npermissions = [\"*:x\"]";
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(v1).unwrap())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let who = p("s", "A", &["r1", "r2"]);
    std::thread::scope(|s| {
        let checker = s.spawn(|| {
            for _ in 0..20_000 {
                assert!(
                    authz
                        .check(&who, "x", &Resource::new("a"))
                        .unwrap()
                        .is_allowed()
                );
                assert!(
                    authz
                        .check(&who, "y", &Resource::new("b"))
                        .unwrap()
                        .is_allowed()
                );
            }
        });
        for i in 0..200 {
            authz.reload_toml(if i % 2 == 0 { v2 } else { v1 }).unwrap();
        }
        checker.join().unwrap();
    });
    assert_eq!(
        sink.count(rampart_core::EventKind::ConfigurationChanged),
        200
    );
}

// ---- properties of wildcards and inheritance ----

const RESOURCES: [&str; 3] = ["items", "reports", "users"];
const ACTIONS: [&str; 3] = ["read", "write", "delete"];

fn segment(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        proptest::sample::select(names).prop_map(str::to_owned)
    ]
}

fn permission() -> impl Strategy<Value = String> {
    (segment(&RESOURCES), segment(&ACTIONS)).prop_map(|(r, a)| {
        if r == "*" && a == "*" {
            "*".to_owned()
        } else {
            format!("{r}:{a}")
        }
    })
}

/// Up to 6 roles; role i may inherit only from roles with a smaller index, so
/// the graph is acyclic by construction.
fn roles() -> impl Strategy<Value = Vec<(Vec<usize>, Vec<String>)>> {
    (1usize..=6).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                (
                    proptest::sample::subsequence((0..i).collect::<Vec<_>>(), 0..=i),
                    proptest::collection::vec(permission(), 0..4),
                )
            })
            .collect::<Vec<_>>()
    })
}

fn covers(perm: &str, r: &str, a: &str) -> bool {
    if perm == "*" {
        return true;
    }
    let (pr, pa) = perm.split_once(':').unwrap();
    (pr == "*" || pr == r) && (pa == "*" || pa == a)
}

fn ancestors(roles: &[(Vec<usize>, Vec<String>)], i: usize, out: &mut Vec<usize>) {
    if !out.contains(&i) {
        out.push(i);
        for &p in &roles[i].0 {
            ancestors(roles, p, out);
        }
    }
}

proptest! {
    #[test]
    fn a_role_allows_exactly_what_its_closure_covers(roles in roles(), held in 0usize..6) {
        let held = held % roles.len();
        let mut cfg = PolicyConfig::new();
        for (i, (parents, perms)) in roles.iter().enumerate() {
            cfg = cfg.role(
                format!("r{i}"),
                RoleConfig::new()
                    .inherits(parents.iter().map(|p| format!("r{p}")))
                    .permissions(perms.clone()),
            );
        }
        let authz = Authorizer::new(Policy::from_config(cfg).unwrap()).unwrap();
        let who = p("s", "A", &[&format!("r{held}")]);
        let mut closure = Vec::new();
        ancestors(&roles, held, &mut closure);
        for r in RESOURCES.iter().chain(["unknown"].iter()) {
            for a in ACTIONS.iter().chain(["unknown"].iter()) {
                let expected = closure.iter().any(|&i| roles[i].1.iter().any(|perm| covers(perm, r, a)));
                let got = authz.check(&who, a, &Resource::new(*r)).unwrap().is_allowed();
                prop_assert_eq!(got, expected, "role r{} {}:{}", held, r, a);
            }
        }
    }

    #[test]
    fn a_child_allows_at_least_what_its_parent_allows(perms in proptest::collection::vec(permission(), 0..5),
                                                       extra in proptest::collection::vec(permission(), 0..3)) {
        let authz = Authorizer::new(Policy::from_config(
            PolicyConfig::new()
                .role("parent", RoleConfig::new().permissions(perms))
                .role("child", RoleConfig::new().inherits(["parent"]).permissions(extra)),
        ).unwrap()).unwrap();
        for r in RESOURCES {
            for a in ACTIONS {
                let parent = authz.check(&p("s", "A", &["parent"]), a, &Resource::new(r)).unwrap().is_allowed();
                let child = authz.check(&p("s", "A", &["child"]), a, &Resource::new(r)).unwrap().is_allowed();
                prop_assert!(!parent || child);
            }
        }
    }

    #[test]
    fn scoped_permissions_never_cross_tenants(action in proptest::sample::select(&ACTIONS[..]),
                                              mine in "[a-c]", theirs in "[a-c]") {
        let authz = Authorizer::from_toml(
            "[roles.r]\npermissions = [\"*:*:own_tenant\", \"*:*:own_org\", \"*:*:own\"]",
        ).unwrap();
        let who = p("s", &mine, &["r"]).with_org("o");
        let res = Resource::new("items").with_tenant(theirs.clone()).with_org("o").with_owner("s");
        prop_assert_eq!(authz.check(&who, action, &res).unwrap().is_allowed(), mine == theirs);
    }
}

#[test]
fn json_and_toml_policies_are_the_same_policy() {
    let toml = Policy::from_toml(
        r#"
        [roles.viewer]
        permissions = ["items:read"]
        [roles.editor]
        inherits = ["viewer"]
        permissions = ["items:write", "reports:read:own_tenant"]
        deny = ["items:purge"]
        [[bindings]]
        subject = "alice"
        role = "editor"
        tenant = "acme"
    "#,
    )
    .unwrap();
    let json = Policy::from_json(
        r#"{
        "roles": {
            "viewer": {"permissions": ["items:read"]},
            "editor": {"inherits": ["viewer"], "permissions": ["items:write", "reports:read:own_tenant"], "deny": ["items:purge"]}
        },
        "bindings": [{"subject": "alice", "role": "editor", "tenant": "acme"}]
    }"#,
    )
    .unwrap();
    assert_eq!(toml, json);
    // And the config round-trips through TOML.
    let text = toml::to_string(toml.config()).unwrap();
    assert_eq!(Policy::from_toml(&text).unwrap(), toml);
}
