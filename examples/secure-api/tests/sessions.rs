//! A user's sign-ins: `GET /auth/sessions` lists them with their devices,
//! `DELETE /auth/sessions/{id}` ends one of the caller's own (never another
//! user's), and `POST /auth/logout/all` ends every one and revokes every
//! token issued so far.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::{Reply, TestApp};
use http::{Method, Request, StatusCode};
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Signs `user` in from `ip` with `agent` as its `User-Agent`.
async fn sign_in(app: &TestApp, user: &str, agent: &str, ip: &str) -> (String, String) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/auth/login")
        .header("content-type", "application/json")
        .header("user-agent", agent)
        .body(Body::from(
            json!({"username": user, "password": format!("{user}-S3cure-demo!")}).to_string(),
        ))
        .unwrap();
    let peer: SocketAddr = format!("{ip}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let reply = app.raw(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    (
        reply.body["access_token"].as_str().unwrap().to_owned(),
        reply.body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn sessions(app: &TestApp, access: &str) -> Reply {
    app.send(Method::GET, "/auth/sessions", Some(access), None)
        .await
}

fn listed(reply: &Reply) -> Vec<Value> {
    reply.body["sessions"].as_array().unwrap().clone()
}

/// The listed sign-in made with `agent` (sign-ins of one second are listed
/// in no particular order).
fn by_agent<'a>(list: &'a [Value], agent: &str) -> &'a Value {
    list.iter()
        .find(|s| s["user_agent"] == agent)
        .unwrap_or_else(|| panic!("no sign-in from {agent}: {list:?}"))
}

#[tokio::test]
async fn the_list_shows_each_sign_in_with_its_device() {
    let app = TestApp::new().await;
    let (laptop, _) = sign_in(&app, "bob", "Firefox on Linux", "203.0.113.7").await;
    let (phone, _) = sign_in(&app, "bob", "Safari on iOS\t(iPhone)", "198.51.100.2").await;

    let reply = sessions(&app, &laptop).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.headers["cache-control"], "no-store");
    let list = listed(&reply);
    assert_eq!(list.len(), 2, "{list:?}");
    let first = by_agent(&list, "Firefox on Linux");
    assert_eq!(first["ip"], "203.0.113.7");
    assert_eq!(first["current"], true);
    assert!(first["created"].as_u64().unwrap() > 1_700_000_000);
    assert!(first["expires"].as_u64() > first["created"].as_u64());
    assert_eq!(first["last_used"], Value::Null);
    assert!(first["id"].as_str().is_some_and(|id| !id.is_empty()));
    // Control characters of the header are not shown back.
    let second = by_agent(&list, "Safari on iOS(iPhone)");
    assert_eq!(second["ip"], "198.51.100.2");
    assert_eq!(second["current"], false);

    // Seen from the phone, the phone is current.
    let from_phone = listed(&sessions(&app, &phone).await);
    assert_eq!(
        by_agent(&from_phone, "Safari on iOS(iPhone)")["current"],
        true
    );
    assert_eq!(by_agent(&from_phone, "Firefox on Linux")["current"], false);

    // Another user sees only their own.
    let (carol, _) = sign_in(&app, "carol", "curl/8", "192.0.2.1").await;
    let hers = listed(&sessions(&app, &carol).await);
    assert_eq!(hers.len(), 1);
    assert_eq!(hers[0]["user_agent"], "curl/8");

    assert_eq!(
        app.send(Method::GET, "/auth/sessions", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_user_ends_one_of_their_sign_ins_and_never_another_users() {
    let app = TestApp::new().await;
    let (laptop, laptop_refresh) = sign_in(&app, "bob", "laptop", "203.0.113.7").await;
    let (phone, phone_refresh) = sign_in(&app, "bob", "phone", "203.0.113.8").await;
    let (carol, _) = sign_in(&app, "carol", "carol's laptop", "192.0.2.1").await;
    let list = listed(&sessions(&app, &laptop).await);
    let phone_id = by_agent(&list, "phone")["id"].as_str().unwrap().to_owned();
    let path = format!("/auth/sessions/{phone_id}");

    // Carol names bob's sign-in: not found, and bob's phone still works.
    let refused = app.send(Method::DELETE, &path, Some(&carol), None).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.headers["content-type"], "application/problem+json");
    assert_eq!(app.me(&phone).await, StatusCode::OK);
    assert_eq!(listed(&sessions(&app, &laptop).await).len(), 2);

    // An id nobody has: not found either.
    let unknown = app
        .send(
            Method::DELETE,
            "/auth/sessions/0123456789abcdef",
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Bob ends his phone from the laptop: its access and refresh tokens die,
    // the laptop's live on.
    let ended = app.send(Method::DELETE, &path, Some(&laptop), None).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{:?}", ended.body);
    assert_eq!(app.me(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&phone_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me(&laptop).await, StatusCode::OK);
    let left = listed(&sessions(&app, &laptop).await);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["user_agent"], "laptop");
    assert_eq!(
        app.send(Method::DELETE, &path, Some(&laptop), None)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "an ended sign-in is gone"
    );
    assert_eq!(app.refresh(&laptop_refresh).await.status, StatusCode::OK);
    assert_eq!(
        app.send(Method::DELETE, &path, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("secure-api-sessions-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("audit.jsonl")
}

#[tokio::test]
async fn log_out_everywhere_revokes_every_token_of_the_caller_only() {
    let path = scratch("logout-all");
    let document = format!("[audit]\npath = \"{}\"\n", path.display());
    let config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&document)).unwrap();
    let built = app::assemble(&config).await.unwrap();
    let app = TestApp {
        router: built.router.clone(),
    };
    let (laptop, laptop_refresh) = sign_in(&app, "bob", "laptop", "203.0.113.7").await;
    let (phone, phone_refresh) = sign_in(&app, "bob", "phone", "203.0.113.8").await;
    // Refreshed once: the rotated tokens are covered as well.
    let rotated = app.refresh(&phone_refresh).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let phone2 = rotated.body["access_token"].as_str().unwrap().to_owned();
    let phone2_refresh = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    let (carol, carol_refresh) = sign_in(&app, "carol", "carol's laptop", "192.0.2.1").await;

    let out = app
        .send(Method::POST, "/auth/logout/all", Some(&laptop), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    for access in [&laptop, &phone, &phone2] {
        assert_eq!(app.me(access).await, StatusCode::UNAUTHORIZED);
    }
    for token in [&laptop_refresh, &phone2_refresh] {
        assert_eq!(app.refresh(token).await.status, StatusCode::UNAUTHORIZED);
    }
    // Carol is untouched.
    assert_eq!(app.me(&carol).await, StatusCode::OK);
    assert_eq!(listed(&sessions(&app, &carol).await).len(), 1);
    assert_eq!(app.refresh(&carol_refresh).await.status, StatusCode::OK);
    // A revoked token cannot call it again.
    assert_eq!(
        app.send(Method::POST, "/auth/logout/all", Some(&laptop), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // The trail says so, for bob.
    let events: Vec<Value> = common::trail_events(&built, &path)
        .into_iter()
        .filter(|event| event["type"] == "auth.token.revoked")
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["reason"] == "logout everywhere" && e.to_string().contains("\"bob\"")),
        "{events:#?}"
    );
}

/// Each route meeting a Redis outage says "retry later": `503` with
/// `Retry-After`, never a `500` and never a silent success.
#[tokio::test]
async fn the_routes_meeting_a_store_outage_ask_to_retry() {
    let Some(url) = common::redis_url("the_routes_meeting_a_store_outage_ask_to_retry") else {
        return;
    };
    let relay = rampart_test_support::Relay::start(&url).await;
    let app = TestApp::with_redis(relay.url.clone()).await;
    let (bob, _) = app.login("bob").await;
    let (alice, _) = app.login("alice").await;
    relay.cut();
    for (method, path, token) in [
        (Method::POST, "/auth/logout/all", &bob),
        (Method::GET, "/auth/sessions", &bob),
        (Method::DELETE, "/auth/sessions/0123456789abcdef", &bob),
        (Method::PUT, "/admin/users/carol/roles/editor", &alice),
        (Method::DELETE, "/admin/users/carol/roles/editor", &alice),
    ] {
        let reply = app.send(method, path, Some(token), None).await;
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {:?}",
            reply.body
        );
        assert_eq!(reply.headers["content-type"], "application/problem+json");
        assert!(reply.headers.contains_key("retry-after"), "{path}");
    }
}
