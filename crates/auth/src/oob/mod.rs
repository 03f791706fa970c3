//! One-time codes sent out of band, by e-mail or text message.
//!
//! [`OobCodes::send`] draws a code, stores its keyed hash and hands the code
//! to the application's [`OobSender`]; [`OobCodes::verify`] checks what the
//! user typed. Live codes sit in an [`OobStore`]: [`MemoryOobStore`], or
//! `RedisOobStore` (feature `redis`) to share them between instances.
//!
//! # Security choices
//!
//! - **Codes** come from the system CSPRNG, 6 digits by default or any
//!   [`CodeFormat`] with at least a million possible codes, drawn without
//!   bias.
//! - **Stored as keyed hashes** (HMAC-SHA-256 under a key derived from the
//!   application's [`MfaKey`](crate::mfa::MfaKey), bound to the subject and
//!   purpose), as backup codes are: a copy of the store gives nothing to
//!   test guesses against. The comparison is of those hashes, in constant
//!   time in memory; in Redis a Lua string comparison, which tells nothing
//!   about the code to whoever lacks the key.
//! - **Short-lived**: 10 minutes by default, read from the
//!   [`Clock`](rampart_core::Clock) the service is given.
//! - **Attempt-limited**: the fifth wrong code (by default) voids the code.
//!   Input that cannot be a code counts as a wrong try.
//! - **Single use**: a right code is consumed in the same atomic step that
//!   checks it; of two concurrent checks, one wins.
//! - **One live code per subject and purpose**: sending a new one voids the
//!   old, so the user types the latest message's code.
//! - **Resend limit**: at most 5 codes per subject and purpose in 15
//!   minutes by default. It bounds guessing too: 5 codes of 5 tries each
//!   give a one-in-40 000 chance per window against 6 digits.
//! - **Delivery failures void the code**, and still count toward the limit.
//! - **Store outages fail closed** ([`OobError::Unavailable`], answer `503`)
//!   with a `StoreFailure` event.
//! - **Events** (sent, verified, wrong, exhausted, expired, throttled, not
//!   delivered) carry the subject, purpose and channel, the address only
//!   masked (`a***@example.com`, `***1234`), and never the code.
//!
//! # SMS is a restricted authenticator
//!
//! NIST SP 800-63B (§5.1.3.3 in revision 3, §3.1.3.3 in revision 4) calls
//! out-of-band codes sent over the phone network (SMS, voice) a
//! *restricted* authenticator: SIM swaps, number porting and SS7
//! interception let an attacker receive the code without the phone. What
//! that means for an application and its users:
//!
//! - offer users at least one unrestricted alternative (TOTP, a passkey
//!   with the `webauthn` feature) and encourage them toward it;
//! - tell users, before they choose SMS, that it is the weaker option and
//!   why;
//! - have a plan to move users off SMS should NIST or your assessor stop
//!   accepting it, and watch for signs of number takeover (a recent SIM
//!   change, when the carrier reports it);
//! - never let SMS alone recover an account that has a stronger factor.
//!
//! E-mail is not a phone-network channel, but NIST does not accept it as an
//! out-of-band authenticator at all (its inbox is usually opened with the
//! same password): use e-mail codes to prove an address, not as a second
//! factor.
//!
//! ```
//! use rampart::auth::oob::{Channel, Destination};
//!
//! let phone = Destination::sms("+447700900123").unwrap();
//! assert_eq!(phone.channel(), Channel::Sms);
//! assert_eq!(phone.masked(), "***0123");
//! ```

mod code;
mod delivery;
mod error;
mod service;
mod store;

pub use code::{CodeFormat, MAX_CODE_LEN, OobCode};
pub use delivery::{
    Channel, DeliveryError, DeliveryFuture, Destination, OobMessage, OobSender, SharedOobSender,
};
pub use error::OobError;
pub use service::{
    DEFAULT_CODE_TTL, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_SENDS, DEFAULT_RESEND_WINDOW, OobCodes,
    OobCodesBuilder, Sent,
};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use store::RedisOobStore;
pub use store::{Checked, CodeHash, Issued, MemoryOobStore, NewCode, OobStore, SharedOobStore};
