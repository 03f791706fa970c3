//! Field-level encryption for web services: AES-256-GCM bound to each
//! field's context, keyrings with rotation, per-tenant keys, envelope
//! encryption, blind indexes, and masking for display.
//!
//! Encrypting a column protects it from whoever reads the database, its
//! backups or its replicas without the application's key. Binding each
//! value to where it lives (tenant, record type, field, record id) also
//! stops whoever can *write* the database from moving a ciphertext to where
//! it would be shown to them.
//!
//! ```
//! use rampart_crypto::{Context, CryptoError, FieldCipher, FieldKey, Keyring, mask};
//!
//! // One key, id 1, primary. In production: FieldKey::from_base64(env) or
//! // Keyring::from_stored(&provider, &stored) (envelope encryption).
//! let keyring = Keyring::new(1, FieldKey::generate()?)?;
//! let cipher = FieldCipher::new(keyring.clone());
//!
//! let ctx = Context::new("user", "ssn", "42").tenant("acme");
//! let stored = cipher.encrypt_to_string(&ctx, b"123-45-6789")?;
//!
//! // Rotate: new fields use key 2, old ones still decrypt with key 1.
//! keyring.rotate(2, FieldKey::generate()?)?;
//! let plain = cipher.decrypt_str(&ctx, &stored)?;
//! assert_eq!(mask::ssn(std::str::from_utf8(&plain)?), "***-**-6789");
//!
//! // The same ciphertext pasted into another user's row does not decrypt.
//! let other = Context::new("user", "ssn", "43").tenant("acme");
//! assert_eq!(cipher.decrypt_str(&other, &stored), Err(CryptoError::Authentication));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is here
//!
//! - [`FieldCipher`]: encrypt/decrypt one field in a [`Context`]; usage
//!   against the nonce budget ([`FieldCipher::usage`]); re-encryption under
//!   the current key, one field or a batch ([`FieldCipher::reencrypt_batch`]).
//! - [`Keyring`]: key ids, one primary, older keys decrypt-only, rotate,
//!   retire, list. [`KeyRotation`] rotates by age (30 days by default) or
//!   usage, reporting each step as a [`SecurityEvent`](rampart_core::SecurityEvent).
//! - [`KeyProvider`], [`LocalMasterKey`], [`StoredKey`]: envelope
//!   encryption, data keys stored wrapped by a master key (file, env var,
//!   KMS, Vault).
//! - [`TenantKeys`]: a cipher per tenant over keys derived from a master keyring.
//! - [`encrypt_fields`] / [`decrypt_fields`] for JSON objects, and
//!   [`Encrypted<T>`] for struct fields.
//! - [`BlindIndex`]: keyed, truncatable equality lookups on encrypted columns.
//! - [`Fernet`]: read tokens of Python's `cryptography.fernet` to migrate them.
//! - [`mask`] and [`MaskingPolicy`]: display masking, per field and viewer.
//!
//! # Backend
//!
//! Every primitive comes from **aws-lc-rs** (AES-256-GCM, AES-256-GCM-SIV,
//! HKDF-SHA256, HMAC-SHA256, AES-128-CBC for Fernet, the random generator):
//!
//! - the workspace already depends on it (rampart-auth's JWTs, rustls), so
//!   field encryption adds no second crypto stack to audit or to build;
//! - it is the only candidate with AES-256-GCM, GCM-SIV, HKDF, HMAC *and*
//!   CBC in one crate (ring has no GCM-SIV and no CBC; RustCrypto needs five
//!   crates), with a FIPS 140-3 validated mode;
//! - it is as fast as ring on small fields and the fastest of the three
//!   on large ones. The `crypto` criterion bench (`benches/benches/crypto.rs`)
//!   runs each beside `FieldCipher`; one run on a shared 2-core machine,
//!   encrypting with a fresh random nonce into a fresh buffer:
//!
//!   | size   | aws-lc-rs | ring    | RustCrypto `aes-gcm` | `FieldCipher` |
//!   |--------|-----------|---------|----------------------|---------------|
//!   | 64 B   | 1.33 µs   | 1.19 µs | 1.41 µs              | 1.34 µs       |
//!   | 1 KiB  | 1.63 µs   | 1.57 µs | 2.27 µs              | 1.75 µs       |
//!   | 64 KiB | 12.0 µs   | 21.4 µs | 60.3 µs              | 11.6 µs       |
//!
//!   (Most of the small-field time is the random generator, the same for all.)
//!   `FieldCipher` keeps 0.9× the fastest raw AEAD at 1 KiB with its context
//!   binding, key lookup and budget count.
//!   [`FieldCipher::decrypt`] returns a plaintext that wipes itself on drop,
//!   which costs a pass over it (0.6× raw at 1 KiB);
//!   [`FieldCipher::decrypt_into`] on a reused buffer runs at raw speed.
//!
//! The AES key schedules are expanded once, when a key joins the keyring,
//! and each encryption copies the plaintext into its output buffer and
//! seals it there (associated data built on the stack), so a field costs
//! one allocation, or none with [`FieldCipher::encrypt_into`].
//!
//! # Ciphertext format
//!
//! ```text
//! version (1) | algorithm (1) | key id (4, BE) | nonce (12) | ciphertext (n) | tag (16)
//! ```
//!
//! Version is `0x01`; algorithm `0x01` AES-256-GCM or `0x02` AES-256-GCM-SIV.
//! The text form is unpadded base64url of those bytes. The associated data
//! is the first six bytes followed by the context's encoding: a presence
//! byte and the length-prefixed tenant, then the length-prefixed record
//! type, field name and record id (lengths as big-endian u64), so no two
//! contexts encode alike. Parsing is strict ([`ParsedCiphertext::parse`],
//! [`decode_text`]) and every failure is a [`CryptoError`] variant. The
//! overhead is 34 bytes per field.
//!
//! # Nonce budget
//!
//! Nonces are 96 random bits. After 2^32 messages under one key the chance
//! that two share a nonce reaches 2^-33 (the birthday bound NIST SP 800-38D
//! sets as the limit for random GCM nonces); a repeat under GCM leaks the
//! XOR of two plaintexts and the authentication key. So each key counts its
//! messages: at half the budget (configurable) a warning event is emitted,
//! at the budget [`FieldCipher::encrypt`] refuses with
//! [`CryptoError::NonceBudgetExhausted`] until the keyring is rotated. The
//! count is per process: with N instances sharing a key, give each 1/N of
//! the budget, or rotate by age well before ([`KeyRotation`] defaults to 30
//! days). With [`Algorithm::Aes256GcmSiv`] the default budget is 2^48 and a
//! repeated nonce only reveals that two plaintexts were equal.
//!
//! # Per-tenant keys
//!
//! [`TenantKeys`] derives each tenant's key from the master keyring with
//! HKDF-SHA256 (salt `rampart-crypto tenant key v1`, info the
//! length-prefixed tenant id and the key id), under the same key ids as the
//! master. This was chosen over one wrapped random key per tenant because:
//!
//! - nothing is stored per tenant: no key table to back up, replicate or
//!   keep consistent with the data, and a new tenant needs no set-up;
//! - rotating the master rotates every tenant in one step, with the same
//!   ids, so re-encryption and retirement work unchanged;
//! - derived keys are independent (HKDF is a PRF): one tenant's key reveals
//!   nothing about another's or the master, and the tenant id is also in each
//!   field's associated data, so a tenant's ciphertext never decrypts under
//!   another's.
//!
//! The cost is that one tenant cannot be crypto-shredded alone. A tenant
//! that must be erasable by deleting a key gets its own [`Keyring`] of random
//! data keys, wrapped by a [`KeyProvider`] and stored with its data.
//!
//! # Events
//!
//! Rotations, retirements and nonce-budget warnings are
//! [`ConfigurationChanged`](rampart_core::EventKind::ConfigurationChanged)
//! events with `change` = [`CHANGE_ENCRYPTION_KEY`] and a `step`
//! (`rotated`, `retired`, `failed`, `budget_threshold`, `budget_exhausted`),
//! delivered to the sink given to `event_sink(..)` (the tracing sink by
//! default). rampart-core has no kind of its own for encryption keys (its
//! `signing_key` change is for JWT keys and targets a signing key), so
//! rampart-audit records these under its generic `admin.config.changed`,
//! with `change`, `step` and `kid` in the metadata. No event, error or
//! `Debug` output holds key bytes or plaintext.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod blind_index;
mod cipher;
mod context;
mod error;
mod fernet;
mod format;
mod json;
mod key;
mod keyring;
pub mod mask;
mod policy;
mod primitives;
mod provider;
mod reencrypt;
mod rotation;
mod tenant;

pub use blind_index::{BlindIndex, MAX_INDEX_LEN, MIN_INDEX_LEN};
pub use cipher::{
    CHANGE_ENCRYPTION_KEY, DEFAULT_MAX_PLAINTEXT, FieldCipher, FieldCipherBuilder,
    GCM_NONCE_BUDGET, GCM_SIV_NONCE_BUDGET, KeyUsage,
};
pub use context::Context;
pub use error::{ConfigError, CryptoError};
pub use fernet::{Fernet, FernetKey};
pub use format::{
    Algorithm, FORMAT_VERSION, HEADER_LEN, MIN_LEN, NONCE_LEN, ParsedCiphertext, TAG_LEN,
    decode_text, encode_text,
};
pub use json::{Encrypted, decrypt_fields, encrypt_fields};
pub use key::{FieldKey, KEY_LEN, KeyId};
pub use keyring::{KeyInfo, KeyStatus, Keyring};
pub use policy::{FieldRule, Mask, MaskingPolicy};
pub use provider::{KeyProvider, LocalMasterKey, StoredKey, WrappedKey};
pub use reencrypt::{BatchReport, LegacyDecryptor};
pub use rotation::{DEFAULT_ROTATE_AFTER, KeyRotation, KeyRotationBuilder, Rotation};
pub use tenant::{TenantKeys, derive_tenant_key};

#[cfg(test)]
mod fernet_tests;
#[cfg(test)]
mod vectors_tests;
