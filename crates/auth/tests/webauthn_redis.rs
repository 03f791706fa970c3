//! WebAuthn over Redis: instances share credentials (a key registered on
//! one signs in on another) but not ceremonies, a counter that went back
//! is refused across instances, and an outage fails closed then recovers.
#![cfg(all(feature = "webauthn", feature = "redis"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_auth::webauthn::{RedisWebAuthnStore, WebAuthnError, WebAuthnMfa};
use rampart_core::{EventKind, ManualClock, MemorySink};
use rampart_test_support::Relay;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const ORIGIN: &str = "http://localhost:8080";

fn instance(store: RedisWebAuthnStore, sink: &MemorySink) -> WebAuthnMfa {
    WebAuthnMfa::builder("localhost", ORIGIN, "rampart tests")
        .store(Arc::new(store))
        .clock(ManualClock::at_unix(1_700_000_000).shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap()
}

fn prefix() -> String {
    format!("rampart-test:webauthn:{}", uuid::Uuid::new_v4().simple())
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

async fn register(mfa: &WebAuthnMfa, key: &mut WebauthnAuthenticator<SoftPasskey>, user: &str) {
    let c = mfa.start_registration(user).await.unwrap();
    let json = serde_json::to_string(&key.do_registration(origin(), c.options).unwrap()).unwrap();
    mfa.finish_registration(user, c.ceremony.as_str(), &json, "key")
        .await
        .unwrap();
}

async fn assertion(
    mfa: &WebAuthnMfa,
    key: &mut WebauthnAuthenticator<SoftPasskey>,
    user: &str,
) -> (String, String) {
    let c = mfa.start_authentication(user).await.unwrap();
    let response = key.do_authentication(origin(), c.options).unwrap();
    (
        c.ceremony.as_str().to_owned(),
        serde_json::to_string(&response).unwrap(),
    )
}

#[tokio::test]
async fn instances_share_credentials_but_each_finishes_its_own_ceremonies() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "webauthn shared") else {
        return;
    };
    let prefix = prefix();
    let sink = MemorySink::new();
    let a = instance(
        RedisWebAuthnStore::connect(&url, &prefix).await.unwrap(),
        &sink,
    );
    let b = instance(
        RedisWebAuthnStore::connect(&url, &prefix).await.unwrap(),
        &sink,
    );
    let mut key = WebauthnAuthenticator::new(SoftPasskey::new(true));
    register(&a, &mut key, "alice").await;
    assert!(b.has_credentials("alice").await.unwrap());

    let (ceremony, response) = assertion(&b, &mut key, "alice").await;
    // Started on B: A has no such ceremony.
    let elsewhere = a.finish_authentication("alice", &ceremony, &response).await;
    assert_eq!(elsewhere, Err(WebAuthnError::CeremonyNotFound));
    b.finish_authentication("alice", &ceremony, &response)
        .await
        .unwrap();

    // Assertions finished out of order on two instances: once the later
    // counter is stored, the earlier one is refused by the store's
    // check-and-set, whatever counter its ceremony started with.
    let (first, first_response) = assertion(&a, &mut key, "alice").await;
    let (second, second_response) = assertion(&b, &mut key, "alice").await;
    b.finish_authentication("alice", &second, &second_response)
        .await
        .unwrap();
    let stale = a
        .finish_authentication("alice", &first, &first_response)
        .await;
    assert_eq!(stale, Err(WebAuthnError::PossibleClone));
    assert_eq!(sink.count(EventKind::AttackDetected), 1);

    // A removal on A is seen by B at once.
    let id = a.credentials("alice").await.unwrap().remove(0).id;
    assert!(a.remove_credential("alice", &id).await.unwrap());
    assert!(!b.has_credentials("alice").await.unwrap());
}

#[tokio::test]
async fn a_redis_outage_fails_closed_and_the_key_works_again_after() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "webauthn outage") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let sink = MemorySink::new();
    let mfa = instance(
        RedisWebAuthnStore::connect(&relay.url, &prefix())
            .await
            .unwrap(),
        &sink,
    );
    let mut key = WebauthnAuthenticator::new(SoftPasskey::new(true));
    register(&mfa, &mut key, "alice").await;
    let (ceremony, response) = assertion(&mfa, &mut key, "alice").await;
    relay.cut();
    let down = mfa
        .finish_authentication("alice", &ceremony, &response)
        .await;
    assert!(
        matches!(down, Err(WebAuthnError::Unavailable(_))),
        "{down:?}"
    );
    assert!(matches!(
        mfa.has_credentials("alice").await,
        Err(WebAuthnError::Unavailable(_))
    ));
    assert!(sink.count(EventKind::StoreFailure) >= 2);
    relay.restore();
    let mut outcome = Err(WebAuthnError::NoCredentials);
    for _ in 0..50 {
        outcome = mfa.start_authentication("alice").await.map(drop);
        if outcome.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    outcome.unwrap();
    let (ceremony, response) = assertion(&mfa, &mut key, "alice").await;
    mfa.finish_authentication("alice", &ceremony, &response)
        .await
        .unwrap();
}
