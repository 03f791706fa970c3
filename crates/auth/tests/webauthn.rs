//! WebAuthn as a second factor, driven by a software authenticator: the
//! ceremonies end to end, and every way a finish must be refused (replayed,
//! expired, another user's or the wrong kind of ceremony, an unknown or
//! removed credential, a counter that did not advance, malformed input, a
//! store outage).
#![cfg(feature = "webauthn")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_auth::StoreError;
use rampart_auth::revocation::StoreFuture;
use rampart_auth::webauthn::{
    AddOutcome, CredentialUse, MAX_RESPONSE_BYTES, MemoryWebAuthnStore, StoredCredential,
    UseOutcome, WebAuthnCredentialStore, WebAuthnError, WebAuthnMfa,
};
use rampart_core::{CHANGE_MFA, EventKind, MFA_ENROLLED, MFA_RESET, ManualClock, MemorySink};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use uuid::Uuid;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const NOW: u64 = 1_700_000_000;
const ORIGIN: &str = "http://localhost:8080";

struct Fixture {
    mfa: WebAuthnMfa,
    clock: ManualClock,
    sink: MemorySink,
}

fn fixture_with(store: Arc<dyn WebAuthnCredentialStore>) -> Fixture {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let mfa = WebAuthnMfa::builder("localhost", ORIGIN, "rampart tests")
        .store(store)
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    Fixture { mfa, clock, sink }
}

fn fixture() -> Fixture {
    fixture_with(Arc::new(MemoryWebAuthnStore::new()))
}

/// A software FIDO2 authenticator that reports user verification.
type Key = WebauthnAuthenticator<SoftPasskey>;

fn key() -> Key {
    WebauthnAuthenticator::new(SoftPasskey::new(true))
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

/// Registers `key` for `user` under `name`; answers the credential id.
async fn register(f: &Fixture, key: &mut Key, user: &str, name: &str) -> String {
    let challenge = f.mfa.start_registration(user).await.unwrap();
    let response = key.do_registration(origin(), challenge.options).unwrap();
    let json = serde_json::to_string(&response).unwrap();
    f.mfa
        .finish_registration(user, challenge.ceremony.as_str(), &json, name)
        .await
        .unwrap()
        .id
}

/// Starts an authentication for `user` and has `key` sign it: the ceremony
/// id and the response JSON, not yet finished.
async fn assertion(f: &Fixture, key: &mut Key, user: &str) -> (String, String) {
    let challenge = f.mfa.start_authentication(user).await.unwrap();
    let response = key.do_authentication(origin(), challenge.options).unwrap();
    (
        challenge.ceremony.as_str().to_owned(),
        serde_json::to_string(&response).unwrap(),
    )
}

fn failures(sink: &MemorySink) -> Vec<String> {
    sink.events()
        .into_iter()
        .filter(|e| e.kind == EventKind::AuthenticationFailed)
        .map(|e| e.fields["error"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_registered_key_passes_the_second_factor_and_each_use_advances_its_counter() {
    let f = fixture();
    let mut k = key();
    let id = register(&f, &mut k, "alice", "office key").await;
    assert!(f.mfa.has_credentials("alice").await.unwrap());
    assert!(!f.mfa.has_credentials("bob").await.unwrap());

    for expected_use in 1..=3 {
        f.clock.advance(Duration::from_secs(60));
        let (ceremony, response) = assertion(&f, &mut k, "alice").await;
        let verified = f
            .mfa
            .finish_authentication("alice", &ceremony, &response)
            .await
            .unwrap();
        assert_eq!(verified.credential, id, "use {expected_use}");
    }
    let listed = f.mfa.credentials("alice").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "office key");
    assert_eq!(listed[0].created, NOW);
    assert_eq!(listed[0].last_used, Some(NOW + 180));
    assert_eq!(
        f.mfa.pending_ceremonies(),
        0,
        "finished ceremonies are gone"
    );

    let enrolled: Vec<_> = f
        .sink
        .events()
        .into_iter()
        .filter(|e| e.kind == EventKind::ConfigurationChanged)
        .collect();
    assert_eq!(enrolled.len(), 1);
    assert_eq!(enrolled[0].fields["change"], CHANGE_MFA);
    assert_eq!(enrolled[0].fields["step"], MFA_ENROLLED);
    assert_eq!(enrolled[0].fields["factor"], "webauthn");
    assert_eq!(enrolled[0].fields["credential"], Value::String(id));
    assert_eq!(enrolled[0].subject.as_deref(), Some("alice"));
    assert!(failures(&f.sink).is_empty());
}

#[tokio::test]
async fn a_finished_ceremony_cannot_be_finished_again_nor_its_response_reused() {
    let f = fixture();
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    let (ceremony, response) = assertion(&f, &mut k, "alice").await;
    f.mfa
        .finish_authentication("alice", &ceremony, &response)
        .await
        .unwrap();
    // The same ceremony again: gone.
    let replay = f
        .mfa
        .finish_authentication("alice", &ceremony, &response)
        .await;
    assert_eq!(replay, Err(WebAuthnError::CeremonyNotFound));
    // The captured response against a fresh ceremony: signed over another challenge.
    let fresh = f.mfa.start_authentication("alice").await.unwrap();
    let reused = f
        .mfa
        .finish_authentication("alice", fresh.ceremony.as_str(), &response)
        .await;
    assert!(
        matches!(reused, Err(WebAuthnError::Rejected(_))),
        "{reused:?}"
    );
    // A registration ceremony is single use too.
    let challenge = f.mfa.start_registration("alice").await.unwrap();
    let mut other = key();
    let json = serde_json::to_string(&other.do_registration(origin(), challenge.options).unwrap())
        .unwrap();
    let c = challenge.ceremony.as_str();
    f.mfa
        .finish_registration("alice", c, &json, "second")
        .await
        .unwrap();
    let again = f.mfa.finish_registration("alice", c, &json, "third").await;
    assert_eq!(again, Err(WebAuthnError::CeremonyNotFound));
    assert_eq!(f.mfa.credentials("alice").await.unwrap().len(), 2);
    assert_eq!(
        failures(&f.sink),
        [
            "ceremony_not_found",
            "response_rejected",
            "ceremony_not_found"
        ]
    );
}

#[tokio::test]
async fn a_ceremony_expires_after_its_timeout_by_the_clock() {
    let f = fixture();
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    let (ceremony, response) = assertion(&f, &mut k, "alice").await;
    f.clock.advance(Duration::from_secs(299));
    let (in_time, in_time_response) = assertion(&f, &mut k, "alice").await;
    f.clock.advance(Duration::from_secs(1));
    let late = f
        .mfa
        .finish_authentication("alice", &ceremony, &response)
        .await;
    assert_eq!(late, Err(WebAuthnError::CeremonyExpired));
    // An expired ceremony is removed, not kept for another try.
    let again = f
        .mfa
        .finish_authentication("alice", &ceremony, &response)
        .await;
    assert_eq!(again, Err(WebAuthnError::CeremonyNotFound));
    // The one started 299 s later still has its time.
    f.mfa
        .finish_authentication("alice", &in_time, &in_time_response)
        .await
        .unwrap();
}

#[tokio::test]
async fn another_users_ceremony_is_refused_and_stays_usable_by_its_owner() {
    let f = fixture();
    let mut alice = key();
    let mut mallory = key();
    register(&f, &mut alice, "alice", "key").await;
    register(&f, &mut mallory, "mallory", "key").await;
    let (ceremony, response) = assertion(&f, &mut alice, "alice").await;
    // Mallory presents Alice's ceremony id and response as her own.
    let stolen = f
        .mfa
        .finish_authentication("mallory", &ceremony, &response)
        .await;
    assert_eq!(stolen, Err(WebAuthnError::CeremonyMismatch));
    // Mallory's own ceremony with Alice's response: not one of Mallory's keys.
    let (own, _) = assertion(&f, &mut mallory, "mallory").await;
    let foreign = f
        .mfa
        .finish_authentication("mallory", &own, &response)
        .await;
    assert_eq!(foreign, Err(WebAuthnError::UnknownCredential));
    // Alice's ceremony was not burnt by the attempt.
    f.mfa
        .finish_authentication("alice", &ceremony, &response)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_registration_ceremony_does_not_finish_an_authentication_nor_the_reverse() {
    let f = fixture();
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    let registration = f.mfa.start_registration("alice").await.unwrap();
    let (authentication, response) = assertion(&f, &mut k, "alice").await;
    let crossed = f
        .mfa
        .finish_authentication("alice", registration.ceremony.as_str(), &response)
        .await;
    assert_eq!(crossed, Err(WebAuthnError::CeremonyMismatch));
    let crossed = f
        .mfa
        .finish_registration("alice", &authentication, &response, "x")
        .await;
    assert_eq!(crossed, Err(WebAuthnError::CeremonyMismatch));
    f.mfa
        .finish_authentication("alice", &authentication, &response)
        .await
        .unwrap();
}

#[tokio::test]
async fn malformed_responses_and_ids_are_clear_errors_that_use_the_ceremony_up() {
    let f = fixture();
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    let (_, valid) = assertion(&f, &mut k, "alice").await;
    let mut wrong_base64: Value = serde_json::from_str(&valid).unwrap();
    wrong_base64["rawId"] = Value::String("!!not base64!!".into());
    let huge = format!("{{\"id\":\"{}\"}}", "A".repeat(70 * 1024));
    let bad = [
        String::new(),
        "not json".into(),
        "{}".into(),
        "[1,2,3]".into(),
        valid[..valid.len() / 2].to_owned(),
        wrong_base64.to_string(),
        huge,
        "\u{0}\u{feff}{".into(),
    ];
    for input in &bad {
        let challenge = f.mfa.start_authentication("alice").await.unwrap();
        let c = challenge.ceremony.as_str();
        let outcome = f.mfa.finish_authentication("alice", c, input).await;
        assert!(
            matches!(outcome, Err(WebAuthnError::MalformedResponse(ref m)) if !m.contains("AAAA")),
            "{outcome:?} for {:?}",
            input.get(..40)
        );
        // The ceremony is spent: a valid response cannot follow a probe.
        let after = f.mfa.finish_authentication("alice", c, &valid).await;
        assert_eq!(after, Err(WebAuthnError::CeremonyNotFound));
    }
    // Registration parses the same way.
    let reg = f.mfa.start_registration("alice").await.unwrap();
    let outcome = f
        .mfa
        .finish_registration("alice", reg.ceremony.as_str(), "{\"id\":1}", "k")
        .await;
    assert!(matches!(outcome, Err(WebAuthnError::MalformedResponse(_))));
    // Ids of the wrong shape are simply not found.
    for id in [
        "",
        "short",
        "../../etc/passwd",
        &"A".repeat(10_000),
        "AAAAAAAAAAAAAAAAAAAAA%",
    ] {
        let outcome = f.mfa.finish_authentication("alice", id, &valid).await;
        assert_eq!(outcome, Err(WebAuthnError::CeremonyNotFound), "{id:?}");
    }
}

#[tokio::test]
async fn a_counter_that_does_not_advance_is_refused_as_a_possible_clone() {
    let f = fixture();
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    // Two ceremonies signed in order (counters 1 and 2), finished in reverse:
    // after 2 is stored, 1 cannot be accepted, whatever the ceremony saw.
    let (first, first_response) = assertion(&f, &mut k, "alice").await;
    let (second, second_response) = assertion(&f, &mut k, "alice").await;
    f.mfa
        .finish_authentication("alice", &second, &second_response)
        .await
        .unwrap();
    let stale = f
        .mfa
        .finish_authentication("alice", &first, &first_response)
        .await;
    assert_eq!(stale, Err(WebAuthnError::PossibleClone));
    // The refusal does not lock the key out: its next assertion (counter 3) passes.
    let (third, third_response) = assertion(&f, &mut k, "alice").await;
    f.mfa
        .finish_authentication("alice", &third, &third_response)
        .await
        .unwrap();
    let attacks: Vec<_> = f
        .sink
        .events()
        .into_iter()
        .filter(|e| e.kind == EventKind::AttackDetected)
        .collect();
    assert_eq!(attacks.len(), 1);
    assert_eq!(attacks[0].severity, rampart_core::Severity::Critical);
    assert_eq!(attacks[0].fields["error"], "possible_clone");
    assert_eq!(attacks[0].subject.as_deref(), Some("alice"));
}

#[tokio::test]
async fn keys_are_listed_and_removed_per_user_and_a_removed_key_no_longer_signs_in() {
    let f = fixture();
    let mut office = key();
    let mut home = key();
    let mut bobs = key();
    let office_id = register(&f, &mut office, "alice", "office").await;
    let home_id = register(&f, &mut home, "alice", "home").await;
    let bob_id = register(&f, &mut bobs, "bob", "bob's").await;
    let names: Vec<_> = f
        .mfa
        .credentials("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["office", "home"]);

    // Alice cannot remove Bob's key by naming its id.
    assert!(!f.mfa.remove_credential("alice", &bob_id).await.unwrap());
    assert!(f.mfa.has_credentials("bob").await.unwrap());

    // A key removed between start and finish does not pass.
    let (ceremony, response) = assertion(&f, &mut office, "alice").await;
    assert!(f.mfa.remove_credential("alice", &office_id).await.unwrap());
    assert!(!f.mfa.remove_credential("alice", &office_id).await.unwrap());
    let removed = f
        .mfa
        .finish_authentication("alice", &ceremony, &response)
        .await;
    assert_eq!(removed, Err(WebAuthnError::UnknownCredential));
    // The remaining key works; the removed one is no longer even offered.
    let (ceremony, response) = assertion(&f, &mut home, "alice").await;
    f.mfa
        .finish_authentication("alice", &ceremony, &response)
        .await
        .unwrap();
    let challenge = f.mfa.start_authentication("alice").await.unwrap();
    assert!(
        office
            .do_authentication(origin(), challenge.options)
            .is_err()
    );

    let resets: Vec<_> = f
        .sink
        .events()
        .into_iter()
        .filter(|e| e.kind == EventKind::ConfigurationChanged && e.fields["step"] == MFA_RESET)
        .collect();
    assert_eq!(
        resets.len(),
        1,
        "one removal, the refused one is not reported"
    );
    assert_eq!(resets[0].fields["credential"], Value::String(office_id));
    assert_ne!(home_id, bob_id);
}

#[tokio::test]
async fn limits_on_keys_names_and_pending_ceremonies() {
    let clock = ManualClock::at_unix(NOW);
    let mfa = WebAuthnMfa::builder("localhost", ORIGIN, "rampart tests")
        .clock(clock.shared())
        .max_credentials(1)
        .max_pending(6)
        .build()
        .unwrap();
    let f = Fixture {
        mfa,
        clock,
        sink: MemorySink::new(),
    };
    assert_eq!(
        f.mfa.start_authentication("alice").await.unwrap_err(),
        WebAuthnError::NoCredentials
    );
    // A bad name is refused before the ceremony is touched.
    let mut k = key();
    let challenge = f.mfa.start_registration("alice").await.unwrap();
    let json =
        serde_json::to_string(&k.do_registration(origin(), challenge.options).unwrap()).unwrap();
    let c = challenge.ceremony.as_str();
    for name in ["", "  ", "evil\nname", &"n".repeat(65)] {
        let outcome = f.mfa.finish_registration("alice", c, &json, name).await;
        assert!(
            matches!(outcome, Err(WebAuthnError::InvalidName(_))),
            "{name:?}"
        );
    }
    f.mfa
        .finish_registration("alice", c, &json, "ok")
        .await
        .unwrap();
    assert_eq!(
        f.mfa.start_registration("alice").await.unwrap_err(),
        WebAuthnError::TooManyCredentials { max: 1 }
    );

    // Four pending per user: a fifth drops the oldest.
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(f.mfa.start_authentication("alice").await.unwrap().ceremony);
        f.clock.advance(Duration::from_secs(1));
    }
    assert_eq!(f.mfa.pending_ceremonies(), 4);
    let dropped = f
        .mfa
        .finish_authentication("alice", ids[0].as_str(), "{}")
        .await;
    assert_eq!(dropped, Err(WebAuthnError::CeremonyNotFound));
    // Six in all on the instance: the table refuses while they are live...
    let mut k2 = key();
    let reg = f.mfa.start_registration("bob").await.unwrap();
    let json = serde_json::to_string(&k2.do_registration(origin(), reg.options).unwrap()).unwrap();
    f.mfa
        .finish_registration("bob", reg.ceremony.as_str(), &json, "b")
        .await
        .unwrap();
    f.mfa.start_authentication("bob").await.unwrap();
    f.mfa.start_authentication("bob").await.unwrap();
    assert_eq!(f.mfa.pending_ceremonies(), 6);
    assert_eq!(
        f.mfa.start_authentication("bob").await.unwrap_err(),
        WebAuthnError::Busy
    );
    // ...and makes room once they expire.
    f.clock.advance(Duration::from_secs(300));
    f.mfa.start_authentication("bob").await.unwrap();
    assert_eq!(f.mfa.pending_ceremonies(), 1);
}

/// A table full of other users' live ceremonies refuses new ones and says
/// so, naming who was refused, so an operator sees a flood of ceremonies.
#[tokio::test]
async fn a_full_ceremony_table_is_reported_as_rate_limiting() {
    let sink = MemorySink::new();
    let mfa = WebAuthnMfa::builder("localhost", ORIGIN, "rampart tests")
        .clock(ManualClock::at_unix(NOW).shared())
        .event_sink(Arc::new(sink.clone()))
        .max_pending(2)
        .build()
        .unwrap();
    mfa.start_registration("alice").await.unwrap();
    mfa.start_registration("bob").await.unwrap();
    assert!(sink.events().is_empty());
    assert_eq!(
        mfa.start_registration("carol").await.unwrap_err(),
        WebAuthnError::Busy
    );
    let events = sink.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, EventKind::RateLimited);
    assert_eq!(events[0].subject.as_deref(), Some("carol"));
    assert_eq!(events[0].fields["factor"], "webauthn");
}

/// `json` followed by spaces (which JSON allows) to `len` bytes.
fn pad(json: &str, len: usize) -> String {
    format!("{json}{}", " ".repeat(len - json.len()))
}

/// The size bound is exact and is the documented 64 KiB (room for an
/// attestation certificate chain): a response padded to the limit is read
/// and verifies, one byte more is refused for its size, unread.
#[tokio::test]
async fn responses_up_to_the_size_limit_are_read_and_larger_ones_refused() {
    let f = fixture();
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    let (at_limit, response) = assertion(&f, &mut k, "alice").await;
    let padded = pad(&response, 64 * 1024);
    assert_eq!(padded.len(), MAX_RESPONSE_BYTES);
    let (over_limit, response) = assertion(&f, &mut k, "alice").await;
    let over = pad(&response, MAX_RESPONSE_BYTES + 1);
    assert_eq!(
        f.mfa
            .finish_authentication("alice", &over_limit, &over)
            .await,
        Err(WebAuthnError::MalformedResponse(format!(
            "larger than {MAX_RESPONSE_BYTES} bytes"
        )))
    );
    f.mfa
        .finish_authentication("alice", &at_limit, &padded)
        .await
        .unwrap();
}

/// The debug form, for start-up logs, names the relying party and limits.
#[test]
fn the_relying_party_is_named_in_debug_and_by_rp_id() {
    let mfa = WebAuthnMfa::builder("localhost", ORIGIN, "rampart tests")
        .max_credentials(3)
        .build()
        .unwrap();
    assert_eq!(mfa.rp_id(), "localhost");
    assert_eq!(
        format!("{mfa:?}"),
        r#"WebAuthnMfa { rp_id: "localhost", timeout_secs: 300, max_credentials: 3, .. }"#
    );
}

#[tokio::test]
async fn a_response_from_another_origin_is_rejected() {
    let f = fixture();
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    let challenge = f.mfa.start_authentication("alice").await.unwrap();
    let elsewhere = Url::parse("http://localhost:9999").unwrap();
    let response = k.do_authentication(elsewhere, challenge.options).unwrap();
    let outcome = f
        .mfa
        .finish_authentication(
            "alice",
            challenge.ceremony.as_str(),
            &serde_json::to_string(&response).unwrap(),
        )
        .await;
    assert!(
        matches!(outcome, Err(WebAuthnError::Rejected(_))),
        "{outcome:?}"
    );
}

#[test]
fn the_relying_party_is_checked_when_built() {
    let build = |id: &str, origin: &str| WebAuthnMfa::builder(id, origin, "x").build();
    assert!(build("example.com", "https://login.example.com").is_ok());
    assert!(build("localhost", "http://localhost:3000").is_ok());
    for (id, origin) in [
        ("example.com", "http://example.com"),        // not https
        ("example.org", "https://example.com"),       // another domain
        ("ample.com", "https://example.com"),         // a suffix, not a parent domain
        ("127.0.0.1", "https://127.0.0.1"),           // no domain
        ("example.com", "https://example.com/login"), // a path
        ("example.com", "not a url"),
    ] {
        assert!(build(id, origin).is_err(), "{id} {origin}");
    }
    let timeout = WebAuthnMfa::builder("localhost", ORIGIN, "x")
        .ceremony_timeout(Duration::from_secs(3600))
        .build();
    assert!(timeout.is_err());
    assert!(
        WebAuthnMfa::builder("localhost", ORIGIN, " ")
            .build()
            .is_err()
    );
}

/// A store whose every call fails, as Redis or a database down would.
struct DownStore;

fn down<'a, T: Send + 'a>() -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(Err(StoreError(
        "connection refused".into(),
    ))))
}

impl WebAuthnCredentialStore for DownStore {
    fn user_handle<'a>(&'a self, _: &'a str, _: Uuid) -> StoreFuture<'a, Uuid> {
        down()
    }
    fn list<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Vec<StoredCredential>> {
        down()
    }
    fn add<'a>(
        &'a self,
        _: &'a str,
        _: &'a StoredCredential,
        _: usize,
    ) -> StoreFuture<'a, AddOutcome> {
        down()
    }
    fn record_use<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a CredentialUse,
    ) -> StoreFuture<'a, UseOutcome> {
        down()
    }
    fn remove<'a>(&'a self, _: &'a str, _: &'a str) -> StoreFuture<'a, bool> {
        down()
    }
}

/// Delegates to memory until switched off, to fail mid-ceremony.
struct Flaky {
    inner: MemoryWebAuthnStore,
    up: std::sync::atomic::AtomicBool,
}

impl Flaky {
    fn pick(&self) -> Option<&MemoryWebAuthnStore> {
        self.up
            .load(std::sync::atomic::Ordering::SeqCst)
            .then_some(&self.inner)
    }
}

impl WebAuthnCredentialStore for Flaky {
    fn user_handle<'a>(&'a self, u: &'a str, c: Uuid) -> StoreFuture<'a, Uuid> {
        self.pick().map_or_else(down, |s| s.user_handle(u, c))
    }
    fn list<'a>(&'a self, u: &'a str) -> StoreFuture<'a, Vec<StoredCredential>> {
        self.pick().map_or_else(down, |s| s.list(u))
    }
    fn add<'a>(
        &'a self,
        u: &'a str,
        c: &'a StoredCredential,
        m: usize,
    ) -> StoreFuture<'a, AddOutcome> {
        self.pick().map_or_else(down, |s| s.add(u, c, m))
    }
    fn record_use<'a>(
        &'a self,
        u: &'a str,
        i: &'a str,
        x: &'a CredentialUse,
    ) -> StoreFuture<'a, UseOutcome> {
        self.pick().map_or_else(down, |s| s.record_use(u, i, x))
    }
    fn remove<'a>(&'a self, u: &'a str, i: &'a str) -> StoreFuture<'a, bool> {
        self.pick().map_or_else(down, |s| s.remove(u, i))
    }
}

#[tokio::test]
async fn a_store_outage_fails_closed_with_an_event() {
    let f = fixture_with(Arc::new(DownStore));
    for outcome in [
        f.mfa.start_registration("alice").await.map(drop),
        f.mfa.start_authentication("alice").await.map(drop),
        f.mfa.has_credentials("alice").await.map(drop),
        f.mfa.remove_credential("alice", "x").await.map(drop),
    ] {
        assert!(
            matches!(outcome, Err(WebAuthnError::Unavailable(_))),
            "{outcome:?}"
        );
    }
    assert_eq!(f.sink.count(EventKind::StoreFailure), 4);

    // Down between start and finish: the verified assertion is not accepted.
    let flaky = Arc::new(Flaky {
        inner: MemoryWebAuthnStore::new(),
        up: true.into(),
    });
    let f = fixture_with(flaky.clone());
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    let (ceremony, response) = assertion(&f, &mut k, "alice").await;
    flaky.up.store(false, std::sync::atomic::Ordering::SeqCst);
    let outcome = f
        .mfa
        .finish_authentication("alice", &ceremony, &response)
        .await;
    assert!(
        matches!(outcome, Err(WebAuthnError::Unavailable(_))),
        "{outcome:?}"
    );
    assert_eq!(f.sink.count(EventKind::StoreFailure), 1);
}

/// A real credential to store, from a registration.
async fn a_credential() -> StoredCredential {
    let registered = Arc::new(MemoryWebAuthnStore::new());
    let f = fixture_with(registered.clone());
    let mut k = key();
    register(&f, &mut k, "alice", "key").await;
    registered.list("alice").await.unwrap().remove(0)
}

/// A store gives each credential one owner, keeps the per-user limit,
/// moves counters forward only, and keeps the user handle it made first.
async fn store_suite(store: Arc<dyn WebAuthnCredentialStore>) {
    let cred = a_credential().await;
    // It round-trips through JSON, for stores of the application's own.
    let json = serde_json::to_string(&cred).unwrap();
    let back: StoredCredential = serde_json::from_str(&json).unwrap();
    assert_eq!(back.id, cred.id);
    assert_eq!(back.key.cred_id(), cred.key.cred_id());

    assert_eq!(
        store.add("alice", &cred, 10).await.unwrap(),
        AddOutcome::Added
    );
    assert_eq!(
        store.add("alice", &cred, 10).await.unwrap(),
        AddOutcome::Duplicate
    );
    assert_eq!(
        store.add("bob", &cred, 10).await.unwrap(),
        AddOutcome::Duplicate
    );
    let mut other = cred.clone();
    other.id = "other".into();
    assert_eq!(
        store.add("alice", &other, 1).await.unwrap(),
        AddOutcome::LimitReached
    );

    let at = |counter| CredentialUse::new(counter, cred.key.clone(), NOW);
    assert_eq!(
        store.record_use("alice", &cred.id, &at(5)).await.unwrap(),
        UseOutcome::Recorded
    );
    assert_eq!(
        store.record_use("alice", &cred.id, &at(5)).await.unwrap(),
        UseOutcome::CounterNotAdvanced { stored: 5 }
    );
    assert_eq!(
        store.record_use("alice", &cred.id, &at(0)).await.unwrap(),
        UseOutcome::CounterNotAdvanced { stored: 5 }
    );
    assert_eq!(
        store.record_use("bob", &cred.id, &at(9)).await.unwrap(),
        UseOutcome::NotFound
    );
    // Removal frees the id for registration again, and never crosses users.
    assert!(!store.remove("bob", &cred.id).await.unwrap());
    assert!(store.remove("alice", &cred.id).await.unwrap());
    assert_eq!(
        store.add("bob", &cred, 10).await.unwrap(),
        AddOutcome::Added
    );

    assert_eq!(store.list("alice").await.unwrap().len(), 0);
    let listed = store.list("bob").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].counter, 0, "a new owner starts afresh");

    // An authenticator without a counter (always 0) keeps working.
    let mut zero = cred.clone();
    zero.id = "counterless".into();
    store.add("carol", &zero, 10).await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            store.record_use("carol", &zero.id, &at(0)).await.unwrap(),
            UseOutcome::Recorded
        );
    }
    let used = store.list("carol").await.unwrap().remove(0);
    assert_eq!((used.counter, used.last_used), (0, Some(NOW)));
    assert_eq!(used.name, cred.name, "a use keeps what the user named it");
    // The user handle is made once and kept.
    let first = store.user_handle("carol", Uuid::new_v4()).await.unwrap();
    assert_eq!(
        store.user_handle("carol", Uuid::new_v4()).await.unwrap(),
        first
    );
    assert_ne!(
        store.user_handle("dave", Uuid::new_v4()).await.unwrap(),
        first
    );
}

#[tokio::test]
async fn the_memory_store_keeps_owners_limits_and_counters() {
    store_suite(Arc::new(MemoryWebAuthnStore::new())).await;
}

/// The debug forms, for start-up logs, hold no credential.
#[test]
fn the_memory_store_debug_form_shows_nothing_stored() {
    assert_eq!(
        format!("{:?}", MemoryWebAuthnStore::new()),
        "MemoryWebAuthnStore { .. }"
    );
}

#[cfg(feature = "redis")]
fn redis_prefix() -> String {
    format!("rampart-test:webauthn:{}", Uuid::new_v4().simple())
}

#[cfg(feature = "redis")]
async fn redis_store(url: &str, prefix: &str) -> rampart_auth::webauthn::RedisWebAuthnStore {
    rampart_auth::webauthn::RedisWebAuthnStore::connect(url, prefix)
        .await
        .expect("Redis is configured but cannot be reached")
}

#[cfg(feature = "redis")]
async fn redis_suite(url: String) {
    let prefix = redis_prefix();
    let store = redis_store(&url, &prefix).await;
    assert_eq!(
        format!("{store:?}"),
        format!("RedisWebAuthnStore {{ prefix: {prefix:?}, .. }}")
    );
    store_suite(Arc::new(store)).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_store_keeps_owners_limits_and_counters() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "webauthn redis store") else {
        return;
    };
    redis_suite(url).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_cluster_store_keeps_owners_limits_and_counters() {
    let Some(url) = rampart_test_support::redis_cluster_urls("webauthn redis cluster store") else {
        return;
    };
    redis_suite(url).await;
}

/// A credential still in its user's hash is a duplicate even when the key
/// claiming its id is gone (lost, or written before claims existed): the add
/// writes nothing and keeps the claim it just made, so another user cannot
/// take the id afterwards.
#[cfg(feature = "redis")]
async fn lost_claim_suite(url: String) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let prefix = redis_prefix();
    let store = redis_store(&url, &prefix).await;
    let cred = a_credential().await;
    assert_eq!(
        store.add("alice", &cred, 10).await.unwrap(),
        AddOutcome::Added
    );
    let mut conn = rampart_core::redis::RedisConnection::connect(&url)
        .await
        .unwrap();
    let claim = format!("{prefix}:{{cred:{}}}", URL_SAFE_NO_PAD.encode(&cred.id));
    let deleted: i64 = redis::cmd("DEL")
        .arg(&claim)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(deleted, 1, "the claim lives at {claim}");

    assert_eq!(
        store.add("alice", &cred, 10).await.unwrap(),
        AddOutcome::Duplicate
    );
    assert_eq!(
        store.add("bob", &cred, 10).await.unwrap(),
        AddOutcome::Duplicate
    );
    assert_eq!(store.list("alice").await.unwrap().len(), 1);
    assert!(store.list("bob").await.unwrap().is_empty());
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_lost_claim_is_still_a_duplicate_on_redis() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "webauthn lost claim") else {
        return;
    };
    lost_claim_suite(url).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_lost_claim_is_still_a_duplicate_on_a_redis_cluster() {
    let Some(url) = rampart_test_support::redis_cluster_urls("webauthn lost claim cluster") else {
        return;
    };
    lost_claim_suite(url).await;
}
