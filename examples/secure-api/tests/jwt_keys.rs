//! The `[jwt]` key settings: a shared HMAC secret gives the same key id on
//! every instance and after every restart, and the id can be set explicitly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use secure_api::config::AppConfig;

fn jwt(section: &str) -> rampart_auth::JwtConfig {
    let text = format!("[jwt]\n{section}");
    AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(&text))
        .unwrap()
        .jwt
        .to_jwt_config()
}

const HS: &str = "algorithm = \"HS256\"\nsecret = \"a-shared-secret-of-at-least-32-bytes!!\"\n";

#[test]
fn two_instances_with_one_secret_accept_each_others_tokens() {
    let a = jwt(HS).build().unwrap();
    let b = jwt(HS).build().unwrap();
    assert_eq!(a.signing_kid(), b.signing_kid());
    let token = a
        .issuer()
        .issue_access(&rampart_auth::TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert!(
        b.verifier()
            .verify_stateless(&token, rampart_auth::TokenUse::Access)
            .is_ok()
    );
}

#[test]
fn key_id_and_base64_secrets_are_read_from_the_file() {
    let named = jwt(&format!("{HS}key_id = \"hs-2026\"\n")).build().unwrap();
    assert_eq!(named.signing_kid().as_deref(), Some("hs-2026"));
    let encoded = base64::engine::general_purpose::STANDARD.encode([0xC3u8; 48]);
    let bytes = jwt(&format!(
        "algorithm = \"HS256\"\nsecret_base64 = \"{encoded}\"\n"
    ))
    .build()
    .unwrap();
    let expected =
        rampart_auth::SigningKey::from_secret(rampart_auth::Algorithm::HS256, &[0xC3; 48], None)
            .unwrap();
    assert_eq!(bytes.signing_kid().as_deref(), Some(expected.kid()));
    // Empty values in the defaults mean "not set".
    let defaults = jwt("").build().unwrap();
    assert!(defaults.signing_kid().is_some());
}

#[test]
fn sign_in_lifetime_and_rotation_are_read_from_the_file() {
    let defaults = jwt("");
    assert_eq!(defaults.refresh_family_lifetime_secs, 30 * 24 * 3600);
    assert_eq!(
        defaults.rotate_after_secs, None,
        "rotation is off by default"
    );
    let set = jwt("refresh_family_lifetime_secs = 86400\nrotate_after_secs = 2592000\n");
    assert_eq!(set.refresh_family_lifetime_secs, 86_400);
    assert_eq!(set.rotate_after_secs, Some(2_592_000));
    assert!(set.build().is_ok());
}
