//! A key as the in-memory store keeps it.

/// Bytes kept inline: an IPv4 address, a /64 IPv6 prefix, a UUID without
/// dashes or a typical user id fit, so comparing them on lookup needs no
/// second memory access.
const INLINE: usize = 30;

/// A rate-limit key, inline when short and on the heap otherwise. Under
/// 10,000 busy keys, a lookup that had to follow a pointer to compare the key
/// missed the cache about once per check.
pub(crate) enum StoredKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl StoredKey {
    pub(crate) fn new(key: &str) -> Self {
        let src = key.as_bytes();
        if src.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..src.len()].copy_from_slice(src);
            StoredKey::Inline {
                // `INLINE` is below 256.
                len: src.len() as u8,
                bytes,
            }
        } else {
            StoredKey::Heap(Box::from(key))
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            StoredKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            StoredKey::Heap(key) => key.as_bytes(),
        }
    }

    pub(crate) fn is(&self, key: &str) -> bool {
        self.as_bytes() == key.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_keys_compare_by_content() {
        for key in [
            "",
            "a",
            &"x".repeat(INLINE),
            &"y".repeat(INLINE + 1),
            "2001:db8::/64",
        ] {
            let stored = StoredKey::new(key);
            assert!(stored.is(key), "{key}");
            assert_eq!(stored.as_bytes(), key.as_bytes());
            assert!(!stored.is(&format!("{key}z")));
            assert!(matches!(stored, StoredKey::Inline { .. }) == (key.len() <= INLINE));
        }
        // A prefix of an inline key is another key.
        assert!(!StoredKey::new("abc").is("ab"));
    }
}
