//! The input guard on `POST /api/items` and `GET /api/search`: injected
//! input is a `400` problem naming the parameter and category (never the
//! payload), ordinary text passes, and the guard sits in front of the
//! permission check's handler.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn search_refuses_an_injected_query_and_answers_a_plain_one() {
    let app = TestApp::new().await;
    let (bob, _) = app.login("bob").await;
    let created = app
        .send(
            Method::POST,
            "/api/items",
            Some(&bob),
            Some(json!({"name": "O'Brien's widget", "description": "rock 'n' roll; 1 & 2"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);

    let found = app
        .send(Method::GET, "/api/search?q=o%27brien", Some(&bob), None)
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body.as_array().unwrap().len(), 1);

    let refused = app
        .send(
            Method::GET,
            "/api/search?q=x%27%20UNION%20SELECT%20password%20FROM%20users--",
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.headers["content-type"], "application/problem+json");
    assert_eq!(refused.body["parameter"], "q");
    assert_eq!(refused.body["category"], "sql_injection");
    assert!(!refused.body.to_string().to_lowercase().contains("union"));
}

#[tokio::test]
async fn search_still_needs_items_read() {
    let app = TestApp::new().await;
    let (mallory, _) = app.login("mallory").await;
    let (carol, _) = app.login("carol").await;
    assert_eq!(
        app.send(Method::GET, "/api/search?q=x", Some(&mallory), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(Method::GET, "/api/search?q=x", Some(&carol), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(Method::GET, "/api/search?q=x", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn creating_an_item_with_script_is_refused() {
    let app = TestApp::new().await;
    let (bob, _) = app.login("bob").await;
    let refused = app
        .send(
            Method::POST,
            "/api/items",
            Some(&bob),
            Some(json!({"name": "widget", "description": "<img src=x onerror=alert(document.cookie)>"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["parameter"], "description");
    assert_eq!(refused.body["category"], "xss");
    let listed = app.send(Method::GET, "/api/items", Some(&bob), None).await;
    assert_eq!(listed.body, json!([]));

    let operator = app
        .send(
            Method::POST,
            "/api/items",
            Some(&bob),
            Some(json!({"name": {"$ne": ""}})),
        )
        .await;
    assert_eq!(operator.status, StatusCode::BAD_REQUEST);
    assert_eq!(operator.body["category"], "nosql_injection");
}
