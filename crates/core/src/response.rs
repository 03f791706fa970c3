//! Automated responses: how an alert acts on another crate without depending on it.
//!
//! The audit crate's threat rules decide that something must be done (block
//! an address, lock an account, revoke a subject's tokens); the crates that
//! own the state do it (rampart-ratelimit's block list, rampart-auth's
//! revocation store). Both sides speak only the [`ResponseAction`] and
//! [`SecurityResponder`] defined here, so neither depends on the other.
//!
//! # Async, boxed
//!
//! [`SecurityResponder::respond`] returns a boxed future. Some actions are a
//! memory write (a block-list entry), others a network round trip (a Redis
//! revocation); one signature serves both, stays object-safe, and matches the
//! crates' store traits. The caller decides where the future runs: the audit
//! rule engine drives it on its own thread (or on an executor it is given),
//! never on a request's path.
//!
//! # Auditable
//!
//! Every call ends in a [`ResponseOutcome`] or a [`ResponseError`], which the
//! caller records (the audit crate writes each as a `security.response.*`
//! event), so an automated action is as visible as a manual one.
//!
//! ```
//! use rampart::core::{ResponseAction, ResponseOutcome, SecurityResponder};
//! use std::time::Duration;
//!
//! // A closure is a responder: here one that only takes block actions.
//! let responder = |action: ResponseAction| async move {
//!     match action {
//!         ResponseAction::BlockClient { ip, duration } => Ok(ResponseOutcome::Applied {
//!             detail: format!("{ip} blocked for {}s", duration.as_secs()),
//!         }),
//!         _ => Ok(ResponseOutcome::Unsupported),
//!     }
//! };
//! let action = ResponseAction::BlockClient {
//!     ip: "203.0.113.9".parse().unwrap(),
//!     duration: Duration::from_secs(3600),
//! };
//! assert_eq!(action.kind(), "block_client");
//! # let outcome = block_on(responder.respond(action));
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     let mut f = std::pin::pin!(f);
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! # assert!(matches!(outcome, Ok(ResponseOutcome::Applied { .. })));
//! ```

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Something to do about an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseAction {
    /// Refuse the client address for `duration`.
    BlockClient {
        /// The address (a responder may widen it to the network it groups
        /// addresses by, e.g. an IPv6 `/64`).
        ip: IpAddr,
        /// How long.
        duration: Duration,
    },
    /// Refuse the account for `duration`: its tokens, and any issued until
    /// the lock ends.
    LockAccount {
        /// The subject (a JWT's `sub`).
        subject: String,
        /// How long.
        duration: Duration,
    },
    /// Revoke every token the subject holds now ("log out everywhere").
    RevokeTokens {
        /// The subject (a JWT's `sub`).
        subject: String,
    },
}

impl ResponseAction {
    /// A stable name for the action (`block_client`, `lock_account`,
    /// `revoke_tokens`): the last segment of its audit event type.
    pub fn kind(&self) -> &'static str {
        match self {
            ResponseAction::BlockClient { .. } => "block_client",
            ResponseAction::LockAccount { .. } => "lock_account",
            ResponseAction::RevokeTokens { .. } => "revoke_tokens",
        }
    }
}

/// What a responder did with an action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseOutcome {
    /// The action took effect.
    Applied {
        /// What was done, for the audit trail (never a secret).
        detail: String,
    },
    /// The responder takes this kind of action but chose not to (the address
    /// is allow-listed, a longer block is already in place).
    Declined {
        /// Why, for the audit trail.
        reason: String,
    },
    /// The responder does not take this kind of action; another may.
    Unsupported,
}

/// Why a responder could not act (its store is down, the input is unusable).
/// The message says what failed and never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("response failed: {0}")]
pub struct ResponseError(pub String);

/// The future a responder returns: boxed so the trait stays object-safe.
pub type ResponseFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ResponseOutcome, ResponseError>> + Send + 'a>>;

/// Carries out [`ResponseAction`]s.
///
/// Implemented by the crates that own the state an action changes, and by
/// any closure `Fn(ResponseAction) -> impl Future<Output = Result<ResponseOutcome, ResponseError>>`.
/// A responder answers [`ResponseOutcome::Unsupported`] for actions it does
/// not take, so one list of responders can serve every action.
pub trait SecurityResponder: Send + Sync + 'static {
    /// Carries out `action`.
    fn respond(&self, action: ResponseAction) -> ResponseFuture<'_>;

    /// A name for the audit trail (which responder acted). Default: the type name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

/// A responder shared between the components that trigger actions.
pub type SharedResponder = Arc<dyn SecurityResponder>;

impl<F, Fut> SecurityResponder for F
where
    F: Fn(ResponseAction) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ResponseOutcome, ResponseError>> + Send + 'static,
{
    fn respond(&self, action: ResponseAction) -> ResponseFuture<'_> {
        Box::pin(self(action))
    }

    fn name(&self) -> &str {
        "closure"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn kinds_are_stable_names() {
        let d = Duration::from_secs(1);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            ResponseAction::BlockClient { ip, duration: d }.kind(),
            "block_client"
        );
        assert_eq!(
            ResponseAction::LockAccount {
                subject: "a".into(),
                duration: d
            }
            .kind(),
            "lock_account"
        );
        assert_eq!(
            ResponseAction::RevokeTokens {
                subject: "a".into()
            }
            .kind(),
            "revoke_tokens"
        );
    }

    #[test]
    fn a_closure_is_a_shared_responder_and_errors_come_through() {
        let r: SharedResponder = Arc::new(|action: ResponseAction| async move {
            match action {
                ResponseAction::RevokeTokens { subject } if subject.is_empty() => {
                    Err(ResponseError("no subject".into()))
                }
                _ => Ok(ResponseOutcome::Unsupported),
            }
        });
        let err = block_on(r.respond(ResponseAction::RevokeTokens {
            subject: String::new(),
        }));
        assert_eq!(err, Err(ResponseError("no subject".into())));
        assert_eq!(err.unwrap_err().to_string(), "response failed: no subject");
        let ok = block_on(r.respond(ResponseAction::RevokeTokens {
            subject: "bob".into(),
        }));
        assert_eq!(ok, Ok(ResponseOutcome::Unsupported));
        assert_eq!(r.name(), "closure");
    }
}
