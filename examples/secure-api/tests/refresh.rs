//! `POST /auth/refresh`: token responses are not cached, the user is looked up
//! again on every refresh, and a store outage is a 503, not `invalid_grant`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Reply, TestApp};
use http::{Method, StatusCode};
use rampart_test_support::Relay;
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::json;

async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.send(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

fn tokens(reply: &Reply) -> (String, String) {
    (
        reply.body["access_token"].as_str().unwrap().to_owned(),
        reply.body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn refresh_answers_a_pair_that_no_cache_keeps() {
    let app = TestApp::new().await;
    let (access, refresh_token) = app.login("bob").await;
    let reply = refresh(&app, &refresh_token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.headers["pragma"], "no-cache");
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    let (next_access, _) = tokens(&reply);
    let me = app
        .send(Method::GET, "/api/me", Some(&next_access), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["roles"], json!(["editor"]));
    assert_eq!(me.body["tenant"], "acme");

    // Not a refresh token at all: invalid_grant, and the refusal is not cacheable either.
    for bad in [access.as_str(), "not.a.token", ""] {
        let reply = refresh(&app, bad).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(reply.body["error"], "invalid_grant");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
        assert!(!reply.headers.contains_key("retry-after"));
    }
}

// ---- through Redis ---------------------------------------------------------

#[tokio::test]
async fn a_store_outage_is_503_with_retry_after_not_invalid_grant() {
    let Some(url) = common::redis_url("a_store_outage_is_503_with_retry_after_not_invalid_grant")
    else {
        return;
    };
    let relay = Relay::start(&url).await;
    let app = TestApp::with_redis(relay.url.clone()).await;
    let (_, refresh_token) = app.login("carol").await;
    relay.cut();
    let reply = refresh(&app, &refresh_token).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    let retry: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    assert_ne!(reply.body["error"], "invalid_grant");
    assert_eq!(reply.body["status"], 503);
}

/// Every token route meeting the outage says "retry later", not "give up".
#[tokio::test]
async fn token_routes_meeting_a_store_outage_ask_to_retry() {
    let Some(url) = common::redis_url("token_routes_meeting_a_store_outage_ask_to_retry") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let app = TestApp::with_redis(relay.url.clone()).await;
    let (access_token, _) = app.login("bob").await;
    relay.cut();
    let logout = app
        .send(
            http::Method::POST,
            "/auth/logout",
            Some(&access_token),
            None,
        )
        .await;
    let login = app
        .send(
            http::Method::POST,
            "/auth/login",
            None,
            Some(serde_json::json!({"username": "bob", "password": "bob-S3cure-demo!"})),
        )
        .await;
    for (route, reply) in [("logout", logout), ("login", login)] {
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{route}: {:?}",
            reply.body
        );
        assert_eq!(reply.headers["content-type"], "application/problem+json");
        assert!(
            reply.headers.contains_key("retry-after"),
            "{route} has no Retry-After"
        );
    }
}

/// Two instances share Redis and a signing key; the second was restarted with
/// a changed directory: bob demoted to viewer, carol removed.
#[tokio::test]
async fn a_demoted_or_removed_user_cannot_refresh_into_the_old_roles() {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    use base64::Engine;
    let Some(url) =
        common::redis_url("a_demoted_or_removed_user_cannot_refresh_into_the_old_roles")
    else {
        return;
    };
    let der = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .unwrap()
        .to_pkcs8v1()
        .unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der.as_ref())
    );
    let path = std::env::temp_dir().join(format!(
        "secure-api-refresh-{}-{}.pem",
        std::process::id(),
        line!()
    ));
    std::fs::write(&path, pem).unwrap();
    let jwt = format!("[jwt]\nkey_file = \"{}\"\n", path.display());
    let instance = |document: String| {
        let url = url.clone();
        async move {
            let mut config =
                AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&document))
                    .unwrap();
            config.redis_url = Some(url);
            TestApp {
                router: app::build(&config).await.unwrap().0,
            }
        }
    };
    let before = instance(jwt.clone()).await;
    let after = instance(format!(
        "{jwt}\n[[users]]\nusername = \"bob\"\npassword = \"bob-S3cure-demo!\"\nroles = [\"viewer\"]\ntenant = \"acme\"\n"
    ))
    .await;
    std::fs::remove_file(&path).unwrap();

    let (_, bob_refresh) = before.login("bob").await;
    let (carol_access, carol_refresh) = before.login("carol").await;

    // Bob refreshes into his current role, not the editor role he signed in with.
    let reply = refresh(&after, &bob_refresh).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let (bob_access, _) = tokens(&reply);
    let me = after
        .send(Method::GET, "/api/me", Some(&bob_access), None)
        .await;
    assert_eq!(me.body["roles"], json!(["viewer"]));
    assert_eq!(
        after
            .send(
                Method::POST,
                "/api/items",
                Some(&bob_access),
                Some(json!({"name": "n", "description": "d"}))
            )
            .await
            .status,
        StatusCode::FORBIDDEN,
        "the demoted user kept items:write"
    );

    // Carol is gone: no refresh, and her session's access token dies everywhere.
    let reply = refresh(&after, &carol_refresh).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "invalid_grant");
    assert_eq!(
        before
            .send(Method::GET, "/api/me", Some(&carol_access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the removed user's access token outlived the refused refresh"
    );
}
