//! A policy per tenant: what the password and session policies share.

use std::sync::Arc;

type Resolver<P> = dyn Fn(&str) -> Option<Arc<P>> + Send + Sync;

/// The policy of each tenant: a resolver's answer, or the default. Cheap to
/// clone. Multi-tenant services create a default policy per tenant; the
/// resolver is where the application looks it up.
///
/// Used as [`PasswordPolicies`](crate::password::PasswordPolicies) and, with
/// the `session` feature, `session::SessionPolicies`.
pub struct TenantPolicies<P> {
    default: Arc<P>,
    resolver: Option<Arc<Resolver<P>>>,
}

impl<P> Clone for TenantPolicies<P> {
    fn clone(&self) -> Self {
        Self {
            default: Arc::clone(&self.default),
            resolver: self.resolver.clone(),
        }
    }
}

impl<P: std::fmt::Debug> std::fmt::Debug for TenantPolicies<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantPolicies")
            .field("default", &self.default)
            .field("resolver", &self.resolver.is_some())
            .finish()
    }
}

impl<P: Default> Default for TenantPolicies<P> {
    fn default() -> Self {
        Self::new(P::default())
    }
}

impl<P> From<P> for TenantPolicies<P> {
    fn from(policy: P) -> Self {
        Self::new(policy)
    }
}

impl<P> TenantPolicies<P> {
    /// Everyone gets `default`.
    pub fn new(default: impl Into<Arc<P>>) -> Self {
        Self {
            default: default.into(),
            resolver: None,
        }
    }

    /// Asks `resolver` for a tenant's policy; `None` means the default. The
    /// closure runs on every lookup (each sign-in), so cache in it if the
    /// lookup is costly.
    #[must_use]
    pub fn resolver<F>(mut self, resolver: F) -> Self
    where
        F: Fn(&str) -> Option<Arc<P>> + Send + Sync + 'static,
    {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// The policy for `tenant` (the default for `None` or an unknown tenant).
    pub fn for_tenant(&self, tenant: Option<&str>) -> Arc<P> {
        tenant
            .and_then(|t| self.resolver.as_ref().and_then(|r| r(t)))
            .unwrap_or_else(|| Arc::clone(&self.default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolver_answers_for_its_tenants_and_the_default_for_the_rest() {
        let policies =
            TenantPolicies::new(1u32).resolver(|tenant| (tenant == "acme").then(|| Arc::new(2u32)));
        assert_eq!(*policies.for_tenant(Some("acme")), 2);
        assert_eq!(*policies.for_tenant(Some("globex")), 1);
        assert_eq!(*policies.for_tenant(None), 1);
        assert_eq!(
            *TenantPolicies::<u32>::default().for_tenant(Some("acme")),
            0
        );
    }
}
