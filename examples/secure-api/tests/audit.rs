//! `[audit]`: one event per request and the layers' security events in one
//! hash-chained trail, and `GET /admin/audit/verify` for admins.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use http::{Method, StatusCode};
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("secure-api-audit-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("audit.jsonl")
}

async fn audited(path: &Path) -> TestApp {
    let document = format!(
        "[audit]\npath = \"{}\"\ncheckpoint_every = 5\n",
        path.display()
    );
    let config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&document)).unwrap();
    let (router, facts) = app::build(&config).await.unwrap();
    assert!(
        facts
            .lines
            .iter()
            .any(|(name, value)| name == "audit" && value.contains("hash-chained")),
        "{:?}",
        facts.lines
    );
    TestApp { router }
}

/// Every record of the trail, as JSON.
fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn requests_and_refusals_land_in_a_trail_that_verifies() {
    let path = scratch("verifies");
    let app = audited(&path).await;
    let (admin, _) = app.login("alice").await;
    let (viewer, _) = app.login("carol").await;
    // A refusal by the permission guard, and one by authentication.
    let denied = app
        .send(Method::DELETE, "/api/items/1", Some(&viewer), None)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let unauthenticated = app
        .send(Method::GET, "/api/me", Some("garbage"), None)
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);

    let report = app
        .send(Method::GET, "/admin/audit/verify", Some(&admin), None)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["ok"], json!(true), "{:?}", report.body);
    assert!(
        report.body["events"].as_u64().unwrap() >= 4,
        "{:?}",
        report.body
    );

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("PermissionRejection"),
        "the guard's refusal is recorded"
    );
    assert!(
        text.contains("AuthRejection"),
        "the auth refusal is recorded"
    );
    assert!(text.contains("carol"), "the actor is recorded");
    assert!(!text.contains("garbage"), "tokens are never recorded");
    let denial = records(&path)
        .into_iter()
        .map(|record| record["event"].clone())
        .find(|e| e["metadata"]["rejection"] == "PermissionRejection" && e["http"].is_object())
        .unwrap_or_else(|| {
            panic!(
                "no request event for the refused delete in {}",
                std::fs::read_to_string(&path).unwrap()
            )
        });
    assert_eq!(denial["actor"]["subject"], "carol", "{denial}");
    assert_eq!(denial["actor"]["tenant"], "globex", "{denial}");
    assert_eq!(denial["http"]["status"], 403, "{denial}");
    assert!(denial["request_id"].is_string(), "{denial}");
}

#[tokio::test]
async fn only_admins_may_verify() {
    let path = scratch("admins");
    let app = audited(&path).await;
    let (editor, _) = app.login("bob").await;
    let reply = app
        .send(Method::GET, "/admin/audit/verify", Some(&editor), None)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = app
        .send(Method::GET, "/admin/audit/verify", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_tampered_trail_is_reported_with_its_first_bad_record() {
    let path = scratch("tampered");
    let app = audited(&path).await;
    let (admin, _) = app.login("alice").await;
    for _ in 0..3 {
        app.send(Method::GET, "/api/me", Some(&admin), None).await;
    }
    let first = app
        .send(Method::GET, "/admin/audit/verify", Some(&admin), None)
        .await;
    assert_eq!(first.body["ok"], json!(true), "{:?}", first.body);

    // Someone edits a recorded status in place.
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"status\":200", "\"status\":201", 1);
    assert_ne!(text, edited, "the trail records statuses");
    std::fs::write(&path, edited).unwrap();

    let report = app
        .send(Method::GET, "/admin/audit/verify", Some(&admin), None)
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert_eq!(report.body["ok"], json!(false), "{:?}", report.body);
    assert!(report.body["failure"].is_object(), "{:?}", report.body);
}

#[tokio::test]
async fn without_an_audit_section_the_route_says_so() {
    let app = TestApp::new().await;
    let (admin, _) = app.login("alice").await;
    let reply = app
        .send(Method::GET, "/admin/audit/verify", Some(&admin), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[test]
fn the_environment_always_audits_to_the_documented_file() {
    let config = AppConfig::from_env(|_| None).unwrap();
    assert_eq!(
        config.audit.unwrap().path,
        PathBuf::from("./secure-api-audit.jsonl")
    );
    let config = AppConfig::from_env(|name| {
        (name == "RAMPART_AUDIT_LOG").then(|| "/var/log/api/audit.jsonl".to_owned())
    })
    .unwrap();
    assert_eq!(
        config.audit.unwrap().path,
        PathBuf::from("/var/log/api/audit.jsonl")
    );
}
