//! Items belong to the tenant of the caller who created them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use http::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, name: &str) -> u64 {
    let reply = app
        .send(
            Method::POST,
            "/api/items",
            Some(token),
            Some(json!({"name": name, "description": ""})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        reply.body.as_object().unwrap().len(),
        3,
        "the item JSON is {{id, name, description}}: {:?}",
        reply.body
    );
    reply.body["id"].as_u64().unwrap()
}

async fn names(app: &TestApp, token: &str) -> Vec<String> {
    let reply = app.send(Method::GET, "/api/items", Some(token), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

/// An app whose second editor, dave, works for globex (carol there is a viewer).
async fn two_tenants() -> TestApp {
    let mut users = secure_api::config::DEFAULT_CONFIG
        .split("[[users]]")
        .skip(1)
        .map(|entry| format!("[[users]]{entry}"))
        .collect::<String>();
    users.push_str(
        "\n[[users]]\nusername = \"dave\"\npassword = \"dave-S3cure-demo!\"\nroles = [\"editor\"]\ntenant = \"globex\"\n",
    );
    TestApp::with_config(Some(&users)).await
}

#[tokio::test]
async fn each_tenant_lists_its_own_items_and_admin_lists_all() {
    let app = two_tenants().await;
    let (bob, _) = app.login("bob").await;
    let (carol, _) = app.login("carol").await;
    let (dave, _) = app.login("dave").await;
    let (alice, _) = app.login("alice").await;
    create(&app, &bob, "acme-widget").await;
    create(&app, &dave, "globex-gadget").await;

    assert_eq!(names(&app, &bob).await, ["acme-widget"]);
    assert_eq!(names(&app, &carol).await, ["globex-gadget"]);
    assert_eq!(names(&app, &dave).await, ["globex-gadget"]);
    assert_eq!(
        names(&app, &alice).await,
        ["acme-widget", "globex-gadget"],
        "admin without a tenant sees every tenant"
    );
}

#[tokio::test]
async fn another_tenants_item_cannot_be_deleted_and_answers_404() {
    let app = TestApp::with_config(Some(
        "[[users]]\nusername = \"bob\"\npassword = \"bob-S3cure-demo!\"\nroles = [\"editor\"]\ntenant = \"acme\"\n\
         [[users]]\nusername = \"gina\"\npassword = \"gina-S3cure-demo!\"\nroles = [\"admin\"]\ntenant = \"globex\"\n\
         [[users]]\nusername = \"alice\"\npassword = \"alice-S3cure-demo!\"\nroles = [\"admin\"]\n",
    ))
    .await;
    let (bob, _) = app.login("bob").await;
    let (gina, _) = app.login("gina").await;
    let (alice, _) = app.login("alice").await;
    let acme_item = create(&app, &bob, "acme-widget").await;
    let globex_item = create(&app, &gina, "globex-gadget").await;
    let delete = |token: String, id: u64| {
        let app = &app;
        async move {
            app.send(
                Method::DELETE,
                &format!("/api/items/{id}"),
                Some(&token),
                None,
            )
            .await
        }
    };

    // gina administers globex: bob's item is not hers to see or delete, and
    // the answer is the one for a missing id, so ids cannot be probed.
    let cross = delete(gina.clone(), acme_item).await;
    let missing = delete(gina.clone(), 9999).await;
    assert_eq!(cross.status, StatusCode::NOT_FOUND);
    assert_eq!(cross.body, missing.body);
    assert_eq!(
        names(&app, &bob).await,
        ["acme-widget"],
        "the item was deleted"
    );
    assert_eq!(names(&app, &gina).await, ["globex-gadget"]);

    assert_eq!(
        delete(gina.clone(), globex_item).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(alice.clone(), acme_item).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(names(&app, &alice).await, Vec::<String>::new());
}

#[tokio::test]
async fn reports_count_only_the_tenants_items() {
    let app = two_tenants().await;
    let (bob, _) = app.login("bob").await;
    let (dave, _) = app.login("dave").await;
    let (alice, _) = app.login("alice").await;
    create(&app, &bob, "a1").await;
    create(&app, &bob, "a2").await;
    create(&app, &dave, "g1").await;
    create(&app, &alice, "untenanted").await;
    let report = |token: String, tenant: &'static str| {
        let app = &app;
        async move {
            let reply = app
                .send(
                    Method::GET,
                    &format!("/api/tenants/{tenant}/reports"),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{tenant}");
            reply.body
        }
    };
    assert_eq!(
        report(bob.clone(), "acme").await,
        json!({"tenant": "acme", "items": 2})
    );
    assert_eq!(
        report(dave, "globex").await,
        json!({"tenant": "globex", "items": 1})
    );
    assert_eq!(report(alice.clone(), "acme").await["items"], Value::from(2));
    assert_eq!(
        report(alice.clone(), "globex").await["items"],
        Value::from(1)
    );
    assert_eq!(report(alice, "initech").await["items"], Value::from(0));
}
