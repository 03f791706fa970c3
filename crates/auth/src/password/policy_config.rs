//! The `[password]` section of a config file, and one policy per tenant.
//!
//! Multi-tenant applications give each tenant its own rules (the seeds create
//! a default policy per tenant). [`PasswordPolicies`] answers "which policy
//! for this tenant?" from a fixed table (`[password.tenants.<id>]`) or from a
//! resolver closure over the application's own tenant store, with the default
//! policy for everyone else.

use super::blocklist::Blocklist;
use super::policy::PasswordPolicy;
use crate::ConfigError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// `[password]`: every key optional, defaults as [`PasswordPolicy::default`].
///
/// ```
/// use rampart::auth::password::PasswordPolicyConfig;
///
/// let config: PasswordPolicyConfig = toml::from_str(r#"
///     preset = "nist_single_factor"
///     require_digit = true
///     extra_blocked = ["acme", "acme-corp"]
///     max_age_days = 90
///
///     [tenants.globex]
///     min_length = 20
/// "#)?;
/// let policies = config.build()?;
/// assert_eq!(policies.for_tenant(None).min_length(), 15);
/// assert_eq!(policies.for_tenant(Some("globex")).min_length(), 20);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct PasswordPolicyConfig {
    /// Start from `"default"` (12), `"nist_single_factor"` (15) or
    /// `"nist_with_mfa"` (8); the keys below override it.
    pub preset: Option<String>,
    /// Minimum length in characters.
    pub min_length: Option<usize>,
    /// Maximum length in characters.
    pub max_length: Option<usize>,
    /// Require an upper-case letter.
    pub require_uppercase: Option<bool>,
    /// Require a lower-case letter.
    pub require_lowercase: Option<bool>,
    /// Require a digit.
    pub require_digit: Option<bool>,
    /// Require a character that is neither letter nor digit.
    pub require_special: Option<bool>,
    /// Lowest zxcvbn score accepted, 0 (off) to 4.
    pub min_strength: Option<u8>,
    /// Refuse the 10,000 most common passwords (default `true`).
    pub blocklist: Option<bool>,
    /// More refused passwords: the service's name, its domain.
    pub extra_blocked: Vec<String>,
    /// Previous passwords that may not be reused (0: off).
    pub history: Option<usize>,
    /// Days after which a password must be changed (unset: never).
    pub max_age_days: Option<u32>,
    /// Per-tenant policies, each built from the same keys (not inherited from
    /// this section).
    pub tenants: BTreeMap<String, PasswordPolicyConfig>,
}

impl PasswordPolicyConfig {
    /// Builds the default policy and the tenants' ones.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the setting (and tenant) that is wrong.
    pub fn build(&self) -> Result<PasswordPolicies, ConfigError> {
        let default = self.policy()?;
        let mut tenants = BTreeMap::new();
        for (tenant, config) in &self.tenants {
            let named = |e: ConfigError| match e {
                ConfigError::Invalid { name, reason } => ConfigError::Invalid {
                    name,
                    reason: format!("{reason} (tenant `{tenant}`)"),
                },
                other => other,
            };
            if !config.tenants.is_empty() {
                return Err(named(ConfigError::Invalid {
                    name: "tenants",
                    reason: "tenant policies cannot have tenants of their own".into(),
                }));
            }
            tenants.insert(tenant.clone(), Arc::new(config.policy().map_err(named)?));
        }
        let default = Arc::new(default);
        Ok(PasswordPolicies::new(Arc::clone(&default))
            .resolver(move |tenant: &str| tenants.get(tenant).cloned()))
    }

    /// Builds this section's own policy, ignoring `tenants`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the setting that is wrong.
    pub fn policy(&self) -> Result<PasswordPolicy, ConfigError> {
        let base = match self.preset.as_deref() {
            None | Some("default") => PasswordPolicy::default(),
            Some("nist_single_factor") => PasswordPolicy::nist_single_factor(),
            Some("nist_with_mfa") => PasswordPolicy::nist_with_mfa(),
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "preset",
                    reason: format!(
                        "unknown preset `{other}`: use default, nist_single_factor or nist_with_mfa"
                    ),
                });
            }
        };
        let mut b = PasswordPolicy::builder()
            .min_length(self.min_length.unwrap_or(base.min_length))
            .max_length(self.max_length.unwrap_or(base.max_length))
            .require_uppercase(self.require_uppercase.unwrap_or(base.require_uppercase))
            .require_lowercase(self.require_lowercase.unwrap_or(base.require_lowercase))
            .require_digit(self.require_digit.unwrap_or(base.require_digit))
            .require_special(self.require_special.unwrap_or(base.require_special))
            .min_strength(self.min_strength.unwrap_or(base.min_strength))
            .history(self.history.unwrap_or(base.history));
        let list = if self.blocklist.unwrap_or(true) {
            Blocklist::common()
        } else {
            Blocklist::empty()
        };
        b = b.blocklist(if self.extra_blocked.is_empty() {
            list
        } else {
            list.with(&self.extra_blocked)
        });
        if let Some(days) = self.max_age_days {
            b = b.max_age(Duration::from_secs(u64::from(days) * 24 * 60 * 60));
        }
        b.build()
    }
}

/// The password policy of each tenant: a resolver's answer, or the default.
pub type PasswordPolicies = crate::TenantPolicies<PasswordPolicy>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unknown_presets_and_bad_tenants_are_named() {
        let bad: PasswordPolicyConfig = toml::from_str("preset = \"strict\"").unwrap();
        assert!(bad.build().unwrap_err().to_string().contains("strict"));
        let bad: PasswordPolicyConfig = toml::from_str("[tenants.acme]\nmin_strength = 9").unwrap();
        let err = bad.build().unwrap_err().to_string();
        assert!(
            err.contains("min_strength") && err.contains("acme"),
            "{err}"
        );
        assert!(toml::from_str::<PasswordPolicyConfig>("min_lenght = 3").is_err());
    }

    #[test]
    fn an_empty_section_is_the_default_policy() {
        let c: PasswordPolicyConfig = toml::from_str("").unwrap();
        assert_eq!(
            *c.build().unwrap().for_tenant(Some("x")),
            PasswordPolicy::default()
        );
    }
}
