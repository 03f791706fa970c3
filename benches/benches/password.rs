//! Password checks: argon2id verification at the default parameters
//! (m = 19 MiB, t = 2, p = 1) through `PasswordVerifier` (blocking pool,
//! limiter) beside raw `argon2::verify_password` on the same hash; and the
//! policy check of a new password (NFKC, zxcvbn, blocklist).
//!
//! The argon2 cost is the point: it is what an attacker pays per guess, and
//! what each login costs the server. Both sides return their result through
//! `black_box` so the work cannot be optimised away.

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_auth::password::argon2::Argon2;
use rampart_auth::password::argon2::password_hash::PasswordVerifier as _;
use rampart_auth::password::argon2::password_hash::phc::PasswordHash;
use rampart_auth::password::{PasswordPolicy, PasswordVerifier, UserContext};
use std::hint::black_box;
use std::time::Duration;

const PASSWORD: &[u8] = b"ochre tapestry unhurried walrus";

fn argon2_verify(c: &mut Criterion) {
    let verifier = PasswordVerifier::builder()
        .build()
        .expect("default verifier");
    let stored = verifier.hash(PASSWORD).expect("hash");
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let mut group = c.benchmark_group("password/argon2id_verify_default_params");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("rampart PasswordVerifier::verify", |b| {
        b.iter(|| {
            let ok = runtime
                .block_on(verifier.verify(black_box(PASSWORD), Some(black_box(&stored))))
                .expect("verify");
            assert!(black_box(ok));
        });
    });
    group.bench_function("raw argon2 verify_password", |b| {
        b.iter(|| {
            let hash = PasswordHash::new(black_box(&stored)).expect("phc");
            let ok = Argon2::default()
                .verify_password(black_box(PASSWORD), &hash)
                .is_ok();
            assert!(black_box(ok));
        });
    });
    group.bench_function("rampart unknown user (decoy)", |b| {
        b.iter(|| {
            let ok = runtime
                .block_on(verifier.verify(black_box(PASSWORD), None))
                .expect("verify");
            assert!(!black_box(ok));
        });
    });
    group.finish();
}

fn policy_check(c: &mut Criterion) {
    let policy = PasswordPolicy::default();
    let user = UserContext::new("jdoe").email("jane.doe@example.com");
    let mut group = c.benchmark_group("password/policy_check");
    group.bench_function("accepted passphrase", |b| {
        b.iter(|| {
            black_box(policy.check(black_box("ochre tapestry unhurried walrus"), &user)).is_ok()
        });
    });
    group.bench_function("refused common password", |b| {
        b.iter(|| black_box(policy.check(black_box("password"), &user)).is_err());
    });
    group.finish();
}

criterion_group!(benches, argon2_verify, policy_check);
criterion_main!(benches);
