//! Wycheproof vectors through the crate's own primitive calls (the same
//! functions fields, tenant derivation and blind indexes go through).

use crate::primitives::{hkdf_sha256, hmac_sha256_truncated, open, seal};
use aws_lc_rs::aead::{AES_256_GCM, AES_256_GCM_SIV, Algorithm, LessSafeKey, UnboundKey};
use aws_lc_rs::hmac;
use serde::Deserialize;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[derive(Deserialize)]
struct File<G> {
    #[serde(rename = "testGroups")]
    groups: Vec<G>,
}

#[derive(Deserialize)]
struct AeadGroup {
    #[serde(rename = "keySize")]
    key_size: usize,
    #[serde(rename = "ivSize")]
    iv_size: usize,
    #[serde(rename = "tagSize")]
    tag_size: usize,
    tests: Vec<AeadTest>,
}

#[derive(Deserialize)]
struct AeadTest {
    #[serde(rename = "tcId")]
    id: u32,
    key: String,
    iv: String,
    aad: String,
    msg: String,
    ct: String,
    tag: String,
    result: String,
}

/// Runs every 256-bit-key, 96-bit-nonce, 128-bit-tag vector (the only shape
/// the ciphertext format admits) and returns how many ran.
fn run_aead(file: &str, alg: &'static Algorithm) -> usize {
    let f: File<AeadGroup> = serde_json::from_str(&rampart_test_support::corpus(file)).unwrap();
    let mut ran = 0;
    for g in f.groups {
        if g.key_size != 256 || g.iv_size != 96 || g.tag_size != 128 {
            continue;
        }
        for t in g.tests {
            let key = LessSafeKey::new(UnboundKey::new(alg, &hex(&t.key)).unwrap());
            let nonce: [u8; 12] = hex(&t.iv).try_into().unwrap();
            let (aad, msg, ct, tag) = (hex(&t.aad), hex(&t.msg), hex(&t.ct), hex(&t.tag));
            let mut out = Vec::new();
            let opened = open(&key, nonce, &aad, &ct, &tag, &mut out);
            if t.result == "invalid" {
                assert!(opened.is_err() && out.is_empty(), "tc {} opened", t.id);
            } else {
                opened.unwrap_or_else(|_| panic!("tc {} refused", t.id));
                assert_eq!(out, msg, "tc {}", t.id);
                let mut body = msg.clone();
                let sealed_tag = seal(&key, nonce, &aad, &mut body).unwrap();
                assert_eq!((body, sealed_tag.to_vec()), (ct, tag), "tc {}", t.id);
            }
            ran += 1;
        }
    }
    ran
}

#[test]
fn wycheproof_aes_256_gcm() {
    assert!(run_aead("crypto/wycheproof/aes_gcm_test.json", &AES_256_GCM) >= 50);
}

#[test]
fn wycheproof_aes_256_gcm_siv() {
    assert!(run_aead("crypto/wycheproof/aes_gcm_siv_test.json", &AES_256_GCM_SIV) >= 50);
}

#[derive(Deserialize)]
struct HkdfGroup {
    tests: Vec<HkdfTest>,
}

#[derive(Deserialize)]
struct HkdfTest {
    #[serde(rename = "tcId")]
    id: u32,
    ikm: String,
    salt: String,
    info: String,
    size: usize,
    okm: String,
    result: String,
}

#[test]
fn wycheproof_hkdf_sha256() {
    let f: File<HkdfGroup> = serde_json::from_str(&rampart_test_support::corpus(
        "crypto/wycheproof/hkdf_sha256_test.json",
    ))
    .unwrap();
    let mut ran = 0;
    for t in f.groups.into_iter().flat_map(|g| g.tests) {
        let mut out = vec![0u8; t.size];
        let r = hkdf_sha256(&hex(&t.salt), &hex(&t.ikm), &hex(&t.info), &mut out);
        if t.result == "invalid" {
            assert!(r.is_err(), "tc {}", t.id);
        } else {
            r.unwrap_or_else(|_| panic!("tc {}", t.id));
            assert_eq!(out, hex(&t.okm), "tc {}", t.id);
        }
        ran += 1;
    }
    assert!(ran >= 80, "{ran}");
}

#[derive(Deserialize)]
struct HmacGroup {
    #[serde(rename = "tagSize")]
    tag_size: usize,
    tests: Vec<HmacTest>,
}

#[derive(Deserialize)]
struct HmacTest {
    #[serde(rename = "tcId")]
    id: u32,
    key: String,
    msg: String,
    tag: String,
    result: String,
}

#[test]
fn wycheproof_hmac_sha256_with_truncation() {
    let f: File<HmacGroup> = serde_json::from_str(&rampart_test_support::corpus(
        "crypto/wycheproof/hmac_sha256_test.json",
    ))
    .unwrap();
    let mut ran = 0;
    for g in f.groups {
        for t in g.tests {
            let key = hmac::Key::new(hmac::HMAC_SHA256, &hex(&t.key));
            let msg = hex(&t.msg);
            // Split the message to go through the multi-part path too.
            let (a, b) = msg.split_at(msg.len() / 2);
            let mut out = vec![0u8; g.tag_size / 8];
            hmac_sha256_truncated(&key, &[a, b], &mut out);
            let matches =
                aws_lc_rs::constant_time::verify_slices_are_equal(&out, &hex(&t.tag)).is_ok();
            assert_eq!(matches, t.result == "valid", "tc {}", t.id);
            ran += 1;
        }
    }
    assert!(ran >= 150, "{ran}");
}
