//! Per-tenant keys, derived from a master keyring with HKDF.
//!
//! # Why derivation rather than one wrapped key per tenant
//!
//! Each tenant's key is `HKDF-SHA256(salt = "rampart-crypto tenant key v1",
//! ikm = master key, info = len‖tenant id ‖ key id)`, for every key of the
//! master keyring, under the same key id.
//!
//! - **Nothing to store or look up.** A new tenant has a key the moment its
//!   id exists; there is no per-tenant key table to back up, replicate or
//!   keep consistent with the data, and no provider call per tenant.
//! - **Rotation is one operation.** Rotating the master keyring rotates every
//!   tenant at once, with the same key ids, so re-encryption and retirement
//!   work tenant by tenant with the ordinary tools.
//! - **Isolation.** HKDF is a PRF: knowing one tenant's derived key tells
//!   nothing about another's or about the master, and the tenant id is also
//!   in every field's associated data, so a value copied between tenants
//!   fails twice over.
//!
//! The trade-off: a single tenant cannot be crypto-shredded (made unreadable
//! by destroying its key) on its own, since its key can always be derived
//! again. A tenant that needs that gets its own [`Keyring`] of random data
//! keys wrapped by a [`KeyProvider`](crate::KeyProvider), stored with its
//! data, and erased with it.

use crate::cipher::FieldCipher;
use crate::context::put_prefixed;
use crate::error::{ConfigError, CryptoError};
use crate::key::{FieldKey, KEY_LEN, KeyId};
use crate::keyring::{KeyStatus, Keyring};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use zeroize::Zeroize;

const TENANT_SALT: &[u8] = b"rampart-crypto tenant key v1";

/// The key of `tenant` for key id `key_id`, derived from `master`.
pub fn derive_tenant_key(
    master: &FieldKey,
    tenant: &str,
    key_id: KeyId,
) -> Result<FieldKey, CryptoError> {
    let mut info = Vec::with_capacity(8 + tenant.len() + 4);
    put_prefixed(&mut info, tenant.as_bytes());
    info.extend(key_id.to_be_bytes());
    let mut out = [0u8; KEY_LEN];
    crate::primitives::hkdf_sha256(TENANT_SALT, master.expose(), &info, &mut out)
        .map_err(|_| CryptoError::Provider("tenant key derivation failed".into()))?;
    let key = FieldKey::from_array(out);
    out.zeroize();
    Ok(key)
}

fn config(e: ConfigError) -> CryptoError {
    CryptoError::Provider(e.to_string())
}

type Factory = Box<dyn Fn(Keyring) -> FieldCipher + Send + Sync>;

/// One [`FieldCipher`] per tenant, each over keys derived from a shared
/// master keyring (see [Per-tenant keys](crate#per-tenant-keys) for the design).
///
/// Ciphers are cached per tenant id for the life of this value (a few
/// hundred bytes each); build one `TenantKeys` per process, not per request.
///
/// Derived keyrings follow the master: after a rotation or retirement of the
/// master, the next [`cipher`](Self::cipher) call for a tenant brings its
/// keyring in line (usage counters of keys that stay are kept).
///
/// ```
/// use rampart_crypto::{Context, FieldKey, Keyring, TenantKeys};
///
/// let tenants = TenantKeys::new(Keyring::new(1, FieldKey::generate()?)?);
/// let ctx = Context::new("user", "email", "7");
/// let sealed = tenants.cipher("acme")?.encrypt(&ctx, b"a@acme.test")?;
/// assert!(tenants.cipher("globex")?.decrypt(&ctx, &sealed).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TenantKeys {
    master: Keyring,
    factory: Factory,
    ciphers: Mutex<HashMap<String, FieldCipher>>,
}

impl std::fmt::Debug for TenantKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantKeys")
            .field("master", &self.master)
            .finish_non_exhaustive()
    }
}

impl TenantKeys {
    /// Tenant ciphers with the defaults of [`FieldCipher::new`].
    pub fn new(master: Keyring) -> Self {
        Self::with_cipher(master, FieldCipher::new)
    }

    /// Tenant ciphers built by `factory` from each derived keyring (to set
    /// the algorithm, budget or event sink).
    pub fn with_cipher(
        master: Keyring,
        factory: impl Fn(Keyring) -> FieldCipher + Send + Sync + 'static,
    ) -> Self {
        Self {
            master,
            factory: Box::new(factory),
            ciphers: Mutex::new(HashMap::new()),
        }
    }

    /// The master keyring (rotate it to rotate every tenant).
    pub fn master(&self) -> &Keyring {
        &self.master
    }

    /// The cipher of `tenant`, derived on first use and cached.
    pub fn cipher(&self, tenant: &str) -> Result<FieldCipher, CryptoError> {
        let mut ciphers = self.ciphers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cipher) = ciphers.get(tenant) {
            self.sync(tenant, cipher.keyring())?;
            return Ok(cipher.clone());
        }
        let keyring = self.derive(tenant)?;
        let cipher = (self.factory)(keyring);
        ciphers.insert(tenant.to_owned(), cipher.clone());
        Ok(cipher)
    }

    fn derive(&self, tenant: &str) -> Result<Keyring, CryptoError> {
        let primary = self.master.primary_id();
        let listed = self.master.list();
        let created = |id| {
            listed
                .iter()
                .find(|k| k.id == id)
                .map_or(0, |k| k.created_at_unix)
        };
        let master_key = self
            .master
            .key(primary)
            .ok_or(CryptoError::UnknownKey(primary))?;
        let ring = Keyring::new_at(
            primary,
            derive_tenant_key(&master_key, tenant, primary)?,
            created(primary),
        )
        .map_err(config)?;
        self.sync(tenant, &ring)?;
        Ok(ring)
    }

    /// Brings a derived keyring in line with the master.
    fn sync(&self, tenant: &str, derived: &Keyring) -> Result<(), CryptoError> {
        let master = self.master.list();
        for info in &master {
            if !derived.contains(info.id) {
                let key = self
                    .master
                    .key(info.id)
                    .ok_or(CryptoError::UnknownKey(info.id))?;
                derived
                    .add_at(
                        info.id,
                        derive_tenant_key(&key, tenant, info.id)?,
                        info.created_at_unix,
                    )
                    .map_err(config)?;
            }
        }
        if let Some(p) = master.iter().find(|k| k.status == KeyStatus::Primary)
            && derived.primary_id() != p.id
        {
            derived.promote(p.id).map_err(config)?;
        }
        for info in derived.list() {
            if !master.iter().any(|m| m.id == info.id) {
                derived.retire(info.id).map_err(config)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Context;

    #[test]
    fn derivation_separates_tenants_and_key_ids() {
        let master = FieldKey::from_bytes(&[7; 32]).unwrap();
        let d = |t, id| derive_tenant_key(&master, t, id).unwrap();
        let a1 = d("acme", 1);
        assert!(a1.ct_eq(&d("acme", 1)));
        assert!(!a1.ct_eq(&d("acme", 2)));
        assert!(!a1.ct_eq(&d("globex", 1)));
        assert!(!a1.ct_eq(&master));
    }

    #[test]
    fn tenant_keyrings_follow_master_rotation_and_retirement() {
        let master = Keyring::new(1, FieldKey::generate().unwrap()).unwrap();
        let tenants = TenantKeys::new(master.clone());
        let ctx = Context::new("user", "ssn", "1").tenant("acme");
        let old = tenants.cipher("acme").unwrap().encrypt(&ctx, b"x").unwrap();
        master.rotate(2, FieldKey::generate().unwrap()).unwrap();
        let acme = tenants.cipher("acme").unwrap();
        assert_eq!(acme.keyring().primary_id(), 2);
        assert_eq!(&*acme.decrypt(&ctx, &old).unwrap(), b"x");
        master.retire(1).unwrap();
        let acme = tenants.cipher("acme").unwrap();
        assert_eq!(
            acme.decrypt(&ctx, &old).unwrap_err(),
            CryptoError::RetiredKey(1)
        );
        // A tenant seen for the first time after the rotation gets the same ids.
        assert_eq!(tenants.cipher("new").unwrap().keyring().primary_id(), 2);
    }
}
