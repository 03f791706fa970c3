//! Where a code goes and who carries it: [`Destination`], and the
//! [`OobSender`] the application implements with its mail or SMS provider.

use super::{OobCode, OobError};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// How a code reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Channel {
    /// An e-mail message.
    Email,
    /// A text message over the phone network: a *restricted* authenticator
    /// under NIST SP 800-63B (see the [module docs](super)).
    Sms,
}

impl Channel {
    /// `email` or `sms`, for events and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

/// An address a code is sent to, checked for shape when made. `Debug` and
/// [`masked`](Self::masked) show only enough to recognise it
/// (`a***@example.com`, `***1234`): events never carry the full address.
#[derive(Clone, PartialEq, Eq)]
pub struct Destination {
    channel: Channel,
    address: String,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("channel", &self.channel)
            .field("address", &self.masked())
            .finish()
    }
}

/// The longest e-mail address SMTP carries (RFC 5321 §4.5.3.1.3, as errata'd).
const MAX_EMAIL_BYTES: usize = 254;

impl Destination {
    /// An e-mail address: one `@` with something either side, no spaces or
    /// control characters, at most 254 bytes. The provider does the rest.
    ///
    /// # Errors
    /// [`OobError::InvalidDestination`].
    pub fn email(address: &str) -> Result<Self, OobError> {
        let bad = OobError::InvalidDestination("not an e-mail address");
        if address.len() > MAX_EMAIL_BYTES
            || address.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad);
        }
        match address.split_once('@') {
            Some((local, domain)) if !local.is_empty() && domain.contains('.') => {
                if domain.contains('@') || domain.starts_with('.') || domain.ends_with('.') {
                    return Err(bad);
                }
            }
            _ => return Err(bad),
        }
        Ok(Self {
            channel: Channel::Email,
            address: address.to_owned(),
        })
    }

    /// A phone number in E.164 form: `+` and 8 to 15 digits (ITU-T E.164
    /// allows 15; the shortest national numbers with a country code have 8).
    ///
    /// # Errors
    /// [`OobError::InvalidDestination`].
    pub fn sms(number: &str) -> Result<Self, OobError> {
        let digits = number.strip_prefix('+').unwrap_or_default();
        if !(8..=15).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(OobError::InvalidDestination(
                "not a phone number in E.164 form (+ and 8 to 15 digits)",
            ));
        }
        Ok(Self {
            channel: Channel::Sms,
            address: number.to_owned(),
        })
    }

    /// The channel.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The full address, for the sender.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Enough of the address for a user to recognise it and for an event,
    /// no more: the first character of an e-mail's local part and its
    /// domain, the last four digits of a phone number.
    pub fn masked(&self) -> String {
        match self.channel {
            Channel::Email => match self.address.split_once('@') {
                Some((local, domain)) => {
                    let first: String = local.chars().take(1).collect();
                    format!("{first}***@{domain}")
                }
                None => "***".to_owned(),
            },
            Channel::Sms => {
                let tail = self.address.len().saturating_sub(4);
                format!("***{}", self.address.get(tail..).unwrap_or_default())
            }
        }
    }
}

/// What the sender is asked to deliver. `Debug` hides the code and masks the address.
#[derive(Debug)]
#[non_exhaustive]
pub struct OobMessage<'a> {
    /// Where to.
    pub destination: &'a Destination,
    /// The code to put in the message.
    pub code: &'a OobCode,
    /// What the code is for (`login`, `verify-email`, ...), to word the message.
    pub purpose: &'a str,
    /// How long the code works: say so in the message.
    pub expires_in: Duration,
}

/// Why a message could not be handed to its carrier. The text goes to logs
/// and events: keep codes and addresses out of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub String);

/// The future an [`OobSender`] returns.
pub type DeliveryFuture<'a> = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send + 'a>>;

/// Delivers codes: the application implements it over its mail or SMS
/// provider. Object-safe: use as `Arc<dyn OobSender>`.
///
/// ```
/// use rampart::auth::oob::{DeliveryError, DeliveryFuture, OobMessage, OobSender};
///
/// struct Outbox;
///
/// impl OobSender for Outbox {
///     fn send<'a>(&'a self, message: &'a OobMessage<'a>) -> DeliveryFuture<'a> {
///         Box::pin(async move {
///             // mailer.send(message.destination.address(), format!(
///             //     "Your code is {}; it expires in {} minutes.",
///             //     message.code.as_str(), message.expires_in.as_secs() / 60))
///             let _ = message;
///             Ok::<(), DeliveryError>(())
///         })
///     }
/// }
/// ```
pub trait OobSender: Send + Sync + 'static {
    /// Hands `message` to its carrier. An error makes the code void at once
    /// (the user asks again); it still counts toward the resend limit.
    fn send<'a>(&'a self, message: &'a OobMessage<'a>) -> DeliveryFuture<'a>;
}

/// A sender shared by services.
pub type SharedOobSender = Arc<dyn OobSender>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_masked() {
        let d = Destination::email("alice@example.com").unwrap();
        assert_eq!(d.channel(), Channel::Email);
        assert_eq!(d.masked(), "a***@example.com");
        assert!(!format!("{d:?}").contains("alice"));
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@localhost",
            "alice@.com",
            "alice@example.",
            "a@b@example.com",
            "alice @example.com",
            "alice@example.com\r\nBcc: x@y.z",
        ] {
            assert!(Destination::email(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Destination::email(&long).is_err());
    }

    #[test]
    fn phone_numbers_are_checked_and_masked() {
        let d = Destination::sms("+447700900123").unwrap();
        assert_eq!(d.channel(), Channel::Sms);
        assert_eq!(d.masked(), "***0123");
        assert!(!format!("{d:?}").contains("7700900"));
        for bad in [
            "",
            "447700900123",
            "+44 7700 900123",
            "+1234567",
            "+1234567890123456",
            "+0447700900123",
            "+44770090012x",
            "+４４7700900123",
        ] {
            assert!(Destination::sms(bad).is_err(), "{bad:?}");
        }
    }
}
