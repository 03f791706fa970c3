//! Changing who holds what: grants and role bindings given and taken through
//! the authorizer, each reported as one `PrivilegeChanged` event.
//!
//! The stores can be written directly, but silently; going through the
//! authorizer is what puts the change, and who made it, in the audit trail.

use crate::authorizer::TARGET;
use crate::{Authorizer, Grant, RoleBinding, StoreError};
use rampart_core::{EventSink, PrivilegeAction, SecurityEvent};
use std::time::{SystemTime, UNIX_EPOCH};

const NO_GRANT_STORE: StoreError =
    StoreError::Unsupported("the authorizer has no grant store (AuthorizerBuilder::grant_store)");
const NO_ROLE_STORE: StoreError =
    StoreError::Unsupported("the authorizer has no role store (AuthorizerBuilder::role_store)");

/// Privilege changes. Each method writes to the store the authorizer was built
/// with and, once the store has accepted the change, emits one
/// `PrivilegeChanged` event to the authorizer's sink. A write the store
/// refuses or fails is returned as the error and reported as nothing: the
/// trail never says a privilege was given that was not.
///
/// The `*_by` variants name who made the change (the administrator's
/// subject), recorded as the event's `actor`; the others leave it unknown.
///
/// ```
/// use rampart::core::{EventKind, MemorySink};
/// use rampart::rbac::{Authorizer, Grant, MemoryGrantStore, MemoryRoleStore, Policy, RoleBinding};
/// use std::sync::Arc;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sink = MemorySink::new();
/// let authz = Authorizer::builder()
///     .policy(Policy::from_toml("[roles.admin]\npermissions = [\"*\"]")?)
///     .grant_store(Arc::new(MemoryGrantStore::new()))
///     .role_store(Arc::new(MemoryRoleStore::new()))
///     .event_sink(Arc::new(sink.clone()))
///     .build()?;
///
/// authz.bind_role_by("root", "alice", RoleBinding::in_tenant("admin", "acme")).await?;
/// authz.grant_by("alice", Grant::in_tenant("acme", "bob", "docs", "7", ["read"])).await?;
/// authz.revoke_grant_by("alice", Some("acme"), "bob", "docs", "7").await?;
///
/// let events = sink.events();
/// assert_eq!(events.len(), 3);
/// assert!(events.iter().all(|e| e.kind == EventKind::PrivilegeChanged));
/// assert_eq!(events[1].subject.as_deref(), Some("bob"));
/// assert_eq!(events[1].fields["actor"], "alice");
/// assert_eq!(events[2].fields["action"], "revoked");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
impl Authorizer {
    /// Stores `grant` (replacing the subject's grant on the same resource in
    /// the same tenant) and reports it as `granted`, with no known actor.
    pub async fn grant(&self, grant: Grant) -> Result<(), StoreError> {
        self.give_grant(None, grant).await
    }

    /// [`Authorizer::grant`], made by `actor`.
    pub async fn grant_by(&self, actor: &str, grant: Grant) -> Result<(), StoreError> {
        self.give_grant(Some(non_empty_actor(actor)?), grant).await
    }

    /// Removes the subject's grant on the resource in `tenant` (`None`: its
    /// global grant); whether there was one. Only a removal is reported
    /// (`revoked`): revoking nothing changes nobody's privileges.
    pub async fn revoke_grant(
        &self,
        tenant: Option<&str>,
        subject: &str,
        resource_type: &str,
        resource_id: &str,
    ) -> Result<bool, StoreError> {
        self.take_grant(None, tenant, subject, resource_type, resource_id)
            .await
    }

    /// [`Authorizer::revoke_grant`], made by `actor`.
    pub async fn revoke_grant_by(
        &self,
        actor: &str,
        tenant: Option<&str>,
        subject: &str,
        resource_type: &str,
        resource_id: &str,
    ) -> Result<bool, StoreError> {
        let actor = non_empty_actor(actor)?;
        self.take_grant(Some(actor), tenant, subject, resource_type, resource_id)
            .await
    }

    /// Gives `subject` `binding` in the role store; whether it was new. Only a
    /// new binding is reported (`granted`).
    pub async fn bind_role(&self, subject: &str, binding: RoleBinding) -> Result<bool, StoreError> {
        self.change_binding(None, PrivilegeAction::Granted, subject, &binding)
            .await
    }

    /// [`Authorizer::bind_role`], made by `actor`.
    pub async fn bind_role_by(
        &self,
        actor: &str,
        subject: &str,
        binding: RoleBinding,
    ) -> Result<bool, StoreError> {
        let actor = non_empty_actor(actor)?;
        self.change_binding(Some(actor), PrivilegeAction::Granted, subject, &binding)
            .await
    }

    /// Takes `binding` from `subject` in the role store; whether it was there.
    /// Only a removal is reported (`revoked`).
    pub async fn unbind_role(
        &self,
        subject: &str,
        binding: &RoleBinding,
    ) -> Result<bool, StoreError> {
        self.change_binding(None, PrivilegeAction::Revoked, subject, binding)
            .await
    }

    /// [`Authorizer::unbind_role`], made by `actor`.
    pub async fn unbind_role_by(
        &self,
        actor: &str,
        subject: &str,
        binding: &RoleBinding,
    ) -> Result<bool, StoreError> {
        let actor = non_empty_actor(actor)?;
        self.change_binding(Some(actor), PrivilegeAction::Revoked, subject, binding)
            .await
    }

    /// Takes every binding from `subject` (off-boarding), made by `actor`, one
    /// binding at a time so that each removal is reported; how many were
    /// removed. A failure part-way returns the error with the bindings removed
    /// so far already reported; calling again finishes the job.
    pub async fn unbind_all_roles_by(
        &self,
        actor: &str,
        subject: &str,
    ) -> Result<usize, StoreError> {
        let actor = non_empty_actor(actor)?;
        let store = self.role_store().ok_or(NO_ROLE_STORE)?;
        let mut removed = 0;
        for binding in store.bindings(subject).await? {
            if self
                .change_binding(Some(actor), PrivilegeAction::Revoked, subject, &binding)
                .await?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes the grants of `subject` on `resource_type` that have lapsed by
    /// the authorizer's clock, reporting each as `expired`; how many.
    ///
    /// A lapsed grant never allows anything, so this is about the record and
    /// memory, not about access. Lapses are also reported, and the grant
    /// removed, by the first [`Authorizer::check_with_stores`] that finds one;
    /// a grant nobody asks about again is reported when this runs (say, from
    /// a periodic job over the subjects with expiring grants). A grant renewed
    /// meanwhile is left alone and not reported.
    pub async fn purge_expired_grants(
        &self,
        subject: &str,
        resource_type: &str,
    ) -> Result<usize, StoreError> {
        let store = self.grant_store().ok_or(NO_GRANT_STORE)?;
        let now = self.clock().now();
        let mut removed = 0;
        for grant in store.list(subject, resource_type).await? {
            if grant.is_expired(now) && store.remove_exact(&grant).await? {
                self.event_sink()
                    .emit(grant_event(PrivilegeAction::Expired, None, &grant).at(now));
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Called by a check that found `grant` lapsed: removes it if unchanged
    /// and reports the lapse. A store failure here changes no decision (the
    /// grant allows nothing either way), so it is logged and a later check or
    /// purge tries again.
    pub(crate) async fn retire_lapsed(&self, grant: &Grant) {
        let Some(store) = self.grant_store() else {
            return;
        };
        match store.remove_exact(grant).await {
            Ok(true) => self
                .event_sink()
                .emit(grant_event(PrivilegeAction::Expired, None, grant).at(self.clock().now())),
            Ok(false) => {}
            Err(error) => tracing::warn!(
                target: TARGET,
                %error,
                "could not remove a lapsed grant; a later check will try again"
            ),
        }
    }

    async fn give_grant(&self, actor: Option<&str>, grant: Grant) -> Result<(), StoreError> {
        let store = self.grant_store().ok_or(NO_GRANT_STORE)?;
        grant.validate()?;
        let event = grant_event(PrivilegeAction::Granted, actor, &grant);
        store.grant(grant).await?;
        self.event_sink().emit(event.at(self.clock().now()));
        Ok(())
    }

    async fn take_grant(
        &self,
        actor: Option<&str>,
        tenant: Option<&str>,
        subject: &str,
        resource_type: &str,
        resource_id: &str,
    ) -> Result<bool, StoreError> {
        let store = self.grant_store().ok_or(NO_GRANT_STORE)?;
        if !store
            .revoke(tenant, subject, resource_type, resource_id)
            .await?
        {
            return Ok(false);
        }
        let mut event = SecurityEvent::privilege_changed(TARGET, PrivilegeAction::Revoked, subject)
            .at(self.clock().now())
            .with_field("resource_type", resource_type)
            .with_field("resource_id", resource_id);
        if let Some(tenant) = tenant {
            event = event.with_tenant(tenant);
        }
        if let Some(actor) = actor {
            event = event.with_field("actor", actor);
        }
        self.event_sink().emit(event);
        Ok(true)
    }

    async fn change_binding(
        &self,
        actor: Option<&str>,
        action: PrivilegeAction,
        subject: &str,
        binding: &RoleBinding,
    ) -> Result<bool, StoreError> {
        let store = self.role_store().ok_or(NO_ROLE_STORE)?;
        crate::roles::check_binding(subject, binding)?;
        let changed = match action {
            PrivilegeAction::Revoked => store.remove_binding(subject, binding).await?,
            _ => store.add_binding(subject, binding).await?,
        };
        if changed {
            let mut event = SecurityEvent::privilege_changed(TARGET, action, subject)
                .at(self.clock().now())
                .with_field("role", binding.role.as_str());
            if let Some(tenant) = &binding.tenant {
                event = event.with_tenant(tenant.as_str());
            }
            if let Some(org) = &binding.org {
                event = event.with_field("org", org.as_str());
            }
            if let Some(actor) = actor {
                event = event.with_field("actor", actor);
            }
            self.event_sink().emit(event);
        }
        Ok(changed)
    }
}

/// The event for `grant` given, revoked or lapsed.
fn grant_event(action: PrivilegeAction, actor: Option<&str>, grant: &Grant) -> SecurityEvent {
    let mut event = SecurityEvent::privilege_changed(TARGET, action, grant.subject.as_str())
        .with_field("resource_type", grant.resource_type.as_str())
        .with_field("resource_id", grant.resource_id.as_str())
        .with_field("actions", grant.actions.clone());
    if let Some(tenant) = &grant.tenant {
        event = event.with_tenant(tenant.as_str());
    }
    if let Some(at) = grant.expires_at {
        event = event.with_field("expires_at_unix_ms", unix_ms(at));
    }
    if let Some(actor) = actor {
        event = event.with_field("actor", actor);
    }
    event
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn non_empty_actor(actor: &str) -> Result<&str, StoreError> {
    if actor.is_empty() {
        return Err(StoreError::Invalid(
            "privilege change: the actor is empty (use the variant without `_by` when unknown)",
        ));
    }
    Ok(actor)
}
