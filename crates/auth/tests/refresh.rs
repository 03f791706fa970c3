//! Refresh hardening: the user is re-validated on every refresh, a family has
//! an absolute lifetime, and a store outage is an outage, not an invalid grant.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::revocation::{
    FamilyStore, NewFamily, RevocationStore, Revoked, Rotation, RotationOutcome, StoreFuture,
    TokenRef,
};
use rampart_auth::{
    AuthError, ConfigError, JwtConfig, JwtIssuer, JwtRuntime, JwtVerifier, MemoryStore,
    RefreshClaims, RefreshError, Revalidation, Standing, StoreError, TokenManager,
    TokenManagerBuilder, TokenRequest,
};
use rampart_core::{EventKind, ManualClock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DAY: u64 = 86_400;

fn es256() -> Fx {
    fixture_with(rampart_auth::SigningKey::generate(rampart_auth::Algorithm::ES256).unwrap())
}

/// A manager on `store` whose refresh tokens live one day (the fixture's issuer).
fn builder<S: RevocationStore + FamilyStore>(
    store: Arc<S>,
    clock: &ManualClock,
    fx: &Fx,
) -> (TokenManagerBuilder, JwtVerifier) {
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .revocation(store.clone())
        .clock(clock.shared())
        .event_sink(Arc::new(fx.sink.clone()))
        .build()
        .unwrap();
    let issuer = JwtIssuer::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .refresh_ttl(Duration::from_secs(DAY))
        .clock(clock.shared())
        .build()
        .unwrap();
    (
        TokenManager::builder(issuer, verifier.clone(), store),
        verifier,
    )
}

/// The application's user directory: subject -> standing; absent = removed.
#[derive(Clone, Default)]
struct Directory {
    users: Arc<Mutex<HashMap<String, Standing>>>,
    down: Arc<AtomicBool>,
    asked: Arc<AtomicUsize>,
}

impl Directory {
    fn set(&self, subject: &str, standing: Option<Standing>) {
        let mut users = self.users.lock().unwrap();
        match standing {
            Some(s) => users.insert(subject.to_owned(), s),
            None => users.remove(subject),
        };
    }

    fn hook(&self) -> impl rampart_auth::Revalidate {
        let dir = self.clone();
        move |claims: &RefreshClaims| {
            dir.asked.fetch_add(1, Ordering::SeqCst);
            let found = if dir.down.load(Ordering::SeqCst) {
                Err(StoreError("directory unreachable".into()))
            } else {
                Ok(dir.users.lock().unwrap().get(claims.subject()).cloned())
            };
            async move {
                Ok(match found? {
                    Some(standing) => Revalidation::Allow(standing),
                    None => Revalidation::Refuse,
                })
            }
        }
    }
}

fn bob_editor() -> Standing {
    Standing::roles(["editor"])
        .tenant("acme".to_owned())
        .org("sales".to_owned())
}

#[test]
fn the_builder_requires_a_revalidation_choice() {
    let fx = es256();
    let err = TokenManager::builder(fx.issuer.clone(), fx.verifier.clone(), fx.store.clone())
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                name: "revalidation",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("insecure_skip_revalidation"));
    let dir = Directory::default();
    assert!(
        TokenManager::builder(fx.issuer.clone(), fx.verifier.clone(), fx.store.clone())
            .revalidate(dir.hook())
            .build()
            .is_ok()
    );
    let short = TokenManager::builder(fx.issuer.clone(), fx.verifier.clone(), fx.store.clone())
        .insecure_skip_revalidation()
        .family_lifetime(Duration::from_secs(59))
        .build()
        .unwrap_err();
    assert!(matches!(
        short,
        ConfigError::Invalid {
            name: "family_lifetime",
            ..
        }
    ));
}

#[tokio::test]
async fn a_demoted_user_refreshes_into_the_current_roles_only() {
    let fx = es256();
    let dir = Directory::default();
    dir.set(
        "bob",
        Some(Standing::roles(["admin"]).tenant("acme".to_owned())),
    );
    let (b, verifier) = builder(fx.store.clone(), &fx.clock, &fx);
    let m = b.revalidate(dir.hook()).build().unwrap();
    let pair = m
        .issue_pair(&TokenRequest::new("bob").tenant("acme").roles(["admin"]))
        .await
        .unwrap();
    dir.set("bob", Some(bob_editor()));
    fx.clock.advance(Duration::from_secs(60));
    let next = m.refresh(&pair.refresh_token, None).await.unwrap();
    assert_eq!(dir.asked.load(Ordering::SeqCst), 1);
    for token in [&next.access_token] {
        let p = verifier.verify(token).await.unwrap().to_principal();
        assert!(!p.has_role("admin"), "the old role survived the refresh");
        assert!(p.has_role("editor"));
        assert_eq!(p.tenant(), Some("acme"));
    }
    // The refresh token carries the new standing too, so the next refresh
    // starts from it.
    let claims = verifier
        .verify_as(&next.refresh_token, rampart_auth::TokenUse::Refresh)
        .await
        .unwrap();
    assert_eq!(claims.roles, ["editor"]);
    assert_eq!(claims.org.as_deref(), Some("sales"));
}

#[tokio::test]
async fn a_removed_user_cannot_refresh_and_loses_the_whole_family() {
    let fx = es256();
    let dir = Directory::default();
    dir.set("bob", Some(bob_editor()));
    let (b, verifier) = builder(fx.store.clone(), &fx.clock, &fx);
    let m = b.revalidate(dir.hook()).build().unwrap();
    let pair = m.issue_pair(&TokenRequest::new("bob")).await.unwrap();
    let kept = m.issue_pair(&TokenRequest::new("carol")).await.unwrap();
    dir.set("bob", None);
    let err = m.refresh(&pair.refresh_token, None).await.unwrap_err();
    assert_eq!(err, RefreshError::UserRefused);
    assert!(err.is_invalid_grant());
    assert_eq!(err.code(), "user_refused");
    assert_eq!(fx.sink.count(EventKind::TokenRevoked), 1);
    // The family is gone: its access token and any refresh are refused, even
    // if the user came back.
    assert_eq!(
        verifier.verify(&pair.access_token).await.unwrap_err(),
        AuthError::Revoked
    );
    dir.set("bob", Some(bob_editor()));
    assert_eq!(
        m.refresh(&pair.refresh_token, None).await.unwrap_err(),
        RefreshError::FamilyRevoked
    );
    // Another user's session is untouched (carol is not in the directory,
    // but she has not refreshed yet).
    assert!(verifier.verify(&kept.access_token).await.is_ok());
}

#[tokio::test]
async fn a_directory_outage_is_unavailable_and_does_not_consume_the_token() {
    let fx = es256();
    let dir = Directory::default();
    dir.set("bob", Some(bob_editor()));
    let (b, _) = builder(fx.store.clone(), &fx.clock, &fx);
    let m = b.revalidate(dir.hook()).build().unwrap();
    let pair = m.issue_pair(&TokenRequest::new("bob")).await.unwrap();
    dir.down.store(true, Ordering::SeqCst);
    let err = m.refresh(&pair.refresh_token, None).await.unwrap_err();
    assert!(matches!(err, RefreshError::Unavailable(_)), "{err:?}");
    assert!(!err.is_invalid_grant());
    assert_eq!(fx.sink.count(EventKind::StoreFailure), 1);
    dir.down.store(false, Ordering::SeqCst);
    assert!(
        m.refresh(&pair.refresh_token, None).await.is_ok(),
        "the outage consumed the refresh token"
    );
}

#[tokio::test]
async fn jwt_config_refuses_refresh_until_a_revalidation_is_chosen() {
    let config = JwtConfig {
        issuer: Some(ISS.into()),
        ..JwtConfig::default()
    };
    let auth = config.build().unwrap();
    let pair = auth
        .tokens()
        .issue_pair(&TokenRequest::new("bob"))
        .await
        .unwrap();
    let err = auth
        .tokens()
        .refresh(&pair.refresh_token, None)
        .await
        .unwrap_err();
    assert_eq!(err, RefreshError::RevalidationUnset);
    assert!(!err.is_invalid_grant());

    let dir = Directory::default();
    dir.set("bob", Some(bob_editor()));
    let auth = config
        .build_with(JwtRuntime::default().revalidate(dir.hook()))
        .unwrap();
    let pair = auth
        .tokens()
        .issue_pair(&TokenRequest::new("bob").roles(["admin"]))
        .await
        .unwrap();
    let next = auth
        .tokens()
        .refresh(&pair.refresh_token, None)
        .await
        .unwrap();
    let p = auth
        .verifier()
        .verify(&next.access_token)
        .await
        .unwrap()
        .to_principal();
    assert!(p.has_role("editor") && !p.has_role("admin"));

    let auth = config
        .build_with(JwtRuntime::default().insecure_skip_revalidation())
        .unwrap();
    let pair = auth
        .tokens()
        .issue_pair(&TokenRequest::new("bob"))
        .await
        .unwrap();
    assert!(
        auth.tokens()
            .refresh(&pair.refresh_token, None)
            .await
            .is_ok()
    );
}

#[test]
fn jwt_config_family_lifetime_is_validated() {
    let config: JwtConfig = toml::from_str("refresh_family_lifetime_secs = 10").unwrap();
    assert!(matches!(
        config.build().unwrap_err(),
        ConfigError::Invalid {
            name: "family_lifetime",
            ..
        }
    ));
    assert_eq!(JwtConfig::default().refresh_family_lifetime_secs, 30 * DAY);
}

// ---- absolute lifetime ----------------------------------------------------

/// Runs `suite` against a memory store and, when available, Redis (a single
/// node and a cluster); the Redis
/// run also hands over a connection and the key prefix to inspect TTLs.
macro_rules! both_stores {
    ($($name:ident => $suite:ident;)*) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                let clock = ManualClock::at_unix(NOW);
                let store = Arc::new(MemoryStore::new(clock.shared()));
                $suite(store, clock, None).await;
            }

            redis_and_cluster!($name);

            #[cfg(feature = "redis")]
            async fn on_redis(url: String) {
                let clock = ManualClock::at_unix(NOW);
                let prefix = format!("rampart-test:{}:{}", stringify!($name), uuid::Uuid::new_v4().simple());
                let store = rampart_auth::revocation::RedisStore::connect(&url, &prefix)
                    .await
                    .expect("Redis is configured but cannot be reached")
                    .with_clock(clock.shared());
                let probe = RedisProbe { url, prefix };
                $suite(Arc::new(store), clock, Some(probe)).await;
            }
        }
    )*};
}

both_stores! {
    family_deadline_caps_rotation => family_deadline_suite;
    manager_family_ends_at_its_absolute_lifetime => manager_lifetime_suite;
}

/// Reads the remaining TTL of a family key in Redis.
struct RedisProbe {
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    url: String,
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    prefix: String,
}

impl RedisProbe {
    #[cfg(feature = "redis")]
    async fn family_ttl(&self, subject: &str, family: &str) -> i64 {
        let mut conn = rampart_core::redis::RedisConnection::connect(&self.url)
            .await
            .unwrap();
        let key = format!(
            "{}:{{{}}}:fam:{family}",
            self.prefix,
            b64(subject.as_bytes())
        );
        redis::cmd("TTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    #[cfg(not(feature = "redis"))]
    async fn family_ttl(&self, _: &str, _: &str) -> i64 {
        unreachable!("only built with the redis feature")
    }
}

fn rotation<'a>(
    family: &'a str,
    presented: &'a str,
    next: &'a str,
    now: u64,
    until: u64,
) -> Rotation<'a> {
    Rotation {
        family,
        subject: "alice",
        presented,
        next,
        device: None,
        now,
        grace_secs: 10,
        until,
    }
}

async fn family_deadline_suite<S: FamilyStore>(
    store: Arc<S>,
    clock: ManualClock,
    redis: Option<RedisProbe>,
) {
    let deadline = NOW + 5000;
    for family in ["rotated", "grace"] {
        store
            .create_family(&NewFamily {
                family: family.into(),
                subject: "alice".into(),
                current: "r1".into(),
                device: None,
                until: NOW + 3600,
                deadline,
            })
            .await
            .unwrap();
    }
    clock.set_unix(NOW + 3000);
    // A plain rotation asks for an hour more than the deadline allows.
    assert_eq!(
        store
            .rotate(rotation("rotated", "r1", "r2", NOW + 3000, NOW + 6600))
            .await
            .unwrap(),
        RotationOutcome::Rotated
    );
    // A rotation inside the deadline, then a concurrent sibling (grace
    // window) asking for far more.
    assert_eq!(
        store
            .rotate(rotation("grace", "r1", "r2", NOW + 3000, NOW + 4000))
            .await
            .unwrap(),
        RotationOutcome::Rotated
    );
    assert_eq!(
        store
            .rotate(rotation("grace", "r1", "r2b", NOW + 3005, NOW + 9000))
            .await
            .unwrap(),
        RotationOutcome::Grace
    );
    if let Some(probe) = &redis {
        // The keys must not outlive the deadline (2000 s away, +1 s slack).
        for family in ["rotated", "grace"] {
            let ttl = probe.family_ttl("alice", family).await;
            assert!(
                (1..=2001).contains(&ttl),
                "{family}: family TTL {ttl}s runs past the deadline"
            );
        }
    }
    // A family whose first refresh token outlives the deadline ends at the deadline.
    store
        .create_family(&NewFamily {
            family: "short".into(),
            subject: "alice".into(),
            current: "r1".into(),
            device: None,
            until: deadline + 3600,
            deadline,
        })
        .await
        .unwrap();
    if let Some(probe) = &redis {
        let ttl = probe.family_ttl("alice", "short").await;
        assert!(
            (1..=2001).contains(&ttl),
            "short: TTL {ttl}s past the deadline"
        );
    }
    // At the deadline every family is over, whatever the rotations asked.
    clock.set_unix(deadline);
    assert_eq!(
        store
            .rotate(rotation("rotated", "r2", "r3", deadline, deadline + 3600))
            .await
            .unwrap(),
        RotationOutcome::Revoked
    );
    assert_eq!(
        store
            .rotate(rotation("grace", "r2b", "r3", deadline, deadline + 3600))
            .await
            .unwrap(),
        RotationOutcome::Revoked
    );
    assert_eq!(
        store
            .rotate(rotation("short", "r1", "r2", deadline, deadline + 3600))
            .await
            .unwrap(),
        RotationOutcome::Revoked
    );
}

async fn manager_lifetime_suite<S: RevocationStore + FamilyStore>(
    store: Arc<S>,
    clock: ManualClock,
    _: Option<RedisProbe>,
) {
    let fx = es256();
    let (b, _) = builder(store, &clock, &fx);
    let m = b
        .insecure_skip_revalidation()
        .family_lifetime(Duration::from_secs(3 * DAY))
        .build()
        .unwrap();
    let mut pair = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    // Refresh well inside each token's one-day life, for almost three days.
    for _ in 0..3 {
        clock.advance(Duration::from_secs(20 * 3600));
        pair = m.refresh(&pair.refresh_token, None).await.unwrap();
    }
    // 60 h in, the last refresh token has 20 h left on its own clock, but the
    // family has only 12 h: at 72 h it is over.
    clock.advance(Duration::from_secs(12 * 3600));
    assert_eq!(
        m.refresh(&pair.refresh_token, None).await.unwrap_err(),
        RefreshError::FamilyRevoked
    );
}

#[tokio::test]
async fn the_default_family_lifetime_is_thirty_days() {
    let fx = es256();
    let (b, _) = builder(fx.store.clone(), &fx.clock, &fx);
    let m = b.insecure_skip_revalidation().build().unwrap();
    let mut pair = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    for _ in 0..29 {
        fx.clock.advance(Duration::from_secs(DAY - 60));
        pair = m.refresh(&pair.refresh_token, None).await.unwrap();
    }
    // 29 days minus 29 minutes in: one more refresh, then the 30 days are up.
    fx.clock.advance(Duration::from_secs(DAY - 60));
    pair = m.refresh(&pair.refresh_token, None).await.unwrap();
    fx.clock.advance(Duration::from_secs(60 * 60));
    assert_eq!(
        m.refresh(&pair.refresh_token, None).await.unwrap_err(),
        RefreshError::FamilyRevoked
    );
}

// ---- store outage ---------------------------------------------------------

/// A memory store that fails every call while `down` is set, and every
/// revocation (write) while `writes_down` is set.
#[derive(Clone)]
struct Flaky {
    store: MemoryStore,
    down: Arc<AtomicBool>,
    writes_down: Arc<AtomicBool>,
}

impl Flaky {
    fn new(clock: &ManualClock) -> Arc<Self> {
        Arc::new(Self {
            store: MemoryStore::new(clock.shared()),
            down: Arc::default(),
            writes_down: Arc::default(),
        })
    }

    fn fail<'a, T: Send + 'a>(&self) -> Option<StoreFuture<'a, T>> {
        self.down
            .load(Ordering::SeqCst)
            .then(|| -> StoreFuture<'a, T> {
                Box::pin(async { Err(StoreError("connection refused".into())) })
            })
    }

    fn fail_write<'a>(&self) -> Option<StoreFuture<'a, ()>> {
        if self.writes_down.load(Ordering::SeqCst) {
            return Some(Box::pin(async {
                Err(StoreError("read-only replica".into()))
            }));
        }
        self.fail()
    }
}

impl RevocationStore for Flaky {
    fn revoke_token<'a>(&'a self, s: &'a str, j: &'a str, u: u64) -> StoreFuture<'a, ()> {
        self.fail()
            .unwrap_or_else(|| self.store.revoke_token(s, j, u))
    }
    fn revoke_family<'a>(&'a self, s: &'a str, f: &'a str, u: u64) -> StoreFuture<'a, ()> {
        self.fail_write()
            .unwrap_or_else(|| self.store.revoke_family(s, f, u))
    }
    fn revoke_subject<'a>(&'a self, s: &'a str, b: u64, u: u64) -> StoreFuture<'a, ()> {
        self.fail()
            .unwrap_or_else(|| self.store.revoke_subject(s, b, u))
    }
    fn check<'a>(&'a self, t: TokenRef<'a>, now: u64) -> StoreFuture<'a, Option<Revoked>> {
        self.fail().unwrap_or_else(|| self.store.check(t, now))
    }
}

impl FamilyStore for Flaky {
    fn create_family<'a>(&'a self, f: &'a NewFamily) -> StoreFuture<'a, ()> {
        self.fail().unwrap_or_else(|| self.store.create_family(f))
    }
    fn rotate<'a>(&'a self, r: Rotation<'a>) -> StoreFuture<'a, RotationOutcome> {
        self.fail().unwrap_or_else(|| self.store.rotate(r))
    }
    fn end_family<'a>(&'a self, s: &'a str, f: &'a str, u: u64) -> StoreFuture<'a, ()> {
        self.fail()
            .unwrap_or_else(|| self.store.end_family(s, f, u))
    }
}

#[tokio::test]
async fn a_store_outage_is_unavailable_not_an_invalid_token() {
    let fx = es256();
    let flaky = Flaky::new(&fx.clock);
    let (b, _) = builder(flaky.clone(), &fx.clock, &fx);
    let m = b.insecure_skip_revalidation().build().unwrap();
    let pair = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    flaky.down.store(true, Ordering::SeqCst);
    let err = m.refresh(&pair.refresh_token, None).await.unwrap_err();
    assert!(matches!(err, RefreshError::Unavailable(_)), "{err:?}");
    assert!(!err.is_invalid_grant());
    assert_eq!(err.code(), "store_unavailable");
    // The message says what happened without any token in it.
    assert!(!err.to_string().contains(&pair.refresh_token));
    assert!(fx.sink.count(EventKind::StoreFailure) >= 1);
    // Once the store is back, the very same refresh token works.
    flaky.down.store(false, Ordering::SeqCst);
    assert!(m.refresh(&pair.refresh_token, None).await.is_ok());
}

#[tokio::test]
async fn a_family_store_outage_alone_is_unavailable_too() {
    let fx = es256();
    let families = Flaky::new(&fx.clock);
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .revocation(fx.store.clone())
        .clock(fx.clock.shared())
        .event_sink(Arc::new(fx.sink.clone()))
        .build()
        .unwrap();
    let m = TokenManager::builder(fx.issuer.clone(), verifier, families.clone())
        .insecure_skip_revalidation()
        .build()
        .unwrap();
    let pair = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    families.down.store(true, Ordering::SeqCst);
    let err = m.refresh(&pair.refresh_token, None).await.unwrap_err();
    assert!(matches!(err, RefreshError::Unavailable(_)), "{err:?}");
    assert_eq!(fx.sink.count(EventKind::StoreFailure), 1);
    families.down.store(false, Ordering::SeqCst);
    assert!(m.refresh(&pair.refresh_token, None).await.is_ok());
}

#[tokio::test]
async fn a_refused_user_whose_family_cannot_be_revoked_is_unavailable_then_refused() {
    let fx = es256();
    let flaky = Flaky::new(&fx.clock);
    let dir = Directory::default();
    let (b, _) = builder(flaky.clone(), &fx.clock, &fx);
    let m = b.revalidate(dir.hook()).build().unwrap();
    let pair = m.issue_pair(&TokenRequest::new("bob")).await.unwrap();
    flaky.writes_down.store(true, Ordering::SeqCst);
    // bob is not in the directory, but the revocation cannot be recorded:
    // the refresh must not pretend it was, and must not issue a pair.
    let err = m.refresh(&pair.refresh_token, None).await.unwrap_err();
    assert!(matches!(err, RefreshError::Unavailable(_)), "{err:?}");
    assert_eq!(fx.sink.count(EventKind::StoreFailure), 1);
    assert_eq!(fx.sink.count(EventKind::TokenRevoked), 0);
    flaky.writes_down.store(false, Ordering::SeqCst);
    assert_eq!(
        m.refresh(&pair.refresh_token, None).await.unwrap_err(),
        RefreshError::UserRefused
    );
    assert_eq!(fx.sink.count(EventKind::TokenRevoked), 1);
}

#[tokio::test]
async fn reuse_whose_family_cannot_be_revoked_is_unavailable() {
    let fx = es256();
    let flaky = Flaky::new(&fx.clock);
    let (b, verifier) = builder(flaky.clone(), &fx.clock, &fx);
    let m = b.insecure_skip_revalidation().build().unwrap();
    let first = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    let second = m.refresh(&first.refresh_token, None).await.unwrap();
    flaky.writes_down.store(true, Ordering::SeqCst);
    let err = m.refresh(&first.refresh_token, None).await.unwrap_err();
    assert!(matches!(err, RefreshError::Unavailable(_)), "{err:?}");
    assert_eq!(fx.sink.count(EventKind::RefreshTokenReused), 1);
    assert_eq!(fx.sink.count(EventKind::StoreFailure), 1);
    // The family store ended the family all the same: nothing rotates again.
    flaky.writes_down.store(false, Ordering::SeqCst);
    assert_eq!(
        m.refresh(&second.refresh_token, None).await.unwrap_err(),
        RefreshError::FamilyRevoked
    );
    assert!(
        verifier.verify(&second.access_token).await.is_ok(),
        "the revocation failed, so the access token lives until it expires"
    );
}

/// A family written before deadlines existed (no `max` field) ends when its
/// current refresh token expires: rotation cannot extend it.
#[cfg(feature = "redis")]
mod a_redis_family_from_before_deadlines_is_not_extended {
    use super::*;

    redis_and_cluster!(a_redis_family_from_before_deadlines_is_not_extended);

    async fn on_redis(url: String) {
        let clock = ManualClock::at_unix(NOW);
        let prefix = format!("rampart-test:legacy:{}", uuid::Uuid::new_v4().simple());
        let store = rampart_auth::revocation::RedisStore::connect(&url, &prefix)
            .await
            .unwrap()
            .with_clock(clock.shared());
        let mut conn = rampart_core::redis::RedisConnection::connect(&url)
            .await
            .unwrap();
        let key = format!("{prefix}:{{{}}}:fam:fam", b64(b"alice"));
        redis::cmd("HSET")
            .arg(&key)
            .arg(&["cur", "r1", "prev", "", "at", "0", "dev", "", "ended", "0"])
            .arg("until")
            .arg(NOW + 3600)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        clock.set_unix(NOW + 10);
        assert_eq!(
            store
                .rotate(rotation("fam", "r1", "r2", NOW + 10, NOW + 10 + DAY))
                .await
                .unwrap(),
            RotationOutcome::Rotated
        );
        let ttl: i64 = redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            (1..=3591).contains(&ttl),
            "legacy family extended to {ttl}s"
        );
        assert_eq!(
            store
                .rotate(rotation("fam", "r2", "r3", NOW + 3600, NOW + 3600 + DAY))
                .await
                .unwrap(),
            RotationOutcome::Revoked
        );
    }
}
