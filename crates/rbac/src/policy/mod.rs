//! The policy: roles, their permissions and inheritance, and static role bindings.
//!
//! A policy is data an operator writes (TOML or JSON, usually a section of the
//! application's config file). [`Policy`] is that data validated; the
//! [`crate::Authorizer`] compiles it into lookup tables.

mod compile;
mod load;

pub(crate) use compile::{Applied, CompiledPolicy, CompiledScope, RuleKind};
pub(crate) use load::valid_role_name;

use crate::Permission;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The policy as written, for embedding in an application's own config struct.
///
/// ```toml
/// [roles.viewer]
/// permissions = ["items:read"]
///
/// [roles.editor]
/// inherits = ["viewer"]
/// permissions = ["items:write", "reports:read:own_tenant"]
///
/// [roles.admin]
/// inherits = ["editor"]
/// permissions = ["items:delete", "admin:*", "reports:read"]
/// deny = ["admin:impersonate"]
///
/// [[bindings]]
/// subject = "alice"
/// role = "admin"
/// tenant = "acme"   # admin in acme only; omit tenant and org for a global binding
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PolicyConfig {
    /// Roles by name.
    #[serde(default)]
    pub roles: BTreeMap<String, RoleConfig>,
    /// Roles given to subjects by the policy itself, globally or in one tenant or org.
    #[serde(default)]
    pub bindings: Vec<BindingConfig>,
}

impl PolicyConfig {
    /// An empty policy (denies everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a role.
    #[must_use]
    pub fn role(mut self, name: impl Into<String>, role: RoleConfig) -> Self {
        self.roles.insert(name.into(), role);
        self
    }

    /// Adds a binding.
    #[must_use]
    pub fn binding(mut self, binding: BindingConfig) -> Self {
        self.bindings.push(binding);
        self
    }
}

/// One role as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RoleConfig {
    /// Free text for people reading the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Roles whose permissions and denials this role also has.
    #[serde(default)]
    pub inherits: Vec<String>,
    /// `resource:action[:scope]` strings this role allows.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// `resource:action[:scope]` strings this role is refused, whatever else allows them.
    #[serde(default)]
    pub deny: Vec<String>,
}

impl RoleConfig {
    /// A role with no permissions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the parents.
    #[must_use]
    pub fn inherits<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.inherits = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the allowed permissions.
    #[must_use]
    pub fn permissions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, perms: I) -> Self {
        self.permissions = perms.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the denied permissions.
    #[must_use]
    pub fn deny<I: IntoIterator<Item = S>, S: Into<String>>(mut self, perms: I) -> Self {
        self.deny = perms.into_iter().map(Into::into).collect();
        self
    }
}

/// A role given to one subject, everywhere or in one tenant or organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BindingConfig {
    /// The subject (a principal's `subject`).
    pub subject: String,
    /// The role.
    pub role: String,
    /// Only in this tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Only in this organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

impl BindingConfig {
    /// `subject` has `role` everywhere.
    pub fn new(subject: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            role: role.into(),
            tenant: None,
            org: None,
        }
    }

    /// Only in `tenant`.
    #[must_use]
    pub fn in_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Only in `org`.
    #[must_use]
    pub fn in_org(mut self, org: impl Into<String>) -> Self {
        self.org = Some(org.into());
        self
    }
}

/// A validated policy: every permission parses, every role referenced exists,
/// and inheritance has no cycle.
///
/// ```
/// use rampart::rbac::Policy;
///
/// let policy = Policy::from_toml(r#"
///     [roles.viewer]
///     permissions = ["items:read"]
///     [roles.editor]
///     inherits = ["viewer"]
///     permissions = ["items:write"]
/// "#)?;
/// assert_eq!(policy.role_names().count(), 2);
///
/// let err = Policy::from_toml(r#"
///     [roles.viewer]
///     permissions = ["items"]
/// "#).unwrap_err();
/// assert!(err.to_string().starts_with("roles.viewer.permissions[0]"));
/// # Ok::<(), rampart::rbac::PolicyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    roles: Vec<RoleDef>,
    bindings: Vec<BindingConfig>,
    config: PolicyConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleDef {
    pub(crate) name: String,
    pub(crate) parents: Vec<usize>,
    pub(crate) allow: Vec<Entry>,
    pub(crate) deny: Vec<Entry>,
}

/// A permission together with where it was written, for error messages and decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) permission: Permission,
    pub(crate) location: String,
}

impl Policy {
    /// The names of the roles defined.
    pub fn role_names(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|r| r.name.as_str())
    }

    /// The policy as written.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    pub(crate) fn roles(&self) -> &[RoleDef] {
        &self.roles
    }

    pub(crate) fn bindings(&self) -> &[BindingConfig] {
        &self.bindings
    }
}
