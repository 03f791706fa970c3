//! Legacy hashes (bcrypt, PBKDF2-SHA256, scrypt) from public vectors, the
//! 72-byte bcrypt refusal, the rehash and expiry outcomes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart::auth::password::{
    HashParams, LegacyScheme, PasswordError, PasswordPolicy, PasswordVerifier, RehashReason,
    Verification, argon2::Params,
};
use std::time::{Duration, SystemTime};

#[derive(serde::Deserialize)]
struct Vector {
    scheme: String,
    password: String,
    hash: String,
    #[serde(default)]
    refused: bool,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(&rampart_test_support::corpus(
        "passwords/legacy_hashes.json",
    ))
    .unwrap()
}

fn cheap(m_cost: u32) -> HashParams {
    let mut p = HashParams::default();
    p.params = Params::new(m_cost, 1, 1, None).unwrap();
    p
}

fn verifier() -> PasswordVerifier {
    PasswordVerifier::builder()
        .params(cheap(64))
        .build()
        .unwrap()
}

fn scheme(name: &str) -> LegacyScheme {
    match name {
        "bcrypt" => LegacyScheme::Bcrypt,
        "pbkdf2-sha256" => LegacyScheme::Pbkdf2Sha256,
        "scrypt" => LegacyScheme::Scrypt,
        other => panic!("unknown scheme {other}"),
    }
}

#[tokio::test]
async fn public_vectors_verify_and_ask_for_a_rehash() {
    let v = verifier();
    let all = vectors();
    assert!(all.len() >= 10);
    for vector in all.iter().filter(|v| !v.refused) {
        let got = v
            .check(vector.password.as_bytes(), Some(&vector.hash))
            .await
            .unwrap();
        assert_eq!(
            got,
            Verification::NeedsRehash(RehashReason::Legacy(scheme(&vector.scheme))),
            "{}",
            vector.hash
        );
        let wrong = format!("{}x", vector.password);
        assert_eq!(
            v.check(wrong.as_bytes(), Some(&vector.hash)).await.unwrap(),
            Verification::Invalid
        );
        assert!(v.needs_rehash(&vector.hash));
    }
}

#[tokio::test]
async fn a_password_over_72_bytes_is_refused_against_bcrypt_never_truncated() {
    let v = verifier();
    let vector = vectors().into_iter().find(|v| v.refused).unwrap();
    assert!(vector.password.len() > 72);
    // bcrypt itself would accept it, and anything sharing its first 72 bytes.
    assert!(bcrypt::verify(vector.password.as_bytes(), &vector.hash).unwrap());
    assert_eq!(
        v.check(vector.password.as_bytes(), Some(&vector.hash))
            .await,
        Err(PasswordError::TooLongForBcrypt {
            len: vector.password.len()
        })
    );
    // The boundary: 72 bytes are checked, 73 refused.
    let seventy_two = "a".repeat(72);
    let hash = bcrypt::hash_with_salt(&seventy_two, 4, [7; 16])
        .unwrap()
        .format_for_version(bcrypt::Version::TwoB);
    assert!(v.verify(seventy_two.as_bytes(), Some(&hash)).await.unwrap());
    let seventy_three = format!("{seventy_two}b");
    let err = v
        .verify(seventy_three.as_bytes(), Some(&hash))
        .await
        .unwrap_err();
    assert_eq!(err, PasswordError::TooLongForBcrypt { len: 73 });
    assert!(err.to_string().contains("72"), "{err}");
    // Multi-byte characters count in bytes: 25 three-byte characters are 75 bytes.
    let wide = "\u{20ac}".repeat(25);
    assert!(matches!(
        v.verify(wide.as_bytes(), Some(&hash)).await,
        Err(PasswordError::TooLongForBcrypt { len: 75 })
    ));
}

#[tokio::test]
async fn a_cost_12_bcrypt_user_from_the_seeds_logs_in_once_and_is_upgraded() {
    let v = verifier();
    let password = "seed-User-pa55word!";
    let seed = bcrypt::hash_with_salt(password, 12, [42; 16]).unwrap();
    for version in [
        bcrypt::Version::TwoA,
        bcrypt::Version::TwoB,
        bcrypt::Version::TwoY,
    ] {
        let stored = seed.format_for_version(version);
        assert!(
            stored.starts_with("$2") && stored[4..].starts_with("12$"),
            "{stored}"
        );
        assert_eq!(
            v.check(password.as_bytes(), Some(&stored)).await.unwrap(),
            Verification::NeedsRehash(RehashReason::Legacy(LegacyScheme::Bcrypt))
        );
    }
    // The app stores the upgrade; from then on the check is plain Valid.
    let upgraded = v.hash_bounded(password.as_bytes()).await.unwrap();
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{upgraded}"
    );
    assert_eq!(
        v.check(password.as_bytes(), Some(&upgraded)).await.unwrap(),
        Verification::Valid
    );
    assert!(!v.needs_rehash(&upgraded));
}

#[tokio::test]
async fn argon2_hashes_with_other_params_need_a_rehash() {
    let v = verifier();
    let old = cheap(32).hash(b"pw").unwrap();
    assert_eq!(
        v.check(b"pw", Some(&old)).await.unwrap(),
        Verification::NeedsRehash(RehashReason::Params)
    );
    assert_eq!(
        v.check(b"nope", Some(&old)).await.unwrap(),
        Verification::Invalid
    );
    assert!(v.needs_rehash(&old));
    assert!(v.needs_rehash("not a hash"));
    // A costlier hash is never downgraded at login.
    let strong = cheap(128).hash(b"pw").unwrap();
    assert_eq!(
        v.check(b"pw", Some(&strong)).await.unwrap(),
        Verification::Valid
    );
    assert!(!v.needs_rehash(&strong));
    // Another variant is replaced even at the same cost.
    let mut argon2i = cheap(64);
    argon2i.algorithm = rampart::auth::password::argon2::Algorithm::Argon2i;
    let other = argon2i.hash(b"pw").unwrap();
    assert_eq!(
        v.check(b"pw", Some(&other)).await.unwrap(),
        Verification::NeedsRehash(RehashReason::Params)
    );
    assert_eq!(
        v.check(b"pw", Some("$2b$12$broken")).await,
        Err(PasswordError::InvalidHash)
    );
    // Unknown users are never valid, whatever the password.
    assert_eq!(v.check(b"pw", None).await.unwrap(), Verification::Invalid);
}

#[tokio::test]
async fn an_expired_password_must_be_changed_not_let_in() {
    let v = verifier();
    let stored = v.hash(b"tapestry walrus").unwrap();
    let policy = PasswordPolicy::builder()
        .max_age(Duration::from_secs(90 * 86_400))
        .build()
        .unwrap();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let day = Duration::from_secs(86_400);
    let check = |set_at: Option<SystemTime>, password: &'static [u8], policy: PasswordPolicy| {
        let v = v.clone();
        let stored = stored.clone();
        async move {
            v.check_expiring(password, Some(&stored), set_at, &policy, now)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        check(Some(now - 89 * day), b"tapestry walrus", policy.clone()).await,
        Verification::Valid
    );
    let expired = check(Some(now - 90 * day), b"tapestry walrus", policy.clone()).await;
    assert_eq!(expired, Verification::MustChange);
    assert!(expired.password_matched() && !expired.allows_login());
    // A wrong password says nothing about expiry.
    assert_eq!(
        check(Some(now - 900 * day), b"wrong", policy.clone()).await,
        Verification::Invalid
    );
    // No recorded set-at under a max age: must change (fail closed).
    assert_eq!(
        check(None, b"tapestry walrus", policy).await,
        Verification::MustChange
    );
    // No max age (the default): never expires.
    assert_eq!(
        check(None, b"tapestry walrus", PasswordPolicy::default()).await,
        Verification::Valid
    );
}

#[tokio::test]
async fn legacy_checks_run_under_the_same_limiter() {
    let v = PasswordVerifier::builder()
        .params(cheap(64))
        .max_concurrent(1)
        .max_queued(0)
        .build()
        .unwrap();
    let hash = vectors()
        .into_iter()
        .find(|x| x.scheme == "scrypt")
        .unwrap();
    let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let limiter = v.limiter().clone();
    let holder = tokio::spawn(async move {
        limiter
            .run(move || {
                started_tx.send(()).unwrap();
                hold_rx.recv().unwrap();
            })
            .await
    });
    started_rx.await.unwrap();
    assert!(matches!(
        v.check(hash.password.as_bytes(), Some(&hash.hash)).await,
        Err(PasswordError::Busy(_))
    ));
    hold_tx.send(()).unwrap();
    holder.await.unwrap().unwrap();
    // Many at once: never more than one running.
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let v = v.clone();
            let h = hash.hash.clone();
            tokio::spawn(async move { v.verify(b"pleaseletmein", Some(&h)).await })
        })
        .collect();
    for t in tasks {
        let _ = t.await.unwrap();
    }
    assert_eq!(v.limiter().stats().peak_running, 1);
}

#[test]
fn the_decoy_ignores_legacy_hashes() {
    let argon = cheap(128).hash(b"a").unwrap();
    let v = PasswordVerifier::builder()
        .params(cheap(64))
        .decoy_like(vectors().iter().map(|x| x.hash.clone()).chain([argon]))
        .build()
        .unwrap();
    assert_eq!(v.decoy_params(), &cheap(128));
}
