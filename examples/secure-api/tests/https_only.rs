//! HTTPS only in the app: on whenever `[http] insecure_plain_http` is off,
//! believing the scheme only from the trusted proxies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::TestApp;
use http::{Request, StatusCode};
use std::net::SocketAddr;

const PRODUCTION: &str =
    "[http]\ninsecure_plain_http = false\ntrusted_proxies = [\"10.0.0.0/8\"]\n";

fn from(peer: &str, request: http::request::Builder) -> Request<Body> {
    request
        .header("host", "api.example.com")
        .extension(ConnectInfo(peer.parse::<SocketAddr>().unwrap()))
        .body(Body::empty())
        .unwrap()
}

fn login(peer: &str, proto: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/auth/login").header("content-type", "application/json");
    if let Some(proto) = proto {
        // What a TLS-terminating proxy writes: the client and its scheme.
        builder = builder
            .header("x-forwarded-for", "198.51.100.20")
            .header("x-forwarded-proto", proto);
    }
    let mut request = from(peer, builder);
    *request.body_mut() = Body::from(r#"{"username":"bob","password":"wrong"}"#);
    request
}

#[tokio::test]
async fn in_production_plain_http_is_redirected_or_refused() {
    let app = TestApp::with_config(Some(PRODUCTION)).await;

    let read = app
        .raw(from("203.0.113.5:1000", Request::get("/api/me?x=1")))
        .await;
    assert_eq!(read.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        read.headers["location"],
        "https://api.example.com/api/me?x=1"
    );
    assert!(read.headers.contains_key("strict-transport-security"));
    assert!(read.headers.contains_key("x-request-id"));

    // A password sent in the clear is not acted on, and a redirect would
    // only make the client send it again.
    let write = app.raw(login("203.0.113.5:1000", None)).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert_eq!(write.headers["content-type"], "application/problem+json");

    // A load balancer's health check speaks plain HTTP.
    let health = app
        .raw(from("203.0.113.5:1000", Request::get("/health")))
        .await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn only_a_trusted_proxy_can_say_the_client_used_https() {
    let app = TestApp::with_config(Some(PRODUCTION)).await;
    // The TLS-terminating proxy: the login is checked (and fails).
    let proxied = app.raw(login("10.0.0.2:5000", Some("https"))).await;
    assert_eq!(
        proxied.status,
        StatusCode::UNAUTHORIZED,
        "{:?}",
        proxied.body
    );
    // A client writing the header itself changes nothing.
    let forged = app.raw(login("203.0.113.5:1000", Some("https"))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Nor does a trusted proxy reporting plain HTTP.
    let plain = app.raw(login("10.0.0.2:5000", Some("http"))).await;
    assert_eq!(plain.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn development_and_an_explicit_switch_accept_plain_http() {
    for config in [
        None,
        Some("[http]\ninsecure_plain_http = false\nhttps_only = false\n"),
    ] {
        let app = TestApp::with_config(config).await;
        let reply = app.raw(login("203.0.113.5:1000", None)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{config:?}");
    }
}
