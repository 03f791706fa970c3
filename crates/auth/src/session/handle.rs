//! [`Session`]: the handle a handler uses to sign in, rotate, sign out and
//! keep values, applied to the cookie after the handler returns.

use super::active::ActiveSession;
use super::client::ClientInfo;
use super::manager::{SessionError, SessionManager};
use crate::error::StoreError;
use http::header::{CACHE_CONTROL, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use rampart_core::Principal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CookieChange {
    Keep,
    Set,
    Clear,
}

#[derive(Debug)]
struct State {
    active: Option<ActiveSession>,
    /// Values inserted before any session exists: one is started for them.
    pending: Map<String, Value>,
    dirty: bool,
    cookie: CookieChange,
}

/// The request's session, put into the request extensions by
/// [`SessionLayer`](super::SessionLayer) (and extracted by axum handlers with
/// the `axum` feature).
///
/// Changes are applied to the store at once ([`login`](Self::login),
/// [`rotate`](Self::rotate), [`destroy`](Self::destroy)) or when the response
/// leaves ([`insert`](Self::insert), [`remove`](Self::remove)); the layer
/// then writes or clears the cookie. Clones share one state.
#[derive(Clone)]
pub struct Session {
    state: Arc<Mutex<State>>,
    manager: SessionManager,
    client: ClientInfo,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Session")
            .field("handle", &state.active.as_ref().map(ActiveSession::handle))
            .field("cookie", &state.cookie)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(
        manager: SessionManager,
        client: ClientInfo,
        active: Option<ActiveSession>,
    ) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                active,
                pending: Map::new(),
                dirty: false,
                cookie: CookieChange::Keep,
            })),
            manager,
            client,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The signed-in caller, if any.
    pub fn principal(&self) -> Option<Principal> {
        self.lock()
            .active
            .as_ref()
            .and_then(ActiveSession::principal)
    }

    /// The session's public handle (as in [`SessionInfo`](super::SessionInfo)), if one exists.
    pub fn handle(&self) -> Option<String> {
        self.lock().active.as_ref().map(|s| s.handle().to_owned())
    }

    /// The value under `key`, if there and of type `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let state = self.lock();
        match &state.active {
            Some(s) => s.get(key),
            None => state.pending.get(key).and_then(|v| T::deserialize(v).ok()),
        }
    }

    /// Keeps `value` under `key`; a session is started if there is none.
    ///
    /// # Errors
    /// When `value` does not serialise to JSON.
    pub fn insert<T: Serialize>(&self, key: &str, value: T) -> Result<(), serde_json::Error> {
        let mut state = self.lock();
        match &mut state.active {
            Some(s) => s.insert(key, value)?,
            None => {
                let v = serde_json::to_value(value)?;
                state.pending.insert(key.to_owned(), v);
            }
        }
        state.dirty = true;
        Ok(())
    }

    /// Removes the value under `key`.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut state = self.lock();
        state.dirty = true;
        match &mut state.active {
            Some(s) => s.remove(key),
            None => state.pending.remove(key),
        }
    }

    /// Signs `principal` in with a fresh session id (the previous session,
    /// if any, ends; its values carry over).
    ///
    /// # Errors
    /// [`SessionError::LimitReached`] under a refusing per-user limit;
    /// [`SessionError::Store`].
    pub async fn login(&self, principal: Principal) -> Result<(), SessionError> {
        let (previous, pending) = {
            let state = self.lock();
            (state.active.clone(), state.pending.clone())
        };
        let mut fresh = self
            .manager
            .login(previous.as_ref(), principal, &self.client)
            .await?;
        for (k, v) in pending {
            fresh.insert(&k, v).map_err(|e| StoreError(e.to_string()))?;
        }
        let mut state = self.lock();
        state.dirty = !state.pending.is_empty();
        state.pending.clear();
        state.active = Some(fresh);
        state.cookie = CookieChange::Set;
        Ok(())
    }

    /// New id, same data (call on a privilege change). Without a session, nothing happens.
    ///
    /// # Errors
    /// [`SessionError::Ended`] if it ended meanwhile; [`SessionError::Store`].
    pub async fn rotate(&self) -> Result<(), SessionError> {
        let Some(current) = self.lock().active.clone() else {
            return Ok(());
        };
        let fresh = self.manager.rotate(&current).await?;
        let mut state = self.lock();
        state.active = Some(fresh);
        state.cookie = CookieChange::Set;
        Ok(())
    }

    /// Replaces the signed-in principal (new roles, MFA passed) and rotates.
    ///
    /// # Errors
    /// As [`rotate`](Self::rotate); [`SessionError::Ended`] without a session.
    pub async fn elevate(&self, principal: Principal) -> Result<(), SessionError> {
        let Some(current) = self.lock().active.clone() else {
            return Err(SessionError::Ended);
        };
        let fresh = self.manager.elevate(&current, principal).await?;
        let mut state = self.lock();
        state.active = Some(fresh);
        state.cookie = CookieChange::Set;
        Ok(())
    }

    /// Signs out: the session ends now and the cookie is cleared.
    ///
    /// # Errors
    /// A [`StoreError`] when the store fails (the cookie is cleared anyway).
    pub async fn destroy(&self) -> Result<(), StoreError> {
        let current = {
            let mut state = self.lock();
            state.pending.clear();
            state.dirty = false;
            state.cookie = CookieChange::Clear;
            state.active.take()
        };
        if let Some(current) = current {
            self.manager.destroy(&current).await?;
        }
        Ok(())
    }

    /// The manager behind this session (to list or end the user's other sessions).
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }

    /// Applies the handler's changes: saves values, starts a session for
    /// values inserted without one, and writes `Set-Cookie`. `clear_stale`:
    /// the request's cookie named no live session.
    pub(crate) async fn finish(
        &self,
        headers: &mut HeaderMap,
        clear_stale: bool,
    ) -> Result<(), SessionError> {
        let (active, pending, dirty, mut cookie) = {
            let mut state = self.lock();
            let snapshot = (
                state.active.clone(),
                std::mem::take(&mut state.pending),
                state.dirty,
                state.cookie,
            );
            state.dirty = false;
            snapshot
        };
        let mut written = active;
        if written.is_none() && !pending.is_empty() && cookie != CookieChange::Clear {
            let mut started = self.manager.start(&self.client).await?;
            for (k, v) in pending {
                started
                    .insert(&k, v)
                    .map_err(|e| StoreError(e.to_string()))?;
            }
            self.manager.save(&started).await?;
            self.lock().active = Some(started.clone());
            written = Some(started);
            cookie = CookieChange::Set;
        } else if dirty
            && let Some(s) = &written
            && !self.manager.save(s).await?
        {
            cookie = CookieChange::Clear;
        }
        let settings = self.manager.cookie();
        let value = match (cookie, &written) {
            (CookieChange::Set, Some(s)) => {
                // The browser forgets it at the absolute timeout; the idle
                // timeout is the server's to enforce.
                let max_age = s.record().deadline.saturating_sub(self.manager.now());
                Some(settings.set_cookie(s.token().expose(), max_age))
            }
            (CookieChange::Clear, _) => Some(settings.clear_cookie()),
            _ if clear_stale => Some(settings.clear_cookie()),
            _ => None,
        };
        if let Some(value) = value {
            headers.append(SET_COOKIE, value);
            if !headers.contains_key(CACHE_CONTROL) {
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        }
        Ok(())
    }
}
