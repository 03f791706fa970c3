//! TOTP against RFC 6238 Appendix B, and the window and replay rules of
//! `Mfa::verify` driven by a manual clock.
#![cfg(feature = "mfa")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_auth::mfa::{Mfa, MfaError, MfaKey, Totp, TotpAlgorithm, TotpSecret, Verified};
use rampart_core::{EventKind, ManualClock, MemorySink};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn rfc6238_appendix_b_vectors_for_all_three_hashes() {
    let doc: Value = serde_json::from_str(&rampart_test_support::corpus(
        "totp/rfc6238_appendix_b.json",
    ))
    .unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 18, "6 times x 3 hashes");
    let mut seen = std::collections::BTreeSet::new();
    for v in vectors {
        let algorithm = match v["mode"].as_str().unwrap() {
            "SHA1" => TotpAlgorithm::Sha1,
            "SHA256" => TotpAlgorithm::Sha256,
            "SHA512" => TotpAlgorithm::Sha512,
            other => panic!("unknown mode {other}"),
        };
        seen.insert(algorithm.as_str());
        let digits = u8::try_from(v["digits"].as_u64().unwrap()).unwrap();
        let totp = Totp::new(algorithm, digits).unwrap();
        let secret = TotpSecret::from_bytes(v["seed_ascii"].as_str().unwrap().as_bytes()).unwrap();
        // The base32 form of the seed decodes to the same bytes.
        let decoded = TotpSecret::from_base32(v["seed_base32"].as_str().unwrap()).unwrap();
        assert_eq!(decoded.as_bytes(), secret.as_bytes());
        let time = v["time_unix"].as_u64().unwrap();
        let expected = v["totp"].as_str().unwrap();
        assert_eq!(Totp::step_at(time), v["T"].as_u64().unwrap());
        assert_eq!(totp.code_at(&secret, time).as_str(), expected, "{v}");
        assert_eq!(
            totp.matching_step(&secret, expected, time, None),
            Some(v["T"].as_u64().unwrap())
        );
    }
    assert_eq!(seen.len(), 3);
}

#[test]
fn rfc4226_appendix_d_hotp_values() {
    let doc: Value = serde_json::from_str(&rampart_test_support::corpus(
        "totp/rfc4226_appendix_d.json",
    ))
    .unwrap();
    let totp = Totp::default();
    for v in doc["vectors"].as_array().unwrap() {
        let secret = TotpSecret::from_bytes(v["seed_ascii"].as_str().unwrap().as_bytes()).unwrap();
        let counter = v["counter"].as_u64().unwrap();
        assert_eq!(
            totp.code_at_step(&secret, counter).as_str(),
            v["hotp"].as_str().unwrap()
        );
    }
}

const T0: u64 = 1_700_000_010; // 10 s into step 56_666_667

struct Enrolled {
    mfa: Mfa,
    clock: ManualClock,
    secret: TotpSecret,
    sink: MemorySink,
}

async fn enrolled(user: &str) -> Enrolled {
    let clock = ManualClock::at_unix(T0);
    let sink = MemorySink::new();
    let mfa = Mfa::builder("ACME", MfaKey::generate().unwrap())
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .max_failures(100)
        .build()
        .unwrap();
    let enrollment = mfa.enroll(user).await.unwrap();
    // Confirm with the code of a step long past so every test below starts fresh.
    clock.set_unix(T0 - 600);
    let code = Totp::default().code_at(&enrollment.secret, T0 - 600);
    mfa.confirm(user, &code).await.unwrap();
    clock.set_unix(T0);
    Enrolled {
        mfa,
        clock,
        secret: enrollment.secret,
        sink,
    }
}

fn code_at_step_offset(e: &Enrolled, offset: i64) -> String {
    let step = Totp::step_at(T0).checked_add_signed(offset).unwrap();
    Totp::default().code_at_step(&e.secret, step).to_string()
}

#[tokio::test]
async fn one_step_either_side_is_accepted_two_are_not() {
    for offset in [-1i64, 0, 1] {
        let e = enrolled("alice").await;
        let code = code_at_step_offset(&e, offset);
        assert_eq!(
            e.mfa.verify("alice", &code).await,
            Ok(Verified::Totp),
            "offset {offset}"
        );
    }
    for offset in [-2i64, 2, -3, 3] {
        let e = enrolled("alice").await;
        let code = code_at_step_offset(&e, offset);
        assert_eq!(
            e.mfa.verify("alice", &code).await,
            Err(MfaError::InvalidCode),
            "offset {offset}"
        );
    }
}

#[tokio::test]
async fn window_edges_follow_the_clock_to_the_second() {
    let e = enrolled("alice").await;
    let step_start = Totp::step_at(T0) * 30;
    let code = Totp::default()
        .code_at_step(&e.secret, Totp::step_at(T0))
        .to_string();
    // The last second of the next step still accepts it ...
    e.clock.set_unix(step_start + 59);
    let probe = e.mfa.clone();
    assert_eq!(
        Totp::default().matching_step(&e.secret, &code, step_start + 59, None),
        Some(Totp::step_at(T0))
    );
    // ... the first second of the step after that does not.
    e.clock.set_unix(step_start + 60);
    assert_eq!(
        probe.verify("alice", &code).await,
        Err(MfaError::InvalidCode)
    );
    // Symmetrically before: the first second of the previous step accepts it.
    e.clock.set_unix(step_start - 30);
    assert_eq!(probe.verify("alice", &code).await, Ok(Verified::Totp));
    let e2 = enrolled("bob").await;
    let code2 = Totp::default()
        .code_at_step(&e2.secret, Totp::step_at(T0))
        .to_string();
    e2.clock.set_unix(step_start - 31);
    assert_eq!(
        e2.mfa.verify("bob", &code2).await,
        Err(MfaError::InvalidCode)
    );
}

#[tokio::test]
async fn an_accepted_code_is_refused_for_the_rest_of_its_window() {
    let e = enrolled("alice").await;
    let code = code_at_step_offset(&e, 0);
    assert_eq!(e.mfa.verify("alice", &code).await, Ok(Verified::Totp));
    assert_eq!(e.mfa.verify("alice", &code).await, Err(MfaError::Replayed));
    // Still within its ±1 window 30 s later: still refused.
    e.clock.advance(Duration::from_secs(30));
    assert_eq!(e.mfa.verify("alice", &code).await, Err(MfaError::Replayed));
    // An older step's code, though never used, is refused too: steps only move forward.
    e.clock.set_unix(T0);
    let older = code_at_step_offset(&e, -1);
    assert_eq!(e.mfa.verify("alice", &older).await, Err(MfaError::Replayed));
    // The next step's code is fine.
    let next = code_at_step_offset(&e, 1);
    assert_eq!(e.mfa.verify("alice", &next).await, Ok(Verified::Totp));
    assert!(e.sink.count(EventKind::AuthenticationFailed) >= 3);
}

#[tokio::test]
async fn a_future_step_accepted_early_blocks_the_current_one() {
    let e = enrolled("alice").await;
    assert_eq!(
        e.mfa.verify("alice", &code_at_step_offset(&e, 1)).await,
        Ok(Verified::Totp)
    );
    assert_eq!(
        e.mfa.verify("alice", &code_at_step_offset(&e, 0)).await,
        Err(MfaError::Replayed)
    );
}

#[tokio::test]
async fn concurrent_checks_of_one_code_accept_it_once() {
    let e = enrolled("alice").await;
    let code = code_at_step_offset(&e, 0);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let mfa = e.mfa.clone();
            let code = code.clone();
            tokio::spawn(async move { mfa.verify("alice", &code).await })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn eight_digit_sha512_enrolments_work_end_to_end() {
    let clock = ManualClock::at_unix(T0);
    let mfa = Mfa::builder("ACME", MfaKey::generate().unwrap())
        .algorithm(TotpAlgorithm::Sha512)
        .digits(8)
        .secret_bytes(64)
        .clock(clock.shared())
        .build()
        .unwrap();
    let enrollment = mfa.enroll("carol").await.unwrap();
    assert!(
        enrollment
            .uri
            .contains("algorithm=SHA512&digits=8&period=30")
    );
    assert_eq!(enrollment.secret.as_bytes().len(), 64);
    let totp = Totp::new(TotpAlgorithm::Sha512, 8).unwrap();
    let code = totp.code_at(&enrollment.secret, T0);
    assert_eq!(code.len(), 8);
    mfa.confirm("carol", &code).await.unwrap();
    clock.advance(Duration::from_secs(30));
    let next = totp.code_at(&enrollment.secret, T0 + 30);
    assert_eq!(mfa.verify("carol", &next).await, Ok(Verified::Totp));
    // A 6-digit prefix is not an 8-digit code.
    clock.advance(Duration::from_secs(30));
    let later = totp.code_at(&enrollment.secret, T0 + 60);
    assert_eq!(
        mfa.verify("carol", &later[..6]).await,
        Err(MfaError::InvalidCode)
    );
}

#[tokio::test]
async fn enrolment_backup_code_replacement_and_reset_are_reported_as_changes() {
    let e = enrolled("dave").await;
    let steps = |sink: &MemorySink| -> Vec<String> {
        sink.events()
            .into_iter()
            .filter(|ev| ev.kind == EventKind::ConfigurationChanged)
            .map(|ev| {
                assert_eq!(ev.subject.as_deref(), Some("dave"));
                assert_eq!(ev.fields["change"], rampart_core::CHANGE_MFA);
                ev.fields["step"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    // Starting an enrolment changes nothing yet; confirming it does.
    assert_eq!(steps(&e.sink), [rampart_core::MFA_ENROLLED]);
    e.mfa.regenerate_backup_codes("dave").await.unwrap();
    e.mfa.disable("dave").await.unwrap();
    assert_eq!(
        steps(&e.sink),
        [
            rampart_core::MFA_ENROLLED,
            rampart_core::MFA_BACKUP_CODES_REPLACED,
            rampart_core::MFA_RESET
        ]
    );
    // Replacing the codes of an enrolment that is gone changes nothing.
    assert!(e.mfa.regenerate_backup_codes("dave").await.is_err());
    assert_eq!(steps(&e.sink).len(), 3);
}
