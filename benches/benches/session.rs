//! Session lookup: rampart's `SessionManager::load` (parse the cookie, hash
//! it, touch the store, check timeouts and binding) on the memory store and
//! on Redis, beside tower-sessions' `MemoryStore::load` of a record by id in
//! the same run. Each store holds 10,000 sessions.

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_auth::session::{
    ActiveSession, ClientInfo, MemorySessionStore, RedisSessionStore, SessionManager, SessionStore,
};
use rampart_core::{AuthMethod, Principal};
use std::hint::black_box;
use std::sync::Arc;
use tower_sessions::cookie::time::{Duration as TimeDuration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore as _;

const SESSIONS: usize = 10_000;

fn client() -> ClientInfo {
    ClientInfo {
        user_agent: Some(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
        ),
        ip: Some("203.0.113.7".parse().expect("ip")),
        request_id: None,
    }
}

/// Signs in `SESSIONS` users and answers one session to look up.
fn fill(rt: &tokio::runtime::Runtime, manager: &SessionManager) -> ActiveSession {
    rt.block_on(async {
        let mut last = None;
        for i in 0..SESSIONS {
            let p = Principal::new(format!("user{i}"), AuthMethod::Session).with_roles(["viewer"]);
            last = Some(manager.login(None, p, &client()).await.expect("login"));
        }
        last.expect("one session")
    })
}

fn lookup(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("session/lookup");

    let memory = SessionManager::builder(Arc::new(MemorySessionStore::new())).build();
    let session = fill(&rt, &memory);
    let cookie = session.token().expose().to_owned();
    let info = client();
    group.bench_function("rampart/memory", |b| {
        b.iter(|| rt.block_on(async { black_box(memory.load(black_box(&cookie), &info).await) }))
    });

    let store = MemorySessionStore::new();
    let key = session.key().clone();
    let stored = session.record().clone();
    rt.block_on(store.create(&stored, None, stored.created))
        .expect("create");
    group.bench_function("rampart/memory-store-touch", |b| {
        b.iter(|| {
            rt.block_on(async { black_box(store.touch(black_box(&key), stored.created).await) })
        })
    });

    let anchor = tower_sessions::MemoryStore::default();
    let id = rt.block_on(async {
        let mut last = Id::default();
        for i in 0..SESSIONS {
            let mut record = Record {
                id: Id::default(),
                data: [("user".to_owned(), serde_json::json!(format!("user{i}")))].into(),
                expiry_date: OffsetDateTime::now_utc() + TimeDuration::minutes(30),
            };
            anchor.create(&mut record).await.expect("create");
            last = record.id;
        }
        last
    });
    group.bench_function("tower-sessions/memory-store-load", |b| {
        b.iter(|| rt.block_on(async { black_box(anchor.load(black_box(&id)).await) }))
    });

    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let prefix = format!("rampart-bench:sessions:{}", std::process::id());
            let redis = rt
                .block_on(RedisSessionStore::connect(&url, &prefix))
                .expect("REDIS_URL is set but Redis cannot be reached");
            let manager = SessionManager::builder(Arc::new(redis)).build();
            let session = rt.block_on(async {
                let p = Principal::new("alice", AuthMethod::Session);
                manager.login(None, p, &client()).await.expect("login")
            });
            let cookie = session.token().expose().to_owned();
            group.bench_function("rampart/redis", |b| {
                b.iter(|| {
                    rt.block_on(async { black_box(manager.load(black_box(&cookie), &info).await) })
                })
            });
            let _ = rt.block_on(manager.destroy_all("alice"));
        }
        _ => println!("skipped: session/lookup/rampart/redis: REDIS_URL is not set"),
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
