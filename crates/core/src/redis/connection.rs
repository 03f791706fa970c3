//! One connection type for every Redis-backed store, over a single node or a
//! Redis Cluster.

use super::target::{RedisConfigError, RedisTarget};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};
use std::sync::Arc;
use std::time::Duration;

/// How long a Redis round trip or connection attempt may take before it
/// counts as a failure (and the store's fail mode applies): a request waits
/// no longer than this on an outage.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// How to reach Redis: the [`RedisTarget`] and the time one round trip may take.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart::core::redis::RedisConfig;
/// use std::time::Duration;
///
/// // From configuration: one URL, or the comma-separated nodes of a cluster.
/// let conn = RedisConfig::parse("redis://10.0.0.1:7001,redis://10.0.0.2:7001")?
///     .timeout(Duration::from_millis(250))
///     .connect()
///     .await?;
/// println!("redis: {}", conn.mode()); // "cluster (2 nodes)"
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedisConfig {
    target: RedisTarget,
    timeout: Duration,
}

impl RedisConfig {
    /// Connects to `target` with the [`DEFAULT_TIMEOUT`].
    pub fn new(target: RedisTarget) -> Self {
        Self {
            target,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Parses one URL or several comma-separated node URLs ([`RedisTarget::parse`]).
    ///
    /// # Errors
    /// [`RedisConfigError`] naming the first entry that cannot be used.
    pub fn parse(text: &str) -> Result<Self, RedisConfigError> {
        RedisTarget::parse(text).map(Self::new)
    }

    /// The round-trip and connect timeout. A zero timeout is taken as 1 ms:
    /// there is always a bound.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The configured target.
    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    /// Opens the connection: a managed connection to a single node, or a
    /// cluster connection that learns the slot map from the seeds.
    ///
    /// Both reconnect by themselves: a node that restarts or a master that
    /// fails over to its replica is used again without restarting the
    /// service. Requests made while Redis is unreachable fail after the
    /// timeout, and the store's fail mode decides what that means.
    ///
    /// # Errors
    /// Redis cannot be reached now (no seed answers for a cluster).
    pub async fn connect(&self) -> RedisResult<RedisConnection> {
        let inner = match &self.target {
            RedisTarget::Single(url) => {
                let client = redis::Client::open(url.as_str())?;
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(self.timeout))
                    .set_connection_timeout(Some(self.timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_secs(1));
                Inner::Single(client.get_connection_manager_with_config(config).await?)
            }
            RedisTarget::Cluster(nodes) => {
                // The overall timeout bounds a request with its redirections
                // (MOVED/ASK) and reconnections: twice a round trip, so one
                // redirection fits while a dead node still fails fast.
                let client = ClusterClient::builder(nodes.iter().map(String::as_str))
                    .connection_timeout(self.timeout)
                    .response_timeout(self.timeout)
                    .overall_response_timeout(Some(self.timeout.saturating_mul(2)))
                    .retries(3)
                    .min_retry_wait(10)
                    .max_retry_wait(200)
                    .build()?;
                Inner::Cluster(client.get_async_connection().await?)
            }
        };
        Ok(RedisConnection {
            inner,
            mode: Arc::from(self.target.mode()),
        })
    }
}

/// A connection to Redis shared by a store's clones, to a single node or to
/// a Redis Cluster; which one is decided by configuration ([`RedisConfig`]).
///
/// It implements [`redis::aio::ConnectionLike`], so commands, pipelines and
/// scripts run on it unchanged. On a cluster each command goes to the master
/// of its key's slot; a script or a pipeline must keep all its keys in one
/// slot (a shared `{hash tag}`), which every rampart store does. Cloning is
/// cheap and shares the underlying connections.
#[derive(Clone)]
pub struct RedisConnection {
    inner: Inner,
    mode: Arc<str>,
}

#[derive(Clone)]
enum Inner {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl RedisConnection {
    /// Connects to one URL or to several comma-separated cluster node URLs
    /// with the [`DEFAULT_TIMEOUT`]; what every store's `connect` does.
    ///
    /// # Errors
    /// The address cannot be used or Redis cannot be reached now; the
    /// message says which.
    pub async fn connect(urls: &str) -> Result<Self, ConnectError> {
        let config = RedisConfig::parse(urls)?;
        Ok(config.connect().await?)
    }

    /// Uses an existing single-node connection manager.
    pub fn from_manager(conn: ConnectionManager) -> Self {
        Self {
            inner: Inner::Single(conn),
            mode: Arc::from("single node"),
        }
    }

    /// Uses an existing cluster connection.
    pub fn from_cluster(conn: ClusterConnection) -> Self {
        Self {
            inner: Inner::Cluster(conn),
            mode: Arc::from("cluster"),
        }
    }

    /// `single node` or `cluster (N nodes)`, for the start-up line.
    pub fn mode(&self) -> &str {
        &self.mode
    }

    /// Whether this is a Redis Cluster connection.
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner, Inner::Cluster(_))
    }
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_command(cmd),
            Inner::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Inner::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Single(c) => c.get_db(),
            Inner::Cluster(c) => c.get_db(),
        }
    }
}

/// Why [`RedisConnection::connect`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The address cannot be used.
    #[error(transparent)]
    Config(#[from] RedisConfigError),
    /// Redis did not answer.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}
