//! Two instances of the app sharing one Redis, a single node and a cluster,
//! driven alternately: they behave as one service. Tokens, logouts ("log out
//! everywhere" and one sign-in ended), refresh families, rate limits, login
//! lockouts, role bindings and grants seen by one are honoured by the other at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::{Reply, TestApp};
use http::{Method, Request, StatusCode};
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::{Value, json};
use std::net::SocketAddr;

/// The shared configuration: one signing secret (so both sign with the same
/// key id), small quotas so the test reaches them.
const SHARED: &str = r#"
[jwt]
algorithm = "HS256"
secret = "one-secret-every-instance-reads-from-config!"

[ratelimit]
ip_per_minute = 40
login_max_failures = 3
"#;

struct Pair {
    a: TestApp,
    b: TestApp,
    /// A client address no earlier run used (counters outlive a run).
    peer: String,
}

async fn instance(url: &str) -> TestApp {
    let mut config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(SHARED)).unwrap();
    config.redis_url = Some(url.to_owned());
    let (router, facts) = app::build(&config).await.unwrap();
    let mode = facts
        .lines
        .iter()
        .find(|(name, _)| name == "redis")
        .map(|(_, value)| value.clone())
        .expect("the start-up lines name the Redis mode");
    let nodes = url.split(',').count();
    let expected = if nodes == 1 {
        "single node".to_owned()
    } else {
        format!("cluster ({nodes} nodes)")
    };
    assert!(mode.starts_with(&expected), "{mode}");
    TestApp { router }
}

async fn pair(url: &str) -> Pair {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Pair {
        a: instance(url).await,
        b: instance(url).await,
        peer: format!(
            "10.{}.{}.{}",
            (nonce >> 24) as u8,
            (nonce >> 16) as u8,
            (nonce >> 8) as u8
        ),
    }
}

impl Pair {
    async fn call(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let mut request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let peer: SocketAddr = format!("{}:40000", self.peer).parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        app.raw(request).await
    }

    async fn login(&self, app: &TestApp, user: &str) -> (String, String) {
        let reply = self
            .call(
                app,
                Method::POST,
                "/auth/login",
                None,
                Some(json!({"username": user, "password": format!("{user}-S3cure-demo!")})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        (
            reply.body["access_token"].as_str().unwrap().to_owned(),
            reply.body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    async fn me(&self, app: &TestApp, access: &str) -> StatusCode {
        self.call(app, Method::GET, "/api/me", Some(access), None)
            .await
            .status
    }

    async fn refresh(&self, app: &TestApp, token: &str) -> Reply {
        self.call(
            app,
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await
    }
}

fn token(reply: &Reply, field: &str) -> String {
    reply.body[field].as_str().unwrap().to_owned()
}

async fn tokens_logout_and_refresh_families_are_shared(p: &Pair) {
    // A token issued by one verifies on the other.
    let (access, refresh) = p.login(&p.a, "bob").await;
    assert_eq!(p.me(&p.b, &access).await, StatusCode::OK);
    assert_eq!(p.me(&p.a, &access).await, StatusCode::OK);

    // Refreshed on B, the old refresh token replayed on A is reuse: the
    // whole family ends on both, the new access token with it.
    let rotated = p.refresh(&p.b, &refresh).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let (access2, refresh2) = (
        token(&rotated, "access_token"),
        token(&rotated, "refresh_token"),
    );
    assert_eq!(p.me(&p.a, &access2).await, StatusCode::OK);
    let reused = p.refresh(&p.a, &refresh).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reused.body["error"], "invalid_grant");
    assert_eq!(
        p.refresh(&p.b, &refresh2).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(p.me(&p.b, &access2).await, StatusCode::UNAUTHORIZED);

    // A logout on A is honoured by B at once: the access token and the
    // refresh family are gone.
    let (access, refresh) = p.login(&p.b, "carol").await;
    let out = p
        .call(&p.a, Method::POST, "/auth/logout", Some(&access), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(p.me(&p.b, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        p.refresh(&p.b, &refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_login_lockout_is_counted_once(p: &Pair) {
    let username = format!("nobody-{}", p.peer.replace('.', "-"));
    let wrong = |app| {
        let body = json!({"username": username, "password": "wrong-password"});
        p.call(app, Method::POST, "/auth/login", None, Some(body))
    };
    // Three failures, alternating, lock the account on both.
    for app in [&p.a, &p.b, &p.a] {
        assert_eq!(wrong(app).await.status, StatusCode::UNAUTHORIZED);
    }
    for app in [&p.b, &p.a] {
        let reply = wrong(app).await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{:?}",
            reply.body
        );
    }
}

async fn the_address_quota_is_counted_once(p: &Pair) {
    // Every request so far counted against the address; spend the rest,
    // alternating, and both refuse at the same total.
    let mut admitted = 0;
    for i in 0..60 {
        let app = if i % 2 == 0 { &p.a } else { &p.b };
        let status = p.call(app, Method::GET, "/health", None, None).await.status;
        if status == StatusCode::OK {
            admitted += 1;
        } else {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        }
    }
    assert!(admitted < 40, "{admitted} admitted beyond a quota of 40");
    for app in [&p.a, &p.b] {
        let status = p.call(app, Method::GET, "/health", None, None).await.status;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
}

async fn sessions(p: &Pair, app: &TestApp, access: &str) -> Vec<Value> {
    let reply = p
        .call(app, Method::GET, "/auth/sessions", Some(access), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["sessions"].as_array().unwrap().clone()
}

async fn log_out_everywhere_and_one_sign_in_are_shared(p: &Pair) {
    // Signed in on both; "log out everywhere" on A ends both on B at once.
    let (on_a, on_a_refresh) = p.login(&p.a, "mallory").await;
    let (on_b, on_b_refresh) = p.login(&p.b, "mallory").await;
    assert_eq!(p.me(&p.b, &on_a).await, StatusCode::OK);
    let out = p
        .call(&p.a, Method::POST, "/auth/logout/all", Some(&on_a), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    for app in [&p.b, &p.a] {
        assert_eq!(p.me(app, &on_a).await, StatusCode::UNAUTHORIZED);
        assert_eq!(p.me(app, &on_b).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        p.refresh(&p.b, &on_a_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        p.refresh(&p.a, &on_b_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A sign-in made on A is listed on B, and ended through B it is
    // refused on A.
    let (access, refresh) = p.login(&p.a, "carol").await;
    let listed = sessions(p, &p.b, &access).await;
    let mine = listed
        .iter()
        .find(|s| s["current"] == true)
        .expect("the sign-in made on A is listed on B");
    let path = format!("/auth/sessions/{}", mine["id"].as_str().unwrap());
    let ended = p
        .call(&p.b, Method::DELETE, &path, Some(&access), None)
        .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{:?}", ended.body);
    assert_eq!(p.me(&p.a, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        p.refresh(&p.a, &refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn role_changes_are_shared(p: &Pair) {
    let (alice, _) = p.login(&p.a, "alice").await;
    let (carol, _) = p.login(&p.b, "carol").await;
    let bind = |method| {
        p.call(
            &p.a,
            method,
            "/admin/users/carol/roles/editor",
            Some(&alice),
            None,
        )
    };
    let reports = |app| {
        p.call(
            app,
            Method::GET,
            "/api/tenants/globex/reports",
            Some(&carol),
            None,
        )
    };
    // Redis outlives a run: start from no binding.
    let reset = bind(Method::DELETE).await.status;
    assert!(
        [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND].contains(&reset),
        "{reset}"
    );
    assert_eq!(reports(&p.b).await.status, StatusCode::FORBIDDEN);

    // Bound through A: carol's next request on B is allowed, with the same token.
    assert_eq!(bind(Method::PUT).await.status, StatusCode::NO_CONTENT);
    assert_eq!(reports(&p.b).await.status, StatusCode::OK);
    assert_eq!(reports(&p.a).await.status, StatusCode::OK);

    // Unbound through A: refused on B at once.
    assert_eq!(bind(Method::DELETE).await.status, StatusCode::NO_CONTENT);
    assert_eq!(reports(&p.b).await.status, StatusCode::FORBIDDEN);
    assert_eq!(reports(&p.a).await.status, StatusCode::FORBIDDEN);
}

async fn grants_are_shared(p: &Pair) {
    let (alice, _) = p.login(&p.a, "alice").await;
    let (bob, _) = p.login(&p.b, "bob").await;
    // Items live in each instance; the grant on one lives in Redis.
    let created = p
        .call(
            &p.b,
            Method::POST,
            "/api/items",
            Some(&bob),
            Some(json!({"name": "widget", "description": "shared grant"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].to_string();
    let item = format!("/api/items/{id}");
    let grant = format!("/admin/users/bob/grants/items/{id}");
    // Redis outlives a run: start from no grant on this id.
    let reset = p
        .call(&p.a, Method::DELETE, &grant, Some(&alice), None)
        .await
        .status;
    assert!(
        [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND].contains(&reset),
        "{reset}"
    );
    let delete = || p.call(&p.b, Method::DELETE, &item, Some(&bob), None);
    let give = || {
        let body = json!({"permission": "items:delete", "resource_id": id, "expires_in": 600});
        let path = "/admin/users/bob/grants";
        p.call(&p.a, Method::POST, path, Some(&alice), Some(body))
    };
    assert_eq!(delete().await.status, StatusCode::FORBIDDEN);

    // Given through A, it lets bob delete the item on B; taken back through
    // A, it no longer does.
    assert_eq!(give().await.status, StatusCode::CREATED);
    let taken = p
        .call(&p.a, Method::DELETE, &grant, Some(&alice), None)
        .await;
    assert_eq!(taken.status, StatusCode::NO_CONTENT);
    assert_eq!(delete().await.status, StatusCode::FORBIDDEN);
    assert_eq!(give().await.status, StatusCode::CREATED);
    assert_eq!(delete().await.status, StatusCode::NO_CONTENT);
    // Leave nothing behind for the next run.
    let left = p
        .call(&p.a, Method::DELETE, &grant, Some(&alice), None)
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT);
}

async fn behave_as_one(url: &str) {
    let p = pair(url).await;
    tokens_logout_and_refresh_families_are_shared(&p).await;
    a_login_lockout_is_counted_once(&p).await;
    the_address_quota_is_counted_once(&p).await;
    // A fresh client address: the one above has spent its quota.
    let p = pair(url).await;
    log_out_everywhere_and_one_sign_in_are_shared(&p).await;
    role_changes_are_shared(&p).await;
    // Another address again, so that no flow runs near the quota of 40.
    let p = pair(url).await;
    grants_are_shared(&p).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_redis_node_behave_as_one() {
    let Some(url) = common::redis_url("two_instances_on_one_redis_node_behave_as_one") else {
        return;
    };
    behave_as_one(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_a_redis_cluster_behave_as_one() {
    let Some(url) =
        rampart_test_support::redis_cluster_urls("two_instances_on_a_redis_cluster_behave_as_one")
    else {
        return;
    };
    behave_as_one(&url).await;
}
