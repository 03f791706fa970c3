//! Ceremonies between their start and their finish: kept in this process,
//! bound to the user who started them, single use and short-lived.
//!
//! webauthn-rs hands back, with each challenge, the state its finish needs
//! (the challenge itself, the allowed credentials with their counters).
//! Whoever holds that state can finish the ceremony, so it never leaves the
//! server: the client only gets an opaque [`CeremonyId`]. Taking a ceremony
//! removes it, whatever the finish then decides, so a response cannot be
//! replayed against it.

use super::WebAuthnError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use webauthn_rs::prelude::{SecurityKeyAuthentication, SecurityKeyRegistration};

/// Characters of a ceremony id: 128 random bits in base64url.
const ID_CHARS: usize = 22;

/// The handle of one pending ceremony, given to the client between start and
/// finish. It names the server-side state and grants nothing by itself: the
/// finish also needs the user who started it and the authenticator's
/// signature over its challenge.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CeremonyId(String);

impl CeremonyId {
    fn generate() -> Result<Self, WebAuthnError> {
        let mut bytes = [0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| WebAuthnError::Internal("the system random source failed".into()))?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Parses an id a client sent back; `None` unless it has the shape
    /// rampart writes (22 base64url characters).
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == ID_CHARS
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(value.to_owned()))
    }

    /// The id as text, to hand to the client or keep in its session.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CeremonyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not a secret on its own, but there is no reason to log it whole.
        write!(f, "CeremonyId({}…)", self.0.get(..4).unwrap_or_default())
    }
}

impl std::fmt::Display for CeremonyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a pending ceremony will finish.
pub(crate) enum Pending {
    /// Registering a new credential.
    Registration(Box<SecurityKeyRegistration>),
    /// Asserting one of the user's credentials.
    Authentication(Box<SecurityKeyAuthentication>),
}

impl Pending {
    fn is_registration(&self) -> bool {
        matches!(self, Self::Registration(_))
    }
}

struct Entry {
    user: String,
    started: u64,
    expires: u64,
    state: Pending,
}

/// Pending ceremonies of this process, bounded in total and per user.
pub(crate) struct Ceremonies {
    entries: Mutex<HashMap<CeremonyId, Entry>>,
    max_total: usize,
    max_per_user: usize,
}

impl Ceremonies {
    pub(crate) fn new(max_total: usize, max_per_user: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            max_total,
            max_per_user,
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<CeremonyId, Entry>> {
        // Every write below is one insert or remove: a panic elsewhere
        // cannot leave an entry half-written.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `state` for `user` until `expires` (Unix seconds); answers its id.
    ///
    /// A user with as many pending ceremonies as allowed loses their oldest
    /// (a user opening many tabs cannot fill the table); when the table is
    /// full of other users' live ceremonies, [`WebAuthnError::Busy`].
    pub(crate) fn insert(
        &self,
        user: &str,
        now: u64,
        expires: u64,
        state: Pending,
    ) -> Result<CeremonyId, WebAuthnError> {
        let id = CeremonyId::generate()?;
        let mut entries = self.entries();
        let mut own: Vec<(u64, CeremonyId)> = entries
            .iter()
            .filter(|(_, e)| e.user == user)
            .map(|(id, e)| (e.started, id.clone()))
            .collect();
        if own.len() >= self.max_per_user {
            own.sort_by_key(|(started, _)| *started);
            let excess = own.len() + 1 - self.max_per_user;
            for (_, old) in own.into_iter().take(excess) {
                entries.remove(&old);
            }
        }
        if entries.len() >= self.max_total {
            entries.retain(|_, e| e.expires > now);
            if entries.len() >= self.max_total {
                return Err(WebAuthnError::Busy);
            }
        }
        entries.insert(
            id.clone(),
            Entry {
                user: user.to_owned(),
                started: now,
                expires,
                state,
            },
        );
        Ok(id)
    }

    /// Removes and answers the ceremony `id` if `user` started it for the
    /// purpose asked. Another user's ceremony, or one of the other kind, is
    /// left in place for its owner ([`WebAuthnError::CeremonyMismatch`]); an
    /// expired one is removed and refused.
    pub(crate) fn take(
        &self,
        id: &CeremonyId,
        user: &str,
        registration: bool,
        now: u64,
    ) -> Result<Pending, WebAuthnError> {
        let mut entries = self.entries();
        let entry = entries.get(id).ok_or(WebAuthnError::CeremonyNotFound)?;
        if entry.user != user || entry.state.is_registration() != registration {
            return Err(WebAuthnError::CeremonyMismatch);
        }
        let expired = entry.expires <= now;
        let entry = entries.remove(id).ok_or(WebAuthnError::CeremonyNotFound)?;
        if expired {
            return Err(WebAuthnError::CeremonyExpired);
        }
        Ok(entry.state)
    }

    /// How many ceremonies are pending (expired ones included until purged).
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_are_random_and_parse_back_only_in_their_own_shape() {
        let a = CeremonyId::generate().unwrap();
        let b = CeremonyId::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(CeremonyId::parse(a.as_str()), Some(a.clone()));
        assert_eq!(CeremonyId::parse(""), None);
        assert_eq!(CeremonyId::parse(&format!("{a}x")), None);
        assert_eq!(CeremonyId::parse(&"+".repeat(ID_CHARS)), None);
        assert!(!format!("{a:?}").contains(a.as_str()));
        assert_eq!(
            format!("{a:?}"),
            format!("CeremonyId({}…)", &a.as_str()[..4])
        );
        assert_eq!(a.to_string(), a.as_str());
    }

    /// The whole base64url alphabet is accepted, `-` and `_` included, and
    /// nothing outside it: a random id holds either in about half the cases.
    #[test]
    fn ids_take_the_base64url_alphabet_only() {
        let all = "AZaz09-_AZaz09-_AZaz09";
        assert_eq!(CeremonyId::parse(all).unwrap().as_str(), all);
        for bad in ["+", "/", "=", ".", "%", " ", "é"] {
            let id = format!("{bad}{}", &all[bad.len()..]);
            assert_eq!(CeremonyId::parse(&id), None, "{id:?}");
        }
    }
}
