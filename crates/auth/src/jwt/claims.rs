//! The claims rampart reads and writes, beside the application's own.

use super::numeric_date::NumericDate;
use rampart_core::{AuthMethod, Principal};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
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
/// The verifier guarantees `exp` is present, and `sub`, `iat` and `jti`
/// unless it was told to accept tokens without them (external providers),
/// so the accessors for them return plain values. Times are
/// [`NumericDate`]s: a provider may write fractional seconds.
/// Application claims are required or optional as `C`'s own fields say.
///
/// ```
/// use rampart::auth::Claims;
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
    /// Expiry (`exp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<NumericDate>,
    /// Not before (`nbf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<NumericDate>,
    /// Issued at (`iat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<NumericDate>,
    /// Token id (`jti`), the handle for revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Access or refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<TokenUse>,
    /// The tenant the subject acts in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The organisation (a unit inside the tenant) the subject acts in: what
    /// rampart-rbac's `own_org` scope compares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
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
    /// The subject (`sub`); empty if the token had none (only possible when
    /// the verifier was told to accept tokens without `sub`, or not used).
    pub fn subject(&self) -> &str {
        self.sub.as_deref().unwrap_or_default()
    }

    /// The token id (`jti`); empty if the token had none (only possible when
    /// the verifier was told to accept tokens without `jti`, or not used).
    pub fn token_id(&self) -> &str {
        self.jti.as_deref().unwrap_or_default()
    }

    /// Expiry in whole seconds since the epoch (0 only if the verifier was not used).
    pub fn expires_at(&self) -> u64 {
        self.exp.map(NumericDate::secs).unwrap_or_default()
    }

    /// The [`Principal`] this token authenticates: subject, tenant, org,
    /// roles, session id (the refresh family) and token id (`jti`).
    ///
    /// Application claims are not copied: the verifier copies the ones named
    /// in [`principal_claims`](crate::JwtVerifierBuilder::principal_claims)
    /// when it builds the principal itself
    /// ([`JwtVerifier::authenticate`](crate::JwtVerifier::authenticate), the layer).
    pub fn to_principal(&self) -> Principal {
        self.principal_from(
            self.tenant.clone(),
            self.org.clone(),
            self.roles.clone(),
            std::iter::empty(),
        )
    }

    /// The principal with the given tenant, org and roles (the verifier's
    /// claim mapping decides where they come from) and extra claims.
    pub(crate) fn principal_from(
        &self,
        tenant: Option<String>,
        org: Option<String>,
        roles: Vec<String>,
        claims: impl IntoIterator<Item = (String, Value)>,
    ) -> Principal {
        let mut p = Principal::new(self.subject(), AuthMethod::Jwt).with_roles(roles);
        if let Some(t) = tenant {
            p = p.with_tenant(t);
        }
        if let Some(o) = org {
            p = p.with_org(o);
        }
        if let Some(s) = &self.sid {
            p = p.with_session_id(s.clone());
        }
        // An empty id would be one id shared by every id-less token: a logout
        // revoking it would log out all of them.
        if let Some(j) = self.jti.as_deref().filter(|j| !j.is_empty()) {
            p = p.with_token_id(j);
        }
        for (name, value) in claims {
            p = p.with_claim(name, value);
        }
        p
    }
}

/// Reads the claims named in `names` from a JSON payload, skipping every
/// other member unparsed. A named claim given twice is ambiguous and refused.
pub(crate) fn pick_claims(
    payload: &[u8],
    names: &[String],
) -> Result<Map<String, Value>, serde_json::Error> {
    serde_json::Deserializer::from_slice(payload).deserialize_map(Pick(names))
}

struct Pick<'n>(&'n [String]);

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut picked = Map::new();
        while let Some(key) = map.next_key_seed(Name(self.0))? {
            match key {
                Some(name) if picked.contains_key(name) => {
                    return Err(de::Error::custom(format_args!("duplicate claim `{name}`")));
                }
                Some(name) => {
                    picked.insert(name.to_owned(), map.next_value()?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(picked)
    }
}

/// A member name, matched against the wanted names without allocating.
struct Name<'n>(&'n [String]);

impl<'de, 'n> DeserializeSeed<'de> for Name<'n> {
    type Value = Option<&'n str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'n> Visitor<'_> for Name<'n> {
    type Value = Option<&'n str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a claim name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|n| *n == v).map(String::as_str))
    }
}

/// A claim whose presence the verifier can be told to require, or, for the
/// ones rampart requires by default (`sub`, `iat`, `jti`), to waive.
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
    /// `sub`: required by default.
    Sub,
    /// `iat`: required by default.
    Iat,
    /// `jti`: required by default.
    Jti,
    /// `org`.
    Org,
}

impl RequiredClaim {
    /// The claims every token must carry unless the verifier waives them.
    pub(crate) const DEFAULT: [Self; 3] = [Self::Sub, Self::Iat, Self::Jti];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Iss => "iss",
            Self::Aud => "aud",
            Self::Nbf => "nbf",
            Self::Tenant => "tenant",
            Self::Sid => "sid",
            Self::TokenUse => "token_use",
            Self::Sub => "sub",
            Self::Iat => "iat",
            Self::Jti => "jti",
            Self::Org => "org",
        }
    }

    /// Whether the claim is there. Empty strings do not count: an empty
    /// `sub` or `jti` names nobody and nothing.
    pub(crate) fn present<C>(self, c: &Claims<C>) -> bool {
        fn text(v: Option<&String>) -> bool {
            v.is_some_and(|s| !s.is_empty())
        }
        match self {
            Self::Iss => c.iss.is_some(),
            Self::Aud => c.aud.is_some(),
            Self::Nbf => c.nbf.is_some(),
            Self::Tenant => c.tenant.is_some(),
            Self::Sid => c.sid.is_some(),
            Self::TokenUse => c.token_use.is_some(),
            Self::Sub => text(c.sub.as_ref()),
            Self::Iat => c.iat.is_some(),
            Self::Jti => text(c.jti.as_ref()),
            Self::Org => c.org.is_some(),
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

    #[test]
    fn errors_say_what_was_expected() {
        let aud = serde_json::from_str::<Audience>("3").unwrap_err();
        assert!(
            aud.to_string().contains("a string or an array of strings"),
            "{aud}"
        );
        let names = ["a".to_owned()];
        let pick = pick_claims(b"[1]", &names).unwrap_err();
        assert!(
            pick.to_string().contains("a JSON object of claims"),
            "{pick}"
        );
        let name = Name(&names).deserialize(serde_json::json!(3)).unwrap_err();
        assert!(name.to_string().contains("a claim name"), "{name}");
    }

    #[test]
    fn picking_keeps_the_named_claims_only_and_refuses_their_duplicates() {
        let names = ["a".to_owned(), "b".to_owned()];
        let picked = pick_claims(br#"{"a":1,"c":{"x":[1]},"b":[true],"a2":0}"#, &names).unwrap();
        assert_eq!(
            Value::Object(picked),
            serde_json::json!({"a": 1, "b": [true]})
        );
        assert!(pick_claims(br#"{"a":1,"a":2}"#, &names).is_err());
        assert!(
            pick_claims(br#"{"c":1,"c":2}"#, &names).is_ok(),
            "unnamed duplicates are not read"
        );
    }

    #[test]
    fn an_empty_jti_never_becomes_the_principals_token_id() {
        let c: Claims = serde_json::from_str(r#"{"sub":"bob","jti":""}"#).unwrap();
        assert_eq!(c.to_principal().token_id(), None);
    }
}
