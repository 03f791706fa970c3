//! serde forms of the validators' settings, for TOML or JSON configuration.
//! Every field is optional and defaults to the builder's (secure) default.

use ipnet::IpNet;
use serde::Deserialize;

use super::{JsonLimits, SqlDialect, SqlGuard, TenantPredicate, UploadPolicy, UrlPolicy};

/// A setting that cannot be used as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateConfigError {
    /// An allowed network is not a CIDR (`10.0.0.0/8`).
    #[error("`{0}` is not a CIDR network such as 10.0.0.0/8")]
    InvalidNetwork(String),
    /// A tenant predicate names no column, or both or neither of a
    /// placeholder and a literal.
    #[error("tenant predicate needs a column and exactly one of `placeholder` or `literal`")]
    InvalidTenant,
    /// A limit of zero, which would refuse everything.
    #[error("`{0}` must be greater than zero")]
    ZeroLimit(&'static str),
}

/// [`UrlPolicy`] settings.
///
/// ```
/// use rampart_sanitize::validate::UrlPolicyConfig;
///
/// let config: UrlPolicyConfig = toml::from_str(r#"
///     schemes = ["https"]
///     ports = [443, 8443]
///     insecure_allow_nets = ["10.20.0.0/16"]
/// "#).unwrap();
/// let policy = config.build().unwrap();
/// assert!(policy.check("https://10.20.1.1:8443/").is_ok());
/// assert!(policy.check("https://10.21.1.1/").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UrlPolicyConfig {
    /// Allowed schemes (default `["https"]`).
    pub schemes: Option<Vec<String>>,
    /// Allowed ports (default any).
    pub ports: Option<Vec<u16>>,
    /// Internal networks let through (default none).
    pub insecure_allow_nets: Vec<String>,
    /// Hosts refused with their subdomains.
    pub deny_hosts: Vec<String>,
    /// Allow single-label names (default false).
    pub insecure_allow_single_label_hosts: bool,
    /// Longest URL in bytes (default 2048).
    pub max_length: Option<usize>,
}

impl UrlPolicyConfig {
    /// The policy these settings describe.
    ///
    /// # Errors
    /// [`ValidateConfigError::InvalidNetwork`] or a zero `max_length`.
    pub fn build(&self) -> Result<UrlPolicy, ValidateConfigError> {
        let mut policy = UrlPolicy::new();
        if let Some(schemes) = &self.schemes {
            policy = policy.allow_schemes(schemes.iter().cloned());
        }
        if let Some(ports) = &self.ports {
            policy = policy.allow_ports(ports.iter().copied());
        }
        for net in &self.insecure_allow_nets {
            let parsed: IpNet = net
                .parse()
                .map_err(|_| ValidateConfigError::InvalidNetwork(net.clone()))?;
            policy = policy.insecure_allow_net(parsed);
        }
        for host in &self.deny_hosts {
            policy = policy.deny_host(host.clone());
        }
        if self.insecure_allow_single_label_hosts {
            policy = policy.insecure_allow_single_label_hosts();
        }
        if let Some(max) = self.max_length {
            if max == 0 {
                return Err(ValidateConfigError::ZeroLimit("max_length"));
            }
            policy = policy.max_length(max);
        }
        Ok(policy)
    }
}

/// [`JsonLimits`] settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JsonLimitsConfig {
    /// Largest body in bytes (default 1 MiB).
    pub max_bytes: Option<usize>,
    /// Deepest nesting (default 32).
    pub max_depth: Option<usize>,
    /// Most object keys (default 10,000).
    pub max_keys: Option<usize>,
    /// Most array elements (default 100,000).
    pub max_elements: Option<usize>,
    /// Longest string in characters (default 10,000).
    pub max_string_chars: Option<usize>,
}

impl JsonLimitsConfig {
    /// The limits these settings describe.
    ///
    /// # Errors
    /// [`ValidateConfigError::ZeroLimit`] for a zero size or depth.
    pub fn build(&self) -> Result<JsonLimits, ValidateConfigError> {
        let mut limits = JsonLimits::new();
        if let Some(v) = self.max_bytes {
            limits = limits.max_bytes(nonzero(v, "max_bytes")?);
        }
        if let Some(v) = self.max_depth {
            limits = limits.max_depth(nonzero(v, "max_depth")?);
        }
        if let Some(v) = self.max_keys {
            limits = limits.max_keys(v);
        }
        if let Some(v) = self.max_elements {
            limits = limits.max_elements(v);
        }
        if let Some(v) = self.max_string_chars {
            limits = limits.max_string_chars(v);
        }
        Ok(limits)
    }
}

/// [`UploadPolicy`] settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadPolicyConfig {
    /// Largest file in bytes (default 10 MiB).
    pub max_size: Option<u64>,
    /// Extensions checked by magic bytes (`png`, `pdf`...).
    pub extensions: Vec<String>,
    /// Plain-text extensions (`txt`, `csv`...).
    pub text_extensions: Vec<String>,
}

impl UploadPolicyConfig {
    /// The policy these settings describe.
    ///
    /// # Errors
    /// [`ValidateConfigError::ZeroLimit`] for a zero `max_size`.
    pub fn build(&self) -> Result<UploadPolicy, ValidateConfigError> {
        let mut policy = UploadPolicy::new()
            .allow_extensions(&self.extensions)
            .allow_text_extensions(&self.text_extensions);
        if let Some(max) = self.max_size {
            if max == 0 {
                return Err(ValidateConfigError::ZeroLimit("max_size"));
            }
            policy = policy.max_size(max);
        }
        Ok(policy)
    }
}

/// The tenant predicate in [`SqlGuardConfig`]: a column and either a
/// placeholder or a literal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantConfig {
    /// The column, e.g. `tenant_id`.
    pub column: String,
    /// The bind parameter, e.g. `$1`.
    pub placeholder: Option<String>,
    /// Or a literal value.
    pub literal: Option<String>,
}

/// [`SqlGuard`] settings.
///
/// ```
/// use rampart_sanitize::validate::SqlGuardConfig;
///
/// let config: SqlGuardConfig = toml::from_str(r#"
///     tables = ["items"]
///     tenant = { column = "tenant_id", placeholder = "$1" }
/// "#).unwrap();
/// let guard = config.build().unwrap();
/// assert!(guard.check("SELECT * FROM items WHERE tenant_id = $1").is_ok());
/// assert!(guard.check("SELECT * FROM items").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqlGuardConfig {
    /// `postgresql` (default), `mysql`, `sqlite`, `mssql`, `ansi`, `generic`.
    pub dialect: Option<SqlDialectName>,
    /// Tables a query may read (tenant-scoped when a tenant is set).
    pub tables: Vec<String>,
    /// Tables read without the tenant predicate.
    pub unscoped_tables: Vec<String>,
    /// The tenant predicate.
    pub tenant: Option<TenantConfig>,
    /// More functions to refuse.
    pub deny_functions: Vec<String>,
    /// Allow tenant-scoped INSERT, UPDATE and DELETE (default false).
    pub allow_writes: bool,
    /// Longest statement in bytes (default 16 KiB).
    pub max_length: Option<usize>,
}

/// A dialect's name in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SqlDialectName {
    /// PostgreSQL.
    Postgresql,
    /// MySQL.
    Mysql,
    /// SQLite.
    Sqlite,
    /// SQL Server.
    Mssql,
    /// ANSI SQL.
    Ansi,
    /// sqlparser's generic dialect.
    Generic,
}

impl SqlGuardConfig {
    /// The guard these settings describe.
    ///
    /// # Errors
    /// [`ValidateConfigError::InvalidTenant`] or a zero `max_length`.
    pub fn build(&self) -> Result<SqlGuard, ValidateConfigError> {
        let dialect = match self.dialect.unwrap_or(SqlDialectName::Postgresql) {
            SqlDialectName::Postgresql => SqlDialect::PostgreSql,
            SqlDialectName::Mysql => SqlDialect::MySql,
            SqlDialectName::Sqlite => SqlDialect::Sqlite,
            SqlDialectName::Mssql => SqlDialect::MsSql,
            SqlDialectName::Ansi => SqlDialect::Ansi,
            SqlDialectName::Generic => SqlDialect::Generic,
        };
        let mut guard = SqlGuard::new()
            .dialect(dialect)
            .allow_tables(&self.tables)
            .allow_unscoped_tables(&self.unscoped_tables)
            .deny_functions(&self.deny_functions);
        if let Some(tenant) = &self.tenant {
            let predicate = match (&tenant.placeholder, &tenant.literal) {
                _ if tenant.column.trim().is_empty() => {
                    return Err(ValidateConfigError::InvalidTenant);
                }
                (Some(p), None) => TenantPredicate::placeholder(&tenant.column, p),
                (None, Some(l)) => TenantPredicate::literal(&tenant.column, l),
                _ => return Err(ValidateConfigError::InvalidTenant),
            };
            guard = guard.tenant(predicate);
        }
        if self.allow_writes {
            guard = guard.allow_writes();
        }
        if let Some(max) = self.max_length {
            guard = guard.max_length(nonzero(max, "max_length")?);
        }
        Ok(guard)
    }
}

fn nonzero(value: usize, name: &'static str) -> Result<usize, ValidateConfigError> {
    if value == 0 {
        Err(ValidateConfigError::ZeroLimit(name))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_configs_are_the_secure_defaults() {
        let url = UrlPolicyConfig::default().build().unwrap();
        assert!(url.check("http://example.com/").is_err());
        assert!(url.check("https://example.com/").is_ok());
        assert_eq!(
            JsonLimitsConfig::default().build().unwrap(),
            JsonLimits::new()
        );
        let upload = UploadPolicyConfig::default().build().unwrap();
        assert!(upload.check("a.png", b"\x89PNG\r\n\x1a\n").is_err());
        let sql = SqlGuardConfig::default().build().unwrap();
        assert!(sql.check("SELECT * FROM items").is_err());
        assert!(sql.check("SELECT 1").is_ok());
    }

    #[test]
    fn settings_apply_and_mistakes_are_errors() {
        let json: JsonLimitsConfig = toml::from_str("max_depth = 2").unwrap();
        assert!(json.build().unwrap().check(b"[[[1]]]").is_err());
        let zero: JsonLimitsConfig = toml::from_str("max_depth = 0").unwrap();
        assert_eq!(
            zero.build(),
            Err(ValidateConfigError::ZeroLimit("max_depth"))
        );
        assert!(toml::from_str::<JsonLimitsConfig>("max_dept = 2").is_err());

        let bad_net: UrlPolicyConfig =
            toml::from_str(r#"insecure_allow_nets = ["10.0.0.0/33"]"#).unwrap();
        assert!(matches!(
            bad_net.build(),
            Err(ValidateConfigError::InvalidNetwork(_))
        ));
        let url: UrlPolicyConfig = toml::from_str(
            "schemes = [\"http\"]\ndeny_hosts = [\"evil.example\"]\ninsecure_allow_single_label_hosts = true",
        )
        .unwrap();
        let url = url.build().unwrap();
        assert!(url.check("http://wiki/").is_ok());
        assert!(url.check("http://a.evil.example/").is_err());

        let upload: UploadPolicyConfig =
            toml::from_str("max_size = 4\nextensions = [\"png\"]\ntext_extensions = [\"txt\"]")
                .unwrap();
        let upload = upload.build().unwrap();
        assert!(upload.check("a.txt", b"hey").is_ok());
        assert_eq!(
            upload.check("a.txt", b"hello").unwrap_err().code(),
            "file_too_large"
        );

        for tenant in [
            "tenant = { column = \"tenant_id\" }",
            "tenant = { column = \"\", placeholder = \"$1\" }",
            "tenant = { column = \"t\", placeholder = \"$1\", literal = \"a\" }",
        ] {
            let config: SqlGuardConfig = toml::from_str(tenant).unwrap();
            assert_eq!(
                config.build().unwrap_err(),
                ValidateConfigError::InvalidTenant,
                "{tenant}"
            );
        }
        let sql: SqlGuardConfig = toml::from_str(
            "dialect = \"mysql\"\ntables = [\"items\"]\nallow_writes = true\ntenant = { column = \"org\", literal = \"7\" }",
        )
        .unwrap();
        let sql = sql.build().unwrap();
        assert!(sql.check("DELETE FROM items WHERE org = 7").is_ok());
        assert!(sql.check("DELETE FROM items").is_err());
        assert!(toml::from_str::<SqlGuardConfig>("dialect = \"oracle\"").is_err());
    }
}
