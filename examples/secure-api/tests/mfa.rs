//! `POST /auth/mfa/enroll`, `/auth/mfa/confirm`, and login with a second
//! factor, in memory and through Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Reply, TestApp};
use http::{Method, StatusCode};
use rampart_auth::mfa::{Totp, TotpSecret};
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code for the step `offset` steps from now.
fn code(secret: &str, offset: i64) -> String {
    let secret = TotpSecret::from_base32(secret).unwrap();
    let step = Totp::step_at(now()).checked_add_signed(offset).unwrap();
    Totp::default().code_at_step(&secret, step).to_string()
}

async fn login(app: &TestApp, user: &str, totp: Option<&str>) -> Reply {
    let mut body = json!({"username": user, "password": format!("{user}-S3cure-demo!")});
    if let Some(totp) = totp {
        body["totp"] = Value::from(totp);
    }
    app.send(Method::POST, "/auth/login", None, Some(body))
        .await
}

/// Enrols and confirms `user`; answers the secret and the backup codes.
async fn enrol(app: &TestApp, user: &str) -> (String, Vec<String>) {
    let (token, _) = app.login(user).await;
    let reply = app
        .send(Method::POST, "/auth/mfa/enroll", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.headers["cache-control"], "no-store");
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    let uri = reply.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/secure-api:{user}?secret={secret}&issuer=secure-api"
        )),
        "{uri}"
    );
    assert!(reply.body["qr_svg"].as_str().unwrap().contains("<svg"));
    let codes: Vec<String> = reply.body["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    // Pending: login does not ask for a code yet.
    assert_eq!(login(app, user, None).await.status, StatusCode::OK);
    // A wrong code does not confirm.
    let wrong = app
        .send(
            Method::POST,
            "/auth/mfa/confirm",
            Some(&token),
            Some(json!({"code": "000000"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{:?}", wrong.body);
    let ok = app
        .send(
            Method::POST,
            "/auth/mfa/confirm",
            Some(&token),
            Some(json!({"code": code(&secret, 0)})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{:?}", ok.body);
    // Enrolling again is a conflict, not a silent replacement.
    let again = app
        .send(Method::POST, "/auth/mfa/enroll", Some(&token), None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    (secret, codes)
}

async fn login_needs_the_second_factor(app: &TestApp, user: &str) {
    let (secret, codes) = enrol(app, user).await;

    let missing = login(app, user, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body["error"], "mfa_required", "{:?}", missing.body);
    assert!(missing.headers.contains_key("www-authenticate"));
    assert!(missing.body.get("access_token").is_none());

    let wrong = login(app, user, Some("123456")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"], "invalid_mfa_code");

    // A wrong password with a right code: the password's refusal, no MFA hint.
    let next = code(&secret, 1);
    let bad_password = app
        .send(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": user, "password": "wrong-password-123", "totp": next})),
        )
        .await;
    assert_eq!(bad_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_password.body["error"], "invalid_credentials");

    let good = login(app, user, Some(&next)).await;
    assert_eq!(good.status, StatusCode::OK, "{:?}", good.body);
    assert!(good.body["access_token"].is_string());
    // The same code twice: refused.
    let replay = login(app, user, Some(&next)).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.body["error"], "invalid_mfa_code");

    // A backup code works once.
    assert_eq!(
        login(app, user, Some(&codes[0])).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login(app, user, Some(&codes[0])).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn wrong_codes_lock_the_second_factor(app: &TestApp, user: &str) {
    let (_secret, codes) = enrol(app, user).await;
    // The right confirmation code cleared the wrong one before it: five
    // wrong codes from here lock, the fifth still answered as wrong.
    for _ in 0..5 {
        assert_eq!(
            login(app, user, Some("000000")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = login(app, user, Some(&codes[1])).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        locked.body
    );
    assert_eq!(locked.body["error"], "mfa_locked");
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
}

#[tokio::test]
async fn enrol_and_confirm_need_a_bearer_token() {
    let app = TestApp::new().await;
    let enroll = app.send(Method::POST, "/auth/mfa/enroll", None, None).await;
    assert_eq!(enroll.status, StatusCode::UNAUTHORIZED);
    let confirm = app
        .send(
            Method::POST,
            "/auth/mfa/confirm",
            None,
            Some(json!({"code": "123456"})),
        )
        .await;
    assert_eq!(confirm.status, StatusCode::UNAUTHORIZED);
    // Confirming with nothing pending is a conflict.
    let (token, _) = app.login("bob").await;
    let nothing = app
        .send(
            Method::POST,
            "/auth/mfa/confirm",
            Some(&token),
            Some(json!({"code": "123456"})),
        )
        .await;
    assert_eq!(nothing.status, StatusCode::CONFLICT);
    // A malformed body is a 400 problem, not a panic.
    let malformed = app
        .send(
            Method::POST,
            "/auth/mfa/confirm",
            Some(&token),
            Some(json!({"code": 5})),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn after_confirmation_login_needs_a_totp_or_backup_code() {
    let app = TestApp::new().await;
    login_needs_the_second_factor(&app, "alice").await;
    // Other users are unaffected.
    assert_eq!(login(&app, "bob", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn five_wrong_codes_lock_the_second_factor() {
    let app = TestApp::new().await;
    wrong_codes_lock_the_second_factor(&app, "carol").await;
}

/// An app on Redis whose only user has a fresh name, so runs and parallel
/// tests never share MFA state.
async fn redis_app(url: String) -> (TestApp, String) {
    let user = format!(
        "mfa-{}",
        std::process::id() as u64 * 1000 + u64::from(rand_suffix())
    );
    let doc = format!(
        "[[users]]\nusername = \"{user}\"\npassword = \"{user}-S3cure-demo!\"\nroles = [\"viewer\"]\n"
    );
    let mut config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&doc)).unwrap();
    config.redis_url = Some(url);
    let (router, facts) = app::build(&config).await.unwrap();
    assert!(
        facts
            .lines
            .iter()
            .any(|(name, value)| name == "second factor" && value.contains("Redis")),
        "{:?}",
        facts.lines
    );
    (TestApp { router }, user)
}

fn rand_suffix() -> u16 {
    let mut b = [0u8; 2];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    u16::from_le_bytes(b) % 1000
}

#[tokio::test]
async fn second_factor_through_redis() {
    let Some(url) = common::redis_url("second_factor_through_redis") else {
        return;
    };
    let (app, user) = redis_app(url.clone()).await;
    login_needs_the_second_factor(&app, &user).await;
    let (app, user) = redis_app(url).await;
    wrong_codes_lock_the_second_factor(&app, &user).await;
}

#[tokio::test]
async fn enrolment_is_recorded_in_the_audit_trail() {
    let dir = std::env::temp_dir().join(format!("secure-api-mfa-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.jsonl");
    let document = format!("[audit]\npath = \"{}\"\n", path.display());
    let config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&document)).unwrap();
    let (router, _) = app::build(&config).await.unwrap();
    let app = TestApp { router };
    enrol(&app, "bob").await;
    // The writer runs on its own thread: wait for the record, not for time.
    let started = std::time::Instant::now();
    let enrolled = loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let found = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .map(|record| record["event"].clone())
            .find(|event| event["type"] == "auth.mfa.enrolled");
        if let Some(event) = found {
            break event;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no auth.mfa.enrolled in {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(enrolled["actor"]["subject"], "bob", "{enrolled}");
    assert_eq!(enrolled["outcome"], "success", "{enrolled}");
}
