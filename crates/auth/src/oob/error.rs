//! Why sending or checking a one-time code failed. No variant carries a
//! code or a full address.

use super::DeliveryError;
use crate::StoreError;
use std::time::Duration;

/// Why sending or checking a one-time code failed.
///
/// [`WrongCode`](Self::WrongCode), [`Expired`](Self::Expired),
/// [`Exhausted`](Self::Exhausted) and [`NoCode`](Self::NoCode) are the
/// client's (answer `401` or `400`, without saying which: see
/// [`OobCodes::verify`](super::OobCodes::verify));
/// [`Throttled`](Self::Throttled) is `429` with `Retry-After`;
/// [`Unavailable`](Self::Unavailable) and [`Delivery`](Self::Delivery) are
/// `503`; the invalid-input variants are `400`/`422`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OobError {
    /// The code does not match the live one; `attempts_left` more may be tried.
    #[error("the code is not valid")]
    WrongCode {
        /// Wrong codes the live code still accepts before it is void.
        attempts_left: u32,
    },
    /// There is no live code for this subject and purpose: never sent,
    /// already used, or replaced by a newer one.
    #[error("there is no code to check; ask for a new one")]
    NoCode,
    /// The code's time ran out; ask for a new one.
    #[error("the code has expired; ask for a new one")]
    Expired,
    /// Too many wrong codes: the code is void; ask for a new one.
    #[error("too many wrong codes; ask for a new one")]
    Exhausted,
    /// Too many codes were sent for this subject and purpose recently.
    #[error("too many codes were sent; try again in {} s", retry_after.as_secs())]
    Throttled {
        /// How long until another may be sent.
        retry_after: Duration,
    },
    /// The sender could not hand the message over; the code was voided.
    #[error("the code could not be delivered: {0}")]
    Delivery(DeliveryError),
    /// The store could not answer; nothing was decided (fail closed).
    #[error("one-time code state is unavailable, try again shortly: {0}")]
    Unavailable(StoreError),
    /// A subject or purpose that cannot name a code.
    #[error("invalid {0}")]
    InvalidInput(&'static str),
    /// An address that cannot be sent to.
    #[error("invalid destination: {0}")]
    InvalidDestination(&'static str),
    /// A code alphabet or length that cannot be used.
    #[error("invalid code format: {0}")]
    InvalidFormat(&'static str),
    /// The cryptographic library failed.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

impl OobError {
    /// A short, stable, machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongCode { .. } => "invalid_code",
            Self::NoCode => "no_code",
            Self::Expired => "code_expired",
            Self::Exhausted => "code_exhausted",
            Self::Throttled { .. } => "throttled",
            Self::Delivery(_) => "delivery_failed",
            Self::Unavailable(_) => "store_unavailable",
            Self::InvalidInput(_) => "invalid_input",
            Self::InvalidDestination(_) => "invalid_destination",
            Self::InvalidFormat(_) => "invalid_format",
            Self::Crypto(_) => "crypto",
        }
    }
}
