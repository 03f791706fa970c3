//! The Redis deployments the store suites run against, and private clusters
//! for the tests that restart or fail over nodes.

use crate::service_url;
use std::path::PathBuf;
use std::process::Command;

/// The variable naming the shared test cluster's nodes, comma-separated
/// (`scripts/redis-cluster.sh start` makes one on ports 7001–7003).
pub const REDIS_CLUSTER_URLS: &str = "REDIS_CLUSTER_URLS";

/// Every Redis deployment a store test should run on: the single node
/// (`REDIS_URL`) and the cluster (`REDIS_CLUSTER_URLS`, comma-separated node
/// URLs, the form the stores' `connect` takes). Each unset one is skipped
/// with one printed line, or fails the test under `RAMPART_REQUIRE_SERVICES=1`.
///
/// # Panics
/// When either is unset and `RAMPART_REQUIRE_SERVICES=1`.
pub fn redis_urls(test: &str) -> Vec<String> {
    [
        service_url("REDIS_URL", test),
        service_url(REDIS_CLUSTER_URLS, test),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The shared test cluster's node URLs, or `None` after printing a skip.
///
/// # Panics
/// When unset and `RAMPART_REQUIRE_SERVICES=1`.
pub fn redis_cluster_urls(test: &str) -> Option<String> {
    service_url(REDIS_CLUSTER_URLS, test)
}

/// A Redis Cluster of its own for one destructive test (node restarts,
/// failovers, slot migrations): three masters, each with one replica, on
/// loopback ports `base + 1 ..= base + 6`, started with the repository's
/// `scripts/redis-cluster.sh` and stopped when dropped. Each test picks its
/// own `base`, so the shared cluster and other tests are never disturbed.
pub struct ScratchCluster {
    base: u16,
    /// The masters' URLs, comma-separated, as the stores' `connect` takes them.
    pub urls: String,
}

fn script() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/redis-cluster.sh"
    ))
}

impl ScratchCluster {
    /// Starts the cluster, or `None` after a printed skip when the shared
    /// cluster is not configured (no `REDIS_CLUSTER_URLS`: this machine is
    /// not set up for cluster tests).
    ///
    /// # Panics
    /// When the script fails (`redis-server` missing, ports taken), or the
    /// variable is unset under `RAMPART_REQUIRE_SERVICES=1`.
    pub fn start(base: u16, test: &str) -> Option<Self> {
        redis_cluster_urls(test)?;
        let cluster = Self {
            base,
            urls: (1..=3)
                .map(|i| format!("redis://127.0.0.1:{}", base + i))
                .collect::<Vec<_>>()
                .join(","),
        };
        cluster.run("stop");
        cluster.run("start");
        Some(cluster)
    }

    /// The port of node `n` (1..=6; 1–3 start as masters, 4–6 as replicas).
    pub fn port(&self, n: u16) -> u16 {
        self.base + n
    }

    /// Runs `redis-cli -p <port> <args>` and answers its output.
    ///
    /// # Panics
    /// When redis-cli cannot be run.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        #[allow(clippy::expect_used)]
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The port of the master serving `slot`, read from the `CLUSTER NODES`
    /// output of the first node that answers.
    ///
    /// # Panics
    /// When no node answers with a master for the slot.
    pub fn master_of(&self, slot: u16) -> u16 {
        for n in 1..=6 {
            let nodes = self.cli(self.port(n), &["cluster", "nodes"]);
            for line in nodes.lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 9 || !f[2].contains("master") || f[2].contains("fail") {
                    continue;
                }
                let serves = f[8..].iter().any(|range| {
                    let (a, b) = range.split_once('-').unwrap_or((range, range));
                    matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if a <= slot && slot <= b)
                });
                if serves {
                    let addr = f[1].split('@').next().unwrap_or_default();
                    if let Some(port) = addr.rsplit(':').next().and_then(|p| p.parse().ok()) {
                        return port;
                    }
                }
            }
        }
        panic!("no master serves slot {slot}");
    }

    /// The node id of the node on `port`.
    pub fn node_id(&self, port: u16) -> String {
        self.cli(port, &["cluster", "myid"]).trim().to_owned()
    }

    /// The port of the replica of the master on `port`.
    ///
    /// # Panics
    /// When the master has no replica.
    pub fn replica_of(&self, port: u16) -> u16 {
        let id = self.node_id(port);
        let nodes = self.cli(port, &["cluster", "nodes"]);
        nodes
            .lines()
            .filter_map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                (f.len() > 3 && f[2].contains("slave") && f[3] == id)
                    .then(|| f[1].split('@').next().unwrap_or_default().to_owned())
            })
            .find_map(|addr| addr.rsplit(':').next().and_then(|p| p.parse().ok()))
            .unwrap_or_else(|| panic!("the master on port {port} has no replica"))
    }

    /// Waits (up to 20 s) until every node that is up reports
    /// `cluster_state:ok`.
    ///
    /// # Panics
    /// When the cluster does not settle.
    pub fn wait_ok(&self) {
        for _ in 0..200 {
            let infos: Vec<String> = (1..=6)
                .map(|n| self.cli(self.port(n), &["cluster", "info"]))
                .filter(|info| !info.is_empty())
                .collect();
            if !infos.is_empty() && infos.iter().all(|i| i.contains("cluster_state:ok")) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the scratch cluster on base {} did not settle", self.base);
    }

    /// Stops the node on `port` at once, as a crash would (nothing is saved).
    pub fn kill(&self, port: u16) {
        self.cli(port, &["shutdown", "nosave"]);
    }

    /// Starts the node on `port` again with its cluster configuration: it
    /// rejoins (as a replica, if its replica was promoted meanwhile).
    ///
    /// # Panics
    /// When the node cannot be started.
    pub fn restart(&self, port: u16) {
        self.run_with(&["node", &self.base.to_string(), "1", &port.to_string()]);
    }

    fn run(&self, what: &str) {
        self.run_with(&[what, &self.base.to_string(), "1"]);
    }

    fn run_with(&self, args: &[&str]) {
        #[allow(clippy::expect_used)]
        let out = Command::new("bash")
            .arg(script())
            .args(args)
            .output()
            .expect("bash runs scripts/redis-cluster.sh");
        assert!(
            out.status.success(),
            "scripts/redis-cluster.sh {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for ScratchCluster {
    fn drop(&mut self) {
        self.run("stop");
    }
}
