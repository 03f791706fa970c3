//! One-time codes over each store: expiry by clock, the attempt limit,
//! single use under concurrency, replacement, the resend limit, delivery
//! failures, events without codes or addresses, and a store outage.
#![cfg(feature = "oob")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_auth::mfa::MfaKey;
use rampart_auth::oob::{
    CodeFormat, DeliveryError, DeliveryFuture, Destination, MemoryOobStore, OobCodes, OobError,
    OobMessage, OobSender, SharedOobStore,
};
use rampart_core::{EventKind, ManualClock, MemorySink};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NOW: u64 = 1_700_000_000;

/// A sender that keeps every message it was asked to deliver, or fails.
#[derive(Default)]
struct Outbox {
    sent: Mutex<Vec<(String, String)>>,
    fail: Mutex<bool>,
}

impl Outbox {
    fn last(&self) -> String {
        self.sent.lock().unwrap().last().unwrap().1.clone()
    }
}

impl OobSender for Outbox {
    fn send<'a>(&'a self, m: &'a OobMessage<'a>) -> DeliveryFuture<'a> {
        let fail = *self.fail.lock().unwrap();
        if !fail {
            self.sent.lock().unwrap().push((
                m.destination.address().to_owned(),
                m.code.as_str().to_owned(),
            ));
        }
        Box::pin(async move {
            if fail {
                Err(DeliveryError("provider returned 502".into()))
            } else {
                Ok(())
            }
        })
    }
}

struct Fixture {
    codes: OobCodes,
    outbox: Arc<Outbox>,
    clock: ManualClock,
    sink: MemorySink,
}

fn fixture(store: SharedOobStore) -> Fixture {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let outbox = Arc::new(Outbox::default());
    let codes = OobCodes::builder(MfaKey::generate().unwrap(), outbox.clone())
        .store(store)
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    Fixture {
        codes,
        outbox,
        clock,
        sink,
    }
}

fn email() -> Destination {
    Destination::email("alice@example.com").unwrap()
}

/// A code of the default format that is not `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

/// Runs `suite` against a memory store and, when available, Redis.
macro_rules! both_stores {
    ($($name:ident => $suite:ident;)*) => {$(
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn memory() {
                $suite(fixture(Arc::new(MemoryOobStore::new()))).await;
            }

            #[cfg(feature = "redis")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn redis() {
                let Some(url) = rampart_test_support::service_url("REDIS_URL", concat!(stringify!($name), "::redis")) else { return };
                let prefix = format!("rampart-test:oob:{}:{}", stringify!($name), uuid::Uuid::new_v4().simple());
                let store = rampart_auth::oob::RedisOobStore::connect(&url, &prefix)
                    .await
                    .expect("REDIS_URL is set but Redis cannot be reached");
                $suite(fixture(Arc::new(store))).await;
            }
        }
    )*};
}

both_stores! {
    right_code_once => right_code_once;
    expiry_by_clock => expiry_by_clock;
    attempts => attempts;
    single_use_under_concurrency => single_use_under_concurrency;
    replacement => replacement;
    resend_limit => resend_limit;
    isolation => isolation;
    delivery_failure => delivery_failure;
}

async fn right_code_once(f: Fixture) {
    let sent = f.codes.send("alice", "login", &email()).await.unwrap();
    assert_eq!(sent.masked_destination, "a***@example.com");
    assert_eq!(sent.expires_in, Duration::from_secs(600));
    let code = f.outbox.last();
    assert_eq!(code.len(), 6);
    // Typed with a space, as people copy codes.
    let typed = format!("{} {}", &code[..3], &code[3..]);
    f.codes.verify("alice", "login", &typed).await.unwrap();
    assert_eq!(
        f.codes.verify("alice", "login", &code).await,
        Err(OobError::NoCode)
    );
    assert_eq!(f.sink.count(EventKind::AuthenticationSucceeded), 1);
}

async fn expiry_by_clock(f: Fixture) {
    f.codes.send("alice", "login", &email()).await.unwrap();
    let code = f.outbox.last();
    f.clock.advance(Duration::from_secs(599));
    f.codes.send("bob", "login", &email()).await.unwrap();
    let bobs = f.outbox.last();
    f.codes.verify("alice", "login", &code).await.unwrap();
    // Bob's code was sent at +599 s: it dies at +1199 s, not a second later.
    f.clock.advance(Duration::from_secs(600));
    assert_eq!(
        f.codes.verify("bob", "login", &bobs).await,
        Err(OobError::Expired)
    );
    // Expired means gone.
    assert_eq!(
        f.codes.verify("bob", "login", &bobs).await,
        Err(OobError::NoCode)
    );
}

async fn attempts(f: Fixture) {
    f.codes.send("alice", "login", &email()).await.unwrap();
    let code = f.outbox.last();
    let wrong = other_than(&code);
    for left in (1..5).rev() {
        assert_eq!(
            f.codes.verify("alice", "login", &wrong).await,
            Err(OobError::WrongCode {
                attempts_left: left
            })
        );
    }
    // Garbage costs a try like a wrong code: this is the fifth.
    assert_eq!(
        f.codes.verify("alice", "login", "not a code").await,
        Err(OobError::Exhausted)
    );
    // The right code no longer works.
    assert_eq!(
        f.codes.verify("alice", "login", &code).await,
        Err(OobError::NoCode)
    );
    let exhausted = f
        .sink
        .events()
        .into_iter()
        .filter(|e| e.fields.get("outcome").and_then(|v| v.as_str()) == Some("code_exhausted"))
        .count();
    assert_eq!(exhausted, 1);
}

async fn single_use_under_concurrency(f: Fixture) {
    for round in 0..5 {
        f.clock.advance(Duration::from_secs(3600));
        f.codes.send("alice", "login", &email()).await.unwrap();
        let code = f.outbox.last();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let codes = f.codes.clone();
                let code = code.clone();
                tokio::spawn(async move { codes.verify("alice", "login", &code).await })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => wins += 1,
                Err(OobError::NoCode) => {}
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
}

async fn replacement(f: Fixture) {
    f.codes.send("alice", "login", &email()).await.unwrap();
    let first = f.outbox.last();
    f.codes.send("alice", "login", &email()).await.unwrap();
    let second = f.outbox.last();
    if first != second {
        assert!(matches!(
            f.codes.verify("alice", "login", &first).await,
            Err(OobError::WrongCode { attempts_left: 4 })
        ));
    }
    f.codes.verify("alice", "login", &second).await.unwrap();
}

async fn resend_limit(f: Fixture) {
    for _ in 0..5 {
        f.codes.send("alice", "login", &email()).await.unwrap();
    }
    let sent = f.outbox.sent.lock().unwrap().len();
    f.clock.advance(Duration::from_secs(60));
    assert_eq!(
        f.codes.send("alice", "login", &email()).await,
        Err(OobError::Throttled {
            retry_after: Duration::from_secs(840)
        })
    );
    assert_eq!(f.outbox.sent.lock().unwrap().len(), sent, "nothing sent");
    assert_eq!(f.sink.count(EventKind::RateLimited), 1);
    // The live code still works; another purpose has its own count.
    f.codes
        .verify("alice", "login", &f.outbox.last())
        .await
        .unwrap();
    f.codes
        .send("alice", "verify-email", &email())
        .await
        .unwrap();
    // The window ends 15 minutes after the first send.
    f.clock.advance(Duration::from_secs(840));
    f.codes.send("alice", "login", &email()).await.unwrap();
}

async fn isolation(f: Fixture) {
    f.codes.send("alice", "login", &email()).await.unwrap();
    let code = f.outbox.last();
    // Alice's code proves nothing for Bob, nor for another purpose.
    assert_eq!(
        f.codes.verify("bob", "login", &code).await,
        Err(OobError::NoCode)
    );
    assert_eq!(
        f.codes.verify("alice", "reset-password", &code).await,
        Err(OobError::NoCode)
    );
    f.codes.send("bob", "login", &email()).await.unwrap();
    let bobs = f.outbox.last();
    if bobs != code {
        assert!(matches!(
            f.codes.verify("bob", "login", &code).await,
            Err(OobError::WrongCode { .. })
        ));
    }
    f.codes.verify("alice", "login", &code).await.unwrap();
}

async fn delivery_failure(f: Fixture) {
    *f.outbox.fail.lock().unwrap() = true;
    let err = f.codes.send("alice", "login", &email()).await.unwrap_err();
    assert_eq!(err.code(), "delivery_failed");
    *f.outbox.fail.lock().unwrap() = false;
    // Nothing live was left behind.
    assert_eq!(
        f.codes.verify("alice", "login", "123456").await,
        Err(OobError::NoCode)
    );
    // It counted: four more sends, then throttled.
    for _ in 0..4 {
        f.codes.send("alice", "login", &email()).await.unwrap();
    }
    assert!(matches!(
        f.codes.send("alice", "login", &email()).await,
        Err(OobError::Throttled { .. })
    ));
}

/// No event carries a code or a full address.
#[tokio::test]
async fn events_carry_neither_code_nor_address() {
    let f = fixture(Arc::new(MemoryOobStore::new()));
    let phone = Destination::sms("+447700900123").unwrap();
    f.codes.send("alice", "login", &phone).await.unwrap();
    let code = f.outbox.last();
    let _ = f.codes.verify("alice", "login", &other_than(&code)).await;
    f.codes.verify("alice", "login", &code).await.unwrap();
    *f.outbox.fail.lock().unwrap() = true;
    let _ = f.codes.send("alice", "login", &email()).await;
    let events = f.sink.events();
    assert!(events.len() >= 4);
    for event in events {
        let text = serde_json::to_string(&event).unwrap();
        assert!(!text.contains(&code), "{text}");
        assert!(!text.contains("7700900"), "{text}");
        assert!(!text.contains("alice@"), "{text}");
    }
    let sent = f.sink.events().into_iter().next().unwrap();
    assert_eq!(sent.fields["destination"], "***0123");
    assert_eq!(sent.fields["channel"], "sms");
}

#[tokio::test]
async fn bad_input_is_refused_before_the_store() {
    let f = fixture(Arc::new(MemoryOobStore::new()));
    for (subject, purpose) in [("", "login"), ("alice", "LOGIN"), ("al\nice", "login")] {
        assert!(matches!(
            f.codes.send(subject, purpose, &email()).await,
            Err(OobError::InvalidInput(_))
        ));
        assert!(matches!(
            f.codes.verify(subject, purpose, "123456").await,
            Err(OobError::InvalidInput(_))
        ));
    }
    assert!(f.outbox.sent.lock().unwrap().is_empty());
    // A megabyte of input is one wrong try, not a crash.
    f.codes.send("alice", "login", &email()).await.unwrap();
    assert_eq!(
        f.codes.verify("alice", "login", &"9".repeat(1 << 20)).await,
        Err(OobError::WrongCode { attempts_left: 4 })
    );
}

#[test]
fn settings_out_of_range_are_refused() {
    let build =
        |f: fn(rampart_auth::oob::OobCodesBuilder) -> rampart_auth::oob::OobCodesBuilder| {
            f(OobCodes::builder(
                MfaKey::generate().unwrap(),
                Arc::new(Outbox::default()),
            ))
            .build()
        };
    assert!(build(|b| b).is_ok());
    assert!(build(|b| b.ttl(Duration::from_secs(29))).is_err());
    assert!(build(|b| b.ttl(Duration::from_secs(3601))).is_err());
    assert!(build(|b| b.max_attempts(0)).is_err());
    assert!(build(|b| b.max_attempts(11)).is_err());
    assert!(build(|b| b.resend_limit(0, Duration::from_secs(60))).is_err());
    assert!(build(|b| b.resend_limit(3, Duration::ZERO)).is_err());
}

/// The debug forms, written to logs at start-up, show the settings and
/// never the key, the sender or what the store holds.
#[test]
fn debug_shows_the_settings_only() {
    let builder = OobCodes::builder(MfaKey::generate().unwrap(), Arc::new(Outbox::default()))
        .format(CodeFormat::digits(8).unwrap());
    assert_eq!(
        format!("{builder:?}"),
        format!(
            "OobCodesBuilder {{ format: {:?}, .. }}",
            CodeFormat::digits(8).unwrap()
        )
    );
    let codes = builder
        .ttl(Duration::from_secs(120))
        .max_attempts(3)
        .resend_limit(4, Duration::from_secs(60))
        .build()
        .unwrap();
    assert_eq!(
        format!("{codes:?}"),
        format!(
            "OobCodes {{ format: {:?}, ttl: 120s, max_attempts: 3, max_sends: 4, resend_window: 60s, .. }}",
            CodeFormat::digits(8).unwrap()
        )
    );
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_store_debug_shows_its_prefix_only() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "oob redis store debug") else {
        return;
    };
    let store = rampart_auth::oob::RedisOobStore::connect(&url, "rampart-test:oob:debug")
        .await
        .expect("REDIS_URL is set but Redis cannot be reached");
    assert_eq!(
        format!("{store:?}"),
        r#"RedisOobStore { prefix: "rampart-test:oob:debug", .. }"#
    );
}

/// The same code hashes apart under two keys: a store moved to an
/// instance with another key accepts nothing.
#[tokio::test]
async fn another_key_accepts_nothing() {
    let store: SharedOobStore = Arc::new(MemoryOobStore::new());
    let f = fixture(store.clone());
    f.codes.send("alice", "login", &email()).await.unwrap();
    let code = f.outbox.last();
    let other = fixture(store);
    assert!(matches!(
        other.codes.verify("alice", "login", &code).await,
        Err(OobError::WrongCode { .. })
    ));
}

/// A store that cannot be reached.
struct Down;

impl rampart_auth::oob::OobStore for Down {
    fn issue<'a>(
        &'a self,
        _: rampart_auth::oob::NewCode<'a>,
    ) -> rampart_auth::revocation::StoreFuture<'a, rampart_auth::oob::Issued> {
        Box::pin(async { Err(rampart_auth::StoreError("connection refused".into())) })
    }

    fn check<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a rampart_auth::oob::CodeHash,
        _: u64,
    ) -> rampart_auth::revocation::StoreFuture<'a, rampart_auth::oob::Checked> {
        Box::pin(async { Err(rampart_auth::StoreError("connection refused".into())) })
    }

    fn void<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a rampart_auth::oob::CodeHash,
    ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
        Box::pin(async { Err(rampart_auth::StoreError("connection refused".into())) })
    }
}

/// Without its store nothing is sent and nothing accepted, and it is reported.
#[tokio::test]
async fn store_outage_fails_closed() {
    let f = fixture(Arc::new(Down));
    assert!(matches!(
        f.codes.send("alice", "login", &email()).await,
        Err(OobError::Unavailable(_))
    ));
    assert!(
        f.outbox.sent.lock().unwrap().is_empty(),
        "a code went out unrecorded"
    );
    assert!(matches!(
        f.codes.verify("alice", "login", "123456").await,
        Err(OobError::Unavailable(_))
    ));
    assert_eq!(f.sink.count(EventKind::StoreFailure), 2);
}
