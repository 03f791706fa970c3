//! Age-based signing-key rotation: publish, activate after the publish delay,
//! retire after the longest token lifetime, each step an event, time moved by
//! a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::{
    Algorithm, AuthError, ConfigError, JwtAuthority, JwtConfig, JwtIssuer, JwtRuntime, KeyRotation,
    KeySet, Secret, SigningKey, TokenRequest, TokenUse,
};
use rampart_core::{EventKind, ManualClock, MemorySink};
use std::sync::Arc;
use std::time::Duration;

const DAY: u64 = 24 * 3600;
const REFRESH_TTL: u64 = 14 * DAY;
const LEEWAY: u64 = 30;
const DELAY: u64 = 600;

struct Setup {
    clock: ManualClock,
    sink: MemorySink,
    auth: JwtAuthority,
}

fn setup() -> Setup {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let config = JwtConfig {
        issuer: Some(ISS.into()),
        rotate_after_secs: Some(30 * DAY),
        rotation_publish_delay_secs: DELAY,
        refresh_ttl_secs: REFRESH_TTL,
        leeway_secs: LEEWAY,
        ..JwtConfig::default()
    };
    let auth = config
        .build_with(
            JwtRuntime::default()
                .clock(clock.shared())
                .event_sink(Arc::new(sink.clone())),
        )
        .unwrap();
    Setup { clock, sink, auth }
}

impl Setup {
    fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// A refresh token (the longest-lived kind) signed now, and its `kid`.
    fn refresh_token(&self) -> String {
        self.auth
            .issuer()
            .issue(
                &TokenRequest::new("alice"),
                TokenUse::Refresh,
                Some("family-1"),
                &(),
            )
            .unwrap()
            .token
    }

    fn verify_refresh(&self, token: &str) -> Result<(), AuthError> {
        self.auth
            .verifier()
            .verify_stateless(token, TokenUse::Refresh)
            .map(|_| ())
    }

    /// `(step, kid)` of every rotation event so far.
    fn steps(&self) -> Vec<(String, String)> {
        self.sink
            .events()
            .into_iter()
            .filter(|e| e.kind == EventKind::ConfigurationChanged)
            .map(|e| {
                (
                    e.fields["step"].as_str().unwrap().to_owned(),
                    e.fields["kid"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    fn jwks_kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self
            .auth
            .jwks()
            .keys
            .into_iter()
            .map(|k| k.common.key_id.unwrap())
            .collect();
        kids.sort();
        kids
    }
}

fn kid_of(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[test]
fn an_aged_key_is_published_then_activated_then_retired() {
    let s = setup();
    let old = s.auth.signing_kid().unwrap();
    assert!(s.auth.rotation().is_some());
    assert!(JwtConfig::default().build().unwrap().rotation().is_none());

    // Not yet 30 days old: nothing happens however often tokens are issued.
    s.advance(30 * DAY - 1);
    s.refresh_token();
    assert!(s.steps().is_empty());
    assert_eq!(s.jwks_kids(), vec![old.clone()]);

    // 30 days: the next key is published, but the old one still signs.
    s.advance(1);
    let before_activation = s.refresh_token();
    assert_eq!(kid_of(&before_activation), old);
    let steps = s.steps();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].0, "publish");
    let new = steps[0].1.clone();
    assert_ne!(new, old);
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(s.jwks_kids(), both);
    assert_eq!(s.auth.signing_kid().as_deref(), Some(old.as_str()));

    // Just before the publish delay ends, still the old key.
    s.advance(DELAY - 1);
    let last_old = s.refresh_token();
    assert_eq!(kid_of(&last_old), old);
    assert_eq!(s.steps().len(), 1);

    // Publish delay over: the new key signs; the old one still verifies.
    s.advance(1);
    let fresh = s.refresh_token();
    assert_eq!(kid_of(&fresh), new);
    assert_eq!(
        s.steps()[1],
        ("activate".to_owned(), new.clone()),
        "{:?}",
        s.steps()
    );
    assert_eq!(s.jwks_kids(), both);
    s.verify_refresh(&before_activation).unwrap();
    s.verify_refresh(&last_old).unwrap();

    // Up to the last second of the old key's tokens, they verify.
    s.advance(REFRESH_TTL - 2);
    s.auth.jwks_service().response();
    assert_eq!(s.steps().len(), 2);
    s.verify_refresh(&last_old).unwrap();

    // One second short of the longest lifetime plus leeway: still there.
    s.advance(LEEWAY + 1);
    s.auth.jwks_service().response();
    assert_eq!(s.steps().len(), 2);
    // Longest lifetime plus leeway after activation: the old key is retired.
    s.advance(1);
    assert_eq!(s.steps().len(), 2, "retirement waits for a tick");
    s.auth.jwks_service().response();
    assert_eq!(s.steps()[2], ("retire".to_owned(), old.clone()));
    assert_eq!(s.jwks_kids(), vec![new.clone()]);
    assert_eq!(s.verify_refresh(&last_old), Err(AuthError::UnknownKey));
    // The new key's tokens are untouched.
    s.verify_refresh(&s.refresh_token()).unwrap();
    assert_eq!(s.steps().len(), 3);
    assert_eq!(s.sink.count(EventKind::ConfigurationChanged), 3);
}

#[test]
fn rotation_repeats_every_period_and_serving_the_jwks_drives_it() {
    let s = setup();
    let first = s.auth.signing_kid().unwrap();
    s.advance(30 * DAY);
    // No token issued: serving the JWKS publishes the next key.
    let body = s.auth.jwks_service().response().into_body();
    let second = s.steps()[0].1.clone();
    assert!(body.contains(&second), "the response already lists it");
    s.advance(DELAY);
    s.auth.jwks_service().response();
    assert_eq!(s.auth.signing_kid().as_deref(), Some(second.as_str()));
    // The period restarts at activation.
    s.advance(30 * DAY - 1);
    s.auth.jwks_service().response();
    assert_eq!(s.steps().len(), 3, "{:?}", s.steps()); // publish, activate, retire
    s.advance(1);
    s.auth.jwks_service().response();
    let steps = s.steps();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert_eq!(steps[3].0, "publish");
    assert_ne!(steps[3].1, first);
    assert_ne!(steps[3].1, second);
}

#[test]
fn a_jump_over_several_steps_still_takes_them_in_order() {
    let s = setup();
    let old = s.auth.signing_kid().unwrap();
    // A year without a single tick: first publish, then (next tick) activate.
    s.advance(365 * DAY);
    let token = s.refresh_token();
    assert_eq!(
        kid_of(&token),
        old,
        "a key never signs before it was published"
    );
    s.advance(DELAY);
    assert_ne!(kid_of(&s.refresh_token()), old);
    s.verify_refresh(&token).unwrap();
}

#[test]
fn the_plain_api_rotates_any_key_set() {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let keys = KeySet::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    let rotation = KeyRotation::builder(keys.clone())
        .rotate_after(Duration::from_secs(DAY))
        .publish_delay(Duration::from_secs(60))
        .retire_after(Duration::from_secs(3600))
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    assert_eq!(rotation.retire_after(), Duration::from_secs(3600));
    let debug = format!("{rotation:?}");
    assert!(
        debug.contains("KeyRotation") && debug.contains("EdDSA"),
        "{debug}"
    );
    rotation.tick().unwrap();
    assert_eq!(sink.count(EventKind::ConfigurationChanged), 0);
    clock.advance(Duration::from_secs(DAY));
    rotation.tick().unwrap();
    rotation.tick().unwrap();
    assert_eq!(sink.count(EventKind::ConfigurationChanged), 1);
    clock.advance(Duration::from_secs(60));
    rotation.tick().unwrap();
    assert_eq!(sink.count(EventKind::ConfigurationChanged), 2);
    assert_eq!(keys.jwks().keys.len(), 2);
    clock.advance(Duration::from_secs(3600));
    rotation.tick().unwrap();
    assert_eq!(sink.count(EventKind::ConfigurationChanged), 3);
    assert_eq!(keys.jwks().keys.len(), 1);
    let events = sink.events();
    assert!(events.iter().all(|e| e.fields["algorithm"] == "EdDSA"));
}

#[test]
fn rotation_is_refused_for_fixed_keys_and_bad_settings() {
    let with_secret = JwtConfig {
        algorithm: Algorithm::HS256,
        secret: Some(Secret::new("a-shared-secret-of-at-least-32-bytes!!")),
        rotate_after_secs: Some(30 * DAY),
        ..JwtConfig::default()
    };
    assert!(matches!(
        with_secret.build().unwrap_err(),
        ConfigError::Invalid {
            name: "rotate_after_secs",
            ..
        }
    ));
    let with_file = JwtConfig {
        algorithm: Algorithm::RS256,
        private_key_file: Some(std::env::temp_dir().join("never-read.pem")),
        rotate_after_secs: Some(30 * DAY),
        ..JwtConfig::default()
    };
    // Refused for the rotation, before the file is even read.
    let err = with_file.build().unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                name: "rotate_after_secs",
                ..
            }
        ),
        "{err}"
    );
    let too_fast = JwtConfig {
        rotate_after_secs: Some(DELAY),
        rotation_publish_delay_secs: DELAY,
        ..JwtConfig::default()
    };
    assert!(matches!(
        too_fast.build().unwrap_err(),
        ConfigError::Invalid {
            name: "rotate_after",
            ..
        }
    ));
    let keys = KeySet::verify_only([]).unwrap();
    assert!(
        KeyRotation::builder(keys).build().is_err(),
        "nothing to rotate"
    );
    let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    assert!(matches!(
        KeyRotation::builder(keys)
            .rsa_bits(1024)
            .build()
            .unwrap_err(),
        ConfigError::Invalid {
            name: "rsa_bits",
            ..
        }
    ));
}

#[test]
fn an_issuer_refuses_a_rotation_that_would_cut_tokens_short_or_rotate_other_keys() {
    let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let short = KeyRotation::builder(keys.clone())
        .retire_after(Duration::from_secs(DAY))
        .build()
        .unwrap();
    let err = JwtIssuer::builder(keys.clone())
        .refresh_ttl(Duration::from_secs(2 * DAY))
        .rotation(short.clone())
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                name: "rotation",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        JwtIssuer::builder(keys.clone())
            .refresh_ttl(Duration::from_secs(DAY))
            .rotation(short)
            .build()
            .is_ok()
    );
    let elsewhere = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let foreign = KeyRotation::builder(elsewhere).build().unwrap();
    assert!(matches!(
        JwtIssuer::builder(keys)
            .rotation(foreign)
            .build()
            .unwrap_err(),
        ConfigError::Invalid {
            name: "rotation",
            ..
        }
    ));
}

#[test]
fn a_failed_step_is_a_critical_event_and_is_not_retried_on_every_tick() {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let old = keys.signing_kid().unwrap();
    let rotation = KeyRotation::builder(keys.clone())
        .rotate_after(Duration::from_secs(DAY))
        .publish_delay(Duration::from_secs(60))
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    clock.advance(Duration::from_secs(DAY));
    rotation.tick().unwrap();
    let pending = sink.events()[0].fields["kid"].as_str().unwrap().to_owned();
    // An operator removes the published key before it activates.
    keys.retire(&pending).unwrap();
    clock.advance(Duration::from_secs(60));
    assert!(matches!(rotation.tick(), Err(ConfigError::UnknownKid(_))));
    let failed = sink.events().pop().unwrap();
    assert_eq!(failed.fields["step"], "failed");
    assert_eq!(failed.severity, rampart_core::Severity::Critical);
    assert_eq!(keys.signing_kid().as_deref(), Some(old.as_str()));
    // The next ticks neither fail again nor publish at once.
    for _ in 0..3 {
        clock.advance(Duration::from_secs(61));
        rotation.tick().unwrap();
    }
    assert_eq!(sink.events().len(), 2);
    // A whole period later, the rotation starts over.
    clock.advance(Duration::from_secs(DAY));
    rotation.tick().unwrap();
    let again = sink.events().pop().unwrap();
    assert_eq!(again.fields["step"], "publish");
    assert_ne!(again.fields["kid"], pending.as_str());
}

#[test]
fn defaults_rotate_monthly_and_keep_replaced_keys_past_the_default_refresh_lifetime() {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let rotation = KeyRotation::builder(keys.clone())
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    assert_eq!(rotation.retire_after(), Duration::from_secs(14 * DAY + 300));
    clock.advance(Duration::from_secs(30 * DAY - 1));
    rotation.tick().unwrap();
    assert_eq!(sink.events().len(), 0);
    clock.advance(Duration::from_secs(1));
    rotation.tick().unwrap();
    assert_eq!(sink.events().len(), 1, "published at 30 days");
    clock.advance(Duration::from_secs(599));
    rotation.tick().unwrap();
    assert_eq!(sink.events().len(), 1);
    clock.advance(Duration::from_secs(1));
    rotation.tick().unwrap();
    assert_eq!(sink.events().len(), 2, "activated 10 minutes later");
    // An issuer with the default refresh lifetime accepts the default rotation.
    assert!(JwtIssuer::builder(keys).rotation(rotation).build().is_ok());
}
