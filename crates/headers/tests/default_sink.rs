//! A `CsrfLayer` built without `event_sink` still reports its refusals: they
//! go to `tracing` (the `TracingSink`), so none is silent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use http::{Request, StatusCode};
use rampart_headers::{CsrfLayer, CsrfPolicy};
use rampart_test_support::SecurityLog;
use tower::ServiceExt;

#[tokio::test]
async fn default_built_csrf_layer_reports_refusals_to_tracing() {
    let app = Router::new()
        .route("/transfer", post(|| async { "moved" }))
        .layer(CsrfLayer::new(CsrfPolicy::new()));
    let (log, _guard) = SecurityLog::capture();
    let response = app
        .oneshot(
            Request::post("/transfer")
                .header("host", "bank.example.com")
                .header("sec-fetch-site", "cross-site")
                .header("origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(log.kinds(), ["CsrfRejected"]);
}
