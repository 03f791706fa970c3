//! Strict-Transport-Security (RFC 6797).

use crate::ConfigError;
use serde::{Deserialize, Serialize};

/// One year, the least max-age the HSTS preload list accepts.
pub const ONE_YEAR_SECS: u64 = 31_536_000;

/// A `Strict-Transport-Security` policy.
///
/// The default is two years with `includeSubDomains`, without `preload`
/// (preloading is hard to undo, so it is a deliberate choice).
///
/// ```
/// use rampart::headers::Hsts;
///
/// let hsts = Hsts::default().preload();
/// assert_eq!(hsts.header_value().unwrap(), "max-age=63072000; includeSubDomains; preload");
/// assert!(Hsts::max_age_secs(3600).preload().header_value().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hsts {
    /// Seconds browsers remember to use HTTPS only.
    pub max_age_secs: u64,
    /// Whether the policy covers every subdomain.
    #[serde(default = "yes")]
    pub include_subdomains: bool,
    /// Whether the site asks to be on the browsers' built-in preload list.
    #[serde(default)]
    pub preload: bool,
}

fn yes() -> bool {
    true
}

impl Default for Hsts {
    fn default() -> Self {
        Self {
            max_age_secs: 2 * ONE_YEAR_SECS,
            include_subdomains: true,
            preload: false,
        }
    }
}

impl Hsts {
    /// A policy of `secs` with `includeSubDomains`.
    pub fn max_age_secs(secs: u64) -> Self {
        Self {
            max_age_secs: secs,
            ..Self::default()
        }
    }

    /// Asks for preloading; the value then requires one year and `includeSubDomains`.
    #[must_use]
    pub fn preload(mut self) -> Self {
        self.preload = true;
        self
    }

    /// Leaves subdomains out of the policy.
    #[must_use]
    pub fn without_subdomains(mut self) -> Self {
        self.include_subdomains = false;
        self
    }

    /// The header value.
    ///
    /// # Errors
    /// [`ConfigError::HstsPreloadRequirements`] when `preload` is set without one
    /// year of max-age and `includeSubDomains`.
    pub fn header_value(&self) -> Result<String, ConfigError> {
        if self.preload && (self.max_age_secs < ONE_YEAR_SECS || !self.include_subdomains) {
            return Err(ConfigError::HstsPreloadRequirements {
                max_age_secs: self.max_age_secs,
                include_subdomains: self.include_subdomains,
            });
        }
        let mut value = format!("max-age={}", self.max_age_secs);
        if self.include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if self.preload {
            value.push_str("; preload");
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preload_needs_a_year_and_subdomains() {
        assert!(
            Hsts::max_age_secs(ONE_YEAR_SECS)
                .preload()
                .header_value()
                .is_ok()
        );
        assert!(
            Hsts::max_age_secs(ONE_YEAR_SECS - 1)
                .preload()
                .header_value()
                .is_err()
        );
        assert!(
            Hsts::max_age_secs(ONE_YEAR_SECS)
                .without_subdomains()
                .preload()
                .header_value()
                .is_err()
        );
    }

    #[test]
    fn zero_max_age_clears_the_policy() {
        assert_eq!(
            Hsts::max_age_secs(0)
                .without_subdomains()
                .header_value()
                .unwrap(),
            "max-age=0"
        );
    }
}
