//! pyca/cryptography's Fernet vectors: generate (byte-exact layout),
//! verify, and the eight refusals.

use crate::fernet::{Fernet, FernetKey, encrypt_for_test};
use crate::{Context, CryptoError, FieldCipher, FieldKey, Keyring};
use rampart_core::ManualClock;
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
struct Vector {
    #[serde(default)]
    desc: String,
    token: String,
    now: String,
    #[serde(default)]
    ttl_sec: Option<u64>,
    #[serde(default)]
    src: String,
    #[serde(default)]
    iv: Vec<u8>,
    secret: String,
}

fn vectors(name: &str) -> Vec<Vector> {
    serde_json::from_str(&rampart_test_support::corpus(&format!(
        "crypto/fernet/{name}.json"
    )))
    .unwrap()
}

/// Seconds since the epoch of an RFC 3339 time such as `1985-10-26T01:20:01-07:00`.
fn unix(rfc3339: &str) -> u64 {
    let n = |r: std::ops::Range<usize>| rfc3339[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (hh, mm, ss) = (n(11..13), n(14..16), n(17..19));
    let sign = if &rfc3339[19..20] == "-" { -1 } else { 1 };
    let offset = sign * (n(20..22) * 3600 + n(23..25) * 60);
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss - offset).unwrap()
}

fn fernet(v: &Vector) -> Fernet {
    let f = Fernet::new(vec![FernetKey::from_base64(&v.secret).unwrap()])
        .clock(ManualClock::at_unix(unix(&v.now)).shared());
    match v.ttl_sec {
        Some(ttl) => f.ttl(Duration::from_secs(ttl)),
        None => f,
    }
}

#[test]
fn time_parser_matches_known_instants() {
    assert_eq!(unix("1970-01-01T00:00:00+00:00"), 0);
    assert_eq!(unix("1985-10-26T01:20:00-07:00"), 499_162_800);
}

#[test]
fn generate_vectors_match_byte_for_byte() {
    let all = vectors("generate");
    assert!(!all.is_empty());
    for v in all {
        let key = FernetKey::from_base64(&v.secret).unwrap();
        let iv: [u8; 16] = v.iv.clone().try_into().unwrap();
        let made = encrypt_for_test(&key, iv, unix(&v.now), v.src.as_bytes());
        assert_eq!(made, v.token);
        assert_eq!(&*fernet(&v).decrypt(&v.token).unwrap(), v.src.as_bytes());
    }
}

#[test]
fn verify_vectors_decrypt() {
    for v in vectors("verify") {
        assert_eq!(&*fernet(&v).decrypt(&v.token).unwrap(), v.src.as_bytes());
    }
}

#[test]
fn invalid_vectors_are_refused_with_their_reason() {
    let all = vectors("invalid");
    assert_eq!(all.len(), 8);
    for v in all {
        let err = fernet(&v).decrypt(&v.token).unwrap_err();
        let CryptoError::Fernet(reason) = err else {
            panic!("{}: {err:?}", v.desc)
        };
        let expected = match v.desc.as_str() {
            "incorrect mac" => "HMAC does not verify under any key",
            "too short" => "token is too short",
            "invalid base64" => "token is not base64url",
            "payload size not multiple of block size" => {
                "ciphertext is not a whole number of blocks"
            }
            "payload padding error" | "incorrect IV (causes padding error)" => "padding is invalid",
            "far-future TS (unacceptable clock skew)" => "token timestamp is in the future",
            "expired TTL" => "token has expired",
            other => panic!("unexpected vector {other}"),
        };
        assert_eq!(reason, expected, "{}", v.desc);
    }
}

#[test]
fn fernet_tokens_migrate_to_context_bound_fields() {
    let v = &vectors("verify")[0];
    let legacy = fernet(v);
    let cipher = FieldCipher::new(Keyring::new(1, FieldKey::generate().unwrap()).unwrap());
    let mut column = [v.token.clone(), "gAAAA-garbage".to_owned()];
    let ids = ["1", "2"];
    let report = cipher.migrate_batch(
        &legacy,
        ids.iter()
            .zip(column.iter_mut())
            .map(|(id, c)| (Context::new("user", "note", id), c)),
    );
    assert_eq!(report.reencrypted, 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, 1);
    assert_eq!(column[1], "gAAAA-garbage");
    let plain = cipher
        .decrypt_str(&Context::new("user", "note", "1"), &column[0])
        .unwrap();
    assert_eq!(&*plain, v.src.as_bytes());
}

/// A token signed under `secret` over `body` (version, time, IV, then
/// whatever ciphertext `body` holds).
fn signed_token(secret: &[u8; 32], body: &[u8]) -> String {
    use base64::Engine;
    let mut data = vec![0x80];
    data.extend_from_slice(&100u64.to_be_bytes());
    data.extend_from_slice(&[0u8; 16]);
    data.extend_from_slice(body);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret[..16]);
    let tag = aws_lc_rs::hmac::sign(&key, &data);
    data.extend_from_slice(tag.as_ref());
    base64::engine::general_purpose::URL_SAFE.encode(data)
}

#[test]
fn the_shortest_signed_token_is_read_and_refused_for_its_empty_ciphertext() {
    use base64::Engine;
    let secret = [7u8; 32];
    let key =
        FernetKey::from_base64(&base64::engine::general_purpose::URL_SAFE.encode(secret)).unwrap();
    let fernet = Fernet::new(vec![key]).clock(ManualClock::at_unix(100).shared());
    // Version, time, IV and MAC with no ciphertext: long enough to be read,
    // signed, and refused only because there is no padded block.
    let empty = fernet.decrypt(&signed_token(&secret, &[])).unwrap_err();
    assert_eq!(empty, CryptoError::Fernet("padding is invalid"), "{empty}");
    // One byte less is too short to hold a MAC at all.
    let mut raw = base64::engine::general_purpose::URL_SAFE
        .decode(signed_token(&secret, &[]))
        .unwrap();
    raw.pop();
    let short = fernet
        .decrypt(&base64::engine::general_purpose::URL_SAFE.encode(raw))
        .unwrap_err();
    assert_eq!(short, CryptoError::Fernet("token is too short"));
    // A decryptor's Debug names how many keys it holds, never their bytes.
    let debug = format!("{fernet:?}");
    assert!(
        debug.starts_with("Fernet") && debug.contains("keys: 1"),
        "{debug}"
    );
    assert!(!debug.contains('7'), "{debug}");
}
