//! Revocation and refresh families, against memory and real Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::revocation::{
    FamilyStore, NewFamily, RevocationStore, Revoked, Rotation, RotationOutcome, TokenRef,
};
use rampart_auth::{AuthError, JwtVerifier, MemoryStore, RefreshError, TokenManager, TokenRequest};
use rampart_core::{EventKind, ManualClock};
use std::sync::Arc;
use std::time::Duration;

/// Runs `suite` against a memory store and, when available, Redis: a single
/// node and a cluster.
macro_rules! both_stores {
    ($($name:ident => $suite:ident;)*) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                let clock = ManualClock::at_unix(NOW);
                let store = Arc::new(MemoryStore::new(clock.shared()));
                $suite(store, clock).await;
            }

            #[cfg(feature = "redis")]
            async fn on_redis(url: String) {
                let clock = ManualClock::at_unix(NOW);
                let prefix = format!("rampart-test:{}:{}", stringify!($name), uuid::Uuid::new_v4().simple());
                let store = rampart_auth::revocation::RedisStore::connect(&url, &prefix)
                    .await
                    .expect("Redis is configured but cannot be reached")
                    .with_clock(clock.shared());
                $suite(Arc::new(store), clock).await;
            }

            redis_and_cluster!($name);
        }
    )*};
}

both_stores! {
    revoked_jti => revoked_jti_suite;
    revoked_family => revoked_family_suite;
    logout_everywhere => logout_everywhere_suite;
    rotation => rotation_suite;
    grace_window => grace_window_suite;
    device_binding => device_binding_suite;
    manager_reuse_revokes_family => manager_reuse_suite;
    manager_logout => manager_logout_suite;
    empty_jti_refused => empty_jti_suite;
    jtiless_logout => jtiless_logout_suite;
    malformed_presented_id => malformed_presented_id_suite;
}

fn token<'a>(jti: &'a str, family: Option<&'a str>, iat: u64) -> TokenRef<'a> {
    TokenRef {
        subject: "alice",
        jti: Some(jti),
        family,
        issued_at: iat,
    }
}

async fn revoked_jti_suite<S: RevocationStore>(store: Arc<S>, clock: ManualClock) {
    assert_eq!(
        store.check(token("j1", None, NOW), NOW).await.unwrap(),
        None
    );
    store.revoke_token("alice", "j1", NOW + 600).await.unwrap();
    assert_eq!(
        store.check(token("j1", None, NOW), NOW).await.unwrap(),
        Some(Revoked::Token)
    );
    assert_eq!(
        store.check(token("j2", None, NOW), NOW).await.unwrap(),
        None
    );
    // A jti is unique per issuer only: bob's token that happens to share it
    // (another provider's) is not alice's revoked token, in any store.
    let bobs = TokenRef {
        subject: "bob",
        ..token("j1", None, NOW)
    };
    assert_eq!(store.check(bobs, NOW).await.unwrap(), None);
    let colliding = TokenRef {
        subject: "alic",
        ..token("ej1", None, NOW)
    };
    assert_eq!(store.check(colliding, NOW).await.unwrap(), None);
    // Once the token would have expired anyway, the entry no longer applies.
    clock.advance(Duration::from_secs(601));
    assert_eq!(
        store
            .check(token("j1", None, NOW), NOW + 601)
            .await
            .unwrap(),
        None
    );
}

async fn revoked_family_suite<S: RevocationStore>(store: Arc<S>, _clock: ManualClock) {
    store
        .revoke_family("alice", "fam-1", NOW + 600)
        .await
        .unwrap();
    assert_eq!(
        store
            .check(token("j1", Some("fam-1"), NOW), NOW)
            .await
            .unwrap(),
        Some(Revoked::Family)
    );
    assert_eq!(
        store
            .check(token("j2", Some("fam-2"), NOW), NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.check(token("j3", None, NOW), NOW).await.unwrap(),
        None
    );
}

async fn logout_everywhere_suite<S: RevocationStore>(store: Arc<S>, _clock: ManualClock) {
    store
        .revoke_subject("alice", NOW, NOW + 3600)
        .await
        .unwrap();
    assert_eq!(
        store
            .check(token("old", None, NOW - 100), NOW)
            .await
            .unwrap(),
        Some(Revoked::Subject)
    );
    assert_eq!(
        store
            .check(token("same-second", None, NOW), NOW)
            .await
            .unwrap(),
        Some(Revoked::Subject)
    );
    assert_eq!(
        store
            .check(token("new", None, NOW + 1), NOW + 1)
            .await
            .unwrap(),
        None
    );
    // An earlier cut-off never undoes a later one.
    store
        .revoke_subject("alice", NOW - 500, NOW + 3600)
        .await
        .unwrap();
    assert_eq!(
        store
            .check(token("old", None, NOW - 100), NOW)
            .await
            .unwrap(),
        Some(Revoked::Subject)
    );
    let bob = TokenRef {
        subject: "bob",
        jti: Some("b"),
        family: None,
        issued_at: NOW - 100,
    };
    assert_eq!(store.check(bob, NOW).await.unwrap(), None);
}

fn jtiless<'a>(subject: &'a str, family: Option<&'a str>, iat: u64) -> TokenRef<'a> {
    TokenRef {
        subject,
        jti: None,
        family,
        issued_at: iat,
    }
}

/// An empty jti names no token but every token without one: the store refuses
/// to record it, and a jti-less token never matches a revoked-token entry.
async fn empty_jti_suite<S: RevocationStore>(store: Arc<S>, _clock: ManualClock) {
    let err = store
        .revoke_token("alice", "", NOW + 600)
        .await
        .unwrap_err();
    assert!(err.0.contains("empty jti"), "{err}");
    assert_eq!(
        store.check(jtiless("alice", None, NOW), NOW).await.unwrap(),
        None
    );
    // Nor does an empty jti written as `Some("")`.
    assert_eq!(store.check(token("", None, NOW), NOW).await.unwrap(), None);
    // Revoking a real jti leaves jti-less tokens alone.
    store.revoke_token("alice", "j1", NOW + 600).await.unwrap();
    assert_eq!(
        store.check(jtiless("alice", None, NOW), NOW).await.unwrap(),
        None
    );
    // Family and subject-wide revocations still reach jti-less tokens.
    store
        .revoke_family("alice", "fam-1", NOW + 600)
        .await
        .unwrap();
    assert_eq!(
        store
            .check(jtiless("alice", Some("fam-1"), NOW), NOW)
            .await
            .unwrap(),
        Some(Revoked::Family)
    );
    assert_eq!(
        store.check(jtiless("alice", None, NOW), NOW).await.unwrap(),
        None
    );
    store
        .revoke_subject("alice", NOW, NOW + 3600)
        .await
        .unwrap();
    assert_eq!(
        store.check(jtiless("alice", None, NOW), NOW).await.unwrap(),
        Some(Revoked::Subject)
    );
    assert_eq!(
        store.check(jtiless("bob", None, NOW), NOW).await.unwrap(),
        None
    );
}

/// Tokens from an external provider without `jti`: one session's logout does
/// not revoke the other's token; "log out everywhere" revokes both.
async fn jtiless_logout_suite<S: RevocationStore + FamilyStore>(store: Arc<S>, clock: ManualClock) {
    let fx = fixture();
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .revocation(store.clone())
        .insecure_allow_missing_claims([rampart_auth::RequiredClaim::Jti])
        .clock(clock.shared())
        .build()
        .unwrap();
    let m = TokenManager::builder(fx.issuer.clone(), verifier.clone(), store)
        .insecure_skip_revalidation()
        .build()
        .unwrap();
    let without_jti = |sid: Option<&str>| {
        let mut c = fx.claims();
        c.as_object_mut().unwrap().remove("jti");
        if let Some(sid) = sid {
            c["sid"] = sid.into();
        }
        fx.sign(&fx.header(), &c)
    };
    let a = without_jti(Some("sess-a"));
    let b = without_jti(None);
    let principal = verifier.verify(&a).await.unwrap().to_principal();
    assert_eq!(principal.token_id(), None);
    m.logout(&principal).await.unwrap();
    assert_eq!(verifier.verify(&a).await.unwrap_err(), AuthError::Revoked);
    assert!(verifier.verify(&b).await.is_ok());
    // A principal built elsewhere with an empty token id logs out its
    // session without revoking anything by jti.
    let hand_made = rampart_core::Principal::new("alice", rampart_core::AuthMethod::Jwt)
        .with_token_id("")
        .with_session_id("sess-c");
    m.logout(&hand_made).await.unwrap();
    assert!(verifier.verify(&b).await.is_ok());
    m.logout_everywhere("alice").await.unwrap();
    assert_eq!(verifier.verify(&b).await.unwrap_err(), AuthError::Revoked);
}

/// An entry under the empty jti written before empty ids were refused
/// must not revoke jti-less tokens.
#[cfg(feature = "redis")]
mod redis_ignores_a_legacy_empty_jti_entry {
    use super::*;

    redis_and_cluster!(redis_ignores_a_legacy_empty_jti_entry);

    async fn on_redis(url: String) {
        use base64::Engine;
        let prefix = format!("rampart-test:legacy:{}", uuid::Uuid::new_v4().simple());
        let clock = ManualClock::at_unix(NOW);
        let store = rampart_auth::revocation::RedisStore::connect(&url, &prefix)
            .await
            .unwrap()
            .with_clock(clock.shared());
        let subject = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("alice");
        let mut conn = rampart_core::redis::RedisConnection::connect(&url)
            .await
            .unwrap();
        redis::cmd("SET")
            .arg(format!("{prefix}:{{{subject}}}:t:"))
            .arg(NOW + 600)
            .arg("EX")
            .arg(600)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            store.check(jtiless("alice", None, NOW), NOW).await.unwrap(),
            None
        );
        assert_eq!(store.check(token("", None, NOW), NOW).await.unwrap(), None);
        // The key layout is the store's: a real jti written the same way is seen.
        redis::cmd("SET")
            .arg(format!("{prefix}:{{{subject}}}:t:j9"))
            .arg(NOW + 600)
            .arg("EX")
            .arg(600)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            store.check(token("j9", None, NOW), NOW).await.unwrap(),
            Some(Revoked::Token)
        );
    }
}

fn family(device: Option<&str>) -> NewFamily {
    NewFamily {
        family: "fam".into(),
        subject: "alice".into(),
        current: "r1".into(),
        device: device.map(Into::into),
        until: NOW + 3600,
        deadline: NOW + 30 * 86_400,
    }
}

fn rotation<'a>(presented: &'a str, next: &'a str, now: u64, grace: u64) -> Rotation<'a> {
    Rotation {
        family: "fam",
        subject: "alice",
        presented,
        next,
        device: None,
        now,
        grace_secs: grace,
        until: now + 3600,
    }
}

async fn rotation_suite<S: FamilyStore>(store: Arc<S>, _clock: ManualClock) {
    store.create_family(&family(None)).await.unwrap();
    assert_eq!(
        store.rotate(rotation("r1", "r2", NOW, 0)).await.unwrap(),
        RotationOutcome::Rotated
    );
    assert_eq!(
        store
            .rotate(rotation("r2", "r3", NOW + 1, 0))
            .await
            .unwrap(),
        RotationOutcome::Rotated
    );
    // r1 again: reuse, and the family is over for everyone.
    assert_eq!(
        store.rotate(rotation("r1", "x", NOW + 2, 0)).await.unwrap(),
        RotationOutcome::Reused
    );
    assert_eq!(
        store
            .rotate(rotation("r3", "r4", NOW + 3, 0))
            .await
            .unwrap(),
        RotationOutcome::Revoked
    );
    // Another subject cannot rotate someone's family.
    let mut other = rotation("r1", "y", NOW, 0);
    other.family = "unknown";
    assert_eq!(store.rotate(other).await.unwrap(), RotationOutcome::Revoked);
}

async fn grace_window_suite<S: FamilyStore>(store: Arc<S>, _clock: ManualClock) {
    store.create_family(&family(None)).await.unwrap();
    assert_eq!(
        store.rotate(rotation("r1", "r2", NOW, 10)).await.unwrap(),
        RotationOutcome::Rotated
    );
    // A concurrent refresh with r1 inside the window gets a sibling.
    assert_eq!(
        store
            .rotate(rotation("r1", "r2b", NOW + 5, 10))
            .await
            .unwrap(),
        RotationOutcome::Grace
    );
    assert_eq!(
        store
            .rotate(rotation("r2b", "r3", NOW + 6, 10))
            .await
            .unwrap(),
        RotationOutcome::Rotated
    );
    // Outside the window, r2 (now replaced) counts as reuse.
    assert_eq!(
        store
            .rotate(rotation("r2b", "z", NOW + 30, 10))
            .await
            .unwrap(),
        RotationOutcome::Reused
    );
}

async fn device_binding_suite<S: FamilyStore>(store: Arc<S>, _clock: ManualClock) {
    store.create_family(&family(Some("phone-1"))).await.unwrap();
    let mut r = rotation("r1", "r2", NOW, 0);
    assert_eq!(
        store.rotate(r).await.unwrap(),
        RotationOutcome::DeviceMismatch
    );
    r.device = Some("laptop-9");
    assert_eq!(
        store.rotate(r).await.unwrap(),
        RotationOutcome::DeviceMismatch
    );
    r.device = Some("phone-1");
    assert_eq!(store.rotate(r).await.unwrap(), RotationOutcome::Rotated);
}

fn manager<S: RevocationStore + FamilyStore>(
    store: Arc<S>,
    clock: &ManualClock,
    fx: &Fx,
) -> (TokenManager, JwtVerifier) {
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .revocation(store.clone())
        .clock(clock.shared())
        .event_sink(Arc::new(fx.sink.clone()))
        .build()
        .unwrap();
    let issuer = rampart_auth::JwtIssuer::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(clock.shared())
        .build()
        .unwrap();
    let m = TokenManager::builder(issuer, verifier.clone(), store)
        .insecure_skip_revalidation()
        .build()
        .unwrap();
    (m, verifier)
}

async fn manager_reuse_suite<S: RevocationStore + FamilyStore>(store: Arc<S>, clock: ManualClock) {
    let fx =
        fixture_with(rampart_auth::SigningKey::generate(rampart_auth::Algorithm::ES256).unwrap());
    let (m, verifier) = manager(store, &clock, &fx);
    let first = m
        .issue_pair(&TokenRequest::new("alice").tenant("acme"))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(1));
    let second = m.refresh(&first.refresh_token, None).await.unwrap();
    assert!(verifier.verify(&second.access_token).await.is_ok());
    // The first refresh token again: reuse.
    assert_eq!(
        m.refresh(&first.refresh_token, None).await.unwrap_err(),
        RefreshError::Reused
    );
    assert_eq!(fx.sink.count(EventKind::RefreshTokenReused), 1);
    // And then every other token of the family is dead too.
    assert_eq!(
        m.refresh(&second.refresh_token, None).await.unwrap_err(),
        RefreshError::FamilyRevoked
    );
    assert_eq!(
        verifier.verify(&second.access_token).await.unwrap_err(),
        AuthError::Revoked
    );
    assert_eq!(
        verifier.verify(&first.access_token).await.unwrap_err(),
        AuthError::Revoked
    );
    // Another sign-in is unaffected.
    let other = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    assert!(verifier.verify(&other.access_token).await.is_ok());
}

async fn manager_logout_suite<S: RevocationStore + FamilyStore>(store: Arc<S>, clock: ManualClock) {
    let fx =
        fixture_with(rampart_auth::SigningKey::generate(rampart_auth::Algorithm::EdDSA).unwrap());
    let (m, verifier) = manager(store, &clock, &fx);
    let a = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    let b = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    let claims = verifier.verify(&a.access_token).await.unwrap();
    m.logout(&claims.to_principal()).await.unwrap();
    assert_eq!(
        verifier.verify(&a.access_token).await.unwrap_err(),
        AuthError::Revoked
    );
    assert_eq!(
        m.refresh(&a.refresh_token, None).await.unwrap_err(),
        RefreshError::FamilyRevoked
    );
    assert!(verifier.verify(&b.access_token).await.is_ok());
    // Log out everywhere: b dies; a sign-in from the next second works.
    m.logout_everywhere("alice").await.unwrap();
    assert_eq!(
        verifier.verify(&b.access_token).await.unwrap_err(),
        AuthError::Revoked
    );
    assert_eq!(
        m.refresh(&b.refresh_token, None).await.unwrap_err(),
        RefreshError::FamilyRevoked
    );
    clock.advance(Duration::from_secs(1));
    let c = m.issue_pair(&TokenRequest::new("alice")).await.unwrap();
    assert!(verifier.verify(&c.access_token).await.is_ok());
}

/// A store that always fails, to exercise the fail mode.
struct Broken;

impl RevocationStore for Broken {
    fn revoke_token<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: u64,
    ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
        Box::pin(async { Err(rampart_auth::StoreError("down".into())) })
    }
    fn revoke_family<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: u64,
    ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
        Box::pin(async { Err(rampart_auth::StoreError("down".into())) })
    }
    fn revoke_subject<'a>(
        &'a self,
        _: &'a str,
        _: u64,
        _: u64,
    ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
        Box::pin(async { Err(rampart_auth::StoreError("down".into())) })
    }
    fn check<'a>(
        &'a self,
        _: TokenRef<'a>,
        _: u64,
    ) -> rampart_auth::revocation::StoreFuture<'a, Option<Revoked>> {
        Box::pin(async { Err(rampart_auth::StoreError("down".into())) })
    }
}

#[tokio::test]
async fn store_failure_fails_closed_by_default_and_raises_an_event() {
    let fx = fixture();
    let token = fx
        .issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    let closed = JwtVerifier::builder(fx.keys.clone())
        .revocation(Arc::new(Broken))
        .clock(fx.clock.shared())
        .event_sink(Arc::new(fx.sink.clone()))
        .build()
        .unwrap();
    assert_eq!(
        closed.verify(&token).await.unwrap_err(),
        AuthError::StoreUnavailable
    );
    assert_eq!(fx.sink.count(EventKind::StoreFailure), 1);
    let open = JwtVerifier::builder(fx.keys.clone())
        .revocation(Arc::new(Broken))
        .insecure_fail_open()
        .clock(fx.clock.shared())
        .event_sink(Arc::new(fx.sink.clone()))
        .build()
        .unwrap();
    assert!(open.verify(&token).await.is_ok());
    assert_eq!(fx.sink.count(EventKind::StoreFailure), 2);
}

#[tokio::test]
async fn refresh_rejects_access_tokens_and_device_mismatch() {
    let fx = fixture();
    let m = fx.manager();
    let pair = m
        .issue_pair(&TokenRequest::new("alice").device("phone-1"))
        .await
        .unwrap();
    assert_eq!(
        m.refresh(&pair.access_token, Some("phone-1"))
            .await
            .unwrap_err(),
        RefreshError::Invalid(AuthError::WrongType)
    );
    assert_eq!(
        m.refresh(&pair.refresh_token, Some("laptop"))
            .await
            .unwrap_err(),
        RefreshError::DeviceMismatch
    );
    assert!(
        m.refresh(&pair.refresh_token, Some("phone-1"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn refresh_carries_subject_tenant_roles_and_custom_claims() {
    #[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
    struct Extra {
        email: String,
    }
    let fx = fixture();
    let m = fx.manager();
    let extra = Extra {
        email: "a@example.com".into(),
    };
    let pair = m
        .issue_pair_with(
            &TokenRequest::new("alice").tenant("acme").roles(["admin"]),
            &extra,
        )
        .await
        .unwrap();
    assert_eq!(pair.token_type, "Bearer");
    assert_eq!(pair.expires_in, 600);
    fx.clock.advance(Duration::from_secs(700));
    let next = m.refresh(&pair.refresh_token, None).await.unwrap();
    let claims = fx
        .verifier
        .verify_with::<Extra>(&next.access_token)
        .await
        .unwrap();
    assert_eq!(claims.custom, extra);
    let p = claims.to_principal();
    assert_eq!((p.subject(), p.tenant()), ("alice", Some("acme")));
    assert!(p.has_role("admin"));
    assert!(p.session_id().is_some());
    // The pair never shows its tokens in Debug output.
    assert!(!format!("{next:?}").contains(&next.access_token));
}

/// Every Redis record lives exactly as long as what it revokes (its TTL
/// counted from the store's clock, plus one second), so Redis forgets it
/// neither early nor late; on a single node and a cluster.
#[cfg(feature = "redis")]
mod redis_keys_expire_with_what_they_revoke {
    use super::*;
    use rampart_auth::revocation::RedisStore;
    use rampart_core::redis::RedisConnection;

    redis_and_cluster!(redis_keys_expire_with_what_they_revoke);

    async fn ttl(conn: &mut RedisConnection, key: &str) -> i64 {
        redis::cmd("TTL").arg(key).query_async(conn).await.unwrap()
    }

    async fn on_redis(url: String) {
        let clock = ManualClock::at_unix(NOW);
        let prefix = format!("rampart-test:ttl:{}", uuid::Uuid::new_v4().simple());
        let store = RedisStore::connect(&url, &prefix)
            .await
            .unwrap()
            .with_clock(clock.shared());
        let debug = format!("{store:?}");
        assert!(
            debug.starts_with("RedisStore") && debug.contains(&prefix),
            "{debug}"
        );
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        let key = |kind: &str, id: &str| format!("{prefix}:{{{}}}:{kind}:{id}", b64(b"alice"));
        // The store's clock, not the token's issue time, starts the count.
        clock.set_unix(NOW + 100);
        store.revoke_token("alice", "j1", NOW + 700).await.unwrap();
        store
            .revoke_family("alice", "fam-1", NOW + 1000)
            .await
            .unwrap();
        store
            .revoke_subject("alice", NOW, NOW + 3700)
            .await
            .unwrap();
        store
            .create_family(&NewFamily {
                family: "fam-2".into(),
                subject: "alice".into(),
                current: "r1".into(),
                device: None,
                until: NOW + 7300,
                deadline: NOW + 86_500,
            })
            .await
            .unwrap();
        for (kind, id, expected) in [
            ("t", "j1", 601),
            ("f", "fam-1", 901),
            ("s", "", 3601),
            ("fam", "fam-2", 7201),
            ("fams", "", 86_401),
        ] {
            let left = ttl(&mut conn, &key(kind, id)).await;
            assert!(
                (expected - 2..=expected).contains(&left),
                "{kind}:{id} expires in {left}s, not {expected}s"
            );
        }
    }
}

/// A presented id that no jti can be (empty, or holding whitespace, which
/// separates the ids Redis stores) is refused without ending the family, by
/// every store alike.
async fn malformed_presented_id_suite<S: FamilyStore>(store: Arc<S>, _clock: ManualClock) {
    store.create_family(&family(None)).await.unwrap();
    for presented in ["", "r1 r2", "r1\tx", " r1", "r1\n"] {
        assert_eq!(
            store
                .rotate(rotation(presented, "x", NOW, 10))
                .await
                .unwrap(),
            RotationOutcome::Revoked,
            "{presented:?}"
        );
    }
    assert_eq!(
        store.rotate(rotation("r1", "r2", NOW, 10)).await.unwrap(),
        RotationOutcome::Rotated
    );
}

/// A script cache emptied between calls (a failover to a replica that never
/// loaded the scripts, `SCRIPT FLUSH`) changes no answer: each script is
/// sent with its body when its SHA is unknown.
#[cfg(feature = "redis")]
mod redis_revocations_survive_a_flushed_script_cache {
    use super::*;
    use rampart_auth::revocation::RedisStore;
    use rampart_core::redis::RedisConnection;

    redis_and_cluster!(redis_revocations_survive_a_flushed_script_cache);

    /// On a cluster the flush reaches every node.
    async fn flush(conn: &mut RedisConnection) {
        redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query_async::<()>(conn)
            .await
            .unwrap();
    }

    async fn on_redis(url: String) {
        let prefix = format!("rampart-test:noscript:{}", uuid::Uuid::new_v4().simple());
        let store = RedisStore::connect(&url, &prefix)
            .await
            .unwrap()
            .with_clock(ManualClock::at_unix(NOW).shared());
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        flush(&mut conn).await;
        store.revoke_token("alice", "j1", NOW + 600).await.unwrap();
        flush(&mut conn).await;
        assert_eq!(
            store.check(token("j1", None, NOW), NOW).await.unwrap(),
            Some(Revoked::Token)
        );
        flush(&mut conn).await;
        store
            .revoke_family("alice", "fam-1", NOW + 600)
            .await
            .unwrap();
        flush(&mut conn).await;
        assert_eq!(
            store
                .check(token("j2", Some("fam-1"), NOW), NOW)
                .await
                .unwrap(),
            Some(Revoked::Family)
        );
        flush(&mut conn).await;
        assert_eq!(
            store.check(token("j3", None, NOW), NOW).await.unwrap(),
            None
        );
        flush(&mut conn).await;
        store
            .revoke_subject("alice", NOW, NOW + 3600)
            .await
            .unwrap();
        flush(&mut conn).await;
        assert_eq!(
            store.check(token("j3", None, NOW - 10), NOW).await.unwrap(),
            Some(Revoked::Subject)
        );
    }
}
