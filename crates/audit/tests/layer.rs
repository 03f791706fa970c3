//! The audit layer on a real axum Router: one event per request with the
//! principal, decision and reason, and the other layers' events in the same chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::routing::get;
use http::{Request, Response, StatusCode};
use rampart_audit::{
    AuditContext, AuditLayer, AuditLog, CapturePrincipalLayer, MemorySink, RecordMode, SigningKey,
    VerifyOptions, verify,
};
use rampart_core::{
    AuthMethod, ClientIpLayer, EventKind, EventSink, Principal, Problem, Rejection, RequestIdLayer,
    SecurityEvent, TrustedProxies, reject,
};
use serde_json::Value;
use tower::{ServiceBuilder, ServiceExt};

#[derive(Debug, Clone)]
struct Denied {
    permission: &'static str,
}

impl Rejection for Denied {
    fn to_problem(&self) -> Problem {
        Problem::forbidden().with_detail(format!("missing {}", self.permission))
    }
}

fn new_log() -> (AuditLog, MemorySink) {
    let (log, sink, _) = log_with_key();
    (log, sink)
}

fn log_with_key() -> (AuditLog, MemorySink, rampart_audit::VerifyingKey) {
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let public = key.verifying_key();
    (
        AuditLog::builder(sink.clone(), key).build().unwrap(),
        sink,
        public,
    )
}

fn events(sink: &MemorySink) -> Vec<Value> {
    sink.lines()
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("checkpoint").is_none())
        .map(|v| v["event"].clone())
        .collect()
}

/// Stands in for the auth layer: inserts a principal when `x-user` is sent.
fn fake_auth(mut req: Request<axum::body::Body>) -> Request<axum::body::Body> {
    if let Some(user) = req.headers().get("x-user").and_then(|v| v.to_str().ok()) {
        let principal = Principal::new(user, AuthMethod::Jwt)
            .with_tenant("acme")
            .with_claim("email", format!("{user}@example.com"));
        req.extensions_mut().insert(principal);
    }
    req
}

fn new_app(audit: AuditLayer) -> Router {
    let router = Router::new()
        .route(
            "/items",
            get(|| async { "list" }).post(|req: Request<axum::body::Body>| async move {
                let ctx = AuditContext::from_extensions(req.extensions()).unwrap();
                ctx.set_route("/items");
                ctx.set_action("items:create");
                ctx.set_target("item", "it-7");
                ctx.insert_metadata("api_token", "should not be kept");
                StatusCode::CREATED
            }),
        )
        .route(
            "/items/{id}",
            axum::routing::delete(|| async {
                let response: Response<axum::body::Body> = reject(
                    &rampart_core::ProblemResponse,
                    Denied {
                        permission: "items:delete",
                    },
                );
                response
            }),
        );
    router
        .layer(CapturePrincipalLayer)
        .layer(tower::util::MapRequestLayer::new(fake_auth))
        .layer(audit)
        .layer(ClientIpLayer::new(TrustedProxies::none()))
        .layer(RequestIdLayer::new())
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    user: Option<&str>,
) -> Response<axum::body::Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("user-agent", "test-agent/1");
    if let Some(user) = user {
        req = req.header("x-user", user);
    }
    let mut req = req.body(axum::body::Body::empty()).unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [203, 0, 113, 5],
            4000,
        ))));
    app.clone().oneshot(req).await.unwrap()
}

#[tokio::test]
async fn one_event_per_request_with_actor_status_and_request_id() {
    let (log, sink) = new_log();
    let app = new_app(AuditLayer::new(log.clone()));
    let response = send(&app, "GET", "/items", Some("bob")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    send(&app, "POST", "/items", Some("bob")).await;
    log.shutdown().unwrap();
    let events = events(&sink);
    assert_eq!(events.len(), 2);
    let read = &events[0];
    assert_eq!(read["type"], "data.read");
    assert_eq!(read["outcome"], "success");
    assert_eq!(read["actor"]["subject"], "bob");
    assert_eq!(read["actor"]["tenant"], "acme");
    assert_eq!(read["actor"]["email"], "bob@example.com");
    assert_eq!(read["request_id"], request_id.as_str());
    assert_eq!(read["client"]["user_agent"], "test-agent/1");
    assert_eq!(read["http"]["method"], "GET");
    assert_eq!(read["http"]["route"], "/items");
    assert_eq!(read["http"]["status"], 200);
    assert!(read["http"]["latency_us"].is_u64());
    let write = &events[1];
    assert_eq!(write["type"], "data.write");
    assert_eq!(write["action"], "items:create");
    assert_eq!(write["target"]["id"], "it-7");
    assert_eq!(write["http"]["status"], 201);
    assert_eq!(write["metadata"]["api_token"], "[redacted]");
}

#[tokio::test]
async fn a_guard_refusal_is_recorded_with_its_typed_reason() {
    let (log, sink) = new_log();
    let app = new_app(AuditLayer::new(log.clone()).rejection::<Denied>());
    let response = send(&app, "DELETE", "/items/9", Some("mallory")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    log.shutdown().unwrap();
    let e = &events(&sink)[0];
    assert_eq!(e["type"], "data.delete");
    assert_eq!(e["outcome"], "failure");
    assert_eq!(e["actor"]["subject"], "mallory");
    assert_eq!(e["metadata"]["decision"], "deny");
    assert_eq!(e["metadata"]["rejection"], "Denied");
    assert!(e["reason"].as_str().unwrap().contains("items:delete"));
    assert_eq!(e["http"]["route"], "/items/9");
}

#[tokio::test]
async fn a_client_cannot_bloat_the_trail_with_a_long_path_or_user_agent() {
    let (log, sink) = new_log();
    let app = new_app(AuditLayer::new(log.clone()));
    let mut req = Request::builder()
        .method("DELETE")
        .uri(format!("/items/{}", "%C3%A9".repeat(5_000)))
        .header("user-agent", "x".repeat(10_000))
        .body(axum::body::Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [203, 0, 113, 5],
            4000,
        ))));
    app.clone().oneshot(req).await.unwrap();
    log.shutdown().unwrap();
    let e = &events(&sink)[0];
    let route = e["http"]["route"].as_str().unwrap();
    assert!(
        route.chars().count() <= 2049 && route.ends_with('…'),
        "{}",
        route.len()
    );
    assert_eq!(
        e["client"]["user_agent"].as_str().unwrap().chars().count(),
        513
    );
}

#[tokio::test]
async fn modes_choose_which_requests_are_recorded() {
    let (log, sink) = new_log();
    let app = new_app(AuditLayer::new(log.clone()).record(RecordMode::Mutating));
    send(&app, "GET", "/items", None).await;
    send(&app, "POST", "/items", None).await;
    send(&app, "GET", "/missing", None).await;
    log.flush().unwrap();
    let kinds: Vec<Value> = events(&sink)
        .iter()
        .map(|e| e["http"]["status"].clone())
        .collect();
    assert_eq!(kinds, vec![Value::from(201), Value::from(404)]);

    let (log2, sink2) = new_log();
    let app2 = new_app(AuditLayer::new(log2.clone()).record(RecordMode::Failures));
    send(&app2, "GET", "/items", None).await;
    send(&app2, "POST", "/items", None).await;
    send(&app2, "DELETE", "/items/1", None).await;
    log2.flush().unwrap();
    let kinds: Vec<Value> = events(&sink2)
        .iter()
        .map(|e| e["http"]["status"].clone())
        .collect();
    assert_eq!(kinds, vec![Value::from(403)]);
}

#[tokio::test]
async fn the_layer_is_the_sink_of_the_other_layers() {
    let (log, sink, key) = log_with_key();
    let audit = AuditLayer::new(log.clone());
    let shared: rampart_core::SharedSink = std::sync::Arc::new(audit.clone());
    let app = new_app(audit);
    send(&app, "GET", "/items", Some("bob")).await;
    shared.emit(
        SecurityEvent::new(EventKind::RateLimited, "rampart::ratelimit", "ip quota")
            .with_subject("bob"),
    );
    send(&app, "GET", "/items", Some("bob")).await;
    log.shutdown().unwrap();
    let types: Vec<Value> = events(&sink).iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, vec!["data.read", "ratelimit.limited", "data.read"]);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("layer-sink");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.jsonl");
    std::fs::write(&path, sink.lines().join("\n") + "\n").unwrap();
    let report = verify(&path, &key, VerifyOptions::default().require_sealed(true)).unwrap();
    assert!(report.ok, "{:?}", report.failure);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_requests_land_contiguously_and_nothing_is_lost() {
    concurrent_requests(16, 12_500).await;
}

/// The full million of the acceptance criteria; slow unoptimised, so run it
/// with `cargo test --release -p rampart-audit --test layer -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a million requests: run with --release -- --ignored"]
async fn a_million_concurrent_requests_land_contiguously() {
    concurrent_requests(32, 31_250).await;
}

async fn concurrent_requests(tasks: usize, each: usize) {
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .queue_capacity(1024)
        .build()
        .unwrap();
    let svc = ServiceBuilder::new()
        .layer(AuditLayer::new(log.clone()))
        .service(tower::service_fn(|_req: Request<()>| async {
            Ok::<_, std::convert::Infallible>(Response::new(()))
        }));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move {
                for _ in 0..each {
                    svc.clone().oneshot(Request::new(())).await.unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    log.shutdown().unwrap();
    let m = log.metrics();
    assert_eq!((m.written, m.dropped), ((tasks * each) as u64, 0));
    let seqs: Vec<u64> = sink
        .lines()
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v.get("seq").and_then(Value::as_u64))
        .collect();
    assert_eq!(seqs.len(), tasks * each);
    assert!(seqs.iter().enumerate().all(|(i, s)| *s == i as u64 + 1));
}
