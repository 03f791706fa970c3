//! Configuration: built-in defaults, a TOML file over them, environment variables over both.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default configuration shipped with the example.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

/// Everything the app needs to start.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where to listen (`RAMPART_ADDR`).
    pub addr: SocketAddr,
    /// The file the configuration was read from, if any.
    pub source: Option<PathBuf>,
    /// The `[http]` section.
    pub http: HttpConfig,
}

/// The TOML document.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    http: Option<HttpConfig>,
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
    /// Reads `RAMPART_ADDR` and `RAMPART_CONFIG` from `env`.
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
        Self::from_documents(addr, source, user_text.as_deref())
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
            http: user.http.or(defaults.http).unwrap_or_default(),
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
