//! `[ratelimit]`: per-address limit outermost, per-user limit after
//! authentication, the login throttle on `/auth/login`; in memory, and
//! counted once across two instances sharing Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::{Reply, TestApp};
use http::{Method, Request, StatusCode};
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::json;
use std::net::SocketAddr;

async fn app_with(document: &str, redis_url: Option<String>) -> TestApp {
    let mut config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(document)).unwrap();
    config.redis_url = redis_url;
    TestApp {
        router: app::build(&config).await.unwrap().0,
    }
}

/// A request from TCP peer `peer`, as the server would see it.
fn from_peer(
    method: Method,
    path: &str,
    peer: &str,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let mut request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

fn assert_limited(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        reply.body
    );
    let retry: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1, "Retry-After {retry}");
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    assert_eq!(reply.body["status"], 429);
}

async fn login(app: &TestApp, peer: &str, username: &str, password: &str) -> Reply {
    app.raw(from_peer(
        Method::POST,
        "/auth/login",
        peer,
        Some(json!({"username": username, "password": password})),
    ))
    .await
}

#[tokio::test]
async fn each_address_gets_its_own_quota_and_a_forged_forwarding_header_changes_nothing() {
    let app = app_with("[ratelimit]\nip_per_minute = 3\n", None).await;
    for _ in 0..3 {
        let reply = app
            .raw(from_peer(Method::GET, "/health", "203.0.113.7", None))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let limited = app
        .raw(from_peer(Method::GET, "/health", "203.0.113.7", None))
        .await;
    assert_limited(&limited);
    assert!(
        limited.headers.contains_key("ratelimit-policy"),
        "{:?}",
        limited.headers
    );
    // Security headers still wrap the refusal.
    assert!(limited.headers.contains_key("x-content-type-options"));

    // The peer is not a trusted proxy: its X-Forwarded-For is not believed.
    let mut forged = from_peer(Method::GET, "/health", "203.0.113.7", None);
    forged
        .headers_mut()
        .insert("x-forwarded-for", "198.51.100.99".parse().unwrap());
    assert_limited(&app.raw(forged).await);

    let other = app
        .raw(from_peer(Method::GET, "/health", "203.0.113.8", None))
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn each_user_gets_their_own_quota_after_authentication() {
    let app = app_with("[ratelimit]\nuser_per_minute = 2\n", None).await;
    let (bob, _) = app.login("bob").await;
    let (carol, _) = app.login("carol").await;
    for _ in 0..2 {
        assert_eq!(
            app.send(Method::GET, "/api/me", Some(&bob), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_limited(&app.send(Method::GET, "/api/me", Some(&bob), None).await);
    assert_eq!(
        app.send(Method::GET, "/api/me", Some(&carol), None)
            .await
            .status,
        StatusCode::OK
    );
    // An invalid token is refused by authentication, not counted against anyone.
    let reply = app
        .send(Method::GET, "/api/me", Some("not-a-token"), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

const THREE_STRIKES: &str =
    "[ratelimit]\nlogin_max_failures = 3\nlogin_window_secs = 900\nlogin_lockout_secs = 1800\n";

#[tokio::test]
async fn a_username_is_locked_after_its_failures_even_for_the_right_password() {
    let app = app_with(THREE_STRIKES, None).await;
    for _ in 0..3 {
        let reply = login(&app, "203.0.113.20", "bob", "wrong-password").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_limited(&login(&app, "203.0.113.20", "bob", "bob-S3cure-demo!").await);
    // From another address, and spelled otherwise: the same account.
    assert_limited(&login(&app, "203.0.113.21", "BOB", "bob-S3cure-demo!").await);
    // Other accounts are not affected.
    let reply = login(&app, "203.0.113.20", "carol", "carol-S3cure-demo!").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_count() {
    let app = app_with(THREE_STRIKES, None).await;
    for _ in 0..2 {
        login(&app, "203.0.113.30", "bob", "wrong-password").await;
    }
    assert_eq!(
        login(&app, "203.0.113.30", "bob", "bob-S3cure-demo!")
            .await
            .status,
        StatusCode::OK
    );
    for _ in 0..2 {
        login(&app, "203.0.113.30", "bob", "wrong-password").await;
    }
    assert_eq!(
        login(&app, "203.0.113.30", "bob", "bob-S3cure-demo!")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_locked_unknown_user_looks_like_a_locked_real_one() {
    let app = app_with(THREE_STRIKES, None).await;
    for name in ["bob", "nobody-here"] {
        for _ in 0..3 {
            login(&app, "203.0.113.40", name, "wrong-password").await;
        }
    }
    let real = login(&app, "203.0.113.40", "bob", "x").await;
    let unknown = login(&app, "203.0.113.40", "nobody-here", "x").await;
    assert_limited(&real);
    assert_limited(&unknown);
    assert_eq!(real.body, unknown.body);
}

#[tokio::test]
async fn zero_quotas_and_unknown_keys_are_config_errors() {
    for document in [
        "[ratelimit]\nip_per_minute = 0\n",
        "[ratelimit]\nper_hour = 5\n",
    ] {
        let outcome =
            AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(document));
        let refused = match outcome {
            Err(_) => true,
            Ok(config) => app::build(&config).await.is_err(),
        };
        assert!(refused, "{document}");
    }
}

/// Two instances sharing Redis count once: a client address and a username.
#[tokio::test]
async fn two_instances_sharing_redis_count_once() {
    let Some(url) = common::redis_url("two_instances_sharing_redis_count_once") else {
        return;
    };
    // Counters outlive the test in Redis: fresh names and addresses each run.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let address = |n: u8| format!("10.{}.{}.{n}", (nonce >> 16) as u8, (nonce >> 8) as u8);
    let peer = address(1);
    let username = format!("nobody-{nonce}");
    let document = format!("{THREE_STRIKES}ip_per_minute = 4\n");
    let one = app_with(&document, Some(url.clone())).await;
    let two = app_with(&document, Some(url)).await;

    for app in [&one, &two, &one] {
        let reply = login(app, &peer, &username, "wrong-password").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    // The address has used 3 of its 4 requests, across both instances.
    let health = || from_peer(Method::GET, "/health", &peer, None);
    assert_eq!(two.raw(health()).await.status, StatusCode::OK);
    assert_limited(&one.raw(health()).await);
    assert_limited(&two.raw(health()).await);
    // The account is locked on both, from any address.
    assert_limited(&login(&one, &address(2), &username, "x").await);
    assert_limited(&login(&two, &address(3), &username, "x").await);
}

#[tokio::test]
async fn overlong_usernames_are_refused_before_they_are_counted() {
    let app = app_with(THREE_STRIKES, None).await;
    let long = "a".repeat(257);
    for _ in 0..5 {
        let reply = login(&app, "203.0.113.50", &long, "x").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
    // 256 bytes is still a username, counted and locked like any other.
    let longest = "b".repeat(256);
    for _ in 0..3 {
        let reply = login(&app, "203.0.113.50", &longest, "x").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_limited(&login(&app, "203.0.113.50", &longest, "x").await);
}
