//! TOTP verification: rampart's windowed check (three steps computed and
//! compared in constant time) and the whole `Mfa::verify` on a memory store
//! (load, open the AES-GCM-sealed secret, check, move the last used step),
//! beside the anchor: one raw HMAC-SHA-1 with RFC 4226 truncation, the least
//! any TOTP check must do.

use aws_lc_rs::hmac;
use criterion::{Criterion, criterion_group, criterion_main};
use rampart_auth::mfa::{Mfa, MfaKey, Totp, TotpSecret};
use rampart_core::ManualClock;
use std::hint::black_box;
use std::time::Duration;

const NOW: u64 = 1_700_000_000;

/// One HOTP value, written out: the floor under every implementation.
fn raw_hotp(key: &hmac::Key, step: u64) -> u32 {
    let tag = hmac::sign(key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    binary % 1_000_000
}

fn bench(c: &mut Criterion) {
    let secret = TotpSecret::from_bytes(b"12345678901234567890").expect("20 bytes");
    let totp = Totp::default();
    let code = totp.code_at(&secret, NOW).to_string();
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());

    let mut group = c.benchmark_group("totp_verify");
    group.bench_function("anchor_raw_hmac_sha1_one_step", |b| {
        b.iter(|| black_box(raw_hotp(&key, black_box(NOW / 30))));
    });
    group.bench_function("rampart_window_check", |b| {
        b.iter(|| black_box(totp.matching_step(&secret, black_box(&code), NOW, None)));
    });

    // The service path: a confirmed enrolment; each iteration presents the
    // next step's code, so every check is an accepted, non-replayed code.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let clock = ManualClock::at_unix(NOW);
    let mfa = Mfa::builder("bench", MfaKey::generate().expect("key"))
        .clock(clock.shared())
        .build()
        .expect("mfa");
    let enrollment = runtime.block_on(mfa.enroll("alice")).expect("enrol");
    let first = totp.code_at(&enrollment.secret, NOW);
    runtime
        .block_on(mfa.confirm("alice", &first))
        .expect("confirm");
    group.bench_function("rampart_mfa_verify_memory_store", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                clock.advance(Duration::from_secs(30));
                let now = NOW + 30 * (clock_steps(&clock));
                let code = totp.code_at(&enrollment.secret, now);
                let start = std::time::Instant::now();
                let verified = runtime.block_on(mfa.verify("alice", &code));
                total += start.elapsed();
                assert!(verified.is_ok(), "{verified:?}");
            }
            total
        });
    });
    group.finish();
}

fn clock_steps(clock: &ManualClock) -> u64 {
    use rampart_core::Clock;
    (clock.unix_secs() - NOW) / 30
}

criterion_group!(benches, bench);
criterion_main!(benches);
