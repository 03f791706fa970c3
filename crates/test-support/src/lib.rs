//! Helpers shared by rampart's own tests (not published).
//!
//! - [`service_url`]: the URL of a backing service (Redis, PostgreSQL) from
//!   the environment, or a skip that becomes a failure when
//!   `RAMPART_REQUIRE_SERVICES=1`, so CI cannot pass by skipping.
//! - [`corpus`] / [`corpus_path`]: the public attack corpora and test vectors
//!   kept in the workspace's `testdata/` (their sources and licences are in
//!   `testdata/README.md`), so a fresh clone passes its own tests.
//! - [`browser`]: the Chromium and chromedriver executables for the browser
//!   tests, or a skip that becomes a failure when `RAMPART_REQUIRE_BROWSER=1`.
//! - [`redis_urls`]: the single node and the Redis Cluster a store suite runs
//!   on (`REDIS_URL`, `REDIS_CLUSTER_URLS`); [`ScratchCluster`]: a private
//!   cluster with replicas for tests that restart or fail over nodes.
//! - [`Relay`]: a TCP relay in front of Redis that a test can cut and
//!   restore, to stage an outage mid-request.
//! - [`SecurityLog`]: captures the security events `TracingSink` writes, to
//!   prove a default-built layer reports to `tracing`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

mod redis;
mod relay;
mod security_log;
pub use redis::{REDIS_CLUSTER_URLS, ScratchCluster, redis_cluster_urls, redis_urls};
pub use relay::Relay;
pub use security_log::{SECURITY_TARGET, SecurityLog};

/// The variable that turns a skipped service-backed test into a failure.
pub const REQUIRE_SERVICES: &str = "RAMPART_REQUIRE_SERVICES";

/// The value of `var` (`REDIS_URL`, `DATABASE_URL`), or `None` after printing
/// one line saying `test` was skipped.
///
/// # Panics
/// When `var` is unset and `RAMPART_REQUIRE_SERVICES=1`.
pub fn service_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var(REQUIRE_SERVICES).as_deref() != Ok("1"),
                "{test}: {var} is not set but {REQUIRE_SERVICES}=1"
            );
            println!("skipped: {test}: {var} is not set");
            None
        }
    }
}

/// The variable that turns a skipped browser test into a failure.
pub const REQUIRE_BROWSER: &str = "RAMPART_REQUIRE_BROWSER";

/// The executables a browser test drives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserPaths {
    /// Chromium (or Chrome), run headless.
    pub chromium: PathBuf,
    /// chromedriver, the WebDriver server for it.
    pub chromedriver: PathBuf,
}

/// Chromium and chromedriver, taken from `CHROMIUM` / `CHROMEDRIVER` when set
/// and otherwise looked up on `PATH`; or `None` after printing one line saying
/// `test` was skipped.
///
/// # Panics
/// When either is missing and `RAMPART_REQUIRE_BROWSER=1`.
pub fn browser(test: &str) -> Option<BrowserPaths> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let find = |var: &str, names: &[&str]| match std::env::var_os(var) {
        Some(explicit) if !explicit.is_empty() => Some(PathBuf::from(explicit)),
        _ => names.iter().find_map(|name| find_executable(&path, name)),
    };
    let chromium = find(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some(BrowserPaths {
            chromium,
            chromedriver,
        }),
        _ => {
            assert!(
                std::env::var(REQUIRE_BROWSER).as_deref() != Ok("1"),
                "{test}: chromium or chromedriver is not installed but {REQUIRE_BROWSER}=1"
            );
            println!(
                "skipped: {test}: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

/// The first executable file called `name` in a `PATH`-style list of directories.
fn find_executable(path: &std::ffi::OsStr, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &std::path::Path) -> bool {
    path.is_file()
}

/// The path of `relative` inside the workspace's `testdata/` directory.
pub fn corpus_path(relative: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(relative)
}

/// The text of a corpus file.
///
/// # Panics
/// When the file is missing, saying where it was looked for.
pub fn corpus(relative: &str) -> String {
    let path = corpus_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "test corpus {} is missing ({e}): test data lives in the workspace's testdata/ (see its README)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn executables_are_found_on_the_path_and_plain_files_are_not() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("rampart-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tool = dir.join("tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = dir.join("data");
        std::fs::write(&data, "").unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o644)).unwrap();
        let path = std::env::join_paths(["/nonexistent-rampart".into(), dir.clone()]).unwrap();
        assert_eq!(find_executable(&path, "tool"), Some(tool));
        assert_eq!(find_executable(&path, "data"), None);
        assert_eq!(find_executable(&path, "missing"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corpora_live_inside_the_workspace() {
        let readme = corpus_path("README.md");
        assert!(readme.is_file(), "{} is missing", readme.display());
        let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let inside = readme
            .canonicalize()
            .unwrap()
            .starts_with(workspace.canonicalize().unwrap());
        assert!(inside, "test data must come from inside the repository");
    }
}
