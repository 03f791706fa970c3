//! The headers layer on real axum routers: every response, rejections included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use rampart_core::MemorySink;
use rampart_headers::{CspNonce, CsrfLayer, CsrfPolicy, SecurityHeaders, SecurityHeadersLayer};
use std::collections::HashSet;
use tower::ServiceExt;

const EXPECTED: &[&str] = &[
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "permissions-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "origin-agent-cluster",
    "x-dns-prefetch-control",
    "x-permitted-cross-domain-policies",
    "x-download-options",
];

fn app(headers: SecurityHeaders) -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }).post(|| async { "posted" }))
        .route(
            "/branded",
            get(|| async {
                (
                    [
                        ("server", "leaky/1.0"),
                        ("x-powered-by", "php"),
                        ("x-frame-options", "SAMEORIGIN"),
                    ],
                    "branded",
                )
            }),
        )
        .route(
            "/nonce",
            get(|Extension(nonce): Extension<CspNonce>| async move { nonce.to_string() }),
        )
        .layer(CsrfLayer::new(CsrfPolicy::new()).event_sink(std::sync::Arc::new(MemorySink::new())))
        .layer(SecurityHeadersLayer::new(headers))
}

fn assert_all_headers(response: &http::Response<Body>) {
    for name in EXPECTED {
        assert!(
            response.headers().contains_key(*name),
            "{name} missing on a {} response",
            response.status()
        );
    }
}

#[tokio::test]
async fn headers_on_success() {
    let response = app(SecurityHeaders::api().build().unwrap())
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_all_headers(&response);
}

#[tokio::test]
async fn headers_on_not_found_and_method_not_allowed() {
    let app = app(SecurityHeaders::api().build().unwrap());
    let response = app
        .clone()
        .oneshot(Request::get("/nowhere").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_all_headers(&response);
    let response = app
        .oneshot(Request::delete("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_all_headers(&response);
}

#[tokio::test]
async fn headers_on_a_rejection_from_an_inner_layer() {
    let response = app(SecurityHeaders::api().build().unwrap())
        .oneshot(
            Request::post("/")
                .header("sec-fetch-site", "cross-site")
                .header("origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_all_headers(&response);
}

#[tokio::test]
async fn handler_headers_are_kept_and_fingerprints_removed() {
    let response = app(SecurityHeaders::api().build().unwrap())
        .oneshot(Request::get("/branded").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(response.headers().get("server").is_none());
    assert!(response.headers().get("x-powered-by").is_none());
}

#[tokio::test]
async fn nonce_is_unique_over_ten_thousand_responses_and_matches_the_extension() {
    let app = app(SecurityHeaders::spa().build().unwrap());
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        let response = app
            .clone()
            .oneshot(Request::get("/nonce").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let nonce = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(nonce.len(), 24);
        assert!(
            csp.contains(&format!("script-src 'self' 'nonce-{nonce}'")),
            "header {csp} does not carry the handler's nonce {nonce}"
        );
        assert!(seen.insert(nonce), "a nonce repeated");
    }
}

#[tokio::test]
async fn without_a_nonce_policy_no_nonce_is_made() {
    let response = app(SecurityHeaders::api().build().unwrap())
        .oneshot(Request::get("/nonce").body(Body::empty()).unwrap())
        .await
        .unwrap();
    // The handler's extractor fails: no nonce was inserted for a policy without one.
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("nonce")
    );
}
