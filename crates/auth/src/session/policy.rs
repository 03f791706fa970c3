//! Session settings, and one set per tenant.

use super::cookie::{CookieSettings, SameSite};
use crate::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What happens when a user signs in once more than the limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LimitAction {
    /// The oldest session ends to make room (the default): the user is never
    /// locked out by devices they lost.
    #[default]
    EvictOldest,
    /// The new sign-in is refused until the user ends a session.
    RefuseNew,
}

/// Timeouts, the per-user limit and binding, for one tenant (or everyone).
///
/// ```
/// use rampart::auth::session::{LimitAction, SessionPolicy};
/// use std::time::Duration;
///
/// let policy = SessionPolicy::builder()
///     .idle_timeout(Duration::from_secs(15 * 60))
///     .max_per_user(5)
///     .on_limit(LimitAction::RefuseNew)
///     .bind_ip_prefix(true)
///     .build()?;
/// assert_eq!(policy.absolute_timeout(), Duration::from_secs(12 * 3600));
/// # Ok::<(), rampart::auth::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    idle: Duration,
    absolute: Duration,
    max_per_user: u32,
    on_limit: LimitAction,
    bind_user_agent: bool,
    bind_ip: bool,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            max_per_user: 3,
            on_limit: LimitAction::EvictOldest,
            bind_user_agent: false,
            bind_ip: false,
        }
    }
}

impl SessionPolicy {
    /// A builder starting from the defaults.
    pub fn builder() -> SessionPolicyBuilder {
        SessionPolicyBuilder(Self::default())
    }

    /// Idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    /// Absolute timeout.
    pub fn absolute_timeout(&self) -> Duration {
        self.absolute
    }

    /// Live sessions per user; 0 means no limit.
    pub fn max_per_user(&self) -> u32 {
        self.max_per_user
    }

    /// What one more sign-in does at the limit.
    pub fn on_limit(&self) -> LimitAction {
        self.on_limit
    }

    /// Whether sessions are bound to the user agent.
    pub fn binds_user_agent(&self) -> bool {
        self.bind_user_agent
    }

    /// Whether sessions are bound to the IP prefix (/24 or /64).
    pub fn binds_ip_prefix(&self) -> bool {
        self.bind_ip
    }
}

/// Builds a [`SessionPolicy`]; [`build`](Self::build) checks it.
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionPolicyBuilder(SessionPolicy);

impl SessionPolicyBuilder {
    /// A session unused this long ends. Default: 30 minutes.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.0.idle = idle;
        self
    }

    /// A session ends this long after sign-in however active. Default: 12 hours.
    pub fn absolute_timeout(mut self, absolute: Duration) -> Self {
        self.0.absolute = absolute;
        self
    }

    /// Live sessions one user may hold; 0 for no limit. Default: 3.
    pub fn max_per_user(mut self, n: u32) -> Self {
        self.0.max_per_user = n;
        self
    }

    /// What one more sign-in does at the limit. Default: [`LimitAction::EvictOldest`].
    pub fn on_limit(mut self, action: LimitAction) -> Self {
        self.0.on_limit = action;
        self
    }

    /// Ends the session when a request comes with another `User-Agent` than
    /// the sign-in's. Default: off (browsers update themselves mid-session).
    pub fn bind_user_agent(mut self, yes: bool) -> Self {
        self.0.bind_user_agent = yes;
        self
    }

    /// Ends the session when a request comes from outside the sign-in's
    /// network (/24 for IPv4, /64 for IPv6). Needs a
    /// [`ClientIp`](rampart_core::ClientIp) in the request (`ClientIpLayer`).
    /// Default: off (mobile users change networks).
    pub fn bind_ip_prefix(mut self, yes: bool) -> Self {
        self.0.bind_ip = yes;
        self
    }

    /// Checks the timeouts.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when a timeout is under one second, or the
    /// idle timeout exceeds the absolute one.
    pub fn build(self) -> Result<SessionPolicy, ConfigError> {
        let p = self.0;
        if p.idle.as_secs() == 0 {
            return Err(invalid("idle_timeout", "must be at least one second"));
        }
        if p.absolute < p.idle {
            return Err(invalid(
                "absolute_timeout",
                "must be at least the idle timeout",
            ));
        }
        Ok(p)
    }
}

fn invalid(name: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// The session policy of each tenant: a resolver's answer, or the default.
/// The policy is chosen when a session is created (from the principal's
/// tenant); the session keeps its timeouts and binding from then on.
pub type SessionPolicies = crate::TenantPolicies<SessionPolicy>;

/// `[session]`: every key optional, defaults as [`SessionPolicy::default`] and
/// [`CookieSettings::default`].
///
/// ```
/// use rampart::auth::session::SessionConfig;
/// use std::time::Duration;
///
/// let config: SessionConfig = toml::from_str(r#"
///     idle_timeout_secs = 600
///     max_per_user = 2
///     on_limit = "refuse_new"
///     [tenants.globex]
///     idle_timeout_secs = 120
/// "#)?;
/// let policies = config.policies()?;
/// assert_eq!(policies.for_tenant(Some("globex")).idle_timeout(), Duration::from_secs(120));
/// assert_eq!(policies.for_tenant(Some("acme")).max_per_user(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Idle timeout in seconds (1800).
    pub idle_timeout_secs: Option<u64>,
    /// Absolute timeout in seconds (43200).
    pub absolute_timeout_secs: Option<u64>,
    /// Live sessions per user, 0 for no limit (3).
    pub max_per_user: Option<u32>,
    /// `evict_oldest` (default) or `refuse_new`.
    pub on_limit: Option<LimitAction>,
    /// Bind to the user agent (false).
    pub bind_user_agent: Option<bool>,
    /// Bind to the IP prefix (false).
    pub bind_ip_prefix: Option<bool>,
    /// Cookie name without prefix (`session`).
    pub cookie_name: Option<String>,
    /// `Strict` (default) or `Lax`.
    pub same_site: Option<SameSite>,
    /// Plain-http development cookie, no `Secure`, no `__Host-` (false).
    pub insecure_http: Option<bool>,
    /// Per-tenant policies, built from the same keys over the defaults
    /// (cookie keys are ignored there: one cookie per application).
    pub tenants: BTreeMap<String, SessionConfig>,
}

impl SessionConfig {
    /// The policy these keys describe (tenants ignored).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the bad setting.
    pub fn policy(&self) -> Result<SessionPolicy, ConfigError> {
        let d = SessionPolicy::default();
        SessionPolicy::builder()
            .idle_timeout(self.idle_timeout_secs.map_or(d.idle, Duration::from_secs))
            .absolute_timeout(
                self.absolute_timeout_secs
                    .map_or(d.absolute, Duration::from_secs),
            )
            .max_per_user(self.max_per_user.unwrap_or(d.max_per_user))
            .on_limit(self.on_limit.unwrap_or_default())
            .bind_user_agent(self.bind_user_agent.unwrap_or(false))
            .bind_ip_prefix(self.bind_ip_prefix.unwrap_or(false))
            .build()
    }

    /// The default policy and each tenant's.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the bad setting.
    pub fn policies(&self) -> Result<SessionPolicies, ConfigError> {
        let default = self.policy()?;
        let mut tenants = BTreeMap::new();
        for (tenant, config) in &self.tenants {
            tenants.insert(tenant.clone(), Arc::new(config.policy()?));
        }
        let policies = SessionPolicies::new(default);
        Ok(if tenants.is_empty() {
            policies
        } else {
            policies.resolver(move |t| tenants.get(t).cloned())
        })
    }

    /// The cookie these keys describe.
    pub fn cookie(&self) -> CookieSettings {
        let mut c = CookieSettings::default()
            .same_site(self.same_site.unwrap_or_default())
            .insecure_http(self.insecure_http.unwrap_or(false));
        if let Some(name) = &self.cookie_name {
            c = c.base_name(name);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bad_timeouts_are_named() {
        let e = SessionPolicy::builder()
            .idle_timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("idle_timeout"));
        let e = SessionPolicy::builder()
            .idle_timeout(Duration::from_secs(100))
            .absolute_timeout(Duration::from_secs(10))
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("absolute_timeout"));
        assert!(toml::from_str::<SessionConfig>("idle = 3").is_err());
    }
}
