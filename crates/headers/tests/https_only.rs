//! Plain-HTTP requests through a real axum router behind `HttpsOnlyLayer`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Method, Request, StatusCode};
use rampart_core::TrustedProxies;
use rampart_headers::{HttpsOnly, HttpsOnlyLayer, HttpsRequired, TlsConnection};
use std::net::SocketAddr;
use tower::ServiceExt;

fn app() -> Router {
    let policy = HttpsOnly::new()
        .trusted_proxies(TrustedProxies::new(["10.0.0.0/8"]).unwrap())
        .exempt_path("/health");
    Router::new()
        .route(
            "/items",
            get(|| async { "[]" }).post(|| async { "created" }),
        )
        .route("/health", get(|| async { "ok" }))
        .layer(HttpsOnlyLayer::new(policy))
}

fn request(method: Method, path: &str, peer: &str, proto: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "api.example.com");
    if let Some(proto) = proto {
        builder = builder
            .header("x-forwarded-for", "203.0.113.7")
            .header("x-forwarded-proto", proto);
    }
    let mut request = builder.body(Body::empty()).unwrap();
    let peer: SocketAddr = format!("{peer}:5000").parse().unwrap();
    request.extensions_mut().insert(peer);
    request
}

async fn body(response: axum::response::Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn plain_get_is_redirected_with_a_problem_body() {
    let response = app()
        .oneshot(request(Method::GET, "/items?page=2", "203.0.113.7", None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        response.headers()["location"],
        "https://api.example.com/items?page=2"
    );
    assert!(response.extensions().get::<HttpsRequired>().is_some());
    assert_eq!(body(response).await["title"], "HTTPS required");
}

#[tokio::test]
async fn plain_post_is_refused_before_the_handler() {
    let response = app()
        .oneshot(request(
            Method::POST,
            "/items",
            "203.0.113.7",
            Some("https"),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("location").is_none());
    let problem = body(response).await;
    assert_eq!(
        problem["type"],
        "https://rampart.rs/problems/https-required"
    );
}

#[tokio::test]
async fn tls_reported_by_a_trusted_proxy_or_marked_by_the_server_passes() {
    let response = app()
        .oneshot(request(Method::POST, "/items", "10.0.0.5", Some("https")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut direct = request(Method::POST, "/items", "198.51.100.2", None);
    direct.extensions_mut().insert(TlsConnection);
    assert_eq!(
        app().oneshot(direct).await.unwrap().status(),
        StatusCode::OK
    );
    let plain_behind_proxy = request(Method::POST, "/items", "10.0.0.5", Some("http"));
    assert_eq!(
        app().oneshot(plain_behind_proxy).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_health_check_is_exempt() {
    let response = app()
        .oneshot(request(Method::GET, "/health", "10.0.0.5", None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
