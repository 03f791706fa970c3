//! `[audit.rules]`: brute force against sign-in raises alerts in the trail,
//! blocks the address in the login throttle and locks the account's tokens;
//! with the rules off, none of that happens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::{Reply, TestApp};
use http::{Method, Request, StatusCode};
use rampart_audit::AuditTrail;
use rampart_ratelimit::{LoginDecision, ThrottleReason};
use secure_api::app::{self, BuiltApp};
use secure_api::config::AppConfig;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("secure-api-threats-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("audit.jsonl")
}

fn document(path: &Path, rules_enabled: bool) -> String {
    format!(
        "[audit]\npath = \"{}\"\n[audit.rules]\nenabled = {rules_enabled}\n",
        path.display()
    )
}

async fn build(config: &AppConfig) -> (TestApp, BuiltApp) {
    let built = app::assemble(config).await.unwrap();
    (
        TestApp {
            router: built.router.clone(),
        },
        built,
    )
}

async fn audited(path: &Path, rules_enabled: bool) -> (TestApp, BuiltApp) {
    let config = AppConfig::from_documents(
        "127.0.0.1:0".parse().unwrap(),
        None,
        Some(&document(path, rules_enabled)),
    )
    .unwrap();
    build(&config).await
}

/// A login as if from `ip` (the TCP peer: no proxy is trusted).
async fn login_from(app: &TestApp, ip: &str, username: &str, password: &str) -> Reply {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    let ip: IpAddr = ip.parse().unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40_000)));
    app.raw(request).await
}

fn trail(built: &BuiltApp) -> AuditTrail {
    built.state.audit.clone().expect("the app audits")
}

/// Waits for the queue and the responses in flight, checks the chain, and
/// answers its events.
fn settled_events(built: &BuiltApp, path: &Path) -> Vec<Value> {
    let trail = trail(built);
    trail.log().flush().unwrap();
    let report = trail.verify().unwrap();
    assert!(report.ok, "{report:?}");
    common::trail_events(built, path)
}

fn of_type<'a>(events: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == event_type).collect()
}

async fn twenty_failures_from(app: &TestApp, ip: &str) {
    for i in 0..20 {
        let reply = login_from(app, ip, &format!("nobody{i}"), "wrong-password").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    }
}

#[tokio::test]
async fn twenty_failures_from_an_address_block_it_and_land_in_the_trail() {
    let path = scratch("block");
    let (app, built) = audited(&path, true).await;
    let attacker = "203.0.113.66";
    twenty_failures_from(&app, attacker).await;
    let events = settled_events(&built, &path);

    let alerts = of_type(&events, "security.alert.brute_force");
    assert_eq!(alerts.len(), 1, "{events:#?}");
    assert_eq!(alerts[0]["client"]["ip"], attacker, "{}", alerts[0]);
    let responses = of_type(&events, "security.response.block_client");
    assert_eq!(responses.len(), 1, "{events:#?}");
    assert_eq!(responses[0]["outcome"], "success", "{}", responses[0]);
    assert_eq!(responses[0]["client"]["ip"], attacker);
    assert_eq!(responses[0]["metadata"]["alert_id"], alerts[0]["id"]);
    assert_eq!(responses[0]["metadata"]["duration_secs"], 3600);

    // The 21st, with the right password, is refused as the throttle refuses.
    let reply = login_from(&app, attacker, "alice", "alice-S3cure-demo!").await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        reply.body
    );
    assert!(reply.headers.contains_key("retry-after"));
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(reply.body["status"], 429);
    // By the rule's block-list entry, not only by the throttle's own count.
    let decision = built
        .state
        .login_throttle
        .check("alice", attacker.parse().unwrap())
        .await;
    assert!(
        matches!(
            decision,
            LoginDecision::Throttled {
                reason: ThrottleReason::BlockListed,
                ..
            }
        ),
        "{decision:?}"
    );
    // Other addresses sign in as before.
    let other = login_from(&app, "198.51.100.7", "alice", "alice-S3cure-demo!").await;
    assert_eq!(other.status, StatusCode::OK, "{:?}", other.body);
    assert!(settled_events(&built, &path).len() > events.len());
}

#[tokio::test]
async fn stale_bearer_tokens_are_not_counted_as_guessed_passwords() {
    let path = scratch("stale-token");
    let (app, built) = audited(&path, true).await;
    let client = "203.0.113.77";
    // A client polling with a token that no longer verifies, 25 times.
    for _ in 0..25 {
        let mut request = Request::builder()
            .uri("/api/items")
            .header("authorization", "Bearer not.a.valid-token")
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(
            client.parse().unwrap(),
            40_000,
        )));
        let reply = app.raw(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    }
    let events = settled_events(&built, &path);
    assert_eq!(
        of_type(&events, "auth.token.rejected").len(),
        25,
        "{events:#?}"
    );
    assert!(of_type(&events, "auth.login.failure").is_empty());
    assert!(of_type(&events, "security.alert.brute_force").is_empty());
    // It signs in again as usual: its address was never blocked.
    let reply = login_from(&app, client, "alice", "alice-S3cure-demo!").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn five_wrong_passwords_for_an_account_lock_its_tokens() {
    let path = scratch("lock");
    let (app, built) = audited(&path, true).await;
    let (bob, _) = app.login("bob").await;
    let (carol, _) = app.login("carol").await;
    for i in 0..5 {
        let reply = login_from(&app, &format!("192.0.2.{}", 10 + i), "bob", "guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    }
    let events = settled_events(&built, &path);
    let alerts = of_type(&events, "security.alert.brute_force");
    assert_eq!(alerts.len(), 1, "{events:#?}");
    assert_eq!(alerts[0]["actor"]["subject"], "bob", "{}", alerts[0]);
    let locks = of_type(&events, "security.response.lock_account");
    assert_eq!(locks.len(), 1, "{events:#?}");
    assert_eq!(locks[0]["outcome"], "success", "{}", locks[0]);
    assert_eq!(locks[0]["actor"]["subject"], "bob");
    assert_eq!(
        locks[0]["metadata"]["duration_secs"], 1800,
        "the [ratelimit] lockout"
    );
    assert!(
        of_type(&events, "security.response.block_client").is_empty(),
        "five addresses, one failure each: no address is blocked"
    );

    let me = app.send(Method::GET, "/api/me", Some(&bob), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{:?}", me.body);
    let others = app.send(Method::GET, "/api/me", Some(&carol), None).await;
    assert_eq!(others.status, StatusCode::OK, "only bob is locked");
}

#[tokio::test]
async fn with_the_rules_off_nothing_is_raised_or_done() {
    let path = scratch("off");
    let (app, built) = audited(&path, false).await;
    assert!(trail(&built).rule_stats().is_none());
    let (bob, _) = app.login("bob").await;
    for i in 0..5 {
        login_from(&app, &format!("192.0.2.{}", 10 + i), "bob", "guess").await;
    }
    let attacker = "203.0.113.67";
    twenty_failures_from(&app, attacker).await;
    let events = settled_events(&built, &path);
    assert!(
        events
            .iter()
            .all(|e| !e["type"].as_str().unwrap().starts_with("security.")),
        "{events:#?}"
    );
    assert_eq!(
        of_type(&events, "auth.login.failure").len(),
        25,
        "failures are still recorded"
    );
    let me = app.send(Method::GET, "/api/me", Some(&bob), None).await;
    assert_eq!(me.status, StatusCode::OK, "no lock without the rules");
    // The throttle still counts on its own; nothing is put on its block-list.
    let decision = built
        .state
        .login_throttle
        .check("alice", attacker.parse().unwrap())
        .await;
    assert!(
        matches!(
            decision,
            LoginDecision::Throttled {
                reason: ThrottleReason::IpBlocked,
                ..
            }
        ),
        "{decision:?}"
    );
}

// Several workers: the responses run as tasks on this runtime while the test
// thread blocks in `flush`, which waits for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_the_lock_reaches_the_shared_token_store() {
    let Some(url) = common::redis_url("on_redis_the_lock_reaches_the_shared_token_store") else {
        return;
    };
    let path = scratch("redis");
    // A user of its own: a lock in shared Redis outlives the test.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let user = format!("threat-{}-{nonce}", std::process::id());
    let password = "threat-S3cure-demo!";
    let document = format!(
        "{}\n[[users]]\nusername = \"{user}\"\npassword = \"{password}\"\nroles = []\n",
        document(&path, true)
    );
    let mut config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&document)).unwrap();
    config.redis_url = Some(url);
    let (app, built) = build(&config).await;
    let login = login_from(&app, "127.0.0.1", &user, password).await;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    // Addresses of their own too: the throttle's counters are shared.
    let base = (nonce % 200) as u8;
    for i in 0..5u8 {
        login_from(&app, &format!("10.{base}.{i}.1"), &user, "guess").await;
    }
    // Responses run on tokio here: give them a moment to land.
    let mut locks = Vec::new();
    for _ in 0..50 {
        let events = settled_events(&built, &path);
        locks = of_type(&events, "security.response.lock_account")
            .into_iter()
            .cloned()
            .collect();
        if !locks.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(locks.len(), 1, "no lock response recorded");
    assert_eq!(locks[0]["outcome"], "success", "{}", locks[0]);
    let me = app.send(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{:?}", me.body);
}
