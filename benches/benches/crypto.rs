//! Field encryption: rampart's `FieldCipher` (context-bound AES-256-GCM,
//! keyring lookup, nonce budget count, versioned header) beside raw
//! AES-256-GCM in aws-lc-rs, ring and RustCrypto `aes-gcm`, at 64 B, 1 KiB
//! and 64 KiB.
//!
//! Each anchor does the least any correct field encryption must: draw a
//! random 96-bit nonce, and write nonce ‖ ciphertext ‖ tag into a fresh
//! buffer, with a short associated data. All draw nonces from the same
//! generator (aws-lc-rs's), so the comparison is of the AEAD and what
//! rampart adds around it, not of random number generators. Decryption
//! anchors open into a fresh buffer, as `FieldCipher::decrypt` does (which
//! also wipes the plaintext when it is dropped); the `_reused_buffer`
//! variants show `encrypt_into` / `decrypt_into` on one buffer.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce as RcNonce, Tag as RcTag};
use aws_lc_rs::aead as lc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rampart_crypto::{Context, FieldCipher, FieldKey, Keyring};
use ring::aead as rg;
use std::hint::black_box;

const KEY: [u8; 32] = [0x42; 32];
const AAD: &[u8] = b"user\x00ssn\x0042";
const SIZES: [usize; 3] = [64, 1024, 64 * 1024];

fn nonce() -> [u8; 12] {
    let mut n = [0u8; 12];
    aws_lc_rs::rand::fill(&mut n).expect("random");
    n
}

fn lc_seal(key: &lc::LessSafeKey, plain: &[u8]) -> Vec<u8> {
    let n = nonce();
    let mut out = Vec::with_capacity(12 + plain.len() + 16);
    out.extend_from_slice(&n);
    out.extend_from_slice(plain);
    let tag = key
        .seal_in_place_separate_tag(
            lc::Nonce::assume_unique_for_key(n),
            lc::Aad::from(AAD),
            &mut out[12..],
        )
        .expect("seal");
    out.extend_from_slice(tag.as_ref());
    out
}

fn lc_open(key: &lc::LessSafeKey, sealed: &[u8]) -> Vec<u8> {
    let n: [u8; 12] = sealed[..12].try_into().expect("nonce");
    let mut buf = sealed[12..].to_vec();
    let len = key
        .open_in_place(
            lc::Nonce::assume_unique_for_key(n),
            lc::Aad::from(AAD),
            &mut buf,
        )
        .expect("open")
        .len();
    buf.truncate(len);
    buf
}

fn ring_seal(key: &rg::LessSafeKey, plain: &[u8]) -> Vec<u8> {
    let n = nonce();
    let mut out = Vec::with_capacity(12 + plain.len() + 16);
    out.extend_from_slice(&n);
    out.extend_from_slice(plain);
    let tag = key
        .seal_in_place_separate_tag(
            rg::Nonce::assume_unique_for_key(n),
            rg::Aad::from(AAD),
            &mut out[12..],
        )
        .expect("seal");
    out.extend_from_slice(tag.as_ref());
    out
}

fn ring_open(key: &rg::LessSafeKey, sealed: &[u8]) -> Vec<u8> {
    let n: [u8; 12] = sealed[..12].try_into().expect("nonce");
    let mut buf = sealed[12..].to_vec();
    let len = key
        .open_in_place(
            rg::Nonce::assume_unique_for_key(n),
            rg::Aad::from(AAD),
            &mut buf,
        )
        .expect("open")
        .len();
    buf.truncate(len);
    buf
}

fn rc_seal(key: &Aes256Gcm, plain: &[u8]) -> Vec<u8> {
    let n = nonce();
    let mut out = Vec::with_capacity(12 + plain.len() + 16);
    out.extend_from_slice(&n);
    out.extend_from_slice(plain);
    let tag = key
        .encrypt_inout_detached(&RcNonce::from(n), AAD, (&mut out[12..]).into())
        .expect("seal");
    out.extend_from_slice(&tag);
    out
}

fn rc_open(key: &Aes256Gcm, sealed: &[u8]) -> Vec<u8> {
    let n: [u8; 12] = sealed[..12].try_into().expect("nonce");
    let body = &sealed[12..sealed.len() - 16];
    let tag: [u8; 16] = sealed[sealed.len() - 16..].try_into().expect("tag");
    let mut buf = body.to_vec();
    key.decrypt_inout_detached(
        &RcNonce::from(n),
        AAD,
        (&mut buf[..]).into(),
        &RcTag::from(tag),
    )
    .expect("open");
    buf
}

fn bench(c: &mut Criterion) {
    let lc_key = lc::LessSafeKey::new(lc::UnboundKey::new(&lc::AES_256_GCM, &KEY).expect("key"));
    let ring_key = rg::LessSafeKey::new(rg::UnboundKey::new(&rg::AES_256_GCM, &KEY).expect("key"));
    let rc_key = Aes256Gcm::new(&KEY.into());
    let cipher = FieldCipher::new(
        Keyring::new(1, FieldKey::from_bytes(&KEY).expect("key")).expect("keyring"),
    );
    let ctx = Context::new("user", "ssn", "42");

    let mut enc = c.benchmark_group("field_encrypt");
    for size in SIZES {
        let plain = vec![0x61u8; size];
        enc.throughput(Throughput::Bytes(size as u64));
        enc.bench_with_input(
            BenchmarkId::new("anchor_aws_lc_rs", size),
            &plain,
            |b, p| {
                b.iter(|| black_box(lc_seal(&lc_key, black_box(p))));
            },
        );
        enc.bench_with_input(BenchmarkId::new("anchor_ring", size), &plain, |b, p| {
            b.iter(|| black_box(ring_seal(&ring_key, black_box(p))));
        });
        enc.bench_with_input(
            BenchmarkId::new("anchor_rustcrypto_aes_gcm", size),
            &plain,
            |b, p| {
                b.iter(|| black_box(rc_seal(&rc_key, black_box(p))));
            },
        );
        enc.bench_with_input(
            BenchmarkId::new("rampart_field_cipher", size),
            &plain,
            |b, p| {
                b.iter(|| black_box(cipher.encrypt(&ctx, black_box(p)).expect("encrypt")));
            },
        );
        let mut buf = Vec::with_capacity(size + 64);
        enc.bench_with_input(
            BenchmarkId::new("rampart_field_cipher_reused_buffer", size),
            &plain,
            |b, p| {
                b.iter(|| {
                    buf.clear();
                    cipher
                        .encrypt_into(&ctx, black_box(p), &mut buf)
                        .expect("encrypt");
                    black_box(buf.len())
                });
            },
        );
    }
    enc.finish();

    let mut dec = c.benchmark_group("field_decrypt");
    for size in SIZES {
        let plain = vec![0x61u8; size];
        dec.throughput(Throughput::Bytes(size as u64));
        let sealed = lc_seal(&lc_key, &plain);
        dec.bench_with_input(
            BenchmarkId::new("anchor_aws_lc_rs", size),
            &sealed,
            |b, s| {
                b.iter(|| black_box(lc_open(&lc_key, black_box(s))));
            },
        );
        let sealed = ring_seal(&ring_key, &plain);
        dec.bench_with_input(BenchmarkId::new("anchor_ring", size), &sealed, |b, s| {
            b.iter(|| black_box(ring_open(&ring_key, black_box(s))));
        });
        let sealed = rc_seal(&rc_key, &plain);
        dec.bench_with_input(
            BenchmarkId::new("anchor_rustcrypto_aes_gcm", size),
            &sealed,
            |b, s| {
                b.iter(|| black_box(rc_open(&rc_key, black_box(s))));
            },
        );
        let sealed = cipher.encrypt(&ctx, &plain).expect("encrypt");
        dec.bench_with_input(
            BenchmarkId::new("rampart_field_cipher", size),
            &sealed,
            |b, s| {
                b.iter(|| black_box(cipher.decrypt(&ctx, black_box(s)).expect("decrypt")));
            },
        );
        let mut buf = Vec::with_capacity(size + 64);
        dec.bench_with_input(
            BenchmarkId::new("rampart_field_cipher_reused_buffer", size),
            &sealed,
            |b, s| {
                b.iter(|| {
                    buf.clear();
                    cipher
                        .decrypt_into(&ctx, black_box(s), &mut buf)
                        .expect("decrypt");
                    black_box(buf.len())
                });
            },
        );
    }
    dec.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
