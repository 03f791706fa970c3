//! Re-encryption under the current primary key, one field or a batch, and
//! migration from a legacy scheme.
//!
//! After a rotation, old fields still decrypt with their decrypt-only key.
//! A background job walks the table, re-encrypts what the old key made, and
//! once nothing refers to it the key is retired.

use crate::cipher::FieldCipher;
use crate::context::Context;
use crate::error::CryptoError;
use crate::format::{ParsedCiphertext, decode_text, encode_text};
use zeroize::Zeroizing;

/// A scheme older fields were encrypted with, read once to re-encrypt them.
pub trait LegacyDecryptor {
    /// The plaintext of `token`, or why it was refused.
    fn decrypt_legacy(&self, token: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
}

/// What a batch did, item by item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchReport {
    /// Items rewritten under the primary key.
    pub reencrypted: usize,
    /// Items already under the primary key and algorithm.
    pub unchanged: usize,
    /// Items left as they were, by position in the batch, with the reason.
    pub failed: Vec<(usize, CryptoError)>,
}

impl FieldCipher {
    /// Whether a ciphertext was made with another key or algorithm than the
    /// ones this cipher encrypts with now.
    pub fn needs_reencryption(&self, ciphertext: &[u8]) -> Result<bool, CryptoError> {
        let p = ParsedCiphertext::parse(ciphertext)?;
        Ok(p.key_id != self.keyring().primary_id() || p.algorithm != self.algorithm())
    }

    /// The ciphertext re-made under the primary key, or `None` when it
    /// already is. The old ciphertext must authenticate in `ctx`.
    pub fn reencrypt(
        &self,
        ctx: &Context<'_>,
        ciphertext: &[u8],
    ) -> Result<Option<Vec<u8>>, CryptoError> {
        if !self.needs_reencryption(ciphertext)? {
            return Ok(None);
        }
        let plain = self.decrypt(ctx, ciphertext)?;
        self.encrypt(ctx, &plain).map(Some)
    }

    /// [`reencrypt`](Self::reencrypt) over the text form.
    pub fn reencrypt_str(
        &self,
        ctx: &Context<'_>,
        text: &str,
    ) -> Result<Option<String>, CryptoError> {
        let bytes = decode_text(text)?;
        Ok(self.reencrypt(ctx, &bytes)?.map(|b| encode_text(&b)))
    }

    /// Re-encrypts each text-form field in place under the primary key. A
    /// field that fails is left untouched and reported; the rest go on.
    ///
    /// ```
    /// use rampart_crypto::{Context, FieldCipher, FieldKey, Keyring};
    ///
    /// let keyring = Keyring::new(1, FieldKey::generate()?)?;
    /// let cipher = FieldCipher::new(keyring.clone());
    /// let ctx = Context::new("user", "ssn", "1");
    /// let mut column = vec![cipher.encrypt_to_string(&ctx, b"123-45-6789")?];
    /// keyring.rotate(2, FieldKey::generate()?)?;
    /// let report = cipher.reencrypt_batch(column.iter_mut().map(|c| (ctx, c)));
    /// assert_eq!(report.reencrypted, 1);
    /// keyring.retire(1)?;
    /// assert_eq!(&*cipher.decrypt_str(&ctx, &column[0])?, b"123-45-6789");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reencrypt_batch<'c, 's>(
        &self,
        items: impl IntoIterator<Item = (Context<'c>, &'s mut String)>,
    ) -> BatchReport {
        let mut report = BatchReport::default();
        for (i, (ctx, text)) in items.into_iter().enumerate() {
            match self.reencrypt_str(&ctx, text) {
                Ok(Some(new)) => {
                    *text = new;
                    report.reencrypted += 1;
                }
                Ok(None) => report.unchanged += 1,
                Err(e) => report.failed.push((i, e)),
            }
        }
        report
    }

    /// Decrypts a legacy `token` and encrypts its plaintext in `ctx`.
    pub fn migrate(
        &self,
        legacy: &dyn LegacyDecryptor,
        ctx: &Context<'_>,
        token: &str,
    ) -> Result<String, CryptoError> {
        let plain = legacy.decrypt_legacy(token)?;
        self.encrypt_to_string(ctx, &plain)
    }

    /// Replaces each legacy token in place by a field encrypted in its
    /// context. A token that fails is left untouched and reported.
    pub fn migrate_batch<'c, 's>(
        &self,
        legacy: &dyn LegacyDecryptor,
        items: impl IntoIterator<Item = (Context<'c>, &'s mut String)>,
    ) -> BatchReport {
        let mut report = BatchReport::default();
        for (i, (ctx, text)) in items.into_iter().enumerate() {
            match self.migrate(legacy, &ctx, text) {
                Ok(new) => {
                    *text = new;
                    report.reencrypted += 1;
                }
                Err(e) => report.failed.push((i, e)),
            }
        }
        report
    }
}
