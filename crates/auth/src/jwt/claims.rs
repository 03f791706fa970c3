//! The claims rampart reads and writes, beside the application's own.

use rampart_core::{AuthMethod, Principal};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Whether a token is an access token or a refresh token (the `token_use`
/// claim). Checked on every verification, so neither can stand in for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenUse {
    /// Presented to APIs on each request.
    Access,
    /// Presented only to the refresh endpoint, once.
    Refresh,
    /// Any other value: never accepted.
    #[serde(other)]
    Unknown,
}

impl TokenUse {
    /// The JOSE `typ` header written for this use: RFC 9068's `at+jwt` for
    /// access tokens and `rt+jwt` for refresh tokens.
    pub fn typ(self) -> &'static str {
        match self {
            Self::Refresh => "rt+jwt",
            _ => "at+jwt",
        }
    }
}

/// The `aud` claim: one audience or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "api"`
    One(String),
    /// `"aud": ["api", "billing"]`
    Many(Vec<String>),
}

impl Audience {
    /// Whether `name` is one of the audiences.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            Self::One(a) => a == name,
            Self::Many(all) => all.iter().any(|a| a == name),
        }
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(a) => serializer.serialize_str(a),
            Self::Many(all) => all.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A hand-written visitor rather than `#[serde(untagged)]`, which buffers
        // the value and costs measurable time on every verification.
        struct AudVisitor;
        impl<'de> Visitor<'de> for AudVisitor {
            type Value = Audience;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut all = Vec::new();
                while let Some(a) = seq.next_element::<String>()? {
                    all.push(a);
                }
                Ok(Audience::Many(all))
            }
        }
        deserializer.deserialize_any(AudVisitor)
    }
}

/// No application claims: the default for [`Claims`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoCustomClaims {}

/// A verified token's claims: the registered ones, rampart's own, and the
/// application's `C` (any `Deserialize` type, flattened beside them).
///
/// The verifier guarantees `sub`, `exp`, `iat` and `jti` are present (and
/// whatever else was required), so the accessors for them return plain values.
/// Application claims are required or optional as `C`'s own fields say.
///
/// ```
/// use rampart_auth::Claims;
/// use serde::Deserialize;
///
/// #[derive(Debug, Clone, Deserialize)]
/// struct Mine { email: String }
///
/// let claims: Claims<Mine> = serde_json::from_str(
///     r#"{"sub":"alice","exp":2000000000,"iat":1700000000,"jti":"t1","email":"a@example.com"}"#,
/// )?;
/// assert_eq!(claims.subject(), "alice");
/// assert_eq!(claims.custom.email, "a@example.com");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims<C = NoCustomClaims> {
    /// Issuer (`iss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Subject (`sub`): the user or client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audience (`aud`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Expiry (`exp`), seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// Not before (`nbf`), seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issued at (`iat`), seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Token id (`jti`), the handle for revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Access or refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<TokenUse>,
    /// The tenant the subject acts in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Roles granted at sign-in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Session id (`sid`): the refresh-token family this token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The application's own claims.
    #[serde(flatten)]
    pub custom: C,
}

impl<C> Claims<C> {
    /// The subject (`sub`), empty only if the verifier was not used.
    pub fn subject(&self) -> &str {
        self.sub.as_deref().unwrap_or_default()
    }

    /// The token id (`jti`), empty only if the verifier was not used.
    pub fn token_id(&self) -> &str {
        self.jti.as_deref().unwrap_or_default()
    }

    /// Expiry in seconds since the epoch (0 only if the verifier was not used).
    pub fn expires_at(&self) -> u64 {
        self.exp.unwrap_or_default()
    }

    /// The [`Principal`] this token authenticates: subject, tenant, roles,
    /// session id (the refresh family) and token id (`jti`).
    pub fn to_principal(&self) -> Principal {
        let mut p =
            Principal::new(self.subject(), AuthMethod::Jwt).with_roles(self.roles.iter().cloned());
        if let Some(t) = &self.tenant {
            p = p.with_tenant(t.clone());
        }
        if let Some(s) = &self.sid {
            p = p.with_session_id(s.clone());
        }
        if let Some(j) = &self.jti {
            p = p.with_token_id(j.clone());
        }
        p
    }
}

/// A claim the verifier can be told to require beyond `sub`, `exp`, `iat` and `jti`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequiredClaim {
    /// `iss` (always required when an issuer is configured).
    Iss,
    /// `aud` (always required when an audience is configured).
    Aud,
    /// `nbf`.
    Nbf,
    /// `tenant`.
    Tenant,
    /// `sid`.
    Sid,
    /// `token_use`.
    TokenUse,
}

impl RequiredClaim {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Iss => "iss",
            Self::Aud => "aud",
            Self::Nbf => "nbf",
            Self::Tenant => "tenant",
            Self::Sid => "sid",
            Self::TokenUse => "token_use",
        }
    }

    pub(crate) fn present<C>(self, c: &Claims<C>) -> bool {
        match self {
            Self::Iss => c.iss.is_some(),
            Self::Aud => c.aud.is_some(),
            Self::Nbf => c.nbf.is_some(),
            Self::Tenant => c.tenant.is_some(),
            Self::Sid => c.sid.is_some(),
            Self::TokenUse => c.token_use.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_one_or_many() {
        let one: Audience = serde_json::from_str(r#""api""#).unwrap();
        assert!(one.contains("api") && !one.contains("x"));
        let many: Audience = serde_json::from_str(r#"["a","api"]"#).unwrap();
        assert!(many.contains("api"));
        assert!(serde_json::from_str::<Audience>("3").is_err());
        assert_eq!(serde_json::to_string(&many).unwrap(), r#"["a","api"]"#);
    }

    #[test]
    fn unknown_token_use_is_kept_as_unknown() {
        let c: Claims = serde_json::from_str(r#"{"token_use":"id"}"#).unwrap();
        assert_eq!(c.token_use, Some(TokenUse::Unknown));
    }

    #[test]
    fn principal_from_claims() {
        let c: Claims = serde_json::from_str(
            r#"{"sub":"bob","tenant":"acme","roles":["admin"],"sid":"f1","jti":"j1"}"#,
        )
        .unwrap();
        let p = c.to_principal();
        assert_eq!(p.subject(), "bob");
        assert_eq!(p.tenant(), Some("acme"));
        assert!(p.has_role("admin"));
        assert_eq!(p.session_id(), Some("f1"));
        assert_eq!(p.token_id(), Some("j1"));
        assert_eq!(p.auth_method(), AuthMethod::Jwt);
    }
}
