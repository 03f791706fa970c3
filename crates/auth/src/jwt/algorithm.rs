//! The signature algorithms rampart issues and verifies.

use serde::{Deserialize, Serialize};

/// A JWS algorithm. There is deliberately no `none`: an unsigned token cannot
/// be expressed, configured or accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256 (shared secret).
    HS256,
    /// HMAC with SHA-384 (shared secret).
    HS384,
    /// HMAC with SHA-512 (shared secret).
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (and MGF1 with SHA-256).
    PS256,
    /// RSASSA-PSS with SHA-384 (and MGF1 with SHA-384).
    PS384,
    /// RSASSA-PSS with SHA-512 (and MGF1 with SHA-512).
    PS512,
    /// ECDSA on P-256 with SHA-256: the default, small and fast signatures.
    #[default]
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 12] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The `alg` header value, exactly as RFC 7518 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Parses an `alg` header value. Matching is exact (case-sensitive), as
    /// RFC 7515 requires: `hs256` is not `HS256`.
    pub fn from_header(alg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == alg)
    }

    /// Whether the algorithm uses a shared secret rather than a key pair.
    pub fn is_symmetric(self) -> bool {
        self.family() == Family::Hmac
    }

    pub(crate) fn family(self) -> Family {
        match self {
            Self::HS256 | Self::HS384 | Self::HS512 => Family::Hmac,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                Family::Rsa
            }
            Self::ES256 | Self::ES384 => Family::Ec,
            Self::EdDSA => Family::Ed,
        }
    }

    /// Minimum HMAC secret length: the hash's output size (RFC 7518 §3.2).
    pub(crate) fn min_secret_len(self) -> usize {
        match self {
            Self::HS384 => 48,
            Self::HS512 => 64,
            _ => 32,
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as J;
        match self {
            Self::HS256 => J::HS256,
            Self::HS384 => J::HS384,
            Self::HS512 => J::HS512,
            Self::RS256 => J::RS256,
            Self::RS384 => J::RS384,
            Self::RS512 => J::RS512,
            Self::PS256 => J::PS256,
            Self::PS384 => J::PS384,
            Self::PS512 => J::PS512,
            Self::ES256 => J::ES256,
            Self::ES384 => J::ES384,
            Self::EdDSA => J::EdDSA,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_round_trip_and_none_is_not_one() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_header(alg.as_str()), Some(alg));
        }
        for none in ["none", "None", "NONE", "nOnE", "", "hs256"] {
            assert_eq!(Algorithm::from_header(none), None);
        }
    }

    #[test]
    fn each_algorithm_maps_to_the_jsonwebtoken_one_of_the_same_name() {
        use std::str::FromStr;
        for alg in Algorithm::ALL {
            assert_eq!(
                jsonwebtoken::Algorithm::from_str(alg.as_str()).unwrap(),
                alg.to_jsonwebtoken(),
                "{alg}"
            );
        }
        for (alg, family) in [
            (Algorithm::PS384, Family::Rsa),
            (Algorithm::PS512, Family::Rsa),
            (Algorithm::HS384, Family::Hmac),
            (Algorithm::ES384, Family::Ec),
            (Algorithm::EdDSA, Family::Ed),
        ] {
            assert_eq!(alg.family(), family, "{alg}");
        }
    }
}
