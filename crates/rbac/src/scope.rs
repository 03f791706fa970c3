//! How a scoped permission is decided against a concrete resource.

use crate::Resource;
use rampart_core::Principal;

/// Decides an application-defined scope, such as `assigned_companies`.
///
/// Built-in scopes compare ids the check already has; a custom scope needs
/// knowledge only the application has (which companies a user is assigned to),
/// so the application supplies it. Resolvers run on the hot path: keep them to
/// lookups in the principal's claims and the resource's attributes, never I/O.
///
/// Any `Fn(&Principal, &Resource) -> bool` is a resolver:
///
/// ```
/// use rampart::core::Principal;
/// use rampart::rbac::Resource;
///
/// // The company of the resource must be listed in the caller's `companies` claim.
/// let assigned = |p: &Principal, r: &Resource<'_>| {
///     let (Some(company), Some(list)) = (r.attribute("company"), p.claim("companies")) else {
///         return false;
///     };
///     list.as_array().is_some_and(|l| l.iter().any(|c| c.as_str() == Some(company)))
/// };
/// # let _: &dyn rampart::rbac::ScopeResolver = &assigned;
/// ```
pub trait ScopeResolver: Send + Sync + 'static {
    /// Whether `principal` reaches `resource` through this scope.
    fn permits(&self, principal: &Principal, resource: &Resource<'_>) -> bool;
}

impl<F> ScopeResolver for F
where
    F: Fn(&Principal, &Resource<'_>) -> bool + Send + Sync + 'static,
{
    fn permits(&self, principal: &Principal, resource: &Resource<'_>) -> bool {
        self(principal, resource)
    }
}

/// Who the built-in scopes compare against: the principal's subject, and the
/// tenant and organisation of the role binding that is being evaluated (the
/// principal's own for roles from its token).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub(crate) subject: &'a str,
    pub(crate) tenant: Option<&'a str>,
    pub(crate) org: Option<&'a str>,
}

impl Context<'_> {
    // A resource known to live in another tenant is never reached through a
    // scope, whatever else matches: org and user ids may be unique only per tenant.
    fn same_tenant(&self, resource: &Resource<'_>) -> bool {
        match (self.tenant, resource.tenant()) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        }
    }

    pub(crate) fn own(&self, resource: &Resource<'_>) -> bool {
        if !self.same_tenant(resource) {
            return false;
        }
        if let Some(owner) = resource.owner() {
            return owner == self.subject;
        }
        // The tenant or organisation entity itself: its id is its own tenant/org.
        let Some(id) = resource.id() else {
            return false;
        };
        (resource.tenant() == Some(id) && self.tenant == Some(id))
            || (resource.org() == Some(id) && self.org == Some(id))
    }

    pub(crate) fn own_tenant(&self, resource: &Resource<'_>) -> bool {
        matches!((self.tenant, resource.tenant()), (Some(a), Some(b)) if a == b)
    }

    pub(crate) fn own_org(&self, resource: &Resource<'_>) -> bool {
        self.same_tenant(resource)
            && matches!((self.org, resource.org()), (Some(a), Some(b)) if a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context<'static> {
        Context {
            subject: "alice",
            tenant: Some("A"),
            org: Some("o1"),
        }
    }

    #[test]
    fn own_is_ownership_or_the_callers_own_entity() {
        let c = ctx();
        assert!(c.own(&Resource::new("doc").with_owner("alice")));
        assert!(!c.own(&Resource::new("doc").with_owner("bob")));
        assert!(!c.own(&Resource::new("doc").with_owner("alice").with_tenant("B")));
        assert!(c.own(&Resource::new("tenant").with_id("A").with_tenant("A")));
        assert!(!c.own(&Resource::new("tenant").with_id("B").with_tenant("B")));
        assert!(
            c.own(
                &Resource::new("organization")
                    .with_id("o1")
                    .with_org("o1")
                    .with_tenant("A")
            )
        );
        assert!(!c.own(&Resource::new("organization").with_id("o2").with_org("o2")));
        assert!(!c.own(&Resource::new("doc").with_id("A")));
    }

    #[test]
    fn tenant_and_org_scopes_need_both_sides_known() {
        let c = ctx();
        assert!(c.own_tenant(&Resource::new("x").with_tenant("A")));
        assert!(!c.own_tenant(&Resource::new("x").with_tenant("B")));
        assert!(!c.own_tenant(&Resource::new("x")));
        let no_tenant = Context { tenant: None, ..c };
        assert!(!no_tenant.own_tenant(&Resource::new("x").with_tenant("A")));
        assert!(c.own_org(&Resource::new("x").with_org("o1")));
        assert!(!c.own_org(&Resource::new("x").with_org("o1").with_tenant("B")));
        assert!(!c.own_org(&Resource::new("x").with_org("o2")));
    }
}
