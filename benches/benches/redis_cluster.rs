//! The Redis stores on a single node beside the same stores on a Redis
//! Cluster, in the same run: a rate-limit check (one script) and a
//! revocation lookup (one script over three keys of one subject). The
//! single node is the anchor; the cluster adds its routing (slot lookup,
//! one connection per master) on top of the same round trip.
//!
//! Needs `REDIS_URL` and `REDIS_CLUSTER_URLS` (`scripts/redis-cluster.sh start`).

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_auth::revocation::{RedisStore as Revocations, RevocationStore, TokenRef};
use rampart_core::redis::RedisConnection;
use rampart_ratelimit::{Key, KeyContext, Limit, Quota, RateLimiter, RedisStore};
use std::hint::black_box;

fn targets() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (label, var) in [
        ("single node", "REDIS_URL"),
        ("cluster", "REDIS_CLUSTER_URLS"),
    ] {
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => out.push((label, url)),
            _ => println!("skipped: redis_cluster/{label}: {var} is not set"),
        }
    }
    out
}

fn stores(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let keys: Vec<String> = (0..1024).map(|i| format!("client-{i}")).collect();
    let subjects: Vec<String> = (0..1024).map(|i| format!("user-{i}")).collect();
    for op in ["ratelimit check", "revocation lookup"] {
        let mut group = c.benchmark_group(format!("redis_cluster/{op}"));
        for (label, url) in targets() {
            let conn = rt
                .block_on(RedisConnection::connect(&url))
                .expect("Redis reachable");
            let mut i = 0usize;
            if op == "ratelimit check" {
                let limiter = RateLimiter::builder()
                    .limit(Limit::new("bench", Quota::per_second(10_000_000)).key(Key::given()))
                    .redis(RedisStore::new(conn, "rampart-bench:cluster"))
                    .build()
                    .expect("a valid quota");
                group.bench_function(label, |b| {
                    b.iter(|| {
                        i = (i + 1) % keys.len();
                        let ctx = KeyContext::new().key(&keys[i]);
                        black_box(rt.block_on(limiter.check(&ctx)).is_allowed())
                    })
                });
            } else {
                let store = Revocations::new(conn, "rampart-bench:cluster");
                group.bench_function(label, |b| {
                    b.iter(|| {
                        i = (i + 1) % subjects.len();
                        let token = TokenRef {
                            subject: &subjects[i],
                            jti: Some("jti"),
                            family: Some("family"),
                            issued_at: 1,
                        };
                        black_box(rt.block_on(store.check(token, 2)).expect("a lookup"))
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
