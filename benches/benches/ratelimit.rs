//! Rate-limit checks: rampart's in-memory GCRA beside governor's keyed limiter
//! (1 key and 10,000 keys) in the same run, and, when Redis is reachable
//! (`REDIS_URL`), rampart's Redis check beside a bare `INCR` round trip on the
//! same connection.

use criterion::{Criterion, criterion_group, criterion_main};
use governor::{Quota as GovQuota, RateLimiter as GovLimiter};
use rampart_ratelimit::{Key, KeyContext, Limit, Quota, RateLimiter, RedisStore};
use std::hint::black_box;
use std::num::NonZeroU32;

const RATE: u32 = 10_000_000;

fn rampart() -> RateLimiter {
    RateLimiter::new(Limit::new("bench", Quota::per_second(RATE)).key(Key::given()))
        .expect("a valid quota")
}

fn governor() -> governor::DefaultKeyedRateLimiter<String> {
    GovLimiter::keyed(GovQuota::per_second(
        NonZeroU32::new(RATE).expect("non-zero"),
    ))
}

fn memory(c: &mut Criterion) {
    let keys: Vec<String> = (0..10_000).map(|i| format!("client-{i}")).collect();
    for (label, n) in [("1 key", 1usize), ("10k keys", keys.len())] {
        let mut group = c.benchmark_group(format!("ratelimit/memory/{label}"));
        let ours = rampart();
        let mut i = 0usize;
        group.bench_function("rampart", |b| {
            b.iter(|| {
                i = (i + 1) % n;
                let ctx = KeyContext::new().key(&keys[i]);
                black_box(ours.check_now(&ctx).expect("in memory").is_allowed())
            })
        });
        let theirs = governor();
        let mut j = 0usize;
        group.bench_function("governor", |b| {
            b.iter(|| {
                j = (j + 1) % n;
                black_box(theirs.check_key(&keys[j]).is_ok())
            })
        });
        group.finish();
    }
}

fn redis(c: &mut Criterion) {
    let Ok(url) = std::env::var("REDIS_URL") else {
        println!("skipped: ratelimit/redis: REDIS_URL is not set");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let conn = rt.block_on(async {
        let client = redis::Client::open(url.as_str()).expect("a Redis URL");
        redis::aio::ConnectionManager::new(client)
            .await
            .expect("Redis reachable")
    });
    let limiter = RateLimiter::builder()
        .limit(Limit::new("bench", Quota::per_second(RATE)).key(Key::given()))
        .redis(RedisStore::new(
            rampart_core::redis::RedisConnection::from_manager(conn.clone()),
            "rampart-bench",
        ))
        .build()
        .expect("a valid quota");
    let mut group = c.benchmark_group("ratelimit/redis");
    group.bench_function("rampart check", |b| {
        b.iter(|| {
            rt.block_on(async {
                black_box(
                    limiter
                        .check(&KeyContext::new().key("client"))
                        .await
                        .is_allowed(),
                )
            })
        })
    });
    group.bench_function("bare INCR", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut conn = conn.clone();
                let n: i64 = redis::cmd("INCR")
                    .arg("rampart-bench:incr")
                    .query_async(&mut conn)
                    .await
                    .expect("INCR");
                black_box(n)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, memory, redis);
criterion_main!(benches);
