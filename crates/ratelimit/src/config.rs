//! The serde config of the reference stack: one IP limit, one user limit, a
//! login throttle.

use crate::error::ConfigError;
use crate::{Key, Limit, LoginThrottle, LoginThrottleBuilder, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `[ratelimit]` section of an application's config. Every key is
/// optional; unknown keys are refused so a typo is not silently ignored.
///
/// ```
/// use rampart_ratelimit::RateLimitConfig;
///
/// let config: RateLimitConfig = toml::from_str(r#"
///     ip_per_minute = 600        # every request, keyed by client IP
///     user_per_minute = 300      # authenticated requests, keyed by subject
///     login_max_failures = 5
///     login_window_secs = 900
///     login_lockout_secs = 1800
/// "#)?;
/// let by_ip = config.ip_limiter()?;        // outermost, before auth
/// let by_user = config.user_limiter()?;    // after auth
/// let login = config.login_throttle().build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Requests per minute per client address; an idle client may use all at once (600).
    pub ip_per_minute: u32,
    /// Authenticated requests per minute per subject (300).
    pub user_per_minute: u32,
    /// Failed sign-ins per username within the window before it is locked (5).
    pub login_max_failures: u32,
    /// The window of those failures, in seconds (900).
    pub login_window_secs: u64,
    /// How long a username stays locked, in seconds (1800).
    pub login_lockout_secs: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            ip_per_minute: 600,
            user_per_minute: 300,
            login_max_failures: 5,
            login_window_secs: 900,
            login_lockout_secs: 1800,
        }
    }
}

impl RateLimitConfig {
    /// The per-address limit, named `ip`.
    pub fn ip_limit(&self) -> Limit {
        Limit::new("ip", Quota::per_minute(self.ip_per_minute)).key(Key::client_ip())
    }

    /// The per-subject limit, named `user` (anonymous requests skip it).
    pub fn user_limit(&self) -> Limit {
        Limit::new("user", Quota::per_minute(self.user_per_minute)).key(Key::subject())
    }

    /// An in-memory limiter with [`RateLimitConfig::ip_limit`].
    ///
    /// # Errors
    /// The quota is invalid (zero).
    pub fn ip_limiter(&self) -> Result<RateLimiter, ConfigError> {
        RateLimiter::new(self.ip_limit())
    }

    /// An in-memory limiter with [`RateLimitConfig::user_limit`].
    ///
    /// # Errors
    /// The quota is invalid (zero).
    pub fn user_limiter(&self) -> Result<RateLimiter, ConfigError> {
        RateLimiter::new(self.user_limit())
    }

    /// A login throttle builder with the username rule from this config and
    /// the default address rule (20 in 15 min → 60 min); add `.redis(..)`,
    /// `.event_sink(..)` and build.
    pub fn login_throttle(&self) -> LoginThrottleBuilder {
        LoginThrottle::builder()
            .user_failures(
                self.login_max_failures,
                Duration::from_secs(self.login_window_secs),
            )
            .user_lockout(Duration::from_secs(self.login_lockout_secs))
    }

    /// Checks every value, naming the first bad one.
    ///
    /// # Errors
    /// A zero or out-of-range quota, count, window or lockout.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.ip_limit().quota().validate("ip_per_minute")?;
        self.user_limit().quota().validate("user_per_minute")?;
        self.login_throttle().build().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_section() {
        let empty: RateLimitConfig = toml::from_str("").unwrap();
        assert_eq!(empty, RateLimitConfig::default());
        assert!(empty.validate().is_ok());
        assert_eq!(empty.ip_limit().quota().burst(), 600);
    }

    #[test]
    fn unknown_keys_and_zero_values_are_errors() {
        assert!(toml::from_str::<RateLimitConfig>("ip_per_second = 5").is_err());
        let zero: RateLimitConfig = toml::from_str("ip_per_minute = 0").unwrap();
        let err = zero.validate().unwrap_err();
        assert!(err.to_string().contains("ip_per_minute"), "{err}");
        let zero: RateLimitConfig = toml::from_str("login_window_secs = 0").unwrap();
        assert!(zero.validate().is_err());
        assert!(zero.login_throttle().build().is_err());
    }

    #[tokio::test]
    async fn the_login_rule_follows_the_config() {
        let c: RateLimitConfig = toml::from_str("login_max_failures = 2").unwrap();
        let t = c.login_throttle().build().unwrap();
        let ip = "203.0.113.1".parse().unwrap();
        t.record_failure("a", ip).await;
        assert!(t.check("a", ip).await.is_allowed());
        t.record_failure("a", ip).await;
        assert!(!t.check("a", ip).await.is_allowed());
    }
}
