//! Scenarios every grant and role store must pass, run against each store.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{
    Authorizer, Constraint, DataFilter, Grant, GrantStore, Policy, Reason, Resource,
};
use std::sync::Arc;

pub fn member(subject: &str, tenant: &str) -> Principal {
    Principal::new(subject, AuthMethod::Jwt)
        .with_tenant(tenant)
        .with_roles(["member"])
}

pub fn doc<'a>(id: &'a str, tenant: Option<&'a str>) -> Resource<'a> {
    let r = Resource::new("docs").with_id(id);
    match tenant {
        Some(t) => r.with_tenant(t),
        None => r,
    }
}

/// A grant given in one tenant opens that tenant's instance for a principal of
/// that tenant, and nothing of another tenant, in checks and in data filters.
pub async fn grants_stay_in_their_tenant(store: Arc<dyn GrantStore>) {
    let authz = Authorizer::builder()
        .policy(Policy::from_toml("[roles.member]\npermissions = [\"items:read\"]").unwrap())
        .grant_store(Arc::clone(&store))
        .build()
        .unwrap();
    let allowed = |p: &Principal, action: &'static str, r: Resource<'static>| {
        let authz = authz.clone();
        let p = p.clone();
        async move {
            authz
                .check_with_stores(&p, action, &r)
                .await
                .unwrap()
                .is_allowed()
        }
    };
    let bob_acme = member("bob", "acme");
    let bob_globex = member("bob", "globex");

    store
        .grant(Grant::in_tenant("acme", "bob", "docs", "7", ["read"]))
        .await
        .unwrap();
    let d = authz
        .check_with_stores(&bob_acme, "read", &doc("7", Some("acme")))
        .await
        .unwrap();
    assert!(
        matches!(d.reason(), Reason::Grant(g) if g.tenant.as_deref() == Some("acme")),
        "{d}"
    );
    assert!(d.to_string().ends_with("in tenant acme"), "{d}");
    // The bug: the same id in another tenant.
    assert!(!allowed(&bob_acme, "read", doc("7", Some("globex"))).await);
    // A resource of unknown tenant is in the principal's.
    assert!(allowed(&bob_acme, "read", doc("7", None)).await);
    // The same subject acting in another tenant does not carry the grant there.
    assert!(!allowed(&bob_globex, "read", doc("7", None)).await);
    assert!(!allowed(&bob_globex, "read", doc("7", Some("globex"))).await);
    assert!(!allowed(&bob_globex, "read", doc("7", Some("acme"))).await);

    // A grant given in globex is globex's only.
    store
        .grant(Grant::in_tenant("globex", "bob", "docs", "7", ["write"]))
        .await
        .unwrap();
    assert!(allowed(&bob_globex, "write", doc("7", Some("globex"))).await);
    assert!(!allowed(&bob_acme, "write", doc("7", Some("acme"))).await);
    assert!(!allowed(&bob_acme, "write", doc("7", Some("globex"))).await);

    // An operator's global grant reaches the instance in every tenant.
    store
        .grant(Grant::global("bob", "docs", "9", ["read"]))
        .await
        .unwrap();
    let d = authz
        .check_with_stores(&bob_globex, "read", &doc("9", Some("acme")))
        .await
        .unwrap();
    assert!(
        matches!(d.reason(), Reason::Grant(g) if g.tenant.is_none()),
        "{d}"
    );
    assert!(allowed(&bob_acme, "read", doc("9", None)).await);

    // Data filters: the principal's tenant's grants are bound to it, global ones
    // are not, other tenants' are left out.
    assert_eq!(
        authz.filter_with_stores(&bob_acme, "read", "docs").await,
        DataFilter::Rows {
            any_of: vec![
                Constraint::ids(["9"]),
                Constraint::ids_in_tenant("acme", ["7"])
            ],
            none_of: vec![],
        }
    );
    assert_eq!(
        authz.filter_with_stores(&bob_globex, "write", "docs").await,
        DataFilter::Rows {
            any_of: vec![Constraint::ids_in_tenant("globex", ["7"])],
            none_of: vec![],
        }
    );
    assert_eq!(
        authz.filter_with_stores(&bob_acme, "write", "docs").await,
        DataFilter::Nothing
    );

    // Revoking one tenant's grant leaves the other's.
    assert!(
        store
            .revoke(Some("acme"), "bob", "docs", "7")
            .await
            .unwrap()
    );
    assert!(!allowed(&bob_acme, "read", doc("7", Some("acme"))).await);
    assert!(allowed(&bob_globex, "write", doc("7", Some("globex"))).await);
    assert!(
        store
            .revoke(Some("globex"), "bob", "docs", "7")
            .await
            .unwrap()
    );
    assert!(store.revoke(None, "bob", "docs", "9").await.unwrap());
    assert!(store.list("bob", "docs").await.unwrap().is_empty());
}
