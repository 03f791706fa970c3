//! Sessions against memory and real Redis: timeouts, fixation, limits,
//! binding, per-tenant policies, log out everywhere.
#![cfg(feature = "session")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::session::{
    ActiveSession, ClientInfo, LimitAction, Lookup, MemorySessionStore, SessionError,
    SessionManager, SessionPolicies, SessionPolicy, SharedSessionStore,
};
use rampart_auth::{AuthError, TokenRequest};
use rampart_core::{AuthMethod, EventKind, ManualClock, MemorySink, Principal};
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
                $suite(Arc::new(MemorySessionStore::new())).await;
            }

            #[cfg(feature = "redis")]
            async fn on_redis(url: String) {
                let prefix = format!("rampart-test:sessions:{}", uuid::Uuid::new_v4().simple());
                let store = rampart_auth::session::RedisSessionStore::connect(&url, &prefix)
                    .await
                    .expect("Redis is configured but cannot be reached");
                $suite(Arc::new(store)).await;
            }

            redis_and_cluster!($name);
        }
    )*};
}

both_stores! {
    idle_timeout => idle_suite;
    absolute_timeout => absolute_suite;
    login_rotates_the_pre_login_id => fixation_suite;
    rotate_keeps_data => rotate_suite;
    limit_evicts_oldest => evict_suite;
    limit_refuses_newest => refuse_suite;
    destroy_all_and_list => destroy_all_suite;
    binding_mismatch => binding_suite;
    per_tenant_policies => tenant_suite;
    values_are_saved => save_suite;
}

struct Fx {
    clock: ManualClock,
    sink: MemorySink,
    sessions: SessionManager,
}

fn fx(store: SharedSessionStore, policies: impl Into<SessionPolicies>) -> Fx {
    let clock = ManualClock::at_unix(NOW);
    let sink = MemorySink::new();
    let sessions = SessionManager::builder(store)
        .policies(policies)
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build();
    Fx {
        clock,
        sink,
        sessions,
    }
}

fn user(name: &str) -> Principal {
    Principal::new(name, AuthMethod::Other).with_roles(["editor"])
}

fn browser() -> ClientInfo {
    ClientInfo {
        user_agent: Some(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
        ),
        ip: Some("203.0.113.7".parse().unwrap()),
        request_id: None,
    }
}

async fn load(fx: &Fx, s: &ActiveSession) -> Lookup {
    fx.sessions
        .load(s.token().expose(), &browser())
        .await
        .unwrap()
}

fn is_active(l: &Lookup) -> bool {
    matches!(l, Lookup::Active(_))
}

const MIN: Duration = Duration::from_secs(60);

async fn idle_suite(store: SharedSessionStore) {
    let fx = fx(store, SessionPolicy::default());
    let s = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    let Lookup::Active(live) = load(&fx, &s).await else {
        panic!("fresh session")
    };
    let p = live.principal().unwrap();
    assert_eq!(p.subject(), "alice");
    assert_eq!(p.auth_method(), AuthMethod::Session);
    assert_eq!(p.session_id(), Some(s.handle()));
    // Each use moves the idle window.
    fx.clock.advance(29 * MIN);
    assert!(is_active(&load(&fx, &s).await));
    fx.clock.advance(29 * MIN);
    assert!(is_active(&load(&fx, &s).await));
    fx.clock.advance(30 * MIN);
    assert!(matches!(load(&fx, &s).await, Lookup::Expired));
    assert!(matches!(load(&fx, &s).await, Lookup::Unknown));
    let expired = fx
        .sink
        .events()
        .into_iter()
        .filter(|e| e.fields.get("session_event").and_then(|v| v.as_str()) == Some("expired"))
        .count();
    assert_eq!(expired, 1);
}

async fn absolute_suite(store: SharedSessionStore) {
    let fx = fx(store, SessionPolicy::default());
    let s = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    // Used every 20 minutes: never idle, but still ends at 12 h.
    for _ in 0..35 {
        fx.clock.advance(20 * MIN);
        assert!(is_active(&load(&fx, &s).await));
    }
    fx.clock.advance(20 * MIN); // 12 h since sign-in
    assert!(matches!(load(&fx, &s).await, Lookup::Expired));
}

async fn fixation_suite(store: SharedSessionStore) {
    let fx = fx(store, SessionPolicy::default());
    let mut anon = fx.sessions.start(&browser()).await.unwrap();
    anon.insert("cart", vec![1, 2]).unwrap();
    assert!(fx.sessions.save(&anon).await.unwrap());
    let Lookup::Active(loaded) = load(&fx, &anon).await else {
        panic!("anonymous session")
    };
    assert!(loaded.principal().is_none());
    let signed = fx
        .sessions
        .login(Some(&anon), user("alice"), &browser())
        .await
        .unwrap();
    assert_ne!(signed.token(), anon.token());
    assert_ne!(signed.key(), anon.key());
    assert!(matches!(load(&fx, &anon).await, Lookup::Unknown));
    let Lookup::Active(loaded) = load(&fx, &signed).await else {
        panic!("signed in")
    };
    assert_eq!(loaded.get::<Vec<i32>>("cart"), Some(vec![1, 2]));
    assert_eq!(loaded.subject(), Some("alice"));
}

async fn rotate_suite(store: SharedSessionStore) {
    let fx = fx(store, SessionPolicy::default());
    let mut s = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    s.insert("theme", "dark").unwrap();
    fx.sessions.save(&s).await.unwrap();
    let rotated = fx.sessions.rotate(&s).await.unwrap();
    assert_ne!(rotated.token(), s.token());
    assert!(matches!(load(&fx, &s).await, Lookup::Unknown));
    let Lookup::Active(loaded) = load(&fx, &rotated).await else {
        panic!("rotated")
    };
    assert_eq!(loaded.get::<String>("theme").as_deref(), Some("dark"));
    assert_eq!(
        loaded.principal().unwrap().session_id(),
        Some(rotated.handle())
    );
    assert_eq!(
        loaded.record().created,
        s.record().created,
        "absolute timeout kept"
    );
    // Rotating the old one again fails: it has ended.
    assert_eq!(
        fx.sessions.rotate(&s).await.unwrap_err(),
        SessionError::Ended
    );
    // A privilege change rotates too.
    let admin = fx
        .sessions
        .elevate(&rotated, user("alice").with_roles(["admin"]))
        .await
        .unwrap();
    assert!(matches!(load(&fx, &rotated).await, Lookup::Unknown));
    let Lookup::Active(loaded) = load(&fx, &admin).await else {
        panic!("elevated")
    };
    assert!(loaded.principal().unwrap().has_role("admin"));
    assert_eq!(
        fx.sessions
            .elevate(&admin, user("mallory"))
            .await
            .unwrap_err(),
        SessionError::SubjectChanged
    );
}

fn limited(max: u32, action: LimitAction) -> SessionPolicy {
    SessionPolicy::builder()
        .max_per_user(max)
        .on_limit(action)
        .build()
        .unwrap()
}

async fn evict_suite(store: SharedSessionStore) {
    let fx = fx(store, limited(2, LimitAction::EvictOldest));
    let mut all = Vec::new();
    for _ in 0..3 {
        all.push(
            fx.sessions
                .login(None, user("alice"), &browser())
                .await
                .unwrap(),
        );
        fx.clock.advance(MIN);
    }
    let bob = fx
        .sessions
        .login(None, user("bob"), &browser())
        .await
        .unwrap();
    assert!(
        matches!(load(&fx, &all[0]).await, Lookup::Unknown),
        "oldest evicted"
    );
    assert!(is_active(&load(&fx, &all[1]).await));
    assert!(is_active(&load(&fx, &all[2]).await));
    assert!(is_active(&load(&fx, &bob).await), "other users untouched");
    assert_eq!(fx.sink.count(EventKind::TokenRevoked), 1);
    // A timed-out session does not count against the limit.
    fx.clock.advance(31 * MIN);
    let fresh = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    assert!(is_active(&load(&fx, &fresh).await));
    assert_eq!(fx.sink.count(EventKind::TokenRevoked), 1);
}

async fn refuse_suite(store: SharedSessionStore) {
    let fx = fx(store, limited(2, LimitAction::RefuseNew));
    let a = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    let b = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    let refused = fx.sessions.login(None, user("alice"), &browser()).await;
    assert_eq!(refused.unwrap_err(), SessionError::LimitReached);
    assert!(is_active(&load(&fx, &a).await));
    assert!(is_active(&load(&fx, &b).await));
    // Signing out of one makes room.
    assert!(fx.sessions.destroy(&a).await.unwrap());
    assert!(
        fx.sessions
            .login(None, user("alice"), &browser())
            .await
            .is_ok()
    );
}

async fn destroy_all_suite(store: SharedSessionStore) {
    let fx = fx(store, SessionPolicy::default());
    let phone = ClientInfo {
        user_agent: Some(
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
                .into(),
        ),
        ip: Some("2001:db8:1:2::99".parse().unwrap()),
        request_id: None,
    };
    let a = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    fx.clock.advance(MIN);
    let b = fx
        .sessions
        .login(None, user("alice"), &phone)
        .await
        .unwrap();
    let bob = fx
        .sessions
        .login(None, user("bob"), &browser())
        .await
        .unwrap();

    let list = fx.sessions.list("alice").await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].handle, a.handle());
    assert_eq!(list[0].device.as_deref(), Some("Firefox on Linux"));
    assert_eq!(list[0].ip_prefix.as_deref(), Some("203.0.113.0/24"));
    assert_eq!(list[1].device.as_deref(), Some("Chrome on Android"));
    assert_eq!(list[1].ip_prefix.as_deref(), Some("2001:db8:1:2::/64"));
    assert_eq!(list[0].created, NOW);
    assert_eq!(list[0].expires, NOW + 30 * 60);

    // One device signed out by its handle; bob's handle means nothing for alice.
    assert!(
        !fx.sessions
            .destroy_handle("alice", bob.handle())
            .await
            .unwrap()
    );
    assert!(
        fx.sessions
            .destroy_handle("alice", b.handle())
            .await
            .unwrap()
    );
    assert!(matches!(load(&fx, &b).await, Lookup::Unknown));

    let c = fx
        .sessions
        .login(None, user("alice"), &phone)
        .await
        .unwrap();
    assert_eq!(fx.sessions.destroy_all("alice").await.unwrap(), 2);
    assert!(matches!(load(&fx, &a).await, Lookup::Unknown));
    assert!(matches!(load(&fx, &c).await, Lookup::Unknown));
    assert!(fx.sessions.list("alice").await.unwrap().is_empty());
    assert!(is_active(&load(&fx, &bob).await));
}

async fn binding_suite(store: SharedSessionStore) {
    let policy = SessionPolicy::builder()
        .bind_user_agent(true)
        .bind_ip_prefix(true)
        .build()
        .unwrap();
    let fx = fx(store, policy);
    let s = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    let same_net = ClientInfo {
        ip: Some("203.0.113.200".parse().unwrap()),
        ..browser()
    };
    assert!(is_active(
        &fx.sessions
            .load(s.token().expose(), &same_net)
            .await
            .unwrap()
    ));
    let other_net = ClientInfo {
        ip: Some("198.51.100.7".parse().unwrap()),
        ..browser()
    };
    assert!(matches!(
        fx.sessions
            .load(s.token().expose(), &other_net)
            .await
            .unwrap(),
        Lookup::BindingMismatch
    ));
    // The mismatch ended it: even the right client is now refused.
    assert!(matches!(load(&fx, &s).await, Lookup::Unknown));

    let s = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    let other_agent = ClientInfo {
        user_agent: Some("curl/8.5.0".into()),
        ..browser()
    };
    assert!(matches!(
        fx.sessions
            .load(s.token().expose(), &other_agent)
            .await
            .unwrap(),
        Lookup::BindingMismatch
    ));
    let mismatches: Vec<_> = fx
        .sink
        .events()
        .into_iter()
        .filter(|e| {
            e.fields.get("session_event").and_then(|v| v.as_str()) == Some("binding_mismatch")
        })
        .map(|e| e.fields["binding"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(mismatches, ["ip_prefix", "user_agent"]);
}

async fn tenant_suite(store: SharedSessionStore) {
    let strict = Arc::new(
        SessionPolicy::builder()
            .idle_timeout(5 * MIN)
            .absolute_timeout(60 * MIN)
            .max_per_user(1)
            .on_limit(LimitAction::RefuseNew)
            .build()
            .unwrap(),
    );
    let policies = SessionPolicies::new(SessionPolicy::default())
        .resolver(move |tenant| (tenant == "globex").then(|| strict.clone()));
    let fx = fx(store, policies);
    let acme = fx
        .sessions
        .login(None, user("bob").with_tenant("acme"), &browser())
        .await
        .unwrap();
    let globex = fx
        .sessions
        .login(None, user("carol").with_tenant("globex"), &browser())
        .await
        .unwrap();
    // globex allows one session, and refuses the second.
    assert_eq!(
        fx.sessions
            .login(None, user("carol").with_tenant("globex"), &browser())
            .await
            .unwrap_err(),
        SessionError::LimitReached
    );
    assert!(
        fx.sessions
            .login(None, user("bob").with_tenant("acme"), &browser())
            .await
            .is_ok()
    );
    fx.clock.advance(6 * MIN);
    assert!(is_active(&load(&fx, &acme).await));
    assert!(matches!(load(&fx, &globex).await, Lookup::Expired));
}

async fn save_suite(store: SharedSessionStore) {
    let fx = fx(store, SessionPolicy::default());
    let mut s = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    s.insert("n", 1).unwrap();
    assert!(fx.sessions.save(&s).await.unwrap());
    let Lookup::Active(mut loaded) = load(&fx, &s).await else {
        panic!()
    };
    assert_eq!(loaded.get::<i32>("n"), Some(1));
    assert_eq!(loaded.remove("n"), Some(serde_json::json!(1)));
    assert!(fx.sessions.save(&loaded).await.unwrap());
    let Lookup::Active(loaded) = load(&fx, &s).await else {
        panic!()
    };
    assert!(loaded.values().is_empty());
    fx.sessions.destroy(&s).await.unwrap();
    assert!(
        !fx.sessions.save(&loaded).await.unwrap(),
        "an ended session is not revived"
    );
    assert!(matches!(
        fx.sessions.load("not-a-session", &browser()).await.unwrap(),
        Lookup::Malformed
    ));
}

#[tokio::test]
async fn log_out_everywhere_ends_sessions_and_tokens() {
    let jwt = fixture();
    let tokens = jwt.manager();
    let pair = tokens
        .issue_pair(&TokenRequest::new("alice"))
        .await
        .unwrap();
    let fx = fx(
        Arc::new(MemorySessionStore::new()),
        SessionPolicy::default(),
    );
    let s = fx
        .sessions
        .login(None, user("alice"), &browser())
        .await
        .unwrap();
    jwt.clock.advance(Duration::from_secs(1));
    assert_eq!(
        fx.sessions
            .log_out_everywhere("alice", Some(&tokens))
            .await
            .unwrap(),
        1
    );
    assert!(matches!(load(&fx, &s).await, Lookup::Unknown));
    assert_eq!(
        jwt.verifier
            .authenticate(&pair.access_token)
            .await
            .unwrap_err(),
        AuthError::Revoked
    );
    assert!(tokens.refresh(&pair.refresh_token, None).await.is_err());
}

/// Redis forgets a session record when the session would end unused and
/// the user's index at the last deadline, not earlier; ending every session
/// deletes their records at once; on a single node and a cluster.
#[cfg(feature = "redis")]
mod redis_records_expire_with_their_sessions {
    use super::*;
    use rampart_auth::session::{
        Created, RedisSessionStore, SessionKey, SessionStore, StoredSession, Touched,
    };
    use rampart_core::redis::RedisConnection;

    redis_and_cluster!(redis_records_expire_with_their_sessions);

    async fn ttl(conn: &mut RedisConnection, key: &str) -> i64 {
        redis::cmd("TTL").arg(key).query_async(conn).await.unwrap()
    }

    async fn exists(conn: &mut RedisConnection, key: &str) -> bool {
        redis::cmd("EXISTS")
            .arg(key)
            .query_async::<i64>(conn)
            .await
            .unwrap()
            == 1
    }

    async fn on_redis(url: String) {
        let prefix = format!("rampart-test:sessions:{}", uuid::Uuid::new_v4().simple());
        let store = RedisSessionStore::connect(&url, &prefix).await.unwrap();
        let debug = format!("{store:?}");
        assert!(
            debug.starts_with("RedisSessionStore") && debug.contains(&prefix),
            "{debug}"
        );
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        let tag = "3f9a0c";
        let record = |hash: &str| format!("{prefix}:{{s:{tag}}}:sess:{hash}");
        let index = format!("{prefix}:{{s:{tag}}}:idx");
        let key = SessionKey {
            tag: tag.into(),
            hash: "h1".into(),
        };
        let session = StoredSession {
            key: key.clone(),
            subject: Some("alice".into()),
            created: NOW,
            last_seen: NOW,
            idle_secs: 1800,
            deadline: NOW + 43_200,
            data: "{}".into(),
        };
        assert_eq!(
            store.create(&session, None, NOW).await.unwrap(),
            Created::Stored { evicted: vec![] }
        );
        let left = ttl(&mut conn, &record("h1")).await;
        assert!((1799..=1801).contains(&left), "session record: {left}s");
        let left = ttl(&mut conn, &index).await;
        assert!((43_199..=43_201).contains(&left), "index: {left}s");
        // Rotation gives the new record the same life.
        let rotated = StoredSession {
            key: SessionKey {
                tag: tag.into(),
                hash: "h2".into(),
            },
            ..session.clone()
        };
        assert!(store.replace(&key, &rotated).await.unwrap());
        assert!(!exists(&mut conn, &record("h1")).await);
        let left = ttl(&mut conn, &record("h2")).await;
        assert!((1799..=1801).contains(&left), "rotated record: {left}s");
        let Touched::Live(live) = store.touch(&rotated.key, NOW + 60).await.unwrap() else {
            panic!("the rotated session is live")
        };
        assert_eq!(live.last_seen, NOW + 60);
        assert_eq!(live.subject.as_deref(), Some("alice"));
        // Ending them all drops the records, not only the index.
        assert_eq!(store.delete_all(tag).await.unwrap(), 1);
        assert!(!exists(&mut conn, &record("h2")).await);
        assert!(!exists(&mut conn, &index).await);
        assert_eq!(store.delete_all(tag).await.unwrap(), 0);
    }
}
