//! The few calls into aws-lc-rs every other module goes through, so the
//! Wycheproof vectors test exactly the code paths fields use.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use aws_lc_rs::hmac;
use zeroize::Zeroize;

/// Encrypts `in_out` in place and returns the tag.
pub(crate) fn seal(
    key: &LessSafeKey,
    nonce: [u8; 12],
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<[u8; 16], aws_lc_rs::error::Unspecified> {
    let tag = key.seal_in_place_separate_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        in_out,
    )?;
    let mut out = [0u8; 16];
    out.copy_from_slice(tag.as_ref());
    Ok(out)
}

/// Opens `body` + `tag`, appending the plaintext to `out`. On failure `out`
/// is as it was, the unauthenticated bytes written meanwhile wiped.
///
/// Copies body and tag into `out` and opens in place: aws-lc's combined
/// open is its fastest path (the gather variant is several times slower on
/// large inputs).
pub(crate) fn open(
    key: &LessSafeKey,
    nonce: [u8; 12],
    aad: &[u8],
    body: &[u8],
    tag: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), aws_lc_rs::error::Unspecified> {
    let start = out.len();
    out.reserve(body.len() + tag.len());
    out.extend_from_slice(body);
    out.extend_from_slice(tag);
    let opened = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[start..],
        )
        .map(|plain| plain.len());
    match opened {
        Ok(len) => {
            out.truncate(start + len);
            Ok(())
        }
        Err(e) => {
            out[start..].zeroize();
            out.truncate(start);
            Err(e)
        }
    }
}

struct Len(usize);
impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA256 (RFC 5869) filling `out`; fails when `out` is longer than
/// 255 hash blocks.
pub(crate) fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), aws_lc_rs::error::Unspecified> {
    Salt::new(HKDF_SHA256, salt)
        .extract(ikm)
        .expand(&[info], Len(out.len()))
        .and_then(|okm| okm.fill(out))
}

/// HMAC-SHA256 of `parts` (concatenated) truncated to `out.len()` bytes (at
/// most 32).
pub(crate) fn hmac_sha256_truncated(key: &hmac::Key, parts: &[&[u8]], out: &mut [u8]) {
    let mut ctx = hmac::Context::with_key(key);
    for p in parts {
        ctx.update(p);
    }
    let tag = ctx.sign();
    let n = out.len().min(tag.as_ref().len());
    out[..n].copy_from_slice(&tag.as_ref()[..n]);
}
