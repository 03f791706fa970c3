//! The JOSE header of a token, read strictly.

use crate::error::AuthError;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The header fields rampart looks at. Everything a token could use to bring
/// its own key is captured only to be refused.
///
/// `kid` and `typ` are strings when present: `null` is malformed, not absent.
/// The key-carrying members and `crit` count as present whatever their value,
/// `null` included, so `"crit": null` cannot slip past the `crit` check.
#[derive(Deserialize)]
pub(crate) struct RawHeader<'a> {
    #[serde(borrow)]
    pub(crate) alg: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "text")]
    pub(crate) kid: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "text")]
    pub(crate) typ: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) crit: Present,
    #[serde(default)]
    pub(crate) jwk: Present,
    #[serde(default)]
    pub(crate) jku: Present,
    #[serde(default)]
    pub(crate) x5u: Present,
    #[serde(default)]
    pub(crate) x5c: Present,
}

impl<'a> RawHeader<'a> {
    /// Parses a decoded header. RFC 7515 §4 makes the header a JSON object;
    /// serde would also fill a struct from an array (`["HS256","k1","at+jwt"]`
    /// as alg, kid, typ), so anything but an object is refused first.
    pub(crate) fn parse(json: &'a [u8]) -> Result<Self, AuthError> {
        if json.trim_ascii_start().first() != Some(&b'{') {
            return Err(AuthError::Malformed);
        }
        serde_json::from_slice(json).map_err(|_| AuthError::Malformed)
    }

    /// Whether the header brings or points to its own key.
    pub(crate) fn carries_key(&self) -> bool {
        self.jwk.0 || self.jku.0 || self.x5u.0 || self.x5c.0
    }
}

/// Whether a member was present, whatever its value (`null` included).
#[derive(Default)]
pub(crate) struct Present(pub(crate) bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Self(true))
    }
}

/// A string member that, when present, must be a string (not `null`),
/// borrowed from the header when it has no escapes.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Text;
    impl<'de> Visitor<'de> for Text {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
    }
    deserializer.deserialize_str(Text).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<RawHeader<'_>, AuthError> {
        RawHeader::parse(json.as_bytes())
    }

    #[test]
    fn an_object_header_is_read() {
        let h = parse(r#" {"alg":"ES256","kid":"k1","typ":"at+jwt","cty":"x"}"#).unwrap();
        assert_eq!(h.alg, "ES256");
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert_eq!(h.typ.as_deref(), Some("at+jwt"));
        assert!(!h.crit.0 && !h.carries_key());
        let escaped = parse(r#"{"alg":"ES256","kid":"k\u0031"}"#).unwrap();
        assert_eq!(escaped.kid.as_deref(), Some("k1"));
        assert!(escaped.typ.is_none());
    }

    #[test]
    fn an_array_header_is_malformed() {
        for json in [
            r#"["HS256","k1","at+jwt"]"#,
            r#" ["ES256"]"#,
            "\"ES256\"",
            "1",
            "",
        ] {
            assert_eq!(parse(json).err(), Some(AuthError::Malformed), "{json}");
        }
    }

    #[test]
    fn null_members_are_present_or_malformed() {
        let base = r#""alg":"ES256","kid":"k1""#;
        for member in ["crit", "jwk", "jku", "x5u", "x5c"] {
            let json = format!(r#"{{{base},"{member}":null}}"#);
            let h = parse(&json).unwrap();
            assert!(
                h.crit.0 || h.carries_key(),
                "{member}: null was taken as absent"
            );
            assert_eq!(h.crit.0, member == "crit", "{member}");
        }
        for member in ["kid", "typ"] {
            let json = format!(r#"{{"alg":"ES256","{member}":null}}"#);
            assert_eq!(parse(&json).err(), Some(AuthError::Malformed), "{member}");
        }
        assert_eq!(
            parse(r#"{"alg":"ES256","kid":7}"#).err(),
            Some(AuthError::Malformed)
        );
        let err = serde_json::from_str::<RawHeader<'_>>(r#"{"alg":"ES256","typ":null}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("expected a string"), "{err}");
    }
}
