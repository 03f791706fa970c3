//! Erasure without breaking the chain (GDPR art. 17).
//!
//! Personal data in an event is encrypted with AES-256-GCM under the key of
//! the subject it belongs to *before* the record is hashed: the actor's
//! fields and the client's under the actor's key, a subject target's id and a
//! metadata identifier under the key of the subject they name. Erasing a
//! subject destroys their key: every record and checkpoint still verifies,
//! byte for byte, and their data is unreadable wherever it appears. The crate
//! documentation's Erasure section has the table of what goes under whose key.
//!
//! The field name is the AEAD's associated data, so a ciphertext moved from
//! `client.ip` into `actor.subject` does not decrypt.

use crate::event::{AuditEvent, target_is_subject};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use zeroize::Zeroizing;

const PREFIX: &str = "enc:v1:";

/// What a reader sees in place of personal data whose subject was erased
/// (see [`SubjectKeys::present`]).
pub const ERASED: &str = "[erased]";

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

    /// Encrypts the personal data of `event`, each value under the key of
    /// the subject it belongs to: the actor's fields, the client's and the
    /// actor's attributes in metadata under the actor's key; a subject
    /// target's id and a metadata identifier under the key of the subject
    /// they name. All or nothing: on an error `event` is left as it was, so a
    /// retry never encrypts a value twice.
    pub(crate) fn protect(&self, event: &mut AuditEvent) -> io::Result<()> {
        let mut sealed = event.clone();
        let mut ring = Ring::default();
        let actor = sealed.actor.as_ref().and_then(|a| a.subject.clone());
        if let Some(target) = sealed.target.as_mut()
            && target.kind.as_deref().is_some_and(target_is_subject)
            && let Some(whose) = target.id.take()
        {
            target.id = Some(self.seal(&mut ring, &whose, "target.id", &whose)?);
        }
        for (name, value) in &mut sealed.metadata {
            let Some(owner) = metadata_owner(name, value, actor.as_deref()) else {
                continue;
            };
            let field = format!("metadata.{name}");
            *value = Value::String(self.seal(&mut ring, &owner, &field, &value.to_string())?);
        }
        if let Some(subject) = &actor {
            let mut seal = |field: &str, value: &mut Option<String>| -> io::Result<()> {
                if let Some(plain) = value.take() {
                    *value = Some(self.seal(&mut ring, subject, field, &plain)?);
                }
                Ok(())
            };
            if let Some(a) = sealed.actor.as_mut() {
                seal("actor.subject", &mut a.subject)?;
                seal("actor.email", &mut a.email)?;
            }
            if let Some(client) = sealed.client.as_mut() {
                seal("client.ip", &mut client.ip)?;
                seal("client.user_agent", &mut client.user_agent)?;
            }
        }
        *event = sealed;
        Ok(())
    }

    /// Encrypts `plain`, the value of `field`, under `subject`'s key.
    fn seal(&self, ring: &mut Ring, subject: &str, field: &str, plain: &str) -> io::Result<String> {
        let at = match ring.0.iter().position(|(s, _, _)| s == subject) {
            Some(at) => at,
            None => {
                let (id, key) = self.key_for(subject)?;
                let key = LessSafeKey::new(
                    UnboundKey::new(&AES_256_GCM, key.as_ref())
                        .map_err(|_| io::Error::other("bad key"))?,
                );
                ring.0.push((subject.to_owned(), id, key));
                ring.0.len() - 1
            }
        };
        let (_, id, key) = &ring.0[at];
        self.encrypt(key, id, field, plain)
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
    /// key was erased (or is not in this store) stay as written, ciphertext,
    /// so the event can still be compared with the record; readers showing
    /// events to people want [`present`](Self::present).
    pub fn reveal(&self, event: &mut AuditEvent) {
        self.open_event(event, false);
    }

    /// Decrypts `event`'s personal data for a reader, in place, as
    /// [`query`](crate::query()) does: what decrypts is shown in clear, and a
    /// value whose key this store does not hold (the subject was erased) is
    /// replaced with [`ERASED`]. A key file of another trail holds none of
    /// its keys, so everything encrypted reads as erased.
    pub fn present(&self, event: &mut AuditEvent) {
        self.open_event(event, true);
    }

    fn open_event(&self, event: &mut AuditEvent, mark: bool) {
        // Every field that may hold a ciphertext is tried, whatever the
        // event's type or target kind: what is encrypted is told by the
        // value's prefix, so records written under other rules still read.
        let open = |field: &str, value: &mut Option<String>| {
            if let Some(v) = value.as_deref() {
                match self.decrypt(field, v) {
                    Opened::Plain(plain) => *value = Some(plain),
                    Opened::Erased if mark => *value = Some(ERASED.to_owned()),
                    Opened::Erased | Opened::Unreadable => {}
                }
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
        if let Some(target) = event.target.as_mut() {
            open("target.id", &mut target.id);
        }
        for (name, value) in &mut event.metadata {
            let Value::String(v) = value else { continue };
            match self.decrypt(&format!("metadata.{name}"), v) {
                Opened::Plain(text) => {
                    // Metadata is encrypted as JSON text, so a number or an
                    // object comes back as what it was.
                    if let Ok(plain) = serde_json::from_str(&text) {
                        *value = plain;
                    }
                }
                Opened::Erased if mark => *value = Value::String(ERASED.to_owned()),
                Opened::Erased | Opened::Unreadable => {}
            }
        }
    }

    fn decrypt(&self, field: &str, value: &str) -> Opened {
        let Some((id, data)) = value.strip_prefix(PREFIX).and_then(|v| v.split_once(':')) else {
            return Opened::Unreadable;
        };
        let Some(key) = self.lock().by_id.get(id).cloned() else {
            return Opened::Erased;
        };
        open_sealed(&key, field, data).map_or(Opened::Unreadable, Opened::Plain)
    }
}

/// What became of a value on reading.
enum Opened {
    /// It decrypted.
    Plain(String),
    /// It is encrypted under a key this store does not hold.
    Erased,
    /// It is not a ciphertext, or not one for this field (moved, altered).
    Unreadable,
}

fn open_sealed(key: &[u8; 32], field: &str, data: &str) -> Option<String> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
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

/// The keys one event is sealed with, looked up once each.
#[derive(Default)]
struct Ring(Vec<(String, String, LessSafeKey)>);

/// Metadata keys whose value names a subject (a layer's `actor` field, a
/// login's `username`): encrypted under the key of the subject named.
const IDENTIFIER_KEYS: &[&str] = &["actor", "login", "subject", "user", "user_id", "username"];

/// Metadata keys holding personal data of the event's actor (a login
/// throttle's `client_ip`): encrypted under the actor's key.
const ATTRIBUTE_KEYS: &[&str] = &["client_ip", "email", "ip", "user_agent"];

/// Whose key seals the metadata value `value` under `name`, if it is
/// personal data. Names are compared lower-cased with `-` read as `_`.
fn metadata_owner(name: &str, value: &Value, actor: Option<&str>) -> Option<String> {
    // Compared in place: this runs for every metadata key of every event.
    let is = |listed: &&str| {
        listed.len() == name.len()
            && listed.bytes().zip(name.bytes()).all(|(l, n)| {
                let n = if n == b'-' {
                    b'_'
                } else {
                    n.to_ascii_lowercase()
                };
                l == n
            })
    };
    let identifier = IDENTIFIER_KEYS.iter().any(is);
    if !identifier && !ATTRIBUTE_KEYS.iter().any(is) {
        return None;
    }
    match value {
        Value::Null | Value::Bool(_) => None,
        Value::String(s) if identifier => Some(s.clone()),
        Value::Number(n) if identifier => Some(n.to_string()),
        // With nobody signed in, an e-mail address is whose it is.
        Value::String(s) if is(&"email") && actor.is_none() => Some(s.clone()),
        // A structured value names no one subject: it is the actor's data.
        // With no actor, a client address stays in clear as `client.ip` does.
        _ => actor.map(str::to_owned),
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

    fn grant() -> AuditEvent {
        AuditEvent::new(types::ADMIN_ROLE_GRANTED)
            .subject("alice")
            .client_ip("198.51.100.7")
            .target("subject", "bob")
            .meta("role", "admin")
    }

    fn target_id(e: &AuditEvent) -> &str {
        e.target.as_ref().unwrap().id.as_deref().unwrap()
    }

    #[test]
    fn a_subject_target_is_sealed_under_that_subjects_key_not_the_actors() {
        let keys = SubjectKeys::in_memory();
        let mut e = grant();
        keys.protect(&mut e).unwrap();
        let (alice, bob) = (keys.key_id("alice").unwrap(), keys.key_id("bob").unwrap());
        assert_ne!(alice, bob);
        assert!(encrypted_under(target_id(&e), &bob), "{}", target_id(&e));
        let subject = e.actor.as_ref().unwrap().subject.clone().unwrap();
        assert!(encrypted_under(&subject, &alice));
        assert_eq!(e.metadata["role"], "admin", "not personal data");

        let mut shown = e.clone();
        keys.present(&mut shown);
        assert_eq!(target_id(&shown), "bob");
        assert_eq!(
            shown.actor.as_ref().unwrap().subject.as_deref(),
            Some("alice")
        );

        keys.erase("bob").unwrap();
        let mut shown = e.clone();
        keys.present(&mut shown);
        assert_eq!(target_id(&shown), ERASED);
        assert_eq!(
            shown.actor.as_ref().unwrap().subject.as_deref(),
            Some("alice")
        );
        assert_eq!(
            shown.client.as_ref().unwrap().ip.as_deref(),
            Some("198.51.100.7")
        );
        let mut kept = e.clone();
        keys.reveal(&mut kept);
        assert_eq!(
            target_id(&kept),
            target_id(&e),
            "reveal keeps the ciphertext"
        );
    }

    #[test]
    fn only_subject_kinds_are_sealed_and_case_does_not_matter() {
        let keys = SubjectKeys::in_memory();
        for kind in ["subject", "User", "PRINCIPAL"] {
            let mut e = AuditEvent::new(types::ADMIN_ROLE_REVOKED).target(kind, "carol");
            keys.protect(&mut e).unwrap();
            assert!(target_id(&e).starts_with(PREFIX), "{kind}");
        }
        for kind in ["role_binding", "invoice", "signing_key"] {
            let mut e = AuditEvent::new(types::DATA_READ)
                .subject("alice")
                .target(kind, "7");
            keys.protect(&mut e).unwrap();
            assert_eq!(target_id(&e), "7", "{kind} is not a subject");
        }
        assert_eq!(keys.key_id("7"), None, "no key is made for a non-subject");
    }

    #[test]
    fn personal_metadata_is_sealed_under_the_key_of_whose_it_is() {
        let keys = SubjectKeys::in_memory();
        let mut e = AuditEvent::new(types::AUTH_ACCOUNT_LOCKED)
            .subject("alice")
            .meta("actor", "dave")
            .meta("Username", "erin")
            .meta("user_id", 42)
            .meta("client_ip", "203.0.113.5")
            .meta("E-Mail", "not-a-listed-key")
            .meta("email", "alice@example.org")
            .meta("User-Agent", "curl/8")
            .meta("user", serde_json::json!({"name": "Alice A."}))
            .meta("subject", true)
            .meta("lockout_secs", 900);
        let before = e.clone();
        keys.protect(&mut e).unwrap();
        let under = |name: &str, whose: &str| {
            let v = e.metadata[name].as_str().unwrap();
            assert!(
                encrypted_under(v, &keys.key_id(whose).unwrap()),
                "{name}: {v}"
            );
        };
        under("actor", "dave");
        under("Username", "erin");
        under("user_id", "42");
        under("client_ip", "alice");
        under("email", "alice");
        under("User-Agent", "alice");
        under("user", "alice");
        assert_eq!(e.metadata["E-Mail"], "not-a-listed-key");
        assert_eq!(e.metadata["subject"], true);
        assert_eq!(e.metadata["lockout_secs"], 900);
        let mut shown = e.clone();
        keys.present(&mut shown);
        assert_eq!(
            shown.metadata, before.metadata,
            "types come back as they were"
        );

        keys.erase("dave").unwrap();
        let mut shown = e.clone();
        keys.present(&mut shown);
        assert_eq!(shown.metadata["actor"], ERASED);
        assert_eq!(shown.metadata["Username"], "erin");
    }

    #[test]
    fn without_an_actor_an_email_is_its_own_and_an_address_stays_clear() {
        let keys = SubjectKeys::in_memory();
        let mut e = AuditEvent::new(types::AUTH_LOGIN_FAILURE)
            .meta("email", "frank@example.org")
            .meta("client_ip", "203.0.113.5");
        keys.protect(&mut e).unwrap();
        let id = keys.key_id("frank@example.org").unwrap();
        assert!(encrypted_under(e.metadata["email"].as_str().unwrap(), &id));
        assert_eq!(e.metadata["client_ip"], "203.0.113.5");
    }

    #[test]
    fn a_key_store_failing_mid_way_leaves_the_event_untouched() {
        let dir = crate::test_dir("keys-fail");
        let keys = SubjectKeys::open(dir.join("keys.json")).unwrap();
        // alice's and bob's keys exist, dave's must be made and persisted:
        // the target is sealed before the store fails on dave.
        keys.protect(&mut grant()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut e = grant().meta("actor", "dave");
        let before = e.clone();
        assert!(keys.protect(&mut e).is_err());
        assert_eq!(e, before, "nothing half-encrypted");
        assert_eq!(keys.key_id("dave"), None, "a key not persisted is not used");
        std::fs::create_dir_all(&dir).unwrap();
        keys.protect(&mut e).unwrap();
        keys.present(&mut e);
        assert_eq!(target_id(&e), "bob", "sealed once, not twice");
        assert_eq!(e.metadata["actor"], "dave");
        assert_eq!(e.actor.unwrap().subject.as_deref(), Some("alice"));
    }

    #[test]
    fn a_target_ciphertext_does_not_open_elsewhere_and_garbage_is_left_alone() {
        let keys = SubjectKeys::in_memory();
        let mut e = grant();
        keys.protect(&mut e).unwrap();
        let sealed = target_id(&e).to_owned();
        e.metadata.insert("actor".into(), sealed.clone().into());
        let bob = keys.key_id("bob").unwrap();
        let garbage = [
            format!("{PREFIX}{bob}:"),
            format!("{PREFIX}{bob}:!!notbase64"),
            format!("{PREFIX}{bob}"),
            "enc:v1:".to_owned(),
        ];
        e.actor.as_mut().unwrap().email = Some(garbage[0].clone());
        e.client.as_mut().unwrap().user_agent = Some(garbage[1].clone());
        e.metadata.insert("user".into(), garbage[2].clone().into());
        e.metadata.insert("login".into(), garbage[3].clone().into());
        keys.present(&mut e);
        assert_eq!(e.metadata["actor"], sealed.as_str(), "moved: not decrypted");
        assert_eq!(e.actor.as_ref().unwrap().email.as_ref(), Some(&garbage[0]));
        assert_eq!(
            e.client.as_ref().unwrap().user_agent.as_ref(),
            Some(&garbage[1])
        );
        assert_eq!(e.metadata["user"], garbage[2].as_str());
        assert_eq!(e.metadata["login"], garbage[3].as_str());
        assert_eq!(target_id(&e), "bob");
    }
}
