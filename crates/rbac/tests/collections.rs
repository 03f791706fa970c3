//! Collection routes (`GET /orders`): the tenant, organisation or owner of the
//! checked resource comes from the principal or from a query parameter, so a
//! scoped permission (`orders:read:own_tenant`) can allow them at all.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::Query;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use rampart_core::{AuthMethod, Principal};
use rampart_rbac::{Authorizer, PermissionRejection, RequirePermission};
use std::collections::HashMap;
use tower::ServiceExt;

const POLICY: &str = r#"
[roles.clerk]
permissions = ["orders:read:own_tenant", "teams:read:own_org", "notes:read:own"]

[roles.operator]
permissions = ["orders:read"]
"#;

fn app() -> Router {
    let authz = Authorizer::from_toml(POLICY).unwrap();
    Router::new()
        .route(
            "/orders",
            get(|| async { "orders" }).route_layer(
                RequirePermission::new(authz.clone(), "orders:read").tenant_from_principal(),
            ),
        )
        .route(
            "/orders/unscoped",
            get(|| async { "orders" })
                .route_layer(RequirePermission::new(authz.clone(), "orders:read")),
        )
        .route(
            "/teams",
            get(|| async { "teams" }).route_layer(
                RequirePermission::new(authz.clone(), "teams:read")
                    .tenant_from_principal()
                    .org_from_principal(),
            ),
        )
        .route(
            "/me/notes",
            get(|| async { "notes" }).route_layer(
                RequirePermission::new(authz.clone(), "notes:read").owner_from_principal(),
            ),
        )
        .route(
            "/search/orders",
            // The handler reads the tenant with axum's own `Query`: it echoes the
            // value it got, so the test sees that the layer checked that value.
            get(|Query(q): Query<HashMap<String, String>>| async move {
                q.get("tenant").cloned().unwrap_or_default()
            })
            .route_layer(
                RequirePermission::new(authz.clone(), "orders:read").tenant_from_query("tenant"),
            ),
        )
}

fn clerk(tenant: Option<&str>, org: Option<&str>) -> Principal {
    let mut p = Principal::new("carol", AuthMethod::Jwt).with_roles(["clerk"]);
    if let Some(t) = tenant {
        p = p.with_tenant(t);
    }
    if let Some(o) = org {
        p = p.with_org(o);
    }
    p
}

async fn get_as(uri: &str, who: Principal) -> (StatusCode, String, Option<PermissionRejection>) {
    let mut req = Request::get(uri).body(Body::empty()).unwrap();
    req.extensions_mut().insert(who);
    let res = app().oneshot(req).await.unwrap();
    let status = res.status();
    let rejection = res.extensions().get::<PermissionRejection>().cloned();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap(), rejection)
}

#[tokio::test]
async fn collection_route_takes_the_tenant_from_the_principal() {
    let acme = clerk(Some("acme"), None);
    assert_eq!(get_as("/orders", acme.clone()).await.0, StatusCode::OK);
    // Without it, nothing names a tenant and the scoped permission matches no one.
    assert_eq!(
        get_as("/orders/unscoped", acme).await.0,
        StatusCode::FORBIDDEN
    );
    // A principal with no tenant has no collection of its own: the scoped
    // permission cannot allow it...
    let (status, _, rejection) = get_as("/orders", clerk(None, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(matches!(rejection, Some(PermissionRejection::Denied(_))));
    // ... while an operator's unscoped permission still does.
    let operator = Principal::new("op", AuthMethod::Jwt).with_roles(["operator"]);
    assert_eq!(get_as("/orders", operator).await.0, StatusCode::OK);
}

#[tokio::test]
async fn org_and_owner_come_from_the_principal_too() {
    assert_eq!(
        get_as("/teams", clerk(Some("acme"), Some("sales"))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get_as("/teams", clerk(Some("acme"), None)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get_as("/me/notes", clerk(None, None)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn query_tenant_allows_the_own_tenant_only() {
    let acme = clerk(Some("acme"), None);
    let (status, body, _) = get_as("/search/orders?tenant=acme", acme.clone()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "acme"));
    let (status, _, rejection) = get_as("/search/orders?tenant=globex", acme.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(matches!(rejection, Some(PermissionRejection::Denied(_))));
    // Missing or empty: no tenant to check, refused.
    for uri in [
        "/search/orders",
        "/search/orders?tenant=",
        "/search/orders?x=acme",
    ] {
        assert_eq!(
            get_as(uri, acme.clone()).await.0,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn query_values_are_decoded_as_axum_decodes_them() {
    let acme = clerk(Some("acme"), None);
    for uri in [
        "/search/orders?tenant=%61cme",
        "/search/orders?%74enant=acme",
        "/search/orders?page=2&tenant=acm%65&sort=asc",
    ] {
        let (status, body, _) = get_as(uri, acme.clone()).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "acme"), "{uri}");
    }
    // `+` is a space, as the handler's `Query` sees it; `%2B` is a plus.
    let spaced = clerk(Some("big co"), None);
    let (status, body, _) = get_as("/search/orders?tenant=big+co", spaced.clone()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "big co"));
    let (status, body, _) = get_as("/search/orders?tenant=big%20co", spaced.clone()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "big co"));
    assert_eq!(
        get_as("/search/orders?tenant=big%2Bco", spaced).await.0,
        StatusCode::FORBIDDEN
    );
    let plus = clerk(Some("big+co"), None);
    let (status, body, _) = get_as("/search/orders?tenant=big%2Bco", plus.clone()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "big+co"));
    assert_eq!(
        get_as("/search/orders?tenant=big+co", plus).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn repeated_or_undecodable_query_tenant_is_400_never_an_allow() {
    let acme = clerk(Some("acme"), None);
    for uri in [
        // The handler's map would keep the last value: globex.
        "/search/orders?tenant=acme&tenant=globex",
        "/search/orders?tenant=acme&tenant=acme",
        "/search/orders?tenant=acme&%74enant=globex",
        "/search/orders?tenant=ac%FFme",
    ] {
        let (status, _, rejection) = get_as(uri, acme.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(
            rejection,
            Some(PermissionRejection::MalformedQuery),
            "{uri}"
        );
    }
}
