//! `POST /auth/mfa/enroll`, `POST /auth/mfa/confirm`, and login needing a
//! TOTP or backup code from then on.

use super::Walk;
use rampart_auth::mfa::{Totp, TotpSecret};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

/// The code of the time step `offset` steps from now.
fn code(secret: &str, offset: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secret = TotpSecret::from_base32(secret).unwrap();
    let step = Totp::step_at(now).checked_add_signed(offset).unwrap();
    Totp::default().code_at_step(&secret, step).to_string()
}

pub async fn enroll_confirm_and_login(w: &Walk) {
    let c = w.client();
    let erin = w.user("erin");
    let password = "erin-S3cure-demo!";
    c.send(Method::POST, "/auth/mfa/enroll", None, None)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);
    let token = c.login(&erin).await.access;

    let enrolled = c
        .send(Method::POST, "/auth/mfa/enroll", Some(&token), None)
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{:?}", enrolled.body);
    assert_eq!(enrolled.header("cache-control"), "no-store");
    let secret = enrolled.body["secret"].as_str().unwrap().to_owned();
    let uri = enrolled.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let backup: Vec<String> = enrolled.body["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(backup.len(), 10);

    // Pending until confirmed: login still needs no code.
    c.login(&erin).await;
    let confirm = |code: String| {
        c.send(
            Method::POST,
            "/auth/mfa/confirm",
            Some(&token),
            Some(json!({"code": code})),
        )
    };
    confirm("000000".into())
        .await
        .assert_refused(StatusCode::BAD_REQUEST, Some("invalid_mfa_code"));
    let confirmed = confirm(code(&secret, 0)).await;
    assert_eq!(
        confirmed.status,
        StatusCode::NO_CONTENT,
        "{:?}",
        confirmed.body
    );
    c.send(Method::POST, "/auth/mfa/enroll", Some(&token), None)
        .await
        .assert_refused(StatusCode::CONFLICT, Some("mfa_already_enabled"));

    // From now on the password alone is not enough.
    let missing = c.try_login(&erin, password, None).await;
    missing.assert_refused(StatusCode::UNAUTHORIZED, Some("mfa_required"));
    assert!(missing.body.get("access_token").is_none());
    c.try_login(&erin, password, Some("123456"))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_mfa_code"));
    // A right code does not make up for a wrong password.
    let next = code(&secret, 1);
    c.try_login(&erin, "not-erins-password", Some(&next))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
    c.try_login(&erin, password, Some(&next)).await.tokens();
    // Each code and each backup code works once.
    c.try_login(&erin, password, Some(&next))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_mfa_code"));
    c.try_login(&erin, password, Some(&backup[0]))
        .await
        .tokens();
    c.try_login(&erin, password, Some(&backup[0]))
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_mfa_code"));
}
