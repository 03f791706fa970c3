//! Per-request time limits: a body that stops arriving gets `408`, a request
//! that takes too long `503`, both as problem JSON. Time is tokio's paused
//! clock, moved by the runtime, never slept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::{Body, Bytes};
use common::{Reply, TestApp};
use http::{Request, StatusCode};
use http_body::Frame;
use secure_api::app;
use secure_api::config::AppConfig;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A body that sends its first bytes and then nothing, ever.
struct Stalled {
    sent: bool,
}

impl http_body::Body for Stalled {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.sent {
            Poll::Pending
        } else {
            self.sent = true;
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"{\"username\":")))))
        }
    }
}

async fn stalled_login(app: &TestApp) -> Reply {
    let request = Request::post("/auth/login")
        .header("content-type", "application/json")
        .body(Body::new(Stalled { sent: false }))
        .unwrap();
    tokio::time::timeout(Duration::from_secs(3600), app.raw(request))
        .await
        .expect("the stalled request was never answered")
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_is_a_408_problem_after_the_body_timeout() {
    let app = TestApp::new().await;
    let started = tokio::time::Instant::now();
    let reply = stalled_login(&app).await;
    assert_eq!(
        reply.status,
        StatusCode::REQUEST_TIMEOUT,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    assert_eq!(reply.body["status"], 408);
    assert!(reply.headers.contains_key("x-content-type-options"));
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(15)..Duration::from_secs(16)).contains(&waited),
        "answered after {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_over_the_request_timeout_is_a_503_problem() {
    let app = TestApp::with_config(Some(
        "[server]\nrequest_body_timeout_secs = 600\nrequest_timeout_secs = 5",
    ))
    .await;
    let started = tokio::time::Instant::now();
    let reply = stalled_login(&app).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        reply.body
    );
    assert_eq!(reply.body["title"], "Request timed out");
    assert!(reply.headers.contains_key("x-request-id"));
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(5)..Duration::from_secs(6)).contains(&waited),
        "answered after {waited:?}"
    );
}

#[tokio::test]
async fn server_limits_come_from_config_and_zero_is_refused() {
    let config = |text: &str| {
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(text)).unwrap()
    };
    let defaults = AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, None).unwrap();
    assert_eq!(defaults.server.header_read_timeout_secs, 10);
    assert_eq!(defaults.server.max_connections, 1024);
    let limits = secure_api::serve::ServeLimits::from(&defaults.server);
    assert_eq!(limits.header_read_timeout, Duration::from_secs(10));

    for key in [
        "header_read_timeout_secs",
        "request_body_timeout_secs",
        "request_timeout_secs",
        "max_connections",
    ] {
        let zero = config(&format!("[server]\n{key} = 0"));
        let Err(err) = app::build(&zero).await else {
            panic!("a zero {key} was accepted");
        };
        assert!(err.to_string().contains(key), "{err}");
    }
    let err = AppConfig::from_documents(
        "127.0.0.1:0".parse().unwrap(),
        None,
        Some("[server]\nheader_timeout = 5"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("header_timeout"), "{err}");
}
