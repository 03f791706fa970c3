//! `Permissions-Policy`: which browser features the page may use.

use crate::ConfigError;

/// A `Permissions-Policy` header: each feature with the origins allowed to use it.
///
/// The default denies the powerful features an API or an ordinary web app does
/// not use (camera, microphone, geolocation, payment, USB, sensors...), so an
/// injected script or a framed third party cannot ask for them.
///
/// ```
/// use rampart::headers::PermissionsPolicy;
///
/// let policy = PermissionsPolicy::empty()
///     .deny("camera")
///     .allow_self("fullscreen")
///     .allow_origins("payment", ["https://pay.example.com"]);
/// assert_eq!(
///     policy.header_value().unwrap(),
///     r#"camera=(), fullscreen=(self), payment=("https://pay.example.com")"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionsPolicy {
    entries: Vec<(String, Allowlist)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowlist {
    Nobody,
    SelfOnly,
    Origins(Vec<String>),
}

/// Features denied by [`PermissionsPolicy::default`].
pub const DENIED_BY_DEFAULT: &[&str] = &[
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
];

impl Default for PermissionsPolicy {
    fn default() -> Self {
        DENIED_BY_DEFAULT
            .iter()
            .fold(Self::empty(), |policy, feature| policy.deny(*feature))
    }
}

impl PermissionsPolicy {
    /// A policy naming no feature (the header is then not sent).
    pub fn empty() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Nobody may use `feature` (`feature=()`).
    #[must_use]
    pub fn deny(self, feature: impl Into<String>) -> Self {
        self.set(feature.into(), Allowlist::Nobody)
    }

    /// Only this origin may use `feature` (`feature=(self)`).
    #[must_use]
    pub fn allow_self(self, feature: impl Into<String>) -> Self {
        self.set(feature.into(), Allowlist::SelfOnly)
    }

    /// The given origins may use `feature`.
    #[must_use]
    pub fn allow_origins<I, S>(self, feature: impl Into<String>, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let origins = origins.into_iter().map(Into::into).collect();
        self.set(feature.into(), Allowlist::Origins(origins))
    }

    fn set(mut self, feature: String, allow: Allowlist) -> Self {
        match self.entries.iter_mut().find(|(f, _)| *f == feature) {
            Some(entry) => entry.1 = allow,
            None => self.entries.push((feature, allow)),
        }
        self
    }

    /// Whether no feature is named.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The header value.
    ///
    /// # Errors
    /// [`ConfigError::InvalidPermissionsPolicy`] for a feature name that is not a
    /// lowercase token or an origin that is not `scheme://host[:port]`.
    pub fn header_value(&self) -> Result<String, ConfigError> {
        let mut parts = Vec::with_capacity(self.entries.len());
        for (feature, allow) in &self.entries {
            let valid_name = !feature.is_empty()
                && feature
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_name {
                return Err(ConfigError::InvalidPermissionsPolicy {
                    value: feature.clone(),
                    reason: "a feature name is lowercase letters, digits and '-'",
                });
            }
            let list = match allow {
                Allowlist::Nobody => "()".to_owned(),
                Allowlist::SelfOnly => "(self)".to_owned(),
                Allowlist::Origins(origins) => {
                    let mut quoted = Vec::with_capacity(origins.len());
                    for origin in origins {
                        crate::origin::Origin::parse(origin).map_err(|_| {
                            ConfigError::InvalidPermissionsPolicy {
                                value: format!("{feature}={origin}"),
                                reason: "an allowed origin is scheme://host[:port]",
                            }
                        })?;
                        quoted.push(format!("\"{origin}\""));
                    }
                    format!("({})", quoted.join(" "))
                }
            };
            parts.push(format!("{feature}={list}"));
        }
        Ok(parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_denies_powerful_features() {
        let value = PermissionsPolicy::default().header_value().unwrap();
        for feature in ["camera=()", "microphone=()", "geolocation=()", "usb=()"] {
            assert!(value.contains(feature), "{value}");
        }
    }

    #[test]
    fn bad_names_and_origins_are_rejected() {
        assert!(
            PermissionsPolicy::empty()
                .deny("Camera;x")
                .header_value()
                .is_err()
        );
        assert!(
            PermissionsPolicy::empty()
                .allow_origins("payment", ["javascript:alert(1)"])
                .header_value()
                .is_err()
        );
    }

    #[test]
    fn setting_a_feature_twice_keeps_the_last() {
        let policy = PermissionsPolicy::empty()
            .deny("camera")
            .allow_self("camera");
        assert_eq!(policy.header_value().unwrap(), "camera=(self)");
    }
}
