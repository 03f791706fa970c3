//! A revocation store as a [`SecurityResponder`]: alerts revoke tokens and lock accounts.

use super::SharedRevocationStore;
use crate::error::ConfigError;
use rampart_core::{
    ResponseAction, ResponseError, ResponseFuture, ResponseOutcome, SecurityResponder, SharedClock,
    SystemClock,
};
use std::time::Duration;

/// Carries out [`ResponseAction::RevokeTokens`] and
/// [`ResponseAction::LockAccount`] through a [`RevocationStore`](super::RevocationStore).
///
/// - Revoking cuts off every token the subject was issued up to now (the
///   store's "log out everywhere").
/// - Locking for a duration cuts off every token issued up to the end of the
///   lock, so tokens issued *during* the lock (a refresh, a new sign-in) are
///   refused too, even after it ends; the subject signs in again afterwards.
///   Refreshes fail as well, since a refresh checks revocation first.
///
/// Entries are kept for `max_token_lifetime` past their cut-off: the
/// longest any token the store vouches for can live (the refresh family's
/// lifetime when refresh tokens are in use). Other actions are
/// [`ResponseOutcome::Unsupported`]. A store failure is a [`ResponseError`],
/// which the audit trail records as a failed response.
///
/// The subject is the alert's, as the events carried it: it must be the
/// tokens' `sub` for the revocation to match.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart::auth::revocation::RevocationResponder;
/// use rampart::auth::MemoryStore;
/// use rampart::core::{ResponseAction, SecurityResponder};
/// use std::{sync::Arc, time::Duration};
///
/// let store = Arc::new(MemoryStore::default());
/// let responder = RevocationResponder::new(store.clone(), Duration::from_secs(30 * 86_400))?;
/// responder
///     .respond(ResponseAction::RevokeTokens { subject: "mallory".into() })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RevocationResponder {
    store: SharedRevocationStore,
    clock: SharedClock,
    lifetime: u64,
}

impl std::fmt::Debug for RevocationResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationResponder")
            .field("max_token_lifetime_secs", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl RevocationResponder {
    /// A responder writing to `store`, whose tokens live at most
    /// `max_token_lifetime`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when `max_token_lifetime` is under a second:
    /// the revocation would be forgotten at once.
    pub fn new(
        store: SharedRevocationStore,
        max_token_lifetime: Duration,
    ) -> Result<Self, ConfigError> {
        if max_token_lifetime.as_secs() == 0 {
            return Err(ConfigError::Invalid {
                name: "max_token_lifetime",
                reason: "must be at least one second: the longest a token (refresh tokens included) lives".into(),
            });
        }
        Ok(Self {
            store,
            clock: SystemClock::shared(),
            lifetime: max_token_lifetime.as_secs(),
        })
    }

    /// Reads "now" from `clock` (default: the system clock; use the store's).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    async fn act(&self, action: ResponseAction) -> Result<ResponseOutcome, ResponseError> {
        let now = self.clock.unix_secs();
        let (subject, before, detail) = match action {
            ResponseAction::RevokeTokens { subject } => {
                (subject, now, "every token issued so far revoked".to_owned())
            }
            ResponseAction::LockAccount { subject, duration } => {
                let end = now.saturating_add(duration.as_secs().max(1));
                let detail = format!(
                    "locked for {} s: every token issued until the lock ends is refused",
                    end - now
                );
                (subject, end, detail)
            }
            _ => return Ok(ResponseOutcome::Unsupported),
        };
        if subject.trim().is_empty() {
            return Err(ResponseError("no subject to act on".into()));
        }
        self.store
            .revoke_subject(&subject, before, before.saturating_add(self.lifetime))
            .await
            .map_err(|e| ResponseError(e.to_string()))?;
        Ok(ResponseOutcome::Applied { detail })
    }
}

impl SecurityResponder for RevocationResponder {
    fn respond(&self, action: ResponseAction) -> ResponseFuture<'_> {
        Box::pin(self.act(action))
    }

    fn name(&self) -> &str {
        "rampart::auth::RevocationResponder"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StoreError;
    use crate::revocation::{MemoryStore, RevocationStore, Revoked, StoreFuture, TokenRef};
    use rampart_core::ManualClock;
    use std::sync::Arc;

    const NOW: u64 = 1_700_000_000;

    fn token(issued_at: u64) -> TokenRef<'static> {
        TokenRef {
            subject: "mallory",
            jti: Some("j1"),
            family: None,
            issued_at,
        }
    }

    fn setup() -> (ManualClock, Arc<MemoryStore>, RevocationResponder) {
        let clock = ManualClock::at_unix(NOW);
        let store = Arc::new(MemoryStore::new(clock.shared()));
        let responder = RevocationResponder::new(store.clone(), Duration::from_secs(3600))
            .unwrap()
            .clock(clock.shared());
        (clock, store, responder)
    }

    #[tokio::test]
    async fn revoking_cuts_off_tokens_issued_so_far_only() {
        let (_, store, r) = setup();
        let outcome = r
            .respond(ResponseAction::RevokeTokens {
                subject: "mallory".into(),
            })
            .await;
        assert!(matches!(outcome, Ok(ResponseOutcome::Applied { .. })));
        assert_eq!(
            store.check(token(NOW), NOW).await.unwrap(),
            Some(Revoked::Subject)
        );
        assert_eq!(store.check(token(NOW + 1), NOW + 1).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_lock_refuses_tokens_issued_until_it_ends() {
        let (clock, store, r) = setup();
        r.respond(ResponseAction::LockAccount {
            subject: "mallory".into(),
            duration: Duration::from_secs(1800),
        })
        .await
        .unwrap();
        clock.advance(Duration::from_secs(600));
        // A token minted during the lock is refused, before and after it ends.
        let during = token(NOW + 600);
        assert_eq!(
            store.check(during, NOW + 600).await.unwrap(),
            Some(Revoked::Subject)
        );
        assert_eq!(
            store.check(during, NOW + 2000).await.unwrap(),
            Some(Revoked::Subject)
        );
        assert_eq!(
            store.check(token(NOW + 1801), NOW + 1801).await.unwrap(),
            None,
            "a sign-in after the lock works"
        );
    }

    struct Down;
    impl RevocationStore for Down {
        fn revoke_token<'a>(&'a self, _: &'a str, _: &'a str, _: u64) -> StoreFuture<'a, ()> {
            Box::pin(std::future::ready(Err(StoreError(
                "redis: connection refused".into(),
            ))))
        }
        fn revoke_family<'a>(&'a self, _: &'a str, _: &'a str, _: u64) -> StoreFuture<'a, ()> {
            Box::pin(std::future::ready(Err(StoreError(
                "redis: connection refused".into(),
            ))))
        }
        fn revoke_subject<'a>(&'a self, _: &'a str, _: u64, _: u64) -> StoreFuture<'a, ()> {
            Box::pin(std::future::ready(Err(StoreError(
                "redis: connection refused".into(),
            ))))
        }
        fn check<'a>(&'a self, _: TokenRef<'a>, _: u64) -> StoreFuture<'a, Option<Revoked>> {
            Box::pin(std::future::ready(Err(StoreError(
                "redis: connection refused".into(),
            ))))
        }
    }

    #[tokio::test]
    async fn a_store_failure_and_bad_input_are_errors_and_other_actions_unsupported() {
        let r = RevocationResponder::new(Arc::new(Down), Duration::from_secs(60)).unwrap();
        let err = r
            .respond(ResponseAction::RevokeTokens {
                subject: "mallory".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.0, "store failure: redis: connection refused");
        let (_, _, r) = setup();
        assert!(
            r.respond(ResponseAction::RevokeTokens {
                subject: " ".into()
            })
            .await
            .is_err()
        );
        let block = ResponseAction::BlockClient {
            ip: "192.0.2.1".parse().unwrap(),
            duration: Duration::from_secs(60),
        };
        assert_eq!(r.respond(block).await, Ok(ResponseOutcome::Unsupported));
        assert!(RevocationResponder::new(Arc::new(Down), Duration::from_millis(500)).is_err());
    }
}
