//! `GET /health`, `GET /.well-known/jwks.json`, unknown routes, and the
//! refusal of cross-site unsafe requests before authentication.

use super::Walk;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The unauthenticated routes, and problem JSON for what is not a route.
pub async fn routes(w: &Walk) {
    let c = w.client();
    let health = c.send(Method::GET, "/health", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));

    let jwks = c
        .send(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(jwks.status, StatusCode::OK);
    let keys = jwks.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{:?}", jwks.body);
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["crv"], "P-256");
    assert!(keys[0]["kid"].is_string());
    assert!(keys[0].get("d").is_none(), "a private key is published");

    let missing = c.send(Method::GET, "/no-such-route", None, None).await;
    missing.assert_refused(StatusCode::NOT_FOUND, None);
    let wrong_method = c.send(Method::DELETE, "/health", None, None).await;
    wrong_method.assert_refused(StatusCode::METHOD_NOT_ALLOWED, None);
}

/// Unsafe requests from another site are `403` before any authentication
/// (a right password gets no token; no token is asked for); safe ones and
/// the app's own origin pass.
pub async fn cross_site_requests(w: &Walk) {
    let c = w.client();
    let bob = w.user("bob");
    let login = json!({"username": bob, "password": "bob-S3cure-demo!"});
    let evil = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ];
    for header in evil {
        let refused = c
            .send_with(
                Method::POST,
                "/auth/login",
                None,
                Some(login.clone()),
                &[header],
            )
            .await;
        refused.assert_refused(StatusCode::FORBIDDEN, None);
        assert_eq!(
            refused.body["type"], "https://rampart.rs/problems/cross-site-request",
            "{header:?}: {:?}",
            refused.body
        );
        assert!(refused.body.get("access_token").is_none());
        // Refused before authentication: no token needed to be told so.
        for (method, path) in [
            (Method::DELETE, "/api/items/1"),
            (Method::PUT, "/api/profile"),
            (Method::POST, "/auth/logout"),
        ] {
            let reply = c.send_with(method, path, None, None, &[header]).await;
            reply.assert_refused(StatusCode::FORBIDDEN, None);
        }
    }
    // A safe request from another site is answered.
    let read = c
        .send_with(Method::GET, "/health", None, None, &[evil[0]])
        .await;
    assert_eq!(read.status, StatusCode::OK);
    // The app's own origin (plain HTTP in the shipped config) may sign in.
    let own = c.own_origin();
    let same = c
        .send_with(
            Method::POST,
            "/auth/login",
            None,
            Some(login),
            &[("origin", own.as_str()), ("sec-fetch-site", "same-origin")],
        )
        .await;
    same.tokens();
}
