//! The serde configuration (an application's `[audit]` section) and the
//! trail it opens.

use crate::checkpoint::{SigningKey, VerifyingKey};
use crate::erasure::{SubjectKeys, write_private};
use crate::error::ConfigError;
use crate::layer::{AuditLayer, RecordMode};
use crate::pipeline::{AuditLog, Overflow};
use crate::redact::Redactor;
use crate::retention::Retention;
use crate::retention_prune::PruneReport;
use crate::rules::{RuleEngine, RuleEngineBuilder, RuleStats};
use crate::sink::{AuditSink, FileSink, FileSinkOptions};
use crate::verify::{VerifyOptions, VerifyReport, verify};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// An `[audit]` section.
///
/// ```
/// use rampart_audit::AuditConfig;
///
/// let config: AuditConfig = toml::from_str(r#"
///     path = "./secure-api-audit.jsonl"
///     checkpoint_every = 500
///     redact = ["iban"]
///     rotate_interval_secs = 86400    # also rotate at every UTC midnight
///
///     [retention]                     # `[audit.retention]` in the application's file
///     access_days = 400
///
///     [rules]                         # `[audit.rules]`: threat rules, on by default
///     enabled = true
/// "#).unwrap();
/// assert_eq!(config.path.to_str(), Some("./secure-api-audit.jsonl"));
/// assert!(config.fsync);
/// assert_eq!(config.retention.access_days, 400);
/// assert_eq!(config.retention.security_days, 2557); // the default, 7 years
/// assert!(config.rules.enabled);
/// ```
///
/// # Threat rules
///
/// Unless `[audit.rules] enabled = false`, the trail runs the recommended
/// [rules](crate::rules) (brute force per subject and per address, detected
/// attacks, rate-limit abuse, repeated denials, self-escalation) and writes
/// their `security.alert.*` events into the same chain. Alerts alone change
/// nothing; responses (block an address, lock an account) need responders
/// the configuration cannot name, so the application attaches them with
/// [`open_with`](Self::open_with).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AuditConfig {
    /// The JSONL file. Default `./audit.jsonl`.
    pub path: PathBuf,
    /// The Ed25519 signing key (base64 PKCS#8). Default `<path>.key`; when the
    /// file does not exist a key is made, with its public half in `<path>.pub`.
    pub signing_key: Option<PathBuf>,
    /// A subject key file: personal data is encrypted per subject so subjects
    /// can be erased. Default none (personal data in clear).
    pub subject_keys: Option<PathBuf>,
    /// Sign a checkpoint after this many records. Default 1000.
    pub checkpoint_every: u64,
    /// Queue capacity. Default 65,536.
    pub queue_capacity: usize,
    /// What a full queue does. Default `block`.
    pub overflow: Overflow,
    /// Rotate the file at this size; 0 never. Default 64 MiB.
    pub rotate_bytes: u64,
    /// Also rotate when the clock crosses a multiple of this many seconds
    /// (86,400: daily at UTC midnight); 0 never. Default 0.
    pub rotate_interval_secs: u64,
    /// How long each category of record is kept (`[audit.retention]`). After
    /// every rotation, rotated files whose records have all outlived their
    /// period are removed, oldest first. Default: security 7 years, access
    /// 3 years, system 1 year; set a category's days to 0 to keep it forever.
    pub retention: Retention,
    /// fsync after every batch. Default true.
    pub fsync: bool,
    /// Which requests the layer records: `all`, `mutating` or `failures`. Default `all`.
    pub record: RecordMode,
    /// Metadata key fragments redacted besides the defaults.
    pub redact: Vec<String>,
    /// A PostgreSQL database the trail also goes to (`postgres://user@host/db`),
    /// beside the file: needs the crate's `postgres` feature. Default none.
    pub database_url: Option<DatabaseUrl>,
    /// The table in that database (`name` or `schema.name`). Default `rampart_audit`.
    pub table: Option<String>,
    /// Threat rules over the trail (`[audit.rules]`). Default: on, with the
    /// recommended rules.
    pub rules: RulesConfig,
}

/// An `[audit.rules]` section.
///
/// Only the switch: the rules' thresholds are the recommended ones, and an
/// application wanting others builds its own [`RuleEngine`] and gives it to
/// [`AuditLogBuilder::rules`](crate::AuditLogBuilder::rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RulesConfig {
    /// Run the recommended rules. Default true: a trail that records ten
    /// thousand failed sign-ins without saying so helps nobody until someone
    /// reads it.
    pub enabled: bool,
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// A database connection string. It may hold a password, so its `Debug`
/// prints none of it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The connection string.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl([redacted])")
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> Self {
        Self(url.to_owned())
    }
}

impl Default for AuditConfig {
    fn default() -> Self {
        let file = FileSinkOptions::default();
        Self {
            path: PathBuf::from("./audit.jsonl"),
            signing_key: None,
            subject_keys: None,
            checkpoint_every: 1000,
            queue_capacity: 65_536,
            overflow: Overflow::Block,
            rotate_bytes: file.rotate_bytes,
            rotate_interval_secs: file.rotate_interval_secs,
            retention: Retention::default(),
            fsync: file.fsync,
            record: RecordMode::All,
            redact: Vec::new(),
            database_url: None,
            table: None,
            rules: RulesConfig::default(),
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl AuditConfig {
    /// The signing key's path.
    pub fn signing_key_path(&self) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| with_suffix(&self.path, ".key"))
    }

    /// The recommended rules, or `None` when `[audit.rules]` turns them off:
    /// what [`open_with`](Self::open_with) completes.
    pub fn rules(&self) -> Option<RuleEngineBuilder> {
        self.rules.enabled.then(RuleEngine::builder)
    }

    /// Loads (or makes) the key, resumes the file's chain and starts the
    /// writer; with a `database_url`, the trail goes to the file and the
    /// table (see `PostgresSink`, `postgres` feature, for what happens when
    /// the server is down). The server must be reachable here.
    ///
    /// Threat rules raise alerts but take no action: see
    /// [`open_with`](Self::open_with).
    pub fn open(&self) -> Result<AuditTrail, ConfigError> {
        self.open_with(|rules| rules)
    }

    /// [`open`](Self::open), with the rules completed by `complete` before
    /// the trail starts: responses, responders and a spawner, which only
    /// the application can supply. `complete` is not called when the rules
    /// are turned off.
    ///
    /// ```
    /// use rampart_audit::AuditConfig;
    /// use rampart_audit::rules::Respond;
    /// use rampart_core::{ResponseAction, ResponseOutcome};
    /// use std::time::Duration;
    ///
    /// # let dir = std::env::temp_dir().join(format!("rampart-doc-open-with-{}", std::process::id()));
    /// let mut config = AuditConfig::default();
    /// config.path = dir.join("audit.jsonl");
    /// // In an application: a LoginThrottle, a RevocationResponder.
    /// let responder = |_action: ResponseAction| async {
    ///     Ok(ResponseOutcome::Applied { detail: "done".into() })
    /// };
    /// let trail = config.open_with(|rules| {
    ///     rules
    ///         .respond_to("failed_logins_per_ip", Respond::BlockClient(Duration::from_secs(3600)))
    ///         .responder(responder)
    /// })?;
    /// assert!(trail.rule_stats().is_some());
    /// # trail.log().shutdown()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`open`](Self::open), and [`ConfigError::Invalid`] when the
    /// completed rules do not build (a response attached to a rule that
    /// does not exist, a zero duration).
    pub fn open_with(
        &self,
        complete: impl FnOnce(RuleEngineBuilder) -> RuleEngineBuilder,
    ) -> Result<AuditTrail, ConfigError> {
        #[cfg(feature = "postgres")]
        let table = self.table()?;
        #[cfg(not(feature = "postgres"))]
        if self.database_url.is_some() || self.table.is_some() {
            return Err(ConfigError::Invalid(
                "database_url and table need rampart-audit's `postgres` feature".into(),
            ));
        }
        let key_path = self.signing_key_path();
        let signer = match std::fs::read_to_string(&key_path) {
            Ok(text) => SigningKey::from_pkcs8_base64(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (key, text) = SigningKey::generate()?;
                if let Some(dir) = key_path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(&key_path, text.as_bytes())?;
                std::fs::write(
                    with_suffix(&self.path, ".pub"),
                    key.verifying_key().to_base64() + "\n",
                )?;
                tracing::info!(target: "rampart::audit", key = %key_path.display(), "made a new audit signing key");
                key
            }
            Err(e) => return Err(e.into()),
        };
        let public = signer.verifying_key();
        let file = FileSink::new(
            &self.path,
            FileSinkOptions::default()
                .rotate_bytes(self.rotate_bytes)
                .rotate_interval_secs(self.rotate_interval_secs)
                .retention(self.retention)
                .fsync(self.fsync),
        );
        #[cfg(feature = "postgres")]
        let sink: Box<dyn AuditSink> = match &table {
            // The file first: the chain resumes from it, so it is the authoritative copy.
            Some(table) => Box::new(
                crate::sink::FanOut::new()
                    .with(file)
                    .with(crate::sink::PostgresSink::new(table.clone()).retention(self.retention)),
            ),
            None => Box::new(file),
        };
        #[cfg(not(feature = "postgres"))]
        let sink: Box<dyn AuditSink> = Box::new(file);
        let mut builder = AuditLog::builder(sink, signer)
            .checkpoint_every(self.checkpoint_every)
            .queue_capacity(self.queue_capacity)
            .overflow(self.overflow)
            .redactor(Redactor::default().also(self.redact.iter().cloned()));
        if let Some(keys) = &self.subject_keys {
            builder = builder.subject_keys(SubjectKeys::open(keys)?);
        }
        let mut rule_stats = None;
        if let Some(rules) = self.rules() {
            let engine = complete(rules).build()?;
            rule_stats = Some(engine.stats());
            builder = builder.rules(engine);
        }
        Ok(AuditTrail {
            log: builder.build()?,
            rules: rule_stats,
            public,
            path: self.path.clone(),
            record: self.record,
            #[cfg(feature = "postgres")]
            table,
        })
    }

    /// The PostgreSQL table, when `database_url` is set.
    #[cfg(feature = "postgres")]
    fn table(&self) -> Result<Option<crate::sink::PostgresTable>, ConfigError> {
        match (&self.database_url, &self.table) {
            (Some(url), table) => crate::sink::PostgresTable::new(
                url.expose(),
                table.as_deref().unwrap_or(crate::sink::DEFAULT_TABLE),
            )
            .map(Some),
            (None, Some(_)) => Err(ConfigError::Invalid(
                "table is set but database_url is not".into(),
            )),
            (None, None) => Ok(None),
        }
    }
}

/// An open trail: its log, its layer and its verification.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    log: AuditLog,
    rules: Option<RuleStats>,
    public: VerifyingKey,
    path: PathBuf,
    record: RecordMode,
    #[cfg(feature = "postgres")]
    table: Option<crate::sink::PostgresTable>,
}

impl AuditTrail {
    /// The log (an `EventSink` for the other layers).
    pub fn log(&self) -> &AuditLog {
        &self.log
    }

    /// An [`AuditLayer`] over the log with the configured record mode; add
    /// the rejection types to read with [`AuditLayer::rejection`].
    pub fn layer(&self) -> AuditLayer {
        AuditLayer::new(self.log.clone()).record(self.record)
    }

    /// The threat rules' counters (alerts raised, responses applied and
    /// failed), or `None` when the rules are off.
    pub fn rule_stats(&self) -> Option<&RuleStats> {
        self.rules.as_ref()
    }

    /// The public key checkpoints verify with.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// Removes the rotated files whose records have all outlived their
    /// category's retention at `now`, oldest first, and records an
    /// `audit.retention.pruned` event; the writer also does this after every
    /// rotation. See [`AuditLog::prune`].
    pub fn prune(&self, now: std::time::SystemTime) -> std::io::Result<PruneReport> {
        self.log.prune(now)
    }

    /// Flushes what is queued, then verifies the file set, ignoring a last
    /// line the writer may be appending at that moment: the report for
    /// `GET /admin/audit/verify`. Blocking file I/O: call it from
    /// `spawn_blocking` in an async handler.
    ///
    /// With a `database_url`, the file is the authoritative copy: the chain
    /// resumes from it, and the table may lack the batch that was in flight
    /// when the process died. `AuditTrail::verify_table` (`postgres` feature)
    /// checks the table.
    pub fn verify(&self) -> std::io::Result<VerifyReport> {
        let _ = self.log.flush();
        verify(
            &self.path,
            &self.public,
            VerifyOptions::default().live(true),
        )
    }

    /// The PostgreSQL table the trail also goes to, if any.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub fn table(&self) -> Option<&crate::sink::PostgresTable> {
        self.table.as_ref()
    }

    /// Flushes what is queued, then verifies the PostgreSQL table; `None`
    /// without one. Blocking I/O: call it from `spawn_blocking` in an async handler.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub fn verify_table(&self) -> std::io::Result<Option<VerifyReport>> {
        let _ = self.log.flush();
        self.table
            .as_ref()
            .map(|t| t.verify(&self.public, VerifyOptions::default()))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditEvent, types};

    #[test]
    fn opens_makes_a_key_once_and_verifies() {
        let dir = crate::test_dir("config");
        let config = AuditConfig {
            path: dir.join("logs/audit.jsonl"),
            ..AuditConfig::default()
        };
        let trail = config.open().unwrap();
        trail
            .log()
            .record(AuditEvent::new(types::DATA_READ))
            .unwrap();
        let report = trail.verify().unwrap();
        assert!(report.ok);
        assert_eq!(report.events, 1);
        trail.log().shutdown().unwrap();
        let public = std::fs::read_to_string(dir.join("logs/audit.jsonl.pub")).unwrap();
        assert_eq!(public.trim(), trail.verifying_key().to_base64());
        let again = config.open().unwrap();
        assert_eq!(
            again.verifying_key(),
            trail.verifying_key(),
            "the key is reused"
        );
        again.log().shutdown().unwrap();
        assert_eq!(again.verify().unwrap().events, 1);
    }

    #[test]
    fn the_database_url_is_read_and_never_printed() {
        let config: AuditConfig = toml::from_str(
            "database_url = \"postgres://audit:s3cret@db/app\"\ntable = \"audit.trail\"",
        )
        .unwrap();
        assert_eq!(
            config.database_url.as_ref().map(DatabaseUrl::expose),
            Some("postgres://audit:s3cret@db/app")
        );
        assert_eq!(config.table.as_deref(), Some("audit.trail"));
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn database_settings_are_checked_when_opening() {
        let dir = crate::test_dir("config-db");
        let bad = [
            (None, Some("rampart_audit")),
            (Some("postgres://u@h/db"), Some("Robert'); DROP TABLE x;--")),
            (Some("not a url = = ="), None),
        ];
        for (url, table) in bad {
            let config = AuditConfig {
                path: dir.join("a.jsonl"),
                database_url: url.map(DatabaseUrl::from),
                table: table.map(str::to_owned),
                ..AuditConfig::default()
            };
            let Err(ConfigError::Invalid(why)) = config.open() else {
                panic!("{url:?} {table:?} opened");
            };
            assert!(!why.is_empty());
        }
    }

    fn failed_logins(log: &AuditLog, n: usize) {
        for i in 0..n {
            log.record(
                AuditEvent::new(types::AUTH_LOGIN_FAILURE)
                    .subject(format!("user{i}"))
                    .client_ip("203.0.113.9"),
            )
            .unwrap();
        }
    }

    #[test]
    fn the_recommended_rules_run_unless_turned_off() {
        let dir = crate::test_dir("config-rules");
        let on: AuditConfig =
            toml::from_str(&format!("path = {:?}", dir.join("on.jsonl"))).unwrap();
        assert!(on.rules.enabled, "on by default");
        let trail = on.open().unwrap();
        failed_logins(trail.log(), 20);
        trail.log().shutdown().unwrap();
        assert_eq!(trail.rule_stats().map(RuleStats::alerts), Some(1));
        let text = std::fs::read_to_string(dir.join("on.jsonl")).unwrap();
        assert!(text.contains(types::SECURITY_ALERT_BRUTE_FORCE), "{text}");
        assert!(trail.verify().unwrap().ok);

        let off: AuditConfig = toml::from_str(&format!(
            "path = {:?}\n[rules]\nenabled = false",
            dir.join("off.jsonl")
        ))
        .unwrap();
        let trail = off
            .open_with(|_| panic!("not called when the rules are off"))
            .unwrap();
        assert!(off.rules().is_none());
        failed_logins(trail.log(), 40);
        trail.log().shutdown().unwrap();
        assert!(trail.rule_stats().is_none());
        let text = std::fs::read_to_string(dir.join("off.jsonl")).unwrap();
        assert!(!text.contains("security.alert."), "{text}");
        assert!(toml::from_str::<AuditConfig>("[rules]\nenabeld = false").is_err());
    }

    #[test]
    fn responses_attached_when_opening_run_and_land_in_the_chain() {
        use rampart_core::{ResponseAction, ResponseOutcome};
        let dir = crate::test_dir("config-respond");
        let config = AuditConfig {
            path: dir.join("a.jsonl"),
            ..AuditConfig::default()
        };
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let trail = config
            .open_with(|rules| {
                rules
                    .respond_to(
                        "failed_logins_per_ip",
                        crate::rules::Respond::BlockClient(std::time::Duration::from_secs(60)),
                    )
                    .responder(move |action: ResponseAction| {
                        record.lock().unwrap().push(action);
                        async {
                            Ok(ResponseOutcome::Applied {
                                detail: "ok".into(),
                            })
                        }
                    })
            })
            .unwrap();
        failed_logins(trail.log(), 20);
        trail.log().shutdown().unwrap();
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(trail.rule_stats().unwrap().responses_applied(), 1);
        let text = std::fs::read_to_string(&config.path).unwrap();
        assert!(text.contains("security.response.block_client"), "{text}");
        assert!(trail.verify().unwrap().ok);

        // A response to a rule that does not exist is refused at opening.
        let bad = config.open_with(|rules| {
            rules.respond_to("no_such_rule", crate::rules::Respond::RevokeTokens)
        });
        assert!(matches!(bad, Err(ConfigError::Invalid(why)) if why.contains("no_such_rule")));
    }

    #[test]
    fn unknown_keys_and_a_bad_key_file_are_errors() {
        assert!(toml::from_str::<AuditConfig>("paht = \"x\"").is_err());
        let dir = crate::test_dir("config-bad");
        std::fs::write(dir.join("bad.key"), "garbage").unwrap();
        let config = AuditConfig {
            path: dir.join("a.jsonl"),
            signing_key: Some(dir.join("bad.key")),
            ..AuditConfig::default()
        };
        assert!(matches!(config.open(), Err(ConfigError::Key(_))));
    }
}
