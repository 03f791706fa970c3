//! What every recipe's tests need: an authority, tokens, and requests as
//! they arrive from a given peer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response};
use rampart::auth::{JwtAuthority, JwtConfig, TokenRequest};
use std::net::SocketAddr;
use tower::ServiceExt;

pub fn authority() -> JwtAuthority {
    JwtConfig {
        issuer: Some("recipes".into()),
        ..JwtConfig::default()
    }
    .build()
    .unwrap()
}

pub fn token(auth: &JwtAuthority, subject: &str, roles: &[&str]) -> String {
    let request = TokenRequest::new(subject).roles(roles.iter().copied());
    auth.issuer().issue_access(&request).unwrap().token
}

/// Sends `request` as if it came over TCP from `peer`.
pub async fn send_from(app: &Router, peer: [u8; 4], mut request: Request<Body>) -> Response<Body> {
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 40_000))));
    app.clone().oneshot(request).await.unwrap()
}

pub async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}
