//! `POST /auth/login`, `GET /api/me`, `POST /auth/refresh` with reuse
//! detection, `POST /auth/logout`, and a token store outage.

use super::Walk;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Good credentials get a pair; bad ones, unknown users and malformed
/// bodies get problems that do not tell which was wrong.
pub async fn login(w: &Walk) {
    let c = w.client();
    let bob = w.user("bob");
    let tokens = c.login(&bob).await;
    let me = c.get("/api/me", &tokens.access).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["subject"], bob.as_str());
    assert_eq!(me.body["tenant"], "acme");
    assert_eq!(me.body["roles"], json!(["editor"]));

    let wrong = c.try_login(&bob, "not-bobs-password", None).await;
    wrong.assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
    assert!(wrong.header("www-authenticate").starts_with("Bearer"));
    assert!(wrong.body.get("access_token").is_none());
    let unknown = c
        .try_login(&w.user("nobody"), "bob-S3cure-demo!", None)
        .await;
    unknown.assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
    assert_eq!(unknown.body["detail"], wrong.body["detail"]);

    for body in [json!({"username": bob}), json!("not an object")] {
        let reply = c.send(Method::POST, "/auth/login", None, Some(body)).await;
        reply.assert_refused(StatusCode::BAD_REQUEST, None);
    }

    // `/api/me` needs a valid access token.
    let anonymous = c.send(Method::GET, "/api/me", None, None).await;
    anonymous.assert_refused(StatusCode::UNAUTHORIZED, None);
    assert!(anonymous.header("www-authenticate").starts_with("Bearer"));
    let garbage = c.get("/api/me", "not.a.token").await;
    garbage.assert_refused(StatusCode::UNAUTHORIZED, None);
    let refresh_as_access = c.get("/api/me", &tokens.refresh).await;
    refresh_as_access.assert_refused(StatusCode::UNAUTHORIZED, None);
}

/// A refresh answers a new pair; the old refresh token used again revokes
/// the whole family, the pair it was exchanged for included.
pub async fn refresh_and_reuse(w: &Walk) {
    let c = w.client();
    let first = c.login(&w.user("bob")).await;
    let second = refresh(&c, &first.refresh).await.tokens();
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    assert_eq!(
        c.get("/api/me", &second.access).await.status,
        StatusCode::OK
    );

    let reused = refresh(&c, &first.refresh).await;
    reused.assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_grant"));
    assert_eq!(reused.header("cache-control"), "no-store");
    refresh(&c, &second.refresh)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_grant"));
    c.get("/api/me", &second.access)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);

    refresh(&c, "not-a-refresh-token")
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_grant"));
    // An access token is not a refresh token.
    let other = c.login(&w.user("carol")).await;
    refresh(&c, &other.access)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_grant"));
    c.send(Method::POST, "/auth/refresh", None, Some(json!({})))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, None);
}

/// Logout revokes the access token and its refresh family at once.
pub async fn logout(w: &Walk) {
    let c = w.client();
    let carol = c.login(&w.user("carol")).await;
    let other_sign_in = c.login(&w.user("carol")).await;
    c.send(Method::POST, "/auth/logout", None, None)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);
    let out = c
        .send(Method::POST, "/auth/logout", Some(&carol.access), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    c.get("/api/me", &carol.access)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);
    refresh(&c, &carol.refresh)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_grant"));
    // Only that sign-in ended.
    assert_eq!(
        c.get("/api/me", &other_sign_in.access).await.status,
        StatusCode::OK
    );
}

/// With Redis unreachable a refresh is `503` + `Retry-After`, never
/// `invalid_grant`, and the same refresh token works once Redis is back.
pub async fn store_outage(w: &Walk) {
    let Some(relay) = &w.served.relay else {
        return;
    };
    let c = w.client();
    let tokens = c.login(&w.user("dave")).await;
    relay.cut();
    let refused = refresh(&c, &tokens.refresh).await;
    refused.assert_retry_after(StatusCode::SERVICE_UNAVAILABLE);
    assert_ne!(refused.body["error"], "invalid_grant");
    relay.restore();
    // The client retries as told until the connection is back.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let reply = refresh(&c, &tokens.refresh).await;
        if reply.status != StatusCode::SERVICE_UNAVAILABLE {
            reply.tokens();
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Redis never came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn refresh(c: &crate::e2e_support::Client, token: &str) -> crate::e2e_support::Reply {
    c.send(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}
