//! `NonceHtml` behind the security headers layer: the page and the header
//! carry the same fresh nonce.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use rampart_headers::{NonceHtml, SecurityHeaders, SecurityHeadersLayer};
use tower::ServiceExt;

const INDEX: &str = "<!doctype html>\
    <script nonce=\"{{csp_nonce}}\">window.boot = 1;</script>\
    <script type=\"module\" src=\"/assets/index-4f2a.js\"></script>";

fn spa(headers: SecurityHeaders) -> Router {
    Router::new()
        .fallback_service(NonceHtml::new(INDEX))
        .layer(SecurityHeadersLayer::new(headers))
}

async fn send(app: Router, method: Method, path: &str) -> (http::response::Parts, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let (parts, body) = app.oneshot(request).await.unwrap().into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts, String::from_utf8(body.to_vec()).unwrap())
}

/// The nonce the CSP header names in `script-src`.
fn header_nonce(parts: &http::response::Parts) -> String {
    let csp = parts.headers["content-security-policy"].to_str().unwrap();
    let start = csp.find("script-src 'self' 'nonce-").unwrap() + "script-src 'self' 'nonce-".len();
    csp[start..start + 24].to_owned()
}

#[tokio::test]
async fn the_page_carries_the_nonce_of_its_own_csp_header() {
    let app = spa(SecurityHeaders::spa().build().unwrap());
    let (first, page) = send(app.clone(), Method::GET, "/settings/profile").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(first.headers["cache-control"], "no-store");
    let nonce = header_nonce(&first);
    assert_eq!(
        page,
        INDEX.replace("{{csp_nonce}}", &nonce),
        "the page's nonce differs from the header's"
    );
    let (second, second_page) = send(app, Method::GET, "/").await;
    assert_ne!(header_nonce(&second), nonce, "the nonce was reused");
    assert!(second_page.contains(&header_nonce(&second)));
    assert!(!second_page.contains(&nonce));
}

#[tokio::test]
async fn head_has_the_headers_without_the_page_and_other_methods_are_refused() {
    let app = spa(SecurityHeaders::spa().build().unwrap());
    let (head, body) = send(app.clone(), Method::HEAD, "/").await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers["content-type"], "text/html; charset=utf-8");
    assert!(body.is_empty());
    let (post, body) = send(app, Method::POST, "/").await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers["allow"], "GET, HEAD");
    assert_eq!(post.headers["content-type"], "application/problem+json");
    assert!(!body.contains("<script"), "{body}");
}

#[tokio::test]
async fn without_a_nonce_the_page_is_not_served() {
    // A policy without 'nonce' puts no nonce in the request.
    let (parts, body) = send(
        spa(SecurityHeaders::api().build().unwrap()),
        Method::GET,
        "/",
    )
    .await;
    assert_eq!(parts.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(parts.headers["content-type"], "application/problem+json");
    assert!(!body.contains("{{csp_nonce}}"), "{body}");
    // No security headers layer at all.
    let bare = Router::new().fallback_service(NonceHtml::new(INDEX));
    let (parts, _) = send(bare, Method::GET, "/").await;
    assert_eq!(parts.status, StatusCode::INTERNAL_SERVER_ERROR);
}
