//! The SPA backend recipe: the page under a fresh nonce CSP, the API behind
//! the cookie, cross-site writes refused, one credentialed origin, a limit
//! per user.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{Request, StatusCode};
use rampart::auth::JwtAuthority;
use rampart::core::Principal;
use recipes::spa_backend::{SpaBackend, spa_backend};
use support::{authority, send_from, text, token};

const PEER: [u8; 4] = [203, 0, 113, 8];
const INDEX: &str = r#"<!doctype html><script nonce="{{csp_nonce}}">boot()</script>"#;

fn app(auth: &JwtAuthority, per_minute: u32) -> Router {
    let me = |Extension(who): Extension<Principal>| async move { who.subject().to_owned() };
    let api = Router::new().route(
        "/api/items",
        get(|| async { "[]" }).post(|| async { StatusCode::CREATED }),
    );
    let settings = SpaBackend {
        requests_per_minute_per_user: per_minute,
        ..SpaBackend::default()
    };
    spa_backend(api.route("/api/me", get(me)), INDEX, auth, &settings).unwrap()
}

fn cookie(auth: &JwtAuthority, subject: &str) -> String {
    format!("__Host-access_token={}", token(auth, subject, &[]))
}

fn post_items(cookie: &str, site: &str, origin: &str) -> Request<Body> {
    Request::post("/api/items")
        .header("host", "api.example.com")
        .header("cookie", cookie)
        .header("sec-fetch-site", site)
        .header("origin", origin)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn the_page_carries_the_nonce_of_its_own_csp() {
    let auth = authority();
    let app = app(&auth, 100);
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let page = send_from(
            &app,
            PEER,
            Request::get("/settings").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(page.status(), StatusCode::OK);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let html = text(page).await;
        assert_eq!(
            html,
            format!(r#"<!doctype html><script nonce="{nonce}">boot()</script>"#)
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a nonce is never reused");
}

#[tokio::test]
async fn the_api_needs_the_cookie() {
    let auth = authority();
    let app = app(&auth, 100);
    let anonymous = send_from(
        &app,
        PEER,
        Request::get("/api/me").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("content-security-policy"));

    let signed = Request::get("/api/me")
        .header("cookie", cookie(&auth, "ann"))
        .body(Body::empty())
        .unwrap();
    let signed = send_from(&app, PEER, signed).await;
    assert_eq!(signed.status(), StatusCode::OK);
    assert_eq!(text(signed).await, "ann");
}

#[tokio::test]
async fn a_cross_site_post_is_403_even_with_the_cookie() {
    let auth = authority();
    let app = app(&auth, 100);
    let cookie = cookie(&auth, "ann");

    let forged = send_from(
        &app,
        PEER,
        post_items(&cookie, "cross-site", "https://evil.example"),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(forged.headers()["content-type"], "application/problem+json");
    assert!(text(forged).await.contains("cross-site-request"));

    // A sibling subdomain is "same site" for SameSite cookies, not trusted here.
    let sibling = send_from(
        &app,
        PEER,
        post_items(&cookie, "same-site", "https://blog.example.com"),
    )
    .await;
    assert_eq!(sibling.status(), StatusCode::FORBIDDEN);

    let own = send_from(
        &app,
        PEER,
        post_items(&cookie, "same-origin", "https://api.example.com"),
    )
    .await;
    assert_eq!(own.status(), StatusCode::CREATED);
    // The front-end's origin is trusted: it is the CORS origin.
    let front = send_from(
        &app,
        PEER,
        post_items(&cookie, "same-site", "https://app.example.com"),
    )
    .await;
    assert_eq!(front.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn one_origin_gets_credentialed_cors() {
    let auth = authority();
    let app = app(&auth, 100);
    let preflight = |origin: &str| {
        Request::options("/api/items")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let front = send_from(&app, PEER, preflight("https://app.example.com")).await;
    assert_eq!(
        front.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(front.headers()["access-control-allow-credentials"], "true");
    let other = send_from(&app, PEER, preflight("https://other.example.com")).await;
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn each_user_has_their_own_limit() {
    let auth = authority();
    let app = app(&auth, 2);
    let get_me = |cookie: &str| {
        Request::get("/api/me")
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap()
    };
    let ann = cookie(&auth, "ann");
    for _ in 0..2 {
        assert_eq!(
            send_from(&app, PEER, get_me(&ann)).await.status(),
            StatusCode::OK
        );
    }
    let refused = send_from(&app, PEER, get_me(&ann)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // Same address, another user: not counted against ann.
    let bob = cookie(&auth, "bob");
    assert_eq!(
        send_from(&app, PEER, get_me(&bob)).await.status(),
        StatusCode::OK
    );
    // The page is public and never counted.
    let page = send_from(&app, PEER, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(page.status(), StatusCode::OK);
}
