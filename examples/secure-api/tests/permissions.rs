//! The `/api/*` permission guards of the reference app, role by role.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn items_by_role() {
    let app = TestApp::new().await;
    let (carol, _) = app.login("carol").await;
    let (bob, _) = app.login("bob").await;
    let (alice, _) = app.login("alice").await;
    let (mallory, _) = app.login("mallory").await;
    let new_item = || Some(json!({"name": "widget", "description": "a demo item"}));

    assert_eq!(
        app.send(Method::GET, "/api/items", Some(&carol), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(Method::GET, "/api/items", Some(&mallory), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(Method::GET, "/api/items", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    let denied = app
        .send(Method::POST, "/api/items", Some(&carol), new_item())
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.headers["content-type"], "application/problem+json");
    assert!(
        !denied.body.to_string().contains("items:write"),
        "the 403 explains the policy"
    );

    let created = app
        .send(Method::POST, "/api/items", Some(&bob), new_item())
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["name"], "widget");
    let id = created.body["id"].as_u64().unwrap();

    let listed = app.send(Method::GET, "/api/items", Some(&bob), None).await;
    assert_eq!(
        listed.body,
        json!([{"id": id, "name": "widget", "description": "a demo item"}])
    );

    let path = format!("/api/items/{id}");
    assert_eq!(
        app.send(Method::DELETE, &path, Some(&bob), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(Method::DELETE, &path, Some(&alice), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.send(Method::DELETE, &path, Some(&alice), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            "/api/items/not-a-number",
            Some(&alice),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn invalid_items_are_400_problems() {
    let app = TestApp::new().await;
    let (bob, _) = app.login("bob").await;
    for body in [
        json!({"name": "", "description": "x"}),
        json!({"name": "x".repeat(101)}),
        json!({"name": "ok", "description": "d".repeat(2001)}),
        json!({"name": "ok", "extra": true}),
        json!({"name": 5}),
    ] {
        let reply = app
            .send(Method::POST, "/api/items", Some(&bob), Some(body.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.body["status"], 400);
    }
}

#[tokio::test]
async fn reports_only_for_the_callers_own_tenant_except_admin() {
    let app = TestApp::new().await;
    let (bob, _) = app.login("bob").await;
    let (carol, _) = app.login("carol").await;
    let (alice, _) = app.login("alice").await;
    let get = |token: String, tenant: &'static str| {
        let app = &app;
        async move {
            app.send(
                Method::GET,
                &format!("/api/tenants/{tenant}/reports"),
                Some(&token),
                None,
            )
            .await
            .status
        }
    };
    assert_eq!(get(bob.clone(), "acme").await, StatusCode::OK);
    assert_eq!(get(bob.clone(), "globex").await, StatusCode::FORBIDDEN);
    assert_eq!(
        get(carol.clone(), "globex").await,
        StatusCode::FORBIDDEN,
        "viewers cannot read reports"
    );
    assert_eq!(get(alice.clone(), "acme").await, StatusCode::OK);
    assert_eq!(get(alice, "globex").await, StatusCode::OK);
}

#[tokio::test]
async fn cross_site_writes_are_refused_before_authentication() {
    let app = TestApp::new().await;
    let request = http::Request::post("/auth/login")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"username": "bob", "password": "bob-S3cure-demo!"}).to_string(),
        ))
        .unwrap();
    let reply = app.raw(request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.get("access_token").is_none());
}
