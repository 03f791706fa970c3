//! Login, refresh rotation, logout, JWKS and `/api/me` through the real router.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use common::TestApp;
use http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_answers_a_bearer_pair() {
    let app = TestApp::new().await;
    let reply = app
        .send(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "bob", "password": "bob-S3cure-demo!"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert!(
        reply.body["access_token"]
            .as_str()
            .unwrap()
            .split('.')
            .count()
            == 3
    );
    assert!(reply.headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn bad_credentials_are_401_problems() {
    let app = TestApp::new().await;
    for (user, password) in [
        ("bob", "wrong"),
        ("nobody", "bob-S3cure-demo!"),
        ("bob", ""),
    ] {
        let reply = app
            .send(
                Method::POST,
                "/auth/login",
                None,
                Some(json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{user}/{password}");
        assert!(reply.headers.contains_key("www-authenticate"));
        assert_eq!(reply.headers["content-type"], "application/problem+json");
        assert_eq!(reply.body["error"], "invalid_credentials");
    }
}

#[tokio::test]
async fn malformed_login_bodies_are_400_problems() {
    let app = TestApp::new().await;
    let reply = app
        .send(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "bob"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["status"], 400);
    let request = http::Request::post("/auth/login")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let reply = app.raw(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let request = http::Request::post("/auth/login")
        .body(axum::body::Body::from("username=bob"))
        .unwrap();
    assert_eq!(
        app.raw(request).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn me_shows_the_principal_and_needs_a_valid_token() {
    let app = TestApp::new().await;
    let (access, refresh) = app.login("bob").await;
    let reply = app.send(Method::GET, "/api/me", Some(&access), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["subject"], "bob");
    assert_eq!(reply.body["tenant"], "acme");
    assert_eq!(reply.body["roles"], json!(["editor"]));

    let anonymous = app.send(Method::GET, "/api/me", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    let mut tampered = access.clone();
    tampered.pop();
    tampered.push(if access.ends_with('A') { 'B' } else { 'A' });
    let reply = app
        .send(Method::GET, "/api/me", Some(&tampered), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        !reply.body.to_string().contains(&tampered),
        "the problem echoes the token"
    );

    let reply = app.send(Method::GET, "/api/me", Some(&refresh), None).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "a refresh token is not an access token"
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    reuse_revokes_the_family(&TestApp::new().await, "carol").await;
}

#[tokio::test]
async fn logout_revokes_the_access_token_and_its_family() {
    let app = TestApp::new().await;
    logout_revokes_the_family(&app, "bob").await;
    assert_eq!(
        app.send(Method::POST, "/auth/logout", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// Rotation works once: the first refresh succeeds, presenting the used token
/// again revokes the whole family, including the pair the rotation issued.
async fn reuse_revokes_the_family(app: &TestApp, user: &str) {
    let (_, first_refresh) = app.login(user).await;
    let refresh = |token: String| async move {
        app.send(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await
    };
    let rotated = refresh(first_refresh.clone()).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let second_access = rotated.body["access_token"].as_str().unwrap().to_owned();
    let second_refresh = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send(Method::GET, "/api/me", Some(&second_access), None)
            .await
            .status,
        StatusCode::OK
    );

    let reused = refresh(first_refresh).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reused.body["error"], "invalid_grant");
    assert_eq!(
        refresh(second_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.send(Method::GET, "/api/me", Some(&second_access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "the family's access token still works after reuse"
    );
}

/// Logout answers 204 and revokes both the access token and its refresh family.
async fn logout_revokes_the_family(app: &TestApp, user: &str) {
    let (access, refresh) = app.login(user).await;
    let reply = app
        .send(Method::POST, "/auth/logout", Some(&access), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(Method::GET, "/api/me", Some(&access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let reply = app
        .send(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn jwks_publishes_the_public_signing_key_only() {
    let app = TestApp::new().await;
    let reply = app
        .send(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let keys = reply.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["crv"], "P-256");
    assert!(keys[0].get("d").is_none(), "private key published");
    let (access, _) = app.login("alice").await;
    let header = access.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["kid"], keys[0]["kid"]);
    assert_eq!(header["alg"], "ES256");
}

#[tokio::test]
async fn hs256_from_config() {
    let app = TestApp::with_config(Some(
        "[jwt]\nalgorithm = \"HS256\"\nsecret = \"0123456789abcdef0123456789abcdef\"",
    ))
    .await;
    let (access, _) = app.login("bob").await;
    assert_eq!(
        app.send(Method::GET, "/api/me", Some(&access), None)
            .await
            .status,
        StatusCode::OK
    );
    let reply = app
        .send(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(
        reply.body["keys"],
        json!([]),
        "an HMAC secret is never published"
    );
}

#[tokio::test]
async fn refresh_families_and_logout_through_redis() {
    let Some(url) = common::redis_url("refresh_families_and_logout_through_redis") else {
        return;
    };
    let app = TestApp::with_redis(url).await;
    reuse_revokes_the_family(&app, "bob").await;
    logout_revokes_the_family(&app, "carol").await;
}

#[tokio::test]
async fn a_key_file_keeps_tokens_valid_across_restarts() {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let der = pair.to_pkcs8v1().unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der.as_ref())
    );
    let path = std::env::temp_dir().join(format!("secure-api-test-{}.pem", std::process::id()));
    std::fs::write(&path, pem).unwrap();
    let config = format!("[jwt]\nkey_file = \"{}\"", path.display());

    let first = TestApp::with_config(Some(&config)).await;
    let (access, _) = first.login("bob").await;
    let restarted = TestApp::with_config(Some(&config)).await;
    let reply = restarted
        .send(Method::GET, "/api/me", Some(&access), None)
        .await;
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "a token from before the restart was refused"
    );

    let other = TestApp::new().await;
    assert_eq!(
        other
            .send(Method::GET, "/api/me", Some(&access), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "an app with another key accepted the token"
    );
}
