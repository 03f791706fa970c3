//! Changing a password: `POST /auth/password` for a signed-in user (current
//! password checked, policy with history, other sign-ins ended) and
//! `POST /auth/password/expired` for a user whose password expired.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

const CAROL: &str = "carol-S3cure-demo!";
const STALE: &str = "stale-S3cure-demo!";
const NEW: &str = "Fresh-horse-battery-42";

async fn app() -> TestApp {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let doc = format!(
        "[passwords.policy]\nmin_length = 12\nhistory = 3\nmax_age_days = 90\n\n\
         [[users]]\nusername = \"carol\"\npassword = \"{CAROL}\"\nroles = [\"viewer\"]\n\n\
         [[users]]\nusername = \"dave\"\npassword = \"dave-S3cure-demo!\"\nroles = [\"viewer\"]\n\n\
         [[users]]\nusername = \"stale\"\npassword = \"{STALE}\"\npassword_set_at = {}\nroles = [\"viewer\"]\n",
        now - 91 * 86_400
    );
    TestApp::with_config(Some(&doc)).await
}

async fn login(app: &TestApp, user: &str, password: &str) -> (StatusCode, Value) {
    let reply = app
        .send(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": user, "password": password})),
        )
        .await;
    (reply.status, reply.body)
}

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> common::Reply {
    app.send(
        Method::POST,
        "/auth/password",
        Some(token),
        Some(json!({"current_password": current, "new_password": new})),
    )
    .await
}

/// The rule codes of a 422's `violations`.
fn rules(body: &Value) -> Vec<String> {
    body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn token(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_signed_in_user_changes_their_password_and_other_sign_ins_end() {
    let app = app().await;
    let (_, here) = login(&app, "carol", CAROL).await;
    let (_, elsewhere) = login(&app, "carol", CAROL).await;
    let (_, dave) = login(&app, "dave", "dave-S3cure-demo!").await;
    let access = token(&here, "access_token");

    let reply = change(&app, &access, CAROL, NEW).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);

    // This sign-in carries on; the other one is ended, access and refresh.
    let me = app.send(Method::GET, "/api/me", Some(&access), None).await;
    assert_eq!(me.status, StatusCode::OK);
    let other = app
        .send(
            Method::GET,
            "/api/me",
            Some(&token(&elsewhere, "access_token")),
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    let refresh = app
        .send(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": token(&elsewhere, "refresh_token")})),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
    let kept = app
        .send(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": token(&here, "refresh_token")})),
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    // Another user is untouched.
    let daves = app
        .send(
            Method::GET,
            "/api/me",
            Some(&token(&dave, "access_token")),
            None,
        )
        .await;
    assert_eq!(daves.status, StatusCode::OK);

    // The old password no longer signs in, the new one does.
    assert_eq!(
        login(&app, "carol", CAROL).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&app, "carol", NEW).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = app().await;
    let (_, body) = login(&app, "carol", CAROL).await;
    let access = token(&body, "access_token");
    let reply = change(&app, &access, "not-my-password", NEW).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["error"], "invalid_current_password");
    assert_eq!(login(&app, "carol", CAROL).await.0, StatusCode::OK);
    // Without a token there is no signed-in change.
    let anonymous = app
        .send(
            Method::POST,
            "/auth/password",
            None,
            Some(json!({"current_password": CAROL, "new_password": NEW})),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

/// Guessing the current password with a stolen token meets the login throttle.
#[tokio::test]
async fn guessing_the_current_password_is_throttled() {
    let app = app().await;
    let (_, body) = login(&app, "carol", CAROL).await;
    let access = token(&body, "access_token");
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(
            change(&app, &access, &format!("guess-{i}"), NEW)
                .await
                .status,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Once locked, even the right password is refused for now.
    assert_eq!(
        change(&app, &access, CAROL, NEW).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn every_broken_rule_is_listed_and_history_counts() {
    let app = app().await;
    let (_, body) = login(&app, "carol", CAROL).await;
    let access = token(&body, "access_token");
    let reply = change(&app, &access, CAROL, "carol").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    assert_eq!(reply.body["error"], "password_policy");
    let broken = rules(&reply.body);
    assert!(broken.contains(&"too_short".to_owned()), "{broken:?}");
    assert!(
        broken.contains(&"contains_user_info".to_owned()),
        "{broken:?}"
    );
    assert!(
        reply.body["violations"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    // The current password is not a new one.
    let same = change(&app, &access, CAROL, CAROL).await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rules(&same.body).contains(&"reused".to_owned()));
    // Change twice, then try to go back to the first: refused (history 3).
    assert_eq!(
        change(&app, &access, CAROL, NEW).await.status,
        StatusCode::NO_CONTENT
    );
    let second = "Second-horse-battery-43";
    assert_eq!(
        change(&app, &access, NEW, second).await.status,
        StatusCode::NO_CONTENT
    );
    let back = change(&app, &access, second, CAROL).await;
    assert_eq!(back.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rules(&back.body), ["contains_user_info", "reused"]);
    // Malformed bodies are a 4xx problem, not a 500.
    let bad = app
        .send(
            Method::POST,
            "/auth/password",
            Some(&access),
            Some(json!({"current_password": second})),
        )
        .await;
    assert!(bad.status.is_client_error(), "{:?}", bad.status);
}

#[tokio::test]
async fn an_expired_password_is_changed_where_the_login_says() {
    let app = app().await;
    let (status, problem) = login(&app, "stale", STALE).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["error"], "password_expired");
    assert_eq!(
        problem["type"],
        "https://rampart.dev/problems/password-expired"
    );
    let route = problem["change_password"].as_str().unwrap();
    assert_eq!(route, "/auth/password/expired");
    assert!(problem["detail"].as_str().unwrap().contains(route));

    let expired_change = |user: &str, current: &str, new: &str| json!({"username": user, "current_password": current, "new_password": new});
    // A wrong expired password: the login's 401, nothing changed.
    let wrong = app
        .send(
            Method::POST,
            route,
            None,
            Some(expired_change("stale", "wrong-password!!", NEW)),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // An unknown user: the same answer.
    let unknown = app
        .send(
            Method::POST,
            route,
            None,
            Some(expired_change("nobody", STALE, NEW)),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["error"], wrong.body["error"]);
    // A password that has not expired cannot be changed this way.
    let fresh = app
        .send(
            Method::POST,
            route,
            None,
            Some(expired_change("carol", CAROL, NEW)),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::FORBIDDEN);
    assert_eq!(fresh.body["error"], "password_not_expired");
    // Policy failures are listed here too.
    let weak = app
        .send(
            Method::POST,
            route,
            None,
            Some(expired_change("stale", STALE, "short")),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);

    let done = app
        .send(
            Method::POST,
            route,
            None,
            Some(expired_change("stale", STALE, NEW)),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{:?}", done.body);
    assert_eq!(login(&app, "stale", NEW).await.0, StatusCode::OK);
    assert_eq!(
        login(&app, "stale", STALE).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Done once: the new password has not expired.
    let again = app
        .send(
            Method::POST,
            route,
            None,
            Some(expired_change("stale", NEW, "Another-horse-battery-44")),
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
}
