//! A registered credential as the store keeps it, and the summary a user sees.

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::SecurityKey;

/// The longest name a user may give a credential, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// One registered credential of a user.
///
/// Holds only public material: the credential id, its public key and
/// algorithm, the signature counter and backup flags (inside
/// [`key`](Self::key)), plus what the user named it and when it was made
/// and last used. The private key never leaves the authenticator, so a
/// leaked store lets nobody sign in; it can be kept in an ordinary table.
/// Serialises to JSON for stores of the application's own.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredCredential {
    /// The credential id, base64url without padding (as WebAuthn clients
    /// send it): the key to look it up by.
    pub id: String,
    /// What the user called it ("office YubiKey").
    pub name: String,
    /// When it was registered, Unix seconds.
    pub created: u64,
    /// When it last signed a sign-in, Unix seconds.
    pub last_used: Option<u64>,
    /// The highest signature counter seen. An authenticator that keeps a
    /// counter must present a higher one each time; one that does not
    /// (many passkeys) always sends 0.
    pub counter: u32,
    /// The public key and flags, as webauthn-rs verifies with them.
    pub key: SecurityKey,
}

impl StoredCredential {
    /// What a user may see of it: everything but the key.
    pub fn info(&self) -> CredentialInfo {
        CredentialInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            created: self.created,
            last_used: self.last_used,
        }
    }
}

/// A credential as a "your security keys" page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialInfo {
    /// The credential id (base64url): what [`remove`](super::WebAuthnMfa::remove_credential) takes.
    pub id: String,
    /// What the user called it.
    pub name: String,
    /// When it was registered, Unix seconds.
    pub created: u64,
    /// When it last signed a sign-in, Unix seconds.
    pub last_used: Option<u64>,
}

/// Checks a name a user typed for a credential: 1 to [`MAX_NAME_CHARS`]
/// characters after trimming, no control characters (they would let a name
/// forge lines in logs or break a page's layout) and no bidirectional
/// overrides (they would make a name display as another).
pub(crate) fn check_name(name: &str) -> Result<String, super::WebAuthnError> {
    use super::WebAuthnError::InvalidName;
    let name = name.trim();
    if name.is_empty() {
        return Err(InvalidName("a name is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InvalidName("at most 64 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidName("no control characters"));
    }
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if name.chars().any(bidi) {
        return Err(InvalidName("no bidirectional text overrides"));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(check_name("  office key ").as_deref(), Ok("office key"));
        assert!(check_name("   ").is_err());
        assert!(check_name("line\nbreak").is_err());
        assert!(check_name("bell\u{7}").is_err());
        assert!(check_name("next\u{85}line").is_err());
        assert_eq!(check_name("\u{85}trimmed\u{85}").as_deref(), Ok("trimmed"));
        assert!(check_name("key\u{202e}yek").is_err());
        assert!(check_name("\u{2066}isolate").is_err());
        assert!(check_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(check_name(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
    }
}
