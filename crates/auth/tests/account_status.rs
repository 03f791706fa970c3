//! A disabled account is refused by `JwtAuthLayer` however fresh its token,
//! and "log out everywhere" ends its refresh families too.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "axum")]

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::*;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rampart_auth::axum::Authenticated;
use rampart_auth::{AccountStatusCheck, JwtAuthLayer, StoreError, TokenRequest};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

async fn me(Authenticated(who): Authenticated) -> String {
    who.subject().to_owned()
}

async fn get_me(app: &Router, token: &str) -> (StatusCode, String) {
    let req = Request::get("/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn disabled_accounts_lose_access_at_once() {
    let fx = fixture();
    let disabled: Arc<Mutex<HashSet<String>>> = Arc::default();
    let directory = disabled.clone();
    let check = AccountStatusCheck::new(move |subject: &str| {
        let active = !directory.lock().unwrap().contains(subject);
        async move { Ok::<_, StoreError>(active) }
    })
    .clock(fx.clock.shared())
    .cache_ttl(Duration::from_secs(5));
    let app = Router::new()
        .route("/me", get(me))
        .layer(JwtAuthLayer::new(fx.verifier.clone()).account_status(check.clone()));
    let tokens = fx.manager();
    let pair = tokens
        .issue_pair(&TokenRequest::new("alice"))
        .await
        .unwrap();
    assert_eq!(
        get_me(&app, &pair.access_token).await,
        (StatusCode::OK, "alice".into())
    );

    // Disabled: refused on the next request once the cache is told (or within its TTL).
    disabled.lock().unwrap().insert("alice".into());
    assert_eq!(
        get_me(&app, &pair.access_token).await.0,
        StatusCode::OK,
        "cached for the TTL"
    );
    fx.clock.advance(Duration::from_secs(5));
    let (status, body) = get_me(&app, &pair.access_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("account_disabled"), "{body}");

    // And the refresh family is cut off by log out everywhere.
    tokens.logout_everywhere("alice").await.unwrap();
    assert!(tokens.refresh(&pair.refresh_token, None).await.is_err());

    // Re-enabled, a fresh sign-in works again at once after `forget`.
    disabled.lock().unwrap().clear();
    check.forget("alice");
    fx.clock.advance(Duration::from_secs(1));
    let pair = tokens
        .issue_pair(&TokenRequest::new("alice"))
        .await
        .unwrap();
    assert_eq!(get_me(&app, &pair.access_token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_unreachable_directory_fails_closed() {
    let fx = fixture();
    let down = |_: &str| async { Err::<bool, _>(StoreError("directory down".into())) };
    let closed = Router::new().route("/me", get(me)).layer(
        JwtAuthLayer::new(fx.verifier.clone()).account_status(AccountStatusCheck::new(down)),
    );
    let open = Router::new().route("/me", get(me)).layer(
        JwtAuthLayer::new(fx.verifier.clone())
            .account_status(AccountStatusCheck::new(down).insecure_fail_open()),
    );
    let pair = fx
        .manager()
        .issue_pair(&TokenRequest::new("bob"))
        .await
        .unwrap();
    assert_eq!(
        get_me(&closed, &pair.access_token).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(get_me(&open, &pair.access_token).await.0, StatusCode::OK);
}
