//! `/admin/users/{subject}/roles/{role}` and `/admin/users/{subject}/grants`:
//! administrators bind roles and give grants at run time; the user's very
//! next request sees the change; a tenant's administrator reaches only
//! their tenant's users; each change is in the audit trail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Reply, TestApp};
use http::{Method, StatusCode};
use secure_api::app::{self, BuiltApp};
use secure_api::config::AppConfig;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The demo users, and `dave`, administrator of tenant acme, and `erin`, a
/// viewer in acme.
const USERS: &str = r#"
[[users]]
username = "alice"
password = "alice-S3cure-demo!"
roles = ["admin"]

[[users]]
username = "bob"
password = "bob-S3cure-demo!"
roles = ["editor"]
tenant = "acme"

[[users]]
username = "carol"
password = "carol-S3cure-demo!"
roles = ["viewer"]
tenant = "globex"

[[users]]
username = "dave"
password = "dave-S3cure-demo!"
roles = ["admin"]
tenant = "acme"

[[users]]
username = "erin"
password = "erin-S3cure-demo!"
roles = ["viewer"]
tenant = "acme"
"#;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("secure-api-admin-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("audit.jsonl")
}

async fn audited(path: &Path) -> (TestApp, BuiltApp) {
    let document = format!("[audit]\npath = \"{}\"\n{USERS}", path.display());
    let config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&document)).unwrap();
    let built = app::assemble(&config).await.unwrap();
    (
        TestApp {
            router: built.router.clone(),
        },
        built,
    )
}

async fn role(app: &TestApp, method: Method, admin: &str, user: &str, role: &str) -> Reply {
    let path = format!("/admin/users/{user}/roles/{role}");
    app.send(method, &path, Some(admin), None).await
}

async fn reports(app: &TestApp, token: &str, tenant: &str) -> StatusCode {
    let path = format!("/api/tenants/{tenant}/reports");
    app.send(Method::GET, &path, Some(token), None).await.status
}

fn events_of_type(built: &BuiltApp, path: &Path, event_type: &str) -> Vec<Value> {
    common::trail_events(built, path)
        .into_iter()
        .filter(|event| event["type"] == event_type)
        .collect()
}

#[tokio::test]
async fn a_bound_role_applies_to_the_next_request_and_unbinding_takes_it_away() {
    let path = scratch("bind");
    let (app, built) = audited(&path).await;
    let (alice, _) = app.login("alice").await;
    // Signed in before the change: the token is not renewed.
    let (carol, _) = app.login("carol").await;
    assert_eq!(reports(&app, &carol, "globex").await, StatusCode::FORBIDDEN);

    let bound = role(&app, Method::PUT, &alice, "carol", "editor").await;
    assert_eq!(bound.status, StatusCode::NO_CONTENT, "{:?}", bound.body);
    assert_eq!(reports(&app, &carol, "globex").await, StatusCode::OK);
    // Bound in carol's tenant only.
    assert_eq!(reports(&app, &carol, "acme").await, StatusCode::FORBIDDEN);
    // Repeating the PUT changes nothing.
    let again = role(&app, Method::PUT, &alice, "carol", "editor").await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);

    let unbound = role(&app, Method::DELETE, &alice, "carol", "editor").await;
    assert_eq!(unbound.status, StatusCode::NO_CONTENT, "{:?}", unbound.body);
    assert_eq!(reports(&app, &carol, "globex").await, StatusCode::FORBIDDEN);
    let gone = role(&app, Method::DELETE, &alice, "carol", "editor").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.headers["content-type"], "application/problem+json");
    // A role from the configuration is not a binding here.
    let configured = role(&app, Method::DELETE, &alice, "carol", "viewer").await;
    assert_eq!(configured.status, StatusCode::NOT_FOUND);

    // One event per change, naming who made it and whose roles changed;
    // nothing for the repeated PUT or the DELETEs that removed nothing.
    let granted = events_of_type(&built, &path, "admin.role.granted");
    assert_eq!(granted.len(), 1, "{granted:#?}");
    let text = granted[0].to_string();
    assert!(
        text.contains("\"alice\"") && text.contains("\"carol\"") && text.contains("editor"),
        "{text}"
    );
    let revoked = events_of_type(&built, &path, "admin.role.revoked");
    assert_eq!(revoked.len(), 1, "{revoked:#?}");
}

#[tokio::test]
async fn a_tenant_administrator_changes_only_their_tenants_users() {
    let (app, _) = audited(&scratch("tenant")).await;
    let (dave, _) = app.login("dave").await;
    let (erin, _) = app.login("erin").await;
    let (carol, _) = app.login("carol").await;

    assert_eq!(
        role(&app, Method::PUT, &dave, "erin", "admin").await.status,
        StatusCode::NO_CONTENT
    );
    // Erin is an administrator of acme now, and of acme only: the admin
    // role's unscoped `reports:read` does not reach globex through it.
    assert_eq!(reports(&app, &erin, "acme").await, StatusCode::OK);
    assert_eq!(reports(&app, &erin, "globex").await, StatusCode::FORBIDDEN);

    // Another tenant's user, and a user of no tenant, are not found for dave.
    for user in ["carol", "alice"] {
        let refused = role(&app, Method::PUT, &dave, user, "editor").await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{user}");
    }
    assert_eq!(reports(&app, &carol, "globex").await, StatusCode::FORBIDDEN);
    let refused = app
        .send(
            Method::POST,
            "/admin/users/carol/grants",
            Some(&dave),
            Some(json!({"permission": "items:delete", "resource_id": "1"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn who_may_not_change_roles_and_what_is_malformed() {
    let (app, _) = audited(&scratch("refusals")).await;
    let (alice, _) = app.login("alice").await;
    let (bob, _) = app.login("bob").await;

    // Not an administrator: the permission guard refuses.
    for (method, path) in [
        (Method::PUT, "/admin/users/carol/roles/editor"),
        (Method::DELETE, "/admin/users/carol/roles/editor"),
        (Method::POST, "/admin/users/carol/grants"),
    ] {
        let body = (method == Method::POST)
            .then(|| json!({"permission": "items:delete", "resource_id": "1"}));
        let reply = app
            .send(method.clone(), path, Some(&bob), body.clone())
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
        let anonymous = app.send(method, path, None, body).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
    }

    // Not one's own roles, even as an administrator.
    let own = role(&app, Method::PUT, &alice, "alice", "viewer").await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);

    let unknown_role = role(&app, Method::PUT, &alice, "carol", "owner").await;
    assert_eq!(unknown_role.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown_role.headers["content-type"],
        "application/problem+json"
    );
    let unknown_user = role(&app, Method::PUT, &alice, "nobody", "editor").await;
    assert_eq!(unknown_user.status, StatusCode::NOT_FOUND);
    // Not UTF-8 once decoded.
    let undecodable = role(&app, Method::PUT, &alice, "%FF", "editor").await;
    assert_eq!(undecodable.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        undecodable.headers["content-type"],
        "application/problem+json"
    );
    let long = "a".repeat(300);
    for malformed in ["car%20ol", "carol%0A", long.as_str()] {
        let reply = role(&app, Method::PUT, &alice, malformed, "editor").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{malformed}");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
}

async fn grant(app: &TestApp, admin: &str, user: &str, body: Value) -> Reply {
    let path = format!("/admin/users/{user}/grants");
    app.send(Method::POST, &path, Some(admin), Some(body)).await
}

async fn new_item(app: &TestApp, token: &str) -> String {
    let created = app
        .send(
            Method::POST,
            "/api/items",
            Some(token),
            Some(json!({"name": "widget", "description": "a demo item"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    created.body["id"].to_string()
}

#[tokio::test]
async fn a_grant_lets_one_user_act_on_one_item() {
    let path = scratch("grant");
    let (app, built) = audited(&path).await;
    let (alice, _) = app.login("alice").await;
    let (bob, _) = app.login("bob").await;
    let first = new_item(&app, &bob).await;
    let second = new_item(&app, &bob).await;
    let delete = |id: &str| {
        let path = format!("/api/items/{id}");
        let bob = bob.clone();
        let app = &app;
        async move { app.send(Method::DELETE, &path, Some(&bob), None).await }
    };
    assert_eq!(delete(&first).await.status, StatusCode::FORBIDDEN);

    let given = grant(
        &app,
        &alice,
        "bob",
        json!({"permission": "items:delete", "resource_id": first, "expires_in": 3600}),
    )
    .await;
    assert_eq!(given.status, StatusCode::CREATED, "{:?}", given.body);
    assert_eq!(given.body["subject"], "bob");
    assert_eq!(given.body["tenant"], "acme");
    assert_eq!(given.body["permission"], "items:delete");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires = given.body["expires_at"].as_u64().unwrap();
    assert!((now + 3590..=now + 3610).contains(&expires), "{expires}");

    // That item, not the other.
    assert_eq!(delete(&second).await.status, StatusCode::FORBIDDEN);
    assert_eq!(delete(&first).await.status, StatusCode::NO_CONTENT);

    let events = events_of_type(&built, &path, "admin.permission.granted");
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(events[0].to_string().contains("\"alice\""), "{events:#?}");

    // Without expiry.
    let lasting = grant(
        &app,
        &alice,
        "bob",
        json!({"permission": "items:delete", "resource_id": second}),
    )
    .await;
    assert_eq!(lasting.status, StatusCode::CREATED);
    assert_eq!(lasting.body["expires_at"], Value::Null);

    // Taken back before use: refused again, and reported.
    let take_back = format!("/admin/users/bob/grants/items/{second}");
    let taken = app
        .send(Method::DELETE, &take_back, Some(&alice), None)
        .await;
    assert_eq!(taken.status, StatusCode::NO_CONTENT, "{:?}", taken.body);
    assert_eq!(delete(&second).await.status, StatusCode::FORBIDDEN);
    let again = app
        .send(Method::DELETE, &take_back, Some(&alice), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let revoked = events_of_type(&built, &path, "admin.permission.revoked");
    assert_eq!(revoked.len(), 1, "{revoked:#?}");
    // Only an administrator takes grants back, and only of items.
    let by_bob = app.send(Method::DELETE, &take_back, Some(&bob), None).await;
    assert_eq!(by_bob.status, StatusCode::FORBIDDEN);
    let other_kind = app
        .send(
            Method::DELETE,
            "/admin/users/bob/grants/users/1",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(other_kind.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn malformed_grants_are_refused() {
    let (app, _) = audited(&scratch("bad-grants")).await;
    let (alice, _) = app.login("alice").await;
    for body in [
        json!({"permission": "items", "resource_id": "1"}),
        json!({"permission": "items:*", "resource_id": "1"}),
        json!({"permission": "items:delete:own", "resource_id": "1"}),
        json!({"permission": "users:delete", "resource_id": "1"}),
        json!({"permission": "items:delete", "resource_id": ""}),
        json!({"permission": "items:delete", "resource_id": "1/../2"}),
        json!({"permission": "items:delete", "resource_id": "1", "expires_in": 0}),
        json!({"permission": "items:delete", "resource_id": "1", "expires_in": 400_000_000}),
        json!({"permission": "items:delete", "resource_id": "1", "expires_in": -5}),
        json!({"permission": "items:delete", "resource_id": "1", "role": "admin"}),
        json!({"permission": "items:delete"}),
    ] {
        let reply = grant(&app, &alice, "bob", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.headers["content-type"], "application/problem+json");
    }
    let unknown = grant(
        &app,
        &alice,
        "nobody",
        json!({"permission": "items:delete", "resource_id": "1"}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
