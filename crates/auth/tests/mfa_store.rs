//! The MFA service over each store: enrolment, backup codes under
//! concurrency, lockout and its expiry, and a Redis outage failing closed.
#![cfg(feature = "mfa")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::redis_and_cluster;
use rampart_auth::mfa::{
    BACKUP_CODE_COUNT, MemoryMfaStore, Mfa, MfaError, MfaKey, SharedMfaStore, Totp, Verified,
};
use rampart_core::{Clock, EventKind, ManualClock, MemorySink};
use std::sync::Arc;
use std::time::Duration;

const NOW: u64 = 1_700_000_000;

struct Fixture {
    mfa: Mfa,
    clock: ManualClock,
    sink: MemorySink,
    store: SharedMfaStore,
    key: MfaKey,
}

fn fixture(store: SharedMfaStore) -> Fixture {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let key = MfaKey::generate().unwrap();
    let mfa = Mfa::builder("ACME", key.clone())
        .store(store.clone())
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    Fixture {
        mfa,
        clock,
        sink,
        store,
        key,
    }
}

/// Runs `suite` against a memory store and, when available, Redis: a single
/// node and a cluster.
macro_rules! both_stores {
    ($($name:ident => $suite:ident;)*) => {$(
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn memory() {
                $suite(fixture(Arc::new(MemoryMfaStore::new()))).await;
            }

            #[cfg(feature = "redis")]
            async fn on_redis(url: String) {
                let prefix = format!("rampart-test:mfa:{}:{}", stringify!($name), uuid::Uuid::new_v4().simple());
                let store = rampart_auth::mfa::RedisMfaStore::connect(&url, &prefix)
                    .await
                    .expect("Redis is configured but cannot be reached");
                $suite(fixture(Arc::new(store))).await;
            }

            redis_and_cluster!($name, (flavor = "multi_thread", worker_threads = 4));
        }
    )*};
}

both_stores! {
    enrolment_lifecycle => enrolment_suite;
    backup_codes_single_use => backup_suite;
    backup_codes_under_concurrency => backup_race_suite;
    lockout_and_expiry => lockout_suite;
    confirm_checks_the_pending_enrolment_it_read => confirm_race_suite;
    hostile_users_and_codes => hostile_suite;
    lock_ends_at_its_instant => lock_boundary_suite;
}

async fn enrolment_suite(f: Fixture) {
    let mfa = &f.mfa;
    assert!(!mfa.is_enrolled("alice").await.unwrap());
    assert_eq!(
        mfa.verify("alice", "123456").await,
        Err(MfaError::NotEnrolled)
    );
    assert_eq!(
        mfa.confirm("alice", "123456").await,
        Err(MfaError::NotPending)
    );
    let first = mfa.enroll("alice").await.unwrap();
    // Pending is not enrolled: login does not ask for a code yet.
    assert!(!mfa.is_enrolled("alice").await.unwrap());
    assert!(!format!("{first:?}").contains(first.secret.to_base32().as_str()));
    // Enrolling again before confirming replaces the pending secret.
    let second = mfa.enroll("alice").await.unwrap();
    assert_ne!(first.secret.as_bytes(), second.secret.as_bytes());
    let stale = Totp::default().code_at(&first.secret, NOW);
    assert_eq!(
        mfa.confirm("alice", &stale).await,
        Err(MfaError::InvalidCode)
    );
    // A backup code does not confirm.
    assert_eq!(
        mfa.confirm("alice", second.backup_codes[0].as_str()).await,
        Err(MfaError::InvalidCode)
    );
    let code = Totp::default().code_at(&second.secret, NOW);
    mfa.confirm("alice", &code).await.unwrap();
    assert!(mfa.is_enrolled("alice").await.unwrap());
    // The confirming code is spent.
    assert_eq!(mfa.verify("alice", &code).await, Err(MfaError::Replayed));
    assert_eq!(
        mfa.enroll("alice").await.unwrap_err(),
        MfaError::AlreadyEnrolled
    );
    assert_eq!(
        mfa.confirm("alice", &code).await,
        Err(MfaError::AlreadyEnrolled)
    );
    // The first enrolment's backup codes never became live.
    assert_eq!(
        mfa.verify("alice", first.backup_codes[0].as_str()).await,
        Err(MfaError::InvalidCode)
    );
    f.clock.advance(Duration::from_secs(30));
    let next = Totp::default().code_at(&second.secret, NOW + 30);
    assert_eq!(mfa.verify("alice", &next).await, Ok(Verified::Totp));
    // The secret in the store is sealed: the record holds no clear secret.
    let record = f.store.load("alice", NOW).await.unwrap().unwrap();
    let sealed = record.secret.unwrap();
    assert!(
        !sealed
            .windows(8)
            .any(|w| second.secret.as_bytes().windows(8).any(|s| s == w))
    );
    // Another key cannot open it.
    let other = Mfa::builder("ACME", MfaKey::generate().unwrap())
        .store(f.store.clone())
        .clock(f.clock.shared())
        .build()
        .unwrap();
    f.clock.advance(Duration::from_secs(30));
    let later = Totp::default().code_at(&second.secret, NOW + 60);
    assert_eq!(other.verify("alice", &later).await, Err(MfaError::Sealed));
    // Disable resets; the user can enrol again.
    mfa.disable("alice").await.unwrap();
    assert!(!mfa.is_enrolled("alice").await.unwrap());
    assert_eq!(
        mfa.verify("alice", &later).await,
        Err(MfaError::NotEnrolled)
    );
    assert!(mfa.enroll("alice").await.is_ok());
    let _ = f.key;
}

async fn confirmed(f: &Fixture, user: &str) -> rampart_auth::mfa::Enrollment {
    let e = f.mfa.enroll(user).await.unwrap();
    let code = Totp::default().code_at(&e.secret, f.clock.unix_secs());
    f.mfa.confirm(user, &code).await.unwrap();
    e
}

async fn backup_suite(f: Fixture) {
    let e = confirmed(&f, "bob").await;
    assert_eq!(e.backup_codes.len(), BACKUP_CODE_COUNT);
    let first = e.backup_codes[0].as_str();
    assert_eq!(
        f.mfa.verify("bob", first).await,
        Ok(Verified::BackupCode {
            remaining: BACKUP_CODE_COUNT - 1
        })
    );
    assert_eq!(f.mfa.verify("bob", first).await, Err(MfaError::InvalidCode));
    // Typed in capitals without the dash: the same code.
    let second = e.backup_codes[1].as_str().replace('-', "").to_uppercase();
    assert!(matches!(
        f.mfa.verify("bob", &second).await,
        Ok(Verified::BackupCode { .. })
    ));
    // Another user's code is not this user's.
    let other = confirmed(&f, "carol").await;
    assert_eq!(
        f.mfa.verify("bob", other.backup_codes[0].as_str()).await,
        Err(MfaError::InvalidCode)
    );
    // Regenerating replaces all of them.
    let fresh = f.mfa.regenerate_backup_codes("bob").await.unwrap();
    assert_eq!(fresh.len(), BACKUP_CODE_COUNT);
    assert_eq!(
        f.mfa.verify("bob", e.backup_codes[2].as_str()).await,
        Err(MfaError::InvalidCode)
    );
    assert_eq!(
        f.mfa.verify("bob", fresh[0].as_str()).await,
        Ok(Verified::BackupCode {
            remaining: BACKUP_CODE_COUNT - 1
        })
    );
    assert_eq!(
        f.mfa.regenerate_backup_codes("nobody").await.unwrap_err(),
        MfaError::NotEnrolled
    );
}

async fn backup_race_suite(f: Fixture) {
    let e = confirmed(&f, "dave").await;
    let code = e.backup_codes[3].as_str().to_owned();
    for round in 0..3 {
        let code = if round == 0 {
            code.clone()
        } else {
            e.backup_codes[round].as_str().to_owned()
        };
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let mfa = f.mfa.clone();
                let code = code.clone();
                tokio::spawn(async move { mfa.verify("dave", &code).await })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(Verified::BackupCode { .. }) => wins += 1,
                Err(MfaError::InvalidCode | MfaError::Locked { .. }) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: one use of one code wins");
        // Lift the lock the losers caused, for the next round.
        f.clock.advance(Duration::from_secs(3600));
    }
}

async fn lockout_suite(f: Fixture) {
    let e = confirmed(&f, "erin").await;
    f.clock.advance(Duration::from_secs(60));
    for i in 1..=4 {
        assert_eq!(
            f.mfa.verify("erin", "000000").await,
            Err(MfaError::InvalidCode),
            "try {i}"
        );
    }
    assert_eq!(f.sink.count(EventKind::AccountLocked), 0);
    // The fifth wrong code locks (a wrong backup code counts the same).
    assert_eq!(
        f.mfa.verify("erin", "zzzzz-zzzzz").await,
        Err(MfaError::InvalidCode)
    );
    assert_eq!(f.sink.count(EventKind::AccountLocked), 1);
    let locked = f
        .sink
        .events()
        .into_iter()
        .find(|e| e.kind == EventKind::AccountLocked)
        .unwrap();
    assert_eq!(locked.subject.as_deref(), Some("erin"));
    // While locked even the right code is refused, with the time left.
    let now = f.clock.unix_secs();
    let right = Totp::default().code_at(&e.secret, now);
    assert_eq!(
        f.mfa.verify("erin", &right).await,
        Err(MfaError::Locked {
            retry_after: Duration::from_secs(900)
        })
    );
    assert_eq!(
        f.mfa.verify("erin", e.backup_codes[0].as_str()).await,
        Err(MfaError::Locked {
            retry_after: Duration::from_secs(900)
        })
    );
    f.clock.advance(Duration::from_secs(899));
    assert!(matches!(
        f.mfa.verify("erin", &right).await,
        Err(MfaError::Locked { .. })
    ));
    // Other accounts are untouched.
    let other = confirmed(&f, "frank").await;
    let _ = other;
    // After 15 minutes the lock lifts.
    f.clock.advance(Duration::from_secs(1));
    let now = f.clock.unix_secs();
    let right = Totp::default().code_at(&e.secret, now);
    assert_eq!(f.mfa.verify("erin", &right).await, Ok(Verified::Totp));
    // Failures spread over more than the window do not add up.
    for _ in 0..4 {
        assert_eq!(
            f.mfa.verify("erin", "111111").await,
            Err(MfaError::InvalidCode)
        );
    }
    f.clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(
        f.mfa.verify("erin", "111111").await,
        Err(MfaError::InvalidCode)
    );
    let now = f.clock.unix_secs();
    let right = Totp::default().code_at(&e.secret, now);
    assert_eq!(f.mfa.verify("erin", &right).await, Ok(Verified::Totp));
    assert_eq!(f.sink.count(EventKind::AccountLocked), 1);
    // Wrong codes at confirmation count too.
    let g = f.mfa.enroll("gina").await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            f.mfa.confirm("gina", "000000").await,
            Err(MfaError::InvalidCode)
        );
    }
    let code = Totp::default().code_at(&g.secret, f.clock.unix_secs());
    assert!(matches!(
        f.mfa.confirm("gina", &code).await,
        Err(MfaError::Locked { .. })
    ));
    assert_eq!(f.sink.count(EventKind::AccountLocked), 2);
}

async fn confirm_race_suite(f: Fixture) {
    // A confirmation that checked enrolment A must not confirm enrolment B
    // written meanwhile: the store compares the sealed bytes.
    let a = f.mfa.enroll("hank").await.unwrap();
    let before = f
        .store
        .load("hank", NOW)
        .await
        .unwrap()
        .unwrap()
        .pending
        .unwrap();
    let _b = f.mfa.enroll("hank").await.unwrap();
    assert!(
        !f.store
            .confirm("hank", &before, Totp::step_at(NOW))
            .await
            .unwrap()
    );
    let stale = Totp::default().code_at(&a.secret, NOW);
    assert_eq!(
        f.mfa.confirm("hank", &stale).await,
        Err(MfaError::InvalidCode)
    );
    assert!(!f.mfa.is_enrolled("hank").await.unwrap());
    // The store refuses to begin over a confirmed enrolment.
    let c = confirmed(&f, "ivy").await;
    let _ = c;
    assert!(!f.store.begin("ivy", b"x", &[]).await.unwrap());
    // Stepping back is refused; only forward moves.
    let step = f
        .store
        .load("ivy", NOW)
        .await
        .unwrap()
        .unwrap()
        .last_step
        .unwrap();
    assert!(!f.store.advance_step("ivy", step).await.unwrap());
    assert!(f.store.advance_step("ivy", step + 1).await.unwrap());
    assert!(!f.store.advance_step("nobody", step + 5).await.unwrap());
}

async fn hostile_suite(f: Fixture) {
    // User ids with the characters Redis keys and hash tags care about.
    for user in ["a}b{c", "{x}", "a:b", "ünï", "", "x\ny"] {
        match f.mfa.enroll(user).await {
            Ok(e) => {
                let code = Totp::default().code_at(&e.secret, NOW);
                f.mfa.confirm(user, &code).await.unwrap();
                assert!(f.mfa.is_enrolled(user).await.unwrap(), "{user:?}");
            }
            Err(err) => assert!(
                matches!(err, MfaError::InvalidLabel(_)),
                "{user:?}: {err:?}"
            ),
        }
    }
    assert!(f.mfa.is_enrolled("{x}").await.unwrap());
    assert!(!f.mfa.is_enrolled("x").await.unwrap());
    f.clock.advance(Duration::from_secs(3600));
    // Codes that are not codes: refused, never a panic.
    for code in [
        "",
        " ",
        "12345",
        "1234567",
        "abc",
        "٠١٢٣٤٥",
        &"9".repeat(10_000),
        &"a-".repeat(50_000),
    ] {
        assert!(f.mfa.verify("a:b", code).await.is_err(), "{code:.20}");
        f.clock.advance(Duration::from_secs(3600));
    }
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_outage_refuses_and_reports_then_recovers() {
    use rampart_test_support::Relay;
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "redis_outage_refuses") else {
        return;
    };
    let relay = Relay::start(&url).await;
    let prefix = format!("rampart-test:mfa:outage:{}", uuid::Uuid::new_v4().simple());
    let store = rampart_auth::mfa::RedisMfaStore::connect(&relay.url, &prefix)
        .await
        .unwrap();
    let f = fixture(Arc::new(store));
    let e = confirmed(&f, "jane").await;
    relay.cut();
    f.clock.advance(Duration::from_secs(30));
    let right = Totp::default().code_at(&e.secret, f.clock.unix_secs());
    assert!(matches!(
        f.mfa.verify("jane", &right).await,
        Err(MfaError::Unavailable(_))
    ));
    assert!(matches!(
        f.mfa.verify("jane", e.backup_codes[0].as_str()).await,
        Err(MfaError::Unavailable(_))
    ));
    assert!(matches!(
        f.mfa.is_enrolled("jane").await,
        Err(MfaError::Unavailable(_))
    ));
    assert!(matches!(
        f.mfa.enroll("kim").await,
        Err(MfaError::Unavailable(_))
    ));
    assert!(f.sink.count(EventKind::StoreFailure) >= 4);
    relay.restore();
    // The connection manager reconnects; the code was not spent by the outage.
    let mut result = Err(MfaError::InvalidCode);
    for _ in 0..50 {
        result = f.mfa.verify("jane", &right).await;
        if !matches!(result, Err(MfaError::Unavailable(_))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(result, Ok(Verified::Totp));
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_keys_of_one_user_share_a_hash_tag() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "redis_keys_share_a_hash_tag")
    else {
        return;
    };
    let prefix = format!("rampart-test:mfa:tags:{}", uuid::Uuid::new_v4().simple());
    let store = rampart_auth::mfa::RedisMfaStore::connect(&url, &prefix)
        .await
        .unwrap();
    let f = fixture(Arc::new(store));
    let _e = confirmed(&f, "le}on").await;
    let _ = f.mfa.verify("le}on", "000000").await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 3, "{keys:?}"); // mfa, codes, fail
    let tags: std::collections::BTreeSet<_> = keys
        .iter()
        .map(|k| k[k.find('{').unwrap()..=k.find('}').unwrap()].to_owned())
        .collect();
    assert_eq!(tags.len(), 1, "{keys:?}");
    assert!(!tags.iter().next().unwrap().contains("le}on"));
}

/// A loaded record is locked up to the lock's last second and unlocked at
/// the instant it ends, as the failure counter itself decides.
async fn lock_boundary_suite(f: Fixture) {
    use rampart_auth::mfa::{FailureOutcome, ThrottlePolicy};
    let policy = ThrottlePolicy {
        max_failures: 2,
        window_secs: 60,
        lockout_secs: 300,
    };
    let store = &f.store;
    assert_eq!(
        store.record_failure("gil", NOW, policy).await.unwrap(),
        FailureOutcome::Counted(1)
    );
    assert_eq!(
        store.record_failure("gil", NOW, policy).await.unwrap(),
        FailureOutcome::LockedNow(NOW + 300)
    );
    assert_eq!(
        store
            .record_failure("gil", NOW + 299, policy)
            .await
            .unwrap(),
        FailureOutcome::AlreadyLocked(NOW + 300)
    );
    let record = store.load("gil", NOW + 299).await.unwrap().unwrap();
    assert_eq!(record.locked_until, Some(NOW + 300));
    let record = store.load("gil", NOW + 300).await.unwrap().unwrap();
    assert_eq!(record.locked_until, None);
    assert_eq!(record.secret, None);
}

/// A store connected with a chosen timeout serves a single node and a
/// cluster alike, and its `Debug` form names its prefix.
#[cfg(feature = "redis")]
mod redis_store_with_a_chosen_timeout {
    use super::*;
    use rampart_auth::mfa::RedisMfaStore;

    redis_and_cluster!(redis_store_with_a_chosen_timeout);

    async fn on_redis(url: String) {
        let prefix = format!("rampart-test:mfa:timeout:{}", uuid::Uuid::new_v4().simple());
        let store = RedisMfaStore::connect_with_timeout(&url, &prefix, Duration::from_millis(300))
            .await
            .unwrap();
        let debug = format!("{store:?}");
        assert!(
            debug.starts_with("RedisMfaStore") && debug.contains(&prefix),
            "{debug}"
        );
        let f = fixture(Arc::new(store));
        let e = confirmed(&f, "alice").await;
        f.clock.advance(Duration::from_secs(60));
        let right = Totp::default().code_at(&e.secret, f.clock.unix_secs());
        assert_eq!(f.mfa.verify("alice", &right).await, Ok(Verified::Totp));
    }
}

/// A bad URL or an unreachable Redis is an error at start, not a store that
/// fails later.
#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store_with_a_chosen_timeout_refuses_a_bad_or_unreachable_url() {
    use rampart_auth::mfa::RedisMfaStore;
    for url in ["not a url", "redis://127.0.0.1:1"] {
        let err = RedisMfaStore::connect_with_timeout(url, "x", Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(!err.0.is_empty(), "{url}");
    }
}
