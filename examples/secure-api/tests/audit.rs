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

#[tokio::test]
async fn with_a_database_url_requests_also_land_in_a_table_that_verifies() {
    let Some(url) = rampart_test_support::service_url(
        "DATABASE_URL",
        "with_a_database_url_requests_also_land_in_a_table_that_verifies",
    ) else {
        return;
    };
    let table = format!("secure_api_audit_{}", std::process::id());
    let sql = |statement: String| {
        let url = url.clone();
        // The blocking client runs a runtime of its own: not on this one's thread.
        std::thread::spawn(move || {
            let mut db = url
                .parse::<postgres::Config>()
                .unwrap()
                .connect(postgres::NoTls)
                .unwrap();
            db.query(statement.as_str(), &[])
                .unwrap()
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect::<Vec<String>>()
        })
        .join()
        .unwrap()
    };
    sql(format!("DROP TABLE IF EXISTS {table}"));
    let path = scratch("database");
    let document = format!(
        "[audit]\npath = \"{}\"\ncheckpoint_every = 5\ndatabase_url = \"{url}\"\ntable = \"{table}\"\n",
        path.display()
    );
    let config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&document)).unwrap();
    let (router, facts) = app::build(&config).await.unwrap();
    assert!(
        facts
            .lines
            .iter()
            .any(|(name, value)| name == "audit" && value.contains(&table)),
        "{:?}",
        facts.lines
    );
    let app = TestApp { router };
    let (admin, _) = app.login("alice").await;
    let (viewer, _) = app.login("carol").await;
    let denied = app
        .send(Method::DELETE, "/api/items/1", Some(&viewer), None)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    let report = app
        .send(Method::GET, "/admin/audit/verify", Some(&admin), None)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["ok"], json!(true), "{:?}", report.body);
    assert_eq!(report.body["table"]["ok"], json!(true), "{:?}", report.body);
    assert_eq!(
        report.body["table"]["events"], report.body["events"],
        "the table holds the file's chain: {:?}",
        report.body
    );

    let denial = sql(format!(
        "SELECT line FROM {table} WHERE kind = 0 AND subject = 'carol' AND outcome = 'failure' \
         AND doc->'event'->'http'->>'status' = '403'"
    ));
    assert_eq!(denial.len(), 1, "the refused delete is a row");
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(
        file.lines().any(|line| line == denial[0]),
        "the row holds the file's line byte for byte"
    );

    // Someone edits the table: the endpoint says so, though the file is intact.
    sql(format!(
        "UPDATE {table} SET line = replace(line, '\"carol\"', '\"mallory\"') \
         WHERE kind = 0 AND subject = 'carol' RETURNING line"
    ));
    let report = app
        .send(Method::GET, "/admin/audit/verify", Some(&admin), None)
        .await;
    assert_eq!(report.body["ok"], json!(false), "{:?}", report.body);
    assert_eq!(
        report.body["table"]["failure"]["kind"], "modified",
        "{:?}",
        report.body
    );
    sql(format!("DROP TABLE {table}"));
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
    let config = AppConfig::from_env(|name| {
        (name == "DATABASE_URL").then(|| "postgres://audit@db/app".to_owned())
    })
    .unwrap();
    let audit = config.audit.unwrap();
    assert_eq!(
        audit.database_url.as_ref().map(|u| u.expose()),
        Some("postgres://audit@db/app"),
        "DATABASE_URL sends the trail to PostgreSQL too"
    );
    assert_eq!(audit.path, PathBuf::from("./secure-api-audit.jsonl"));
}
