//! Which rows a principal may see, as data a query layer can apply.

use crate::Authorizer;
use crate::policy::{Applied, CompiledScope, RuleKind};
use crate::roles::RoleBinding;
use rampart_core::Principal;
use serde::Serialize;

/// The rows of one kind of resource a principal may act on.
///
/// `check` answers for one row; a list endpoint needs the answer for a whole
/// table, as a `WHERE` clause or as PostgreSQL row-level security
/// (see the `postgres` feature).
///
/// ```
/// use rampart::core::{AuthMethod, Principal};
/// use rampart::rbac::{Authorizer, Constraint, DataFilter};
///
/// let authz = Authorizer::from_toml(r#"
///     [roles.org_member]
///     permissions = ["prediction:read:own_org"]
/// "#)?;
/// let p = Principal::new("u1", AuthMethod::Jwt)
///     .with_tenant("A").with_org("o1").with_roles(["org_member"]);
/// assert_eq!(
///     authz.filter(&p, "read", "prediction"),
///     DataFilter::Rows { any_of: vec![Constraint::org("A", "o1")], none_of: vec![] },
/// );
/// assert_eq!(authz.filter(&p, "delete", "prediction"), DataFilter::Nothing);
/// # Ok::<(), rampart::rbac::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rows", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DataFilter {
    /// Every row.
    All,
    /// No row.
    Nothing,
    /// Rows matching at least one of `any_of` and none of `none_of`.
    Rows {
        /// Allowed sets of rows.
        any_of: Vec<Constraint>,
        /// Sets excluded by `deny` rules.
        none_of: Vec<Constraint>,
    },
}

/// A set of rows: those matching every field that is set. A constraint with no
/// field set is every row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct Constraint {
    /// The row's tenant is this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The row's organisation is this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The row's owner is this subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The row's id is one of these (grants; with `tenant` set, only that
    /// tenant's rows of these ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    /// The application's custom scope of this name admits the row; the
    /// application translates it (e.g. `company_id = ANY($assigned)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<String>,
}

impl Constraint {
    /// Rows of `tenant`.
    pub fn tenant(tenant: impl Into<String>) -> Self {
        Self {
            tenant: Some(tenant.into()),
            ..Self::default()
        }
    }

    /// Rows of `org` in `tenant`.
    pub fn org(tenant: impl Into<String>, org: impl Into<String>) -> Self {
        Self {
            tenant: Some(tenant.into()),
            org: Some(org.into()),
            ..Self::default()
        }
    }

    /// Rows owned by `subject`.
    pub fn owner(subject: impl Into<String>) -> Self {
        Self {
            owner: Some(subject.into()),
            ..Self::default()
        }
    }

    /// Rows with these ids, in any tenant (global grants).
    pub fn ids<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> Self {
        Self {
            ids: Some(ids.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// Rows of `tenant` with these ids (grants given in that tenant): ids are
    /// often unique only inside a tenant.
    pub fn ids_in_tenant<I: IntoIterator<Item = S>, S: Into<String>>(
        tenant: impl Into<String>,
        ids: I,
    ) -> Self {
        Self {
            tenant: Some(tenant.into()),
            ..Self::ids(ids)
        }
    }

    /// Whether no field is set (every row).
    pub fn is_everything(&self) -> bool {
        *self == Self::default()
    }
}

impl Authorizer {
    /// The rows of `resource_type` that `principal` may `action`, from the policy
    /// and the principal's roles (stores are not consulted; see
    /// [`Authorizer::filter_with_stores`]).
    pub fn filter(&self, principal: &Principal, action: &str, resource_type: &str) -> DataFilter {
        let policy = self.compiled();
        let applied = policy.rules_for(principal, action, resource_type, &[]);
        build(principal, &applied, Granted::default())
    }

    /// Like [`Authorizer::filter`], adding the role store's bindings and the ids of
    /// the principal's unexpired grants: those given in its tenant as
    /// [`Constraint::ids_in_tenant`], global ones as [`Constraint::ids`]; grants of
    /// other tenants reach nothing. A failing store follows the fail mode:
    /// closed yields [`DataFilter::Nothing`].
    pub async fn filter_with_stores(
        &self,
        principal: &Principal,
        action: &str,
        resource_type: &str,
    ) -> DataFilter {
        let mut extra: Vec<RoleBinding> = Vec::new();
        if let Some(store) = self.role_store() {
            match self
                .store_call("roles", store.bindings(principal.subject()))
                .await
            {
                Ok(b) => extra = b,
                Err(()) => return DataFilter::Nothing,
            }
        }
        let mut granted = Granted::default();
        if let Some(store) = self.grant_store() {
            match self
                .store_call("grants", store.list(principal.subject(), resource_type))
                .await
            {
                Ok(grants) => {
                    let now = self.clock().now();
                    for g in grants {
                        // A grant of another tenant reaches nothing here: the
                        // filter is for the principal's tenant (and global grants).
                        if g.subject != principal.subject()
                            || g.resource_type != resource_type
                            || !g.allows(action, now)
                            || !g.applies_in(principal.tenant(), None)
                        {
                            continue;
                        }
                        match g.tenant {
                            Some(_) => granted.in_tenant.push(g.resource_id),
                            None => granted.global.push(g.resource_id),
                        }
                    }
                }
                Err(()) => return DataFilter::Nothing,
            }
        }
        let policy = self.compiled();
        let applied = policy.rules_for(principal, action, resource_type, &extra);
        build(principal, &applied, granted)
    }
}

/// Ids of unexpired grants: in the principal's tenant, and global.
#[derive(Default)]
struct Granted {
    in_tenant: Vec<String>,
    global: Vec<String>,
}

fn build(principal: &Principal, applied: &[Applied<'_, '_>], granted: Granted) -> DataFilter {
    let mut any_of = Vec::new();
    let mut none_of = Vec::new();
    for a in applied {
        let Some(c) = constraint(principal, a) else {
            continue;
        };
        match a.rule.kind {
            RuleKind::Allow => any_of.push(c),
            RuleKind::Deny => none_of.push(c),
        }
    }
    if let (false, Some(tenant)) = (granted.in_tenant.is_empty(), principal.tenant()) {
        any_of.push(Constraint::ids_in_tenant(tenant, granted.in_tenant));
    }
    if !granted.global.is_empty() {
        any_of.push(Constraint::ids(granted.global));
    }
    any_of.sort();
    any_of.dedup();
    none_of.sort();
    none_of.dedup();
    if none_of.iter().any(Constraint::is_everything) || any_of.is_empty() {
        return DataFilter::Nothing;
    }
    if none_of.is_empty() && any_of.iter().any(Constraint::is_everything) {
        return DataFilter::All;
    }
    // A constraint that admits every row makes the others redundant.
    if any_of.iter().any(Constraint::is_everything) {
        any_of.retain(Constraint::is_everything);
    }
    DataFilter::Rows { any_of, none_of }
}

/// The rows one rule reaches, or `None` when it reaches none (a tenant scope for a
/// principal without a tenant).
fn constraint(principal: &Principal, a: &Applied<'_, '_>) -> Option<Constraint> {
    let ctx = a.ctx;
    let tenant = ctx.tenant.map(str::to_owned);
    let mut c = match &a.rule.scope {
        CompiledScope::All => Constraint {
            tenant: a.bound_tenant.map(str::to_owned),
            org: a.bound_org.map(str::to_owned),
            ..Constraint::default()
        },
        CompiledScope::OwnTenant => Constraint {
            tenant: Some(tenant?),
            ..Constraint::default()
        },
        CompiledScope::OwnOrg => Constraint {
            tenant,
            org: Some(ctx.org?.to_owned()),
            ..Constraint::default()
        },
        CompiledScope::Own => Constraint {
            tenant,
            owner: Some(principal.subject().to_owned()),
            ..Constraint::default()
        },
        CompiledScope::Custom(_) => Constraint {
            tenant,
            custom: Some(a.rule.scope_name.to_string()),
            ..Constraint::default()
        },
    };
    if c.org.is_some() && c.tenant.is_none() {
        c.tenant = a.bound_tenant.map(str::to_owned);
    }
    Some(c)
}
