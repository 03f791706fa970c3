//! Where Redis is: one node or the seed nodes of a Redis Cluster, parsed from
//! one configuration string.

use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use std::fmt;

/// A Redis address that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedisConfigError {
    /// The setting is empty, or holds an empty entry between commas.
    #[error(
        "the Redis address is empty: write one URL (redis://host:6379) or several comma-separated node URLs for Redis Cluster"
    )]
    Empty,
    /// An entry is not a Redis URL.
    #[error("`{url}` is not a Redis URL ({reason}): write redis://host:port")]
    InvalidUrl {
        /// The entry as written, its password masked.
        url: String,
        /// What the parser objected to.
        reason: String,
    },
    /// A cluster node names a database other than 0; Redis Cluster has only one.
    #[error("`{url}` selects database {db}, but Redis Cluster has only database 0: drop the /{db}")]
    ClusterDatabase {
        /// The entry as written, its password masked.
        url: String,
        /// The database it named.
        db: i64,
    },
    /// A cluster node is a Unix socket; cluster nodes announce TCP addresses.
    #[error("`{url}` is a Unix socket, but Redis Cluster nodes are reached over TCP")]
    ClusterSocket {
        /// The entry as written.
        url: String,
    },
    /// The same node is listed twice.
    #[error("the Redis node `{url}` is listed twice")]
    DuplicateNode {
        /// The entry as written, its password masked.
        url: String,
    },
}

/// Which Redis deployment the stores talk to, as configured.
///
/// One URL is a single node (or a proxy in front of several); several
/// comma-separated URLs are seed nodes of a Redis Cluster, from which the
/// client learns the whole cluster (any live seed is enough). The choice is
/// made by configuration: the same store code runs on either.
///
/// ```
/// use rampart::core::redis::RedisTarget;
///
/// let single: RedisTarget = "redis://127.0.0.1:6379".parse()?;
/// assert_eq!(single.mode(), "single node");
/// let cluster: RedisTarget = "redis://10.0.0.1:7001, redis://10.0.0.2:7001".parse()?;
/// assert_eq!(cluster.mode(), "cluster (2 nodes)");
/// assert!("redis://10.0.0.1:7001,http://x".parse::<RedisTarget>().is_err());
/// # Ok::<(), rampart::core::redis::RedisConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisTarget {
    /// One Redis server (or a proxy that speaks for a cluster).
    Single(String),
    /// The seed nodes of a Redis Cluster.
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// Parses one URL or several comma-separated node URLs (whitespace
    /// around each is ignored). Two or more URLs make a cluster.
    ///
    /// # Errors
    /// [`RedisConfigError`] naming the first entry that cannot be used.
    pub fn parse(text: &str) -> Result<Self, RedisConfigError> {
        let urls: Vec<&str> = text.split(',').map(str::trim).collect();
        if urls.iter().any(|u| u.is_empty()) {
            return Err(RedisConfigError::Empty);
        }
        let mut infos = Vec::with_capacity(urls.len());
        for url in &urls {
            let info = url
                .into_connection_info()
                .map_err(|e| RedisConfigError::InvalidUrl {
                    url: mask(url),
                    reason: e.to_string(),
                })?;
            infos.push(info);
        }
        if let [url] = urls[..] {
            return Ok(Self::Single(url.to_owned()));
        }
        let mut seen = Vec::with_capacity(infos.len());
        for (url, info) in urls.iter().zip(&infos) {
            check_cluster_node(url, info)?;
            let addr = info.addr().to_string();
            if seen.contains(&addr) {
                return Err(RedisConfigError::DuplicateNode { url: mask(url) });
            }
            seen.push(addr);
        }
        Ok(Self::Cluster(
            urls.iter().map(|u| (*u).to_owned()).collect(),
        ))
    }

    /// A single node's URL as a cluster of one seed: for a cluster whose
    /// address is given as one node (the client discovers the rest).
    ///
    /// # Errors
    /// [`RedisConfigError`] when the URL cannot name a cluster node.
    pub fn cluster_from(text: &str) -> Result<Self, RedisConfigError> {
        match Self::parse(text)? {
            Self::Single(url) => {
                let info = url.as_str().into_connection_info().map_err(|e| {
                    RedisConfigError::InvalidUrl {
                        url: mask(&url),
                        reason: e.to_string(),
                    }
                })?;
                check_cluster_node(&url, &info)?;
                Ok(Self::Cluster(vec![url]))
            }
            cluster => Ok(cluster),
        }
    }

    /// `single node` or `cluster (N nodes)`, N the seeds configured: for the
    /// start-up line, so an operator sees which deployment is in use.
    pub fn mode(&self) -> String {
        match self {
            Self::Single(_) => "single node".to_owned(),
            Self::Cluster(nodes) => format!("cluster ({} nodes)", nodes.len()),
        }
    }
}

fn check_cluster_node(url: &str, info: &ConnectionInfo) -> Result<(), RedisConfigError> {
    if let ConnectionAddr::Unix(_) = info.addr() {
        return Err(RedisConfigError::ClusterSocket { url: mask(url) });
    }
    let db = info.redis_settings().db();
    if db != 0 {
        return Err(RedisConfigError::ClusterDatabase { url: mask(url), db });
    }
    Ok(())
}

impl std::str::FromStr for RedisTarget {
    type Err = RedisConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

// The URLs may carry a password: debug output and errors show them masked.
impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single(url) => f.debug_tuple("Single").field(&mask(url)).finish(),
            Self::Cluster(nodes) => f
                .debug_tuple("Cluster")
                .field(&nodes.iter().map(|n| mask(n)).collect::<Vec<_>>())
                .finish(),
        }
    }
}

impl fmt::Display for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single(url) => f.write_str(&mask(url)),
            Self::Cluster(nodes) => {
                let masked: Vec<String> = nodes.iter().map(|n| mask(n)).collect();
                f.write_str(&masked.join(","))
            }
        }
    }
}

/// `url` with the password of its user-info part replaced by `***`.
fn mask(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split_once(':').map_or(user_info, |(u, _)| u);
            if user_info.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://***@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_url_is_a_single_node_and_several_are_a_cluster() {
        let t = RedisTarget::parse("redis://127.0.0.1:6379/2").unwrap();
        assert_eq!(t, RedisTarget::Single("redis://127.0.0.1:6379/2".into()));
        assert_eq!(t.mode(), "single node");
        let t = RedisTarget::parse(" redis://a:7001 ,redis://b:7001,redis://c:7001 ").unwrap();
        assert_eq!(
            t,
            RedisTarget::Cluster(vec![
                "redis://a:7001".into(),
                "redis://b:7001".into(),
                "redis://c:7001".into()
            ])
        );
        assert_eq!(t.mode(), "cluster (3 nodes)");
        let one = RedisTarget::cluster_from("redis://a:7001").unwrap();
        assert_eq!(one.mode(), "cluster (1 nodes)");
    }

    #[test]
    fn unusable_addresses_are_refused_with_the_reason() {
        for empty in [
            "",
            " ",
            "redis://a:1,",
            ",redis://a:1",
            "redis://a:1,,redis://b:1",
        ] {
            assert_eq!(
                RedisTarget::parse(empty),
                Err(RedisConfigError::Empty),
                "{empty:?}"
            );
        }
        let e = RedisTarget::parse("http://a:1").unwrap_err();
        assert!(matches!(e, RedisConfigError::InvalidUrl { .. }), "{e:?}");
        assert!(e.to_string().contains("http://a:1"), "{e}");
        let e = RedisTarget::parse("redis://a:1,not a url").unwrap_err();
        assert!(matches!(e, RedisConfigError::InvalidUrl { ref url, .. } if url == "not a url"));
        let e = RedisTarget::parse("redis://a:1,redis://b:1/3").unwrap_err();
        assert_eq!(
            e,
            RedisConfigError::ClusterDatabase {
                url: "redis://b:1/3".into(),
                db: 3
            }
        );
        assert!(matches!(
            RedisTarget::cluster_from("redis://a:1/1"),
            Err(RedisConfigError::ClusterDatabase { db: 1, .. })
        ));
        let e = RedisTarget::parse("redis://a:1,redis+unix:///tmp/r.sock").unwrap_err();
        assert!(matches!(e, RedisConfigError::ClusterSocket { .. }), "{e:?}");
        let e = RedisTarget::parse("redis://a:1,redis://b:1,redis://a:1").unwrap_err();
        assert_eq!(
            e,
            RedisConfigError::DuplicateNode {
                url: "redis://a:1".into()
            }
        );
    }

    #[test]
    fn passwords_never_reach_errors_or_logs() {
        let t = RedisTarget::parse("redis://app:s3cret@a:1,redis://:s3cret@b:1").unwrap();
        assert_eq!(t.to_string(), "redis://app:***@a:1,redis://:***@b:1");
        assert_eq!(
            format!("{t:?}"),
            r#"Cluster(["redis://app:***@a:1", "redis://:***@b:1"])"#
        );
        let single = RedisTarget::parse("redis://app:s3cret@a:1/2").unwrap();
        assert_eq!(format!("{single:?}"), r#"Single("redis://app:***@a:1/2")"#);
        let e = RedisTarget::parse("redis://app:s3cret@a:1,redis://app:s3cret@b:1/4").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert_eq!(mask("redis://token@a:1/0"), "redis://***@a:1/0");
        assert_eq!(mask("redis://a:1"), "redis://a:1");
    }
}
