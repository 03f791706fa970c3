//! The plain API: decide whether a principal may act on a resource.

use crate::decision::{GrantBasis, Reason};
use crate::error::{ConfigError, PermissionError, StoreError};
use crate::permission::split_required;
use crate::policy::CompiledPolicy;
use crate::roles::RoleStore;
use crate::{Decision, FailMode, GrantStore, Policy, Resource, ScopeResolver};
use arc_swap::ArcSwap;
use rampart_core::{
    CHANGE_POLICY, EventKind, EventSink, Principal, SecurityEvent, SharedClock, SharedSink,
    SystemClock, TracingSink,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub(crate) const TARGET: &str = "rampart::rbac";

/// Decides who may do what. Cheap to clone (one `Arc`); clones share the policy,
/// so [`Authorizer::reload`] on one is seen by all of them, layers included.
///
/// ```
/// use rampart::core::{AuthMethod, Principal};
/// use rampart::rbac::{Authorizer, Resource};
///
/// let authz = Authorizer::from_toml(r#"
///     [roles.viewer]
///     permissions = ["items:read"]
///     [roles.editor]
///     inherits = ["viewer"]
///     permissions = ["items:write", "reports:read:own_tenant"]
/// "#)?;
///
/// let bob = Principal::new("bob", AuthMethod::Jwt).with_tenant("acme").with_roles(["editor"]);
/// assert!(authz.check(&bob, "items:read", &Resource::new("items"))?.is_allowed());
/// assert!(authz.check(&bob, "read", &Resource::new("reports").with_tenant("acme"))?.is_allowed());
///
/// let other = authz.check(&bob, "read", &Resource::new("reports").with_tenant("globex"))?;
/// assert!(!other.is_allowed());
/// println!("{}", other.reason()); // for the audit trail, not for the client
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Authorizer {
    inner: Arc<Inner>,
}

struct Inner {
    policy: ArcSwap<CompiledPolicy>,
    resolvers: HashMap<String, Arc<dyn ScopeResolver>>,
    grants: Option<Arc<dyn GrantStore>>,
    roles: Option<Arc<dyn RoleStore>>,
    clock: SharedClock,
    sink: SharedSink,
    fail_mode: FailMode,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("roles", &self.policy().role_names().collect::<Vec<_>>())
            .field("grant_store", &self.inner.grants.is_some())
            .field("role_store", &self.inner.roles.is_some())
            .field("fail_mode", &self.inner.fail_mode)
            .finish_non_exhaustive()
    }
}

impl Authorizer {
    /// An authorizer for `policy` with no stores and no custom scopes.
    pub fn new(policy: Policy) -> Result<Self, ConfigError> {
        Self::builder().policy(policy).build()
    }

    /// An authorizer for a TOML policy with no stores and no custom scopes.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::new(Policy::from_toml(text)?)
    }

    /// Configures stores, custom scopes, clock, events and fail mode.
    pub fn builder() -> AuthorizerBuilder {
        AuthorizerBuilder::default()
    }

    /// Decides from the policy and the principal's roles (its token's, and the
    /// policy's static bindings). Allocates nothing; costs a few table probes per
    /// role the principal holds. Role and grant stores are not consulted: use
    /// [`Authorizer::check_with_stores`] for them.
    ///
    /// `action` is read as [`crate::RequirePermission::new`] reads its action:
    /// `resource:action` (`reports:export`), whose resource must be the kind of
    /// `resource`, or the action alone (`export`), which the resource's kind
    /// completes. Either way a malformed string (`""`, `"reports:"`, a wildcard,
    /// a scope) is an error saying what is wrong, never a quiet denial: it is a
    /// mistake in the caller's code, and a deny would hide it.
    ///
    /// ```
    /// use rampart::core::{AuthMethod, Principal};
    /// use rampart::rbac::{Authorizer, Resource};
    ///
    /// let authz = Authorizer::from_toml("[roles.analyst]\npermissions = [\"reports:export\"]")?;
    /// let ann = Principal::new("ann", AuthMethod::Jwt).with_roles(["analyst"]);
    /// let reports = Resource::new("reports");
    /// assert!(authz.check(&ann, "reports:export", &reports)?.is_allowed());
    /// assert!(authz.check(&ann, "export", &reports)?.is_allowed());
    /// assert!(authz.check(&ann, "reports:", &reports).is_err());
    /// assert!(authz.check(&ann, "items:export", &reports).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource<'_>,
    ) -> Result<Decision, PermissionError> {
        let action = required_action(action, resource)?;
        Ok(self.decide(principal, action, resource))
    }

    /// [`Authorizer::check`] for an action already read (the layer's).
    pub(crate) fn decide(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource<'_>,
    ) -> Decision {
        self.inner
            .policy
            .load()
            .evaluate(principal, action, resource, &[])
    }

    /// Like [`Authorizer::check`] (and reading `action` as it does), then, when
    /// that does not allow and no `deny`
    /// rule refused, with the role store's bindings of the subject and its grant
    /// on the resource (when the resource has an id): a grant of the principal's
    /// tenant on a resource of that tenant, or a global grant (see [`crate::Grant::covers`]). A failing store follows the
    /// [`FailMode`] and is reported as an [`EventKind::StoreFailure`] event.
    ///
    /// A grant the lookup finds lapsed is removed from the store (unless it was
    /// renewed meanwhile) and reported as a `PrivilegeChanged` event with action
    /// `expired`: a lapse is reported by the first check to notice it, or by
    /// [`Authorizer::purge_expired_grants`], once.
    pub async fn check_with_stores(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource<'_>,
    ) -> Result<Decision, PermissionError> {
        let action = required_action(action, resource)?;
        Ok(self.decide_with_stores(principal, action, resource).await)
    }

    /// [`Authorizer::check_with_stores`] for an action already read.
    pub(crate) async fn decide_with_stores(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource<'_>,
    ) -> Decision {
        let policy = self.inner.policy.load_full();
        let first = policy.evaluate(principal, action, resource, &[]);
        if is_explicit_deny(&first) || (first.is_allowed() && !policy.has_denies()) {
            return first;
        }
        let mut decision = first;
        if let Some(store) = &self.inner.roles {
            match self
                .store_call("roles", store.bindings(principal.subject()))
                .await
            {
                Ok(extra) if !extra.is_empty() => {
                    decision = policy.evaluate(principal, action, resource, &extra);
                }
                Ok(_) => {}
                Err(()) => return Decision::deny(Reason::StoreUnavailable),
            }
        }
        if decision.is_allowed() || is_explicit_deny(&decision) {
            return decision;
        }
        let (Some(store), Some(id)) = (&self.inner.grants, resource.id()) else {
            return decision;
        };
        // Looked up in the principal's tenant; `Grant::covers` then refuses a grant
        // of that tenant on a resource known to be in another one.
        let found = self
            .store_call(
                "grants",
                store.lookup(principal.tenant(), principal.subject(), resource.kind(), id),
            )
            .await;
        let now = self.inner.clock.now();
        match found {
            Ok(grants) => {
                // A lapse is noticed here; reporting it once needs the grant gone.
                for lapsed in grants.iter().filter(|g| g.is_expired(now)) {
                    self.retire_lapsed(lapsed).await;
                }
                grants
                    .into_iter()
                    .find(|g| g.covers(principal, resource) && g.allows(action, now))
                    .map_or(decision, |grant| {
                        Decision::allow(Reason::Grant(GrantBasis {
                            tenant: grant.tenant,
                            subject: grant.subject,
                            resource_type: grant.resource_type,
                            resource_id: grant.resource_id,
                            expires_at: grant.expires_at,
                        }))
                    })
            }
            Err(()) => Decision::deny(Reason::StoreUnavailable),
        }
    }

    /// Replaces the policy. Checks running now finish with the old one, every
    /// later check sees the new one, and none is dropped or sees a mix. An invalid
    /// policy leaves the current one in place.
    pub fn reload(&self, policy: Policy) -> Result<(), ConfigError> {
        let compiled = CompiledPolicy::compile(Arc::new(policy), &self.inner.resolvers)?;
        let roles = compiled.policy().role_names().count();
        self.inner.policy.store(Arc::new(compiled));
        tracing::info!(target: TARGET, roles, "authorization policy reloaded");
        self.inner.sink.emit(
            SecurityEvent::new(EventKind::ConfigurationChanged, TARGET, "policy reloaded")
                .at(self.inner.clock.now())
                .with_field("change", CHANGE_POLICY)
                .with_field("roles", roles),
        );
        Ok(())
    }

    /// [`Authorizer::reload`] from TOML text.
    pub fn reload_toml(&self, text: &str) -> Result<(), ConfigError> {
        self.reload(Policy::from_toml(text)?)
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(self.inner.policy.load().policy())
    }

    /// Whether the policy defines `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.policy.load().has_role(role)
    }

    /// Whether a role or grant store is configured (then the layer awaits
    /// [`Authorizer::check_with_stores`]; otherwise it decides synchronously).
    pub fn has_stores(&self) -> bool {
        self.inner.grants.is_some() || self.inner.roles.is_some()
    }

    /// The sink events go to ([`TracingSink`] unless one was configured).
    pub fn event_sink(&self) -> &SharedSink {
        &self.inner.sink
    }

    /// The clock used for grant expiry.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    pub(crate) fn compiled(&self) -> Arc<CompiledPolicy> {
        self.inner.policy.load_full()
    }

    pub(crate) fn grant_store(&self) -> Option<&Arc<dyn GrantStore>> {
        self.inner.grants.as_ref()
    }

    pub(crate) fn role_store(&self) -> Option<&Arc<dyn RoleStore>> {
        self.inner.roles.as_ref()
    }

    /// Runs a store call; on failure reports it and returns `Err` when failing
    /// closed, or the empty answer when failing open.
    pub(crate) async fn store_call<T: Default>(
        &self,
        store: &'static str,
        call: crate::StoreFuture<'_, T>,
    ) -> Result<T, ()> {
        use tracing::Instrument;
        let span = tracing::debug_span!(target: TARGET, "rbac_store", store);
        match call.instrument(span).await {
            Ok(v) => Ok(v),
            Err(error) => {
                self.report_store_failure(store, &error);
                match self.inner.fail_mode {
                    FailMode::Closed => Err(()),
                    FailMode::Open => Ok(T::default()),
                }
            }
        }
    }

    fn report_store_failure(&self, store: &'static str, error: &StoreError) {
        tracing::warn!(target: TARGET, store, %error, fail_mode = ?self.inner.fail_mode, "authorization store failed");
        self.inner.sink.emit(
            SecurityEvent::new(
                EventKind::StoreFailure,
                TARGET,
                "authorization store failed",
            )
            .at(self.inner.clock.now())
            .with_field("store", store)
            .with_field("error", error.to_string())
            .with_field(
                "fail_mode",
                match self.inner.fail_mode {
                    FailMode::Closed => "closed",
                    FailMode::Open => "open",
                },
            ),
        );
    }
}

/// The action part of `input`, read by the parser `RequirePermission` uses; a
/// resource it names must be the checked resource's kind.
fn required_action<'a>(
    input: &'a str,
    resource: &Resource<'_>,
) -> Result<&'a str, PermissionError> {
    match split_required(input)? {
        (Some(named), action) if named == resource.kind() => Ok(action),
        (Some(named), _) => Err(PermissionError::KindMismatch {
            input: input.to_owned(),
            named: named.to_owned(),
            kind: resource.kind().to_owned(),
        }),
        (None, action) => Ok(action),
    }
}

fn is_explicit_deny(decision: &Decision) -> bool {
    matches!(decision.reason(), Reason::Rule(rule) if rule.is_deny())
}

/// Builds an [`Authorizer`].
#[must_use]
#[derive(Default)]
pub struct AuthorizerBuilder {
    policy: Option<Policy>,
    resolvers: HashMap<String, Arc<dyn ScopeResolver>>,
    grants: Option<Arc<dyn GrantStore>>,
    roles: Option<Arc<dyn RoleStore>>,
    clock: Option<SharedClock>,
    sink: Option<SharedSink>,
    fail_mode: FailMode,
}

impl AuthorizerBuilder {
    /// The policy (required).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Registers the resolver of custom scope `name` (e.g. `assigned_companies`).
    /// Every custom scope the policy uses needs one, or `build` fails naming the entry.
    pub fn scope(mut self, name: impl Into<String>, resolver: impl ScopeResolver) -> Self {
        self.resolvers.insert(name.into(), Arc::new(resolver));
        self
    }

    /// Where grants live. Default: none (grants are not consulted).
    pub fn grant_store(mut self, store: Arc<dyn GrantStore>) -> Self {
        self.grants = Some(store);
        self
    }

    /// Where role bindings beside the token's live. Default: none.
    pub fn role_store(mut self, store: Arc<dyn RoleStore>) -> Self {
        self.roles = Some(store);
        self
    }

    /// The clock grant expiry is measured with. Default: [`SystemClock`].
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where store failures, reloads and privilege changes (grants and role
    /// bindings given, taken or lapsed) are reported; the layer also reports
    /// denials there. Default: [`TracingSink`], so no denial, outage or change
    /// is silent.
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// What happens when a store fails. Default: [`FailMode::Closed`].
    pub fn fail_mode(mut self, mode: FailMode) -> Self {
        self.fail_mode = mode;
        self
    }

    /// Shorthand for `fail_mode(FailMode::Open)`: when a store fails, decide as if it
    /// were empty instead of denying.
    pub fn insecure_fail_open(self) -> Self {
        self.fail_mode(FailMode::Open)
    }

    /// Compiles the policy; fails on a missing policy or an unresolved custom scope.
    pub fn build(self) -> Result<Authorizer, ConfigError> {
        let policy = self.policy.ok_or(ConfigError::MissingPolicy)?;
        let compiled = CompiledPolicy::compile(Arc::new(policy), &self.resolvers)?;
        Ok(Authorizer {
            inner: Arc::new(Inner {
                policy: ArcSwap::from_pointee(compiled),
                resolvers: self.resolvers,
                grants: self.grants,
                roles: self.roles,
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                sink: self.sink.unwrap_or_else(TracingSink::shared),
                fail_mode: self.fail_mode,
            }),
        })
    }
}
