//! A subject's refresh families, listed with their devices and ended one or
//! all at a time, over each store: nothing of another subject can be listed
//! or ended, and an ended family's tokens stop working at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::revocation::{FamilyClient, FamilyStore, RevocationStore};
use rampart_auth::{
    JwtIssuer, JwtVerifier, MemoryStore, RefreshError, TokenManager, TokenPair, TokenRequest,
};
use rampart_core::{ManualClock, MemorySink};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

struct Setup {
    tokens: TokenManager,
    verifier: JwtVerifier,
    clock: ManualClock,
}

fn setup<S: RevocationStore + FamilyStore>(store: Arc<S>, clock: ManualClock) -> Setup {
    let fx = fixture();
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .revocation(store.clone())
        .clock(clock.shared())
        .event_sink(Arc::new(MemorySink::new()))
        .build()
        .unwrap();
    let issuer = JwtIssuer::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .refresh_ttl(Duration::from_secs(86_400))
        .clock(clock.shared())
        .build()
        .unwrap();
    let tokens = TokenManager::builder(issuer, verifier.clone(), store)
        .insecure_skip_revalidation()
        .build()
        .unwrap();
    Setup {
        tokens,
        verifier,
        clock,
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

async fn sign_in(s: &Setup, subject: &str, ua: &str, addr: &str) -> TokenPair {
    let client = FamilyClient::new().user_agent(ua).ip(ip(addr));
    s.tokens
        .issue_pair(&TokenRequest::new(subject).client(client))
        .await
        .unwrap()
}

async fn family_of(s: &Setup, pair: &TokenPair) -> String {
    let principal = s
        .verifier
        .verify(&pair.access_token)
        .await
        .unwrap()
        .to_principal();
    principal.session_id().unwrap().to_owned()
}

/// Runs `suite` against a memory store and, when available, Redis: a single
/// node and a cluster.
macro_rules! both_stores {
    ($($name:ident => $suite:ident;)*) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                let clock = ManualClock::at_unix(NOW);
                $suite(setup(Arc::new(MemoryStore::new(clock.shared())), clock)).await;
            }

            redis_and_cluster!($name);

            #[cfg(feature = "redis")]
            async fn on_redis(url: String) {
                let clock = ManualClock::at_unix(NOW);
                let prefix = format!("rampart-test:families:{}:{}", stringify!($name), uuid::Uuid::new_v4().simple());
                let store = rampart_auth::revocation::RedisStore::connect(&url, &prefix)
                    .await
                    .expect("Redis is configured but cannot be reached")
                    .with_clock(clock.shared());
                $suite(setup(Arc::new(store), clock)).await;
            }
        }
    )*};
}

both_stores! {
    listing_shows_devices => listing_shows_devices;
    ending_one => ending_one;
    ending_all_but_one => ending_all_but_one;
    other_subjects_are_out_of_reach => other_subjects_are_out_of_reach;
    expired_and_reused_families_leave_the_list => expired_and_reused_families_leave_the_list;
}

async fn listing_shows_devices(s: Setup) {
    let laptop = sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    s.clock.advance(Duration::from_secs(60));
    let phone = sign_in(&s, "alice", "curl/8.5.0", "2001:db8::1").await;
    // A sign-in without client facts is listed too.
    s.clock.advance(Duration::from_secs(60));
    s.tokens
        .issue_pair(&TokenRequest::new("alice"))
        .await
        .unwrap();
    s.clock.advance(Duration::from_secs(60));
    s.tokens.refresh(&phone.refresh_token, None).await.unwrap();

    let list = s.tokens.list_families("alice").await.unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].family, family_of(&s, &laptop).await);
    assert_eq!(list[0].created, NOW);
    assert_eq!(list[0].last_rotated, None);
    assert_eq!(list[0].client.user_agent.as_deref(), Some(FIREFOX));
    assert_eq!(list[0].client.ip, Some(ip("203.0.113.7")));
    assert!(list[0].expires > NOW);
    assert_eq!(list[1].family, family_of(&s, &phone).await);
    assert_eq!(list[1].created, NOW + 60);
    assert_eq!(list[1].last_rotated, Some(NOW + 180));
    assert_eq!(list[1].client.ip, Some(ip("2001:db8::1")));
    assert_eq!(list[2].client, FamilyClient::new());
    assert!(s.tokens.list_families("nobody").await.unwrap().is_empty());
}

async fn ending_one(s: Setup) {
    let laptop = sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    let phone = sign_in(&s, "alice", "curl/8.5.0", "203.0.113.8").await;
    let laptop_family = family_of(&s, &laptop).await;
    assert!(s.tokens.end_family("alice", &laptop_family).await.unwrap());
    // Its access token is revoked at once, its refresh token is dead.
    assert!(s.verifier.verify(&laptop.access_token).await.is_err());
    assert!(matches!(
        s.tokens.refresh(&laptop.refresh_token, None).await,
        Err(RefreshError::Invalid(_) | RefreshError::FamilyRevoked)
    ));
    // The other device carries on.
    assert!(s.verifier.verify(&phone.access_token).await.is_ok());
    s.tokens.refresh(&phone.refresh_token, None).await.unwrap();
    let list = s.tokens.list_families("alice").await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].family, family_of(&s, &phone).await);
    // Ending it again finds nothing.
    assert!(!s.tokens.end_family("alice", &laptop_family).await.unwrap());
}

async fn ending_all_but_one(s: Setup) {
    let keep = sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    let others = [
        sign_in(&s, "alice", "curl/8.5.0", "203.0.113.8").await,
        sign_in(&s, "alice", "curl/8.5.0", "203.0.113.9").await,
    ];
    let kept = family_of(&s, &keep).await;
    assert_eq!(
        s.tokens.end_families("alice", Some(&kept)).await.unwrap(),
        2
    );
    for other in &others {
        assert!(s.verifier.verify(&other.access_token).await.is_err());
    }
    assert!(s.verifier.verify(&keep.access_token).await.is_ok());
    assert_eq!(s.tokens.list_families("alice").await.unwrap().len(), 1);
    // A sign-in after the call is untouched (unlike "log out everywhere").
    s.clock.advance(Duration::from_secs(1));
    let later = sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    assert!(s.verifier.verify(&later.access_token).await.is_ok());
    // None ends all.
    assert_eq!(s.tokens.end_families("alice", None).await.unwrap(), 2);
    assert!(s.tokens.list_families("alice").await.unwrap().is_empty());
    assert!(s.verifier.verify(&keep.access_token).await.is_err());
}

async fn other_subjects_are_out_of_reach(s: Setup) {
    let alice = sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    let bob = sign_in(&s, "bob", FIREFOX, "198.51.100.1").await;
    let alice_family = family_of(&s, &alice).await;
    let bob_family = family_of(&s, &bob).await;
    // Bob names Alice's family id: nothing ends, nothing of hers is listed.
    assert!(!s.tokens.end_family("bob", &alice_family).await.unwrap());
    assert_eq!(
        s.tokens
            .end_families("bob", Some(&bob_family))
            .await
            .unwrap(),
        0
    );
    let bobs = s.tokens.list_families("bob").await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].family, bob_family);
    assert!(s.verifier.verify(&alice.access_token).await.is_ok());
    s.tokens.refresh(&alice.refresh_token, None).await.unwrap();
    // A subject whose name extends another's shares nothing with it.
    sign_in(&s, "alice2", FIREFOX, "203.0.113.7").await;
    assert_eq!(s.tokens.list_families("alice").await.unwrap().len(), 1);
}

async fn expired_and_reused_families_leave_the_list(s: Setup) {
    let first = sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    let next = s.tokens.refresh(&first.refresh_token, None).await.unwrap();
    // Reuse of the first refresh token ends the family.
    assert!(matches!(
        s.tokens.refresh(&first.refresh_token, None).await,
        Err(RefreshError::Reused)
    ));
    drop(next);
    assert!(s.tokens.list_families("alice").await.unwrap().is_empty());
    sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    assert_eq!(s.tokens.list_families("alice").await.unwrap().len(), 1);
    // One day later its refresh token has expired.
    s.clock.advance(Duration::from_secs(86_400));
    assert!(s.tokens.list_families("alice").await.unwrap().is_empty());
}

/// A store that implements only the required methods cannot list: the
/// manager says so rather than answering an empty list.
#[tokio::test]
async fn a_store_that_cannot_list_says_so() {
    struct Minimal(MemoryStore);
    impl FamilyStore for Minimal {
        fn create_family<'a>(
            &'a self,
            f: &'a rampart_auth::revocation::NewFamily,
        ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
            self.0.create_family(f)
        }
        fn rotate<'a>(
            &'a self,
            r: rampart_auth::revocation::Rotation<'a>,
        ) -> rampart_auth::revocation::StoreFuture<'a, rampart_auth::revocation::RotationOutcome>
        {
            self.0.rotate(r)
        }
        fn end_family<'a>(
            &'a self,
            subject: &'a str,
            family: &'a str,
            until: u64,
        ) -> rampart_auth::revocation::StoreFuture<'a, ()> {
            self.0.end_family(subject, family, until)
        }
    }
    let fx = fixture();
    let tokens = TokenManager::builder(
        fx.issuer.clone(),
        fx.verifier.clone(),
        Arc::new(Minimal(MemoryStore::new(fx.clock.shared()))),
    )
    .insecure_skip_revalidation()
    .build()
    .unwrap();
    tokens
        .issue_pair(&TokenRequest::new("alice"))
        .await
        .unwrap();
    assert!(tokens.list_families("alice").await.is_err());
    assert!(tokens.end_family("alice", "x").await.is_err());
}

/// The store itself refuses to end a family under another subject's name,
/// whoever calls it.
#[tokio::test]
async fn the_memory_store_ends_a_family_only_for_its_subject() {
    let clock = ManualClock::at_unix(NOW);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let s = setup(store.clone(), clock);
    let alice = sign_in(&s, "alice", FIREFOX, "203.0.113.7").await;
    let family = family_of(&s, &alice).await;
    store
        .end_family("bob", &family, NOW + 86_400)
        .await
        .unwrap();
    s.tokens.refresh(&alice.refresh_token, None).await.unwrap();
    assert_eq!(s.tokens.list_families("alice").await.unwrap().len(), 1);
}
