//! `RequirePermission` in a real axum router.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use rampart_core::{AuthMethod, EventKind, ManualClock, MemorySink, Principal, SharedSink};
use rampart_rbac::{
    Authorizer, FailMode, Grant, GrantStore, MemoryGrantStore, PermissionRejection, Policy, Reason,
    RequirePermission, Resource, StoreError, StoreFuture,
};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

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

fn app(authz: &Authorizer) -> Router {
    Router::new()
        .route(
            "/api/items",
            get(|| async { "items" })
                .route_layer(RequirePermission::new(authz.clone(), "items:read")),
        )
        .route(
            "/api/items/{id}",
            axum::routing::delete(|| async { "deleted" }).route_layer(
                RequirePermission::new(authz.clone(), "items:delete").id_from_path("id"),
            ),
        )
        .route(
            "/api/tenants/{tenant}/reports",
            get(|| async { "reports" }).route_layer(
                RequirePermission::new(authz.clone(), "reports:read").tenant_from_path("tenant"),
            ),
        )
        .route(
            "/api/admin/{tenant}/stats",
            get(|| async { "stats" }).route_layer(
                RequirePermission::new(authz.clone(), "admin:stats").resource_with(|parts, r| {
                    let tenant = parts.headers.get("x-tenant")?.to_str().ok()?.to_owned();
                    Some(r.with_tenant(tenant))
                }),
            ),
        )
}

fn user(role: &str, tenant: &str) -> Principal {
    Principal::new(format!("{role}@{tenant}"), AuthMethod::Jwt)
        .with_tenant(tenant)
        .with_roles([role])
}

async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    who: Option<Principal>,
) -> (StatusCode, http::Response<Body>) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    if let Some(p) = who {
        req.extensions_mut().insert(p);
    }
    let res = router.clone().oneshot(req).await.unwrap();
    (res.status(), res)
}

async fn status(router: &Router, uri: &str, who: Option<Principal>) -> StatusCode {
    call(router, "GET", uri, who).await.0
}

fn authorizer(sink: &MemorySink) -> Authorizer {
    Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn roles_and_inheritance_guard_routes() {
    let sink = MemorySink::new();
    let router = app(&authorizer(&sink));
    assert_eq!(
        status(&router, "/api/items", Some(user("viewer", "acme"))).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&router, "/api/items", Some(user("admin", "acme"))).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&router, "/api/items", Some(user("nobody", "acme"))).await,
        StatusCode::FORBIDDEN
    );
    let (s, _) = call(
        &router,
        "DELETE",
        "/api/items/7",
        Some(user("editor", "acme")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &router,
        "DELETE",
        "/api/items/7",
        Some(user("admin", "acme")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // Unknown paths are still 404: the guard is per route.
    assert_eq!(
        status(&router, "/nowhere", None).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn tenant_path_parameter_scopes_the_report_route() {
    let sink = MemorySink::new();
    let router = app(&authorizer(&sink));
    let editor = || Some(user("editor", "acme"));
    assert_eq!(
        status(&router, "/api/tenants/acme/reports", editor()).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&router, "/api/tenants/globex/reports", editor()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            &router,
            "/api/tenants/globex/reports",
            Some(user("viewer", "globex"))
        )
        .await,
        StatusCode::FORBIDDEN
    );
    // admin has unscoped reports:read.
    assert_eq!(
        status(
            &router,
            "/api/tenants/globex/reports",
            Some(user("admin", "acme"))
        )
        .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn missing_principal_is_401_with_a_challenge() {
    let sink = MemorySink::new();
    let router = app(&authorizer(&sink));
    let (s, res) = call(&router, "GET", "/api/items", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        res.extensions().get::<PermissionRejection>(),
        Some(&PermissionRejection::Unauthenticated)
    );
    assert_eq!(sink.count(EventKind::AuthenticationFailed), 1);
}

#[tokio::test]
async fn denial_is_a_generic_problem_and_an_event_with_the_reason() {
    let sink = MemorySink::new();
    let router = app(&authorizer(&sink));
    let (s, res) = call(
        &router,
        "GET",
        "/api/tenants/globex/reports",
        Some(user("editor", "acme")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let Some(PermissionRejection::Denied(decision)) =
        res.extensions().get::<PermissionRejection>().cloned()
    else {
        panic!("no typed rejection")
    };
    assert!(
        matches!(decision.reason(), Reason::ScopeNotSatisfied(r) if r.permission() == "reports:read:own_tenant")
    );
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(
        !text.contains("reports:read") && !text.contains("editor"),
        "{text}"
    );
    let events = sink.events();
    let denied: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::PermissionDenied)
        .collect();
    assert_eq!(denied.len(), 1);
    let e = denied[0];
    assert_eq!(e.subject.as_deref(), Some("editor@acme"));
    assert!(e.reason.contains("reports:read:own_tenant"), "{}", e.reason);
    assert_eq!(e.fields["permission"], "reports:read");
    assert_eq!(e.fields["resource_tenant"], "globex");
}

#[tokio::test]
async fn closure_completes_the_resource_and_none_refuses() {
    let sink = MemorySink::new();
    let authz = Authorizer::builder()
        .policy(
            Policy::from_toml("[roles.ops]\npermissions = [\"admin:stats:own_tenant\"]").unwrap(),
        )
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let router = app(&authz);
    let ops = || Some(user("ops", "acme"));
    let with_header = |tenant: &str| {
        let mut req = Request::get("/api/admin/x/stats")
            .header("x-tenant", tenant)
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(user("ops", "acme"));
        req
    };
    assert_eq!(
        router
            .clone()
            .oneshot(with_header("acme"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        router
            .clone()
            .oneshot(with_header("globex"))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let (s, res) = call(&router, "GET", "/api/admin/x/stats", ops()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        res.extensions().get::<PermissionRejection>(),
        Some(&PermissionRejection::UnknownResource)
    );
}

#[tokio::test]
async fn reload_takes_effect_for_the_next_request() {
    let sink = MemorySink::new();
    let authz = authorizer(&sink);
    let router = app(&authz);
    assert_eq!(
        status(&router, "/api/items", Some(user("viewer", "acme"))).await,
        StatusCode::OK
    );
    authz
        .reload_toml("[roles.viewer]\npermissions = []")
        .unwrap();
    assert_eq!(
        status(&router, "/api/items", Some(user("viewer", "acme"))).await,
        StatusCode::FORBIDDEN
    );
    assert!(
        authz
            .reload_toml("[roles.viewer]\ninherits = [\"ghost\"]")
            .is_err()
    );
    assert_eq!(
        status(&router, "/api/items", Some(user("viewer", "acme"))).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(sink.count(EventKind::ConfigurationChanged), 1);
}

#[tokio::test]
async fn grants_from_the_store_open_one_resource_until_they_expire() {
    let clock = ManualClock::at_unix(1_000);
    let grants = Arc::new(MemoryGrantStore::new());
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .grant_store(grants.clone())
        .clock(clock.shared())
        .build()
        .unwrap();
    let router = app(&authz);
    let bob = || Some(user("viewer", "acme"));
    grants
        .grant(
            Grant::in_tenant("acme", "viewer@acme", "items", "7", ["delete"])
                .expires_at(clock.now_plus(60)),
        )
        .await
        .unwrap();
    assert_eq!(
        call(&router, "DELETE", "/api/items/7", bob()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&router, "DELETE", "/api/items/8", bob()).await.0,
        StatusCode::FORBIDDEN
    );
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        call(&router, "DELETE", "/api/items/7", bob()).await.0,
        StatusCode::FORBIDDEN
    );
    // Role-based access still works through the async path.
    assert_eq!(status(&router, "/api/items", bob()).await, StatusCode::OK);
}

trait NowPlus {
    fn now_plus(&self, secs: u64) -> std::time::SystemTime;
}

impl NowPlus for ManualClock {
    fn now_plus(&self, secs: u64) -> std::time::SystemTime {
        use rampart_core::Clock;
        self.now() + Duration::from_secs(secs)
    }
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
async fn failing_store_fails_closed_with_503_and_an_event() {
    let sink = MemorySink::new();
    let shared: SharedSink = Arc::new(sink.clone());
    let authz = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .grant_store(Arc::new(Broken))
        .event_sink(shared)
        .build()
        .unwrap();
    let router = app(&authz);
    let (s, res) = call(
        &router,
        "DELETE",
        "/api/items/7",
        Some(user("viewer", "acme")),
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
    assert_eq!(
        res.extensions().get::<PermissionRejection>(),
        Some(&PermissionRejection::StoreUnavailable)
    );
    assert_eq!(sink.count(EventKind::StoreFailure), 1);
    // What the policy alone allows does not need the store.
    assert_eq!(
        call(
            &router,
            "DELETE",
            "/api/items/7",
            Some(user("admin", "acme"))
        )
        .await
        .0,
        StatusCode::OK
    );

    let open = Authorizer::builder()
        .policy(Policy::from_toml(POLICY).unwrap())
        .grant_store(Arc::new(Broken))
        .fail_mode(FailMode::Open)
        .build()
        .unwrap();
    let d = open
        .check_with_stores(
            &user("viewer", "acme"),
            "delete",
            &Resource::new("items").with_id("7"),
        )
        .await
        .unwrap();
    assert_eq!(d.reason(), &Reason::NoPermission);
}

#[test]
#[should_panic(expected = "scopes belong in the policy")]
fn scoped_required_action_is_refused_at_startup() {
    let authz = Authorizer::from_toml(POLICY).unwrap();
    let _ = RequirePermission::new(authz, "reports:read:own_tenant");
}
