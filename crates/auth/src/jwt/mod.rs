//! JSON Web Tokens: algorithms, keys, claims, issuing and verifying.

pub(crate) mod algorithm;
pub(crate) mod claims;
pub(crate) mod header;
pub(crate) mod issue;
pub(crate) mod key_id;
pub(crate) mod key_set;
pub(crate) mod keys;
pub(crate) mod mapping;
pub(crate) mod numeric_date;
pub(crate) mod rotation;
pub(crate) mod verified_cache;
pub(crate) mod verify;
