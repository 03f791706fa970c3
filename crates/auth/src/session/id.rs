//! Session ids: 256 random bits in the cookie, only their SHA-256 in the store.

use crate::error::StoreError;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

/// Characters of the base64url routing tag in front of the id.
const TAG_CHARS: usize = 16;
/// Characters of 32 random bytes in base64url.
const ID_CHARS: usize = 43;

/// The secret a browser holds: `<tag>.<id>` in the session cookie.
///
/// `id` is 32 bytes from the operating system's CSPRNG (aws-lc), so guessing a
/// live session is out of reach. `tag` routes the session to its user's
/// store slot (a hash of the subject, or random before sign-in); it is not a
/// secret and grants nothing. The value zeroizes on drop and `Debug` prints
/// `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(Zeroizing<String>);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// Where a session lives in a store: its user's routing tag and the SHA-256 of
/// its token. Knowing a key does not let anyone present the session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    /// The routing tag: every session of one user shares it (one Redis Cluster slot).
    pub tag: String,
    /// base64url SHA-256 of the whole cookie value.
    pub hash: String,
}

impl SessionKey {
    /// A short public handle for listings and events: the first 16 characters of the hash.
    pub fn handle(&self) -> &str {
        self.hash.get(..16).unwrap_or(&self.hash)
    }
}

/// The routing tag of `subject`: 96 bits of SHA-256, base64url.
pub fn subject_tag(subject: &str) -> String {
    let d = digest(&SHA256, subject.as_bytes());
    URL_SAFE_NO_PAD.encode(&d.as_ref()[..12])
}

fn random<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| StoreError("the system random source failed".into()))?;
    Ok(bytes)
}

impl SessionToken {
    /// A new token for `subject` (or, before sign-in, with a random tag).
    ///
    /// # Errors
    /// A [`StoreError`] if the system random source fails.
    pub fn generate(subject: Option<&str>) -> Result<Self, StoreError> {
        let tag = match subject {
            Some(s) => subject_tag(s),
            None => URL_SAFE_NO_PAD.encode(random::<12>()?),
        };
        let id = Zeroizing::new(random::<32>()?);
        let mut value = Zeroizing::new(String::with_capacity(TAG_CHARS + 1 + ID_CHARS));
        value.push_str(&tag);
        value.push('.');
        URL_SAFE_NO_PAD.encode_string(id.as_ref(), &mut value);
        Ok(Self(value))
    }

    /// Parses a cookie value; `None` unless it has exactly the shape rampart
    /// writes (16 + 1 + 43 base64url characters).
    pub fn parse(value: &str) -> Option<Self> {
        let (tag, id) = value.split_once('.')?;
        let b64 = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (tag.len() == TAG_CHARS && id.len() == ID_CHARS && b64(tag) && b64(id))
            .then(|| Self(Zeroizing::new(value.to_owned())))
    }

    /// The cookie value. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The store key: the routing tag and the SHA-256 of the value.
    pub fn key(&self) -> SessionKey {
        let tag = self.0.split_once('.').map(|(t, _)| t).unwrap_or_default();
        SessionKey {
            tag: tag.to_owned(),
            hash: URL_SAFE_NO_PAD.encode(digest(&SHA256, self.0.as_bytes()).as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = SessionToken::generate(Some("alice")).unwrap();
        let b = SessionToken::generate(Some("alice")).unwrap();
        assert_ne!(a, b);
        assert_eq!(SessionToken::parse(a.expose()), Some(a.clone()));
        assert_eq!(a.key().tag, b.key().tag);
        assert_eq!(a.key().tag, subject_tag("alice"));
        assert_ne!(a.key().hash, b.key().hash);
        assert!(!format!("{a:?}").contains(a.expose()));
        let anon = SessionToken::generate(None).unwrap();
        assert_ne!(
            anon.key().tag,
            SessionToken::generate(None).unwrap().key().tag
        );
    }

    #[test]
    fn odd_shapes_are_refused() {
        for bad in [
            "",
            ".",
            "abc",
            "a.b",
            &"x".repeat(60),
            "AAAAAAAAAAAAAAAA.AAAA",
        ] {
            assert!(SessionToken::parse(bad).is_none(), "{bad}");
        }
        let good = SessionToken::generate(None).unwrap();
        let mut v = good.expose().to_owned();
        v.replace_range(20..21, "+");
        assert!(SessionToken::parse(&v).is_none());
    }
}
