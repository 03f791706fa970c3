//! Each permission of the contract allowed and denied, and tenant isolation
//! of items and reports.

use super::Walk;
use crate::e2e_support::{Client, Reply};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(c: &Client, token: &str, name: &str) -> Reply {
    c.send(
        Method::POST,
        "/api/items",
        Some(token),
        Some(json!({"name": name, "description": "made end to end"})),
    )
    .await
}

fn names(reply: &Reply) -> Vec<&str> {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect()
}

/// `items:read`, `items:write`, `items:delete`, `reports:read:own_tenant`
/// and `admin:*`, each allowed to the roles that have it and `403` to the
/// others; `401` without a token.
pub async fn each_permission(w: &Walk) {
    let c = w.client();
    let alice = c.login(&w.user("alice")).await.access;
    let bob = c.login(&w.user("bob")).await.access;
    let carol = c.login(&w.user("carol")).await.access;
    let mallory = c.login(&w.user("mallory")).await.access;
    let forbidden = |reply: Reply| reply.assert_refused(StatusCode::FORBIDDEN, None);

    // items:write — editor yes; viewer, no roles: no.
    let created = create(&c, &bob, "permission-widget").await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_u64().unwrap();
    assert_eq!(
        created.body,
        json!({"id": id, "name": "permission-widget", "description": "made end to end"})
    );
    forbidden(create(&c, &carol, "viewer-widget").await);
    forbidden(create(&c, &mallory, "nobody-widget").await);
    let body = json!({"name": "anonymous-widget", "description": ""});
    c.send(Method::POST, "/api/items", None, Some(body))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);

    // items:read — viewer (in another tenant: an empty list) and editor yes.
    assert!(names(&c.get("/api/items", &carol).await).is_empty());
    assert_eq!(
        names(&c.get("/api/items", &bob).await),
        ["permission-widget"]
    );
    assert_eq!(
        c.get("/api/search?q=widget", &carol).await.status,
        StatusCode::OK
    );
    forbidden(c.get("/api/items", &mallory).await);
    forbidden(c.get("/api/search?q=widget", &mallory).await);
    c.send(Method::GET, "/api/items", None, None)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);

    // items:delete — admin only; a deleted or unknown item is 404.
    let item = format!("/api/items/{id}");
    forbidden(c.send(Method::DELETE, &item, Some(&bob), None).await);
    forbidden(c.send(Method::DELETE, &item, Some(&carol), None).await);
    let deleted = c.send(Method::DELETE, &item, Some(&alice), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
    c.send(Method::DELETE, &item, Some(&alice), None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, None);
    assert!(names(&c.get("/api/items", &bob).await).is_empty());

    // reports:read:own_tenant — the editor's own tenant, any for the admin.
    let acme = c.get("/api/tenants/acme/reports", &bob).await;
    assert_eq!(acme.status, StatusCode::OK, "{:?}", acme.body);
    assert_eq!(acme.body["tenant"], "acme");
    forbidden(c.get("/api/tenants/globex/reports", &bob).await);
    forbidden(c.get("/api/tenants/globex/reports", &carol).await);
    forbidden(c.get("/api/tenants/acme/reports", &mallory).await);
    for tenant in ["acme", "globex"] {
        let path = format!("/api/tenants/{tenant}/reports");
        assert_eq!(c.get(&path, &alice).await.status, StatusCode::OK);
    }

    // admin:* — the administrator only.
    assert_eq!(
        c.get("/admin/audit/verify", &alice).await.status,
        StatusCode::OK
    );
    for token in [&bob, &carol, &mallory] {
        forbidden(c.get("/admin/audit/verify", token).await);
    }

    // No permission beyond a token: any signed-in user reads themselves.
    assert_eq!(c.get("/api/me", &mallory).await.status, StatusCode::OK);
}

/// Each tenant sees, searches, counts and deletes only its own items; an
/// administrator without a tenant sees all of them.
pub async fn tenant_isolation(w: &Walk) {
    let c = w.client();
    let alice = c.login(&w.user("alice")).await.access;
    let bob = c.login(&w.user("bob")).await.access;
    let carol = c.login(&w.user("carol")).await.access;
    let dave = c.login(&w.user("dave")).await.access;
    let gina = c.login(&w.user("gina")).await.access;

    let acme = create(&c, &bob, "acme-anvil").await.body["id"]
        .as_u64()
        .unwrap();
    let globex = create(&c, &dave, "globex-gadget").await.body["id"]
        .as_u64()
        .unwrap();

    assert_eq!(names(&c.get("/api/items", &bob).await), ["acme-anvil"]);
    assert_eq!(names(&c.get("/api/items", &carol).await), ["globex-gadget"]);
    assert_eq!(names(&c.get("/api/items", &gina).await), ["globex-gadget"]);
    assert_eq!(
        names(&c.get("/api/items", &alice).await),
        ["acme-anvil", "globex-gadget"]
    );
    assert!(names(&c.get("/api/search?q=anvil", &carol).await).is_empty());
    assert_eq!(
        names(&c.get("/api/search?q=anvil", &bob).await),
        ["acme-anvil"]
    );

    // Another tenant's reports: 403 to an editor; each tenant counts its own.
    c.get("/api/tenants/acme/reports", &dave)
        .await
        .assert_refused(StatusCode::FORBIDDEN, None);
    let count = |reply: Reply| -> Value {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["items"].clone()
    };
    assert_eq!(count(c.get("/api/tenants/globex/reports", &dave).await), 1);
    assert_eq!(count(c.get("/api/tenants/acme/reports", &bob).await), 1);

    // globex's administrator cannot reach acme's item: 404, as if it did not exist.
    let acme_item = format!("/api/items/{acme}");
    c.send(Method::DELETE, &acme_item, Some(&gina), None)
        .await
        .assert_refused(StatusCode::NOT_FOUND, None);
    assert_eq!(names(&c.get("/api/items", &bob).await), ["acme-anvil"]);
    let globex_item = format!("/api/items/{globex}");
    let own = c
        .send(Method::DELETE, &globex_item, Some(&gina), None)
        .await;
    assert_eq!(own.status, StatusCode::NO_CONTENT, "{:?}", own.body);
    let tenantless = c.send(Method::DELETE, &acme_item, Some(&alice), None).await;
    assert_eq!(
        tenantless.status,
        StatusCode::NO_CONTENT,
        "{:?}",
        tenantless.body
    );
}
