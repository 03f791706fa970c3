//! Hashes brought by users migrating from other stacks: verified, never made.
//!
//! A successful check against any of these reports
//! [`Verification::NeedsRehash`](super::Verification::NeedsRehash), so the
//! application stores an argon2id hash in its place and the legacy hash is
//! gone after each user's next login.
//!
//! | scheme | accepted formats | notes |
//! |---|---|---|
//! | bcrypt | `$2a$`, `$2b$`, `$2y$` (60 characters, cost 4–31) | `$2x$` (the buggy pre-2011 variant) is refused. bcrypt reads only the first **72 bytes** of a password: a longer password is refused with [`PasswordError::TooLongForBcrypt`] rather than truncated, since a truncated check accepts any password sharing the first 72 bytes |
//! | PBKDF2-SHA256 | PHC `$pbkdf2-sha256$i=<iterations>[,l=<len>]$<salt>$<hash>` (standard base64, unpadded); passlib `$pbkdf2-sha256$<iterations>$<salt>$<hash>` (passlib's `./` base64); Django `pbkdf2_sha256$<iterations>$<salt>$<hash>` (the salt is text, the hash padded base64) | 1 to 10,000,000 iterations, 16 to 64 byte hash |
//! | scrypt | PHC `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` (as RustCrypto `scrypt` and passlib write it) | at most 256 MiB of memory (`128·r·N`) and `p` ≤ 16 |
//!
//! The limits refuse a stored hash whose cost would let one login tie up a
//! core or gigabytes: such a hash was not made by a sane system, and
//! [`PasswordError::InvalidHash`] says so. Comparisons are constant-time.

use super::PasswordError;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use std::num::NonZeroU32;
use subtle::ConstantTimeEq;

/// The most bytes of a password bcrypt reads.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
const MAX_SCRYPT_P: u32 = 16;

/// A legacy hashing scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LegacyScheme {
    /// bcrypt (`$2a$`, `$2b$`, `$2y$`).
    Bcrypt,
    /// PBKDF2 with HMAC-SHA256 (PHC, passlib or Django format).
    Pbkdf2Sha256,
    /// scrypt (PHC format).
    Scrypt,
}

/// Which legacy scheme `stored` is in: `Ok(None)` for an argon2 PHC string,
/// `Ok(Some(scheme))` for a legacy hash [`PasswordVerifier`](super::PasswordVerifier)
/// verifies, so that an application can check the hashes it imports.
///
/// # Errors
/// [`PasswordError::InvalidHash`] when `stored` is in no supported format or
/// its cost is out of bounds.
pub fn hash_scheme(stored: &str) -> Result<Option<LegacyScheme>, PasswordError> {
    match LegacyHash::parse(stored) {
        Some(parsed) => parsed.map(|h| Some(h.scheme())),
        None => super::HashParams::from_phc(stored).map(|_| None),
    }
}

/// A parsed legacy hash, ready to verify.
#[derive(Clone)]
pub(crate) enum LegacyHash {
    Bcrypt(String),
    Pbkdf2 {
        iterations: NonZeroU32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Scrypt {
        params: scrypt::Params,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
}

impl std::fmt::Debug for LegacyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LegacyHash").field(&self.scheme()).finish()
    }
}

impl LegacyHash {
    /// `None` when `stored` is in none of the legacy formats (it may be
    /// argon2); `Some(Err)` when it claims one but is malformed or too costly.
    pub(crate) fn parse(stored: &str) -> Option<Result<Self, PasswordError>> {
        if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|p| stored.starts_with(p))
        {
            return Some(parse_bcrypt(stored));
        }
        if let Some(rest) = stored.strip_prefix("$pbkdf2-sha256$") {
            return Some(parse_pbkdf2_dollar(rest));
        }
        if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
            return Some(parse_django(rest));
        }
        if let Some(rest) = stored.strip_prefix("$scrypt$") {
            return Some(parse_scrypt(rest));
        }
        None
    }

    pub(crate) fn scheme(&self) -> LegacyScheme {
        match self {
            Self::Bcrypt(_) => LegacyScheme::Bcrypt,
            Self::Pbkdf2 { .. } => LegacyScheme::Pbkdf2Sha256,
            Self::Scrypt { .. } => LegacyScheme::Scrypt,
        }
    }

    /// Checks `password`; blocks for as long as the scheme's cost.
    pub(crate) fn verify(&self, password: &[u8]) -> Result<bool, PasswordError> {
        match self {
            Self::Bcrypt(hash) => {
                if password.len() > BCRYPT_MAX_PASSWORD_BYTES {
                    return Err(PasswordError::TooLongForBcrypt {
                        len: password.len(),
                    });
                }
                bcrypt::verify(password, hash).map_err(|_| PasswordError::InvalidHash)
            }
            Self::Pbkdf2 {
                iterations,
                salt,
                hash,
            } => Ok(aws_lc_rs::pbkdf2::verify(
                aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
                *iterations,
                salt,
                password,
                hash,
            )
            .is_ok()),
            Self::Scrypt { params, salt, hash } => {
                let mut out = zeroize::Zeroizing::new(vec![0u8; hash.len()]);
                scrypt::scrypt(password, salt, params, &mut out)
                    .map_err(|_| PasswordError::InvalidHash)?;
                Ok(out.ct_eq(hash).into())
            }
        }
    }
}

fn invalid<T>() -> Result<T, PasswordError> {
    Err(PasswordError::InvalidHash)
}

fn parse_bcrypt(stored: &str) -> Result<LegacyHash, PasswordError> {
    match stored.parse::<bcrypt::HashParts>() {
        Ok(parts) if (4..=31).contains(&parts.get_cost()) => {
            Ok(LegacyHash::Bcrypt(stored.to_owned()))
        }
        _ => invalid(),
    }
}

fn iterations(text: &str) -> Result<NonZeroU32, PasswordError> {
    // Digits only: `u32::from_str` would also take a leading `+`.
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return invalid();
    }
    match text.parse::<u32>().ok().and_then(NonZeroU32::new) {
        Some(n) if n.get() <= MAX_PBKDF2_ITERATIONS => Ok(n),
        _ => invalid(),
    }
}

fn pbkdf2(
    iterations: NonZeroU32,
    salt: Vec<u8>,
    hash: Vec<u8>,
) -> Result<LegacyHash, PasswordError> {
    if !(16..=64).contains(&hash.len()) {
        return invalid();
    }
    Ok(LegacyHash::Pbkdf2 {
        iterations,
        salt,
        hash,
    })
}

/// passlib's "adapted base64": `.` for `+`, unpadded.
fn ab64(text: &str) -> Result<Vec<u8>, PasswordError> {
    if text.contains('+') {
        return invalid();
    }
    STANDARD_NO_PAD
        .decode(text.replace('.', "+"))
        .or_else(|_| invalid())
}

fn b64(text: &str) -> Result<Vec<u8>, PasswordError> {
    STANDARD_NO_PAD.decode(text).or_else(|_| invalid())
}

/// After `$pbkdf2-sha256$`: PHC (`i=..,l=..`) or passlib (bare iterations).
fn parse_pbkdf2_dollar(rest: &str) -> Result<LegacyHash, PasswordError> {
    let [params, salt, hash] = split3(rest)?;
    if params.bytes().all(|b| b.is_ascii_digit()) {
        return pbkdf2(iterations(params)?, ab64(salt)?, ab64(hash)?);
    }
    let mut rounds = None;
    let mut len = None;
    for pair in params.split(',') {
        match pair.split_once('=') {
            Some(("i", v)) if rounds.is_none() => rounds = Some(iterations(v)?),
            Some(("l", v)) if len.is_none() => {
                len = Some(v.parse::<usize>().or_else(|_| invalid())?);
            }
            _ => return invalid(),
        }
    }
    let hash = b64(hash)?;
    if len.is_some_and(|l| l != hash.len()) {
        return invalid();
    }
    pbkdf2(rounds.ok_or(PasswordError::InvalidHash)?, b64(salt)?, hash)
}

/// After `pbkdf2_sha256$`: Django's `<iterations>$<salt text>$<padded base64>`.
fn parse_django(rest: &str) -> Result<LegacyHash, PasswordError> {
    let [rounds, salt, hash] = split3(rest)?;
    let hash = STANDARD.decode(hash).or_else(|_| invalid())?;
    pbkdf2(iterations(rounds)?, salt.as_bytes().to_vec(), hash)
}

/// After `$scrypt$`: `ln=..,r=..,p=..$<salt>$<hash>`.
fn parse_scrypt(rest: &str) -> Result<LegacyHash, PasswordError> {
    let [params, salt, hash] = split3(rest)?;
    let (mut ln, mut r, mut p) = (None, None, None);
    for pair in params.split(',') {
        let (key, value) = pair.split_once('=').ok_or(PasswordError::InvalidHash)?;
        let slot = match key {
            "ln" => &mut ln,
            "r" => &mut r,
            "p" => &mut p,
            _ => return invalid(),
        };
        if slot.is_some() || value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return invalid();
        }
        *slot = Some(value.parse::<u32>().or_else(|_| invalid())?);
    }
    let (Some(ln), Some(r), Some(p)) = (ln, r, p) else {
        return invalid();
    };
    let ln = u8::try_from(ln).or_else(|_| invalid())?;
    if ln == 0 || ln >= 40 || r == 0 || p == 0 || p > MAX_SCRYPT_P {
        return invalid();
    }
    let memory = 128u64
        .checked_mul(u64::from(r))
        .and_then(|m| m.checked_mul(1u64 << ln));
    if memory.is_none_or(|m| m > MAX_SCRYPT_MEMORY) {
        return invalid();
    }
    let params = scrypt::Params::new(ln, r, p).or_else(|_| invalid())?;
    let (salt, hash) = (b64(salt)?, b64(hash)?);
    if !(16..=64).contains(&hash.len()) {
        return invalid();
    }
    Ok(LegacyHash::Scrypt { params, salt, hash })
}

fn split3(rest: &str) -> Result<[&str; 3], PasswordError> {
    let mut parts = rest.split('$');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(c), None) if !a.is_empty() && !c.is_empty() => Ok([a, b, c]),
        _ => invalid(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn malformed_and_costly_hashes_are_invalid_not_panics() {
        for bad in [
            "$2b$12$short",
            "$2b$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe\u{e9}",
            "$pbkdf2-sha256$i=0$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=99999999$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=1,i=2$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=1,l=17$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=1$c2FsdA$AAAA",
            "$pbkdf2-sha256$+5$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA$extra",
            "pbkdf2_sha256$1000$salt$not base64",
            "$scrypt$ln=20,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=4,r=1,p=99$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=4,r=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=4,r=1,p=1,x=2$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=300,r=1,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=4,r=4294967295,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(
                matches!(
                    LegacyHash::parse(bad),
                    Some(Err(PasswordError::InvalidHash))
                ),
                "{bad}"
            );
        }
        assert!(LegacyHash::parse("$argon2id$v=19$m=64,t=1,p=1$x$y").is_none());
        assert!(
            LegacyHash::parse("$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
                .is_none()
        );
    }
}
