//! A default-built layer reports refusals to `tracing` (alone in its binary:
//! the capture is per thread and other tests would race it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use rampart_core::{ClientIpLayer, TrustedProxies};
use rampart_ratelimit::{Limit, Quota, RateLimitLayer, RateLimiter};
use rampart_test_support::SecurityLog;
use std::net::SocketAddr;
use tower::ServiceExt;

#[tokio::test]
async fn a_default_built_layer_reports_to_tracing() {
    let limiter = RateLimiter::new(Limit::new("ip", Quota::per_minute(1))).unwrap();
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(limiter))
        .layer(ClientIpLayer::new(TrustedProxies::none()));
    let request = || {
        let mut req = Request::get("/").body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(SocketAddr::from(([192, 0, 2, 7], 4000)));
        req
    };
    let (log, _guard) = SecurityLog::capture();
    app.clone().oneshot(request()).await.unwrap();
    let refused = app.oneshot(request()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(log.kinds(), ["RateLimited"]);
}
