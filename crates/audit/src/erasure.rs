//! Erasure without breaking the chain (GDPR art. 17).
//!
//! Personal data in an event (the actor's subject and e-mail, the client's
//! address and user agent) is encrypted with AES-256-GCM under a key of that
//! subject's own *before* the record is hashed. The record then holds
//! `enc:v1:<key id>:<base64 nonce ‖ ciphertext>`; the key id is random and
//! says nothing about the subject. Erasing the subject destroys the key:
//! every record and checkpoint still verifies, byte for byte, and the data is
//! unreadable. Events without an actor keep the client address in clear,
//! since there is no subject to erase it for and it is the evidence of an attack.
//!
//! The field name is the AEAD's associated data, so a ciphertext moved from
//! `client.ip` into `actor.subject` does not decrypt.

use crate::event::AuditEvent;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use zeroize::Zeroizing;

const PREFIX: &str = "enc:v1:";

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    id: String,
    key: String,
}

#[derive(Default)]
struct Keys {
    by_subject: HashMap<String, Entry>,
    by_id: HashMap<String, Zeroizing<[u8; 32]>>,
}

/// Per-subject keys, in memory or in a JSON file (mode 0600 where the
/// platform has modes). Deleting a key from the file does not scrub the disk
/// blocks it used: keep the file on encrypted storage.
pub struct SubjectKeys {
    keys: Mutex<Keys>,
    path: Option<PathBuf>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SubjectKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectKeys")
            .field("path", &self.path)
            .field("keys", &"[redacted]")
            .finish()
    }
}

impl SubjectKeys {
    /// Keys kept in memory only (tests, or a trail that need not outlive the process).
    pub fn in_memory() -> Self {
        Self {
            keys: Mutex::new(Keys::default()),
            path: None,
            rng: SystemRandom::new(),
        }
    }

    /// Keys kept in the JSON file at `path`, created if missing.
    pub fn open(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        let mut keys = Keys::default();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let stored: HashMap<String, Entry> = serde_json::from_slice(&bytes)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                for (subject, entry) in stored {
                    keys.by_id.insert(entry.id.clone(), decode_key(&entry.key)?);
                    keys.by_subject.insert(subject, entry);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(Self {
            keys: Mutex::new(keys),
            path: Some(path),
            rng: SystemRandom::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key id of `subject`, if it has a key.
    pub fn key_id(&self, subject: &str) -> Option<String> {
        self.lock().by_subject.get(subject).map(|e| e.id.clone())
    }

    /// Destroys `subject`'s key. Returns whether there was one.
    pub fn erase(&self, subject: &str) -> io::Result<bool> {
        let mut keys = self.lock();
        let Some(entry) = keys.by_subject.remove(subject) else {
            return Ok(false);
        };
        keys.by_id.remove(&entry.id);
        self.persist(&keys)?;
        Ok(true)
    }

    fn key_for(&self, subject: &str) -> io::Result<(String, Zeroizing<[u8; 32]>)> {
        let mut keys = self.lock();
        if let Some(entry) = keys.by_subject.get(subject)
            && let Some(key) = keys.by_id.get(&entry.id)
        {
            return Ok((entry.id.clone(), key.clone()));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        let mut id = [0u8; 12];
        self.rng
            .fill(key.as_mut())
            .and_then(|()| self.rng.fill(&mut id))
            .map_err(|_| io::Error::other("system random source failed"))?;
        let id = crate::canonical::hex(&id);
        let entry = Entry {
            id: id.clone(),
            key: B64.encode(key.as_ref()),
        };
        keys.by_subject.insert(subject.to_owned(), entry);
        keys.by_id.insert(id.clone(), key.clone());
        if let Err(e) = self.persist(&keys) {
            keys.by_subject.remove(subject);
            keys.by_id.remove(&id);
            return Err(e);
        }
        Ok((id, key))
    }

    fn persist(&self, keys: &Keys) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let json = Zeroizing::new(
            serde_json::to_vec(&keys.by_subject)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        );
        let tmp = path.with_extension("tmp");
        write_private(&tmp, &json)?;
        std::fs::rename(&tmp, path)
    }

    /// Encrypts the personal data of `event` under its actor's key.
    pub(crate) fn protect(&self, event: &mut AuditEvent) -> io::Result<()> {
        let Some(subject) = event.actor.as_ref().and_then(|a| a.subject.clone()) else {
            return Ok(());
        };
        let (id, key) = self.key_for(&subject)?;
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, key.as_ref()).map_err(|_| io::Error::other("bad key"))?,
        );
        let seal = |field: &str, value: &mut Option<String>| -> io::Result<()> {
            if let Some(plain) = value.take() {
                *value = Some(self.encrypt(&key, &id, field, &plain)?);
            }
            Ok(())
        };
        if let Some(actor) = event.actor.as_mut() {
            seal("actor.subject", &mut actor.subject)?;
            seal("actor.email", &mut actor.email)?;
        }
        if let Some(client) = event.client.as_mut() {
            seal("client.ip", &mut client.ip)?;
            seal("client.user_agent", &mut client.user_agent)?;
        }
        Ok(())
    }

    fn encrypt(&self, key: &LessSafeKey, id: &str, field: &str, plain: &str) -> io::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| io::Error::other("system random source failed"))?;
        let mut data = plain.as_bytes().to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(field.as_bytes()),
            &mut data,
        )
        .map_err(|_| io::Error::other("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{id}:{}", B64.encode(out)))
    }

    /// Decrypts what it can of `event`'s personal data, in place. Values whose
    /// key was erased stay encrypted.
    pub fn reveal(&self, event: &mut AuditEvent) {
        let open = |field: &str, value: &mut Option<String>| {
            if let Some(plain) = value.as_deref().and_then(|v| self.decrypt(field, v)) {
                *value = Some(plain);
            }
        };
        if let Some(actor) = event.actor.as_mut() {
            open("actor.subject", &mut actor.subject);
            open("actor.email", &mut actor.email);
        }
        if let Some(client) = event.client.as_mut() {
            open("client.ip", &mut client.ip);
            open("client.user_agent", &mut client.user_agent);
        }
    }

    fn decrypt(&self, field: &str, value: &str) -> Option<String> {
        let (id, data) = value.strip_prefix(PREFIX)?.split_once(':')?;
        let key = self.lock().by_id.get(id)?.clone();
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_ref()).ok()?);
        let raw = B64.decode(data).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(field.as_bytes()), &mut sealed)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// Whether `value` is a value encrypted under the subject key `key_id`.
pub(crate) fn encrypted_under(value: &str, key_id: &str) -> bool {
    value
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_prefix(key_id))
        .is_some_and(|rest| rest.starts_with(':'))
}

fn decode_key(text: &str) -> io::Result<Zeroizing<[u8; 32]>> {
    let bytes = Zeroizing::new(
        B64.decode(text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "subject key is not 32 bytes",
        ));
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// Writes `bytes` to `path`, readable by the owner only, and syncs it.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    fn event() -> AuditEvent {
        AuditEvent::new(types::DATA_READ)
            .subject("alice")
            .client_ip("198.51.100.7")
            .user_agent("curl/8")
            .tenant("acme")
    }

    #[test]
    fn protects_personal_data_and_reveals_it_until_erased() {
        let keys = SubjectKeys::in_memory();
        let mut e = event();
        keys.protect(&mut e).unwrap();
        let text = serde_json::to_string(&e).unwrap();
        for pii in ["alice", "198.51.100.7", "curl/8"] {
            assert!(!text.contains(pii), "{pii} in {text}");
        }
        assert!(text.contains("acme"), "the tenant is not personal data");
        let id = keys.key_id("alice").unwrap();
        assert!(encrypted_under(
            e.actor.as_ref().unwrap().subject.as_deref().unwrap(),
            &id
        ));
        let mut shown = e.clone();
        keys.reveal(&mut shown);
        let mut expected = event();
        expected.id.clone_from(&e.id);
        expected.timestamp.clone_from(&e.timestamp);
        assert_eq!(shown, expected);
        assert!(keys.erase("alice").unwrap());
        assert!(!keys.erase("alice").unwrap());
        let mut after = e.clone();
        keys.reveal(&mut after);
        assert_eq!(after, e, "nothing decrypts after erasure");
    }

    #[test]
    fn a_ciphertext_moved_to_another_field_does_not_decrypt() {
        let keys = SubjectKeys::in_memory();
        let mut e = event();
        keys.protect(&mut e).unwrap();
        let ip = e.client.as_ref().unwrap().ip.clone();
        e.actor.as_mut().unwrap().subject = ip.clone();
        keys.reveal(&mut e);
        assert_eq!(e.actor.unwrap().subject, ip);
    }

    #[test]
    fn file_keys_survive_a_restart_and_erasure_is_persisted() {
        let dir = crate::test_dir("keys");
        let path = dir.join("keys.json");
        let mut e = event();
        SubjectKeys::open(&path).unwrap().protect(&mut e).unwrap();
        let reopened = SubjectKeys::open(&path).unwrap();
        let mut shown = e.clone();
        reopened.reveal(&mut shown);
        assert_eq!(
            shown.actor.as_ref().unwrap().subject.as_deref(),
            Some("alice")
        );
        reopened.erase("alice").unwrap();
        let again = SubjectKeys::open(&path).unwrap();
        assert_eq!(again.key_id("alice"), None);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("alice"));
        std::fs::write(&path, "not json").unwrap();
        assert!(SubjectKeys::open(&path).is_err());
    }
}
