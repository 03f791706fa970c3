//! Authorization checks: rampart's compiled policy beside casbin-rs enforcing the
//! same RBAC model (viewer ⊂ editor ⊂ admin, one permission each) in the same run.

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi, RbacApi};
use criterion::{Criterion, criterion_group, criterion_main};
use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{Authorizer, Resource};
use std::hint::black_box;

const POLICY: &str = r#"
[roles.viewer]
permissions = ["items:read"]

[roles.editor]
inherits = ["viewer"]
permissions = ["items:write", "reports:read:own_tenant"]

[roles.admin]
inherits = ["editor"]
permissions = ["items:delete", "admin:*", "reports:read"]
"#;

const MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
"#;

fn casbin_enforcer() -> Enforcer {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let model = DefaultModel::from_str(MODEL).await.expect("casbin model");
        let mut e = Enforcer::new(model, MemoryAdapter::default())
            .await
            .expect("casbin enforcer");
        let rules = [
            ["viewer", "items", "read"],
            ["editor", "items", "write"],
            ["admin", "items", "delete"],
        ];
        for rule in rules {
            e.add_policy(rule.iter().map(|s| (*s).to_owned()).collect())
                .await
                .expect("casbin policy");
        }
        for (member, role) in [
            ("editor", "viewer"),
            ("admin", "editor"),
            ("alice", "admin"),
            ("bob", "viewer"),
        ] {
            e.add_role_for_user(member, role, None)
                .await
                .expect("casbin role");
        }
        e
    })
}

fn checks(c: &mut Criterion) {
    let authz = Authorizer::from_toml(POLICY).expect("policy");
    let alice = Principal::new("alice", AuthMethod::Jwt)
        .with_tenant("acme")
        .with_roles(["admin"]);
    let bob = Principal::new("bob", AuthMethod::Jwt)
        .with_tenant("acme")
        .with_roles(["viewer"]);
    let items = Resource::new("items");
    let report = Resource::new("reports").with_tenant("acme");
    let casbin = casbin_enforcer();

    // Sanity: both engines agree on the cases measured.
    assert!(authz.check(&alice, "read", &items).unwrap().is_allowed());
    assert!(!authz.check(&bob, "delete", &items).unwrap().is_allowed());
    assert!(casbin.enforce(("alice", "items", "read")).expect("enforce"));
    assert!(!casbin.enforce(("bob", "items", "delete")).expect("enforce"));

    let mut g = c.benchmark_group("rbac_check");
    g.bench_function("rampart/allowed_inherited", |b| {
        b.iter(|| {
            black_box(
                authz
                    .check(black_box(&alice), black_box("read"), black_box(&items))
                    .unwrap(),
            )
        })
    });
    g.bench_function("casbin/allowed_inherited", |b| {
        b.iter(|| black_box(casbin.enforce(black_box(("alice", "items", "read")))))
    });
    g.bench_function("rampart/denied", |b| {
        b.iter(|| {
            black_box(
                authz
                    .check(black_box(&bob), black_box("delete"), black_box(&items))
                    .unwrap(),
            )
        })
    });
    g.bench_function("casbin/denied", |b| {
        b.iter(|| black_box(casbin.enforce(black_box(("bob", "items", "delete")))))
    });
    g.bench_function("rampart/scoped_own_tenant", |b| {
        b.iter(|| {
            black_box(
                authz
                    .check(black_box(&alice), black_box("read"), black_box(&report))
                    .unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, checks);
criterion_main!(benches);
