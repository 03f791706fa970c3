//! JSON bodies: every key checked for NoSQL operators, every string value
//! checked under the policy of its key.
//!
//! The body is read once as a stream of keys and values borrowed from the
//! buffer (no tree, no copies of strings without escapes): a guard runs on
//! every request, and building a `Value` costs more than scanning most
//! bodies. Only when a cleaned field has to change is the body read into a
//! tree, rewritten and written out again. Every value of a repeated key is
//! checked, whichever of them the application's parser keeps.

use super::inspect::Scan;
use super::{GuardRejection, Location};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Inspects a JSON body; returns the re-serialised body when a cleaned
/// field changed it. A body that is not JSON is refused: it cannot be
/// known to be clean.
pub(crate) fn inspect(scan: &mut Scan<'_>, body: &[u8]) -> Result<Option<Vec<u8>>, GuardRejection> {
    let marks = scan.marks();
    let mut rewrite = false;
    // JSON is UTF-8 (RFC 8259): checked once for the whole body, rather
    // than string by string as the parser of a byte slice does.
    let body = std::str::from_utf8(body).map_err(|_| not_json())?;
    let mut de = serde_json::Deserializer::from_str(body);
    Walk {
        scan: &mut *scan,
        key: "",
        rewrite: &mut rewrite,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|_| not_json())?;
    if !rewrite {
        return Ok(None);
    }
    // A cleaned field changed: forget what the stream found and read the
    // body again as a tree that can be rewritten.
    scan.reset_to(marks);
    let mut value: Value = serde_json::from_str(body).map_err(|_| not_json())?;
    rewrite_tree(scan, "", &mut value);
    serde_json::to_vec(&value)
        .map(Some)
        .map_err(|_| GuardRejection::Unreadable {
            location: Location::Body,
            reason: "the cleaned body could not be written",
        })
}

fn not_json() -> GuardRejection {
    GuardRejection::Unreadable {
        location: Location::Body,
        reason: "the body is not valid JSON",
    }
}

/// One value of the stream, found under key `key`.
struct Walk<'a, 'g, 'k> {
    scan: &'a mut Scan<'g>,
    key: &'k str,
    rewrite: &'a mut bool,
}

impl Walk<'_, '_, '_> {
    fn string(self, s: &str) {
        if self.scan.value(Location::Body, self.key, s).is_some() {
            *self.rewrite = true;
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.string(s);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Walk {
                scan: &mut *self.scan,
                key: self.key,
                rewrite: &mut *self.rewrite,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key)? {
            self.scan.operator_key(Location::Body, &key);
            map.next_value_seed(Walk {
                scan: &mut *self.scan,
                key: &key,
                rewrite: &mut *self.rewrite,
            })?;
        }
        Ok(())
    }
}

/// An object key, borrowed from the body when it holds no escape.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

/// Checks `value`, found under key `key`, replacing cleaned strings.
fn rewrite_tree(scan: &mut Scan<'_>, key: &str, value: &mut Value) {
    if scan.done() {
        return;
    }
    match value {
        Value::String(s) => {
            if let Some(new) = scan.value(Location::Body, key, s) {
                *s = new;
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_tree(scan, key, item);
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                scan.operator_key(Location::Body, k);
                rewrite_tree(scan, k, v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
