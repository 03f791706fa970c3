//! The few calls into aws-lc-rs every other module goes through, so the
//! Wycheproof vectors test exactly the code paths fields use.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use aws_lc_rs::hmac;

/// Seals `plaintext` into `body` (same length) and `tag` (16 bytes).
pub(crate) fn seal(
    key: &LessSafeKey,
    nonce: [u8; 12],
    aad: &[u8],
    plaintext: &[u8],
    body: &mut [u8],
    tag: &mut [u8],
) -> Result<(), aws_lc_rs::error::Unspecified> {
    key.seal_out_of_place_scatter(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        plaintext,
        body,
        &[],
        tag,
    )
}

/// Opens `body` + `tag` into `out` (same length as `body`). On failure `out`
/// may hold unauthenticated bytes: the caller wipes it.
pub(crate) fn open(
    key: &LessSafeKey,
    nonce: [u8; 12],
    aad: &[u8],
    body: &[u8],
    tag: &[u8],
    out: &mut [u8],
) -> Result<(), aws_lc_rs::error::Unspecified> {
    key.open_separate_gather(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        body,
        tag,
        out,
    )
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
