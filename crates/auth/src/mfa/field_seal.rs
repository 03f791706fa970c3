//! TOTP secrets sealed with rampart-crypto's [`FieldCipher`], so they take
//! part in the application's key rotation.
//!
//! Stored form: the byte `2`, then a rampart-crypto ciphertext (which names
//! its key id) of the same payload as the default sealing (algorithm,
//! digits, secret). The context binds it to where it lives: record type
//! `mfa`, field `totp_secret`, the user id as record id, and the tenant when
//! one is set, so a sealed secret copied to another user's or tenant's
//! record does not open.
//!
//! Secrets sealed the default way (first byte `1`, under the [`MfaKey`])
//! still open while the `MfaKey` is configured, and are sealed again under
//! the keyring's primary key at the user's next accepted TOTP code, as are
//! secrets sealed under a key that is no longer primary;
//! [`Mfa::reseal`](super::Mfa::reseal) does it for one user on demand.
//!
//! [`MfaKey`]: super::MfaKey

use super::seal::{parse_payload, payload};
use super::{MfaError, Totp, TotpSecret};
use rampart_crypto::{Context, FieldCipher};

/// The first byte of a secret sealed with a [`FieldCipher`].
pub(crate) const SEALED_FIELD: u8 = 2;

const RECORD_TYPE: &str = "mfa";
const FIELD: &str = "totp_secret";

/// A field cipher and the tenant its contexts name.
#[derive(Clone)]
pub(crate) struct FieldSeal {
    cipher: FieldCipher,
    tenant: Option<String>,
}

impl std::fmt::Debug for FieldSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldSeal")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl FieldSeal {
    pub(crate) fn new(cipher: FieldCipher, tenant: Option<String>) -> Self {
        Self { cipher, tenant }
    }

    fn context<'a>(&'a self, user: &'a str) -> Context<'a> {
        let ctx = Context::new(RECORD_TYPE, FIELD, user);
        match &self.tenant {
            Some(tenant) => ctx.tenant(tenant),
            None => ctx,
        }
    }

    pub(crate) fn seal(
        &self,
        user: &str,
        totp: &Totp,
        secret: &TotpSecret,
    ) -> Result<Vec<u8>, MfaError> {
        let plain = payload(totp, secret);
        let mut sealed = vec![SEALED_FIELD];
        self.cipher
            .encrypt_into(&self.context(user), &plain, &mut sealed)
            .map_err(|_| MfaError::Crypto("sealing the TOTP secret failed"))?;
        Ok(sealed)
    }

    /// Opens a secret this seal made for `user`; `None` when `sealed` is not
    /// in its format (the caller tries the default one).
    pub(crate) fn open(
        &self,
        user: &str,
        sealed: &[u8],
    ) -> Option<Result<(Totp, TotpSecret), MfaError>> {
        let (&SEALED_FIELD, ciphertext) = sealed.split_first()? else {
            return None;
        };
        Some(
            self.cipher
                .decrypt(&self.context(user), ciphertext)
                .map_err(|_| MfaError::Sealed)
                .and_then(|plain| parse_payload(&plain)),
        )
    }

    /// Whether `sealed` is in this format under the keyring's primary key:
    /// if not, it should be sealed again.
    pub(crate) fn is_current(&self, sealed: &[u8]) -> bool {
        match sealed.split_first() {
            Some((&SEALED_FIELD, ciphertext)) => FieldCipher::inspect(ciphertext)
                .is_ok_and(|(id, _)| id == self.cipher.keyring().primary_id()),
            _ => false,
        }
    }
}
