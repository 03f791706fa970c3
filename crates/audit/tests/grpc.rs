//! gRPC calls through the audit layer: every answer is HTTP 200, so a refusal
//! or an error is told by the `grpc-status` in the response head.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{Request, Response};
use rampart_audit::{AuditLayer, AuditLog, MemorySink, RecordMode, SigningKey};
use serde_json::Value;
use std::convert::Infallible;
use tower::{ServiceBuilder, ServiceExt, service_fn};

fn log() -> (AuditLog, MemorySink) {
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    (AuditLog::builder(sink.clone(), key).build().unwrap(), sink)
}

fn events(sink: &MemorySink) -> Vec<Value> {
    sink.lines()
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("checkpoint").is_none())
        .map(|v| v["event"].clone())
        .collect()
}

/// A gRPC server stand-in: the method name says which `grpc-status` the
/// response head carries (`none` for a streamed answer whose status comes
/// in trailers).
async fn call(audit: &AuditLayer, method: &str) {
    let service = ServiceBuilder::new()
        .layer(audit.clone())
        .service(service_fn(|req: Request<()>| async move {
            let mut response = Response::builder().header("content-type", "application/grpc");
            match req.uri().path().rsplit('/').next() {
                Some("none") => {}
                Some(code) => response = response.header("grpc-status", code),
                None => {}
            }
            Ok::<_, Infallible>(response.body(()).unwrap())
        }));
    let request = Request::post(format!("/pkg.Items/{method}"))
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_grpc_status_other_than_ok_is_a_failure_with_its_code() {
    let (log, sink) = log();
    let audit = AuditLayer::new(log.clone());
    for method in ["7", "0", "none", "16", "garbage"] {
        call(&audit, method).await;
    }
    log.shutdown().unwrap();
    let events = events(&sink);
    let seen: Vec<(&str, &Value)> = events
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                &e["metadata"]["grpc_status"],
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("failure", &Value::from(7)),
            ("success", &Value::from(0)),
            ("success", &Value::Null),
            ("failure", &Value::from(16)),
            // A status that is no number is not a gRPC status at all.
            ("success", &Value::Null),
        ]
    );
    assert!(events.iter().all(|e| e["http"]["status"] == 200));
}

#[tokio::test]
async fn failures_mode_keeps_grpc_refusals_only() {
    let (log, sink) = log();
    let audit = AuditLayer::new(log.clone()).record(RecordMode::Failures);
    for method in ["0", "none", "8"] {
        call(&audit, method).await;
    }
    log.shutdown().unwrap();
    let events = events(&sink);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["metadata"]["grpc_status"], 8);
    assert_eq!(events[0]["http"]["route"], "/pkg.Items/8");
}
