//! Who is calling.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

/// How a [`Principal`] proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// A bearer JWT access token.
    Jwt,
    /// A server-side session cookie.
    Session,
    /// An API key.
    ApiKey,
    /// A mutual-TLS client certificate.
    Mtls,
    /// Anything the application defines itself.
    Other,
}

/// The authenticated caller of a request.
///
/// Authentication layers insert it into the request's `http::Extensions`;
/// authorization, rate limiting and audit read it from there. That is the only
/// coupling between those crates: none of them needs to know *how* the caller
/// authenticated, only who it is.
///
/// ```
/// use rampart::core::{AuthMethod, Principal};
///
/// let alice = Principal::new("alice", AuthMethod::Jwt)
///     .with_tenant("acme")
///     .with_roles(["editor"]);
/// assert!(alice.has_role("editor"));
/// assert_eq!(alice.tenant(), Some("acme"));
/// ```
#[derive(Clone, PartialEq)]
pub struct Principal {
    // Shared: every layer that reads the caller (audit, rate limiting,
    // authorization) and the verified-token cache keep a copy, and a copy
    // is then a reference count, not an allocation per field.
    inner: Arc<Fields>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Fields {
    subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_id: Option<String>,
    auth_method: AuthMethod,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    claims: Map<String, Value>,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &*self.inner;
        f.debug_struct("Principal")
            .field("subject", &p.subject)
            .field("tenant", &p.tenant)
            .field("org", &p.org)
            .field("roles", &p.roles)
            .field("session_id", &p.session_id)
            .field("token_id", &p.token_id)
            .field("auth_method", &p.auth_method)
            .field("claims", &p.claims)
            .finish()
    }
}

impl Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.inner.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Fields::deserialize(deserializer).map(|f| Self { inner: Arc::new(f) })
    }
}

impl Principal {
    /// A principal for `subject`, authenticated by `method`, with no tenant and no roles.
    pub fn new(subject: impl Into<String>, method: AuthMethod) -> Self {
        Self {
            inner: Arc::new(Fields {
                subject: subject.into(),
                tenant: None,
                org: None,
                roles: Vec::new(),
                session_id: None,
                token_id: None,
                auth_method: method,
                claims: Map::new(),
            }),
        }
    }

    /// The fields, to change: copied first only when another copy shares them.
    fn fields(&mut self) -> &mut Fields {
        Arc::make_mut(&mut self.inner)
    }

    /// Sets the tenant the principal acts in.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.fields().tenant = Some(tenant.into());
        self
    }

    /// Sets the organisation (a unit inside a tenant) the principal acts in.
    #[must_use]
    pub fn with_org(mut self, org: impl Into<String>) -> Self {
        self.fields().org = Some(org.into());
        self
    }

    /// Replaces the principal's roles.
    #[must_use]
    pub fn with_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields().roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the session (or refresh-token family) the principal's credential belongs to.
    #[must_use]
    pub fn with_session_id(mut self, session_id: impl Into<String>) -> Self {
        self.fields().session_id = Some(session_id.into());
        self
    }

    /// Sets the id of the credential itself (a JWT's `jti`).
    #[must_use]
    pub fn with_token_id(mut self, token_id: impl Into<String>) -> Self {
        self.fields().token_id = Some(token_id.into());
        self
    }

    /// Adds an application claim, such as `email` or `assigned_companies`.
    #[must_use]
    pub fn with_claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields().claims.insert(name.into(), value.into());
        self
    }

    /// The stable identifier of the caller (a JWT's `sub`).
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The tenant the caller acts in, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.inner.tenant.as_deref()
    }

    /// The organisation the caller acts in, if any.
    pub fn org(&self) -> Option<&str> {
        self.inner.org.as_deref()
    }

    /// The roles the credential carries.
    pub fn roles(&self) -> &[String] {
        &self.inner.roles
    }

    /// Whether the credential carries `role` (exact match).
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.roles.iter().any(|r| r == role)
    }

    /// The session or refresh-token family id, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.inner.session_id.as_deref()
    }

    /// The credential's own id (a JWT's `jti`), if any.
    pub fn token_id(&self) -> Option<&str> {
        self.inner.token_id.as_deref()
    }

    /// How the caller authenticated.
    pub fn auth_method(&self) -> AuthMethod {
        self.inner.auth_method
    }

    /// Application claims beside the ones above.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.inner.claims
    }

    /// One application claim.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.inner.claims.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sets_every_field() {
        let p = Principal::new("bob", AuthMethod::Session)
            .with_tenant("acme")
            .with_org("sales")
            .with_roles(["viewer", "editor"])
            .with_session_id("fam-1")
            .with_token_id("jti-1")
            .with_claim("email", "bob@example.com");
        assert_eq!(p.subject(), "bob");
        assert_eq!(p.tenant(), Some("acme"));
        assert_eq!(p.org(), Some("sales"));
        assert!(p.has_role("editor"));
        assert!(!p.has_role("admin"));
        assert_eq!(p.session_id(), Some("fam-1"));
        assert_eq!(p.token_id(), Some("jti-1"));
        assert_eq!(p.auth_method(), AuthMethod::Session);
        assert_eq!(p.claim("email"), Some(&Value::from("bob@example.com")));
    }

    #[test]
    fn copies_share_until_one_is_changed() {
        let a = Principal::new("dave", AuthMethod::Jwt).with_roles(["viewer"]);
        let b = a.clone();
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
        let c = b.clone().with_tenant("acme").with_roles(["admin"]);
        assert_eq!((a.tenant(), a.roles()), (None, &["viewer".to_owned()][..]));
        assert_eq!((b.tenant(), b.has_role("admin")), (None, false));
        assert_eq!((c.tenant(), c.has_role("admin")), (Some("acme"), true));
        assert_ne!(a, c);
        assert_eq!(a, b);
        assert!(format!("{a:?}").starts_with("Principal { subject: \"dave\""));
    }

    #[test]
    fn serialises_without_empty_fields_and_round_trips() {
        let p = Principal::new("carol", AuthMethod::Jwt).with_roles(["viewer"]);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"subject":"carol","roles":["viewer"],"auth_method":"jwt"})
        );
        let back: Principal = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }
}
