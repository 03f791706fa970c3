//! The input guard on `POST /api/items` and `GET /api/search`, and profile
//! fields stored encrypted and read back masked.

use super::Walk;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Injected input is a `400` problem naming the parameter and category,
/// never echoing the payload; ordinary text passes.
pub async fn input_guard(w: &Walk) {
    let c = w.client();
    let bob = c.login(&w.user("bob")).await.access;
    let post = |body: serde_json::Value| c.send(Method::POST, "/api/items", Some(&bob), Some(body));

    let xss = "<img src=x onerror=alert(document.cookie)>";
    let refused = post(json!({"name": "widget", "description": xss})).await;
    refused.assert_refused(StatusCode::BAD_REQUEST, None);
    assert_eq!(refused.body["parameter"], "description");
    assert_eq!(refused.body["category"], "xss");
    assert!(!refused.body.to_string().contains("onerror"));
    let operator = post(json!({"name": {"$ne": ""}})).await;
    operator.assert_refused(StatusCode::BAD_REQUEST, None);
    assert_eq!(operator.body["category"], "nosql_injection");
    assert!(
        c.get("/api/items", &bob)
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );

    let plain =
        post(json!({"name": "O'Brien's widget", "description": "rock 'n' roll; 1 & 2"})).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{:?}", plain.body);

    let found = c.get("/api/search?q=o%27brien", &bob).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body.as_array().unwrap().len(), 1, "{:?}", found.body);
    let injected = c
        .get(
            "/api/search?q=x%27%20UNION%20SELECT%20password%20FROM%20users--",
            &bob,
        )
        .await;
    injected.assert_refused(StatusCode::BAD_REQUEST, None);
    assert_eq!(injected.body["parameter"], "q");
    assert_eq!(injected.body["category"], "sql_injection");
    assert!(!injected.body.to_string().to_lowercase().contains("union"));
    let traversal = c
        .get("/api/search?q=..%2F..%2F..%2Fetc%2Fpasswd", &bob)
        .await;
    traversal.assert_refused(StatusCode::BAD_REQUEST, None);
    assert_eq!(traversal.body["parameter"], "q");
    // The guard does not stand in for authentication.
    c.send(Method::GET, "/api/search?q=x", None, None)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);
}

/// `PUT /api/profile` stores each field encrypted; `GET` masks it, and
/// `?reveal=true` is for `admin:*` only.
pub async fn profile(w: &Walk) {
    let c = w.client();
    let bob_name = w.user("bob");
    let bob = c.login(&bob_name).await.access;
    let alice = c.login(&w.user("alice")).await.access;
    let fields = json!({
        "ssn": "123-45-6789",
        "email": "bob@example.com",
        "phone": "+1 (555) 123-4567",
        "card_number": "4111 1111 1111 1111"
    });
    let masked = json!({
        "ssn": "***-**-6789",
        "email": "bob@example.com",
        "phone": "+* (***) ***-4567",
        "card_number": "**** **** **** 1111"
    });
    c.get("/api/profile", &bob)
        .await
        .assert_refused(StatusCode::NOT_FOUND, None);
    let put = c
        .send(
            Method::PUT,
            "/api/profile",
            Some(&bob),
            Some(fields.clone()),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body, masked);
    let got = c.get("/api/profile", &bob).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, masked);

    // Stored encrypted: nothing of the clear values is kept.
    let stored = secure_api::profile::stored_ciphertexts(&w.served.state.profiles, &bob_name)
        .expect("the profile is stored");
    let stored = serde_json::to_string(&stored).unwrap();
    for clear in [
        "123-45-6789",
        "bob@example.com",
        "(555) 123-4567",
        "4111 1111 1111 1111",
    ] {
        assert!(!stored.contains(clear), "{clear} stored in clear: {stored}");
    }

    let refused = c.get("/api/profile?reveal=true", &bob).await;
    refused.assert_refused(StatusCode::FORBIDDEN, None);
    assert!(refused.body.to_string().contains("admin:*"));
    let own = c
        .send(
            Method::PUT,
            "/api/profile",
            Some(&alice),
            Some(json!({"ssn": "987654321"})),
        )
        .await;
    assert_eq!(own.body, json!({"ssn": "***-**-4321"}));
    let revealed = c.get("/api/profile?reveal=true", &alice).await;
    assert_eq!(revealed.status, StatusCode::OK, "{:?}", revealed.body);
    assert_eq!(revealed.body, json!({"ssn": "987654321"}));
    // Each caller reads their own profile only.
    c.get("/api/profile", &c.login(&w.user("carol")).await.access)
        .await
        .assert_refused(StatusCode::NOT_FOUND, None);

    for bad in [
        json!({"ssn": "12-345-6789"}),
        json!({"card_number": "4111 1111 1111 1112"}),
    ] {
        c.send(Method::PUT, "/api/profile", Some(&bob), Some(bad))
            .await
            .assert_refused(StatusCode::BAD_REQUEST, None);
    }
    assert_eq!(
        c.get("/api/profile", &bob).await.body,
        masked,
        "a refused update changes nothing"
    );
    c.send(Method::PUT, "/api/profile", None, Some(fields))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);
}
