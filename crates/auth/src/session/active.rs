//! A loaded session: its token, its record, and what the application keeps in it.

use super::id::{SessionKey, SessionToken};
use super::store::StoredSession;
use rampart_core::{AuthMethod, Principal};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The JSON document a store keeps as a session's data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) principal: Option<Principal>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) values: Map<String, Value>,
    /// Device summary for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) device: Option<String>,
    /// SHA-256 of the user agent, when the session is bound to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ua_hash: Option<String>,
    /// The sign-in's network, shown in listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ip_prefix: Option<String>,
    /// Whether the session is bound to `ip_prefix`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) bind_ip: bool,
}

impl SessionData {
    pub(crate) fn parse(raw: &str) -> Self {
        // A document this version cannot read is an empty (signed-out) session.
        serde_json::from_str(raw).unwrap_or_default()
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// A live session, as [`SessionManager`](super::SessionManager) loaded or created it.
///
/// Holds the cookie value (zeroized on drop, never printed). Changes made
/// with [`insert`](Self::insert) and [`remove`](Self::remove) are kept by
/// [`SessionManager::save`](super::SessionManager::save).
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub(crate) token: SessionToken,
    pub(crate) stored: StoredSession,
    pub(crate) data: SessionData,
}

impl ActiveSession {
    pub(crate) fn new(token: SessionToken, stored: StoredSession) -> Self {
        let data = SessionData::parse(&stored.data);
        Self {
            token,
            stored,
            data,
        }
    }

    /// The cookie value, to write into `Set-Cookie`. Never log it.
    pub fn token(&self) -> &SessionToken {
        &self.token
    }

    /// The store key.
    pub fn key(&self) -> &SessionKey {
        &self.stored.key
    }

    /// A short public handle naming this session in listings and events.
    pub fn handle(&self) -> &str {
        self.stored.key.handle()
    }

    /// The signed-in caller, with [`AuthMethod::Session`] and this session's
    /// handle as its session id; `None` before sign-in.
    pub fn principal(&self) -> Option<Principal> {
        self.data.principal.clone()
    }

    /// The subject signed in, if any.
    pub fn subject(&self) -> Option<&str> {
        self.stored.subject.as_deref()
    }

    /// The record as stored (times and timeouts).
    pub fn record(&self) -> &StoredSession {
        &self.stored
    }

    /// The value under `key`, if it is there and deserialises as `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.data
            .values
            .get(key)
            .and_then(|v| T::deserialize(v).ok())
    }

    /// Stores `value` under `key`.
    ///
    /// # Errors
    /// When `value` does not serialise to JSON.
    pub fn insert<T: Serialize>(&mut self, key: &str, value: T) -> Result<(), serde_json::Error> {
        let v = serde_json::to_value(value)?;
        self.data.values.insert(key.to_owned(), v);
        self.stored.data = self.data.to_json();
        Ok(())
    }

    /// Removes the value under `key`, answering it.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let v = self.data.values.remove(key);
        self.stored.data = self.data.to_json();
        v
    }

    /// Every value kept in the session.
    pub fn values(&self) -> &Map<String, Value> {
        &self.data.values
    }

    pub(crate) fn set_principal(&mut self, principal: Principal) {
        self.data.principal = Some(principal);
        self.stored.data = self.data.to_json();
    }
}

/// Fixes the principal's method and session id to this session's.
pub(crate) fn session_principal(p: &Principal, handle: &str) -> Principal {
    let mut out = Principal::new(p.subject(), AuthMethod::Session)
        .with_roles(p.roles().iter().cloned())
        .with_session_id(handle);
    if let Some(t) = p.tenant() {
        out = out.with_tenant(t);
    }
    if let Some(o) = p.org() {
        out = out.with_org(o);
    }
    if let Some(j) = p.token_id() {
        out = out.with_token_id(j);
    }
    for (k, v) in p.claims() {
        out = out.with_claim(k.clone(), v.clone());
    }
    out
}

/// One of a user's sessions, for a "where you are signed in" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// Public handle, to end this one session with
    /// [`SessionManager::destroy_handle`](super::SessionManager::destroy_handle).
    pub handle: String,
    /// `Firefox on Linux`, from the sign-in's user agent.
    pub device: Option<String>,
    /// The sign-in's network (`203.0.113.0/24`).
    pub ip_prefix: Option<String>,
    /// Sign-in time, seconds since the epoch.
    pub created: u64,
    /// Last use, seconds since the epoch.
    pub last_seen: u64,
    /// When it ends if unused, seconds since the epoch.
    pub expires: u64,
    /// Whether it is the session making the request (set by the caller).
    pub current: bool,
}

impl SessionInfo {
    pub(crate) fn from_stored(s: &StoredSession) -> Self {
        let data = SessionData::parse(&s.data);
        Self {
            handle: s.key.handle().to_owned(),
            device: data.device,
            ip_prefix: data.ip_prefix,
            created: s.created,
            last_seen: s.last_seen,
            expires: s.last_seen.saturating_add(s.idle_secs).min(s.deadline),
            current: false,
        }
    }
}
