//! What a listing of a subject's refresh families shows: when each was
//! signed in and last refreshed, and from which client.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The longest user agent kept, in characters.
const MAX_USER_AGENT_CHARS: usize = 512;

/// The client a refresh family was signed in from, recorded so a user can
/// tell their devices apart ("Firefox on Linux, 203.0.113.7") before ending
/// one. Set it with [`TokenRequest::client`](crate::TokenRequest::client).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FamilyClient {
    /// The sign-in's `User-Agent`, control characters removed, at most 512 characters.
    pub user_agent: Option<String>,
    /// The sign-in's address.
    pub ip: Option<IpAddr>,
}

/// No client facts, for stores' `create_family` to pass on.
pub(crate) static NO_CLIENT: FamilyClient = FamilyClient {
    user_agent: None,
    ip: None,
};

impl FamilyClient {
    /// No client facts.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `User-Agent` header. Control characters are dropped (a listing
    /// is shown on pages and written to logs) and it is cut at 512 characters.
    #[must_use]
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        let clean: String = user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_USER_AGENT_CHARS)
            .collect();
        self.user_agent = (!clean.is_empty()).then_some(clean);
        self
    }

    /// The caller's address.
    #[must_use]
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }
}

/// One live refresh family (a sign-in that can still refresh), as
/// [`FamilyStore::list_families`](super::FamilyStore::list_families) answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FamilyInfo {
    /// The family id: the `sid` of its tokens.
    pub family: String,
    /// Sign-in time, seconds since the epoch (0 when the store did not record it).
    pub created: u64,
    /// The last refresh, seconds since the epoch; `None` before the first.
    pub last_rotated: Option<u64>,
    /// When it ends unless refreshed, seconds since the epoch.
    pub expires: u64,
    /// The client it was signed in from.
    pub client: FamilyClient,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_cleaned_and_cut() {
        let client = FamilyClient::new().user_agent("curl/8\r\nX-Forged: 1");
        assert_eq!(client.user_agent.as_deref(), Some("curl/8X-Forged: 1"));
        let long = FamilyClient::new().user_agent(&"a".repeat(10_000));
        assert_eq!(long.user_agent.map(|u| u.len()), Some(512));
        assert_eq!(FamilyClient::new().user_agent("\n").user_agent, None);
    }
}
