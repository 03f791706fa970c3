//! Who is calling.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principal {
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

impl Principal {
    /// A principal for `subject`, authenticated by `method`, with no tenant and no roles.
    pub fn new(subject: impl Into<String>, method: AuthMethod) -> Self {
        Self {
            subject: subject.into(),
            tenant: None,
            org: None,
            roles: Vec::new(),
            session_id: None,
            token_id: None,
            auth_method: method,
            claims: Map::new(),
        }
    }

    /// Sets the tenant the principal acts in.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Sets the organisation (a unit inside a tenant) the principal acts in.
    #[must_use]
    pub fn with_org(mut self, org: impl Into<String>) -> Self {
        self.org = Some(org.into());
        self
    }

    /// Replaces the principal's roles.
    #[must_use]
    pub fn with_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the session (or refresh-token family) the principal's credential belongs to.
    #[must_use]
    pub fn with_session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// Sets the id of the credential itself (a JWT's `jti`).
    #[must_use]
    pub fn with_token_id(mut self, token_id: impl Into<String>) -> Self {
        self.token_id = Some(token_id.into());
        self
    }

    /// Adds an application claim, such as `email` or `assigned_companies`.
    #[must_use]
    pub fn with_claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// The stable identifier of the caller (a JWT's `sub`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The tenant the caller acts in, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The organisation the caller acts in, if any.
    pub fn org(&self) -> Option<&str> {
        self.org.as_deref()
    }

    /// The roles the credential carries.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Whether the credential carries `role` (exact match).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The session or refresh-token family id, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The credential's own id (a JWT's `jti`), if any.
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }

    /// How the caller authenticated.
    pub fn auth_method(&self) -> AuthMethod {
        self.auth_method
    }

    /// Application claims beside the ones above.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One application claim.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
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
