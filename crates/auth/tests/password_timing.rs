//! Timing: a wrong password for a known user and any password for an unknown
//! one take the same time, so response times do not reveal which users exist.
//!
//! Measured the way an attacker would: many interleaved pairs, order alternated
//! from pair to pair so drift of a loaded machine falls on both sides, and the
//! median of the per-pair ratios. The bounds are wide because the machine is
//! shared with other tests; the leaks they exist to catch are not subtle (an
//! early return costs microseconds against milliseconds, a decoy with weaker
//! parameters a small fraction), and the control test shows the same
//! measurement does see a decoy that is cheaper than the stored hashes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart::auth::password::{HashParams, PasswordVerifier, argon2::Params};
use std::time::{Duration, Instant};

const PAIRS: usize = 15;

fn params(m_cost: u32, t_cost: u32) -> HashParams {
    let mut p = HashParams::default();
    p.params = Params::new(m_cost, t_cost, 1, None).unwrap();
    p
}

async fn timed(verifier: &PasswordVerifier, password: &[u8], stored: Option<&str>) -> Duration {
    let start = Instant::now();
    let matched = verifier.verify(password, stored).await.unwrap();
    let took = start.elapsed();
    assert!(!matched, "a timing probe must never log in");
    took
}

/// The median over [`PAIRS`] pairs of (unknown user's time / known user's time).
async fn median_ratio(verifier: &PasswordVerifier, stored: &str) -> f64 {
    let mut ratios = Vec::with_capacity(PAIRS);
    for pair in 0..PAIRS {
        let wrong = format!("wrong password {pair}");
        let (known, unknown) = if pair % 2 == 0 {
            let known = timed(verifier, wrong.as_bytes(), Some(stored)).await;
            (known, timed(verifier, wrong.as_bytes(), None).await)
        } else {
            let unknown = timed(verifier, wrong.as_bytes(), None).await;
            (
                timed(verifier, wrong.as_bytes(), Some(stored)).await,
                unknown,
            )
        };
        ratios.push(unknown.as_secs_f64() / known.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    ratios[PAIRS / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_costs_what_a_wrong_password_costs() {
    // OWASP's argon2id parameters, as a real deployment uses them.
    let stored_params = HashParams::default();
    let stored = stored_params.hash(b"correct horse battery staple").unwrap();
    let verifier = PasswordVerifier::builder()
        .decoy_like([stored.clone()])
        .build()
        .unwrap();
    let ratio = median_ratio(&verifier, &stored).await;
    assert!(
        (0.6..=1.6).contains(&ratio),
        "unknown user / wrong password time ratio {ratio:.3}: timing tells users apart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_decoy_follows_stored_hashes_stronger_than_the_defaults() {
    // The application raised its parameters; the stored hashes carry them.
    let stored = params(64 * 1024, 2).hash(b"correct horse").unwrap();
    let verifier = PasswordVerifier::builder()
        .params(params(8 * 1024, 1))
        .decoy_like([stored.clone()])
        .build()
        .unwrap();
    let ratio = median_ratio(&verifier, &stored).await;
    assert!(
        (0.6..=1.6).contains(&ratio),
        "decoy built like the stored hashes still differs: ratio {ratio:.3}"
    );
}

/// The control: without `decoy_like`, the decoy takes the verifier's cheaper
/// parameters, and the measurement above tells the two apart. If this test
/// failed, the two above would prove nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_measurement_sees_a_decoy_cheaper_than_the_stored_hashes() {
    let stored = params(64 * 1024, 2).hash(b"correct horse").unwrap();
    let verifier = PasswordVerifier::builder()
        .params(params(8 * 1024, 1))
        .build()
        .unwrap();
    let ratio = median_ratio(&verifier, &stored).await;
    assert!(
        ratio < 0.6,
        "a 16x cheaper decoy went unnoticed: ratio {ratio:.3}"
    );
}
