//! Passwords at the login route: a migrated bcrypt user is upgraded to
//! argon2id, an expired password is a `403 password_expired` problem.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};
use tower::ServiceExt;

fn login_request(username: &str, password: &str) -> Request<Body> {
    Request::post("/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap()
}

#[tokio::test]
async fn legacy_users_are_upgraded_and_expired_passwords_refused_with_403() {
    let bcrypt = bcrypt::hash_with_salt("legacy-Pa55word!", 12, [3; 16])
        .unwrap()
        .format_for_version(bcrypt::Version::TwoB);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let doc = format!(
        "[passwords.policy]\nmax_age_days = 90\n\n\
         [[users]]\nusername = \"olga\"\npassword_hash = \"{bcrypt}\"\npassword_set_at = {}\nroles = [\"viewer\"]\n\n\
         [[users]]\nusername = \"stale\"\npassword = \"stale-Pa55word!\"\npassword_set_at = {}\nroles = [\"viewer\"]\n",
        now - 86_400,
        now - 91 * 86_400,
    );
    let config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&doc)).unwrap();
    let built = app::assemble(&config).await.unwrap();

    // 73 bytes against a bcrypt hash: a plain 401, nothing truncated.
    let response = built
        .router
        .clone()
        .oneshot(login_request("olga", &"x".repeat(73)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response = built
        .router
        .clone()
        .oneshot(login_request("olga", "legacy-Pa55word!"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stored = built.state.users.get("olga").unwrap().password_hash();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    let response = built
        .router
        .clone()
        .oneshot(login_request("stale", "stale-Pa55word!"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["error"], "password_expired");
    assert!(body.get("access_token").is_none());
    // A wrong password for the same user is still a 401: expiry tells nothing without the password.
    let response = built
        .router
        .clone()
        .oneshot(login_request("stale", "wrong"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
