//! An authorizer built without `event_sink` still reports: denials and store
//! outages go to `tracing` (the `TracingSink`), so none is silent.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{
    Authorizer, Grant, GrantStore, Policy, RequirePermission, StoreError, StoreFuture,
};
use rampart_test_support::SecurityLog;
use std::sync::Arc;
use tower::ServiceExt;

const POLICY: &str = r#"
[roles.viewer]
permissions = ["items:read"]
"#;

fn router(authz: &Authorizer) -> Router {
    Router::new().route(
        "/items/{id}",
        get(|| async { "items" })
            .route_layer(RequirePermission::new(authz.clone(), "items:write").id_from_path("id")),
    )
}

async fn call(router: Router, who: Option<Principal>) -> StatusCode {
    let mut req = Request::get("/items/7").body(Body::empty()).unwrap();
    if let Some(p) = who {
        req.extensions_mut().insert(p);
    }
    router.oneshot(req).await.unwrap().status()
}

fn viewer() -> Principal {
    Principal::new("v@acme", AuthMethod::Jwt)
        .with_tenant("acme")
        .with_roles(["viewer"])
}

#[tokio::test]
async fn default_built_authorizer_reports_denials_to_tracing() {
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .build()
        .unwrap();
    let (log, _guard) = SecurityLog::capture();
    assert_eq!(
        call(router(&authz), Some(viewer())).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call(router(&authz), None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(log.count("PermissionDenied"), 1, "{:?}", log.kinds());
    assert_eq!(log.count("AuthenticationFailed"), 1, "{:?}", log.kinds());
}

struct Broken;

impl GrantStore for Broken {
    fn grant(&self, _: Grant) -> StoreFuture<'_, ()> {
        Box::pin(async { Err(down()) })
    }
    fn revoke<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(down()) })
    }
    fn get<'a>(
        &'a self,
        _: Option<&'a str>,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> StoreFuture<'a, Option<Grant>> {
        Box::pin(async { Err(down()) })
    }
    fn list<'a>(&'a self, _: &'a str, _: &'a str) -> StoreFuture<'a, Vec<Grant>> {
        Box::pin(async { Err(down()) })
    }
}

fn down() -> StoreError {
    StoreError::Backend {
        store: "test",
        message: "connection refused".into(),
    }
}

#[tokio::test]
async fn default_built_authorizer_reports_store_outages_and_reloads_to_tracing() {
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .grant_store(Arc::new(Broken))
        .build()
        .unwrap();
    let (log, _guard) = SecurityLog::capture();
    assert_eq!(
        call(router(&authz), Some(viewer())).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(log.count("StoreFailure"), 1, "{:?}", log.kinds());
    authz.reload_toml(POLICY).unwrap();
    assert_eq!(log.count("ConfigurationChanged"), 1, "{:?}", log.kinds());
}
