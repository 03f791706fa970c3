//! Configuration: built-in defaults, a TOML file over them section by
//! section, environment variables over both.

use crate::users::UserConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the app started from the environment writes its audit trail.
pub const DEFAULT_AUDIT_LOG: &str = "./secure-api-audit.jsonl";

/// The default configuration shipped with the example.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

/// Everything the app needs to start.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where to listen (`RAMPART_ADDR`).
    pub addr: SocketAddr,
    /// The file the configuration was read from, if any.
    pub source: Option<PathBuf>,
    /// `REDIS_URL`: Redis for revocations, refresh families, MFA state, rate
    /// limits and lockouts; one URL for a single node, or several
    /// comma-separated node URLs for Redis Cluster.
    pub redis_url: Option<String>,
    /// `RAMPART_MFA_KEY`: the base64 32-byte key sealing TOTP secrets; one
    /// is generated at start-up when unset (enrolments then end with the process).
    pub mfa_key: Option<String>,
    /// `RAMPART_FIELD_KEY`: the base64 32-byte key encrypting profile fields;
    /// one is generated at start-up when unset (profiles then end with the process).
    pub field_key: Option<String>,
    /// `[jwt]`.
    pub jwt: JwtSection,
    /// `[http]`.
    pub http: HttpConfig,
    /// `[server]`: timeouts and connection limit.
    pub server: ServerConfig,
    /// `[passwords]`: how many password checks run at once.
    pub passwords: PasswordsConfig,
    /// `[rbac]`: roles and permissions.
    pub rbac: rampart_rbac::PolicyConfig,
    /// `[ratelimit]`: per-address and per-user limits, the login throttle.
    pub ratelimit: rampart_ratelimit::RateLimitConfig,
    /// `[audit]`: the hash-chained JSONL trail. `None` (security events to
    /// `tracing` only) unless the document has an `[audit]` section or the
    /// app is configured from the environment, which always audits
    /// (`RAMPART_AUDIT_LOG`, default `./secure-api-audit.jsonl`), and also
    /// to PostgreSQL when `DATABASE_URL` is set.
    pub audit: Option<rampart_audit::AuditConfig>,
    /// `[[users]]`.
    pub users: Vec<UserConfig>,
}

/// The TOML document.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    jwt: Option<JwtSection>,
    #[serde(default)]
    http: Option<HttpConfig>,
    #[serde(default)]
    server: Option<ServerConfig>,
    #[serde(default)]
    passwords: Option<PasswordsConfig>,
    #[serde(default)]
    rbac: Option<rampart_rbac::PolicyConfig>,
    #[serde(default)]
    ratelimit: Option<rampart_ratelimit::RateLimitConfig>,
    #[serde(default)]
    audit: Option<rampart_audit::AuditConfig>,
    #[serde(default)]
    users: Option<Vec<UserConfig>>,
}

/// `[jwt]`, with the key names of the reference app's contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtSection {
    /// Signing algorithm.
    pub algorithm: rampart_auth::Algorithm,
    /// HMAC secret for HS*; empty means none.
    #[serde(deserialize_with = "empty_is_none")]
    pub secret: Option<rampart_auth::Secret>,
    /// The HMAC secret as base64 (random bytes); empty means none.
    #[serde(deserialize_with = "empty_is_none")]
    pub secret_base64: Option<rampart_auth::Secret>,
    /// Key id written into tokens; empty means derived from the key, the
    /// same on every instance and after every restart.
    pub key_id: String,
    /// PEM private key file for asymmetric algorithms; empty means generate one.
    pub key_file: String,
    /// `iss`.
    pub issuer: String,
    /// `aud`.
    pub audience: String,
    /// Access-token lifetime.
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime.
    pub refresh_ttl_secs: u64,
    /// Absolute lifetime of a sign-in: refreshing never extends it, so a
    /// stolen refresh token cannot be kept alive forever.
    pub refresh_family_lifetime_secs: u64,
    /// Rotate a generated signing key after this many seconds (publish the
    /// next key, activate it, retire the old one); 0 means never.
    pub rotate_after_secs: u64,
    /// Clock-skew allowance.
    pub leeway_secs: u64,
}

impl Default for JwtSection {
    fn default() -> Self {
        Self {
            algorithm: rampart_auth::Algorithm::ES256,
            secret: None,
            secret_base64: None,
            key_id: String::new(),
            key_file: String::new(),
            issuer: "secure-api".into(),
            audience: "secure-api".into(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 1_209_600,
            refresh_family_lifetime_secs: 2_592_000,
            rotate_after_secs: 0,
            leeway_secs: 30,
        }
    }
}

impl JwtSection {
    /// The library configuration this section describes.
    pub fn to_jwt_config(&self) -> rampart_auth::JwtConfig {
        rampart_auth::JwtConfig {
            algorithm: self.algorithm,
            secret: self.secret.clone(),
            secret_base64: self.secret_base64.clone(),
            key_id: (!self.key_id.is_empty()).then(|| self.key_id.clone()),
            private_key_file: (!self.key_file.is_empty()).then(|| PathBuf::from(&self.key_file)),
            issuer: Some(self.issuer.clone()),
            audience: vec![self.audience.clone()],
            access_ttl_secs: self.access_ttl_secs,
            refresh_ttl_secs: self.refresh_ttl_secs,
            refresh_family_lifetime_secs: self.refresh_family_lifetime_secs,
            rotate_after_secs: (self.rotate_after_secs > 0).then_some(self.rotate_after_secs),
            leeway_secs: self.leeway_secs,
            ..rampart_auth::JwtConfig::default()
        }
    }
}

fn empty_is_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<rampart_auth::Secret>, D::Error> {
    let text = zeroize::Zeroizing::new(String::deserialize(d)?);
    Ok((!text.is_empty()).then(|| rampart_auth::Secret::new(text.as_str())))
}

/// `[http]`: how the app sits on the network.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// CIDR blocks of trusted reverse proxies.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Browser front-ends allowed through CORS and CSRF.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Whether browsers reach the app over plain `http://`. CSRF's
    /// `Origin`/`Referer` fallback compares whole origins, scheme included, and
    /// an HTTP/1.1 request does not say its scheme: without this the app
    /// expects `https://`, as behind a TLS-terminating proxy. On for local
    /// development in the built-in config; turn it off in production.
    #[serde(default)]
    pub insecure_plain_http: bool,
    /// Redirect plain-HTTP `GET`/`HEAD` to HTTPS and refuse other methods
    /// (`/health` excepted, for load balancers), learning the scheme from
    /// the trusted proxies' `X-Forwarded-Proto`. Default: on exactly when
    /// `insecure_plain_http` is off.
    #[serde(default)]
    pub https_only: Option<bool>,
}

impl HttpConfig {
    /// Whether plain-HTTP requests are redirected or refused.
    pub fn https_only(&self) -> bool {
        self.https_only.unwrap_or(!self.insecure_plain_http)
    }
}

/// `[server]`: what a client may hold of the server, so that slow or idle
/// connections (slowloris) cannot starve the others. Every value must be
/// positive: a zero would mean "no limit", which is the weakness this closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Seconds a client has to send a request's line and headers, counted
    /// from when the server starts waiting for them (an idle keep-alive
    /// connection included). Default 10.
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send the whole request body, counted from the
    /// end of its headers (`408` problem after). Default 15.
    pub request_body_timeout_secs: u64,
    /// Seconds a request may take from its headers to its response
    /// (`503` problem after). Default 30.
    pub request_timeout_secs: u64,
    /// Connections served at once; further clients wait in the listen
    /// backlog until one closes. Default 1024.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            request_body_timeout_secs: 15,
            request_timeout_secs: 30,
            max_connections: 1024,
        }
    }
}

impl ServerConfig {
    /// Checks that every limit is set.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key that is zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("request_body_timeout_secs", self.request_body_timeout_secs),
            ("request_timeout_secs", self.request_timeout_secs),
            ("max_connections", self.max_connections as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!(
                    "[server] {key} must be at least 1"
                )));
            }
        }
        Ok(())
    }
}

/// `[passwords]`: argon2 checks are memory-hard, so only a few run at once
/// and logins beyond them get `503` + `Retry-After`; `[passwords.policy]`
/// is the password policy (`max_age_days` makes old passwords expire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordsConfig {
    /// Checks running at once. Default: one per CPU.
    pub max_concurrent: Option<usize>,
    /// Checks waiting for a slot before more are refused. Default: as many as
    /// `max_concurrent`.
    pub max_queued: Option<usize>,
    /// `Retry-After` of the `503`, in seconds. Default 1.
    pub retry_after_secs: Option<u64>,
    /// The password policy: rampart's `[password]` keys (NIST defaults).
    pub policy: rampart_auth::password::PasswordPolicyConfig,
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown keys.
    #[error("invalid config {origin}: {message}")]
    Parse {
        /// Which document.
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// `RAMPART_ADDR` is not `host:port`.
    #[error("RAMPART_ADDR `{0}` is not an address such as 127.0.0.1:8080")]
    Addr(String),
    /// A value is invalid.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl AppConfig {
    /// Reads `RAMPART_ADDR`, `RAMPART_CONFIG` and `REDIS_URL` from `env`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable, file or key that is wrong.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let addr_text = env("RAMPART_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let addr = addr_text
            .parse()
            .map_err(|_| ConfigError::Addr(addr_text.clone()))?;
        let source = env("RAMPART_CONFIG")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        let user_text = match &source {
            Some(path) => Some(read(path)?),
            None => None,
        };
        let mut config = Self::from_documents(addr, source, user_text.as_deref())?;
        config.redis_url = env("REDIS_URL").filter(|u| !u.is_empty());
        config.mfa_key = env("RAMPART_MFA_KEY").filter(|k| !k.is_empty());
        config.field_key = env("RAMPART_FIELD_KEY").filter(|k| !k.is_empty());
        let mut audit = config.audit.take().unwrap_or_else(|| {
            let mut audit = rampart_audit::AuditConfig::default();
            audit.path = PathBuf::from(DEFAULT_AUDIT_LOG);
            audit
        });
        if let Some(path) = env("RAMPART_AUDIT_LOG").filter(|p| !p.is_empty()) {
            audit.path = PathBuf::from(path);
        }
        if let Some(url) = env("DATABASE_URL").filter(|u| !u.is_empty()) {
            audit.database_url = Some(url.into());
        }
        config.audit = Some(audit);
        Ok(config)
    }

    /// Builds the config from the defaults and an optional user document.
    ///
    /// # Errors
    /// A [`ConfigError::Parse`] with the offending line.
    pub fn from_documents(
        addr: SocketAddr,
        source: Option<PathBuf>,
        user: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let defaults = parse(DEFAULT_CONFIG, "built-in defaults")?;
        let user = match user {
            Some(text) => parse(
                text,
                &source
                    .as_deref()
                    .map_or_else(|| "document".to_owned(), |p| p.display().to_string()),
            )?,
            None => FileConfig::default(),
        };
        Ok(Self {
            addr,
            source,
            redis_url: None,
            mfa_key: None,
            field_key: None,
            jwt: user.jwt.or(defaults.jwt).unwrap_or_default(),
            http: user.http.or(defaults.http).unwrap_or_default(),
            server: user.server.or(defaults.server).unwrap_or_default(),
            passwords: user.passwords.or(defaults.passwords).unwrap_or_default(),
            rbac: user.rbac.or(defaults.rbac).unwrap_or_default(),
            ratelimit: user.ratelimit.or(defaults.ratelimit).unwrap_or_default(),
            audit: user.audit.or(defaults.audit),
            users: user.users.or(defaults.users).unwrap_or_default(),
        })
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

fn parse(text: &str, origin: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        origin: origin.to_owned(),
        message: e.to_string(),
    })
}
