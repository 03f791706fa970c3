//! Login under load, the decoy for unknown names, token caching headers and
//! what the login handler writes to the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use common::TestApp;
use http::{Method, Request, StatusCode};
use rampart_auth::password::HashParams;
use rampart_auth::password::argon2::Params;
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

fn config(user: Option<&str>) -> AppConfig {
    AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, user).unwrap()
}

fn login_request(username: &str, password: &str) -> Request<Body> {
    Request::post("/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap()
}

/// 2 hashes at once, 1 waiting: a flood of 24 wrong-password logins gets
/// some `503` + `Retry-After` problems at once, the others their `401`, and
/// never more than 2 argon2 checks run together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_gets_503_with_retry_after_beyond_the_hashing_bound() {
    let built = app::assemble(&config(Some(
        "[passwords]\nmax_concurrent = 2\nmax_queued = 1\nretry_after_secs = 2",
    )))
    .await
    .unwrap();
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..24 {
        let router = built.router.clone();
        let user = if i % 2 == 0 { "bob" } else { "nobody" };
        flood.spawn(async move { router.oneshot(login_request(user, "wrong")).await.unwrap() });
    }
    let (mut refused, mut busy) = (0, 0);
    while let Some(response) = flood.join_next().await {
        let response = response.unwrap();
        match response.status() {
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(response.headers()["retry-after"], "2");
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json"
                );
                assert!(response.headers().contains_key("x-content-type-options"));
            }
            other => panic!("unexpected {other}"),
        }
    }
    let stats = built.state.users.verifier().limiter().stats();
    assert!(busy > 0, "no login was refused with 503");
    assert!(refused >= 3, "only {refused} logins were checked");
    assert_eq!(stats.refused, busy);
    assert!(
        stats.peak_running <= 2,
        "{} hashes ran at once",
        stats.peak_running
    );
    assert_eq!(stats.running, 0);
}

#[tokio::test]
async fn the_default_bound_is_one_hash_per_cpu() {
    let built = app::assemble(&config(None)).await.unwrap();
    let cpus = std::thread::available_parallelism().unwrap().get();
    let limiter = built.state.users.verifier().limiter();
    assert_eq!(limiter.max_concurrent(), cpus);
    assert_eq!(limiter.max_queued(), cpus);
    assert!(
        built
            .facts
            .lines
            .iter()
            .any(|(name, value)| name == "password checks" && value.contains("then 503"))
    );
}

/// Users configured with stronger argon2 parameters than the default: the
/// decoy verified for unknown names has the same parameters, so a miss costs
/// what a hit costs.
#[tokio::test]
async fn the_decoy_has_the_configured_hashes_params() {
    let strong = {
        let mut p = HashParams::default();
        p.params = Params::new(32 * 1024, 3, 1, None).unwrap();
        p
    };
    let users: String = ["erin", "frank"]
        .iter()
        .map(|name| {
            let phc = strong.hash(format!("{name}-pw").as_bytes()).unwrap();
            format!("[[users]]\nusername = \"{name}\"\npassword_hash = \"{phc}\"\nroles = [\"viewer\"]\n")
        })
        .collect();
    let built = app::assemble(&config(Some(&users))).await.unwrap();
    let verifier = built.state.users.verifier();
    let decoy = HashParams::from_phc(verifier.decoy_hash()).unwrap();
    for name in ["erin", "frank"] {
        let stored = built.state.users.get(name).unwrap().password_hash();
        assert_eq!(HashParams::from_phc(&stored).unwrap(), decoy, "{name}");
    }
    assert_eq!(decoy.params.m_cost(), 32 * 1024);
    assert_eq!(decoy.params.t_cost(), 3);

    // The built-in users are hashed at start-up with the default parameters,
    // and so is the decoy.
    let built = app::assemble(&config(None)).await.unwrap();
    let decoy = HashParams::from_phc(built.state.users.verifier().decoy_hash()).unwrap();
    assert_eq!(decoy, HashParams::default());
    let bob = built.state.users.get("bob").unwrap().password_hash();
    assert_eq!(HashParams::from_phc(&bob).unwrap(), decoy);
}

/// RFC 6749 §5.1: a response carrying tokens must not be cached.
#[tokio::test]
async fn token_responses_are_not_cacheable() {
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
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.headers["pragma"], "no-cache");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

/// A username carrying CR/LF and an ANSI escape cannot forge a log line or
/// repaint a terminal: the log shows it escaped.
#[tokio::test]
async fn untrusted_usernames_are_logged_escaped() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    let forged =
        "mallory\r\n2026-12-01T00:00:00Z  INFO secure_api: login ok username=alice\x1b[31m";
    let reply = app.raw(login_request(forged, "wrong")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("login refused"), "{log}");
    assert!(log.contains(r"mallory\r\n2026-12-01"), "{log}");
    assert!(!log.contains("\r"), "raw CR in the log: {log:?}");
    assert!(!log.contains('\x1b'), "raw escape in the log: {log:?}");
    assert!(
        log.lines().all(|l| !l.starts_with("2026-12-01T00:00:00Z")),
        "the forged text starts a line of its own: {log:?}"
    );
}
