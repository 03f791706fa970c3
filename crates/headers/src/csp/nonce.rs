//! The per-response CSP nonce.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use std::fmt;

const NONCE_BYTES: usize = 16;
const ENCODED_LEN: usize = 24;

/// A fresh 128-bit nonce for one response, base64-encoded.
///
/// The security headers layer makes one per response from the thread-local
/// CSPRNG (ChaCha, reseeded from the operating system), splices it into the
/// CSP header and inserts it into the request extensions so that handlers and
/// templates can put it on their `<script nonce="…">` tags. A nonce that
/// repeats, or that an attacker can predict, lets injected scripts run, hence
/// the 128 bits and the CSPRNG.
///
/// ```
/// use rampart::headers::CspNonce;
///
/// let a = CspNonce::generate();
/// let b = CspNonce::generate();
/// assert_ne!(a, b);
/// assert_eq!(a.as_str().len(), 24);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CspNonce {
    encoded: [u8; ENCODED_LEN],
}

impl CspNonce {
    /// A new nonce from the thread-local CSPRNG.
    pub fn generate() -> Self {
        let mut raw = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut raw);
        let mut encoded = [0u8; ENCODED_LEN];
        // 16 bytes always encode to exactly 24 base64 characters.
        let _ = STANDARD.encode_slice(raw, &mut encoded);
        Self { encoded }
    }

    /// The nonce as it appears in `nonce="…"` attributes and in the header.
    pub fn as_str(&self) -> &str {
        // Base64 output is ASCII.
        std::str::from_utf8(&self.encoded).unwrap_or_default()
    }
}

impl fmt::Display for CspNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CspNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CspNonce").field(&self.as_str()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn nonces_decode_to_sixteen_bytes_and_do_not_repeat() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let nonce = CspNonce::generate();
            let raw = STANDARD.decode(nonce.as_str()).unwrap();
            assert_eq!(raw.len(), NONCE_BYTES);
            assert!(seen.insert(nonce), "nonce repeated");
        }
    }
}
