//! Encrypting chosen fields of JSON documents, and a serde wrapper for
//! encrypted struct fields.
//!
//! A field's plaintext is its JSON text, so numbers, booleans, strings,
//! arrays and objects come back with their type. `null` and absent fields
//! are left alone: they carry nothing to hide, and keeping them lets a
//! partial update tell "unset" from "set".

use crate::cipher::FieldCipher;
use crate::context::Context;
use crate::error::CryptoError;
use crate::format::{ParsedCiphertext, decode_text, encode_text};
use crate::key::KeyId;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::marker::PhantomData;
use zeroize::Zeroizing;

fn json_error(field: &str, reason: impl Into<String>) -> CryptoError {
    CryptoError::Json {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Encrypts each of `fields` of `object` in place, each bound to `record`
/// with its own field name; `null` and absent fields are left alone.
///
/// ```
/// use rampart_crypto::{Context, FieldCipher, FieldKey, Keyring, decrypt_fields, encrypt_fields};
/// use serde_json::json;
///
/// let cipher = FieldCipher::new(Keyring::new(1, FieldKey::generate()?)?);
/// let record = Context::new("user", "", "42");
/// let mut doc = json!({"name": "Ann", "ssn": "123-45-6789", "age": 41, "phone": null});
/// let object = doc.as_object_mut().unwrap();
/// encrypt_fields(&cipher, object, &["ssn", "age", "phone", "missing"], &record)?;
/// assert!(object["ssn"].is_string() && object["age"].is_string());
/// assert!(object["phone"].is_null());
/// decrypt_fields(&cipher, object, &["ssn", "age", "phone"], &record)?;
/// assert_eq!(doc, json!({"name": "Ann", "ssn": "123-45-6789", "age": 41, "phone": null}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encrypt_fields(
    cipher: &FieldCipher,
    object: &mut Map<String, Value>,
    fields: &[&str],
    record: &Context<'_>,
) -> Result<(), CryptoError> {
    for &name in fields {
        let Some(value) = object.get_mut(name) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let plain =
            Zeroizing::new(serde_json::to_vec(value).map_err(|e| json_error(name, e.to_string()))?);
        let sealed = cipher.encrypt(&record.with_field(name), &plain)?;
        *value = Value::String(encode_text(&sealed));
    }
    Ok(())
}

/// Decrypts each of `fields` of `object` in place (the inverse of
/// [`encrypt_fields`]). A present, non-null field that is not an encrypted
/// string is an error: plaintext where ciphertext belongs is a sign of
/// tampering or of a missed migration, never something to pass through.
pub fn decrypt_fields(
    cipher: &FieldCipher,
    object: &mut Map<String, Value>,
    fields: &[&str],
    record: &Context<'_>,
) -> Result<(), CryptoError> {
    for &name in fields {
        let Some(value) = object.get_mut(name) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let Value::String(text) = value else {
            return Err(json_error(name, "expected an encrypted string"));
        };
        let plain = cipher.decrypt_str(&record.with_field(name), text)?;
        *value = serde_json::from_slice(&plain)
            .map_err(|_| json_error(name, "decrypted bytes are not JSON"))?;
    }
    Ok(())
}

/// A value of type `T` kept encrypted inside a serialisable struct: it
/// serialises as the ciphertext's text form, and only [`open`](Self::open)
/// with the cipher and the right context gives `T` back.
///
/// Deserialising checks the ciphertext's shape (version, algorithm,
/// length), so a malformed column fails when the row is read, not later.
///
/// ```
/// use rampart_crypto::{Context, Encrypted, FieldCipher, FieldKey, Keyring};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Patient {
///     id: String,
///     birth_year: Encrypted<u16>,
/// }
///
/// let cipher = FieldCipher::new(Keyring::new(1, FieldKey::generate()?)?);
/// let ctx = Context::new("patient", "birth_year", "p-1");
/// let row = Patient { id: "p-1".into(), birth_year: Encrypted::seal(&cipher, &ctx, &1984)? };
/// let stored = serde_json::to_string(&row)?;
/// let back: Patient = serde_json::from_str(&stored)?;
/// assert_eq!(back.birth_year.open(&cipher, &ctx)?, 1984);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
#[serde(bound = "")]
pub struct Encrypted<T> {
    text: String,
    key_id: KeyId,
    #[serde(skip)]
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Encrypted<T> {
    fn clone(&self) -> Self {
        Self {
            text: self.text.clone(),
            key_id: self.key_id,
            _type: PhantomData,
        }
    }
}

impl<T> PartialEq for Encrypted<T> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<T> Eq for Encrypted<T> {}

impl<T> std::fmt::Debug for Encrypted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encrypted")
            .field("key_id", &self.key_id)
            .field("len", &self.text.len())
            .finish()
    }
}

impl<T> Encrypted<T> {
    /// The ciphertext's text form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The id of the key it was made with (to find fields to re-encrypt).
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Wraps an existing text-form ciphertext, checking its shape.
    pub fn from_text(text: String) -> Result<Self, CryptoError> {
        let bytes = decode_text(&text)?;
        let key_id = ParsedCiphertext::parse(&bytes)?.key_id;
        Ok(Self {
            text,
            key_id,
            _type: PhantomData,
        })
    }
}

impl<T: Serialize + DeserializeOwned> Encrypted<T> {
    /// Encrypts `value` (as JSON) in `ctx`.
    pub fn seal(cipher: &FieldCipher, ctx: &Context<'_>, value: &T) -> Result<Self, CryptoError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(value).map_err(|e| json_error(ctx.field_name(), e.to_string()))?,
        );
        let sealed = cipher.encrypt(ctx, &plain)?;
        Ok(Self {
            key_id: FieldCipher::inspect(&sealed)?.0,
            text: encode_text(&sealed),
            _type: PhantomData,
        })
    }

    /// Decrypts the value made in `ctx`.
    pub fn open(&self, cipher: &FieldCipher, ctx: &Context<'_>) -> Result<T, CryptoError> {
        let plain = cipher.decrypt_str(ctx, &self.text)?;
        serde_json::from_slice(&plain).map_err(|_| {
            json_error(
                ctx.field_name(),
                format!("decrypted value is not a {}", std::any::type_name::<T>()),
            )
        })
    }
}

impl<T> From<Encrypted<T>> for String {
    fn from(e: Encrypted<T>) -> Self {
        e.text
    }
}

impl<T> TryFrom<String> for Encrypted<T> {
    type Error = CryptoError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::from_text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldKey, Keyring};
    use serde_json::json;

    fn cipher() -> FieldCipher {
        FieldCipher::new(Keyring::new(1, FieldKey::generate().unwrap()).unwrap())
    }

    #[test]
    fn every_json_type_round_trips() {
        let c = cipher();
        let ctx = Context::new("r", "", "1");
        let original = json!({
            "s": "text ✓", "n": 12.5, "i": -3, "b": false, "a": [1, "x", null],
            "o": {"k": {"deep": true}}, "null": null, "plain": "kept"
        });
        let fields = ["s", "n", "i", "b", "a", "o", "null", "absent"];
        let mut doc = original.clone();
        let obj = doc.as_object_mut().unwrap();
        encrypt_fields(&c, obj, &fields, &ctx).unwrap();
        for f in ["s", "n", "i", "b", "a", "o"] {
            assert!(obj[f].is_string(), "{f}");
            assert_ne!(obj[f], original[f]);
        }
        assert_eq!(obj["plain"], "kept");
        assert!(obj["null"].is_null() && !obj.contains_key("absent"));
        decrypt_fields(&c, obj, &fields, &ctx).unwrap();
        assert_eq!(doc, original);
    }

    #[test]
    fn fields_are_bound_to_their_name_and_record() {
        let c = cipher();
        let ctx = Context::new("user", "", "1");
        let mut doc = json!({"ssn": "1", "phone": "2"});
        let obj = doc.as_object_mut().unwrap();
        encrypt_fields(&c, obj, &["ssn", "phone"], &ctx).unwrap();
        let (ssn, phone) = (obj["ssn"].clone(), obj["phone"].clone());
        obj.insert("ssn".into(), phone);
        obj.insert("phone".into(), ssn);
        assert_eq!(
            decrypt_fields(&c, obj, &["ssn"], &ctx).unwrap_err(),
            CryptoError::Authentication
        );
        let mut doc = json!({"ssn": "1"});
        let obj = doc.as_object_mut().unwrap();
        encrypt_fields(&c, obj, &["ssn"], &ctx).unwrap();
        let other = Context::new("user", "", "2");
        assert!(decrypt_fields(&c, obj, &["ssn"], &other).is_err());
    }

    #[test]
    fn plaintext_where_ciphertext_belongs_is_refused() {
        let c = cipher();
        let ctx = Context::new("r", "", "1");
        let mut doc = json!({"n": 5, "s": "not-a-ciphertext"});
        let obj = doc.as_object_mut().unwrap();
        assert!(matches!(
            decrypt_fields(&c, obj, &["n"], &ctx).unwrap_err(),
            CryptoError::Json { field, .. } if field == "n"
        ));
        assert!(decrypt_fields(&c, obj, &["s"], &ctx).is_err());
    }

    #[test]
    fn encrypted_wrapper_checks_shape_and_type() {
        let c = cipher();
        let ctx = Context::new("r", "age", "1");
        let sealed = Encrypted::seal(&c, &ctx, &41u8).unwrap();
        assert_eq!(sealed.key_id(), 1);
        let json = serde_json::to_string(&sealed).unwrap();
        let back: Encrypted<u8> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.open(&c, &ctx).unwrap(), 41);
        // Same ciphertext read as the wrong type.
        let wrong: Encrypted<bool> = serde_json::from_str(&json).unwrap();
        assert!(matches!(
            wrong.open(&c, &ctx),
            Err(CryptoError::Json { .. })
        ));
        assert!(serde_json::from_str::<Encrypted<u8>>("\"AQE\"").is_err());
        assert!(serde_json::from_str::<Encrypted<u8>>("\"%%\"").is_err());
        assert!(!format!("{sealed:?}").contains(sealed.as_str()));
    }
}
