//! `rampart.toml`: one file for the whole stack.

use rampart_audit::AuditConfig;
use rampart_auth::JwtConfig;
use rampart_core::TrustedProxiesConfig;
use rampart_headers::{CorsConfig, CsrfConfig, HttpsOnlyConfig, SecurityHeadersConfig};
use rampart_ratelimit::RateLimitConfig;
use rampart_rbac::PolicyConfig;
use rampart_sanitize::InputGuardConfig;
use serde::Deserialize;

/// The configuration of a [`SecurityStack`](super::SecurityStack): one table
/// per layer, each the serde form its crate documents. Every table may be
/// left out; what is left out takes the crate's safe default.
///
/// ```toml
/// https_only = true            # false for local development over plain HTTP
///
/// [proxies]
/// trusted_proxies = ["10.0.0.0/8"]
///
/// [headers]                    # rampart-headers SecurityHeadersConfig
/// preset = "api"
///
/// [cors]                       # absent: no cross-origin reads at all
/// allowed_origins = ["https://app.example.com"]
///
/// [csrf]
/// trusted_origins = ["https://app.example.com"]
///
/// [audit]                      # absent: events go to `tracing` only
/// path = "audit/audit.jsonl"
///
/// [ratelimit]
/// ip_per_minute = 600
/// user_per_minute = 300
///
/// [jwt]
/// issuer = "https://auth.example.com"
/// audience = "api"
///
/// [input_guard]                # absent: on, blocking, default strictness
///
/// [rbac.roles.reader]
/// permissions = ["items:read"]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StackConfig {
    /// Redirect safe and refuse unsafe plain-HTTP requests. Default `true`:
    /// turn it off only for local development without TLS.
    pub https_only: bool,
    /// Settings of the HTTPS redirect.
    pub https: HttpsOnlyConfig,
    /// The proxies whose forwarding headers name the client and its scheme.
    pub proxies: TrustedProxiesConfig,
    /// Security headers on every response.
    pub headers: SecurityHeadersConfig,
    /// Cross-origin reads: `None` allows none.
    pub cors: Option<CorsConfig>,
    /// Cross-site unsafe requests: refused unless from these origins. The
    /// CORS origins are trusted too.
    pub csrf: CsrfConfig,
    /// The tamper-evident trail: `None` sends every event to `tracing` only.
    pub audit: Option<AuditConfig>,
    /// Per-address and per-user limits.
    pub ratelimit: RateLimitConfig,
    /// Access and refresh tokens.
    pub jwt: JwtConfig,
    /// Injected input on the protected routes. Set `mode = "report"` to
    /// flag without refusing.
    pub input_guard: InputGuardConfig,
    /// Roles, permissions and bindings for [`SecurityStack::require`](super::SecurityStack::require).
    pub rbac: PolicyConfig,
}

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            https_only: true,
            https: HttpsOnlyConfig::default(),
            proxies: TrustedProxiesConfig::default(),
            headers: SecurityHeadersConfig::default(),
            cors: None,
            csrf: CsrfConfig::default(),
            audit: None,
            ratelimit: RateLimitConfig::default(),
            jwt: JwtConfig::default(),
            input_guard: InputGuardConfig::default(),
            rbac: PolicyConfig::default(),
        }
    }
}

impl StackConfig {
    /// Reads a `rampart.toml` document.
    ///
    /// # Errors
    /// [`StackError::Toml`](super::StackError::Toml) naming the line and the
    /// key: unknown keys are errors, so a typo never silently drops a setting.
    pub fn from_toml(text: &str) -> Result<Self, super::StackError> {
        toml::from_str(text).map_err(|e| super::StackError::Toml(e.to_string()))
    }
}
