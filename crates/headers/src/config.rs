//! Serde configuration of the security headers, for TOML or JSON files.

use crate::csp::ContentSecurityPolicy;
use crate::values::{
    CrossOriginEmbedderPolicy, CrossOriginOpenerPolicy, CrossOriginResourcePolicy, FrameOptions,
    ReferrerPolicy,
};
use crate::{ConfigError, Hsts, SecurityHeaders, SecurityHeadersBuilder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The starting point of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Preset {
    /// [`SecurityHeaders::builder`]: server-rendered sites.
    Web,
    /// [`SecurityHeaders::api`]: JSON APIs (the default).
    #[default]
    Api,
    /// [`SecurityHeaders::spa`]: single-page apps with nonces.
    Spa,
    /// [`SecurityHeaders::strict`]: isolation, preload, Trusted Types.
    Strict,
}

/// Security headers as written in a config file; every field is optional and
/// adjusts the preset.
///
/// ```
/// use rampart::headers::SecurityHeadersConfig;
///
/// let config: SecurityHeadersConfig = toml::from_str(r#"
///     preset = "api"
///     referrer_policy = "strict-origin"
///     [hsts]
///     max_age_secs = 31536000
///     preload = true
///     [csp]
///     default-src = ["'none'"]
///     img-src = ["'self'", "data:"]
/// "#).unwrap();
/// assert!(config.build().is_ok());
///
/// let bad: SecurityHeadersConfig = toml::from_str(r#"
///     [csp]
///     script-src = ["self"]
/// "#).unwrap();
/// assert!(bad.build().is_err());
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityHeadersConfig {
    /// The preset adjusted by the other fields.
    #[serde(default)]
    pub preset: Preset,
    /// Replaces the preset's HSTS policy.
    #[serde(default)]
    pub hsts: Option<Hsts>,
    /// `false` sends no HSTS (plain-HTTP development only).
    #[serde(default = "yes")]
    pub hsts_enabled: bool,
    /// Replaces the preset's CSP: directive name → sources.
    #[serde(default)]
    pub csp: Option<BTreeMap<String, Vec<String>>>,
    /// Sends the CSP in force (the preset's or the `[csp]` table's) as
    /// report-only. Default: `false`.
    #[serde(default)]
    pub csp_report_only: bool,
    /// `report-uri` for violations of the CSP in force (the preset's or the
    /// `[csp]` table's). Default: none.
    #[serde(default)]
    pub csp_report_uri: Option<String>,
    /// Adds `upgrade-insecure-requests` to the CSP in force (the preset's or
    /// the `[csp]` table's); `false` keeps what the preset says. Default: `false`.
    #[serde(default)]
    pub csp_upgrade_insecure_requests: bool,
    /// `X-Frame-Options`.
    #[serde(default)]
    pub frame_options: Option<FrameOptions>,
    /// `Referrer-Policy`.
    #[serde(default)]
    pub referrer_policy: Option<ReferrerPolicy>,
    /// `Cross-Origin-Opener-Policy`.
    #[serde(default)]
    pub cross_origin_opener_policy: Option<CrossOriginOpenerPolicy>,
    /// `Cross-Origin-Embedder-Policy`.
    #[serde(default)]
    pub cross_origin_embedder_policy: Option<CrossOriginEmbedderPolicy>,
    /// `Cross-Origin-Resource-Policy`.
    #[serde(default)]
    pub cross_origin_resource_policy: Option<CrossOriginResourcePolicy>,
    /// Replace headers the handler set itself.
    #[serde(default)]
    pub override_existing: bool,
}

fn yes() -> bool {
    true
}

impl SecurityHeadersConfig {
    /// The builder this configuration describes; nothing is checked until
    /// [`SecurityHeadersBuilder::build`], which reports an unknown directive
    /// name as [`ConfigError::UnknownCspDirective`].
    pub fn to_builder(&self) -> SecurityHeadersBuilder {
        let mut builder = match self.preset {
            Preset::Web => SecurityHeaders::builder(),
            Preset::Api => SecurityHeaders::api(),
            Preset::Spa => SecurityHeaders::spa(),
            Preset::Strict => SecurityHeaders::strict(),
        };
        if let Some(hsts) = self.hsts {
            builder = builder.hsts(hsts);
        }
        if !self.hsts_enabled {
            builder = builder.insecure_without_hsts();
        }
        if let Some(directives) = &self.csp {
            let mut csp = ContentSecurityPolicy::new();
            for (name, sources) in directives {
                csp = csp.directive_named(name, sources.clone());
            }
            builder = builder.csp(csp);
        }
        // These adjust whichever policy is in force, the preset's or the
        // `[csp]` table's, so that setting one is never silently ignored.
        builder = builder.map_csp(|mut csp| {
            if self.csp_report_only {
                csp = csp.report_only(true);
            }
            if let Some(uri) = &self.csp_report_uri {
                csp = csp.report_uri(uri.clone());
            }
            if self.csp_upgrade_insecure_requests {
                csp = csp.upgrade_insecure_requests();
            }
            csp
        });
        if let Some(v) = self.frame_options {
            builder = builder.frame_options(v);
        }
        if let Some(v) = self.referrer_policy {
            builder = builder.referrer_policy(v);
        }
        if let Some(v) = self.cross_origin_opener_policy {
            builder = builder.cross_origin_opener_policy(v);
        }
        if let Some(v) = self.cross_origin_embedder_policy {
            builder = builder.cross_origin_embedder_policy(v);
        }
        if let Some(v) = self.cross_origin_resource_policy {
            builder = builder.cross_origin_resource_policy(v);
        }
        builder.override_existing(self.override_existing)
    }

    /// Validates and builds the headers.
    ///
    /// # Errors
    /// The first invalid value.
    pub fn build(&self) -> Result<SecurityHeaders, ConfigError> {
        self.to_builder().build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_directives_are_errors() {
        assert!(toml::from_str::<SecurityHeadersConfig>("presett = \"api\"").is_err());
        let config: SecurityHeadersConfig =
            toml::from_str("[csp]\nscript-source = [\"'self'\"]").unwrap();
        assert_eq!(
            config.build().err(),
            Some(ConfigError::UnknownCspDirective("script-source".into()))
        );
        // The name is reported by build, after the other settings were applied.
        assert!(config.to_builder().insecure_without_csp().build().is_ok());
    }

    fn csp_of(config: &str) -> (String, String) {
        let config: SecurityHeadersConfig = toml::from_str(config).unwrap();
        let headers = config.build().unwrap();
        let mut map = http::HeaderMap::new();
        headers.apply(&mut map, None);
        let (name, value) = map
            .iter()
            .find(|(n, _)| n.as_str().starts_with("content-security-policy"))
            .unwrap();
        (name.to_string(), value.to_str().unwrap().to_owned())
    }

    #[test]
    fn csp_settings_apply_to_the_preset_policy_without_a_csp_table() {
        let (name, value) = csp_of(
            "preset = \"api\"\ncsp_report_uri = \"/csp-reports\"\ncsp_report_only = true\ncsp_upgrade_insecure_requests = true",
        );
        assert_eq!(name, "content-security-policy-report-only");
        assert_eq!(
            value,
            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; upgrade-insecure-requests; report-uri /csp-reports"
        );
        let (name, value) = csp_of("preset = \"spa\"\ncsp_report_uri = \"/r\"");
        assert_eq!(name, "content-security-policy");
        assert!(value.contains("script-src 'self' 'nonce-"), "{value}");
        assert!(value.ends_with("; report-uri /r"), "{value}");
        let (_, value) = csp_of("preset = \"api\"");
        assert!(!value.contains("report-uri"), "{value}");
        assert!(!value.contains("upgrade-insecure-requests"), "{value}");
    }

    #[test]
    fn csp_settings_apply_to_a_csp_table() {
        let (name, value) = csp_of(
            "csp_report_uri = \"/r\"\ncsp_report_only = true\ncsp_upgrade_insecure_requests = true\n[csp]\ndefault-src = [\"'self'\"]",
        );
        assert_eq!(name, "content-security-policy-report-only");
        assert_eq!(
            value,
            "default-src 'self'; frame-ancestors 'none'; upgrade-insecure-requests; report-uri /r"
        );
    }

    #[test]
    fn a_bad_report_uri_fails_the_build_with_or_without_a_csp_table() {
        for text in [
            "csp_report_uri = \"/r/{nonce}\"",
            "csp_report_uri = \"/r/{nonce}\"\n[csp]\ndefault-src = [\"'self'\"]",
        ] {
            let config: SecurityHeadersConfig = toml::from_str(text).unwrap();
            assert!(
                matches!(
                    config.build(),
                    Err(ConfigError::InvalidReportEndpoint { .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn preload_without_a_year_is_an_error() {
        let config: SecurityHeadersConfig =
            toml::from_str("[hsts]\nmax_age_secs = 600\npreload = true").unwrap();
        assert!(matches!(
            config.build(),
            Err(ConfigError::HstsPreloadRequirements { .. })
        ));
    }

    #[test]
    fn empty_config_is_the_api_preset() {
        let config: SecurityHeadersConfig = toml::from_str("").unwrap();
        let from_config: Vec<_> = config
            .build()
            .unwrap()
            .fixed_headers()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let preset: Vec<_> = SecurityHeaders::api()
            .build()
            .unwrap()
            .fixed_headers()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        assert_eq!(from_config, preset);
    }
}
