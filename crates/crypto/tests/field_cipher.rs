//! FieldCipher behaviour: round trips, tampering, context binding, rotation,
//! re-encryption, nonce uniqueness and the nonce budget.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rampart_core::{EventKind, ManualClock, MemorySink, Severity};
use rampart_crypto::{
    Algorithm, ConfigError, Context, CryptoError, FieldCipher, FieldKey, KeyStatus, Keyring,
    MIN_LEN,
};
use std::collections::HashSet;
use std::sync::Arc;

fn keyring() -> Keyring {
    Keyring::new(1, FieldKey::generate().unwrap()).unwrap()
}

fn ctx() -> Context<'static> {
    Context::new("user", "ssn", "42").tenant("acme")
}

#[test]
fn round_trips_from_empty_to_one_mebibyte_in_both_algorithms() {
    for alg in [Algorithm::Aes256Gcm, Algorithm::Aes256GcmSiv] {
        let cipher = FieldCipher::builder(keyring())
            .algorithm(alg)
            .build()
            .unwrap();
        for len in [0usize, 1, 15, 16, 17, 255, 4096, 65_537, 1 << 20] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let sealed = cipher.encrypt(&ctx(), &plain).unwrap();
            assert_eq!(sealed.len(), plain.len() + MIN_LEN);
            assert_eq!(FieldCipher::inspect(&sealed).unwrap(), (1, alg));
            assert_eq!(
                &*cipher.decrypt(&ctx(), &sealed).unwrap(),
                &plain,
                "{alg:?} {len}"
            );
            let text = cipher.encrypt_to_string(&ctx(), &plain).unwrap();
            assert_eq!(&*cipher.decrypt_str(&ctx(), &text).unwrap(), &plain);
        }
    }
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let cipher = FieldCipher::new(keyring());
    let sealed = cipher.encrypt(&ctx(), b"123-45-6789").unwrap();
    for bit in 0..sealed.len() * 8 {
        let mut bad = sealed.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let err = cipher.decrypt(&ctx(), &bad).unwrap_err();
        // Header flips are refused by the parser or the key lookup, the
        // rest by authentication; nothing decrypts.
        assert!(
            matches!(
                err,
                CryptoError::Authentication
                    | CryptoError::UnsupportedVersion(_)
                    | CryptoError::UnknownAlgorithm(_)
                    | CryptoError::UnknownKey(_)
            ),
            "bit {bit}: {err:?}"
        );
    }
}

#[test]
fn algorithm_byte_flip_between_gcm_and_siv_fails_authentication() {
    let cipher = FieldCipher::new(keyring());
    let mut sealed = cipher.encrypt(&ctx(), b"x").unwrap();
    sealed[1] = Algorithm::Aes256GcmSiv.id();
    assert_eq!(
        cipher.decrypt(&ctx(), &sealed).unwrap_err(),
        CryptoError::Authentication
    );
}

#[test]
fn context_swaps_are_rejected() {
    let cipher = FieldCipher::new(keyring());
    let sealed = cipher.encrypt(&ctx(), b"secret").unwrap();
    let others = [
        Context::new("user", "ssn", "43").tenant("acme"),
        Context::new("user", "phone", "42").tenant("acme"),
        Context::new("account", "ssn", "42").tenant("acme"),
        Context::new("user", "ssn", "42").tenant("globex"),
        Context::new("user", "ssn", "42"),
        Context::new("user", "ssn4", "2").tenant("acme"),
    ];
    for other in others {
        assert_eq!(
            cipher.decrypt(&other, &sealed).unwrap_err(),
            CryptoError::Authentication,
            "{other:?}"
        );
    }
}

#[test]
fn another_key_with_the_same_id_does_not_decrypt() {
    let a = FieldCipher::new(keyring());
    let b = FieldCipher::new(keyring());
    let sealed = a.encrypt(&ctx(), b"x").unwrap();
    assert_eq!(
        b.decrypt(&ctx(), &sealed).unwrap_err(),
        CryptoError::Authentication
    );
}

#[test]
fn truncated_and_malformed_inputs_are_clear_errors() {
    let cipher = FieldCipher::new(keyring());
    let sealed = cipher.encrypt(&ctx(), b"abc").unwrap();
    for len in 0..sealed.len() {
        let err = cipher.decrypt(&ctx(), &sealed[..len]).unwrap_err();
        assert!(
            matches!(
                err,
                CryptoError::Truncated { .. } | CryptoError::Authentication
            ),
            "{len}: {err:?}"
        );
    }
    assert_eq!(
        cipher.decrypt_str(&ctx(), "not base64!"),
        Err(CryptoError::Encoding)
    );
    assert_eq!(
        cipher.decrypt_str(&ctx(), ""),
        Err(CryptoError::Truncated {
            needed: MIN_LEN,
            got: 0
        })
    );
    let mut unknown = sealed.clone();
    unknown[2..6].copy_from_slice(&99u32.to_be_bytes());
    assert_eq!(
        cipher.decrypt(&ctx(), &unknown),
        Err(CryptoError::UnknownKey(99))
    );
    let msg = CryptoError::Truncated { needed: 34, got: 3 }.to_string();
    assert!(msg.contains("34") && msg.contains('3'), "{msg}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), text in ".{0,120}") {
        let cipher = FieldCipher::new(Keyring::new(1, FieldKey::from_bytes(&[3; 32]).unwrap()).unwrap());
        prop_assert!(cipher.decrypt(&ctx(), &bytes).is_err());
        prop_assert!(cipher.decrypt_str(&ctx(), &text).is_err());
    }

    #[test]
    fn shaped_garbage_never_decrypts(key_id in 0u32..3, body in proptest::collection::vec(any::<u8>(), 16..80)) {
        let cipher = FieldCipher::new(Keyring::new(1, FieldKey::from_bytes(&[3; 32]).unwrap()).unwrap());
        let mut bytes = vec![1, 1];
        bytes.extend(key_id.to_be_bytes());
        bytes.extend(body);
        prop_assert!(cipher.decrypt(&ctx(), &bytes).is_err());
    }

    #[test]
    fn any_plaintext_and_context_round_trip(
        plain in proptest::collection::vec(any::<u8>(), 0..300),
        tenant in proptest::option::of(".{0,10}"), kind in ".{0,10}", field in ".{0,10}", id in ".{0,300}",
    ) {
        let cipher = FieldCipher::new(Keyring::new(1, FieldKey::from_bytes(&[3; 32]).unwrap()).unwrap());
        let mut c = Context::new(&kind, &field, &id);
        if let Some(t) = tenant.as_deref() { c = c.tenant(t); }
        let sealed = cipher.encrypt(&c, &plain).unwrap();
        prop_assert_eq!(&*cipher.decrypt(&c, &sealed).unwrap(), &plain);
    }
}

#[test]
fn decrypts_after_rotation_and_refuses_after_retirement() {
    let ring = keyring();
    let cipher = FieldCipher::new(ring.clone());
    let old = cipher.encrypt(&ctx(), b"old").unwrap();
    ring.rotate(2, FieldKey::generate().unwrap()).unwrap();
    let new = cipher.encrypt(&ctx(), b"new").unwrap();
    assert_eq!(FieldCipher::inspect(&new).unwrap().0, 2);
    assert_eq!(&*cipher.decrypt(&ctx(), &old).unwrap(), b"old");
    assert!(cipher.needs_reencryption(&old).unwrap());
    assert!(!cipher.needs_reencryption(&new).unwrap());
    let re = cipher.reencrypt(&ctx(), &old).unwrap().unwrap();
    assert_eq!(cipher.reencrypt(&ctx(), &re).unwrap(), None);
    ring.retire(1).unwrap();
    assert_eq!(
        cipher.decrypt(&ctx(), &old),
        Err(CryptoError::RetiredKey(1))
    );
    assert_eq!(&*cipher.decrypt(&ctx(), &re).unwrap(), b"old");
}

#[test]
fn batch_reencryption_reports_each_item() {
    let ring = keyring();
    let cipher = FieldCipher::new(ring.clone());
    let ids: Vec<String> = (0..5).map(|i| i.to_string()).collect();
    let mut column: Vec<String> = ids
        .iter()
        .map(|id| {
            cipher
                .encrypt_to_string(&Context::new("user", "ssn", id), id.as_bytes())
                .unwrap()
        })
        .collect();
    ring.rotate(2, FieldKey::generate().unwrap()).unwrap();
    column[1] = cipher
        .encrypt_to_string(&Context::new("user", "ssn", "1"), b"1")
        .unwrap();
    column[3] = "garbage".into();
    let report = cipher.reencrypt_batch(
        ids.iter()
            .zip(column.iter_mut())
            .map(|(id, c)| (Context::new("user", "ssn", id), c)),
    );
    assert_eq!((report.reencrypted, report.unchanged), (3, 1));
    assert_eq!(report.failed, vec![(3, CryptoError::Encoding)]);
    assert_eq!(column[3], "garbage");
    ring.retire(1).unwrap();
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| *i != 3) {
        let plain = cipher
            .decrypt_str(&Context::new("user", "ssn", id), &column[i])
            .unwrap();
        assert_eq!(&*plain, id.as_bytes());
    }
}

#[test]
fn switching_to_gcm_siv_keeps_gcm_fields_readable() {
    let ring = keyring();
    let gcm = FieldCipher::new(ring.clone());
    let sealed = gcm.encrypt(&ctx(), b"x").unwrap();
    let siv = FieldCipher::builder(ring)
        .algorithm(Algorithm::Aes256GcmSiv)
        .build()
        .unwrap();
    assert_eq!(&*siv.decrypt(&ctx(), &sealed).unwrap(), b"x");
    assert!(siv.needs_reencryption(&sealed).unwrap());
    let re = siv.reencrypt(&ctx(), &sealed).unwrap().unwrap();
    assert_eq!(
        FieldCipher::inspect(&re).unwrap().1,
        Algorithm::Aes256GcmSiv
    );
}

#[test]
fn no_nonce_repeats_over_a_million_encryptions() {
    let cipher = FieldCipher::new(keyring());
    let mut seen = HashSet::with_capacity(1_000_000);
    let mut buf = Vec::with_capacity(64);
    for _ in 0..1_000_000 {
        buf.clear();
        cipher.encrypt_into(&ctx(), b"", &mut buf).unwrap();
        let nonce: [u8; 12] = buf[6..18].try_into().unwrap();
        assert!(seen.insert(nonce), "nonce repeated");
    }
    assert_eq!(cipher.usage()[0].messages, 1_000_000);
}

#[test]
fn nonce_budget_warns_once_then_refuses_until_rotation() {
    let ring = keyring();
    let sink = MemorySink::new();
    let clock = ManualClock::at_unix(1_700_000_000);
    let cipher = FieldCipher::builder(ring.clone())
        .nonce_budget(10)
        .warn_at(0.8)
        .event_sink(Arc::new(sink.clone()))
        .clock(clock.shared())
        .build()
        .unwrap();
    for _ in 0..7 {
        cipher.encrypt(&ctx(), b"x").unwrap();
    }
    assert!(sink.events().is_empty());
    cipher.encrypt(&ctx(), b"x").unwrap();
    let events = sink.take();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::ConfigurationChanged);
    assert_eq!(events[0].fields["step"], "budget_threshold");
    assert_eq!(events[0].fields["kid"], "1");
    assert_eq!(events[0].at_unix_ms, 1_700_000_000_000);
    let usage = &cipher.usage()[0];
    assert!(usage.over_threshold && usage.messages == 8 && usage.status == KeyStatus::Primary);
    cipher.encrypt(&ctx(), b"x").unwrap();
    cipher.encrypt(&ctx(), b"x").unwrap();
    for _ in 0..3 {
        assert_eq!(
            cipher.encrypt(&ctx(), b"x").unwrap_err(),
            CryptoError::NonceBudgetExhausted {
                key_id: 1,
                budget: 10
            }
        );
    }
    let events = sink.take();
    assert_eq!(events.len(), 1, "exhaustion is reported once");
    assert_eq!(events[0].severity, Severity::Critical);
    assert_eq!(cipher.usage()[0].messages, 10);
    ring.rotate(2, FieldKey::generate().unwrap()).unwrap();
    cipher.encrypt(&ctx(), b"x").unwrap();
}

#[test]
fn invalid_settings_are_config_errors() {
    let build = |b: rampart_crypto::FieldCipherBuilder| b.build().unwrap_err();
    assert!(matches!(
        build(FieldCipher::builder(keyring()).nonce_budget(0)),
        ConfigError::Range { .. }
    ));
    assert!(matches!(
        build(FieldCipher::builder(keyring()).nonce_budget((1 << 32) + 1)),
        ConfigError::Range { .. }
    ));
    assert!(
        FieldCipher::builder(keyring())
            .algorithm(Algorithm::Aes256GcmSiv)
            .nonce_budget(1 << 40)
            .build()
            .is_ok()
    );
    assert!(matches!(
        build(FieldCipher::builder(keyring()).warn_at(0.0)),
        ConfigError::Range { .. }
    ));
    assert!(matches!(
        build(FieldCipher::builder(keyring()).warn_at(f64::NAN)),
        ConfigError::Range { .. }
    ));
    assert!(matches!(
        build(FieldCipher::builder(keyring()).max_plaintext(0)),
        ConfigError::Range { .. }
    ));
}

#[test]
fn oversized_plaintext_is_refused_and_buffer_left_alone() {
    let cipher = FieldCipher::builder(keyring())
        .max_plaintext(8)
        .build()
        .unwrap();
    let mut out = vec![7u8];
    assert_eq!(
        cipher.encrypt_into(&ctx(), &[0; 9], &mut out).unwrap_err(),
        CryptoError::TooLarge { limit: 8, got: 9 }
    );
    assert_eq!(out, vec![7]);
    cipher.encrypt_into(&ctx(), &[0; 8], &mut out).unwrap();
    assert_eq!(&*cipher.decrypt(&ctx(), &out[1..]).unwrap(), &[0; 8]);
}

#[test]
fn debug_output_holds_no_key_material() {
    let bytes = [0x5Au8; 32];
    let ring = Keyring::new(1, FieldKey::from_bytes(&bytes).unwrap()).unwrap();
    let cipher = FieldCipher::new(ring.clone());
    let printed = format!(
        "{cipher:?} {ring:?} {:?} {:?}",
        ring.key(1).unwrap(),
        ring.list()
    );
    for needle in ["90, 90", "5a5a", "5A5A", "WlpaWl"] {
        assert!(!printed.contains(needle), "{needle} in {printed}");
    }
    assert!(printed.contains("[redacted]"));
}
