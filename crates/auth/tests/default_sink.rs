//! A verifier and layer built without `event_sink` still report refused
//! tokens: they go to `tracing` (the `TracingSink`), so none is silent.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "axum")]

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::*;
use http::{Request, StatusCode, header};
use rampart_auth::{JwtAuthLayer, JwtVerifier};
use rampart_test_support::SecurityLog;
use tower::ServiceExt;

#[tokio::test]
async fn default_built_layer_reports_refused_tokens_to_tracing() {
    let fx = fixture();
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(fx.clock.shared())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(JwtAuthLayer::new(verifier));
    let mut claims = fx.claims();
    claims["aud"] = "someone-else".into();
    let token = fx.sign(&fx.header(), &claims);
    let (log, _guard) = SecurityLog::capture();
    let response = app
        .oneshot(
            Request::get("/")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(log.count("AuthenticationFailed"), 1, "{:?}", log.kinds());
    assert!(fx.sink.events().is_empty());
}
