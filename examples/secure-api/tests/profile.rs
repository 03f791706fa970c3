//! `PUT /api/profile` and `GET /api/profile`: fields stored encrypted and
//! bound to their owner, masked on read, revealed only to `admin:*`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use http::{Method, StatusCode};
use serde_json::json;

fn profile() -> serde_json::Value {
    json!({
        "ssn": "123-45-6789",
        "email": "bob@example.com",
        "phone": "+1 (555) 123-4567",
        "card_number": "4111 1111 1111 1111"
    })
}

#[tokio::test]
async fn a_stored_profile_reads_back_masked() {
    let app = TestApp::new().await;
    let (token, _) = app.login("bob").await;
    let put = app
        .send(Method::PUT, "/api/profile", Some(&token), Some(profile()))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let got = app
        .send(Method::GET, "/api/profile", Some(&token), None)
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        got.body,
        json!({
            "ssn": "***-**-6789",
            "email": "bob@example.com",
            "phone": "+* (***) ***-4567",
            "card_number": "**** **** **** 1111"
        })
    );
    assert_eq!(put.body, got.body);
}

#[tokio::test]
async fn reveal_needs_admin() {
    let app = TestApp::new().await;
    let (bob, _) = app.login("bob").await;
    app.send(Method::PUT, "/api/profile", Some(&bob), Some(profile()))
        .await;
    let refused = app
        .send(Method::GET, "/api/profile?reveal=true", Some(&bob), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.headers["content-type"], "application/problem+json");
    assert!(refused.body.to_string().contains("admin:*"));

    let (alice, _) = app.login("alice").await;
    app.send(
        Method::PUT,
        "/api/profile",
        Some(&alice),
        Some(json!({"ssn": "987654321"})),
    )
    .await;
    let revealed = app
        .send(Method::GET, "/api/profile?reveal=true", Some(&alice), None)
        .await;
    assert_eq!(revealed.status, StatusCode::OK);
    assert_eq!(revealed.body, json!({"ssn": "987654321"}));
    let masked = app
        .send(Method::GET, "/api/profile", Some(&alice), None)
        .await;
    assert_eq!(masked.body, json!({"ssn": "***-**-4321"}));
}

#[tokio::test]
async fn profiles_are_per_user_and_updates_merge() {
    let app = TestApp::new().await;
    let (bob, _) = app.login("bob").await;
    let (carol, _) = app.login("carol").await;
    assert_eq!(
        app.send(Method::GET, "/api/profile", Some(&carol), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.send(Method::PUT, "/api/profile", Some(&bob), Some(profile()))
        .await;
    assert_eq!(
        app.send(Method::GET, "/api/profile", Some(&carol), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let update = app
        .send(
            Method::PUT,
            "/api/profile",
            Some(&bob),
            Some(json!({"phone": "555-010-0199"})),
        )
        .await;
    assert_eq!(update.body["phone"], "***-***-0199");
    assert_eq!(update.body["ssn"], "***-**-6789");
}

#[tokio::test]
async fn malformed_fields_are_400_problems() {
    let app = TestApp::new().await;
    let (bob, _) = app.login("bob").await;
    for body in [
        json!({"ssn": "12-345-6789"}),
        json!({"email": "not-an-address"}),
        json!({"phone": "call me"}),
        json!({"card_number": "4111 1111 1111 1112"}),
        json!({"unknown": "x"}),
        json!({"ssn": 123456789}),
    ] {
        let reply = app
            .send(Method::PUT, "/api/profile", Some(&bob), Some(body.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
    assert_eq!(
        app.send(Method::GET, "/api/profile", Some(&bob), None)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "nothing was stored"
    );
}

#[tokio::test]
async fn anonymous_callers_are_401() {
    let app = TestApp::new().await;
    let reply = app.send(Method::GET, "/api/profile", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = app
        .send(Method::PUT, "/api/profile", None, Some(profile()))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn nothing_is_stored_in_clear_and_the_key_comes_from_the_environment() {
    let key = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="; // 32 × 'A'
    let env = |name: &str| match name {
        "RAMPART_FIELD_KEY" => Some(key.to_owned()),
        _ => None,
    };
    assert_eq!(
        secure_api::config::AppConfig::from_env(env)
            .unwrap()
            .field_key
            .as_deref(),
        Some(key)
    );
    let documents = || {
        secure_api::config::AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, None)
            .unwrap()
    };
    let mut config = documents();
    config.field_key = Some(key.to_owned());
    let built = secure_api::app::assemble(&config).await.unwrap();
    let facts = format!("{:?}", built.facts);
    assert!(facts.contains("key from RAMPART_FIELD_KEY"), "{facts}");
    assert!(!facts.contains(key));
    let app = TestApp {
        router: built.router,
    };
    let (bob, _) = app.login("bob").await;
    app.send(Method::PUT, "/api/profile", Some(&bob), Some(profile()))
        .await;
    let stored = secure_api::profile::stored_ciphertexts(&built.state.profiles, "bob").unwrap();
    let text = serde_json::to_string(&stored).unwrap();
    for clear in ["123-45-6789", "6789", "bob@example.com", "4111", "555"] {
        assert!(!text.contains(clear), "{clear} stored in clear: {text}");
    }

    let mut config = documents();
    config.field_key = Some("too-short".to_owned());
    let err = secure_api::app::assemble(&config).await.err().unwrap();
    assert!(err.to_string().contains("RAMPART_FIELD_KEY"), "{err}");
}

#[tokio::test]
async fn without_a_key_one_is_generated_and_said_so() {
    let config =
        secure_api::config::AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, None)
            .unwrap();
    let built = secure_api::app::assemble(&config).await.unwrap();
    let facts = format!("{:?}", built.facts);
    assert!(facts.contains("generated key"), "{facts}");
}
