//! Grants are bound to the tenant they were given in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{doc, member};
use rampart_rbac::{
    Authorizer, Grant, GrantStore, MemoryGrantStore, Policy, StoreError, StoreFuture,
};
use std::sync::Arc;

#[tokio::test]
async fn memory_grants_stay_in_their_tenant() {
    common::grants_stay_in_their_tenant(Arc::new(MemoryGrantStore::new())).await;
}

/// A store that answers every lookup with the grants it holds, whatever was asked.
struct Careless(Vec<Grant>);

impl GrantStore for Careless {
    fn grant(&self, _: Grant) -> StoreFuture<'_, ()> {
        Box::pin(async { Err(StoreError::Invalid("read-only")) })
    }
    fn revoke<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async { Ok(false) })
    }
    fn get<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> StoreFuture<'a, Option<Grant>> {
        Box::pin(async { Ok(self.0.first().cloned()) })
    }
    fn lookup<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> StoreFuture<'a, Vec<Grant>> {
        Box::pin(async { Ok(self.0.clone()) })
    }
    fn list<'a>(&'a self, _: &'a str, _: &'a str) -> StoreFuture<'a, Vec<Grant>> {
        Box::pin(async { Ok(self.0.clone()) })
    }
}

#[tokio::test]
async fn the_authorizer_rechecks_what_a_store_returns() {
    let store = Careless(vec![
        Grant::in_tenant("globex", "bob", "docs", "7", ["read"]),
        Grant::in_tenant("acme", "eve", "docs", "7", ["read"]),
        Grant::in_tenant("acme", "bob", "docs", "8", ["read"]),
        Grant::in_tenant("acme", "bob", "pics", "7", ["read"]),
    ]);
    let authz = Authorizer::builder()
        .policy(Policy::from_toml("[roles.member]").unwrap())
        .grant_store(Arc::new(store))
        .build()
        .unwrap();
    let bob = member("bob", "acme");
    for r in [
        doc("7", None),
        doc("7", Some("acme")),
        doc("7", Some("globex")),
    ] {
        let d = authz.check_with_stores(&bob, "read", &r).await.unwrap();
        assert!(!d.is_allowed(), "{r:?}: {d}");
    }
    assert_eq!(
        authz.filter_with_stores(&bob, "read", "docs").await,
        rampart_rbac::DataFilter::Rows {
            any_of: vec![rampart_rbac::Constraint::ids_in_tenant("acme", ["8"])],
            none_of: vec![],
        }
    );
}

#[test]
fn a_stored_grant_without_a_tenant_field_is_refused_not_read_as_global() {
    let old = r#"{"subject":"bob","resource_type":"docs","resource_id":"7","actions":["read"]}"#;
    assert!(serde_json::from_str::<Grant>(old).is_err());
    let global = serde_json::to_string(&Grant::global("bob", "docs", "7", ["read"])).unwrap();
    assert!(global.contains(r#""tenant":null"#), "{global}");
    let back: Grant = serde_json::from_str(&global).unwrap();
    assert_eq!(back, Grant::global("bob", "docs", "7", ["read"]));
}
