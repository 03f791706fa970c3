//! Which claims become the [`Principal`]'s tenant, org and roles.
//!
//! rampart's own tokens carry `tenant`, `org` and `roles`; providers name them
//! otherwise (`tid`, `groups`, `realm_access.roles`, `permissions`, a space
//! separated `scope`...). The mapping lives on the verifier, so the layer and
//! the plain API ([`JwtVerifier::authenticate`](crate::JwtVerifier::authenticate))
//! build the same principal from the same token.

use super::claims::Claims;
use crate::error::{AuthError, ConfigError};
use rampart_core::Principal;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Where a claim sits in the token: a top-level name, or a path through
/// nested objects.
///
/// A string is always one name, dots included, because namespaced claims
/// such as `https://example.com/roles` contain dots; nested claims are given
/// as a list of names.
///
/// ```
/// use rampart::auth::ClaimPath;
///
/// let azure = ClaimPath::from("tid");
/// let auth0 = ClaimPath::from("https://example.com/roles"); // one name
/// let keycloak = ClaimPath::from(["realm_access", "roles"]); // nested
/// assert_eq!(keycloak.to_string(), "realm_access.roles");
/// # let _ = (azure, auth0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath(Vec<String>);

impl ClaimPath {
    /// The top-level claim the path starts from.
    pub(crate) fn top(&self) -> Option<&str> {
        self.0.first().map(String::as_str)
    }

    /// The value at the path, if every step exists.
    fn lookup<'a>(&self, claims: &'a Map<String, Value>) -> Option<&'a Value> {
        let (first, rest) = self.0.split_first()?;
        rest.iter()
            .try_fold(claims.get(first)?, |value, name| value.get(name))
    }

    fn check(&self, setting: &'static str) -> Result<(), ConfigError> {
        if self.0.is_empty() || self.0.iter().any(String::is_empty) {
            return Err(ConfigError::Invalid {
                name: setting,
                reason: "a claim path needs at least one name, and no empty name".into(),
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

impl From<&str> for ClaimPath {
    fn from(name: &str) -> Self {
        Self(vec![name.to_owned()])
    }
}

impl From<String> for ClaimPath {
    fn from(name: String) -> Self {
        Self(vec![name])
    }
}

impl<const N: usize> From<[&str; N]> for ClaimPath {
    fn from(path: [&str; N]) -> Self {
        Self(path.iter().map(|s| (*s).to_owned()).collect())
    }
}

impl From<Vec<String>> for ClaimPath {
    fn from(path: Vec<String>) -> Self {
        Self(path)
    }
}

impl<'de> Deserialize<'de> for ClaimPath {
    /// A string (one name) or a list of names (a nested path).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Path(Vec<String>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Name(name) => Self::from(name),
            Raw::Path(path) => Self::from(path),
        })
    }
}

/// The application's last word on a principal: gets the principal the
/// mapping built and every claim of the (verified) token, and returns the
/// principal to use, or refuses the token.
pub type PrincipalMapper =
    Arc<dyn Fn(Principal, &Map<String, Value>) -> Result<Principal, AuthError> + Send + Sync>;

/// The verifier's mapping settings.
#[derive(Clone, Default)]
pub(crate) struct ClaimMapping {
    pub(crate) tenant: Option<ClaimPath>,
    pub(crate) org: Option<ClaimPath>,
    pub(crate) roles: Option<ClaimPath>,
    /// Application claims copied into the principal as they are.
    pub(crate) copied: Vec<String>,
    pub(crate) mapper: Option<PrincipalMapper>,
}

/// Which claims the verifier must read besides the registered ones.
pub(crate) enum Wanted {
    /// Only these top-level names.
    Names(Vec<String>),
    /// The whole payload (a [`PrincipalMapper`] sees every claim).
    All,
}

impl ClaimMapping {
    /// Whether the principal depends on the claims alone: true unless the
    /// application maps it itself (its mapper may read state that changes,
    /// such as roles in a database, so it runs on every request).
    pub(crate) fn reads_only_claims(&self) -> bool {
        self.mapper.is_none()
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        for (setting, path) in [
            ("tenant_claim", &self.tenant),
            ("org_claim", &self.org),
            ("roles_claim", &self.roles),
        ] {
            if let Some(path) = path {
                path.check(setting)?;
            }
        }
        Ok(())
    }

    pub(crate) fn wanted(&self) -> Wanted {
        if self.mapper.is_some() {
            return Wanted::All;
        }
        let mut names = self.copied.clone();
        for path in [&self.tenant, &self.org, &self.roles].into_iter().flatten() {
            if let Some(top) = path.top()
                && !names.iter().any(|n| n == top)
            {
                names.push(top.to_owned());
            }
        }
        Wanted::Names(names)
    }

    /// Builds the principal: registered fields, then the mapped claims in
    /// place of `tenant`, `org` and `roles`, then the copied claims, then
    /// the application's mapper.
    pub(crate) fn principal<C>(
        &self,
        claims: &Claims<C>,
        picked: Map<String, Value>,
    ) -> Result<Principal, AuthError> {
        let tenant = match &self.tenant {
            Some(path) => text(path.lookup(&picked))?,
            None => claims.tenant.clone(),
        };
        let org = match &self.org {
            Some(path) => text(path.lookup(&picked))?,
            None => claims.org.clone(),
        };
        let roles = match &self.roles {
            Some(path) => names(path.lookup(&picked))?,
            None => claims.roles.clone(),
        };
        let copied = self
            .copied
            .iter()
            .filter_map(|name| Some((name.clone(), picked.get(name)?.clone())));
        let principal = claims.principal_from(tenant, org, roles, copied);
        match &self.mapper {
            Some(mapper) => mapper(principal, &picked),
            None => Ok(principal),
        }
    }
}

/// A tenant or org id: a non-empty string, or an integer (some providers
/// number their tenants). Absent or `null` is none; anything else refuses
/// the token rather than guessing.
fn text(value: Option<&Value>) -> Result<Option<String>, AuthError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(AuthError::InvalidClaim),
    }
}

/// Roles: a list of non-empty strings, or one space-separated string (the
/// OAuth `scope` form). Absent or `null` is no role.
fn names(value: Option<&Value>) -> Result<Vec<String>, AuthError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s.split_ascii_whitespace().map(str::to_owned).collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                _ => Err(AuthError::InvalidClaim),
            })
            .collect(),
        Some(_) => Err(AuthError::InvalidClaim),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(m) => m,
            _ => unreachable!("tests pass objects"),
        }
    }

    #[test]
    fn paths_walk_nested_objects_and_keep_dotted_names_whole() {
        let claims = map(json!({
            "realm_access": { "roles": ["admin"] },
            "https://example.com/roles": ["editor"],
            "https://example": { "com/roles": ["wrong"] },
        }));
        let nested = ClaimPath::from(["realm_access", "roles"]);
        assert_eq!(nested.lookup(&claims), Some(&json!(["admin"])));
        let dotted = ClaimPath::from("https://example.com/roles");
        assert_eq!(dotted.lookup(&claims), Some(&json!(["editor"])));
        assert_eq!(
            ClaimPath::from(["realm_access", "nope"]).lookup(&claims),
            None
        );
        assert_eq!(ClaimPath::from(Vec::new()).lookup(&claims), None);
    }

    #[test]
    fn empty_paths_are_config_errors() {
        assert!(ClaimPath::from(Vec::new()).check("roles_claim").is_err());
        assert!(ClaimPath::from(["a", ""]).check("roles_claim").is_err());
        assert!(ClaimPath::from("").check("roles_claim").is_err());
        assert!(ClaimPath::from(["a", "b"]).check("roles_claim").is_ok());
    }

    #[test]
    fn tenant_values_are_strings_or_integers_only() {
        assert_eq!(text(Some(&json!("acme"))), Ok(Some("acme".into())));
        assert_eq!(text(Some(&json!(42))), Ok(Some("42".into())));
        assert_eq!(text(Some(&json!(-7))), Ok(Some("-7".into())));
        assert_eq!(text(Some(&json!(u64::MAX))), Ok(Some(u64::MAX.to_string())));
        assert_eq!(text(None), Ok(None));
        assert_eq!(text(Some(&Value::Null)), Ok(None));
        for bad in [
            json!(""),
            json!(1.5),
            json!(true),
            json!(["acme"]),
            json!({}),
        ] {
            assert_eq!(text(Some(&bad)), Err(AuthError::InvalidClaim), "{bad}");
        }
    }

    #[test]
    fn roles_are_a_list_or_a_scope_string() {
        assert_eq!(
            names(Some(&json!(["a", "b"]))),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            names(Some(&json!(" read  write\tadmin "))),
            Ok(vec!["read".into(), "write".into(), "admin".into()])
        );
        assert_eq!(names(None), Ok(vec![]));
        for bad in [json!(["a", 1]), json!(["a", ""]), json!(7), json!({"a": 1})] {
            assert_eq!(names(Some(&bad)), Err(AuthError::InvalidClaim), "{bad}");
        }
    }
}
