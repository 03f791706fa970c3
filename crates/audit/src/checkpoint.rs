//! Signed checkpoints: Ed25519 over a chain position, so that a verifier
//! holding only the public key can tell the chain up to there is the one the
//! writer wrote, even against an attacker who recomputes every hash.
//!
//! An anchor is the same with `"anchor":true` and the domain
//! `rampart-audit anchor v1`, so a checkpoint cannot pass for one.
//!
//! A checkpoint line is `{"checkpoint":{"seq":…,"hash":"<hex>","time_ms":…,"key_id":"…","sig":"<base64>"}}`.
//! The signature covers the bytes `rampart-audit checkpoint v1` `\0`,
//! `seq` as 8 bytes big-endian, the 32 hash bytes, and `time_ms` as 8 bytes
//! big-endian.

use crate::canonical::{hex, sha256, unhex32};
use crate::chain::ChainHead;
use crate::error::KeyError;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::fmt;

const DOMAIN: &[u8] = b"rampart-audit checkpoint v1\0";
const ANCHOR_DOMAIN: &[u8] = b"rampart-audit anchor v1\0";

/// A signed statement that the chain reached `seq` with hash `hash` at `time_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The last sequence number covered.
    pub seq: u64,
    /// That record's hash, hex.
    pub hash: String,
    /// When it was signed, milliseconds since the epoch.
    pub time_ms: u64,
    /// The signing key's id ([`VerifyingKey::key_id`]).
    pub key_id: String,
    /// The Ed25519 signature, base64.
    pub sig: String,
    /// Whether this is an anchor: the first line of a file, vouching for the
    /// chain head the file continues from, so that older files may be pruned.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anchor: bool,
}

impl Checkpoint {
    /// The JSON line for this checkpoint.
    pub fn to_line(&self) -> String {
        serde_json::json!({ "checkpoint": self }).to_string()
    }

    /// The chain head this checkpoint vouches for, if its hash is well formed.
    pub fn head(&self) -> Option<ChainHead> {
        Some(ChainHead {
            seq: self.seq,
            hash: unhex32(&self.hash)?,
        })
    }
}

fn message(anchor: bool, seq: u64, hash: &[u8; 32], time_ms: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + 48);
    m.extend_from_slice(if anchor { ANCHOR_DOMAIN } else { DOMAIN });
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&time_ms.to_be_bytes());
    m
}

/// The Ed25519 key that signs checkpoints. Its `Debug` prints no key material.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    key_id: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    /// A fresh key, and its PKCS#8 encoding as base64 text to store (the
    /// format [`SigningKey::from_pkcs8_base64`] reads).
    pub fn generate() -> Result<(SigningKey, String), KeyError> {
        let doc =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyError::Generate)?;
        let text = B64.encode(doc.as_ref());
        Ok((Self::from_pkcs8(doc.as_ref())?, text))
    }

    /// A key from PKCS#8 DER bytes.
    pub fn from_pkcs8(der: &[u8]) -> Result<SigningKey, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|_| KeyError::InvalidSigningKey)?;
        let key_id = key_id(pair.public_key().as_ref());
        Ok(SigningKey { pair, key_id })
    }

    /// A key from base64 PKCS#8 text (surrounding whitespace ignored).
    pub fn from_pkcs8_base64(text: &str) -> Result<SigningKey, KeyError> {
        let der = B64
            .decode(text.trim())
            .map_err(|_| KeyError::InvalidSigningKey)?;
        Self::from_pkcs8(&der)
    }

    /// The public half, for verifiers.
    pub fn verifying_key(&self) -> VerifyingKey {
        let mut raw = [0u8; 32];
        raw.copy_from_slice(self.pair.public_key().as_ref());
        VerifyingKey {
            raw,
            key_id: self.key_id.clone(),
        }
    }

    /// Signs a checkpoint for `head` at `time_ms`.
    pub fn checkpoint(&self, head: ChainHead, time_ms: u64) -> Checkpoint {
        self.sign(false, head, time_ms)
    }

    /// Signs an anchor for `head` at `time_ms`: the first line of a new file.
    pub fn anchor(&self, head: ChainHead, time_ms: u64) -> Checkpoint {
        self.sign(true, head, time_ms)
    }

    fn sign(&self, anchor: bool, head: ChainHead, time_ms: u64) -> Checkpoint {
        let sig = self
            .pair
            .sign(&message(anchor, head.seq, &head.hash, time_ms));
        Checkpoint {
            anchor,
            seq: head.seq,
            hash: hex(&head.hash),
            time_ms,
            key_id: self.key_id.clone(),
            sig: B64.encode(sig.as_ref()),
        }
    }
}

/// The public key that verifies checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    raw: [u8; 32],
    key_id: String,
}

impl VerifyingKey {
    /// A key from its 32 raw bytes.
    pub fn from_bytes(raw: [u8; 32]) -> VerifyingKey {
        VerifyingKey {
            raw,
            key_id: key_id(&raw),
        }
    }

    /// A key from base64 of its 32 raw bytes (the format [`VerifyingKey::to_base64`] writes).
    pub fn from_base64(text: &str) -> Result<VerifyingKey, KeyError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| KeyError::InvalidVerifyingKey)?;
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::InvalidVerifyingKey)?;
        Ok(Self::from_bytes(raw))
    }

    /// Base64 of the 32 raw bytes.
    pub fn to_base64(&self) -> String {
        B64.encode(self.raw)
    }

    /// The first 16 hex digits of the key's SHA-256: names the key in checkpoints.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Whether `cp` was signed by this key and is well formed.
    pub fn verify(&self, cp: &Checkpoint) -> bool {
        let (Some(hash), Ok(sig)) = (unhex32(&cp.hash), B64.decode(&cp.sig)) else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, self.raw)
            .verify(&message(cp.anchor, cp.seq, &hash, cp.time_ms), &sig)
            .is_ok()
    }
}

fn key_id(public: &[u8]) -> String {
    hex(&sha256(public)[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_catches_any_change() {
        let (key, text) = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8_base64(&text).unwrap();
        let public = again.verifying_key();
        let cp = key.checkpoint(
            ChainHead {
                seq: 7,
                hash: [3; 32],
            },
            1_000,
        );
        assert!(public.verify(&cp));
        assert_eq!(cp.key_id, public.key_id());
        let public = VerifyingKey::from_base64(&public.to_base64()).unwrap();
        assert!(public.verify(&cp));
        for tampered in [
            Checkpoint {
                seq: 8,
                ..cp.clone()
            },
            Checkpoint {
                time_ms: 1_001,
                ..cp.clone()
            },
            Checkpoint {
                hash: hex(&[4; 32]),
                ..cp.clone()
            },
            Checkpoint {
                sig: "AAAA".into(),
                ..cp.clone()
            },
            Checkpoint {
                anchor: true,
                ..cp.clone()
            },
        ] {
            assert!(!public.verify(&tampered));
        }
        let (other, _) = SigningKey::generate().unwrap();
        assert!(!other.verifying_key().verify(&cp));
    }

    #[test]
    fn bad_key_text_is_an_error_and_debug_hides_the_key() {
        assert!(SigningKey::from_pkcs8_base64("not base64!").is_err());
        assert!(VerifyingKey::from_base64("AAAA").is_err());
        let (key, text) = SigningKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains("[redacted]") && !debug.contains(text.trim()));
    }
}
