//! CSRF's origin fallback in the app: whole origins, scheme included, as
//! configured by `[http] insecure_plain_http`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use common::TestApp;
use http::{Request, StatusCode};

fn login_from(origin: &str) -> Request<Body> {
    login_to("/auth/login", origin)
}

/// Behind TLS the request arrives as HTTPS: an absolute `https` target, as a
/// TLS-terminating server hands it on.
fn login_over_tls_from(origin: &str) -> Request<Body> {
    login_to("https://127.0.0.1:8080/auth/login", origin)
}

fn login_to(target: &str, origin: &str) -> Request<Body> {
    Request::post(target)
        .header("host", "127.0.0.1:8080")
        .header("origin", origin)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"username":"bob","password":"wrong"}"#))
        .unwrap()
}

#[tokio::test]
async fn plain_http_development_accepts_its_own_http_origin() {
    let app = TestApp::new().await;
    let reply = app.raw(login_from("http://127.0.0.1:8080")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    let reply = app.raw(login_from("https://127.0.0.1:8080")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?}", reply.body);
}

#[tokio::test]
async fn behind_tls_an_http_origin_of_the_same_host_is_cross_site() {
    let app = TestApp::with_config(Some("[http]\ninsecure_plain_http = false\n")).await;
    let reply = app.raw(login_over_tls_from("http://127.0.0.1:8080")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?}", reply.body);
    assert_eq!(
        reply.headers["content-type"], "application/problem+json",
        "a refusal is a problem"
    );
    assert_eq!(
        reply.body["type"],
        "https://rampart.rs/problems/cross-site-request"
    );
    let reply = app.raw(login_over_tls_from("https://127.0.0.1:8080")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
}

#[tokio::test]
async fn another_site_is_refused_either_way() {
    for config in [None, Some("[http]\ninsecure_plain_http = false\n")] {
        let app = TestApp::with_config(config).await;
        for origin in ["http://evil.example", "https://evil.example", "null"] {
            let reply = app.raw(login_over_tls_from(origin)).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{origin} {config:?}");
        }
    }
}
