//! The minimal stack answers as its docs say: 401, 403 and 200, each with
//! the security headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use http::{Request, StatusCode};
use minimal_axum::{POLICY, app};
use rampart::auth::{JwtAuthority, JwtConfig, TokenRequest};
use rampart::rbac::Authorizer;
use tower::ServiceExt;

fn authority() -> JwtAuthority {
    JwtConfig {
        issuer: Some("minimal".into()),
        ..JwtConfig::default()
    }
    .build()
    .unwrap()
}

async fn get_items(auth: &JwtAuthority, token: Option<String>) -> axum::response::Response {
    let mut request = Request::get("/items");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    app(auth, Authorizer::from_toml(POLICY).unwrap())
        .unwrap()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn token(auth: &JwtAuthority, subject: &str, role: &str) -> Option<String> {
    let request = TokenRequest::new(subject).roles([role]);
    Some(auth.issuer().issue_access(&request).unwrap().token)
}

#[tokio::test]
async fn a_reader_gets_the_items() {
    let auth = authority();
    let response = get_items(&auth, token(&auth, "ann", "reader")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"items of ann");
}

#[tokio::test]
async fn no_token_is_401_and_no_permission_is_403_with_headers() {
    let auth = authority();
    let anonymous = get_items(&auth, None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("content-security-policy"));
    let stranger = get_items(&auth, token(&auth, "eve", "guest")).await;
    assert_eq!(stranger.status(), StatusCode::FORBIDDEN);
    assert!(stranger.headers().contains_key("strict-transport-security"));
    // A token from another authority (another key) is refused.
    let other = authority();
    let forged = get_items(&auth, token(&other, "ann", "reader")).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}
